package dlt_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/view"
	"github.com/kctl/kctl/services/dlt"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.golden")

// The replay text: planned, replayed, failed and already-replayed rows, a skipped record,
// counts, warnings, progress; and the dry run's closing line.
func TestReplayTextGolden(t *testing.T) {
	ts := time.Date(2026, 12, 3, 7, 27, 57, 0, time.UTC)
	info := func(p int32, o int64, msg string) dlt.Info {
		return dlt.Info{OriginalTopic: "user.signed-up", OriginalPartition: p, OriginalOffset: o,
			ExceptionFQCN: "github.com/kctl/kctl/services/email.SendError", ExceptionMessage: msg}
	}
	p := &dlt.ReplayPlan{DLT: "user.signed-up.dlt", Group: "kctl-dlt-replay", Execute: true,
		Records: []dlt.Entry{
			{Partition: 0, Offset: 1, Timestamp: ts, Info: info(2, 0, "smtp 421\nservice not available"), To: "user.signed-up", Status: "replayed"},
			{Partition: 0, Offset: 3, Timestamp: ts, Info: info(1, 0, "smtp 421"), To: "user.signed-up", Status: "failed", Error: "produce: NOT_ENOUGH_REPLICAS (may or may not have been written)"},
			{Partition: 0, Offset: 5, Timestamp: ts, Info: info(0, 4, "smtp 421"), To: "user.signed-up", Status: dlt.StatusAlreadyReplayed},
		},
		Skipped:         []dlt.Skip{{Partition: 0, Offset: 2, Reason: "no kafka_dlt-original-topic header: the original topic is unknown"}},
		AlreadyReplayed: 1, FilteredOut: 4, Replayed: 1,
		Progress:  []dlt.PartitionProgress{{Partition: 0, Next: 0, DoneAbove: 3, End: 8}},
		Truncated: true, Warnings: []string{"destination topic \"x\" does not exist"},
	}
	var buf bytes.Buffer
	if err := p.WriteText(&buf, view.Plain{}); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("---\n")
	p.Execute = false
	p.Records[0].Status, p.Records[1].Status, p.Records[1].Error, p.Records[2].Status = "planned", "planned", "", "planned"
	if err := p.WriteText(&buf, view.Plain{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "replay.golden")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("replay.golden differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", buf.Bytes(), want)
	}
}
