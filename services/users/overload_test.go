package users

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/services/event"
)

func signUpBody(email string) string {
	return fmt.Sprintf(`{"email":%q,"name":"n","password":"pw"}`, email)
}

// answer is one client's result: the status, Retry-After, the body, or the
// transport error when no answer came.
type answer struct {
	code       int
	retryAfter string
	body       map[string]any
	err        error
}

func postSignUp(cl *http.Client, url, email string) answer {
	resp, err := cl.Post(url+"/api/users", "application/json", strings.NewReader(signUpBody(email)))
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{code: resp.StatusCode, err: fmt.Errorf("read the answer: %w", err)}
	}
	a := answer{code: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	if err := json.Unmarshal(b, &a.body); err != nil {
		a.err = fmt.Errorf("answer %d is not JSON: %q", resp.StatusCode, b)
	}
	return a
}

// With MaxInFlight sign-ups held in the store, one more is answered 503 with
// Retry-After at once; the held ones are answered 201 when released, and
// the health routes and reads are not limited.
func TestOverloadAnswers503WithRetryAfter(t *testing.T) {
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), event.Topic, 3, nil)
	cfg := testConfig(t, c)
	cfg.MaxInFlight = 2
	arrived, release := make(chan struct{}), make(chan struct{})
	r := start(t, cfg, func(s *Service) {
		s.beforeStore = func() {
			select {
			case arrived <- struct{}{}:
				<-release
			case <-release: // released: later sign-ups pass
			}
		}
	})
	cl := &http.Client{Timeout: 30 * time.Second} // a failure is an error, not a hang
	held := make(chan answer, 2)
	for i := range 2 {
		go func() { held <- postSignUp(http.DefaultClient, r.url, fmt.Sprintf("held%d@test.com", i)) }()
	}
	<-arrived
	<-arrived // both slots are taken, by requests inside the handler

	a := postSignUp(cl, r.url, "one-more@test.com")
	if a.err != nil || a.code != http.StatusServiceUnavailable || a.retryAfter != "1" {
		t.Fatalf("one more sign-up: %d Retry-After %q %v (%v); want 503 with Retry-After: 1", a.code, a.retryAfter, a.body, a.err)
	}
	if msg, _ := a.body["error"].(string); !strings.Contains(msg, "2 sign-ups are in flight (--max-in-flight); retry after 1s") {
		t.Errorf("503 body %v; want the limit and the flag named", a.body)
	}
	for _, path := range []string{"/healthz", "/api/users/1"} {
		resp, err := cl.Get(r.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			t.Errorf("GET %s answered 503 while sign-ups are at the limit", path)
		}
	}
	close(release)
	for range 2 {
		if a := <-held; a.err != nil || a.code != http.StatusCreated {
			t.Errorf("held sign-up: %d %v %v; want 201", a.code, a.body, a.err)
		}
	}
	// The slots are free again.
	if a := postSignUp(cl, r.url, "after@test.com"); a.code != http.StatusCreated {
		t.Errorf("sign-up after the release: %d %v %v; want 201", a.code, a.body, a.err)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, r.dbPath, "users"); n != 3 {
		t.Errorf("%d users stored, want 3 (the refused one stores nothing)", n)
	}
}

// A sign-up that waits QueueTimeout for a hash slot is answered 503 with
// Retry-After and stores nothing (it used to wait, unanswered, for as long
// as the client did).
func TestQueueTimeoutAnswers503(t *testing.T) {
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), event.Topic, 3, nil)
	cfg := testConfig(t, c)
	cfg.QueueTimeout = 100 * time.Millisecond
	var svc *Service
	r := start(t, cfg, func(s *Service) { svc = s })
	for range cap(svc.hashSlots) {
		svc.hashSlots <- struct{}{} // every hash slot busy
	}
	cl := &http.Client{Timeout: 30 * time.Second}
	a := postSignUp(cl, r.url, "queued@test.com")
	for range cap(svc.hashSlots) {
		<-svc.hashSlots
	}
	if a.err != nil || a.code != http.StatusServiceUnavailable || a.retryAfter != "1" {
		t.Fatalf("queued sign-up: %d Retry-After %q %v (%v); want 503 with Retry-After: 1", a.code, a.retryAfter, a.body, a.err)
	}
	if msg, _ := a.body["error"].(string); !strings.Contains(msg, "waited 100ms for a password hash slot; nothing was stored") {
		t.Errorf("503 body %v", a.body)
	}
	if a := postSignUp(cl, r.url, "queued@test.com"); a.code != http.StatusCreated {
		t.Errorf("the same sign-up once the slots are free: %d %v %v; want 201", a.code, a.body, a.err)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, r.dbPath, "users"); n != 1 {
		t.Errorf("%d users stored, want 1", n)
	}
}

// A burst of 2,000 concurrent clients against a real listener: every client
// gets an answer, 201 or 503, none a dropped connection, and every 201's
// user is stored and its event published exactly once.
func TestBurstEveryClientIsAnswered(t *testing.T) {
	const clients = 2000
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), event.Topic, 3, nil)
	cfg := testConfig(t, c)
	cfg.MaxInFlight = 32
	r := start(t, cfg)
	cl := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}
	answers := make([]answer, clients)
	var wg sync.WaitGroup
	go_ := make(chan struct{})
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-go_
			answers[i] = postSignUp(cl, r.url, fmt.Sprintf("burst%d@test.com", i))
		}()
	}
	close(go_)
	wg.Wait()
	codes := map[int]int{}
	accepted := map[int64]string{} // user id → email
	for i, a := range answers {
		if a.err != nil {
			t.Errorf("client %d got no answer: %v", i, a.err)
			continue
		}
		codes[a.code]++
		switch a.code {
		case http.StatusCreated:
			id, _ := a.body["id"].(float64)
			accepted[int64(id)] = fmt.Sprintf("burst%d@test.com", i)
		case http.StatusServiceUnavailable:
			if a.retryAfter == "" {
				t.Errorf("client %d: 503 without Retry-After", i)
			}
		default:
			t.Errorf("client %d: %d %v; want 201 or 503", i, a.code, a.body)
		}
	}
	t.Logf("answers: %v", codes)
	if len(accepted) == 0 || len(accepted) != codes[http.StatusCreated] {
		t.Fatalf("%d distinct users in %d answers 201", len(accepted), codes[http.StatusCreated])
	}
	recs := consumeAll(t, c, event.Topic, len(accepted), 60*time.Second)
	checkExactlyOnce(t, recs, len(accepted))
	for _, rec := range recs {
		ev, _ := event.Parse(rec.Value)
		if accepted[ev.UserID] != ev.Email {
			t.Errorf("event of user %d is for %q; the 201 was for %q", ev.UserID, ev.Email, accepted[ev.UserID])
		}
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, r.dbPath, "users"); n != len(accepted) {
		t.Errorf("%d users stored for %d answers 201", n, len(accepted))
	}
}

// A sign-up held past the server's write timeout (behind a burst) is still
// answered: its write deadline is its own. With the server's WriteTimeout
// alone (svc.StartServer: a minute from the request's start) the user was
// stored and the connection closed without an answer. Here the server's
// WriteTimeout is 100ms and the store is held until 300ms have passed.
func TestSignUpHeldPastTheWriteTimeoutIsAnswered(t *testing.T) {
	c := newCluster(t)
	s, err := New(t.Context(), testConfig(t, c))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.beforeStore = func() { <-time.After(300 * time.Millisecond) } // the scenario, not a synchronisation
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s.Handler(), WriteTimeout: 100 * time.Millisecond}
	go srv.Serve(ln)
	defer srv.Close()
	a := postSignUp(&http.Client{Timeout: 30 * time.Second}, "http://"+ln.Addr().String(), "held@test.com")
	if a.err != nil || a.code != http.StatusCreated {
		t.Fatalf("sign-up held past the write timeout: %d %v %v; want 201", a.code, a.body, a.err)
	}
}
