package users

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/services/event"
)

// TestStrictInput: each refused input is a clear JSON 4xx naming the field,
// and stores nothing.
func TestStrictInput(t *testing.T) {
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), event.Topic, 3, nil)
	r := start(t, testConfig(t, c))
	for _, first := range []string{
		`{"email":"ÿser@test.com","name":"A","password":"pw"}`,
		`{"email":"KELVIN@test.com","name":"A","password":"pw"}`,
		`{"email":"Cafe\u0301@test.com","name":"A","password":"pw"}`,
	} {
		if code, body := post(t, r.url, "application/json", first); code != 201 {
			t.Fatalf("sign-up %s = %d %v", first, code, body)
		}
	}
	cases := []struct {
		name, ct, body string
		code           int
		field, msg     string
	}{
		{"invalid UTF-8 in email", "application/json", "{\"email\":\"u8\xff@test.com\",\"name\":\"A\",\"password\":\"p\"}", 400, "email", "not valid UTF-8"},
		{"invalid UTF-8 in name", "application/json", "{\"email\":\"u8@test.com\",\"name\":\"A\xc3\",\"password\":\"p\"}", 400, "name", "not valid UTF-8"},
		{"invalid UTF-8 in password", "application/json", "{\"email\":\"u8@test.com\",\"name\":\"A\",\"password\":\"p\xfe\"}", 400, "password", "not valid UTF-8"},
		{"lone surrogate escape", "application/json", `{"email":"u8@test.com","name":"A\udcff","password":"p"}`, 400, "name", "not valid UTF-8"},
		{"Ÿ vs ÿ", "application/json", `{"email":"Ÿser@test.com","name":"B","password":"pw"}`, 409, "email", "already registered"},
		{"Kelvin sign vs K", "application/json", `{"email":"` + "\u212a" + `ELVIN@test.com","name":"B","password":"pw"}`, 409, "email", "already registered"},
		{"NFC vs NFD", "application/json", `{"email":"CAF` + "\u00c9" + `@test.com","name":"B","password":"pw"}`, 409, "email", "already registered"},
		{"password of spaces", "application/json", `{"email":"sp@test.com","name":"B","password":"   "}`, 400, "password", "only spaces"},
		{"dotless domain", "application/json", `{"email":"a@b","name":"B","password":"pw"}`, 400, "email", "domain"},
		{"latin1 charset", "application/json; charset=latin1", `{"email":"l1@test.com","name":"B","password":"pw"}`, 415, "", "UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, r.url+"/api/users", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ct)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Fatalf("status = %d (%s), want %d", resp.StatusCode, b, tc.code)
			}
			var e struct{ Error, Field string }
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatalf("body %q is not a JSON error: %v", b, err)
			}
			if e.Field != tc.field || !strings.Contains(e.Error, tc.msg) {
				t.Errorf("error = %+v, want field %q and a message containing %q", e, tc.field, tc.msg)
			}
		})
	}
	// The address is kept as given for sending.
	resp, err := http.Get(r.url + "/api/users/1")
	if err != nil {
		t.Fatal(err)
	}
	var u User
	_ = json.NewDecoder(resp.Body).Decode(&u)
	resp.Body.Close()
	if u.Email != "ÿser@test.com" {
		t.Errorf("user 1's email = %q, want it as given", u.Email)
	}
	for path, want := range map[string]int{"/api/users/01": 400, "/api/users/+1": 400, "/api/users/1": 200} {
		resp, err := http.Get(r.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, r.dbPath, "users"); n != 3 {
		t.Errorf("%d users stored, want the first three", n)
	}
}

// rawRequest writes head (and no body) on a fresh connection and returns
// the answer's status line and body, and how long it took.
func rawRequest(t *testing.T, url, head string) (string, string, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	start := time.Now()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.Status, string(b), time.Since(start)
}

// TestBodyLimitsAnswerAtOnce: a Content-Length over the limit is refused
// from the header, without waiting for the body; a body that stalls is
// refused after BodyTimeout with a message free of socket addresses.
func TestBodyLimitsAnswerAtOnce(t *testing.T) {
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), event.Topic, 3, nil)
	cfg := testConfig(t, c)
	cfg.BodyTimeout = 2 * time.Second
	r := start(t, cfg)

	t0 := time.Now()
	status, body, took := rawRequest(t, r.url, "POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
	if !strings.HasPrefix(status, "413") || !strings.Contains(body, "100000") {
		t.Errorf("declared 100000 bytes: %s %s, want 413 naming the size", status, body)
	}
	// The server's read timeout is 30s; answering from the header takes
	// no time at all. 15s leaves a busy machine ample room.
	if took > 15*time.Second {
		t.Errorf("413 took %s: it waited for the body", took.Round(time.Millisecond))
	}

	t.Logf("413 took %s", took)
	status, body, took = rawRequest(t, r.url, "POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"email\":")
	if !strings.HasPrefix(status, "400") || !strings.Contains(body, "did not arrive within 2s") {
		t.Errorf("stalled body: %s %s, want 400 saying it did not arrive within 2s", status, body)
	}
	t.Logf("400 took %s; total %s", took, time.Since(t0))
	if took > 20*time.Second {
		t.Errorf("the stalled body was refused after %s, not after BodyTimeout (2s)", took.Round(time.Millisecond))
	}
	if strings.Contains(body, "127.0.0.1") || strings.Contains(body, "tcp") {
		t.Errorf("the answer shows socket addresses: %s", body)
	}
}

// TestEmailKeyMigration: a database of an earlier version (no email_key)
// is migrated at start: rows backfilled, uniqueness enforced on the key.
func TestEmailKeyMigration(t *testing.T) {
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), event.Topic, 3, nil)
	cfg := testConfig(t, c)
	cfg.DBPath = filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE COLLATE NOCASE, name TEXT NOT NULL, password_hash TEXT NOT NULL, created_at TEXT NOT NULL)`,
		`INSERT INTO users (email, name, password_hash, created_at) VALUES ('Straße@test.com', 'A', 'x', '2026-01-01T00:00:00Z')`,
	} {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	r := start(t, cfg)
	if code, body := post(t, r.url, "application/json", `{"email":"STRASSE@test.com","name":"B","password":"pw"}`); code != 409 {
		t.Errorf("sign-up of the case-folded twin of an old row = %d %v, want 409", code, body)
	}
	if code, body := post(t, r.url, "application/json", `{"email":"new@test.com","name":"B","password":"pw"}`); code != 201 {
		t.Errorf("new sign-up = %d %v", code, body)
	}
}
