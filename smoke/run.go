// Package smoke proves the whole sign-up path on a cluster: topics, the users
// service, the UserSignedUp event, the email service, retries and the
// dead-letter topic, consumer lag and partition health. Run returns a Report;
// the caller decides the exit code from Report.Passed.
package smoke

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kctl/kctl/internal/backoff"
	"github.com/kctl/kctl/internal/inspect"
	"github.com/kctl/kctl/internal/lag"
	"github.com/kctl/kctl/services/dlt"
	"github.com/kctl/kctl/services/email"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Services are the users and email services the run talks to.
type Services struct {
	UsersURL, EmailURL string
	// Stop shuts in-process services down; nil for deployed ones.
	Stop func()
}

// Options configure Run.
type Options struct {
	Client *kgo.Client // connected to the cluster under test
	Admin  *kadm.Client
	// ClientOpts connect a new client to the same cluster (seeds, TLS, SASL).
	ClientOpts []kgo.Opt

	Brokers  []string
	Embedded bool
	Count    int           // sign-ups; at least 1
	Timeout  time.Duration // bounds every wait of every step

	Topic, DLT, Group string // default user.signed-up, <topic>.dlt, email-service

	// Topics applies topics.yaml (or, with --no-apply, checks that the
	// cluster matches it) and says what it did. It returns an error naming
	// every difference when the cluster does not match.
	Topics func(ctx context.Context) (detail string, err error)
	// StartServices starts (or locates) the services.
	StartServices func(ctx context.Context) (Services, error)

	// Progress, when set, is called as each step finishes.
	Progress func(Step)
	Logger   *slog.Logger
	HTTP     *http.Client
}

func (o *Options) defaults() {
	if o.Count < 1 {
		o.Count = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Topic == "" {
		o.Topic = "user.signed-up"
	}
	if o.DLT == "" {
		o.DLT = o.Topic + ".dlt"
	}
	if o.Group == "" {
		o.Group = "email-service"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: o.Timeout}
	}
}

// The step names, in order; each is a JUnit testcase.
const (
	StepConnect  = "connect"
	StepTopics   = "topics match topics.yaml"
	StepServices = "services healthy"
	StepSignups  = "sign-ups answered 201"
	StepEvents   = "events published without password"
	StepEmails   = "email logged for each sign-up"
	StepDLT      = "poison record reaches the DLT"
	StepLag      = "consumer group lag returns to 0"
	StepHealth   = "partitions fully replicated"
)

// AllSteps lists the steps in run order.
var AllSteps = []string{StepConnect, StepTopics, StepServices, StepSignups, StepEvents, StepEmails, StepDLT, StepLag, StepHealth}

type signup struct {
	email, name, password string
	id                    int64
	accepted              time.Time
	published             time.Time // the event's record timestamp (the relay's produce time)
}

type run struct {
	o       Options
	rep     *Report
	runID   string
	signups []*signup
	svc     Services
	// start offsets of the topic and DLT before the run, per partition
	topicStart, dltStart map[int32]int64
	failed               bool
}

// Run executes every step in order and returns the report. A failed step
// skips the steps that depend on it; Run itself returns no error: failures
// are in the report. ctx cancellation stops the run at once.
func Run(ctx context.Context, o Options) *Report {
	o.defaults()
	r := &run{o: o, rep: &Report{Brokers: o.Brokers, Embedded: o.Embedded, Count: o.Count, Started: time.Now()}, runID: randHex(4)}
	defer func() {
		if r.svc.Stop != nil {
			r.svc.Stop()
		}
	}()
	steps := []struct {
		name  string
		fn    func(context.Context) (string, error)
		needs bool // skipped after an earlier failure
	}{
		{StepConnect, r.connect, false},
		{StepTopics, r.topics, true},
		{StepServices, r.services, true},
		{StepSignups, r.signUp, true},
		{StepEvents, r.events, true},
		{StepEmails, r.emails, true},
		{StepDLT, r.poison, true},
		{StepLag, r.lag, true},
		{StepHealth, r.health, false},
	}
	begin := time.Now()
	for _, s := range steps {
		st := Step{Name: s.name}
		if ctx.Err() != nil || (s.needs && r.failed) || (s.name == StepHealth && r.rep.Steps[0].Passed == false) {
			st.Skipped = true
			st.Detail = "skipped: an earlier step failed"
			if ctx.Err() != nil {
				st.Detail = "skipped: interrupted"
			}
		} else {
			sctx, cancel := context.WithTimeout(ctx, o.Timeout)
			t0 := time.Now()
			detail, err := s.fn(sctx)
			cancel()
			st.Duration = time.Since(t0)
			st.Passed = err == nil
			st.Detail = detail
			if err != nil {
				r.failed = true
				st.Detail = err.Error()
				if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
					st.Detail = fmt.Sprintf("%s (gave up after --timeout %s)", err, o.Timeout)
				}
			}
		}
		st.Millis = ms(st.Duration)
		r.rep.Steps = append(r.rep.Steps, st)
		if o.Progress != nil {
			o.Progress(st)
		}
	}
	r.rep.TotalMs = ms(time.Since(begin))
	r.rep.Passed = len(r.rep.Failed()) == 0 && ctx.Err() == nil
	for _, s := range r.rep.Steps {
		if s.Skipped {
			r.rep.Passed = false
		}
	}
	return r.rep
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (r *run) connect(ctx context.Context) (string, error) {
	if err := r.o.Client.Ping(ctx); err != nil {
		return "", fmt.Errorf("no broker of %s answered: %w", strings.Join(r.o.Brokers, ","), err)
	}
	m, err := r.o.Admin.BrokerMetadata(ctx)
	if err != nil {
		return "", fmt.Errorf("metadata: %w", err)
	}
	return fmt.Sprintf("%d brokers, cluster %s", len(m.Brokers), m.Cluster), nil
}

func (r *run) topics(ctx context.Context) (string, error) {
	detail := "not checked (no topics file)"
	if r.o.Topics != nil {
		d, err := r.o.Topics(ctx)
		if err != nil {
			return "", err
		}
		detail = d
	}
	// Whatever the file says, the flow needs both topics to exist.
	var md kadm.Metadata
	err := retry(ctx, func() (err error) {
		md, err = r.o.Admin.Metadata(ctx, r.o.Topic, r.o.DLT)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("metadata of %s, %s: %w", r.o.Topic, r.o.DLT, err)
	}
	for _, t := range []string{r.o.Topic, r.o.DLT} {
		if td, ok := md.Topics[t]; !ok || td.Err != nil {
			return "", fmt.Errorf("expected topic %q to exist, saw: %v", t, td.Err)
		}
	}
	r.topicStart, err = r.endOffsets(ctx, r.o.Topic)
	if err != nil {
		return "", err
	}
	r.dltStart, err = r.endOffsets(ctx, r.o.DLT)
	if err != nil {
		return "", err
	}
	return detail, nil
}

// Smoke's waits, from internal/backoff. Its own reads retry at a steady
// 100ms to ride out a broker that just went away; the services' health
// and the consumer group's lag are polled every 50ms, the email logs every
// 10ms.
var (
	readRetry = backoff.Policy{Initial: 100 * time.Millisecond, Multiplier: 1}
	poll      = backoff.Policy{Initial: 50 * time.Millisecond, Multiplier: 1}
)

const pollEmails = 10 * time.Millisecond

// retry calls fn until it succeeds, fails for good or ctx ends, and returns
// fn's last error. Smoke's own reads ride out a broker that just went away:
// the client refreshes its metadata and the next try reaches a live broker.
func retry(ctx context.Context, fn func() error) error {
	return backoff.Retry(ctx, readRetry, missing, fn)
}

// missing reports an error no retry cures: the topic or partition does not
// exist.
func missing(err error) bool {
	var nf *inspect.NotFoundError
	return errors.Is(err, kerr.UnknownTopicOrPartition) || errors.As(err, &nf)
}

func (r *run) endOffsets(ctx context.Context, topic string) (out map[int32]int64, err error) {
	err = retry(ctx, func() error {
		out, err = r.listEnds(ctx, topic)
		return err
	})
	return out, err
}

func (r *run) listEnds(ctx context.Context, topic string) (map[int32]int64, error) {
	ends, err := r.o.Admin.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("end offsets of %q: %w", topic, err)
	}
	out := map[int32]int64{}
	var firstErr error
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil && firstErr == nil {
			firstErr = fmt.Errorf("end offset of %s[%d]: %w", topic, o.Partition, o.Err)
		}
		out[o.Partition] = o.Offset
	})
	return out, firstErr
}

func (r *run) services(ctx context.Context) (string, error) {
	if r.o.StartServices == nil {
		return "", errors.New("no services to test: give --users-url and --email-url, or let smoke start them")
	}
	svc, err := r.o.StartServices(ctx)
	if err != nil {
		return "", fmt.Errorf("start services: %w", err)
	}
	r.svc = svc
	for _, u := range []string{svc.UsersURL, svc.EmailURL} {
		for _, path := range []string{"/healthz", "/readyz"} {
			if err := r.waitOK(ctx, u+path); err != nil {
				return "", err
			}
		}
	}
	return fmt.Sprintf("users %s, email %s", svc.UsersURL, svc.EmailURL), nil
}

// waitOK polls url until it answers 200, bounded by ctx.
func (r *run) waitOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	err = backoff.Retry(ctx, poll, nil, func() error {
		resp, err := r.o.HTTP.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("expected 200 from GET %s, last saw: %v", url, err)
	}
	return nil
}

// signupsInFlight bounds concurrent sign-ups. Smoke measures the path's
// latency, not peak throughput (the services' benchmarks do that): on a
// 2-core machine 16 in flight took no less time than 4 and only queued,
// doubling the p99.
const signupsInFlight = 4

func (r *run) signUp(ctx context.Context) (string, error) {
	r.signups = make([]*signup, r.o.Count)
	for i := range r.signups {
		r.signups[i] = &signup{
			email:    fmt.Sprintf("smoke-%s-%d@kctl.test", r.runID, i),
			name:     fmt.Sprintf("Smoke %s %d", r.runID, i),
			password: "pw-" + randHex(8),
		}
	}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, signupsInFlight)
	)
	for _, s := range r.signups {
		wg.Add(1)
		sem <- struct{}{}
		go func(s *signup) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := r.post(ctx, s); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}(s)
	}
	wg.Wait()
	for _, s := range r.signups {
		if s.id != 0 {
			r.rep.SignedUp++
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return fmt.Sprintf("%d users created", len(r.signups)), nil
}

func (r *run) post(ctx context.Context, s *signup) error {
	body, _ := json.Marshal(map[string]string{"email": s.email, "name": s.name, "password": s.password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.svc.UsersURL+"/api/users", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("POST /api/users: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.o.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("POST /api/users for %s: %w", s.email, err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	s.accepted = time.Now()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST /api/users for %s: expected 201, saw %d %s", s.email, resp.StatusCode, strings.TrimSpace(string(rb)))
	}
	var out struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
	}
	if err := json.Unmarshal(rb, &out); err != nil || out.ID == 0 || out.Email != s.email {
		return fmt.Errorf("POST /api/users for %s: expected {\"id\",\"email\",\"name\"}, saw %s", s.email, rb)
	}
	if bytes.Contains(rb, []byte(s.password)) || bytes.Contains(bytes.ToLower(rb), []byte("password")) {
		return fmt.Errorf("POST /api/users for %s: the response carries password data: %s", s.email, rb)
	}
	s.id = out.ID
	return nil
}

func (r *run) events(ctx context.Context) (string, error) {
	// Matched by email, unique to this run: on a shared cluster other
	// services' users may have the same ids.
	want := map[string]*signup{}
	for _, s := range r.signups {
		want[s.email] = s
	}
	seen := map[int64]int{}
	var bad []string
	err := r.read(ctx, r.o.Topic, r.topicStart, func(rec *kgo.Record) bool {
		var ev map[string]any
		if json.Unmarshal(rec.Value, &ev) != nil {
			return false
		}
		em, _ := ev["email"].(string)
		s, ok := want[em]
		if !ok {
			return false
		}
		if idf, _ := ev["userId"].(float64); int64(idf) != s.id {
			bad = append(bad, fmt.Sprintf("event for %s: expected userId %d, saw %v", s.email, s.id, ev["userId"]))
		}
		seen[s.id]++
		s.published = rec.Timestamp
		if p := passwordData(rec.Value, s.password); p != "" {
			bad = append(bad, fmt.Sprintf("event of user %d carries %s", s.id, p))
		}
		if ev["type"] != "UserSignedUp" || ev["email"] != s.email || ev["name"] != s.name || ev["eventId"] == nil || ev["occurredAt"] == nil {
			bad = append(bad, fmt.Sprintf("event of user %d: expected type UserSignedUp with eventId, userId, email, name, occurredAt; saw %s", s.id, rec.Value))
		}
		if string(rec.Key) != fmt.Sprint(s.id) {
			bad = append(bad, fmt.Sprintf("event of user %d: expected key %d, saw %q", s.id, s.id, rec.Key))
		}
		return len(seen) == len(want)
	})
	if len(bad) > 0 {
		return "", errors.New(strings.Join(bad, "; "))
	}
	if err != nil {
		return "", fmt.Errorf("expected %d UserSignedUp events on %s, saw %d: %w", len(want), r.o.Topic, len(seen), err)
	}
	return fmt.Sprintf("%d events on %s, none with password data", len(seen), r.o.Topic), nil
}

// passwordData names the password data found in an event, or "".
func passwordData(v []byte, password string) string {
	low := bytes.ToLower(v)
	switch {
	case bytes.Contains(v, []byte(password)):
		return "the plaintext password"
	case bytes.Contains(low, []byte("password")) || bytes.Contains(low, []byte(`"hash"`)):
		return "a password field"
	case bytes.Contains(v, []byte("$2a$")) || bytes.Contains(v, []byte("$2b$")) || bytes.Contains(v, []byte("$argon2")):
		return "a password hash"
	}
	return ""
}

// read consumes topic from start (direct partition consumption, no group)
// and calls fn per record until fn returns true or ctx ends.
func (r *run) read(ctx context.Context, topic string, start map[int32]int64, fn func(*kgo.Record) bool) error {
	offs := map[int32]kgo.Offset{}
	for p, o := range start {
		offs[p] = kgo.NewOffset().At(o)
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, r.o.ClientOpts...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offs}))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				ferr = fmt.Errorf("fetch %s[%d]: %w", t, p, err)
			}
		})
		if ferr != nil {
			return ferr
		}
		stop := false
		fs.EachRecord(func(rec *kgo.Record) {
			if !stop && fn(rec) {
				stop = true
			}
		})
		if stop {
			return nil
		}
	}
}

func (r *run) emails(ctx context.Context) (string, error) {
	pending := map[int64]*signup{}
	for _, s := range r.signups {
		pending[s.id] = s
	}
	var lat, pub, del []time.Duration
	dups := 0
	lost := func() (string, error) {
		r.rep.Lost = len(pending)
		r.rep.Duplicated = dups
		r.rep.Latency = Summarize(lat)
		r.rep.Publish, r.rep.Deliver = Summarize(pub), Summarize(del)
		return "", fmt.Errorf("expected an email log for each of %d sign-ups, %d missing (lost) after %s%s", len(r.signups), len(pending), r.o.Timeout, r.groupHint(ctx))
	}
	for len(pending) > 0 {
		for id, s := range pending {
			logs, err := r.emailLogs(ctx, id)
			if err != nil {
				if ctx.Err() != nil {
					return lost()
				}
				return "", err
			}
			var sent []email.LogEntry
			for _, l := range logs {
				if l.Email != s.email {
					continue // another service's user with the same id
				}
				switch l.Status {
				case email.StatusSent:
					sent = append(sent, l)
				case email.StatusFailed:
					return "", fmt.Errorf("expected the welcome email to user %d to be sent, saw it failed: %s", id, l.Error)
				}
			}
			if len(sent) == 0 {
				continue
			}
			dups += len(sent) - 1
			delete(pending, id)
			if at := sent[0].SentAt; at != nil {
				lat = append(lat, nonNeg(at.Sub(s.accepted)))
				if !s.published.IsZero() {
					pub = append(pub, nonNeg(s.published.Sub(s.accepted)))
					del = append(del, nonNeg(at.Sub(s.published)))
				}
			}
		}
		if len(pending) == 0 {
			break
		}
		if !backoff.Sleep(ctx, pollEmails) {
			return lost()
		}
	}
	r.rep.Duplicated = dups
	r.rep.Latency = Summarize(lat)
	r.rep.Publish, r.rep.Deliver = Summarize(pub), Summarize(del)
	if dups > 0 {
		return "", fmt.Errorf("expected one email log per sign-up, saw %d duplicates", dups)
	}
	return fmt.Sprintf("%d emails logged, 0 lost, 0 duplicated", len(r.signups)), nil
}

func nonNeg(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

// groupHint names a likely cause of lost emails when smoke started its own
// email service: other members in its group take some of the partitions,
// so the events reach an email service smoke does not read.
func (r *run) groupHint(ctx context.Context) string {
	if r.svc.Stop == nil {
		return ""
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	groups, err := r.o.Admin.DescribeGroups(dctx, r.o.Group)
	if err != nil {
		return ""
	}
	if g, ok := groups[r.o.Group]; ok && len(g.Members) > 1 {
		return fmt.Sprintf(" — group %s has %d members: another email service shares it; test the deployed services with --users-url/--email-url", r.o.Group, len(g.Members))
	}
	return ""
}

// emailLogs asks the email service for a user's email log: GET
// /api/email-logs answers a JSON list of email.LogEntry.
func (r *run) emailLogs(ctx context.Context, userID int64) ([]email.LogEntry, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/email-logs?userId=%d", r.svc.EmailURL, userID), nil)
	if err != nil {
		return nil, fmt.Errorf("GET /api/email-logs: %w", err)
	}
	resp, err := r.o.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET /api/email-logs?userId=%d: %w", userID, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /api/email-logs?userId=%d: expected 200, saw %d %s", userID, resp.StatusCode, b)
	}
	var logs []email.LogEntry
	if err := json.Unmarshal(b, &logs); err != nil {
		return nil, fmt.Errorf("GET /api/email-logs?userId=%d: expected a JSON list, saw %s: %w", userID, b, err)
	}
	return logs, nil
}

func (r *run) poison(ctx context.Context) (string, error) {
	key := []byte("smoke-poison-" + r.runID)
	rec := &kgo.Record{Topic: r.o.Topic, Key: key, Value: []byte("not json {" + r.runID)}
	if err := r.o.Client.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return "", fmt.Errorf("produce the poison record to %s: %w", r.o.Topic, err)
	}
	var found *kgo.Record
	err := r.read(ctx, r.o.DLT, r.dltStart, func(d *kgo.Record) bool {
		if bytes.Equal(d.Key, key) {
			found = d
			return true
		}
		return false
	})
	if err != nil {
		return "", fmt.Errorf("expected the poison record (key %s, %s[%d]@%d) on %s, not seen: %w", key, rec.Topic, rec.Partition, rec.Offset, r.o.DLT, err)
	}
	info, err := checkDLT(rec, found, r.o.Group)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s[%d]@%d with %s", r.o.DLT, found.Partition, found.Offset, info.ExceptionFQCN), nil
}

// checkDLT checks that got is the dead letter of sent, failed by group: the
// same value and Spring's kafka_dlt-* headers naming where sent was.
func checkDLT(sent, got *kgo.Record, group string) (dlt.Info, error) {
	info, err := dlt.Parse(got.Headers)
	if err != nil {
		// dlt.Parse joins one line per bad header; a step's detail is one line.
		return info, fmt.Errorf("DLT record headers: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if !bytes.Equal(got.Value, sent.Value) {
		return info, fmt.Errorf("DLT record value changed: expected %q, saw %q", sent.Value, got.Value)
	}
	if info.OriginalTopic != sent.Topic {
		return info, fmt.Errorf("%s: expected %q, saw %q", dlt.HeaderOriginalTopic, sent.Topic, info.OriginalTopic)
	}
	if info.OriginalPartition != sent.Partition {
		return info, fmt.Errorf("%s: expected %d, saw %d", dlt.HeaderOriginalPartition, sent.Partition, info.OriginalPartition)
	}
	if info.OriginalOffset != sent.Offset {
		return info, fmt.Errorf("%s: expected %d, saw %d", dlt.HeaderOriginalOffset, sent.Offset, info.OriginalOffset)
	}
	if info.ConsumerGroup != group {
		return info, fmt.Errorf("%s: expected %q, saw %q", dlt.HeaderOriginalConsumerGroup, group, info.ConsumerGroup)
	}
	return info, nil
}

func (r *run) lag(ctx context.Context) (string, error) {
	var detail string
	err := backoff.Retry(ctx, poll, nil, func() (err error) {
		detail, err = r.caughtUp(ctx)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("expected group %s to reach lag 0 on %s, last saw %v", r.o.Group, r.o.Topic, err)
	}
	return detail, nil
}

// caughtUp checks once that the group has committed on the topic and that
// its lag there, as internal/lag defines it, is 0.
func (r *run) caughtUp(ctx context.Context) (string, error) {
	n, err := lag.Total(ctx, r.o.Client, r.o.Group, r.o.Topic)
	var nf *lag.NotFoundError
	switch {
	case errors.As(err, &nf):
		return "", errors.New("group not found")
	case err != nil:
		return "", err
	case n > 0:
		return "", fmt.Errorf("total lag %d", n)
	}
	// lag.Total is 0 also for a group that has not consumed the topic.
	commits, err := r.o.Admin.FetchOffsets(ctx, r.o.Group)
	if err != nil {
		return "", fmt.Errorf("committed offsets of group %s: %w", r.o.Group, err)
	}
	groups, err := r.o.Admin.DescribeGroups(ctx, r.o.Group)
	if err != nil {
		return "", fmt.Errorf("describe group %s: %w", r.o.Group, err)
	}
	state := groups[r.o.Group].State
	committed := false
	for _, c := range commits[r.o.Topic] {
		committed = committed || (c.Err == nil && c.At >= 0)
	}
	if !committed {
		return "", fmt.Errorf("no commits on %s (state %s)", r.o.Topic, state)
	}
	return fmt.Sprintf("group %s: lag 0 on %s (%s)", r.o.Group, r.o.Topic, state), nil
}

func (r *run) health(ctx context.Context) (string, error) {
	var v inspect.TopicsView
	err := retry(ctx, func() (err error) {
		v, err = inspect.DescribeTopics(ctx, r.o.Client, []string{r.o.Topic, r.o.DLT}, inspect.Filter{})
		return err
	})
	if err != nil {
		return "", err
	}
	var bad []string
	n := 0
	for _, t := range v.Topics {
		for _, p := range t.PartitionDetails {
			n++
			if p.UnderReplicated || p.Leaderless || len(p.OfflineReplicas) > 0 {
				bad = append(bad, fmt.Sprintf("%s[%d] %s", t.Name, p.Partition, p.Status()))
			}
		}
	}
	if len(bad) > 0 {
		return "", fmt.Errorf("expected every partition fully replicated with a leader, saw %s", strings.Join(bad, ", "))
	}
	return fmt.Sprintf("%d partitions, ISR = replicas", n), nil
}
