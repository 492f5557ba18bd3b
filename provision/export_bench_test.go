package provision

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// BenchmarkExport10000 is `kctl export` of 10,000 topics (3 partitions,
// RF 3, each with min.insync.replicas and retention.ms set, every other one
// segment.bytes too) on the embedded cluster: one Metadata, one batched
// DescribeConfigs, the YAML written and checked with the parser, as the
// command does. Target: under 1 s (docs/benchmarks.md).
func BenchmarkExport10000(b *testing.B) {
	const n = 10000
	c, cl, reqs := startBench(b)
	defer c.Close()
	defer cl.Close()
	topics := make([]kmsg.CreateTopicsRequestTopic, n)
	for i := range topics {
		kv := []string{"min.insync.replicas", "2", "retention.ms", fmt.Sprint(int64(i%7+1) * 86400000)}
		if i%2 == 0 {
			kv = append(kv, "segment.bytes", "536870912")
		}
		topics[i] = rawTopic(fmt.Sprintf("bench.topic-%05d", i), 3, 3, kv...)
	}
	createRaw(b, cl, topics...)
	reqs.reset()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ex, err := ExportTopics(context.Background(), cl, ExportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := ex.Spec.Encode(&buf); err != nil {
			b.Fatal(err)
		}
		if _, diags := topology.Parse("exported.yaml", buf.Bytes()); diags.HasErrors() || ex.Topics != n {
			b.Fatalf("exported %d topics, %v", ex.Topics, diags.Err())
		}
	}
	b.StopTimer()
	reqs.report(b, b.N)
	if got := reqs.get(kmsg.Metadata) + reqs.get(kmsg.DescribeConfigs); got != 2*b.N {
		b.Errorf("Metadata+DescribeConfigs = %d over %d exports, want 2 each", got, b.N)
	}
}
