package users

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/kctl/kctl/internal/platform/testnet"
	"github.com/kctl/kctl/services/event"
	"github.com/kctl/kctl/services/internal/svc/svctest"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"golang.org/x/crypto/bcrypt"
	_ "modernc.org/sqlite"
)

func newCluster(t testing.TB, opts ...kfake.Opt) *devcluster.Cluster {
	return devclustertest.New(t, opts...)
}

// running is a users service served on a loopback port.
type running struct {
	s      *Service
	url    string
	dbPath string
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned
	err    error         // Run's error, once done
}

// stop stops the service gracefully and returns Run's error.
func (r *running) stop(t testing.TB) error {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		return r.err
	case <-time.After(30 * time.Second):
		t.Fatal("users service did not stop within 30s")
		return nil
	}
}

func testConfig(t testing.TB, c *devcluster.Cluster) Config {
	return Config{
		DBPath:            filepath.Join(t.TempDir(), "users.db"),
		Brokers:           c.Brokers(),
		BcryptCost:        bcrypt.MinCost,
		Logger:            slog.New(slog.DiscardHandler),
		RelayMinBackoff:   10 * time.Millisecond,
		RelayMaxBackoff:   100 * time.Millisecond,
		RelayPollInterval: 50 * time.Millisecond,
		ShutdownTimeout:   20 * time.Second,
	}
}

// start runs a service for cfg on a loopback port; setup runs on the
// service before it serves.
func start(t testing.TB, cfg Config, setup ...func(*Service)) *running {
	t.Helper()
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("users.New: %v", err)
	}
	for _, f := range setup {
		f(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{s: s, url: "http://" + ln.Addr().String(), dbPath: cfg.DBPath, cancel: cancel, done: make(chan struct{})}
	go func() { r.err = s.Run(ctx, ln); close(r.done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
		}
	})
	return r
}

func post(t testing.TB, url, contentType, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url+"/api/users", contentType, strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("POST answered %d with non-JSON %q", resp.StatusCode, b)
	}
	return resp.StatusCode, m
}

// consumeAll reads every record of topic from the start until n are read or
// the timeout passes, and returns them.
func consumeAll(t testing.TB, c *devcluster.Cluster, topic string, n int, timeout time.Duration) []*kgo.Record {
	t.Helper()
	cl := devclustertest.Client(t, c, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			break
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Logf("fetch: %v", err) })
		out = append(out, fs.Records()...)
	}
	// Anything beyond n would be a duplicate: read a little longer.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	out = append(out, cl.PollFetches(ctx2).Records()...)
	return out
}

func pendingRows(t testing.TB, dbPath string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func countRows(t testing.TB, dbPath, table string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignUpPublishesOneEventWithoutPassword(t *testing.T) {
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), event.Topic, 3, nil)
	r := start(t, testConfig(t, c))

	code, body := post(t, r.url, "application/json", `{"email":"sender@test.com","name":"김이름","password":"1234"}`)
	if code != http.StatusCreated {
		t.Fatalf("POST = %d %v, want 201", code, body)
	}
	if len(body) != 3 || body["email"] != "sender@test.com" || body["name"] != "김이름" || body["id"] != float64(1) {
		t.Fatalf("201 body = %v, want exactly {id:1, email, name}", body)
	}

	recs := consumeAll(t, c, event.Topic, 1, 10*time.Second)
	if len(recs) != 1 {
		t.Fatalf("got %d events on %s, want exactly 1", len(recs), event.Topic)
	}
	rec := recs[0]
	if string(rec.Key) != "1" {
		t.Errorf("key = %q, want the user id %q", rec.Key, "1")
	}
	if err := event.CheckNoPassword(rec.Value); err != nil {
		t.Errorf("event carries password data: %v (%s)", err, rec.Value)
	}
	if bytes.Contains(rec.Value, []byte("1234")) {
		t.Errorf("event contains the password: %s", rec.Value)
	}
	var raw map[string]any
	if err := json.Unmarshal(rec.Value, &raw); err != nil {
		t.Fatal(err)
	}
	want := []string{"eventId", "type", "userId", "email", "name", "occurredAt"}
	if len(raw) != len(want) {
		t.Errorf("event fields = %v, want exactly %v", raw, want)
	}
	ev, err := event.Parse(rec.Value)
	if err != nil {
		t.Fatalf("event does not parse: %v", err)
	}
	if ev.UserID != 1 || ev.Email != "sender@test.com" || ev.Name != "김이름" || ev.Type != "UserSignedUp" {
		t.Errorf("event = %+v", ev)
	}
	if _, err := time.Parse(time.RFC3339, raw["occurredAt"].(string)); err != nil {
		t.Errorf("occurredAt %q is not RFC 3339: %v", raw["occurredAt"], err)
	}

	// GET returns the user without any password data.
	resp, err := http.Get(r.url + "/api/users/1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"email":"sender@test.com"`) {
		t.Errorf("GET /api/users/1 = %d %s", resp.StatusCode, b)
	}
	if err := event.CheckNoPassword(b); err != nil {
		t.Errorf("GET /api/users/1 leaks password data: %v", err)
	}
	// The password is stored only as a bcrypt hash.
	db, err := sql.Open("sqlite", "file:"+r.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var hash string
	if err := db.QueryRow(`SELECT password_hash FROM users WHERE id = 1`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte("1234")) != nil || strings.Contains(hash, "1234") {
		t.Errorf("stored password %q is not a bcrypt hash of it", hash)
	}
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := pendingRows(t, r.dbPath); n != 0 {
		t.Errorf("%d outbox rows pending after stop, want 0", n)
	}
}

func TestBadRequestsAreRefusedAndStoreNothing(t *testing.T) {
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), event.Topic, 3, nil)
	r := start(t, testConfig(t, c))

	// One accepted sign-up, so a duplicate can be refused.
	if code, body := post(t, r.url, "application/json", `{"email":"taken@test.com","name":"A","password":"pw"}`); code != 201 {
		t.Fatalf("first sign-up = %d %v", code, body)
	}
	big := `{"email":"big@test.com","name":"` + strings.Repeat("x", MaxBodyBytes) + `","password":"pw"}`
	cases := []struct {
		name, ct, body string
		code           int
		field          string
		msg            string
	}{
		{"invalid JSON", "application/json", `{"email":`, 400, "", "invalid JSON"},
		{"not an object", "application/json", `["a"]`, 400, "", "must be an object"},
		{"empty body", "application/json", ``, 400, "", "empty"},
		{"trailing data", "application/json", `{"email":"a@b.com","name":"A","password":"p"} {}`, 400, "", "after the object"},
		{"unknown field", "application/json", `{"email":"a@b.com","name":"A","password":"p","admin":true}`, 400, "admin", "unknown field"},
		{"field twice", "application/json", `{"email":"a@b.com","name":"A","password":"p","email":"c@d.com"}`, 400, "email", "more than once"},
		{"field twice other case", "application/json", `{"email":"a@b.com","name":"A","password":"p","Password":"q"}`, 400, "password", "more than once"},
		{"wrong type", "application/json", `{"email":1,"name":"A","password":"p"}`, 400, "email", "must be a string"},
		{"missing email", "application/json", `{"name":"A","password":"p"}`, 400, "email", "required"},
		{"bad email", "application/json", `{"email":"not-an-email","name":"A","password":"p"}`, 400, "email", "not a valid address"},
		{"email with display name", "application/json", `{"email":"Bob <bob@test.com>","name":"A","password":"p"}`, 400, "email", "not a valid address"},
		{"empty name", "application/json", `{"email":"a@b.com","name":"  ","password":"p"}`, 400, "name", "must not be empty"},
		{"empty password", "application/json", `{"email":"a@b.com","name":"A","password":""}`, 400, "password", "must not be empty"},
		{"password over 72 bytes", "application/json", `{"email":"a@b.com","name":"A","password":"` + strings.Repeat("p", 73) + `"}`, 400, "password", "longer than 72"},
		{"duplicate email", "application/json", `{"email":"taken@test.com","name":"B","password":"pw"}`, 409, "email", "already registered"},
		{"duplicate email other case", "application/json", `{"email":"TAKEN@test.com","name":"B","password":"pw"}`, 409, "email", "already registered"},
		{"over 64 KiB", "application/json", big, 413, "", "64 KiB"},
		{"form", "application/x-www-form-urlencoded", `email=a@b.com`, 415, "", "application/json"},
		{"no content type", "", `{"email":"a@b.com","name":"A","password":"p"}`, 415, "", "application/json"},
		{"text", "text/plain", `{"email":"a@b.com","name":"A","password":"p"}`, 415, "", "application/json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, r.url+"/api/users", strings.NewReader(tc.body))
			if tc.ct != "" {
				req.Header.Set("Content-Type", tc.ct)
			}
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
			if tc.field != "" && !strings.Contains(e.Error, tc.field) {
				t.Errorf("error message %q does not name the field %q", e.Error, tc.field)
			}
		})
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, r.dbPath, "users"); n != 1 {
		t.Errorf("%d users stored, want only the first one", n)
	}
	if n := countRows(t, r.dbPath, "outbox"); n != 1 {
		t.Errorf("%d outbox rows, want only the first one's", n)
	}
	if recs := consumeAll(t, c, event.Topic, 2, 2*time.Second); len(recs) != 1 {
		t.Errorf("%d events published, want 1 (refused requests publish nothing)", len(recs))
	}
}

// signUpMany posts n distinct sign-ups with 16 concurrent clients and
// returns the status codes seen.
func signUpMany(t testing.TB, url string, n int, prefix string) map[int]int {
	t.Helper()
	codes := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				body := fmt.Sprintf(`{"email":"%s%d@test.com","name":"user %d","password":"pw-%d"}`, prefix, i, i, i)
				resp, err := http.Post(url+"/api/users", "application/json", strings.NewReader(body))
				code := 0
				if err == nil {
					code = resp.StatusCode
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	return codes
}

// checkExactlyOnce asserts the records are n distinct events of users 1..n.
func checkExactlyOnce(t testing.TB, recs []*kgo.Record, n int) {
	t.Helper()
	seen := map[int64]int{}
	ids := map[string]bool{}
	for _, r := range recs {
		ev, err := event.Parse(r.Value)
		if err != nil {
			t.Fatalf("record does not parse: %v", err)
		}
		seen[ev.UserID]++
		ids[ev.EventID] = true
		if string(r.Key) != fmt.Sprint(ev.UserID) {
			t.Errorf("key %q != userId %d", r.Key, ev.UserID)
		}
	}
	if len(recs) != n || len(seen) != n || len(ids) != n {
		t.Fatalf("got %d records for %d users (%d event ids), want each of %d exactly once", len(recs), len(seen), len(ids), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("user %d published %d times", id, k)
		}
	}
}

func TestKafkaOutageLosesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  *kerr.Error
	}{
		{"non-retriable error", nil}, // UNKNOWN_SERVER_ERROR: the client fails the records, the relay retries
		{"retriable error", kerr.NotEnoughReplicas},
		{"leader not available", kerr.LeaderNotAvailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t)
			devclustertest.CreateTopic(t, devclustertest.Admin(t, c), event.Topic, 3, nil)
			r := start(t, testConfig(t, c))

			fault := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: tc.err, Count: -1})
			codes := signUpMany(t, r.url, 200, "outage")
			if codes[201] != 200 {
				t.Fatalf("status codes during the outage = %v, want 200 × 201", codes)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := fault.Wait(ctx, 1); err != nil {
				t.Fatalf("the relay never tried to publish during the outage: %v", err)
			}
			if n := pendingRows(t, r.dbPath); n != 200 {
				t.Fatalf("%d outbox rows pending during the outage, want 200", n)
			}
			fault.Remove()
			recs := consumeAll(t, c, event.Topic, 200, 20*time.Second)
			checkExactlyOnce(t, recs, 200)
			deadline := time.Now().Add(10 * time.Second)
			for pendingRows(t, r.dbPath) != 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := pendingRows(t, r.dbPath); n != 0 {
				t.Fatalf("%d outbox rows still pending after recovery", n)
			}
			if err := r.stop(t); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestGracefulShutdownFlushesOutbox(t *testing.T) {
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), event.Topic, 3, nil)
	cfg := testConfig(t, c)
	// A relay that would otherwise wait a long time between polls: only the
	// shutdown flush can publish what is still pending.
	cfg.RelayPollInterval = time.Hour
	r := start(t, cfg)
	// Hold publishing back so rows are pending when the signal comes.
	fault := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotEnoughReplicas, Count: -1})
	codes := signUpMany(t, r.url, 50, "shutdown")
	if codes[201] != 50 {
		t.Fatalf("codes = %v", codes)
	}
	if n := pendingRows(t, r.dbPath); n == 0 {
		t.Fatal("nothing pending before the signal; the test proves nothing")
	}
	r.cancel() // the signal
	// Kafka comes back only once the shutdown has begun (Run closes
	// relay.stopping after the HTTP server stopped): removing the fault
	// after a fixed sleep let a slow start of the shutdown leave the rows to
	// the running relay's retries, and the test passed without a flush.
	select {
	case <-r.s.relay.stopping:
	case <-time.After(30 * time.Second):
		t.Fatal("the shutdown did not begin within 30s of the signal")
	}
	if n := pendingRows(t, r.dbPath); n == 0 {
		t.Fatal("nothing pending when the shutdown began; the test proves nothing")
	}
	fault.Remove()
	select {
	case <-r.done:
		if r.err != nil {
			t.Fatalf("Run: %v", r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no stop within 30s")
	}
	if n := pendingRows(t, r.dbPath); n != 0 {
		t.Fatalf("%d outbox rows accepted before the signal are still pending after shutdown", n)
	}
	checkExactlyOnce(t, consumeAll(t, c, event.Topic, 50, 10*time.Second), 50)
}

func TestStartupErrors(t *testing.T) {
	c := newCluster(t)
	t.Run("database directory missing", func(t *testing.T) {
		cfg := testConfig(t, c)
		cfg.DBPath = filepath.Join(t.TempDir(), "nope", "users.db")
		_, err := New(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), cfg.DBPath) {
			t.Fatalf("err = %v, want one naming the path and the missing directory", err)
		}
	})
	t.Run("no brokers answer", func(t *testing.T) {
		addr := testnet.RefusedAddr(t)
		cfg := testConfig(t, c)
		cfg.Brokers = []string{addr}
		cfg.ConnectTimeout = time.Second
		_, err := New(context.Background(), cfg)
		var ue *kafka.UnreachableError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), addr) {
			t.Fatalf("err = %v, want an UnreachableError naming %s", err, addr)
		}
		svctest.FailedStartLeavesNoDatabase(t, cfg.DBPath, func() error {
			_, err := New(context.Background(), cfg)
			return err
		})
	})
	t.Run("bad bcrypt cost", func(t *testing.T) {
		cfg := testConfig(t, c)
		cfg.BcryptCost = 40
		if _, err := New(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "bcrypt cost 40") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestHealthReadyMetrics(t *testing.T) {
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), event.Topic, 3, nil)
	r := start(t, testConfig(t, c))
	if code, _ := post(t, r.url, "application/json", `{"email":"m@test.com","name":"M","password":"pw"}`); code != 201 {
		t.Fatal(code)
	}
	post(t, r.url, "application/json", `{"email":"bad","name":"M","password":"pw"}`)
	get := func(path string) (int, string) {
		resp, err := http.Get(r.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("/healthz = %d %s", code, body)
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"database":"ok"`) || !strings.Contains(body, `"kafka":"ok"`) {
		t.Errorf("/readyz = %d %s", code, body)
	}
	deadline := time.Now().Add(5 * time.Second)
	var body string
	for time.Now().Before(deadline) {
		_, body = get("/metrics")
		// One scrape gathers the collectors concurrently: the backlog (read
		// from the database) may be read before the relay's commit and the
		// counter after it. Wait until both show the published row.
		if strings.Contains(body, "kctl_users_outbox_published_total 1") && strings.Contains(body, "kctl_users_outbox_pending 0") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{
		"kctl_users_signups_total 1",
		`kctl_users_signups_rejected_total{reason="invalid"} 1`,
		"kctl_users_outbox_pending 0",
		"kctl_users_outbox_oldest_pending_age_seconds 0",
		"kctl_users_outbox_published_total 1",
		"kctl_users_outbox_publish_errors_total 0",
		"kctl_users_outbox_publish_latency_seconds_count 1",
		`kctl_users_http_requests_total{code="201",route="POST /api/users"} 1`,
		`kctl_users_http_request_duration_seconds_count{route="POST /api/users"} 2`,
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// Kafka unreachable: /readyz says so with 503.
	c.Close()
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, `"database":"ok"`) || strings.Contains(body, `"kafka":"ok"`) {
		t.Errorf("/readyz with Kafka down = %d %s, want 503 naming kafka", code, body)
	}
}

// Requests the routes do not take are refused with the same JSON error body
// as every other refusal; a wrong method names the allowed ones.
func TestUnknownRoutesAndMethodsAnswerJSON(t *testing.T) {
	c := newCluster(t)
	r := start(t, testConfig(t, c))
	for _, tc := range []struct {
		method, path string
		code         int
		allow, msg   string
	}{
		{"GET", "/api/users", 405, "POST", "method GET is not allowed on /api/users; allowed: POST"},
		{"DELETE", "/healthz", 405, "GET, HEAD", "method DELETE is not allowed on /healthz"},
		{"PUT", "/api/users/abc", 405, "GET, HEAD", "allowed: GET, HEAD"},
		{"GET", "/nope", 404, "", "no such route: GET /nope"},
	} {
		req, _ := http.NewRequest(tc.method, r.url+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct{ Error string }
		if resp.StatusCode != tc.code || json.Unmarshal(b, &e) != nil || !strings.Contains(e.Error, tc.msg) ||
			resp.Header.Get("Allow") != tc.allow || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s = %d Allow=%q %s %q; want %d Allow=%q and a JSON error containing %q",
				tc.method, tc.path, resp.StatusCode, resp.Header.Get("Allow"), resp.Header.Get("Content-Type"), b, tc.code, tc.allow, tc.msg)
		}
	}
	// Routes still work behind it.
	if resp, err := http.Get(r.url + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /healthz = %v, %v", resp, err)
	}
}

// Published outbox rows are deleted once they are older than the retention;
// pending rows never are.
func TestOutboxPruning(t *testing.T) {
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), event.Topic, 3, nil)
	var clock atomic.Int64
	t0 := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	clock.Store(t0.UnixNano())
	cfg := testConfig(t, c)
	// pruneTicks counts the prune loop's reads of the clock (one per
	// interval), so the test can wait for prunes instead of sleeping and
	// assuming some happened.
	var pruneTicks atomic.Int64
	cfg.Now = func() time.Time {
		if calledFrom("pruneLoop") {
			pruneTicks.Add(1)
		}
		return time.Unix(0, clock.Load())
	}
	cfg.OutboxRetention = time.Hour
	cfg.PruneInterval = 20 * time.Millisecond
	r := start(t, cfg)
	for i := range 3 {
		if code, body := post(t, r.url, "application/json", fmt.Sprintf(`{"email":"p%d@test.com","name":"P","password":"pw"}`, i)); code != 201 {
			t.Fatalf("sign-up = %d %v", code, body)
		}
	}
	rows := func() (total, pending int) {
		t.Helper()
		if err := r.s.db.R.QueryRow(`SELECT COUNT(*), COUNT(*) - COUNT(sent_at) FROM outbox`).Scan(&total, &pending); err != nil {
			t.Fatal(err)
		}
		return total, pending
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitUntil("3 rows published", func() bool { n, p := rows(); return n == 3 && p == 0 })
	// Several prunes within the retention: a tick that read the clock
	// before this point may still be running its DELETE, so wait for three
	// more, the last of which began after the second had finished.
	ticks := pruneTicks.Load()
	waitUntil("three prunes within the retention", func() bool { return pruneTicks.Load() >= ticks+3 })
	if n, _ := rows(); n != 3 {
		t.Fatalf("%d outbox rows left within the retention, want 3", n)
	}
	clock.Store(t0.Add(2 * time.Hour).UnixNano())
	waitUntil("the published rows pruned", func() bool { n, _ := rows(); return n == 0 })
	resp, err := http.Get(r.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), "\nkctl_users_outbox_pruned_total 3\n") {
		t.Errorf("/metrics lacks kctl_users_outbox_pruned_total 3")
	}
	if users, err := r.s.emailTaken(context.Background(), "p1@test.com"); err != nil || !users {
		t.Errorf("pruning the outbox touched the users: taken = %v, %v", users, err)
	}
}

// pruneOutbox deletes in batches and never deletes a pending row, however old.
func TestPruneOutboxKeepsPending(t *testing.T) {
	c := newCluster(t)
	cfg := testConfig(t, c)
	cfg.OutboxRetention = time.Hour
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	tx, _ := s.db.W.Begin()
	const sent = 2*pruneBatch + 7
	for i := range sent + 2 {
		var sentAt any = old
		if i >= sent {
			sentAt = nil // pending
		}
		if _, err := tx.Exec(`INSERT INTO outbox (event_id, topic, msg_key, payload, created_at, sent_at) VALUES (?, 't', x'00', x'00', ?, ?)`,
			fmt.Sprint("e", i), old, sentAt); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	n, err := s.pruneOutbox(context.Background(), time.Now())
	if err != nil || n != sent {
		t.Fatalf("pruneOutbox = %d, %v; want %d", n, err, sent)
	}
	var left, pending int
	s.db.R.QueryRow(`SELECT COUNT(*), COUNT(*) - COUNT(sent_at) FROM outbox`).Scan(&left, &pending)
	if left != 2 || pending != 2 {
		t.Errorf("left %d rows (%d pending), want the 2 pending rows", left, pending)
	}
	// Negative retention keeps everything.
	s.cfg.OutboxRetention = -1
	s.db.W.Exec(`UPDATE outbox SET sent_at = ?`, old)
	if n, err := s.pruneOutbox(context.Background(), time.Now()); n != 0 || err != nil {
		t.Errorf("retention -1: pruned %d, %v", n, err)
	}
}

// calledFrom reports whether a function whose name ends in "."+fn is on the
// caller's stack: a test clock uses it to tell which loop reads it.
func calledFrom(fn string) bool {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if strings.HasSuffix(f.Function, "."+fn) {
			return true
		}
		if !more {
			return false
		}
	}
}
