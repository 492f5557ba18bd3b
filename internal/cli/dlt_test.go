package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/kctl/kctl/services/dlt"
	"github.com/twmb/franz-go/pkg/kgo"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.golden")

// The replay text: planned, replayed and failed rows, a skipped record,
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
		},
		Skipped:         []dlt.Skip{{Partition: 0, Offset: 2, Reason: "no kafka_dlt-original-topic header: the original topic is unknown"}},
		AlreadyReplayed: 1, FilteredOut: 4, Replayed: 1,
		Progress:  []dlt.PartitionProgress{{Partition: 0, Next: 0, DoneAbove: 3, End: 8}},
		Truncated: true, Warnings: []string{"destination topic \"x\" does not exist"},
	}
	var buf bytes.Buffer
	if err := writeReplayText(&buf, view.Plain{}, p); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("---\n")
	p.Execute = false
	p.Records[0].Status, p.Records[1].Status, p.Records[1].Error = "planned", "planned", ""
	if err := writeReplayText(&buf, view.Plain{}, p); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "dlt_replay.golden")
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
		t.Errorf("dlt_replay.golden differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", buf.Bytes(), want)
	}
}

// dlt replay asks like apply: on a terminal "no" sends nothing, "yes"
// republishes exactly what was listed; without a terminal --yes is needed.
func TestDLTReplayConfirm(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "orders", 1, nil)
	devclustertest.CreateTopic(t, adm, "orders.dlt", 1, nil)
	cl := devclustertest.Client(t, c)
	for i := range 2 {
		orig := &kgo.Record{Topic: "orders", Partition: 0, Offset: int64(i), Key: []byte(strconv.Itoa(i)), Value: []byte("v")}
		if err := cl.ProduceSync(context.Background(), dlt.Record("orders.dlt", orig, "g", errors.New("boom"))).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	onOrders := func() int64 {
		t.Helper()
		ends, err := adm.ListEndOffsets(context.Background(), "orders")
		if err != nil {
			t.Fatal(err)
		}
		o, _ := ends.Lookup("orders", 0)
		return o.Offset
	}
	replay := []string{"dlt", "replay", "--dlt", "orders.dlt"}
	code, out, errOut := run(t, c, "", false, replay...)
	if code != ExitError || !strings.Contains(out, "2 to replay") || strings.Contains(out, "Dry run") ||
		!strings.Contains(errOut, "then run kctl dlt replay --yes (or --dry-run to stop after the plan)") {
		t.Fatalf("no terminal: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, c, "no\n", true, replay...)
	if code != ExitError || !strings.Contains(errOut, "Republish these dead letters? Only 'yes' is accepted: ") || !strings.Contains(errOut, "dlt replay cancelled: nothing was changed") {
		t.Fatalf("no: exit %d\n%s%s", code, out, errOut)
	}
	if n := onOrders(); n != 0 {
		t.Fatalf("%d records sent without a yes", n)
	}
	code, out, errOut = run(t, c, "yes\n", true, replay...)
	if code != ExitOK || !strings.Contains(out, "Replayed 2 of 2") {
		t.Fatalf("yes: exit %d\n%s%s", code, out, errOut)
	}
	// Transaction markers count as offsets: 2 records and 1 commit marker.
	if n := onOrders(); n < 2 || n > 3 {
		t.Fatalf("end offset of orders after the replay: %d", n)
	}
	code, out, _ = run(t, c, "", false, replay...)
	if code != ExitOK || !strings.Contains(out, "Nothing to replay.") {
		t.Fatalf("again: exit %d\n%s", code, out)
	}
}
