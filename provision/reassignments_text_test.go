package provision

import (
	"bytes"
	"testing"
	"time"
)

// The views cli prints for reassignments and rebalances: each line comes
// from the view's fields.
func TestReassignmentAndRebalanceViews(t *testing.T) {
	var b bytes.Buffer
	v := ReassignmentsView{InProgress: []Reassignment{{Topic: "orders", Partition: 3, Replicas: []int32{0, 1, 2}, Adding: []int32{2}, Removing: []int32{0}, Progress: 0.5}},
		Separate: true, ThrottleMarker: "/m/kfake.json"}
	if err := v.WriteText(&b, Plain{}); err != nil {
		t.Fatal(err)
	}
	want := "\n1 partition reassignment in progress:\n  orders/3  replicas [0,1,2]  adding [2]  removing [0]   50%\nThe throttle kctl set for the rebalance recorded in /m/kfake.json is removed too.\n"
	if b.String() != want {
		t.Errorf("reassignments:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	_ = ReassignmentsView{Clear: true}.WriteText(&b, Plain{})
	if b.String() != "\x1b[H\x1b[2JNo partition reassignments in progress.\n" {
		t.Errorf("none, cleared: %q", b.String())
	}

	st := &RebalanceState{Started: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC), Throttle: 1 << 20,
		Moves: []StateMove{{State: MoveDone}, {State: MoveStarted}, {State: MovePending}}}
	b.Reset()
	_ = RebalanceInProgress{State: st, Path: "/m/kfake.json"}.WriteText(&b, Plain{})
	want = "A rebalance started at 2026-12-03T08:00:00Z is in progress: 1 of 3 moves done, 1 running, 1 pending.\nResume it with kctl rebalance --yes, or cancel it with kctl rebalance --cancel --yes (recorded in /m/kfake.json).\n"
	if b.String() != want {
		t.Errorf("in progress:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	_ = RebalanceDone{Label: "Rebalance", State: st, LeadersElected: true}.WriteText(&b, Plain{})
	if want := "\nRebalance complete: 1 of 3 partitions moved; throttle removed; preferred leaders elected.\n"; b.String() != want {
		t.Errorf("done: %q, want %q", b.String(), want)
	}
}
