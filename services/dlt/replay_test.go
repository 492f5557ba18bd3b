package dlt_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/services/dlt"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type sendErr struct{ msg string }

func (e *sendErr) Error() string { return e.msg }

// setup starts a cluster with orders (3 partitions) and orders.dlt (1),
// and writes dead letters: for each i, the record orders/(i%3)/i failed
// with a *sendErr (even i) or a plain error (odd i); plus, at offset n, a
// record without kafka_dlt headers.
func setup(t *testing.T, n int) (*devcluster.Cluster, *kgo.Client) {
	t.Helper()
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "orders", 3, nil)
	devclustertest.CreateTopic(t, adm, "orders.dlt", 1, nil)
	cl := devclustertest.Client(t, c)
	var recs []*kgo.Record
	for i := range n {
		orig := &kgo.Record{Topic: "orders", Partition: int32(i % 3), Offset: int64(i), Timestamp: time.UnixMilli(int64(1000 * i)),
			Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "v%d", i),
			Headers: []kgo.RecordHeader{{Key: "trace", Value: fmt.Appendf(nil, "t%d", i)}}}
		var cause error = &sendErr{"smtp down"}
		if i%2 == 1 {
			cause = errors.New("boom")
		}
		recs = append(recs, dlt.Record("orders.dlt", orig, "svc", cause))
	}
	recs = append(recs, &kgo.Record{Topic: "orders.dlt", Key: []byte("bare"), Value: []byte("no headers")})
	if err := cl.ProduceSync(ctxT(t), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	return c, cl
}

// ropts are a replay's options and whether to execute its plan.
type ropts struct {
	dlt.ReplayOptions
	Execute bool
}

func opts(c *devcluster.Cluster, execute bool) ropts {
	return ropts{dlt.ReplayOptions{DLT: "orders.dlt",
		ClientOpts: []kgo.Opt{kgo.SeedBrokers(c.Brokers()...)}, IdleTimeout: 10 * time.Second}, execute}
}

// replay plans and, with o.Execute, executes the plan: what kctl dlt
// replay --dry-run and --yes do.
func replay(ctx context.Context, cl *kgo.Client, o ropts) (*dlt.ReplayPlan, error) {
	plan, err := dlt.PlanReplay(ctx, cl, o.ReplayOptions)
	if err != nil || !o.Execute {
		return plan, err
	}
	return dlt.ExecuteReplay(ctx, cl, plan)
}

// readAll reads every committed record of topic (read_committed, as the
// replay's destinations are written in transactions), up to the end
// offsets: control records (transaction markers) count towards the end
// and are dropped.
func readAll(t *testing.T, c *devcluster.Cluster, topic string) []*kgo.Record {
	t.Helper()
	adm := devclustertest.Admin(t, c)
	ends, err := adm.ListEndOffsets(ctxT(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	left := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			left[o.Partition] = o.Offset
		}
	})
	if len(left) == 0 {
		return nil
	}
	cl := devclustertest.Client(t, c, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords())
	var out []*kgo.Record
	ctx := ctxT(t)
	for len(left) > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d records of %s, partitions not read to the end: %v", len(out), topic, left)
		}
		for _, r := range fs.Records() {
			if end, ok := left[r.Partition]; ok && r.Offset >= end-1 {
				delete(left, r.Partition)
			}
			if !r.Attrs.IsControl() {
				out = append(out, r)
			}
		}
	}
	return out
}

func header(r *kgo.Record, k string) (string, bool) {
	for _, h := range r.Headers {
		if h.Key == k {
			return string(h.Value), true
		}
	}
	return "", false
}

func TestReplayDryRunThenExecuteOnce(t *testing.T) {
	c, cl := setup(t, 4)
	plan, err := replay(ctxT(t), cl, opts(c, false))
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Records) != 4 || len(plan.Skipped) != 1 || plan.Replayed != 0 {
		t.Fatalf("dry run: %d records, %d skipped, %d replayed; want 4, 1, 0", len(plan.Records), len(plan.Skipped), plan.Replayed)
	}
	e := plan.Records[2]
	if e.Offset != 2 || e.Info.OriginalTopic != "orders" || e.Info.OriginalPartition != 2 || e.Info.OriginalOffset != 2 ||
		!strings.HasSuffix(e.Info.ExceptionFQCN, "dlt_test.sendErr") || e.Info.ExceptionMessage != "smtp down" || e.To != "orders" || e.Status != "planned" {
		t.Errorf("entry 2 = %+v", e)
	}
	if s := plan.Skipped[0]; s.Offset != 4 || !strings.Contains(s.Reason, "kafka_dlt-original-topic") {
		t.Errorf("skipped = %+v", s)
	}
	if got := readAll(t, c, "orders"); len(got) != 0 {
		t.Fatalf("a dry run sent %d records", len(got))
	}

	plan, err = replay(ctxT(t), cl, opts(c, true))
	if err != nil {
		t.Fatal(err)
	}
	if plan.Replayed != 4 || plan.Progress[0].Next != 5 || plan.Progress[0].DoneAbove != 0 {
		t.Fatalf("execute: replayed %d, progress %+v; want 4, next 5", plan.Replayed, plan.Progress)
	}
	got := readAll(t, c, "orders")
	if len(got) != 4 {
		t.Fatalf("%d records on orders, want 4", len(got))
	}
	for _, r := range got {
		var i int
		fmt.Sscanf(string(r.Key), "k%d", &i)
		if string(r.Value) != fmt.Sprintf("v%d", i) {
			t.Errorf("record %s = %s", r.Key, r.Value)
		}
		if v, _ := header(r, "trace"); v != fmt.Sprintf("t%d", i) {
			t.Errorf("record %s: own header trace = %q", r.Key, v)
		}
		if v, _ := header(r, dlt.HeaderReplayedFrom); v != fmt.Sprintf("orders.dlt/0/%d", i) {
			t.Errorf("record %s: %s = %q", r.Key, dlt.HeaderReplayedFrom, v)
		}
		for _, h := range r.Headers {
			if strings.HasPrefix(h.Key, "kafka_dlt-") {
				t.Errorf("record %s carries %s", r.Key, h.Key)
			}
		}
	}

	// A second run replays nothing.
	plan, err = replay(ctxT(t), cl, opts(c, true))
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Records) != 0 || plan.Replayed != 0 || plan.AlreadyReplayed != 0 {
		t.Fatalf("second run: %+v, want nothing read (progress at the end)", plan)
	}
	if got := readAll(t, c, "orders"); len(got) != 4 {
		t.Fatalf("%d records on orders after a second run, want 4", len(got))
	}
}

// Filtered-out records stay replayable: a filtered run marks only what it
// replayed, and a later unfiltered run replays the rest, never twice.
func TestReplayFiltersLeaveTheRest(t *testing.T) {
	c, cl := setup(t, 9)
	o := opts(c, true)
	o.Exception = "SENDERR"             // offsets 0,2,4,6,8 (case ignored)
	o.OriginalPartition = new(int32(0)) // offsets 0,3,6 → 0,6
	plan, err := replay(ctxT(t), cl, o)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Replayed != 2 || plan.Records[0].Offset != 0 || plan.Records[1].Offset != 6 || plan.FilteredOut != 7 {
		t.Fatalf("filtered run: replayed %d (%+v), filtered out %d; want offsets 0 and 6, 7 filtered", plan.Replayed, plan.Records, plan.FilteredOut)
	}
	if p := plan.Progress[0]; p.Next != 1 || p.DoneAbove != 2 { // 6 done above; 9 (no headers) skipped and done
		t.Fatalf("progress %+v, want next 1 and 2 done above (6, 9)", p)
	}

	o = opts(c, true)
	o.FromOffset, o.ToOffset = new(int64(2)), new(int64(4))
	o.Limit = 2
	plan, err = replay(ctxT(t), cl, o)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Replayed != 2 || plan.Records[0].Offset != 2 || plan.Records[1].Offset != 3 || !plan.Truncated {
		t.Fatalf("offsets 2-4 -n 2: %+v", plan.Records)
	}

	o = opts(c, false)
	o.Since = time.Now().Add(time.Hour)
	plan, err = replay(ctxT(t), cl, o)
	if err != nil || len(plan.Records) != 0 || plan.FilteredOut != 5 || plan.AlreadyReplayed != 4 {
		t.Fatalf("--since in the future: %+v %v; want none, 5 filtered, 4 already done (2, 3, 6 replayed, 9 skipped)", plan, err)
	}

	plan, err = replay(ctxT(t), cl, opts(c, true))
	if err != nil {
		t.Fatal(err)
	}
	var offs []int64
	for _, e := range plan.Records {
		offs = append(offs, e.Offset)
	}
	if fmt.Sprint(offs) != "[1 4 5 7 8]" || plan.Progress[0].Next != 10 || plan.Progress[0].DoneAbove != 0 {
		t.Fatalf("unfiltered run replayed %v (progress %+v), want [1 4 5 7 8] and next 10", offs, plan.Progress)
	}
	if got := readAll(t, c, "orders"); len(got) != 9 {
		t.Fatalf("%d records on orders, want each of the 9 dead letters once", len(got))
	}
}

// A progress commit that fails after the records were acknowledged is an
// error saying they will be replayed again; the next run does so (at
// least once is all Kafka offers here: the consumer must be idempotent, as
// the email service is on the event ID).
func TestReplayCommitFails(t *testing.T) {
	c, cl := setup(t, 3)
	var failed atomic.Int32
	c.ControlKey(int16(kmsg.TxnOffsetCommit), func(req kmsg.Request) (kmsg.Response, error, bool) {
		r := req.(*kmsg.TxnOffsetCommitRequest)
		if r.Group != dlt.DefaultReplayGroup || failed.Load() > 0 {
			c.KeepControl()
			return nil, nil, false
		}
		failed.Add(1)
		resp := r.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
		for _, t := range r.Topics {
			rt := kmsg.NewTxnOffsetCommitResponseTopic()
			rt.Topic, rt.TopicID = t.Topic, t.TopicID
			for _, p := range t.Partitions {
				rp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
				rp.Partition = p.Partition
				rp.ErrorCode = kerr.GroupAuthorizationFailed.Code
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil, true
	})
	// The batch and its progress are one transaction: a failing progress
	// commit aborts the records too, so nothing is replayed twice.
	plan, err := replay(ctxT(t), cl, opts(c, true))
	var re *dlt.ReplayError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "aborted") && !strings.Contains(plan.Records[0].Error, "aborted") || plan.Replayed != 0 || re.Unknown != 0 {
		t.Fatalf("replay with a failing commit: %v (replayed %d), want a ReplayError and nothing replayed", err, plan.Replayed)
	}
	if failed.Load() == 0 {
		t.Fatal("the commit was not attempted")
	}
	if got := readAll(t, c, "orders"); len(got) != 0 {
		t.Fatalf("%d committed records on orders after an aborted replay, want 0", len(got))
	}
	plan, err = replay(ctxT(t), cl, opts(c, true))
	if err != nil || plan.Replayed != 3 {
		t.Fatalf("rerun: %v, replayed %d; want the 3", err, plan.Replayed)
	}
	if got := readAll(t, c, "orders"); len(got) != 3 {
		t.Fatalf("%d records on orders, want 3 (each once)", len(got))
	}
	plan, err = replay(ctxT(t), cl, opts(c, true))
	if err != nil || plan.Replayed != 0 {
		t.Fatalf("third run: %v, replayed %d; want none", err, plan.Replayed)
	}
}

func TestReplayErrors(t *testing.T) {
	c, cl := setup(t, 2)
	o := opts(c, true)
	o.To = "nowhere"
	plan, err := replay(ctxT(t), cl, o)
	if err == nil || !strings.Contains(err.Error(), `destination topic "nowhere" does not exist`) || plan.Replayed != 0 {
		t.Fatalf("--to nowhere: %v, want an error naming it and nothing sent", err)
	}
	plan, err = replay(ctxT(t), cl, opts(c, false))
	if err != nil || len(plan.Records) != 2 {
		t.Fatalf("after a refused run: %v, %d records, want both still to replay", err, len(plan.Records))
	}
	// A dead letter whose original topic is the DLT itself is never sent
	// back into it, and stays replayable with --to.
	loop := dlt.Record("orders.dlt", &kgo.Record{Topic: "orders.dlt", Value: []byte("loop")}, "svc", errors.New("x"))
	if err := cl.ProduceSync(ctxT(t), loop).FirstErr(); err != nil {
		t.Fatal(err)
	}
	plan, err = replay(ctxT(t), cl, opts(c, true))
	// (The header-less dead letter was marked done, as skipped, by the
	// --to nowhere run: only the records to nowhere failed there.)
	if err != nil || plan.Replayed != 2 || len(plan.Skipped) != 1 || !strings.Contains(plan.Skipped[0].Reason, "dead-letter topic itself") {
		t.Fatalf("replay with a self-referencing dead letter: %v, replayed %d, skipped %+v", err, plan.Replayed, plan.Skipped)
	}
	o = opts(c, true)
	o.To = "orders"
	plan, err = replay(ctxT(t), cl, o)
	if err != nil || plan.Replayed != 1 || plan.Records[0].Offset != 3 {
		t.Fatalf("--to orders: %v, %+v; want the self-referencing dead letter replayed", err, plan.Records)
	}

	o = opts(c, false)
	o.DLT = "ghost.dlt"
	if _, err := replay(ctxT(t), cl, o); err == nil || !strings.Contains(err.Error(), `"ghost.dlt" does not exist`) {
		t.Fatalf("missing DLT: %v", err)
	}
}

func TestProgress(t *testing.T) {
	p := dlt.Progress{Next: 5}
	for _, o := range []int64{7, 8, 9, 12, 3} {
		p.Mark(o)
	}
	if md := p.Metadata(); md != "kctl-dlt-replay/v1 done=7-9,12" {
		t.Fatalf("metadata %q", md)
	}
	p.Mark(5)
	p.Mark(6)
	if p.Next != 10 || p.Metadata() != "kctl-dlt-replay/v1 done=12" || !p.IsDone(12) || p.IsDone(11) || !p.IsDone(0) {
		t.Fatalf("after 5,6: %+v", p)
	}
	q, err := dlt.ParseProgress(10, p.Metadata())
	if err != nil || q.Next != 10 || !q.IsDone(12) || q.IsDone(11) {
		t.Fatalf("parse: %+v %v", q, err)
	}
	q, err = dlt.ParseProgress(4, "kctl-dlt-replay/v1 done=4-6,9")
	if err != nil || q.Next != 7 || !q.IsDone(9) || q.IsDone(8) {
		t.Fatalf("parse with contiguous start: %+v %v", q, err)
	}
	q.Floor(9)
	if q.Next != 10 || len(q.Done) != 0 {
		t.Fatalf("floor: %+v", q)
	}
	if q, err := dlt.ParseProgress(3, "written by another tool"); err != nil || q.Next != 3 || len(q.Done) != 0 {
		t.Fatalf("foreign metadata: %+v %v", q, err)
	}
	if _, err := dlt.ParseProgress(3, "kctl-dlt-replay/v1 done=9-x"); err == nil {
		t.Fatal("a corrupt progress parsed")
	}
}

// Keys in the plan are encoded as kctl consume -o json does: a null key is
// nil, a key that is not UTF-8 is base64 with KeyEncoding "base64".
func TestReplayKeyEncoding(t *testing.T) {
	c, cl := setup(t, 0)
	for _, k := range [][]byte{nil, {0xff, 0xfe}, []byte("k")} {
		rec := dlt.Record("orders.dlt", &kgo.Record{Topic: "orders", Key: k, Value: []byte("v")}, "svc", errors.New("x"))
		if err := cl.ProduceSync(ctxT(t), rec).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	plan, err := replay(ctxT(t), cl, opts(c, false))
	if err != nil || len(plan.Records) != 3 {
		t.Fatalf("dry run: %v, %+v", err, plan)
	}
	r := plan.Records
	if r[0].Key != nil || r[0].KeyEncoding != "" {
		t.Errorf("null key: %+v, want nil", r[0])
	}
	if r[1].Key == nil || *r[1].Key != "//4=" || r[1].KeyEncoding != "base64" {
		t.Errorf("binary key: %+v, want //4= base64", r[1])
	}
	if r[2].Key == nil || *r[2].Key != "k" || r[2].KeyEncoding != "" {
		t.Errorf("text key: %+v, want k", r[2])
	}
}

// One dead letter whose destination does not exist fails alone: the others
// are replayed, it keeps its own error and stays replayable.
func TestReplayMissingDestinationFailsAlone(t *testing.T) {
	c, cl := setup(t, 2) // two dead letters of orders
	bad := dlt.Record("orders.dlt", &kgo.Record{Topic: "nope", Value: []byte("lost")}, "svc", errors.New("x"))
	if err := cl.ProduceSync(ctxT(t), bad).FirstErr(); err != nil {
		t.Fatal(err)
	}
	plan, err := replay(ctxT(t), cl, opts(c, true))
	var re *dlt.ReplayError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), `destination topic "nope" does not exist`) || plan.Replayed != 2 {
		t.Fatalf("replay: %v, replayed %d; want the 2 replayed and an error naming nope", err, plan.Replayed)
	}
	for _, e := range plan.Records {
		failed := e.To == "nope"
		if failed != (e.Status == "failed") || failed != strings.Contains(e.Error, `"nope"`) {
			t.Errorf("record %d to %s: status %s, error %q", e.Offset, e.To, e.Status, e.Error)
		}
	}
	if got := readAll(t, c, "orders"); len(got) != 2 {
		t.Fatalf("%d records on orders, want 2", len(got))
	}
	plan, err = replay(ctxT(t), cl, opts(c, false))
	if err != nil || len(plan.Records) != 1 || plan.Records[0].To != "nope" {
		t.Fatalf("rerun: %v, %+v; want only the nope record left", err, plan)
	}
}

// Two runs on the same DLT and group at once: the second run's
// transactional producer fences the first, which may already have
// committed batches after the second read the progress at its start. The
// second must re-read the progress inside its transaction: every dead
// letter reaches a read_committed consumer exactly once (issue 20.3).
// The hooks force that interleaving: the first run's first commit waits
// until both runs have read their starting progress; the second run's
// InitProducerID (which fences the first) waits until that commit is
// done; the first run's second commit waits until the second run went on
// after its InitProducerID, so the first run is fenced mid-run.
func TestReplayTwoRunsAtOnce(t *testing.T) {
	const n = 3000
	c, cl := setup(t, n)
	var plainFetches, ends, inits atomic.Int32
	bothRead, firstCommitted, secondInited, secondMoved := make(chan struct{}), make(chan struct{}), make(chan struct{}), make(chan struct{})
	var movedOnce sync.Once
	moved := func() {
		select {
		case <-secondInited:
			movedOnce.Do(func() { close(secondMoved) })
		default:
		}
	}
	c.ControlKey(int16(kmsg.OffsetFetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if !req.(*kmsg.OffsetFetchRequest).RequireStable {
			if plainFetches.Add(1) == 2 {
				close(bothRead)
			}
		} else {
			moved()
		}
		return nil, nil, false
	})
	c.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		moved()
		return nil, nil, false
	})
	c.ControlKey(int16(kmsg.EndTxn), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		switch ends.Add(1) {
		case 1:
			c.SleepControl(func() { <-bothRead })
		case 2: // sent once the first EndTxn was answered
			close(firstCommitted)
			c.SleepControl(func() { <-secondMoved })
		}
		return nil, nil, false
	})
	c.ControlKey(int16(kmsg.InitProducerID), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if req.(*kmsg.InitProducerIDRequest).TransactionalID != nil && inits.Add(1) == 2 {
			c.SleepControl(func() { <-firstCommitted })
			close(secondInited)
		}
		return nil, nil, false
	})
	type result struct {
		plan *dlt.ReplayPlan
		err  error
	}
	results := make(chan result, 2)
	for range 2 {
		go func() {
			o := opts(c, true)
			// Small fetches: many batches, so many transactions.
			o.ClientOpts = append(o.ClientOpts, kgo.FetchMaxBytes(20_000), kgo.FetchMaxPartitionBytes(20_000))
			plan, err := replay(ctxT(t), cl, o)
			results <- result{plan, err}
		}()
	}
	replayed, ok := 0, 0
	for range 2 {
		r := <-results
		if r.plan != nil {
			replayed += r.plan.Replayed
		}
		if r.err == nil {
			ok++
			continue
		}
		t.Logf("one run: %v", r.err)
		if !strings.Contains(r.err.Error(), "another kctl dlt replay") {
			t.Errorf("the fenced run's error %q does not say another replay took over", r.err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d runs succeeded, want 1 (the other fenced mid-run)", ok)
	}
	if ends.Load() < 2 {
		t.Fatalf("%d transactions ended: the interleaving was not forced", ends.Load())
	}
	got := readAll(t, c, "orders")
	seen := map[string]int{}
	for _, r := range got {
		from, _ := header(r, dlt.HeaderReplayedFrom)
		seen[from]++
	}
	dups := 0
	for _, k := range seen {
		dups += k - 1
	}
	if len(got) != n || len(seen) != n || dups != 0 {
		t.Fatalf("%d records on orders (read_committed), %d distinct dead letters, %d duplicates; want each of the %d exactly once", len(got), len(seen), dups, n)
	}
	if replayed != n {
		t.Errorf("the runs report %d replayed in all, want %d", replayed, n)
	}
}

// A batch of only dead letters without an original topic commits just the
// progress, in a transaction kgo does not know of (ended by a raw EndTxn):
// it is reported once, and the transaction does not stay open (a stable
// progress read would wait for it).
func TestReplayOnlySkipped(t *testing.T) {
	c, cl := setup(t, 0)
	plan, err := replay(ctxT(t), cl, opts(c, true))
	if err != nil || len(plan.Skipped) != 1 || plan.Progress[0].Next != 1 {
		t.Fatalf("execute: %v, %+v; want the bare record skipped and next 1", err, plan)
	}
	adm := devclustertest.Admin(t, c)
	d, err := adm.DescribeTransactions(ctxT(t), dlt.TransactionalID(dlt.DefaultReplayGroup, "orders.dlt"))
	if err != nil {
		t.Fatal(err)
	}
	if s := d[dlt.TransactionalID(dlt.DefaultReplayGroup, "orders.dlt")].State; s == "" || s == "Ongoing" {
		t.Fatalf("transaction state %q, want it ended", s)
	}
	plan, err = replay(ctxT(t), cl, opts(c, true))
	if err != nil || len(plan.Skipped) != 0 {
		t.Fatalf("second run: %v, %+v; want nothing", err, plan)
	}
}
