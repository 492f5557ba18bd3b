// Package smoke proves the whole sign-up path on a cluster: topics, the users
// service, the UserSignedUp event, the email service, retries and the
// dead-letter topic, consumer lag and partition health. Run returns a Report;
// the caller decides the exit code from Report.Passed.
package smoke

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"time"

	"github.com/kctl/kctl/internal/platform/backoff"
	"github.com/twmb/franz-go/pkg/kadm"
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
	// TopicsFile is the topics file the Topics hook applies; it names the
	// step ("topics match access.yaml"). "" is topics.yaml.
	TopicsFile string
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
	StepTopics   = "topics match topics.yaml" // with another file: TopicsStepName
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

// TopicsStepName is the topics step's name for the topics file at path:
// "topics match access.yaml" (its base name; StepTopics for "").
func TopicsStepName(path string) string {
	if path == "" {
		return StepTopics
	}
	return "topics match " + filepath.Base(path)
}

// StepsFor lists the steps in run order, the topics step named after the
// topics file at path (see TopicsStepName).
func StepsFor(path string) []string {
	out := slices.Clone(AllSteps)
	out[slices.Index(out, StepTopics)] = TopicsStepName(path)
	return out
}

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
		{TopicsStepName(o.TopicsFile), r.topics, true},
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

// Smoke's waits, from internal/platform/backoff. Its own reads retry at a steady
// 100ms to ride out a broker that just went away; the services' health
// and the consumer group's lag are polled every 50ms, the email logs every
// 10ms.
var (
	readRetry = backoff.Policy{Initial: 100 * time.Millisecond, Multiplier: 1}
	poll      = backoff.Policy{Initial: 50 * time.Millisecond, Multiplier: 1}
)

const pollEmails = 10 * time.Millisecond
