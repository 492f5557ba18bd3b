package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/internal/platform/observe"
	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func newCluster(t testing.TB, opts ...kfake.Opt) *devcluster.Cluster {
	return devclustertest.New(t, opts...)
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// counter counts the requests a cluster handles, by key, with a control
// that observes and lets the cluster answer (handled=false).
type counter struct {
	mu sync.Mutex
	n  map[int16]int
}

func countRequests(c *devcluster.Cluster) *counter {
	k := &counter{n: map[int16]int{}}
	c.Control(func(req kmsg.Request) (kmsg.Response, error, bool) {
		k.mu.Lock()
		k.n[req.Key()]++
		k.mu.Unlock()
		return nil, nil, false
	})
	return k
}

func (k *counter) get(key kmsg.Key) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.n[int16(key)]
}

func (k *counter) reset() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.n = map[int16]int{}
}

func client(t testing.TB, c *devcluster.Cluster) *kgo.Client {
	cl := devclustertest.Client(t, c)
	if err := cl.Ping(ctx(t)); err != nil {
		t.Fatal(err)
	}
	return cl
}

func parse(t testing.TB, src string) *topology.File {
	t.Helper()
	f, diags := topology.Parse("topics.yaml", []byte(src))
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	return f
}

func planFor(t testing.TB, cl *kgo.Client, f *topology.File, opts Options) *Plan {
	t.Helper()
	st, err := Observe(ctx(t), cl, f)
	if err != nil {
		t.Fatal(err)
	}
	return Diff(f, st, opts)
}

// topics reads every topic with an uncached Metadata request: name →
// partitions.
func topics(t testing.TB, cl *kgo.Client) map[string]kmsg.MetadataResponseTopic {
	t.Helper()
	req := kmsg.NewPtrMetadataRequest()
	resp, err := req.RequestWith(ctx(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]kmsg.MetadataResponseTopic{}
	for _, tp := range resp.Topics {
		if tp.Topic != nil && tp.ErrorCode == 0 {
			out[*tp.Topic] = tp
		}
	}
	return out
}

func has(t testing.TB, cl *kgo.Client, name string) bool {
	_, ok := topics(t, cl)[name]
	return ok
}

func partitionsOf(t testing.TB, cl *kgo.Client, name string) []kmsg.MetadataResponseTopicPartition {
	t.Helper()
	tp, ok := topics(t, cl)[name]
	if !ok {
		t.Fatalf("topic %s does not exist", name)
	}
	return tp.Partitions
}

// topicConfig returns a topic config's value and source as the broker
// describes it ("" and "" when it does not describe the key).
func topicConfig(t testing.TB, adm *kadm.Client, topic, key string) (string, string) {
	t.Helper()
	rcs, err := adm.DescribeTopicConfigs(ctx(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On(topic, nil)
	if err != nil || rc.Err != nil {
		t.Fatalf("configs of %s: %v %v", topic, err, rc.Err)
	}
	for _, c := range rc.Configs {
		if c.Key == key && c.Value != nil {
			return *c.Value, observe.SourceName(c.Source)
		}
	}
	return "", ""
}

const signUp = `
managedPrefixes: [user.]
topics:
  - name: user.signed-up
    partitions: 3
    replicationFactor: 3
    config:
      min.insync.replicas: 2
      retention.ms: 7d
  - name: user.signed-up.dlt
    partitions: 1
    replicationFactor: 3
    config:
      min.insync.replicas: 2
`

// TestApplyCreatesAndReapplyPlansNothing: the sign-up topics are created
// with one CreateTopics, get leaders, and a second plan is empty.
func TestApplyCreatesAndReapplyPlansNothing(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	adm := kadm.NewClient(cl)
	reqs := countRequests(c)
	f := parse(t, signUp)

	p := planFor(t, cl, f, Options{})
	if p.Summary != (Summary{Create: 2}) {
		t.Fatalf("summary = %+v", p.Summary)
	}
	res, err := Apply(ctx(t), cl, gated(p), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Count(Create) != 2 || res.Requests["CreateTopics"] != 1 || reqs.get(kmsg.CreateTopics) != 1 {
		t.Fatalf("result %+v, CreateTopics seen by the cluster: %d", res, reqs.get(kmsg.CreateTopics))
	}
	for name, parts := range map[string]int{"user.signed-up": 3, "user.signed-up.dlt": 1} {
		ps := partitionsOf(t, cl, name)
		if len(ps) != parts {
			t.Errorf("%s has %d partitions, want %d", name, len(ps), parts)
		}
		for _, pd := range ps {
			if len(pd.Replicas) != 3 || pd.Leader < 0 {
				t.Errorf("%s/%d: replicas %v leader %d", name, pd.Partition, pd.Replicas, pd.Leader)
			}
		}
		if v, src := topicConfig(t, adm, name, "min.insync.replicas"); v != "2" || src != SourceTopic {
			t.Errorf("%s min.insync.replicas = %q (%s)", name, v, src)
		}
	}
	if v, _ := topicConfig(t, adm, "user.signed-up", "retention.ms"); v != "604800000" {
		t.Errorf("retention.ms = %q, want 604800000 (7d)", v)
	}

	again := planFor(t, cl, f, Options{})
	if len(again.Changes) != 0 || len(again.Unmanaged) != 0 {
		t.Fatalf("second plan: %v %+v", describe(again), again.Unmanaged)
	}
	var sb strings.Builder
	if err := again.WriteText(&sb, plainStyles); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sb.String(), "No changes.") {
		t.Errorf("text = %q", sb.String())
	}
}

// TestUpdatePartitionsAndConfigs: an edited file adds partitions and
// changes configs in one CreatePartitions and one IncrementalAlterConfigs.
func TestUpdatePartitionsAndConfigs(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	adm := kadm.NewClient(cl)
	devclustertest.CreateTopic(t, adm, "user.a", 3, map[string]*string{"retention.ms": kadm.StringPtr("604800000")})
	devclustertest.CreateTopic(t, adm, "user.b", 1, nil)
	reqs := countRequests(c)

	f := parse(t, `
topics:
  - {name: user.a, partitions: 6, replicationFactor: 3, config: {retention.ms: 1d, cleanup.policy: [compact, delete]}}
  - {name: user.b, partitions: 2, replicationFactor: 3, config: {max.message.bytes: 2MiB}}
`)
	p := planFor(t, cl, f, Options{})
	want := []string{
		"update user.a partitions 3→6 set:cleanup.policy:delete(default)→compact,delete set:retention.ms:604800000(topic)→86400000",
		"update user.b partitions 1→2 set:max.message.bytes:1048588(default)→2097152",
	}
	if got := describe(p); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("plan:\n got %q\nwant %q", got, want)
	}
	reqs.reset()
	res, err := Apply(ctx(t), cl, gated(p), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Count(Update) != 2 || reqs.get(kmsg.CreatePartitions) != 1 || reqs.get(kmsg.IncrementalAlterConfigs) != 1 {
		t.Fatalf("result %+v; cluster saw %d CreatePartitions, %d IncrementalAlterConfigs", res, reqs.get(kmsg.CreatePartitions), reqs.get(kmsg.IncrementalAlterConfigs))
	}
	if n := len(partitionsOf(t, cl, "user.a")); n != 6 {
		t.Errorf("user.a has %d partitions", n)
	}
	if v, _ := topicConfig(t, adm, "user.a", "retention.ms"); v != "86400000" {
		t.Errorf("retention.ms = %q", v)
	}
	if v, _ := topicConfig(t, adm, "user.b", "max.message.bytes"); v != "2097152" {
		t.Errorf("max.message.bytes = %q", v)
	}
	if again := planFor(t, cl, f, Options{}); len(again.Changes) != 0 {
		t.Fatalf("second plan: %v", describe(again))
	}
}

// TestUnmanagedConfigs: a dynamic config the file does not name is
// reported and kept; --prune-configs removes it.
func TestUnmanagedConfigs(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	adm := kadm.NewClient(cl)
	devclustertest.CreateTopic(t, adm, "user.a", 1, map[string]*string{"segment.ms": kadm.StringPtr("60000"), "min.insync.replicas": kadm.StringPtr("2")})
	f := parse(t, "topics:\n  - {name: user.a, partitions: 1, replicationFactor: 3, config: {min.insync.replicas: 2}}\n")

	p := planFor(t, cl, f, Options{})
	if len(p.Changes) != 0 || len(p.Unmanaged) != 1 || p.Unmanaged[0].Name != "segment.ms" || *p.Unmanaged[0].Value != "60000" {
		t.Fatalf("plan %v unmanaged %+v", describe(p), p.Unmanaged)
	}
	if _, err := Apply(ctx(t), cl, gated(p), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if v, src := topicConfig(t, adm, "user.a", "segment.ms"); v != "60000" || src != SourceTopic {
		t.Fatalf("segment.ms = %q (%s): apply without --prune-configs must keep it", v, src)
	}

	p = planFor(t, cl, f, Options{PruneConfigs: true})
	if got := describe(p); len(got) != 1 || got[0] != "update user.a delete:segment.ms:60000(topic)→604800000" {
		t.Fatalf("plan %q", got)
	}
	if _, err := Apply(ctx(t), cl, gated(p), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, src := topicConfig(t, adm, "user.a", "segment.ms"); src == SourceTopic {
		t.Fatal("segment.ms is still set on the topic")
	}
	if v, src := topicConfig(t, adm, "user.a", "min.insync.replicas"); v != "2" || src != SourceTopic {
		t.Fatalf("min.insync.replicas = %q (%s): a managed config was touched", v, src)
	}
}

// TestRefusedPlanChangesNothing: a partition decrease refuses the whole
// plan; Apply sends nothing, not even the other topic's create.
func TestRefusedPlanChangesNothing(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	adm := kadm.NewClient(cl)
	devclustertest.CreateTopic(t, adm, "user.a", 6, nil)
	reqs := countRequests(c)
	f := parse(t, "topics:\n  - {name: user.a, partitions: 3, replicationFactor: 3}\n  - {name: user.new, partitions: 1, replicationFactor: 3}\n")
	p := planFor(t, cl, f, Options{})
	if p.Summary != (Summary{Create: 1, Refused: 1}) {
		t.Fatalf("summary %+v", p.Summary)
	}
	res, err := Apply(ctx(t), cl, gated(p), ApplyOptions{})
	if !errors.Is(err, ErrRefused) || len(res.Items) != 0 {
		t.Fatalf("Apply = %+v, %v; want ErrRefused and nothing done", res, err)
	}
	for _, k := range []kmsg.Key{kmsg.CreateTopics, kmsg.CreatePartitions, kmsg.IncrementalAlterConfigs, kmsg.DeleteTopics} {
		if n := reqs.get(k); n != 0 {
			t.Errorf("cluster saw %d %s requests", n, k.Name())
		}
	}
	if n := len(partitionsOf(t, cl, "user.a")); n != 6 {
		t.Errorf("user.a has %d partitions", n)
	}
	if has(t, cl, "user.new") {
		t.Error("user.new was created by a refused plan")
	}
}

// TestPruneGuards: --prune deletes only undeclared topics under
// managedPrefixes, never internal ones, never more than --max-deletes.
func TestPruneGuards(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	adm := kadm.NewClient(cl)
	for _, n := range []string{"user.keep", "user.old", "user.older", "orders", "connect-offsets"} {
		devclustertest.CreateTopic(t, adm, n, 1, nil)
	}
	f := parse(t, "managedPrefixes: [user.]\ntopics:\n  - {name: user.keep, partitions: 1, replicationFactor: 3}\n")

	// Default --max-deletes 0: refused, nothing deleted.
	p := planFor(t, cl, f, Options{Prune: true})
	if p.Summary != (Summary{Refused: 2}) {
		t.Fatalf("summary %+v: %v", p.Summary, describe(p))
	}
	if _, err := Apply(ctx(t), cl, gated(p), ApplyOptions{}); !errors.Is(err, ErrRefused) {
		t.Fatalf("err = %v", err)
	}
	// Internal topics under a managed prefix are refused too.
	fi := parse(t, "managedPrefixes: [user., connect-]\ntopics:\n  - {name: user.keep, partitions: 1, replicationFactor: 3}\n")
	if got := describe(planFor(t, cl, fi, Options{Prune: true, MaxDeletes: 5})); fmt.Sprint(got) != "[refused connect-offsets delete user.old delete user.older]" {
		t.Fatalf("plan %q", got)
	}

	p = planFor(t, cl, f, Options{Prune: true, MaxDeletes: 2})
	if got := describe(p); fmt.Sprint(got) != "[delete user.old delete user.older]" {
		t.Fatalf("plan %q", got)
	}
	res, err := Apply(ctx(t), cl, gated(p), ApplyOptions{})
	if err != nil || res.Count(Delete) != 2 {
		t.Fatalf("apply %+v %v", res, err)
	}
	now := topics(t, cl)
	for n, want := range map[string]bool{"user.keep": true, "user.old": false, "user.older": false, "orders": true, "connect-offsets": true} {
		if _, ok := now[n]; ok != want {
			t.Errorf("topic %s exists=%v, want %v", n, ok, want)
		}
	}
}

// TestClusterIDMismatch: a file for another cluster is refused, both IDs
// named, and nothing is created.
func TestClusterIDMismatch(t *testing.T) {
	c := newCluster(t, kfake.ClusterID("staging-7"))
	cl := client(t, c)
	f := parse(t, "cluster: {id: prod-1}\ntopics:\n  - {name: user.a, partitions: 1, replicationFactor: 3}\n")
	p := planFor(t, cl, f, Options{})
	if len(p.Changes) != 1 || p.Changes[0].Action != Refused || !strings.Contains(p.Changes[0].Reasons[0], `"prod-1"`) || !strings.Contains(p.Changes[0].Reasons[0], `"staging-7"`) {
		t.Fatalf("plan %+v", p.Changes)
	}
	if _, err := Apply(ctx(t), cl, gated(p), ApplyOptions{}); !errors.Is(err, ErrRefused) {
		t.Fatalf("err = %v", err)
	}
	if has(t, cl, "user.a") {
		t.Fatal("created a topic on the wrong cluster")
	}
	ok := parse(t, "cluster: {id: staging-7}\ntopics:\n  - {name: user.a, partitions: 1, replicationFactor: 3}\n")
	if p := planFor(t, cl, ok, Options{}); p.Summary != (Summary{Create: 1}) {
		t.Fatalf("matching ID: %+v", p.Summary)
	}
}

// TestPartialFailure: a fault on one topic's CreateTopics fails that topic
// only; the others are created and the error names it.
func TestPartialFailure(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.CreateTopics}, Topic: "user.b"})
	f := parse(t, "topics:\n  - {name: user.a, partitions: 1, replicationFactor: 3}\n  - {name: user.b, partitions: 1, replicationFactor: 3}\n  - {name: user.c, partitions: 2, replicationFactor: 3}\n")
	p := planFor(t, cl, f, Options{})
	res, err := Apply(ctx(t), cl, gated(p), ApplyOptions{})
	var ae *ApplyError
	if !errors.As(err, &ae) || len(ae.Failed) != 1 || ae.Failed[0].Topic != "user.b" {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), `create "user.b": create: UNKNOWN_SERVER_ERROR`) {
		t.Errorf("error text %q", err)
	}
	if res.Count(Create) != 2 || res.Requests["CreateTopics"] != 1 {
		t.Errorf("result %+v", res)
	}
	if now := topics(t, cl); len(now) != 2 || now["user.a"].Topic == nil || now["user.c"].Topic == nil {
		t.Errorf("topics after a partial failure: %v", now)
	}
	// The next plan creates just the failed topic.
	if got := describe(planFor(t, cl, f, Options{})); fmt.Sprint(got) != "[create user.b partitions 0→1 rf 0→3]" {
		t.Errorf("next plan %q", got)
	}
}

// TestDryRunChangesNothing: --dry-run sends validate-only requests.
func TestDryRunChangesNothing(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	adm := kadm.NewClient(cl)
	devclustertest.CreateTopic(t, adm, "user.a", 1, nil)
	devclustertest.CreateTopic(t, adm, "user.old", 1, nil)
	reqs := countRequests(c)
	f := parse(t, "managedPrefixes: [user.]\ntopics:\n  - {name: user.a, partitions: 4, replicationFactor: 3, config: {retention.ms: 1h}}\n  - {name: user.new, partitions: 1, replicationFactor: 3}\n")
	p := planFor(t, cl, f, Options{Prune: true, MaxDeletes: 1})
	res, err := Apply(ctx(t), cl, gated(p), ApplyOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.DryRun || len(res.Items) != 3 || res.Items[2].Skipped == "" || len(res.Failed()) != 0 {
		t.Fatalf("result %+v", res)
	}
	if reqs.get(kmsg.CreateTopics) != 1 || reqs.get(kmsg.CreatePartitions) != 1 || reqs.get(kmsg.IncrementalAlterConfigs) != 1 || reqs.get(kmsg.DeleteTopics) != 0 {
		t.Fatalf("requests %+v", reqs.n)
	}
	if again := planFor(t, cl, f, Options{Prune: true, MaxDeletes: 1}); fmt.Sprint(describe(again)) != fmt.Sprint(describe(p)) {
		t.Fatalf("dry run changed the cluster: %q", describe(again))
	}
}

// TestObserveRequestsConstant: Observe sends one Metadata and one
// DescribeConfigs whatever the number of topics.
func TestObserveRequestsConstant(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	var src strings.Builder
	src.WriteString("topics:\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&src, "  - {name: t%03d, partitions: 2, replicationFactor: 3, config: {min.insync.replicas: 2}}\n", i)
	}
	f := parse(t, src.String())
	if _, err := Apply(ctx(t), cl, gated(planFor(t, cl, f, Options{})), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	reqs := countRequests(c)
	p := planFor(t, cl, f, Options{})
	if len(p.Changes) != 0 {
		t.Fatalf("plan %v", describe(p)[:3])
	}
	if m, d := reqs.get(kmsg.Metadata), reqs.get(kmsg.DescribeConfigs); m != 1 || d != 1 {
		t.Fatalf("observe of 300 topics sent %d Metadata and %d DescribeConfigs, want 1 and 1", m, d)
	}
}

// TestChunking: a batch is split only by the byte and record limits.
func TestChunking(t *testing.T) {
	var cs []Change
	for i := 0; i < 10; i++ {
		cs = append(cs, Change{Action: Create, Topic: fmt.Sprintf("t%d", i), Partitions: &Count{0, 3}, ReplicationFactor: &Count{0, 3}})
	}
	records := func(c Change) int { return 1 + int(c.Partitions.To) }
	bytes := func(c Change) int { return 10 }
	if n := len(chunk(cs, bytes, records, 1<<20, 10000)); n != 1 {
		t.Errorf("%d chunks, want 1", n)
	}
	if got := chunk(cs, bytes, records, 1<<20, 8); len(got) != 5 || len(got[0]) != 2 {
		t.Errorf("record limit: %d chunks", len(got))
	}
	if got := chunk(cs, bytes, records, 35, 10000); len(got) != 4 || len(got[3]) != 1 {
		t.Errorf("byte limit: %d chunks", len(got))
	}
	if got := chunk(cs[:1], bytes, records, 1, 1); len(got) != 1 {
		t.Errorf("oversized single change: %d chunks", len(got))
	}
}
