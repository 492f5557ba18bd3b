package lag_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/feature/groups/lag"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Benchmarks against the in-process 3-broker kfake cluster. Figures and the
// exact command are in docs/benchmarks.md ("kctl lag").
//
//	go test ./internal/feature/groups/lag -run '^$' -bench . -benchtime 50x

func clientFor(t testing.TB, brokers []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// TestBenchFixture loads the benchmark data into the cluster named by
// KCTL_LAG_BENCH_BROKERS (scripts/bench.sh starts one with `kctl cluster
// up` and times the kctl binary against it); skipped otherwise. Groups:
// one-group-000 on a 200-partition topic, many-group-000..499 on 10-partition
// topics, every partition lagging, records an hour old.
func TestBenchFixture(t *testing.T) {
	brokers := os.Getenv("KCTL_LAG_BENCH_BROKERS")
	if brokers == "" {
		t.Skip("KCTL_LAG_BENCH_BROKERS not set: run scripts/bench.sh")
	}
	bs := strings.Split(brokers, ",")
	setupGroups(t, bs, "one", 1, 200, 10)
	setupGroups(t, bs, "many", 500, 10, 2)
}

// setupGroups creates `topics` topics of `parts` partitions with `records`
// records each (timestamps an hour old), and one group per topic committed
// at offset records/2 on every partition, so every partition lags.
func setupGroups(b testing.TB, brokers []string, prefix string, topics, parts, records int) []string {
	b.Helper()
	adm := kadm.NewClient(clientFor(b, brokers))
	prod := clientFor(b, brokers, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	ts := time.Now().Add(-time.Hour)
	var groups []string
	for i := range topics {
		topic := fmt.Sprintf("%s-%03d", prefix, i)
		devclustertest.CreateTopic(b, adm, topic, int32(parts), nil)
		produce(b, prod, topic, parts*records, roundRobin(parts), func(int) time.Time { return ts })
		offs := map[string]map[int32]int64{topic: {}}
		for p := range parts {
			offs[topic][int32(p)] = int64(records / 2)
		}
		g := fmt.Sprintf("%s-group-%03d", prefix, i)
		commit(b, adm, g, offs)
		groups = append(groups, g)
	}
	return groups
}

func check(b *testing.B, s *lag.Snapshot, groups, parts, records int) {
	b.Helper()
	if len(s.Groups) != groups {
		b.Fatalf("%d groups, want %d", len(s.Groups), groups)
	}
	for _, g := range s.Groups {
		if g.Lag != int64(parts*(records-records/2)) || g.TimeLagMs < time.Hour.Milliseconds() {
			b.Fatalf("group %s: lag %d time lag %dms, want %d and ≥1h", g.Group, g.Lag, g.TimeLagMs, parts*(records-records/2))
		}
	}
}

// One group on a 200-partition topic, time lag included (200 records read),
// with a connected client (what kctl does after connecting).
func BenchmarkOneGroup200Partitions(b *testing.B) {
	c := newCluster(b)
	groups := setupGroups(b, c.Brokers(), "one", 1, 200, 10)
	cl := devclustertest.Client(b, c)
	ctx := context.Background()
	var s *lag.Snapshot
	for b.Loop() {
		var err error
		if s, err = lag.Collect(ctx, cl, lag.Options{Groups: groups}); err != nil {
			b.Fatal(err)
		}
	}
	check(b, s, 1, 200, 10)
}

// The same from a new client each time: dial, ApiVersions, metadata — what
// one `kctl lag GROUP` run costs without process start-up.
func BenchmarkOneGroup200PartitionsColdClient(b *testing.B) {
	c := newCluster(b)
	groups := setupGroups(b, c.Brokers(), "one", 1, 200, 10)
	ctx := context.Background()
	var s *lag.Snapshot
	for b.Loop() {
		cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...))
		if err != nil {
			b.Fatal(err)
		}
		if s, err = lag.Collect(ctx, cl, lag.Options{Groups: groups}); err != nil {
			b.Fatal(err)
		}
		cl.Close()
	}
	check(b, s, 1, 200, 10)
}

// 500 groups, each on its own 10-partition topic (5,000 lagging partitions,
// 5,000 records read for time lag), all groups listed.
func Benchmark500Groups10Partitions(b *testing.B) {
	c := newCluster(b)
	setupGroups(b, c.Brokers(), "many", 500, 10, 2)
	cl := devclustertest.Client(b, c)
	ctx := context.Background()
	var s *lag.Snapshot
	for b.Loop() {
		var err error
		if s, err = lag.Collect(ctx, cl, lag.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	check(b, s, 500, 10, 2)
}
