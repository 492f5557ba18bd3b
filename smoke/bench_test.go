package smoke

import (
	"context"
	"testing"
	"time"
)

// BenchmarkSmokeCount1000 runs the whole smoke path with 1000 sign-ups on a
// fresh in-process cluster per iteration and reports the end-to-end latency
// (sign-up answered → email logged as sent) percentiles.
//
//	go test ./smoke -run '^$' -bench SmokeCount1000 -benchtime 3x
func BenchmarkSmokeCount1000(b *testing.B) {
	var p50, p99, maxMs float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c := newClusterB(b)
		fx := setupB(b, c.Brokers())
		fx.opts.Count = 1000
		fx.opts.Timeout = 30 * time.Second
		b.StartTimer()
		rep := Run(context.Background(), fx.opts)
		b.StopTimer()
		if !rep.Passed {
			b.Fatalf("smoke failed: %+v", rep.Failed())
		}
		p50 += rep.Latency.P50Ms
		p99 += rep.Latency.P99Ms
		maxMs += rep.Latency.MaxMs
		c.Close()
	}
	b.ReportMetric(p50/float64(b.N), "p50-ms")
	b.ReportMetric(p99/float64(b.N), "p99-ms")
	b.ReportMetric(maxMs/float64(b.N), "max-ms")
}
