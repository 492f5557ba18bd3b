package email

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/services/dlt"
	"github.com/kctl/kctl/services/event"
	"github.com/twmb/franz-go/pkg/kgo"
)

// syncBuffer is a bytes.Buffer safe for the service's goroutines.
type syncBuffer struct {
	mu chanMutex
	b  bytes.Buffer
}

type chanMutex chan struct{}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.b.String()
}

// TestSecretFieldGoesToDLTAsPolicyViolation: an otherwise valid event that
// carries a password (nested, any case) is dead-lettered at once with the
// policy-violation type named, never sent, never logged with its value.
func TestSecretFieldGoesToDLTAsPolicyViolation(t *testing.T) {
	c := newFlowCluster(t)
	fs := &fakeSender{}
	logs := &syncBuffer{mu: make(chanMutex, 1)}
	cfg := testConfig(t, c, fs)
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := start(t, cfg)
	ev, err := event.New(7, "user7@test.com", "Pat", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ev.Marshal()
	withSecret := append(b[:len(b)-1:len(b)-1], []byte(`,"profile":{"PasswordHash":"hunter2-hash"}}`)...)
	cl := devclustertest.Client(t, c)
	rec := &kgo.Record{Topic: event.Topic, Key: ev.Key(), Value: withSecret}
	if err := cl.ProduceSync(context.Background(), rec).FirstErr(); err != nil {
		t.Fatal(err)
	}
	recs := readDLT(t, c, 1)
	if len(recs) != 1 {
		t.Fatalf("%d DLT records, want 1", len(recs))
	}
	info, err := dlt.Parse(recs[0].Headers)
	if err != nil {
		t.Fatal(err)
	}
	if info.ExceptionFQCN != "github.com/kctl/kctl/services/event.PolicyViolationError" ||
		!strings.Contains(info.ExceptionMessage, `"profile.PasswordHash"`) || strings.Contains(info.ExceptionMessage, "hunter2") {
		t.Errorf("DLT headers = %+v, want a PolicyViolationError naming profile.PasswordHash without its value", info)
	}
	waitFor(t, 10*time.Second, "the policy_violation count", func() bool {
		return metric(t, r.url, `kctl_email_dead_lettered_total{reason="policy_violation"}`) == "1"
	})
	if fs.sentCount() != 0 || fs.attempts(ev.EventID) != 0 {
		t.Errorf("the event carrying a password reached the sender")
	}
	if got := getLogs(t, r.url, ""); len(got) != 0 {
		t.Errorf("email log = %+v, want nothing", got)
	}
	if strings.Contains(logs.String(), "hunter2") {
		t.Errorf("the service's log shows the secret's value:\n%s", logs.String())
	}
}
