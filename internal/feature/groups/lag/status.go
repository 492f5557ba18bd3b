package lag

import (
	"fmt"
	"sort"
	"time"

	"github.com/kctl/kctl/internal/platform/human"
)

// Status is a group's health over a window of samples, in the spirit of
// Burrow's consumer evaluator.
type Status string

// The statuses, from best to worst.
const (
	StatusOK    Status = "OK"    // caught up at some point, or consuming without falling behind
	StatusWarn  Status = "WARN"  // consuming, but lag grew in every interval (or offsets rewound)
	StatusStall Status = "STALL" // a live member owns the partition, its offset does not move, lag > 0
	StatusStop  Status = "STOP"  // no live member owns the partition, no commit in the window, lag > 0
)

func (s Status) rank() int {
	switch s {
	case StatusWarn:
		return 1
	case StatusStall:
		return 2
	case StatusStop:
		return 3
	}
	return 0
}

// PartitionSample is one partition of a group at one instant.
type PartitionSample struct {
	Topic     string
	Partition int32
	Committed int64 // -1: no commit
	End       int64
	Lag       int64
	Owned     bool // a live member owns the partition
}

// GroupSample is a group at one instant.
type GroupSample struct {
	Time       time.Time
	Partitions []PartitionSample
}

// Sample returns the group's partitions whose lag is known, as a sample
// taken at t.
func (g Group) Sample(t time.Time) GroupSample {
	s := GroupSample{Time: t}
	for _, tv := range g.Topics {
		for _, p := range tv.Partitions {
			if p.Lag == nil {
				continue
			}
			s.Partitions = append(s.Partitions, PartitionSample{
				Topic: tv.Topic, Partition: p.Partition, Committed: p.Committed,
				End: p.End, Lag: *p.Lag, Owned: p.Owner != nil,
			})
		}
	}
	return s
}

// Evaluation is a group's status over its samples, with its rates.
type Evaluation struct {
	Status Status `json:"status" yaml:"status"`
	// Reasons name the partitions that made the status, worst first.
	Reasons []string `json:"reasons,omitempty" yaml:"reasons,omitempty"`
	// Samples and SpanMs: how many samples, over how long.
	Samples int   `json:"samples" yaml:"samples"`
	SpanMs  int64 `json:"spanMs" yaml:"spanMs"`
	// ConsumeRate and ProduceRate are records per second over the span.
	ConsumeRate float64 `json:"consumeRate" yaml:"consumeRate"`
	ProduceRate float64 `json:"produceRate" yaml:"produceRate"`
	// CatchUpMs estimates when the lag reaches 0 at the current rates:
	// 0 when caught up, null when it is not shrinking.
	CatchUpMs *int64 `json:"catchUpMs" yaml:"catchUpMs"`
}

const maxReasons = 5

// Evaluate computes a group's status from its samples (oldest first; at
// least two are needed, otherwise the status is empty). Each partition seen
// in at least two samples is judged, in this order:
//
//  1. OK if its lag was 0 in any sample (it caught up within the window).
//  2. WARN if its committed offset went backwards (offsets were rewound).
//  3. If its committed offset never changed: STALL when a live member owns
//     it in the last sample (the consumer is up but stuck), STOP when none
//     does (nobody is consuming: no commit can come).
//  4. WARN if its lag grew in every interval (consuming, falling behind).
//  5. OK otherwise.
//
// The group's status is its worst partition's (OK < WARN < STALL < STOP).
// The rates are the growth of the end offsets (produce) and of the consumed
// offsets (produce minus lag growth) per second between the first and last
// samples, summed over the partitions present in both.
func Evaluate(samples []GroupSample) Evaluation {
	ev := Evaluation{Samples: len(samples)}
	if len(samples) < 2 {
		return ev
	}
	first, last := samples[0], samples[len(samples)-1]
	span := last.Time.Sub(first.Time)
	ev.SpanMs = span.Milliseconds()

	// Per partition series, in sample order.
	series := map[tp][]PartitionSample{}
	var keys []tp
	for _, s := range samples {
		for _, p := range s.Partitions {
			k := tp{p.Topic, p.Partition}
			if _, ok := series[k]; !ok {
				keys = append(keys, k)
			}
			series[k] = append(series[k], p)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].t != keys[j].t {
			return keys[i].t < keys[j].t
		}
		return keys[i].p < keys[j].p
	})

	type verdict struct {
		status Status
		reason string
	}
	var bad []verdict
	ev.Status = StatusOK
	for _, k := range keys {
		ps := series[k]
		if len(ps) < 2 {
			continue
		}
		st, why := judge(ps, span)
		if st.rank() > ev.Status.rank() {
			ev.Status = st
		}
		if st != StatusOK {
			bad = append(bad, verdict{st, fmt.Sprintf("%s/%d %s", k.t, k.p, why)})
		}
	}
	sort.SliceStable(bad, func(i, j int) bool { return bad[i].status.rank() > bad[j].status.rank() })
	for i, b := range bad {
		if i == maxReasons {
			ev.Reasons = append(ev.Reasons, "and "+human.Plural(len(bad)-maxReasons, "more partition"))
			break
		}
		ev.Reasons = append(ev.Reasons, b.status.String()+": "+b.reason)
	}

	// Rates over the partitions present in the first and last samples.
	firstBy := map[tp]PartitionSample{}
	for _, p := range first.Partitions {
		firstBy[tp{p.Topic, p.Partition}] = p
	}
	var produced, consumed, lagNow int64
	for _, p := range last.Partitions {
		lagNow += p.Lag
		f, ok := firstBy[tp{p.Topic, p.Partition}]
		if !ok {
			continue
		}
		dEnd := p.End - f.End
		produced += dEnd
		consumed += dEnd - (p.Lag - f.Lag)
	}
	if secs := span.Seconds(); secs > 0 {
		ev.ProduceRate = float64(produced) / secs
		ev.ConsumeRate = float64(consumed) / secs
	}
	switch net := ev.ConsumeRate - ev.ProduceRate; {
	case lagNow == 0:
		ev.CatchUpMs = new(int64(0))
	case net > 0:
		ev.CatchUpMs = new(int64(float64(lagNow) / net * 1000))
	}
	return ev
}

func (s Status) String() string { return string(s) }

// judge applies the rules of Evaluate to one partition's series.
func judge(ps []PartitionSample, span time.Duration) (Status, string) {
	for _, p := range ps {
		if p.Lag == 0 {
			return StatusOK, ""
		}
	}
	f, l := ps[0], ps[len(ps)-1]
	moved := false
	for i := 1; i < len(ps); i++ {
		if ps[i].Committed < ps[i-1].Committed {
			return StatusWarn, fmt.Sprintf("committed offset rewound from %d to %d", ps[i-1].Committed, ps[i].Committed)
		}
		if ps[i].Committed != ps[i-1].Committed {
			moved = true
		}
	}
	if !moved {
		at := fmt.Sprintf("no commit for %s", human.Age(span))
		if l.Committed >= 0 {
			at = fmt.Sprintf("committed offset %d unchanged for %s", l.Committed, human.Age(span))
		}
		if l.Owned {
			return StatusStall, fmt.Sprintf("%s with lag %d; a live member owns it", at, l.Lag)
		}
		return StatusStop, fmt.Sprintf("%s with lag %d; no live member owns it", at, l.Lag)
	}
	growing := true
	for i := 1; i < len(ps); i++ {
		if ps[i].Lag <= ps[i-1].Lag {
			growing = false
			break
		}
	}
	if growing {
		return StatusWarn, fmt.Sprintf("lag grew in every sample, %d → %d", f.Lag, l.Lag)
	}
	return StatusOK, ""
}

// History keeps each group's samples over a sliding window and evaluates
// them.
type History struct {
	window  time.Duration
	samples map[string][]GroupSample
}

// NewHistory returns a history keeping samples over window.
func NewHistory(window time.Duration) *History {
	return &History{window: window, samples: map[string][]GroupSample{}}
}

// Add records a sample of every group of s (at s.Time) and sets each
// group's Status from its samples in the window: those at or after
// s.Time-window, plus the newest one before, so the window is covered.
// Groups no longer in s are forgotten.
func (h *History) Add(s *Snapshot) {
	seen := map[string]bool{}
	for i := range s.Groups {
		g := &s.Groups[i]
		seen[g.Group] = true
		ss := append(h.samples[g.Group], g.Sample(s.Time))
		start := s.Time.Add(-h.window)
		for len(ss) >= 2 && !ss[1].Time.After(start) {
			ss = ss[1:]
		}
		h.samples[g.Group] = ss
		if len(ss) >= 2 {
			ev := Evaluate(ss)
			g.Status = &ev
		}
	}
	for n := range h.samples {
		if !seen[n] {
			delete(h.samples, n)
		}
	}
}
