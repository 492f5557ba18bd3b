package groups

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/kctl/kctl/internal/platform/view"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// goldenPlan covers every kind of row: reset, clamped, unchanged, never
// committed, unreadable; a missing topic, live members and a warning.
func goldenPlan() *Plan {
	obs := &Observed{Group: "email-service", Exists: true, State: "Stable", Members: []string{"email@10.0.0.7 (m-1)"},
		Missing: []string{"ghost"}, Warnings: []string{"list groups on broker 2: i/o timeout"},
		Partitions: []ObservedPartition{
			{Topic: "user.signed-up", Partition: 0, Committed: 40, LogStart: 0, End: 100},
			{Topic: "user.signed-up", Partition: 1, Committed: 2, LogStart: 10, End: 20},
			{Topic: "user.signed-up", Partition: 2, Committed: -1, LogStart: 0, End: 7},
			{Topic: "user.signed-up", Partition: 3, Committed: 5, LogStart: 0, End: 5},
			{Topic: "user.signed-up.dlt", Partition: 0, Committed: 3, LogStart: -1, End: -1, Error: "end offset: NOT_LEADER_OR_FOLLOWER"},
		}}
	return BuildPlan(ResetRequest{Group: "email-service", Strategy: Strategy{Kind: ShiftBy, Offset: -5}}, obs)
}

func TestTextGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := goldenPlan().WriteText(&buf, view.Plain{}); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("---\n")
	if err := (&Result{Group: "g", Committed: 1, Failed: 1, Partitions: []CommittedOffset{
		{Topic: "t", Partition: 0, Offset: 35},
		{Topic: "t", Partition: 1, Offset: 4, Error: "ILLEGAL_GENERATION (the group has live members again)"},
	}}).WriteText(&buf, view.Plain{}); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("---\n")
	if err := (&ListView{Groups: []Summary{
		{Group: "email-service", State: "Stable", Type: "classic", Protocol: "cooperative-sticky", Members: 2, Topics: []string{"user.signed-up", "user.signed-up.dlt"}},
		{Group: "g848", State: "Stable", Type: "consumer", Protocol: "uniform", Members: 1, Topics: []string{"next"}},
		{Group: "idle", State: "Empty", Type: "classic", Topics: []string{}},
		{Group: "broken", State: "", Type: "classic", Topics: []string{}, Error: "committed offsets: COORDINATOR_NOT_AVAILABLE"},
	}}).WriteText(&buf, view.Plain{}); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("---\n")
	if err := (&DescribeView{Group: "g848", State: "Stable", Type: "consumer", Protocol: "uniform", Coordinator: 2, Topics: []string{"next", "orders"},
		Members: []Member{
			{MemberID: "m-1", ClientID: "billing", Host: "10.0.0.7", InstanceID: "billing-0", Assignment: []TopicPartitions{{Topic: "next", Partitions: []int32{0, 1}}, {Topic: "orders", Partitions: []int32{2}}}},
			{MemberID: "m-2", ClientID: "billing", Host: "10.0.0.8", Assignment: []TopicPartitions{}},
		}}).WriteText(&buf, view.Plain{}); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("---\n")
	if err := (&DeleteResult{Groups: []DeleteOutcome{
		{Group: "old", Status: "deleted"},
		{Group: "live", Status: "refused", Members: []string{"billing@10.0.0.7 (m-1)"}, Error: `group "live" has 1 live member(s): billing@10.0.0.7 (m-1); stop them first`},
	}}).WriteText(&buf, view.Plain{}); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("---\n")
	// --all-topics of a group that has no committed offsets (it has members
	// that never committed): the wording names no flag that was not given.
	empty := BuildPlan(ResetRequest{Group: "g", AllTopics: true, Strategy: Strategy{Kind: ToEarliest}}, &Observed{Group: "g", Exists: true, State: "Empty", Members: []string{}})
	if err := empty.WriteText(&buf, view.Plain{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "text.golden", buf.Bytes())
}

func TestPlanJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := view.PrintJSON(&buf, goldenPlan()); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.json.golden", buf.Bytes())
}
