package provision

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Benchmarks against an in-process 3-broker kfake cluster. Each timed
// operation is what `kctl apply` / `kctl plan` do after connecting: parse
// the file, Observe, Diff and (for creates) Apply, including the wait for
// leaders. Run: go test ./provision -run '^$' -bench . -benchtime 3x
// (see docs/benchmarks.md).

func topicsFile(n int) []byte {
	var b strings.Builder
	// 10,000 topics × 3 partitions × RF 3 on 3 brokers is 30,000 replicas a
	// broker, above the default ceiling (limits.partitionsPerBroker 4,000).
	b.WriteString("managedPrefixes: [bench.]\nlimits: {partitionsPerBroker: 100000}\ntopics:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - {name: bench.topic-%05d, partitions: 3, replicationFactor: 3, config: {min.insync.replicas: 2}}\n", i)
	}
	return []byte(b.String())
}

func startBench(b *testing.B) (*devcluster.Cluster, *kgo.Client, *counter) {
	b.Helper()
	c, err := devcluster.Start(devcluster.Options{})
	if err != nil {
		b.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...))
	if err != nil {
		b.Fatal(err)
	}
	if err := cl.Ping(context.Background()); err != nil {
		b.Fatal(err)
	}
	return c, cl, countRequests(c)
}

// apply is one `kctl apply --yes` after connecting.
func benchApply(b *testing.B, cl *kgo.Client, data []byte, aopts ApplyOptions) *Plan {
	f, diags := topology.Parse("topics.yaml", data)
	if diags.HasErrors() {
		b.Fatal(diags.Err())
	}
	st, err := Observe(context.Background(), cl, f)
	if err != nil {
		b.Fatal(err)
	}
	p := Diff(f, st, Options{})
	if _, err := Apply(context.Background(), cl, gated(p), aopts); err != nil {
		b.Fatal(err)
	}
	return p
}

func (k *counter) report(b *testing.B, ops int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	total := 0
	var parts []string
	for key, n := range k.n {
		total += n
		parts = append(parts, fmt.Sprintf("%s=%d", kmsg.NameForKey(key), n/ops))
	}
	sort.Strings(parts)
	b.ReportMetric(float64(total)/float64(ops), "requests/op")
	b.ReportMetric(float64(k.n[int16(kmsg.CreateTopics)])/float64(ops), "CreateTopics/op")
	b.Logf("requests per op: %s", strings.Join(parts, " "))
}

func benchCreate(b *testing.B, n int, aopts ApplyOptions) {
	data := topicsFile(n)
	var reqs *counter
	total := &counter{n: map[int16]int{}}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c, cl, k := startBench(b)
		reqs = k
		reqs.reset()
		b.StartTimer()
		p := benchApply(b, cl, data, aopts)
		b.StopTimer()
		if p.Summary.Create != n {
			b.Fatalf("planned %d creates", p.Summary.Create)
		}
		reqs.mu.Lock()
		for key, v := range reqs.n {
			total.n[key] += v
		}
		reqs.mu.Unlock()
		cl.Close()
		c.Close()
		b.StartTimer()
	}
	b.StopTimer()
	total.report(b, b.N)
}

// BenchmarkCreate500 creates 500 topics (3 partitions, RF 3,
// min.insync.replicas 2) on a fresh cluster.
func BenchmarkCreate500(b *testing.B) { benchCreate(b, 500, ApplyOptions{}) }

// BenchmarkCreate10000 creates 10,000 such topics with the default limits,
// which split CreateTopics at the KRaft controller's 10,000 records.
func BenchmarkCreate10000(b *testing.B) { benchCreate(b, 10000, ApplyOptions{}) }

// BenchmarkCreate10000OneRequest lifts the record limit (kfake has none):
// one CreateTopics for all 10,000 topics.
func BenchmarkCreate10000OneRequest(b *testing.B) {
	benchCreate(b, 10000, ApplyOptions{MaxRecordsPerRequest: 1 << 30})
}

// BenchmarkPlanNoop10000 plans 10,000 applied topics: nothing to do.
func BenchmarkPlanNoop10000(b *testing.B) {
	data := topicsFile(10000)
	c, cl, reqs := startBench(b)
	defer c.Close()
	defer cl.Close()
	benchApply(b, cl, data, ApplyOptions{})
	reqs.reset()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, diags := topology.Parse("topics.yaml", data)
		if diags.HasErrors() {
			b.Fatal(diags.Err())
		}
		st, err := Observe(context.Background(), cl, f)
		if err != nil {
			b.Fatal(err)
		}
		if p := Diff(f, st, Options{Prune: true}); len(p.Changes) != 0 {
			b.Fatalf("no-op plan has %d changes", len(p.Changes))
		}
	}
	b.StopTimer()
	reqs.report(b, b.N)
}
