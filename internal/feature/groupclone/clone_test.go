package groupclone

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/errs"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestClone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	src := kadm.Offsets{}
	src.Add(kadm.Offset{Topic: "t", Partition: 0, At: 3, LeaderEpoch: -1, Metadata: "m"})
	src.Add(kadm.Offset{Topic: "t", Partition: 1, At: 7, LeaderEpoch: -1})
	if _, err := adm.CommitOffsets(ctx, "billing", src); err != nil {
		t.Fatal(err)
	}

	var nf *errs.GroupNotFound
	if _, err := Build(ctx, adm, "biling", "copy", false); !errors.As(err, &nf) || nf.Suggestions["biling"] != "billing" {
		t.Fatalf("unknown src: %v, want *errs.GroupNotFound suggesting billing", err)
	}
	if _, err := Build(ctx, adm, "billing", "billing", false); err == nil {
		t.Fatal("src = dst: no error")
	}
	p, err := Build(ctx, adm, "billing", "copy", false)
	if err != nil {
		t.Fatal(err)
	}
	if p.DstExists || len(p.Offsets) != 2 || p.Offsets[0] != (Offset{"t", 0, 3, -1}) || p.Offsets[1] != (Offset{"t", 1, 7, -1}) {
		t.Fatalf("plan: %+v", p)
	}
	if got, _ := adm.FetchOffsets(ctx, "copy"); len(got) != 0 {
		t.Fatalf("Build committed: %v", got)
	}
	r, err := Execute(ctx, adm, p)
	if err != nil || len(r.Errors) != 0 || len(r.Committed) != 2 {
		t.Fatalf("execute: %+v, %v", r, err)
	}
	got, err := adm.FetchOffsets(ctx, "copy")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := got.Lookup("t", 0); o.At != 3 || o.Metadata != "m" {
		t.Fatalf("copy t:0: %+v", o)
	}
	if o, _ := got.Lookup("t", 1); o.At != 7 {
		t.Fatalf("copy t:1: %+v", o)
	}
	// The destination exists now: refused without force.
	var ee *ExistsError
	if _, err := Build(ctx, adm, "billing", "copy", false); !errors.As(err, &ee) {
		t.Fatalf("existing dst: %v, want *ExistsError", err)
	}
	if p, err := Build(ctx, adm, "billing", "copy", true); err != nil || !p.DstExists || p.Offsets[0].DstBefore != 3 {
		t.Fatalf("existing dst with force: %+v, %v", p, err)
	}
}
