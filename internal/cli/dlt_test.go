package cli

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/kctl/kctl/internal/devcluster/devclustertest"
	"github.com/kctl/kctl/services/dlt"
	"github.com/twmb/franz-go/pkg/kgo"
)

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
