package provision

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// createRaw creates topics with "another client": one kmsg CreateTopics
// with per-topic partitions, replication factor and configs.
func createRaw(t testing.TB, cl *kgo.Client, topics ...kmsg.CreateTopicsRequestTopic) {
	t.Helper()
	req := kmsg.NewPtrCreateTopicsRequest()
	req.Topics = topics
	req.TimeoutMillis = 10000
	resp, err := req.RequestWith(ctx(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.Topics {
		if r.ErrorCode != 0 {
			t.Fatalf("create %s: error code %d", r.Topic, r.ErrorCode)
		}
	}
}

func rawTopic(name string, partitions int32, rf int16, kv ...string) kmsg.CreateTopicsRequestTopic {
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic, t.NumPartitions, t.ReplicationFactor = name, partitions, rf
	for i := 0; i+1 < len(kv); i += 2 {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = kv[i], kmsg.StringPtr(kv[i+1])
		t.Configs = append(t.Configs, c)
	}
	return t
}

// seedForeign populates a cluster as another team's tooling would.
func seedForeign(t testing.TB, cl *kgo.Client) {
	createRaw(t, cl,
		rawTopic("orders", 6, 3, "min.insync.replicas", "2", "retention.ms", "604800000", "segment.bytes", "536870912"),
		rawTopic("orders.dlt", 1, 3, "min.insync.replicas", "2", "cleanup.policy", "compact,delete"),
		rawTopic("payments", 3, 3, "min.insync.replicas", "2", "retention.ms", "-1", "confluent.placement.constraints", "{}"),
		rawTopic("audit", 2, 3, "min.insync.replicas", "2", "retention.bytes", "1073741824", "made.up.config", "x"),
		rawTopic("__consumer_offsets_copy", 1, 3),
		rawTopic("connect-offsets", 1, 3, "cleanup.policy", "compact"),
	)
}

func exportOf(t testing.TB, cl *kgo.Client, opts ExportOptions) (*Export, []byte) {
	t.Helper()
	ex, err := ExportTopics(ctx(t), cl, opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := ex.Spec.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	return ex, buf.Bytes()
}

func TestExportRoundTrip(t *testing.T) {
	src := newCluster(t)
	cl := client(t, src)
	seedForeign(t, cl)
	reqs := countRequests(src)

	ex, data := exportOf(t, cl, ExportOptions{ManagedPrefixes: []string{"orders"}})
	if n := reqs.get(kmsg.Metadata) + reqs.get(kmsg.DescribeConfigs); n != 2 {
		t.Errorf("export sent %d Metadata+DescribeConfigs requests, want 2 (one each)", n)
	}
	want := `# kctl export of cluster "kfake": 4 topics; 2 internal topics left out (--all includes them).
# Only configs set on the topics themselves are written, never broker defaults.
managedPrefixes: [orders]
defaults:
  replicationFactor: 3
  config:
    min.insync.replicas: 2
topics:
  - name: audit
    partitions: 2
    # made.up.config: x  (unknown topic config "made.up.config")
    config:
      retention.bytes: 1GiB
  - name: orders
    partitions: 6
    config:
      retention.ms: 7d
      segment.bytes: 512MiB
  - name: orders.dlt
    partitions: 1
    config:
      cleanup.policy: compact,delete
  - name: payments
    partitions: 3
    config:
      confluent.placement.constraints: '{}'
      retention.ms: -1
`
	if string(data) != want {
		t.Errorf("exported file:\n%s\nwant:\n%s", data, want)
	}
	if ex.Internal != 2 || ex.Topics != 4 {
		t.Errorf("internal %d, topics %d", ex.Internal, ex.Topics)
	}
	var unchecked []string
	for _, u := range ex.Unchecked {
		unchecked = append(unchecked, u.Topic+"/"+u.Name)
	}
	if got := strings.Join(unchecked, " "); got != "audit/made.up.config payments/confluent.placement.constraints" {
		t.Errorf("unchecked = %s", got)
	}

	// It validates (a vendor config is a warning) and plans nothing on the
	// same cluster: no change, no refusal, no unmanaged config.
	f, diags := topology.Parse("exported.yaml", data)
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	if len(diags) != 1 || !strings.Contains(diags[0].Message, "confluent.placement.constraints") {
		t.Errorf("diagnostics: %v", diags)
	}
	p := planFor(t, cl, f, Options{})
	if len(p.Changes) != 0 || p.IsRefused() {
		t.Errorf("plan on the same cluster has changes: %+v", p.Changes)
	}
	for _, u := range p.Unmanaged {
		if u.Name != "made.up.config" {
			t.Errorf("unmanaged config %s/%s", u.Topic, u.Name)
		}
	}

	// Applied to an empty cluster it recreates the same topics: the second
	// cluster exports the same file (less the config kctl refuses).
	dst := newCluster(t)
	dcl := client(t, dst)
	if _, err := Apply(ctx(t), dcl, gated(planFor(t, dcl, f, Options{})), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	_, again := exportOf(t, dcl, ExportOptions{ManagedPrefixes: []string{"orders"}})
	wantAgain := strings.Replace(want, "    # made.up.config: x  (unknown topic config \"made.up.config\")\n", "", 1)
	wantAgain = strings.Replace(wantAgain, "4 topics; 2 internal topics left out (--all includes them)", "4 topics", 1)
	if string(again) != wantAgain {
		t.Errorf("recreated cluster exports:\n%s\nwant:\n%s", again, wantAgain)
	}
	srcState, dstState := describeAll(t, cl), describeAll(t, dcl)
	for name, s := range dstState {
		if !reflect.DeepEqual(s, srcState[name]) {
			t.Errorf("%s: recreated %+v, source %+v", name, s, srcState[name])
		}
	}
	if len(dstState) != 4 {
		t.Errorf("recreated %d topics, want 4", len(dstState))
	}
}

type described struct {
	partitions, rf int
	configs        map[string]string
}

// describeAll describes every topic with kadm: partitions, replica count,
// and configs set on the topic (made.up.config aside, which kctl refuses).
func describeAll(t testing.TB, cl *kgo.Client) map[string]described {
	t.Helper()
	adm := kadm.NewClient(cl)
	td, err := adm.ListTopics(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]described{}
	rcs, err := adm.DescribeTopicConfigs(ctx(t), td.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range td {
		out[d.Topic] = described{partitions: len(d.Partitions), rf: d.Partitions.NumReplicas(), configs: map[string]string{}}
	}
	for _, rc := range rcs {
		for _, c := range rc.Configs {
			if c.Source == kmsg.ConfigSourceDynamicTopicConfig && c.Key != "made.up.config" {
				out[rc.Name].configs[c.Key] = c.MaybeValue()
			}
		}
	}
	return out
}

func TestExportSelection(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	seedForeign(t, cl)

	ex, data := exportOf(t, cl, ExportOptions{Patterns: []string{"orders*", "audit"}})
	if ex.Topics != 3 || !strings.Contains(string(data), "name: orders.dlt") || strings.Contains(string(data), "payments") {
		t.Errorf("orders* audit exported:\n%s", data)
	}
	ex, data = exportOf(t, cl, ExportOptions{All: true})
	if ex.Topics != 6 || !strings.Contains(string(data), "name: connect-offsets") || !strings.Contains(string(data), "internal topics included (--all)") {
		t.Errorf("--all exported:\n%s", data)
	}
	// One topic: nothing is factored into defaults.
	_, data = exportOf(t, cl, ExportOptions{Patterns: []string{"orders"}})
	if strings.Contains(string(data), "defaults:") || !strings.Contains(string(data), "replicationFactor: 3") {
		t.Errorf("one topic:\n%s", data)
	}
	_, err := ExportTopics(ctx(t), cl, ExportOptions{Patterns: []string{"orders", "nope*", "missing"}})
	if !errors.Is(err, ErrNoMatch) || !strings.Contains(err.Error(), `"nope*", "missing"`) {
		t.Errorf("unmatched patterns: %v", err)
	}
}

// shrinkReplicas is the real cluster's client, except that partition 2 of
// topic "mixed" loses a replica in Metadata responses: kfake keeps one
// replica count per topic, so a topic mid-reassignment is simulated here.
type shrinkReplicas struct{ *kgo.Client }

func (s shrinkReplicas) Request(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	resp, err := s.Client.Request(ctx, req)
	if m, ok := resp.(*kmsg.MetadataResponse); ok && err == nil {
		for i := range m.Topics {
			if m.Topics[i].Topic != nil && *m.Topics[i].Topic == "mixed" {
				for j := range m.Topics[i].Partitions {
					if p := &m.Topics[i].Partitions[j]; p.Partition == 2 {
						p.Replicas = p.Replicas[:2]
					}
				}
			}
		}
	}
	return resp, err
}

// TestExportMixedReplicas: partitions with different replica counts are
// exported with the most common count and a comment.
func TestExportMixedReplicas(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	createRaw(t, cl, rawTopic("mixed", 3, 3), rawTopic("plain", 1, 3))
	ex, err := ExportTopics(ctx(t), shrinkReplicas{cl}, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := ex.Spec.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ex.MixedReplicas, []string{"mixed"}) {
		t.Errorf("mixed = %v", ex.MixedReplicas)
	}
	want := "  # its partitions have different replica counts (1 partition with 2, 2 partitions with 3): exported with the most common, 3\n  - name: mixed\n    partitions: 3\n"
	if !strings.Contains(buf.String(), want) || !strings.Contains(buf.String(), "  replicationFactor: 3\n") {
		t.Errorf("exported:\n%s", buf.String())
	}
}

func TestCommonReplicas(t *testing.T) {
	for _, tc := range []struct {
		counts map[int]int
		want   int
		mixed  bool
	}{
		{map[int]int{3: 6}, 3, false},
		{map[int]int{3: 1, 2: 5}, 2, true},
		{map[int]int{1: 2, 3: 2}, 3, true},
		{map[int]int{}, 0, false},
	} {
		got, comment := commonReplicas(tc.counts)
		if got != tc.want || (comment != "") != tc.mixed {
			t.Errorf("%v: %d %q", tc.counts, got, comment)
		}
	}
}

// A managed prefix that covers live topics the export leaves out would make
// the file delete them with --prune (H2): export refuses, naming them.
func TestExportManagedPrefixCoversUnexported(t *testing.T) {
	cl := client(t, newCluster(t))
	seedForeign(t, cl)
	createRaw(t, cl, rawTopic("odd", 1, 3))

	for _, tc := range []struct {
		patterns, prefixes []string
		want               []string // live topics the error must name
	}{
		{[]string{"orders"}, []string{"audit", "o"}, []string{`audit under "audit"`, `odd, orders.dlt under "o"`, "3 live topics", "audit,o"}},
		{[]string{"orders"}, []string{"orders"}, []string{`orders.dlt under "orders"`, "1 live topic ", "delete it"}},
	} {
		_, err := ExportTopics(ctx(t), cl, ExportOptions{Patterns: tc.patterns, ManagedPrefixes: tc.prefixes})
		if !errors.Is(err, ErrPrefixUndeclared) {
			t.Fatalf("export %v --managed-prefix %v: err = %v, want ErrPrefixUndeclared", tc.patterns, tc.prefixes, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("export %v --managed-prefix %v: error %q does not say %q", tc.patterns, tc.prefixes, err, w)
			}
		}
	}

	// Fine when the prefix covers only exported topics (internal ones,
	// which plan never deletes, do not count).
	for _, tc := range []struct{ patterns, prefixes []string }{
		{[]string{"orders*"}, []string{"orders"}},
		{[]string{"orders", "orders.dlt"}, []string{"orders"}},
		{nil, []string{"o", "connect-"}},
	} {
		ex, data := exportOf(t, cl, ExportOptions{Patterns: tc.patterns, ManagedPrefixes: tc.prefixes})
		f, diags := topology.Parse("x.yaml", data)
		if f == nil || diags.Err() != nil {
			t.Fatalf("export %v: %v", tc.patterns, diags)
		}
		p := planFor(t, cl, f, Options{Prune: true, MaxDeletes: 100})
		for _, c := range p.Changes {
			if c.Action == Delete {
				t.Errorf("export %v --managed-prefix %v (%d topics) plans delete %s", tc.patterns, tc.prefixes, ex.Topics, c.Topic)
			}
		}
		if len(p.Notes) > 0 {
			t.Errorf("export %v --managed-prefix %v: plan notes %q", tc.patterns, tc.prefixes, p.Notes)
		}
	}
}
