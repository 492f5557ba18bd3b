package txn

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

// A transaction left open holds the LSO: find-hanging reports it once it
// is older than the threshold (measured from the injected clock), abort
// writes the marker, and the LSO moves past it.
func TestFindHangingAndAbort(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)

	p, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.TransactionalID("stuck"),
		kgo.DefaultProduceTopic("t"), kgo.TransactionTimeout(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte("before")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := p.ProduceSync(ctx, &kgo.Record{Value: []byte("open")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	// The transaction stays open: no EndTransaction.

	v, err := FindHanging(ctx, adm, nil, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Hanging) != 1 {
		t.Fatalf("hanging: %+v, want 1", v.Hanging)
	}
	h := v.Hanging[0]
	if h.Topic != "t" || h.Partition != 0 || h.StartOffset != 1 || h.LastStableOffset != 1 || h.HighWatermark != 4 || h.HeldBack() != 3 || h.TransactionalID != "stuck" {
		t.Fatalf("hanging: %+v", h)
	}
	// The threshold is measured from the clock given.
	if v, err := FindHanging(ctx, adm, []string{"t"}, 15*time.Minute, h.LastWrite.Add(time.Minute)); err != nil || len(v.Hanging) != 0 {
		t.Fatalf("1m old, --older-than 15m: %+v, %v; want none", v, err)
	}
	if v, err := FindHanging(ctx, adm, []string{"t"}, 15*time.Minute, h.LastWrite.Add(20*time.Minute)); err != nil || len(v.Hanging) != 1 || v.Hanging[0].AgeMs != (20*time.Minute).Milliseconds() {
		t.Fatalf("20m old, --older-than 15m: %+v, %v; want it, 20m old", v, err)
	}

	if _, err := PlanAbort(ctx, adm, "t", 0, 2, time.Now()); err == nil {
		t.Fatal("abort --start-offset 2: no error, want none starting there")
	}
	var oor *errs.PartitionOutOfRange
	if _, err := PlanAbort(ctx, adm, "t", 3, -1, time.Now()); !errors.As(err, &oor) {
		t.Fatalf("abort t:3: %v, want *errs.PartitionOutOfRange", err)
	}
	var nf *errs.TopicNotFound
	if _, err := PlanAbort(ctx, adm, "u", 0, -1, time.Now()); !errors.As(err, &nf) || nf.Suggestions["u"] != "t" {
		t.Fatalf("abort u:0: %v, want *errs.TopicNotFound suggesting t", err)
	}
	plan, err := PlanAbort(ctx, adm, "t", 0, -1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r, err := Abort(ctx, adm, plan)
	if err != nil {
		t.Fatal(err)
	}
	if r.LastStableOffset != 5 { // past the 3 records and the marker at 4
		t.Fatalf("LSO after abort: %d, want 5", r.LastStableOffset)
	}
	if v, err := FindHanging(ctx, adm, nil, 0, time.Now()); err != nil || len(v.Hanging) != 0 {
		t.Fatalf("after abort: %+v, %v; want none", v, err)
	}
}

func TestDescribeUnknownSuggests(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.TransactionalID("payments-1"), kgo.DefaultProduceTopic("t"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := p.ProduceSync(ctx, &kgo.Record{Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := p.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	adm := kadm.NewClient(p)
	var nf *TxnNotFound
	if _, err := Describe(ctx, adm, "payments-2", time.Now()); !errors.As(err, &nf) || nf.Suggestion != "payments-1" {
		t.Fatalf("describe payments-2: %v, want *TxnNotFound suggesting payments-1", err)
	}
	d, err := Describe(ctx, adm, "payments-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "payments-1" || d.ProducerID < 0 {
		t.Fatalf("describe: %+v", d)
	}
	l, err := List(ctx, adm, time.Now())
	if err != nil || len(l.Transactions) != 1 || l.Transactions[0].ID != "payments-1" {
		t.Fatalf("list: %+v, %v", l, err)
	}
}
