package lag

import (
	"strings"
	"testing"
	"time"
)

// series builds samples 10s apart of one partition orders/0 from
// (committed, end, owned) triples; lag is end - committed (end without a
// commit).
func series(points ...[3]int64) []GroupSample {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []GroupSample
	for i, p := range points {
		lag := p[1] - p[0]
		if p[0] < 0 {
			lag = p[1]
		}
		out = append(out, GroupSample{
			Time:       t0.Add(time.Duration(i) * 10 * time.Second),
			Partitions: []PartitionSample{{Topic: "orders", Partition: 0, Committed: p[0], End: p[1], Lag: lag, Owned: p[2] == 1}},
		})
	}
	return out
}

func TestEvaluate(t *testing.T) {
	const owned, free = 1, 0
	tests := []struct {
		name    string
		samples []GroupSample
		want    Status
		reason  string // substring of the first reason
	}{
		{"one sample is not enough", series([3]int64{10, 20, owned}), "", ""},
		{"caught up the whole time", series([3]int64{20, 20, owned}, [3]int64{20, 20, owned}), StatusOK, ""},
		{"idle empty group caught up", series([3]int64{20, 20, free}, [3]int64{20, 20, free}, [3]int64{20, 20, free}), StatusOK, ""},
		{"lag was 0 once in the window", series([3]int64{10, 20, owned}, [3]int64{30, 30, owned}, [3]int64{35, 40, owned}), StatusOK, ""},
		{"consuming, lag shrinking", series([3]int64{10, 100, owned}, [3]int64{50, 110, owned}, [3]int64{90, 120, owned}), StatusOK, ""},
		{"consuming, lag flat", series([3]int64{10, 100, owned}, [3]int64{20, 110, owned}, [3]int64{30, 120, owned}), StatusOK, ""},
		{"consuming, lag grew once then fell", series([3]int64{10, 100, owned}, [3]int64{11, 110, owned}, [3]int64{60, 120, owned}), StatusOK, ""},
		{"consuming, lag growing every interval", series([3]int64{10, 100, owned}, [3]int64{12, 110, owned}, [3]int64{14, 120, owned}), StatusWarn, "lag grew in every sample, 90 → 106"},
		{"lag growing over two samples", series([3]int64{10, 100, owned}, [3]int64{12, 110, owned}), StatusWarn, "lag grew"},
		{"offsets rewound", series([3]int64{50, 100, owned}, [3]int64{10, 100, owned}), StatusWarn, "rewound from 50 to 10"},
		{"stuck with a live member", series([3]int64{40, 100, owned}, [3]int64{40, 100, owned}, [3]int64{40, 110, owned}), StatusStall, "committed offset 40 unchanged for 20s with lag 70; a live member owns it"},
		{"stuck, nobody owns it", series([3]int64{40, 100, free}, [3]int64{40, 100, free}), StatusStop, "no live member owns it"},
		{"no commit, nobody consuming", series([3]int64{-1, 10, free}, [3]int64{-1, 12, free}), StatusStop, "no commit for 10s with lag 12; no live member owns it"},
		{"member left during the window", series([3]int64{40, 100, owned}, [3]int64{40, 100, free}), StatusStop, ""},
		{"member came back and moved", series([3]int64{40, 100, free}, [3]int64{60, 100, owned}), StatusOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := Evaluate(tc.samples)
			if ev.Status != tc.want {
				t.Fatalf("status = %q (%v), want %q", ev.Status, ev.Reasons, tc.want)
			}
			if tc.reason != "" && (len(ev.Reasons) == 0 || !strings.Contains(ev.Reasons[0], tc.reason)) {
				t.Errorf("reasons = %q, want one containing %q", ev.Reasons, tc.reason)
			}
			if tc.want == StatusOK && len(ev.Reasons) > 0 {
				t.Errorf("OK with reasons %q", ev.Reasons)
			}
		})
	}
}

// The group takes its worst partition's status.
func TestEvaluateWorstPartition(t *testing.T) {
	a := series([3]int64{10, 100, 1}, [3]int64{50, 110, 1}) // OK
	b := series([3]int64{10, 100, 1}, [3]int64{12, 130, 1}) // WARN
	stall := series([3]int64{5, 10, 1}, [3]int64{5, 10, 1}) // STALL
	stop := series([3]int64{5, 10, 0}, [3]int64{5, 10, 0})  // STOP
	merge := func(ss ...[]GroupSample) []GroupSample {
		out := make([]GroupSample, len(ss[0]))
		for i := range out {
			out[i].Time = ss[0][i].Time
			for j, s := range ss {
				p := s[i].Partitions[0]
				p.Partition = int32(j)
				out[i].Partitions = append(out[i].Partitions, p)
			}
		}
		return out
	}
	for _, tc := range []struct {
		in   []GroupSample
		want Status
	}{
		{merge(a, a), StatusOK},
		{merge(a, b), StatusWarn},
		{merge(b, stall, a), StatusStall},
		{merge(stall, stop, b), StatusStop},
	} {
		if ev := Evaluate(tc.in); ev.Status != tc.want {
			t.Errorf("status = %s, want %s (%v)", ev.Status, tc.want, ev.Reasons)
		}
	}
	ev := Evaluate(merge(stall, stop, b))
	if len(ev.Reasons) != 3 || !strings.HasPrefix(ev.Reasons[0], "STOP: orders/1") || !strings.HasPrefix(ev.Reasons[2], "WARN: orders/2") {
		t.Errorf("reasons = %q, want worst first", ev.Reasons)
	}
}

// Rates and the catch-up estimate come from the first and last samples.
func TestEvaluateRates(t *testing.T) {
	// 20s: end 100→140 (2/s produced), committed 0→100 (5/s consumed),
	// lag 100→40: catches up at 3/s net in ~13.3s.
	ev := Evaluate(series([3]int64{0, 100, 1}, [3]int64{50, 120, 1}, [3]int64{100, 140, 1}))
	if ev.ProduceRate != 2 || ev.ConsumeRate != 5 || ev.SpanMs != 20000 || ev.Samples != 3 {
		t.Fatalf("rates = %+v, want produce 2/s, consume 5/s over 20s", ev)
	}
	if ev.CatchUpMs == nil || *ev.CatchUpMs != 13333 {
		t.Errorf("catch up = %v, want 13333ms", ev.CatchUpMs)
	}
	// Falling behind: no estimate.
	if ev := Evaluate(series([3]int64{0, 100, 1}, [3]int64{10, 200, 1})); ev.CatchUpMs != nil {
		t.Errorf("falling behind: catch up = %d, want none", *ev.CatchUpMs)
	}
	// Caught up: 0.
	if ev := Evaluate(series([3]int64{0, 100, 1}, [3]int64{100, 100, 1})); ev.CatchUpMs == nil || *ev.CatchUpMs != 0 {
		t.Errorf("caught up: catch up = %v, want 0", ev.CatchUpMs)
	}
}

// History keeps the samples covering the window, and forgets groups that
// are gone.
func TestHistoryWindow(t *testing.T) {
	h := NewHistory(25 * time.Second)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	snap := func(i int, committed, end int64) *Snapshot {
		l := end - committed
		return &Snapshot{Time: t0.Add(time.Duration(i) * 10 * time.Second), Groups: []Group{{
			Group:  "g",
			Topics: []Topic{{Topic: "t", Partitions: []Partition{{Partition: 0, Committed: committed, End: end, Lag: &l}}}},
		}}}
	}
	s := snap(0, 0, 10)
	h.Add(s)
	if s.Groups[0].Status != nil {
		t.Fatalf("one sample: status %+v, want none", s.Groups[0].Status)
	}
	// Samples at 0s..50s, stuck at offset 5 from 10s on: the 25s window
	// at 50s covers 20s..50s plus the sample at 20s — all stuck — STOP.
	h.Add(snap(1, 5, 10))
	for i := 2; i <= 5; i++ {
		s = snap(i, 5, 10)
		h.Add(s)
	}
	ev := s.Groups[0].Status
	if ev == nil || ev.Status != StatusStop || ev.Samples != 4 || ev.SpanMs != 30000 {
		t.Fatalf("status = %+v, want STOP over 4 samples spanning 30s", ev)
	}
	h.Add(&Snapshot{Time: t0.Add(time.Minute)})
	if len(h.samples) != 0 {
		t.Errorf("history still holds %d groups after they vanished", len(h.samples))
	}
}

// Past maxReasons bad partitions, one line counts the rest, in the right
// number.
func TestEvaluateMoreReasons(t *testing.T) {
	stuck := func(n int) []GroupSample {
		out := series([3]int64{5, 10, 0}, [3]int64{5, 10, 0})
		for i := range out {
			p := out[i].Partitions[0]
			out[i].Partitions = nil
			for j := 0; j < n; j++ {
				p.Partition = int32(j)
				out[i].Partitions = append(out[i].Partitions, p)
			}
		}
		return out
	}
	for n, want := range map[int]string{maxReasons + 1: "and 1 more partition", maxReasons + 3: "and 3 more partitions"} {
		ev := Evaluate(stuck(n))
		if len(ev.Reasons) != maxReasons+1 || ev.Reasons[maxReasons] != want {
			t.Errorf("%d stuck partitions: reasons %q, want %d then %q", n, ev.Reasons, maxReasons, want)
		}
	}
	if ev := Evaluate(stuck(maxReasons)); len(ev.Reasons) != maxReasons || strings.Contains(strings.Join(ev.Reasons, "\n"), "more") {
		t.Errorf("%d stuck partitions: reasons %q, want one each", maxReasons, ev.Reasons)
	}
}
