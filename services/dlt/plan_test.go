package dlt_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/where"
	"github.com/kctl/kctl/services/dlt"
	"github.com/twmb/franz-go/pkg/kgo"
)

// deadLetters returns n dead letters of orders on orders.dlt partition 0
// (offsets 0..n-1, original partition i%3, timestamps i seconds), plus a
// record without kafka_dlt headers at offset n.
func deadLetters(n int) []*kgo.Record {
	var out []*kgo.Record
	for i := range n {
		orig := &kgo.Record{Topic: "orders", Partition: int32(i % 3), Offset: int64(i), Key: fmt.Appendf(nil, "k%d", i), Value: []byte("v")}
		var cause error = &sendErr{"smtp down"}
		if i%2 == 1 {
			cause = errors.New("boom")
		}
		r := dlt.Record("orders.dlt", orig, "svc", cause)
		r.Partition, r.Offset, r.Timestamp = 0, int64(i), time.Unix(int64(i), 0)
		out = append(out, r)
	}
	return append(out, &kgo.Record{Topic: "orders.dlt", Partition: 0, Offset: int64(n), Value: []byte("bare"), Timestamp: time.Unix(int64(n), 0)})
}

func offsetsOf(es []dlt.Entry) string {
	var offs []int64
	for _, e := range es {
		offs = append(offs, e.Offset)
	}
	return fmt.Sprint(offs)
}

// BuildReplay is pure: the plan follows from the progress, the records
// read and the filters, with no cluster.
func TestBuildReplay(t *testing.T) {
	in := dlt.ReplayInput{
		Progress: map[int32]dlt.Progress{0: {Next: 1, Done: map[int64]bool{3: true}}},
		End:      map[int32]int64{0: 9},
		Records:  deadLetters(8)[1:], // offsets 1..8; 8 is bare
		Missing:  map[string]string{"orders": `destination topic "orders" does not exist`},
	}
	for _, tc := range []struct {
		name  string
		opts  func(*dlt.ReplayOptions)
		want  string // selected offsets
		check func(*testing.T, *dlt.ReplayPlan)
	}{
		{"all", func(*dlt.ReplayOptions) {}, "[1 2 4 5 6 7]", func(t *testing.T, p *dlt.ReplayPlan) {
			if p.AlreadyReplayed != 1 || len(p.Skipped) != 1 || p.Skipped[0].Offset != 8 || p.FilteredOut != 0 || p.Truncated || p.Execute {
				t.Errorf("counts: %+v", p)
			}
			if p.Records[0].Status != dlt.StatusPlanned || p.Records[0].To != "orders" || p.Records[0].Info.OriginalPartition != 1 {
				t.Errorf("entry: %+v", p.Records[0])
			}
			if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], `"orders" does not exist`) {
				t.Errorf("warnings %q, want the missing destination once", p.Warnings)
			}
			if len(p.Progress) != 1 || p.Progress[0] != (dlt.PartitionProgress{Partition: 0, Next: 1, DoneAbove: 1, End: 9}) {
				t.Errorf("progress %+v", p.Progress)
			}
		}},
		{"exception", func(o *dlt.ReplayOptions) { o.Exception = "senderr" }, "[2 4 6]", func(t *testing.T, p *dlt.ReplayPlan) {
			if p.FilteredOut != 3 {
				t.Errorf("filtered out %d, want 3 (1, 5, 7)", p.FilteredOut)
			}
		}},
		{"since until", func(o *dlt.ReplayOptions) { o.Since, o.Until = time.Unix(2, 0), time.Unix(5, 0) }, "[2 4]", nil},
		{"original partition", func(o *dlt.ReplayOptions) { o.OriginalPartition = new(int32(1)) }, "[1 4 7]", nil},
		{"offsets", func(o *dlt.ReplayOptions) { o.FromOffset, o.ToOffset = new(int64(5)), new(int64(6)) }, "[5 6]", nil},
		{"where", func(o *dlt.ReplayOptions) {
			pred, err := where.Compile(`key in ["k2", "k5"] || headers["kafka_dlt-original-offset"] == "nope"`)
			if err != nil {
				t.Fatal(err)
			}
			o.Where = func(r *kgo.Record) bool { ok, _ := pred.Match(r); return ok }
		}, "[2 5]", func(t *testing.T, p *dlt.ReplayPlan) {
			if p.FilteredOut != 4 || len(p.Skipped) != 1 {
				t.Errorf("filtered out %d, skipped %d: want 4 (1, 4, 6, 7) and the bare record skipped", p.FilteredOut, len(p.Skipped))
			}
		}},
		{"limit", func(o *dlt.ReplayOptions) { o.Limit = 2 }, "[1 2]", func(t *testing.T, p *dlt.ReplayPlan) {
			if !p.Truncated || len(p.Skipped) != 0 {
				t.Errorf("truncated %v, skipped %+v: want truncated before the bare record", p.Truncated, p.Skipped)
			}
		}},
		{"to", func(o *dlt.ReplayOptions) { o.To = "orders.retry" }, "[1 2 4 5 6 7]", func(t *testing.T, p *dlt.ReplayPlan) {
			if p.Records[0].To != "orders.retry" || len(p.Warnings) != 0 {
				t.Errorf("to %q, warnings %q", p.Records[0].To, p.Warnings)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := dlt.ReplayOptions{DLT: "orders.dlt"}
			tc.opts(&o)
			p, err := dlt.BuildReplay(in, o)
			if err != nil {
				t.Fatal(err)
			}
			if got := offsetsOf(p.Records); got != tc.want {
				t.Errorf("selected %s, want %s", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, p)
			}
			again, _ := dlt.BuildReplay(in, o)
			if offsetsOf(again.Records) != offsetsOf(p.Records) || in.Progress[0].Next != 1 {
				t.Error("BuildReplay changed its input or gave another plan")
			}
		})
	}
	if _, err := dlt.BuildReplay(in, dlt.ReplayOptions{}); err == nil || !strings.Contains(err.Error(), "--dlt") {
		t.Errorf("no DLT: %v", err)
	}
}

// ExecuteReplay republishes what the plan lists, not what the DLT holds
// by then: a dead letter written after the plan is left for a later run.
func TestExecuteReplaysThePlanOnly(t *testing.T) {
	c, cl := setup(t, 2)
	o := opts(c, false)
	plan, err := dlt.PlanReplay(ctxT(t), cl, o.ReplayOptions)
	if err != nil || len(plan.Records) != 2 {
		t.Fatalf("plan: %v, %+v", err, plan)
	}
	late := dlt.Record("orders.dlt", &kgo.Record{Topic: "orders", Value: []byte("late")}, "svc", errors.New("x"))
	if err := cl.ProduceSync(ctxT(t), late).FirstErr(); err != nil {
		t.Fatal(err)
	}
	out, err := dlt.ExecuteReplay(ctxT(t), cl, plan)
	if err != nil || out.Replayed != 2 || !out.Execute || plan.Execute || plan.Records[0].Status != dlt.StatusPlanned {
		t.Fatalf("execute: %v, %+v (the plan itself must stay a plan: %+v)", err, out, plan.Records)
	}
	if got := readAll(t, c, "orders"); len(got) != 2 {
		t.Fatalf("%d records on orders, want the 2 planned", len(got))
	}
	next, err := replay(ctxT(t), cl, opts(c, false))
	if err != nil || offsetsOf(next.Records) != "[3]" {
		t.Fatalf("next plan: %v, %+v; want the late dead letter (offset 3) only", err, next.Records)
	}
	if _, err := dlt.ExecuteReplay(ctxT(t), cl, &dlt.ReplayPlan{}); err == nil {
		t.Fatal("executing a plan not built by PlanReplay: no error")
	}
}

// Two plans of the same dead letters: the one executed second finds them
// replayed by the first (it re-reads the progress in its transaction) and
// sends nothing twice.
func TestExecuteSkipsWhatAnotherRunReplayed(t *testing.T) {
	c, cl := setup(t, 3)
	a, err := dlt.PlanReplay(ctxT(t), cl, opts(c, false).ReplayOptions)
	if err != nil {
		t.Fatal(err)
	}
	b, err := dlt.PlanReplay(ctxT(t), cl, opts(c, false).ReplayOptions)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := dlt.ExecuteReplay(ctxT(t), cl, a); err != nil || out.Replayed != 3 {
		t.Fatalf("first: %v, %+v", err, out)
	}
	out, err := dlt.ExecuteReplay(ctxT(t), cl, b)
	if err != nil || out.Replayed != 0 || out.AlreadyReplayed != 3 {
		t.Fatalf("second: %v, replayed %d, already %d; want 0 and 3", err, out.Replayed, out.AlreadyReplayed)
	}
	for _, e := range out.Records {
		if e.Status != dlt.StatusAlreadyReplayed {
			t.Errorf("record %d: status %s", e.Offset, e.Status)
		}
	}
	if got := readAll(t, c, "orders"); len(got) != 3 {
		t.Fatalf("%d records on orders, want 3 (each once)", len(got))
	}
}
