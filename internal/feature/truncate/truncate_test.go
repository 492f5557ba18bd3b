package truncate

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/errs"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func setup(t *testing.T) (context.Context, *kadm.Client, *kgo.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "t"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	old := time.Now().Add(-48 * time.Hour)
	for p := range int32(2) {
		for i := range 10 {
			ts := time.Now()
			if i < 4 {
				ts = old.Add(time.Duration(i) * time.Millisecond)
			}
			r := &kgo.Record{Topic: "t", Partition: p, Value: []byte("v"), Timestamp: ts}
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ctx, kadm.NewClient(cl), cl
}

// The plan reads the log and the groups; nothing changes until Execute.
func TestPlanAndExecute(t *testing.T) {
	ctx, adm, _ := setup(t)
	if _, err := adm.CommitOffsets(ctx, "behind", kadm.Offsets{"t": {0: {Topic: "t", Partition: 0, At: 2, LeaderEpoch: -1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.CommitOffsets(ctx, "ahead", kadm.Offsets{"t": {0: {Topic: "t", Partition: 0, At: 8, LeaderEpoch: -1}}}); err != nil {
		t.Fatal(err)
	}
	p, err := Build(ctx, adm, Request{Topics: map[string][]int32{"t": {0}}, Before: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Partitions) != 1 {
		t.Fatalf("plan: %+v", p)
	}
	x := p.Partitions[0]
	if x.LogStart != 0 || x.NewLogStart != 5 || x.HighWatermark != 10 || x.Unreadable != 5 || len(x.GroupsBehind) != 1 || x.GroupsBehind[0] != (GroupBehind{"behind", 2}) {
		t.Fatalf("partition plan: %+v", x)
	}
	starts, _ := adm.ListStartOffsets(ctx, "t")
	if o, _ := starts.Lookup("t", 0); o.Offset != 0 {
		t.Fatalf("Build changed the log start: %d", o.Offset)
	}
	r, err := Execute(ctx, adm, p)
	if err != nil || r.Failed() != 0 || len(r.Partitions) != 1 || r.Partitions[0].NewLogStart != 5 {
		t.Fatalf("execute: %+v, %v", r, err)
	}
	starts, _ = adm.ListStartOffsets(ctx, "t")
	if o, _ := starts.Lookup("t", 0); o.Offset != 5 {
		t.Fatalf("log start after: %d, want 5", o.Offset)
	}
	if o, _ := starts.Lookup("t", 1); o.Offset != 0 {
		t.Fatalf("partition 1 touched: %d", o.Offset)
	}
	// Again: nothing to do.
	p, err = Build(ctx, adm, Request{Topics: map[string][]int32{"t": {0}}, Before: 3})
	if err != nil || len(p.Changes()) != 0 {
		t.Fatalf("again: %+v, %v", p, err)
	}
}

func TestBeforeTimeAndAll(t *testing.T) {
	ctx, adm, _ := setup(t)
	p, err := Build(ctx, adm, Request{Topics: map[string][]int32{"t": nil}, Before: -1, BeforeTime: time.Now().Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes()) != 2 || p.Partitions[0].NewLogStart != 4 || p.Partitions[1].NewLogStart != 4 {
		t.Fatalf("before 1d ago: %+v, want both partitions from 4", p.Partitions)
	}
	p, err = Build(ctx, adm, Request{Topics: map[string][]int32{"t": {1}}, Before: -1, All: true})
	if err != nil || p.Partitions[0].NewLogStart != 10 || p.Mode != "all" {
		t.Fatalf("all: %+v, %v", p, err)
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	ctx, adm, _ := setup(t)
	var be *BeyondEndError
	if _, err := Build(ctx, adm, Request{Topics: map[string][]int32{"t": nil}, Before: 11}); !errors.As(err, &be) || be.HighWatermark != 10 {
		t.Fatalf("--before 11: %v, want *BeyondEndError at 10", err)
	}
	var nf *errs.TopicNotFound
	if _, err := Build(ctx, adm, Request{Topics: map[string][]int32{"tt": nil}, Before: 1}); !errors.As(err, &nf) || nf.Suggestions["tt"] != "t" {
		t.Fatalf("tt: %v, want *errs.TopicNotFound suggesting t", err)
	}
	var oor *errs.PartitionOutOfRange
	if _, err := Build(ctx, adm, Request{Topics: map[string][]int32{"t": {2}}, Before: 1}); !errors.As(err, &oor) {
		t.Fatalf("t:2: %v, want *errs.PartitionOutOfRange", err)
	}
	starts, _ := adm.ListStartOffsets(ctx, "t")
	starts.Each(func(o kadm.ListedOffset) {
		if o.Offset != 0 {
			t.Errorf("%s:%d starts at %d after refusals", o.Topic, o.Partition, o.Offset)
		}
	})
}
