package groups

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func val(p *int64) string {
	if p == nil {
		return "nil"
	}
	return strconv.FormatInt(*p, 10)
}

// BuildPlan is a pure function of the request and the observation: each
// strategy, clamping, uncommitted partitions and errors.
func TestBuildPlan(t *testing.T) {
	at := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	// p0: committed 50 in [10, 100]; p1: never committed; p2: committed 5,
	// below the log start 10 (retention passed it); p3: unreadable.
	obs := &Observed{Group: "g", Exists: true, State: "Empty", Partitions: []ObservedPartition{
		{Topic: "t", Partition: 0, Committed: 50, LogStart: 10, End: 100, AtTime: 70},
		{Topic: "t", Partition: 1, Committed: -1, LogStart: 0, End: 20, AtTime: -1},
		{Topic: "t", Partition: 2, Committed: 5, LogStart: 10, End: 30, AtTime: 12},
		{Topic: "t", Partition: 3, Committed: 7, LogStart: -1, End: -1, AtTime: -1, Error: "end offset: NOT_LEADER_OR_FOLLOWER"},
	}}
	type row struct {
		new      string // new offset or nil
		after    string
		included bool
		clamped  bool
		noteHas  string
	}
	tests := []struct {
		name      string
		s         Strategy
		allTopics bool  // else the topic is named (--topic t)
		want      []row // p0..p3
		reset     int
		unchanged int
		excluded  int
	}{
		{"earliest, --all-topics", Strategy{Kind: ToEarliest}, true, []row{
			{"10", "90", true, false, ""},
			{"0", "20", false, false, "--all-topics resets committed partitions; --topic t includes it"},
			{"10", "20", true, false, ""},
			{"nil", "nil", false, false, "cannot be read"},
		}, 2, 0, 2},
		{"earliest, --topic t: every partition named", Strategy{Kind: ToEarliest}, false, []row{
			{"10", "90", true, false, ""},
			{"0", "20", true, false, "never committed: included"},
			{"10", "20", true, false, ""},
			{"nil", "nil", false, false, ""},
		}, 3, 0, 1},
		{"latest", Strategy{Kind: ToLatest}, true, []row{
			{"100", "0", true, false, ""},
			{"20", "0", false, false, "not included"},
			{"30", "0", true, false, ""},
			{"nil", "nil", false, false, ""},
		}, 2, 0, 2},
		{"offset clamped both ways", Strategy{Kind: ToOffset, Offset: 25}, true, []row{
			{"25", "75", true, false, ""},
			{"20", "0", false, true, "clamped to the end (asked 25)"},
			{"25", "5", true, false, ""},
			{"nil", "nil", false, false, ""},
		}, 2, 0, 2},
		{"offset below start", Strategy{Kind: ToOffset, Offset: 3}, true, []row{
			{"10", "90", true, true, "clamped to the log start (asked 3)"},
			{"3", "17", false, false, ""},
			{"10", "20", true, true, "clamped to the log start"},
			{"nil", "nil", false, false, ""},
		}, 2, 0, 2},
		{"shift back", Strategy{Kind: ShiftBy, Offset: -45}, false, []row{
			{"10", "90", true, true, "clamped to the log start (asked 5)"},
			{"nil", "nil", false, false, "no committed offset to start from"},
			{"10", "20", true, true, "asked -40"},
			{"nil", "nil", false, false, ""},
		}, 2, 0, 2},
		{"shift forward", Strategy{Kind: ShiftBy, Offset: 10}, true, []row{
			{"60", "40", true, false, ""},
			{"nil", "nil", false, false, ""},
			{"15", "15", true, false, ""},
			{"nil", "nil", false, false, ""},
		}, 2, 0, 2},
		{"current", Strategy{Kind: ToCurrent}, true, []row{
			{"50", "50", false, false, "unchanged"},
			{"nil", "nil", false, false, ""},
			{"10", "20", true, true, "clamped to the log start (asked 5)"},
			{"nil", "nil", false, false, ""},
		}, 1, 1, 2},
		{"datetime", Strategy{Kind: ToDatetime, Time: at}, true, []row{
			{"70", "30", true, false, ""},
			{"20", "0", false, false, "no record at or after 2026-12-03T08:00:00Z: the end"},
			{"12", "18", true, false, ""},
			{"nil", "nil", false, false, ""},
		}, 2, 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := BuildPlan(ResetRequest{Group: "g", Strategy: tc.s, AllTopics: tc.allTopics}, obs)
			if len(p.Partitions) != 4 {
				t.Fatalf("%d partitions, want 4", len(p.Partitions))
			}
			for i, w := range tc.want {
				pp := p.Partitions[i]
				if val(pp.New) != w.new || val(pp.LagAfter) != w.after || pp.Included != w.included || pp.Clamped != w.clamped || !strings.Contains(pp.Note, w.noteHas) {
					t.Errorf("p%d: new %s lagAfter %s included %v clamped %v note %q; want %s %s %v %v %q",
						i, val(pp.New), val(pp.LagAfter), pp.Included, pp.Clamped, pp.Note, w.new, w.after, w.included, w.clamped, w.noteHas)
				}
			}
			if s := p.Summary; s.Reset != tc.reset || s.Unchanged != tc.unchanged || s.Excluded != tc.excluded {
				t.Errorf("summary %+v, want reset %d unchanged %d excluded %d", s, tc.reset, tc.unchanged, tc.excluded)
			}
			// Lag before is End - Current, never negative, nil without a commit.
			if val(p.Partitions[0].LagBefore) != "50" || p.Partitions[1].LagBefore != nil || val(p.Partitions[2].LagBefore) != "25" {
				t.Errorf("lag before: %s %s %s, want 50 nil 25", val(p.Partitions[0].LagBefore), val(p.Partitions[1].LagBefore), val(p.Partitions[2].LagBefore))
			}
		})
	}
}

func TestBuildPlanMembersBlockExecution(t *testing.T) {
	obs := &Observed{Group: "g", Exists: true, State: "Stable", Members: []string{"c@h (m1)"}, Partitions: []ObservedPartition{
		{Topic: "t", Partition: 0, Committed: 5, LogStart: 0, End: 10},
	}}
	p := BuildPlan(ResetRequest{Group: "g", Strategy: Strategy{Kind: ToEarliest}}, obs)
	if p.Executable() || p.Summary.Reset != 1 {
		t.Fatalf("plan with live members: executable %v, reset %d; want not executable, 1 to reset", p.Executable(), p.Summary.Reset)
	}
	if _, err := Execute(t.Context(), nil, p); err == nil || !strings.Contains(err.Error(), "c@h (m1)") {
		t.Fatalf("Execute = %v, want a refusal naming the member", err)
	}
}

func TestParseSelection(t *testing.T) {
	for in, want := range map[string]string{
		"orders":       "orders []",
		"orders:0,2":   "orders [0 2]",
		"a:b:1":        "error",
		":1":           "error",
		"orders:x":     "error",
		"orders:-1":    "error",
		"orders:1, 3 ": "orders [1 3]",
	} {
		s, err := ParseSelection(in)
		got := "error"
		if err == nil {
			ps := []string{}
			for _, p := range s.Partitions {
				ps = append(ps, strconv.Itoa(int(p)))
			}
			got = s.Topic + " [" + strings.Join(ps, " ") + "]"
		}
		if got != want {
			t.Errorf("ParseSelection(%q) = %s (%v), want %s", in, got, err, want)
		}
	}
}
