package email_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/services/email"
	"github.com/kctl/kctl/services/event"
	"github.com/kctl/kctl/services/users"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/crypto/bcrypt"
)

// serve runs a service's Run on a loopback port until the test ends and
// returns its base URL.
func serve(t *testing.T, run func(context.Context, net.Listener) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// TestSignUpToEmailLog is the whole flow: a sign-up over HTTP gives exactly
// one event without password data, and that event exactly one email log.
func TestSignUpToEmailLog(t *testing.T) {
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, event.Topic, 3, nil)
	devclustertest.CreateTopic(t, adm, event.DLTTopic(event.Topic), 1, nil)
	dir := t.TempDir()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)

	us, err := users.New(ctx, users.Config{DBPath: filepath.Join(dir, "users.db"), Brokers: c.Brokers(), BcryptCost: bcrypt.MinCost, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	es, err := email.New(ctx, email.Config{DBPath: filepath.Join(dir, "email.db"), Brokers: c.Brokers(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	usersURL := serve(t, us.Run)
	emailURL := serve(t, es.Run)

	resp, err := http.Post(usersURL+"/api/users", "application/json",
		strings.NewReader(`{"email":"sender@test.com","name":"김이름","password":"1234"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("POST = %d %s", resp.StatusCode, b)
	}
	var created users.SignUpResponse
	if err := json.Unmarshal(b, &created); err != nil {
		t.Fatal(err)
	}

	var logs []email.LogEntry
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		r, err := http.Get(emailURL + "/api/email-logs?userId=" + jsonNum(created.ID))
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(r.Body).Decode(&logs)
		r.Body.Close()
		if len(logs) == 1 && logs[0].Status == email.StatusSent {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(logs) != 1 || logs[0].Status != email.StatusSent || logs[0].Email != "sender@test.com" ||
		logs[0].Subject != "김이름님, 회원 가입을 축하드립니다!" {
		t.Fatalf("email logs = %+v, want one sent welcome email", logs)
	}

	cl := devclustertest.Client(t, c, kgo.ConsumeTopics(event.Topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for pctx.Err() == nil {
		recs = append(recs, cl.PollFetches(pctx).Records()...)
	}
	if len(recs) != 1 {
		t.Fatalf("%d events, want exactly 1", len(recs))
	}
	if err := event.CheckNoPassword(recs[0].Value); err != nil || strings.Contains(string(recs[0].Value), "1234") {
		t.Errorf("event %s carries password data: %v", recs[0].Value, err)
	}
	if ev, err := event.Parse(recs[0].Value); err != nil || ev.EventID != logs[0].EventID {
		t.Errorf("event %+v (%v) is not the logged one %s", ev, err, logs[0].EventID)
	}
}

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }
