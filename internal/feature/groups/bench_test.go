package groups_test

import (
	"testing"

	"github.com/kctl/kctl/internal/feature/groups"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkReset1000 is one `groups reset --execute` of a group on 1,000
// partitions against the in-process 3-broker cluster: describe the group,
// one Metadata, one ListOffsets round, the plan, one OffsetCommit. Figures
// in docs/benchmarks.md ("kctl groups reset"):
//
//	go test ./internal/feature/groups -run '^$' -bench Reset1000 -benchtime 50x -count 5
func BenchmarkReset1000(b *testing.B) {
	c := devclustertest.New(b)
	adm := devclustertest.Admin(b, c)
	const parts = 1000
	devclustertest.CreateTopic(b, adm, "big", parts, nil)
	offs := map[string]map[int32]int64{"big": {}}
	for p := range int32(parts) {
		offs["big"][p] = 0
	}
	commit(b, adm, "g", offs)
	produce(b, devclustertest.Client(b, c, kgo.RecordPartitioner(kgo.ManualPartitioner())), "big", parts, 4)
	cl := devclustertest.Client(b, c)
	ctx := ctxT(b)
	shifts := []int64{2, -2}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req := groups.ResetRequest{Group: "g", AllTopics: true, Strategy: groups.Strategy{Kind: groups.ShiftBy, Offset: shifts[i%2]}}
		obs, err := groups.Observe(ctx, cl, req)
		if err != nil {
			b.Fatal(err)
		}
		p := groups.BuildPlan(req, obs)
		if p.Summary.Reset != parts {
			b.Fatalf("plan resets %d, want %d", p.Summary.Reset, parts)
		}
		res, err := groups.Execute(ctx, cl, p)
		if err != nil || res.Committed != parts {
			b.Fatalf("execute: %v %+v", err, res.Failed)
		}
	}
}
