package smoke

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/internal/platform/testnet"
	"github.com/kctl/kctl/services/email"
	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func newCluster(t *testing.T, opts ...kfake.Opt) *devcluster.Cluster {
	return devclustertest.New(t, opts...)
}

// repoTopics is the repository's own topics.yaml.
func repoTopics(t *testing.T) *topology.File {
	t.Helper()
	f, diags, err := topology.Load("../topics.yaml")
	if err == nil {
		err = diags.Err()
	}
	if err != nil {
		t.Fatal(err)
	}
	return f
}

type fixture struct {
	opts Options
	cl   *kgo.Client
}

func setup(t *testing.T, brokers []string, file *topology.File, noApply bool) *fixture {
	t.Helper()
	return setupTB(t, brokers, file, noApply)
}

func newClusterB(b *testing.B) *devcluster.Cluster { return devclustertest.New(b) }

func setupB(b *testing.B, brokers []string) *fixture {
	f, diags, err := topology.Load("../topics.yaml")
	if err == nil {
		err = diags.Err()
	}
	if err != nil {
		b.Fatal(err)
	}
	return setupTB(b, brokers, f, false)
}

func setupTB(t testing.TB, brokers []string, file *topology.File, noApply bool) *fixture {
	kopts := []kgo.Opt{kgo.SeedBrokers(brokers...)}
	cl, err := kgo.NewClient(append(kopts, kgo.RetryTimeout(3*time.Second), kgo.MetadataMinAge(250*time.Millisecond))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	fx := &fixture{cl: cl}
	fx.opts = Options{
		Client: cl, Admin: kadm.NewClient(cl), ClientOpts: kopts, Brokers: brokers,
		Count: 3, Timeout: 5 * time.Second,
		Topics: TopicsStep(cl, file, TopicsOptions{NoApply: noApply}),
		StartServices: func(ctx context.Context) (Services, error) {
			return StartInProcess(ctx, InProcess{Brokers: brokers, ConnectTimeout: 5 * time.Second})
		},
	}
	return fx
}

func runSmoke(t *testing.T, o Options) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return Run(ctx, o)
}

// wantFailAt asserts the run failed at step name with a detail containing
// want, every earlier step passed, and the dependent later steps skipped.
func wantFailAt(t *testing.T, rep *Report, name, want string) {
	t.Helper()
	if rep.Passed {
		t.Fatalf("smoke passed; want a failure at %q", name)
	}
	seen := false
	for _, s := range rep.Steps {
		switch {
		case s.Name == name:
			seen = true
			if s.Passed || s.Skipped || !strings.Contains(s.Detail, want) {
				t.Errorf("step %q: passed=%v skipped=%v detail %q; want a failure containing %q", s.Name, s.Passed, s.Skipped, s.Detail, want)
			}
		case !seen && !s.Passed:
			t.Errorf("step %q before %q failed: %s", s.Name, name, s.Detail)
		case seen && s.Name != StepHealth && !s.Skipped:
			t.Errorf("step %q after the failure ran; want it skipped", s.Name)
		}
	}
	if !seen {
		t.Fatalf("no step %q in %+v", name, rep.Steps)
	}
}

func TestSmokePasses(t *testing.T) {
	c := newCluster(t)
	fx := setup(t, c.Brokers(), repoTopics(t), false)
	rep := runSmoke(t, fx.opts)
	if !rep.Passed {
		t.Fatalf("smoke failed: %+v", rep.Failed())
	}
	if len(rep.Steps) != len(AllSteps) || rep.Lost != 0 || rep.Duplicated != 0 || rep.Latency.N != 3 {
		t.Errorf("report = %+v; want %d steps, 0 lost, 0 duplicated, 3 latency samples", rep, len(AllSteps))
	}
	for i, s := range rep.Steps {
		if s.Name != AllSteps[i] || !s.Passed {
			t.Errorf("step %d = %+v, want %q passed", i, s, AllSteps[i])
		}
	}
	// A second run against the same cluster: topics already match, old
	// events and emails do not confuse it.
	rep = runSmoke(t, setup(t, c.Brokers(), repoTopics(t), true).opts)
	if !rep.Passed || !strings.Contains(rep.Steps[1].Detail, "2 topics match") {
		t.Fatalf("second run: passed=%v steps %+v", rep.Passed, rep.Steps)
	}
}

type blockingSender struct{}

func (blockingSender) Send(ctx context.Context, _ email.Message) error {
	<-ctx.Done()
	return ctx.Err()
}

// An email service that never gets an email out: the group never catches up.
func TestSmokeEmailNotConsuming(t *testing.T) {
	c := newCluster(t)
	fx := setup(t, c.Brokers(), repoTopics(t), false)
	// The email step waits the whole timeout before it reports the emails
	// lost; every step before it must finish within it too, on a busy
	// machine (starting both services took over 2s under load).
	fx.opts.Timeout = 8 * time.Second
	fx.opts.StartServices = func(ctx context.Context) (Services, error) {
		return StartInProcess(ctx, InProcess{Brokers: c.Brokers(), Email: func(cfg *email.Config) {
			cfg.Sender = blockingSender{}
			cfg.ShutdownTimeout = 500 * time.Millisecond
		}})
	}
	rep := runSmoke(t, fx.opts)
	wantFailAt(t, rep, StepEmails, "expected an email log for each of 3 sign-ups, 3 missing (lost)")
	if rep.Lost != 3 {
		t.Errorf("lost = %d, want 3", rep.Lost)
	}
}

func TestSmokeDLTMissing(t *testing.T) {
	c := newCluster(t)
	file, diags := topology.Parse("nodlt.yaml", []byte("topics:\n  - {name: user.signed-up, partitions: 3, replicationFactor: 3}\n"))
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	rep := runSmoke(t, setup(t, c.Brokers(), file, false).opts)
	wantFailAt(t, rep, StepTopics, `expected topic "user.signed-up.dlt" to exist`)
}

func TestSmokeWrongPartitionsNoApply(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "user.signed-up", 2, nil)
	devclustertest.CreateTopic(t, adm, "user.signed-up.dlt", 1, nil)
	rep := runSmoke(t, setup(t, c.Brokers(), repoTopics(t), true).opts)
	wantFailAt(t, rep, StepTopics, "expected the cluster to match ../topics.yaml (--no-apply), saw differences: update user.signed-up (partitions 2 → 3")
	// --no-apply changed nothing.
	md, err := adm.Metadata(context.Background(), "user.signed-up")
	if err != nil || len(md.Topics["user.signed-up"].Partitions) != 2 {
		t.Errorf("user.signed-up partitions after --no-apply: %d (%v), want 2", len(md.Topics["user.signed-up"].Partitions), err)
	}
}

func TestSmokeUnreachable(t *testing.T) {
	addr := testnet.RefusedAddr(t)
	fx := setup(t, []string{addr}, repoTopics(t), false)
	fx.opts.Timeout = time.Second
	rep := runSmoke(t, fx.opts)
	wantFailAt(t, rep, StepConnect, "no broker of "+addr+" answered")
	if last := rep.Steps[len(rep.Steps)-1]; last.Name != StepHealth || !last.Skipped {
		t.Errorf("health step after a failed connect: %+v, want skipped", last)
	}
}

// The relay cannot publish: the sign-ups are accepted, but no event appears.
func TestSmokeProduceFault(t *testing.T) {
	c := newCluster(t)
	fx := setup(t, c.Brokers(), repoTopics(t), false)
	fx.opts.Timeout = 5 * time.Second // bounds the services' start too: generous for a busy machine
	inner := fx.opts.Topics
	fx.opts.Topics = func(ctx context.Context) (string, error) {
		d, err := inner(ctx)
		c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "user.signed-up", Count: -1})
		return d, err
	}
	rep := runSmoke(t, fx.opts)
	wantFailAt(t, rep, StepEvents, "expected 3 UserSignedUp events on user.signed-up, saw 0")
}

// One broker dies during the run, after the topics are in place (not the
// controller, whose loss breaks kfake's admin calls): its listener is gone
// and its open connections are dropped. The producer, the consumer group
// and smoke's own clients move to the other two brokers, and smoke passes.
//
// kfake then reports replicas on the two live brokers with ISR = replicas;
// a real cluster would keep the replica set and report the partitions
// under-replicated, which the health step flags by design.
func TestSmokeOneBrokerDown(t *testing.T) {
	c := newCluster(t)
	fx := setup(t, c.Brokers(), repoTopics(t), false)
	const down = 1
	inner := fx.opts.Topics
	fx.opts.Topics = func(ctx context.Context) (string, error) {
		d, err := inner(ctx)
		if err != nil {
			return d, err
		}
		if err := c.RemoveNode(down); err != nil {
			return "", err
		}
		c.Control(func(kmsg.Request) (kmsg.Response, error, bool) {
			c.KeepControl()
			if c.CurrentNode() == down {
				return nil, errors.New("broker 1 is down"), true
			}
			return nil, nil, false
		})
		return d, nil
	}
	rep := runSmoke(t, fx.opts)
	if !rep.Passed {
		t.Fatalf("smoke with one broker down failed: %+v", rep.Failed())
	}
	if n := len(c.ListenAddrs()); n != 2 {
		t.Fatalf("%d brokers listen, want 2", n)
	}
}

func TestSmokeInterrupted(t *testing.T) {
	c := newCluster(t)
	fx := setup(t, c.Brokers(), repoTopics(t), false)
	ctx, cancel := context.WithCancel(context.Background())
	fx.opts.Progress = func(s Step) {
		if s.Name == StepServices {
			cancel()
		}
	}
	rep := Run(ctx, fx.opts)
	if rep.Passed {
		t.Fatal("an interrupted run passed")
	}
	for _, s := range rep.Steps[3:] {
		if !s.Skipped || s.Detail != "skipped: interrupted" {
			t.Errorf("step %q after Ctrl-C: %+v, want skipped: interrupted", s.Name, s)
		}
	}
}

// Another member in the email-service group takes some partitions: their
// events never reach smoke's email service, and the failure says why.
func TestSmokeGroupShared(t *testing.T) {
	c := newCluster(t)
	fx := setup(t, c.Brokers(), repoTopics(t), false)
	if _, err := fx.opts.Topics(context.Background()); err != nil {
		t.Fatal(err)
	}
	other := devclustertest.Client(t, c, kgo.ConsumerGroup("email-service"), kgo.ConsumeTopics("user.signed-up"), kgo.DisableAutoCommit())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			other.PollFetches(ctx) // consumes, never commits, never logs
		}
	}()
	fx.opts.Count = 12
	fx.opts.Timeout = 6 * time.Second // bounds the services' start too: generous for a busy machine
	rep := runSmoke(t, fx.opts)
	wantFailAt(t, rep, StepEmails, "group email-service has 2 members: another email service shares it")
}
