package lag

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/view"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func i64(v int64) *int64 { return &v }

// goldenSnapshot covers every text feature: members, owners, a partition
// without a commit, a clamped commit, markers only, an unreadable record, a
// deleted topic, a status, breaches, an empty group, a group error and a
// warning.
func goldenSnapshot() Snapshot {
	ts := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	owner := &Owner{MemberID: "m-1", ClientID: "email-service", Host: "10.0.0.7"}
	s := Snapshot{Time: ts, Groups: []Group{
		{
			Group: "email-service", State: "Stable", Type: "classic", ProtocolType: "consumer", Protocol: "cooperative-sticky", Coordinator: 1,
			Members: []Member{{MemberID: "m-1", ClientID: "email-service", Host: "10.0.0.7", Partitions: 3}, {MemberID: "m-2", ClientID: "email-service", Host: "10.0.0.8", Partitions: 0}},
			Topics: []Topic{
				{Topic: "user.signed-up", Partitions: []Partition{
					{Partition: 0, Committed: 40, End: 100, Lag: i64(60), TimeLagMs: i64(125000), Owner: owner},
					{Partition: 1, Committed: -1, LogStart: i64(4), End: 10, Lag: i64(6), TimeLagMs: i64(3_600_000), Owner: owner, NoCommit: true},
					{Partition: 2, Committed: 120, End: 100, Lag: i64(0), TimeLagMs: i64(0), Owner: owner, Clamped: true},
				}},
				{Topic: "user.signed-up.dlt", Partitions: []Partition{
					{Partition: 0, Committed: 7, End: 8, Lag: i64(0), TimeLagMs: i64(0), MarkersOnly: true},
					{Partition: 1, Committed: 3, End: 9, Lag: i64(6), Error: "time lag: record at offset 3: NOT_LEADER_FOR_PARTITION"},
				}},
				{Topic: "old-topic", Deleted: true, Partitions: []Partition{{Partition: 0, Committed: 12, End: -1}}},
			},
			Status: &Evaluation{Status: StatusWarn, Reasons: []string{"WARN: user.signed-up/0 lag grew in every sample, 40 → 60"}, Samples: 5, SpanMs: 40000, ConsumeRate: 12.5, ProduceRate: 13, CatchUpMs: nil},
		},
		{Group: "idle", State: "Empty", Type: "classic", Members: []Member{}, Topics: []Topic{
			{Topic: "orders", Partitions: []Partition{{Partition: 0, Committed: 5, End: 5, Lag: i64(0), TimeLagMs: i64(0)}}},
		}, Status: &Evaluation{Status: StatusOK, Samples: 2, SpanMs: 5000, CatchUpMs: i64(0)}},
		{Group: "broken", State: "", Type: "classic", Members: []Member{}, Topics: []Topic{}, Error: "committed offsets: COORDINATOR_NOT_AVAILABLE"},
	}, Warnings: []string{"list groups on broker 2: i/o timeout (its groups are not shown)"}}
	for i := range s.Groups {
		s.Groups[i].finish()
	}
	max := int64(50)
	s.Check(Thresholds{MaxLag: &max})
	return s
}

func TestWriteTextGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := goldenSnapshot().WriteText(&buf, view.Plain{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "text.golden", buf.Bytes())

	buf.Reset()
	if err := (Snapshot{Groups: []Group{}}).WriteText(&buf, view.Plain{}); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "No consumer groups match.\n" {
		t.Errorf("empty snapshot: %q", buf.String())
	}
}

func TestJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := view.PrintJSON(&buf, goldenSnapshot()); err != nil {
		t.Fatal(err)
	}
	golden(t, "json.golden", buf.Bytes())
}

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
