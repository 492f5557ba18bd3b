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
// command does; with the cluster's access read too (the default) and
// without (--no-access). Target: under 1 s (docs/benchmarks.md).
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
	// access: as the command does by default, the cluster's ACLs, users
	// and quotas read too (one request each, sent with the topics'); topics:
	// --no-access.
	for _, access := range []bool{true, false} {
		name := "topics"
		if access {
			name = "access"
		}
		b.Run(name, func(b *testing.B) {
			reqs.reset()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ex, err := ExportTopics(context.Background(), cl, ExportOptions{Access: access})
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
			want := 0
			if access {
				want = b.N
			}
			for _, key := range []kmsg.Key{kmsg.DescribeACLs, kmsg.DescribeUserSCRAMCredentials, kmsg.DescribeClientQuotas} {
				if got := reqs.get(key); got != want {
					b.Errorf("%s = %d over %d exports, want %d", key.Name(), got, b.N, want)
				}
			}
		})
	}
}
