package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
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
		!strings.Contains(errOut, "then run kctl dlt replay --dlt orders.dlt --yes (or --dry-run to stop after the plan)") {
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

// hookReader runs hook before its first read, then reads r: stdin whose
// answer comes once something happened between the plan and the "yes".
type hookReader struct {
	hook func()
	r    io.Reader
}

func (h *hookReader) Read(p []byte) (int, error) {
	if h.hook != nil {
		h.hook()
		h.hook = nil
	}
	return h.r.Read(p)
}

// After a "yes", dlt replay republishes the dead letters it listed and no
// other: between the list and the answer another run replays the first
// listed one and a new dead letter arrives; the first is reported as
// already replayed, the second listed one is sent, the new one waits for
// the next run.
func TestDLTReplayYesExecutesTheList(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "orders", 1, nil)
	devclustertest.CreateTopic(t, adm, "orders.dlt", 1, nil)
	cl := devclustertest.Client(t, c)
	deadLetter := func(i int) {
		t.Helper()
		orig := &kgo.Record{Topic: "orders", Partition: 0, Offset: int64(i), Key: []byte(strconv.Itoa(i)), Value: []byte("v")}
		if err := cl.ProduceSync(context.Background(), dlt.Record("orders.dlt", orig, "g", errors.New("boom"))).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	deadLetter(0)
	deadLetter(1)
	meanwhile := func() {
		o := dlt.ReplayOptions{DLT: "orders.dlt", Limit: 1, ClientOpts: []kgo.Opt{kgo.SeedBrokers(c.Brokers()...)}}
		plan, err := dlt.PlanReplay(context.Background(), cl, o)
		if err == nil {
			_, err = dlt.ExecuteReplay(context.Background(), cl, plan)
		}
		if err != nil {
			t.Errorf("the other run: %v", err)
		}
		deadLetter(2)
	}
	var out, errOut bytes.Buffer
	env := map[string]string{"KCTL_BROKERS": c.Bootstrap(), "NO_COLOR": "1", "XDG_CONFIG_HOME": t.TempDir()}
	f := NewFactory(IOStreams{In: &hookReader{hook: meanwhile, r: strings.NewReader("yes\n")}, Out: &out, ErrOut: &errOut}, func(k string) string { return env[k] })
	f.IsTerminal = func(s any) bool { return s == f.IO.In }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if code := Run(ctx, f, []string{"dlt", "replay", "--dlt", "orders.dlt"}); code != ExitOK ||
		!strings.Contains(out.String(), "already replayed by another run") || !strings.Contains(out.String(), "Replayed 1 of 2") {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	ends, err := adm.ListEndOffsets(context.Background(), "orders")
	if err != nil {
		t.Fatal(err)
	}
	// 2 records (one per run) and 2 commit markers; the new dead letter
	// would make it 5 or more.
	if o, _ := ends.Lookup("orders", 0); o.Offset != 4 {
		t.Fatalf("end offset of orders %d, want 4: each listed dead letter once, the new one not", o.Offset)
	}
	code, next, _ := run(t, c, "", false, "dlt", "replay", "--dlt", "orders.dlt", "--dry-run")
	if code != ExitOK || !strings.Contains(next, "1 to replay,") || !strings.Contains(next, "orders/0/2") {
		t.Fatalf("next plan: exit %d\n%s", code, next)
	}
}
