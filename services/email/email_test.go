package email

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/kctl/kctl/internal/platform/testnet"
	"github.com/kctl/kctl/services/dlt"
	"github.com/kctl/kctl/services/event"
	"github.com/kctl/kctl/services/internal/svc/svctest"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func newCluster(t testing.TB, opts ...kfake.Opt) *devcluster.Cluster {
	return devclustertest.New(t, opts...)
}

// newFlowCluster starts a cluster with user.signed-up (3 partitions) and its
// dead-letter topic (1 partition).
func newFlowCluster(t testing.TB) *devcluster.Cluster {
	t.Helper()
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, event.Topic, 3, nil)
	devclustertest.CreateTopic(t, adm, event.DLTTopic(event.Topic), 1, nil)
	return c
}

// fakeSender records every send; fail decides an attempt's error.
type fakeSender struct {
	mu    sync.Mutex
	calls map[string]int // event id → attempts
	sent  []Message
	fail  func(m Message, attempt int) error
	delay time.Duration
}

func (f *fakeSender) Send(ctx context.Context, m Message) error {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[m.EventID]++
	n := f.calls[m.EventID]
	fail := f.fail
	f.mu.Unlock()
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if fail != nil {
		if err := fail(m, n); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.sent = append(f.sent, m)
	f.mu.Unlock()
	return nil
}

func (f *fakeSender) attempts(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[id]
}

func (f *fakeSender) sentCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

type running struct {
	s      *Service
	url    string
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

func (r *running) stop(t testing.TB) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		if r.err != nil {
			t.Fatalf("Run: %v", r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("email service did not stop within 30s")
	}
}

func testConfig(t testing.TB, c *devcluster.Cluster, s Sender) Config {
	return Config{
		DBPath:          filepath.Join(t.TempDir(), "email.db"),
		Brokers:         c.Brokers(),
		Sender:          s,
		Backoff:         10 * time.Millisecond,
		MaxBackoff:      100 * time.Millisecond,
		Logger:          slog.New(slog.DiscardHandler),
		ShutdownTimeout: 20 * time.Second,
	}
}

func start(t testing.TB, cfg Config) *running {
	t.Helper()
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("email.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{s: s, url: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan struct{})}
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

// produce publishes events.
func produce(t testing.TB, c *devcluster.Cluster, evs ...event.UserSignedUp) {
	t.Helper()
	cl := devclustertest.Client(t, c, kgo.DefaultProduceTopic(event.Topic))
	var recs []*kgo.Record
	for _, ev := range evs {
		b, _ := ev.Marshal()
		recs = append(recs, &kgo.Record{Key: ev.Key(), Value: b})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce events: %v", err)
	}
}

// produceEvents publishes n UserSignedUp events for users first..first+n-1
// and returns them.
func produceEvents(t testing.TB, c *devcluster.Cluster, first int64, n int) []event.UserSignedUp {
	t.Helper()
	cl := devclustertest.Client(t, c, kgo.DefaultProduceTopic(event.Topic))
	var out []event.UserSignedUp
	var recs []*kgo.Record
	for i := int64(0); i < int64(n); i++ {
		id := first + i
		ev, err := event.New(id, fmt.Sprintf("user%d@test.com", id), fmt.Sprintf("이름%d", id), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := ev.Marshal()
		out = append(out, ev)
		recs = append(recs, &kgo.Record{Key: ev.Key(), Value: b})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce events: %v", err)
	}
	return out
}

func getLogs(t testing.TB, url, query string) []LogEntry {
	t.Helper()
	resp, err := http.Get(url + "/api/email-logs" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /api/email-logs%s = %d %s", query, resp.StatusCode, b)
	}
	var out []LogEntry
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return out
}

// waitFor polls cond every 10ms until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func metric(t testing.TB, url, name string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, name+" ") {
			return strings.TrimPrefix(line, name+" ")
		}
	}
	return ""
}

// readDLT reads n records of the dead-letter topic.
func readDLT(t testing.TB, c *devcluster.Cluster, n int) []*kgo.Record {
	t.Helper()
	cl := devclustertest.Client(t, c, kgo.ConsumeTopics(event.DLTTopic(event.Topic)), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n && ctx.Err() == nil {
		out = append(out, cl.PollFetches(ctx).Records()...)
	}
	return out
}

// committed returns the group's committed offsets on topic by partition.
func committed(t testing.TB, c *devcluster.Cluster, group, topic string) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := devclustertest.Admin(t, c).FetchOffsets(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.Err == nil {
			out[o.Partition] = o.At
		}
	})
	return out
}

func endOffsets(t testing.TB, c *devcluster.Cluster, topic string) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lo, err := devclustertest.Admin(t, c).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	lo.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

func TestEventSendsOneEmailAndLogsIt(t *testing.T) {
	c := newFlowCluster(t)
	fs := &fakeSender{}
	r := start(t, testConfig(t, c, fs))
	evs := produceEvents(t, c, 7, 1)

	waitFor(t, 15*time.Second, "the email log", func() bool { return len(getLogs(t, r.url, "?userId=7")) == 1 })
	logs := getLogs(t, r.url, "?userId=7")
	l := logs[0]
	if l.EventID != evs[0].EventID || l.Status != StatusSent || l.Attempts != 1 || l.Email != "user7@test.com" || l.SentAt == nil {
		t.Errorf("log = %+v", l)
	}
	if l.Subject != "이름7님, 회원 가입을 축하드립니다!" {
		t.Errorf("subject = %q, want the default template filled", l.Subject)
	}
	if n := fs.attempts(evs[0].EventID); n != 1 {
		t.Errorf("sender called %d times, want 1", n)
	}
	if got := getLogs(t, r.url, "?userId=8"); len(got) != 0 {
		t.Errorf("logs of user 8 = %v, want none", got)
	}
	if m := fs.sent[0]; m.To != "user7@test.com" || !strings.Contains(m.Body, "이름7") {
		t.Errorf("message = %+v", m)
	}
	r.stop(t)
	got := committed(t, c, event.ConsumerGroup, event.Topic)
	for p, end := range endOffsets(t, c, event.Topic) {
		if end > 0 && got[p] != end {
			t.Errorf("partition %d: committed %d, want the end %d", p, got[p], end)
		}
	}
}

func TestRetryThenSuccessLogsOnce(t *testing.T) {
	c := newFlowCluster(t)
	fs := &fakeSender{fail: func(_ Message, attempt int) error {
		if attempt <= 2 {
			return fmt.Errorf("provider unavailable (attempt %d)", attempt)
		}
		return nil
	}}
	r := start(t, testConfig(t, c, fs))
	evs := produceEvents(t, c, 1, 1)
	waitFor(t, 15*time.Second, "the email log", func() bool { return len(getLogs(t, r.url, "?status=sent")) == 1 })
	logs := getLogs(t, r.url, "")
	if len(logs) != 1 || logs[0].Attempts != 3 || logs[0].EventID != evs[0].EventID {
		t.Fatalf("logs = %+v, want one sent row after 3 attempts", logs)
	}
	if n := fs.attempts(evs[0].EventID); n != 3 {
		t.Errorf("sender called %d times, want 3", n)
	}
	if v := metric(t, r.url, "kctl_email_send_retries_total"); v != "2" {
		t.Errorf("retries = %q, want 2", v)
	}
	if v := metric(t, r.url, "kctl_email_emails_sent_total"); v != "1" {
		t.Errorf("sent = %q, want 1", v)
	}
	if v := metric(t, r.url, `kctl_email_dead_lettered_total{reason="send_failed"}`); v != "0" {
		t.Errorf("dead lettered = %q, want 0", v)
	}
}

func TestAlwaysFailingSendGoesToDLTWithSpringHeaders(t *testing.T) {
	c := newFlowCluster(t)
	fs := &fakeSender{fail: func(Message, int) error { return errors.New("smtp 451: try again later") }}
	cfg := testConfig(t, c, fs)
	cfg.MaxAttempts = 3
	r := start(t, cfg)
	evs := produceEvents(t, c, 42, 1)

	recs := readDLT(t, c, 1)
	if len(recs) != 1 {
		t.Fatalf("%d records on the DLT, want 1", len(recs))
	}
	d := recs[0]
	orig, _ := evs[0].Marshal()
	if string(d.Key) != "42" || !bytes.Equal(d.Value, orig) {
		t.Errorf("DLT record key %q value %s, want the original's", d.Key, d.Value)
	}
	info, err := dlt.Parse(d.Headers)
	if err != nil {
		t.Fatalf("DLT headers: %v", err)
	}
	if info.OriginalTopic != event.Topic || info.OriginalOffset != 0 || info.ConsumerGroup != "email-service" ||
		info.OriginalTimestampType != "CreateTime" || info.OriginalTimestamp.IsZero() {
		t.Errorf("DLT origin = %+v", info)
	}
	if info.ExceptionFQCN != "github.com/kctl/kctl/services/email.SendError" || !strings.Contains(info.ExceptionMessage, "after 3 attempt(s): smtp 451") {
		t.Errorf("DLT exception = %q %q", info.ExceptionFQCN, info.ExceptionMessage)
	}
	if n := fs.attempts(evs[0].EventID); n != 3 {
		t.Errorf("sender called %d times, want max attempts 3", n)
	}
	waitFor(t, 10*time.Second, "the failed log row", func() bool { return len(getLogs(t, r.url, "?status=failed")) == 1 })
	if l := getLogs(t, r.url, "")[0]; l.Attempts != 3 || !strings.Contains(l.Error, "451") {
		t.Errorf("log = %+v", l)
	}
	// Offsets move on, and the dead-letter listener saw it.
	waitFor(t, 10*time.Second, "the commit past the failed record", func() bool {
		return committed(t, c, event.ConsumerGroup, event.Topic)[info.OriginalPartition] == info.OriginalOffset+1
	})
	waitFor(t, 10*time.Second, "the dead-letter listener", func() bool {
		return metric(t, r.url, "kctl_email_dead_letters_received_total") == "1"
	})
	if v := metric(t, r.url, "kctl_email_send_retries_total"); v != "2" {
		t.Errorf("retries = %q, want 2", v)
	}
	if v := metric(t, r.url, `kctl_email_dead_lettered_total{reason="send_failed"}`); v != "1" {
		t.Errorf("dead lettered = %q, want 1", v)
	}
}

func sumCommitted(m map[int32]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func TestUnparseableRecordGoesToDLTAtOnce(t *testing.T) {
	c := newFlowCluster(t)
	fs := &fakeSender{}
	r := start(t, testConfig(t, c, fs))
	cl := devclustertest.Client(t, c)
	poison := &kgo.Record{Topic: event.Topic, Key: []byte("poison"), Value: []byte("not json"),
		Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("abc")}}}
	if err := cl.ProduceSync(context.Background(), poison).FirstErr(); err != nil {
		t.Fatal(err)
	}
	recs := readDLT(t, c, 1)
	if len(recs) != 1 {
		t.Fatalf("%d DLT records, want 1", len(recs))
	}
	d := recs[0]
	if string(d.Key) != "poison" || string(d.Value) != "not json" {
		t.Errorf("DLT record = %q %q", d.Key, d.Value)
	}
	if len(d.Headers) == 0 || d.Headers[0].Key != "trace" {
		t.Errorf("original headers not kept first: %v", d.Headers)
	}
	info, err := dlt.Parse(d.Headers)
	if err != nil {
		t.Fatal(err)
	}
	if info.ExceptionFQCN != "github.com/kctl/kctl/services/event.ParseError" || info.OriginalPartition != poison.Partition ||
		info.OriginalOffset != poison.Offset || !strings.Contains(info.ExceptionMessage, "invalid JSON") {
		t.Errorf("DLT headers = %+v", info)
	}
	if fs.sentCount() != 0 {
		t.Errorf("a poison record was sent")
	}
	if v := metric(t, r.url, "kctl_email_send_retries_total"); v != "0" {
		t.Errorf("retries = %q, want 0: a poison record is not retried", v)
	}
	waitFor(t, 10*time.Second, "the commit past the poison record", func() bool {
		return committed(t, c, event.ConsumerGroup, event.Topic)[poison.Partition] == poison.Offset+1
	})
	if logs := getLogs(t, r.url, ""); len(logs) != 0 {
		t.Errorf("logs = %v, want none", logs)
	}
}

func TestRedeliveryNeverSendsOrLogsTwice(t *testing.T) {
	c := newFlowCluster(t)
	fs := &fakeSender{}
	cfg := testConfig(t, c, fs)
	r := start(t, cfg)
	evs := produceEvents(t, c, 1, 30)
	waitFor(t, 15*time.Second, "30 logs", func() bool { return len(getLogs(t, r.url, "")) == 30 })
	r.stop(t)

	// Offsets not committed: rewind the group to the start, as if the
	// service had died before committing.
	ctx := context.Background()
	adm := devclustertest.Admin(t, c)
	offs := kadm.Offsets{}
	for p := range endOffsets(t, c, event.Topic) {
		offs.Add(kadm.Offset{Topic: event.Topic, Partition: p, At: 0, LeaderEpoch: -1})
	}
	if resp, err := adm.CommitOffsets(ctx, event.ConsumerGroup, offs); err != nil || resp.Error() != nil {
		t.Fatalf("rewind group: %v %v", err, resp.Error())
	}

	r2 := start(t, cfg) // same database
	more := produceEvents(t, c, 31, 1)
	waitFor(t, 15*time.Second, "the new event's log", func() bool { return len(getLogs(t, r2.url, "?userId=31")) == 1 })
	waitFor(t, 15*time.Second, "the redelivered events to be skipped", func() bool {
		return metric(t, r2.url, "kctl_email_duplicates_skipped_total") == "30"
	})
	logs := getLogs(t, r2.url, "")
	if len(logs) != 31 {
		t.Fatalf("%d log rows, want 31 (30 + the new one)", len(logs))
	}
	seen := map[string]bool{}
	for _, l := range logs {
		if seen[l.EventID] {
			t.Errorf("event %s logged twice", l.EventID)
		}
		seen[l.EventID] = true
	}
	for _, ev := range append(evs, more...) {
		if n := fs.attempts(ev.EventID); n != 1 {
			t.Errorf("event of user %d sent %d times, want 1", ev.UserID, n)
		}
	}
}

func TestRetryDoesNotBlockOtherPartitions(t *testing.T) {
	c := newFlowCluster(t)
	var slowID string
	var mu sync.Mutex
	fs := &fakeSender{fail: func(m Message, _ int) error {
		mu.Lock()
		defer mu.Unlock()
		if m.EventID == slowID {
			return errors.New("mailbox busy")
		}
		return nil
	}}
	cfg := testConfig(t, c, fs)
	cfg.Backoff = time.Second
	cfg.MaxBackoff = 10 * time.Second
	cfg.MaxAttempts = 5 // 1s+2s+4s+8s of waits: ~15s before the DLT
	r := start(t, cfg)
	slow, err := event.New(1, "user1@test.com", "이름1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	slowID = slow.EventID
	mu.Unlock()
	first := []event.UserSignedUp{slow}
	produce(t, c, first...)
	waitFor(t, 10*time.Second, "the first failed attempt", func() bool { return fs.attempts(slowID) >= 1 })
	// 30 users spread over all partitions; the ones on the blocked
	// partition wait, the others must be sent meanwhile.
	evs := produceEvents(t, c, 2, 30)
	slowPart := partitionOf(t, c, first[0])
	others := 0
	for _, ev := range evs {
		if partitionOf(t, c, ev) != slowPart {
			others++
		}
	}
	if others == 0 {
		t.Fatal("all events landed on one partition; the test proves nothing")
	}
	waitFor(t, 5*time.Second, "the other partitions' emails", func() bool {
		return len(getLogs(t, r.url, "?status=sent")) >= others
	})
	if n := fs.attempts(slowID); n >= 5 {
		t.Fatalf("the slow event already used all %d attempts; the timing proves nothing", n)
	}
	if l := getLogs(t, r.url, "?userId=1"); len(l) != 0 {
		t.Errorf("slow event log = %+v, want none while it is retried", l)
	}
}

// partitionOf finds the partition an event landed on.
func partitionOf(t testing.TB, c *devcluster.Cluster, ev event.UserSignedUp) int32 {
	t.Helper()
	cl := devclustertest.Client(t, c, kgo.ConsumeTopics(event.Topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		for _, r := range cl.PollFetches(ctx).Records() {
			if e, err := event.Parse(r.Value); err == nil && e.EventID == ev.EventID {
				return r.Partition
			}
		}
	}
	t.Fatalf("event %s not found", ev.EventID)
	return -1
}

func TestGracefulShutdownFinishesInFlightAndCommits(t *testing.T) {
	c := newFlowCluster(t)
	fs := &fakeSender{delay: 300 * time.Millisecond}
	cfg := testConfig(t, c, fs)
	cfg.Concurrency = 1
	r := start(t, cfg)
	produceEvents(t, c, 1, 20)
	waitFor(t, 10*time.Second, "a send in flight", func() bool {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		return len(fs.calls) >= 1
	})
	r.stop(t)
	fs.mu.Lock()
	calls := len(fs.calls)
	sent := len(fs.sent)
	fs.mu.Unlock()
	if calls != sent {
		t.Errorf("%d sends started but %d finished: in-flight sends must finish", calls, sent)
	}
	if sent == 20 {
		t.Fatal("everything was sent before the stop; the test proves nothing")
	}
	// Every finished send is committed; nothing else is.
	got := committed(t, c, event.ConsumerGroup, event.Topic)
	if sumCommitted(got) != int64(sent) {
		t.Errorf("committed %d records (%v), want the %d sent", sumCommitted(got), got, sent)
	}
}

func TestStartupErrors(t *testing.T) {
	c := newFlowCluster(t)
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"database directory missing", func(c *Config) { c.DBPath = "/nonexistent/dir/email.db" }, "directory /nonexistent/dir does not exist"},
		{"multiplier below 1", func(c *Config) { c.BackoffMultiplier = 0.5 }, "--backoff-multiplier 0.5"},
		{"unknown placeholder", func(c *Config) { c.SubjectTemplate = "Hi {nmae}" }, "unknown placeholder {nmae}"},
		{"negative concurrency", func(c *Config) { c.Concurrency = -1 }, "--concurrency -1"},
		{"max backoff below backoff", func(c *Config) { c.Backoff = time.Minute; c.MaxBackoff = time.Second }, "--max-backoff 1s is below --backoff 1m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, c, &fakeSender{})
			tc.mod(&cfg)
			_, err := New(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	t.Run("no brokers answer", func(t *testing.T) {
		addr := testnet.RefusedAddr(t)
		cfg := testConfig(t, c, &fakeSender{})
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
}

func TestAPIAndProbes(t *testing.T) {
	c := newFlowCluster(t)
	r := start(t, testConfig(t, c, &fakeSender{}))
	for _, q := range []string{"?userId=abc", "?userId=-1", "?status=lost", "?limit=0", "?limit=x"} {
		resp, err := http.Get(r.url + "/api/email-logs" + q)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(b), `"field"`) {
			t.Errorf("GET /api/email-logs%s = %d %s, want 400 naming the field", q, resp.StatusCode, b)
		}
	}
	if got := getLogs(t, r.url, ""); got == nil || len(got) != 0 {
		t.Errorf("empty log = %#v, want []", got)
	}
	resp, err := http.Get(r.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"kafka":"ok"`) || !strings.Contains(string(b), `"database":"ok"`) {
		t.Errorf("/readyz = %d %s", resp.StatusCode, b)
	}
	for _, name := range []string{"kctl_email_emails_sent_total", "kctl_email_send_retries_total", "kctl_email_dead_letters_received_total",
		`kctl_email_dead_lettered_total{reason="unparseable"}`, "kctl_email_processing_seconds_count", "kctl_email_event_to_email_seconds_count"} {
		if metric(t, r.url, name) == "" {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}
