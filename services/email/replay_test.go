package email

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/services/dlt"
	"github.com/kctl/kctl/services/event"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The manual reprocessing of dead letters, end to end: the SMTP sender
// fails until it is fixed, the events reach the DLT, `kctl dlt replay
// --execute` (dlt.PlanReplay, dlt.ExecuteReplay) brings them back, and each is emailed and logged
// exactly once.

// brokenSender fails every send until fixed.
func brokenSender() (*fakeSender, *atomic.Bool) {
	var fixed atomic.Bool
	return &fakeSender{fail: func(Message, int) error {
		if !fixed.Load() {
			return errors.New("smtp 421: service not available")
		}
		return nil
	}}, &fixed
}

func replayOpts(c *devcluster.Cluster) dlt.ReplayOptions {
	return dlt.ReplayOptions{DLT: event.DLTTopic(event.Topic),
		ClientOpts: []kgo.Opt{kgo.SeedBrokers(c.Brokers()...)}}
}

// replay plans and executes a replay (kctl dlt replay --yes).
func replay(ctx context.Context, cl *kgo.Client, o dlt.ReplayOptions) (*dlt.ReplayPlan, error) {
	plan, err := dlt.PlanReplay(ctx, cl, o)
	if err != nil {
		return nil, err
	}
	return dlt.ExecuteReplay(ctx, cl, plan)
}

// deadLettered starts the service with a broken sender, publishes n
// events and waits until all n are dead-lettered and logged failed.
func deadLettered(t *testing.T, c *devcluster.Cluster, n int) (*running, *fakeSender, *atomic.Bool, []event.UserSignedUp) {
	t.Helper()
	fs, fixed := brokenSender()
	cfg := testConfig(t, c, fs)
	cfg.MaxAttempts = 2
	r := start(t, cfg)
	evs := produceEvents(t, c, 100, n)
	if got := readDLT(t, c, n); len(got) != n {
		t.Fatalf("%d dead letters, want %d", len(got), n)
	}
	waitFor(t, 15*time.Second, "the failed log rows", func() bool { return len(getLogs(t, r.url, "?status=failed")) == n })
	if fs.sentCount() != 0 {
		t.Fatalf("%d emails sent by a broken sender", fs.sentCount())
	}
	return r, fs, fixed, evs
}

// sentOnce checks every event was emailed exactly once and logged sent.
func sentOnce(t *testing.T, r *running, fs *fakeSender, evs []event.UserSignedUp) {
	t.Helper()
	waitFor(t, 20*time.Second, "the replayed emails", func() bool { return len(getLogs(t, r.url, "?status=sent")) == len(evs) })
	fs.mu.Lock()
	per := map[string]int{}
	for _, m := range fs.sent {
		per[m.EventID]++
	}
	fs.mu.Unlock()
	for _, ev := range evs {
		if per[ev.EventID] != 1 {
			t.Errorf("event %s emailed %d times, want once", ev.EventID, per[ev.EventID])
		}
	}
	if logs := getLogs(t, r.url, ""); len(logs) != len(evs) {
		t.Errorf("%d log rows, want %d (one per event)", len(logs), len(evs))
	}
}

func TestDLTReplayEmailsEachOnce(t *testing.T) {
	c := newFlowCluster(t)
	const n = 5
	r, fs, fixed, evs := deadLettered(t, c, n)

	cl := devclustertest.Client(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	plan, err := dlt.PlanReplay(ctx, cl, replayOpts(c))
	if err != nil || len(plan.Records) != n || plan.Records[0].Info.ExceptionFQCN != "github.com/kctl/kctl/services/email.SendError" {
		t.Fatalf("dry run: %v, %+v", err, plan)
	}

	fixed.Store(true)
	plan, err = replay(ctx, cl, replayOpts(c))
	if err != nil || plan.Replayed != n {
		t.Fatalf("replay: %v, replayed %d; want %d", err, plan.Replayed, n)
	}
	sentOnce(t, r, fs, evs)

	// A second replay sends nothing.
	before := sumCommitted(endOffsets(t, c, event.Topic))
	plan, err = replay(ctx, cl, replayOpts(c))
	if err != nil || plan.Replayed != 0 || len(plan.Records) != 0 {
		t.Fatalf("second replay: %v, %+v; want nothing", err, plan)
	}
	// (The end offsets count the replay's transaction markers too.)
	after := sumCommitted(endOffsets(t, c, event.Topic))
	if after != before {
		t.Fatalf("%s end offsets sum to %d after the second replay (%d before): it wrote", event.Topic, after, before)
	}
	// Each partition may end with a commit marker the consumer's commit
	// does not cover: the consumer is at the end within one per partition.
	markers := int64(len(endOffsets(t, c, event.Topic)))
	waitFor(t, 15*time.Second, "the consumer to reach the end", func() bool {
		return sumCommitted(committed(t, c, event.ConsumerGroup, event.Topic))+markers >= after
	})
	if fs.sentCount() != n {
		t.Fatalf("%d emails sent, want %d", fs.sentCount(), n)
	}
}

// A replay whose progress commit fails (as when the process dies between
// the produce and the commit) aborts its transaction: the email service,
// reading read_committed, never sees those records; the next run replays
// them and each event is emailed once, with no duplicate on the topic.
func TestDLTReplayCrashBeforeCommitEmailsOnce(t *testing.T) {
	c := newFlowCluster(t)
	const n = 4
	r, fs, fixed, evs := deadLettered(t, c, n)
	fixed.Store(true)

	// The first replay's progress commit fails, after the produce.
	c.ControlKey(int16(kmsg.TxnOffsetCommit), func(req kmsg.Request) (kmsg.Response, error, bool) {
		rq := req.(*kmsg.TxnOffsetCommitRequest)
		if rq.Group != dlt.DefaultReplayGroup {
			c.KeepControl()
			return nil, nil, false
		}
		resp := rq.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
		for _, t := range rq.Topics {
			rt := kmsg.NewTxnOffsetCommitResponseTopic()
			rt.Topic, rt.TopicID = t.Topic, t.TopicID
			for _, p := range t.Partitions {
				rp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p.Partition, kerr.GroupAuthorizationFailed.Code
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil, true
	})
	cl := devclustertest.Client(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	plan, err := replay(ctx, cl, replayOpts(c))
	if err == nil || plan.Replayed != 0 {
		t.Fatalf("replay with a lost commit: %v, replayed %d; want an error and nothing replayed", err, plan.Replayed)
	}
	plan, err = replay(ctx, cl, replayOpts(c))
	if err != nil || plan.Replayed != n {
		t.Fatalf("rerun: %v, replayed %d; want the %d", err, plan.Replayed, n)
	}
	sentOnce(t, r, fs, evs)
	if v := metric(t, r.url, "kctl_email_duplicates_skipped_total"); v != "0" {
		t.Errorf("duplicates skipped = %q, want 0 (the aborted copies are never read)", v)
	}
	if plan, err := replay(ctx, cl, replayOpts(c)); err != nil || plan.Replayed != 0 {
		t.Fatalf("third replay: %v, replayed %d; want none", err, plan.Replayed)
	}
}
