package reassign

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkPlan100k plans a rebalance of 100,000 partitions (replication
// factor 1..3; no racks, or 4 racks of 25) over 100 brokers of which 20 were just added and
// hold nothing. It reports the replicas the plan copies, the lower bound
// (the fewest copies that reach balance) and what a
// kafka-reassign-partitions.sh --generate assignment would copy.
// Run: go test ./provision/reassign -run '^$' -bench Plan -benchtime 5x
func BenchmarkPlan100k(b *testing.B) {
	for _, c := range []struct {
		name        string
		racks, used int
	}{{"no-racks", 0, 80}, {"4-racks", 4, 80}} {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(42, 42))
			in := cluster(rng, 100, c.racks, 100000, c.used)
			var res Result
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var err error
				if res, err = Plan(in); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			lb := LowerBound(in)
			b.ReportMetric(float64(res.ReplicasAdded), "copies")
			b.ReportMetric(float64(lb), "lower-bound")
			b.ReportMetric(float64(res.ReplicasAdded)/float64(lb), "copies/bound")
			b.ReportMetric(float64(Added(KafkaGenerate(in, 1))), "generate-copies")
			b.ReportMetric(float64(len(res.Moves)), "partitions-moved")
		})
	}
}
