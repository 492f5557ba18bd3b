package provision

import (
	"errors"
	"strings"
	"testing"

	"github.com/kctl/kctl/internal/platform/observe"
	"github.com/twmb/franz-go/pkg/kerr"
)

// observedExport is a Metadata answer for cluster c1 with orders (3
// partitions, 2 replicas each), payments (2 partitions: 2 and 3
// replicas), __consumer_offsets, and the DescribeConfigs answer: orders
// and payments share retention.ms (dynamic), orders has a vendor config,
// payments a static broker default; audit's configs fail.
func observedExport() *ExportObserved {
	md := &observe.Cluster{ClusterID: "c1"}
	topic := func(name string, internal bool, replicas ...int) {
		t := observe.Topic{Name: name, Internal: internal}
		for i, n := range replicas {
			p := observe.Partition{Partition: int32(i)}
			for r := range n {
				p.Replicas = append(p.Replicas, int32(r))
			}
			t.Partitions = append(t.Partitions, p)
		}
		md.Topics = append(md.Topics, t)
	}
	topic("__consumer_offsets", true, 1)
	topic("audit", false, 1)
	topic("orders", false, 2, 2, 2)
	topic("payments", false, 2, 3, 3)
	cfg := func(name, value, source string) observe.Config {
		return observe.Config{Name: name, Value: &value, Source: source}
	}
	return &ExportObserved{Metadata: md, Configs: map[string]observe.TopicConfigs{
		"orders":   {Configs: []observe.Config{cfg("retention.ms", "86400000", observe.SourceTopic), cfg("confluent.placement.constraints", "{}", observe.SourceTopic)}},
		"payments": {Configs: []observe.Config{cfg("retention.ms", "86400000", observe.SourceTopic), cfg("segment.bytes", "1073741824", observe.SourceStaticBroker)}},
		"audit":    {Err: &observe.KafkaError{Err: kerr.TopicAuthorizationFailed}},
	}}
}

// BuildExport is pure: the topics file follows from the observed answers
// and the options, with no cluster.
func TestBuildExport(t *testing.T) {
	ex, err := BuildExport(observedExport(), ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := ex.Spec
	if ex.ClusterID != "c1" || ex.Topics != 3 || ex.Internal != 1 || len(s.Topics) != 3 || s.Topics[0].Name != "audit" || s.Topics[2].Name != "payments" {
		t.Fatalf("export: %+v", ex)
	}
	if s.Defaults.ReplicationFactor != 0 || s.Topics[1].ReplicationFactor != 2 || s.Topics[2].ReplicationFactor != 3 || s.Topics[2].Partitions != 3 {
		t.Errorf("replication: defaults %d, topics %+v", s.Defaults.ReplicationFactor, s.Topics)
	}
	if len(ex.MixedReplicas) != 1 || ex.MixedReplicas[0] != "payments" || !strings.Contains(s.Topics[2].Comment, "different replica counts") {
		t.Errorf("mixed replicas %v, comment %q", ex.MixedReplicas, s.Topics[2].Comment)
	}
	if s.Topics[1].Config["retention.ms"] != "86400000" || s.Topics[2].Config["retention.ms"] != "86400000" || s.Topics[2].Config["segment.bytes"] != "" {
		t.Errorf("configs: orders %v, payments %v (only dynamic topic configs)", s.Topics[1].Config, s.Topics[2].Config)
	}
	if len(ex.Unchecked) != 1 || ex.Unchecked[0].Name != "confluent.placement.constraints" || ex.Unchecked[0].Commented {
		t.Errorf("unchecked %+v, want the vendor config passed through", ex.Unchecked)
	}
	if len(ex.Failed) != 1 || ex.Failed[0].Topic != "audit" || ex.Failed[0].LeftOut || !strings.Contains(s.Topics[0].Comment, "configs could not be read") {
		t.Errorf("failed %+v, audit comment %q", ex.Failed, s.Topics[0].Comment)
	}
	if ex.Access != nil || s.Access.Users != nil {
		t.Errorf("access exported without Access: %+v", ex.Access)
	}

	// Two topics sharing everything: it goes to defaults.
	ex, err = BuildExport(observedExport(), ExportOptions{Patterns: []string{"orders", "pay*"}, ManagedPrefixes: nil})
	if err != nil || ex.Topics != 2 || ex.Spec.Defaults.Config["retention.ms"] != "86400000" || ex.Spec.Topics[0].Config["retention.ms"] != "" {
		t.Fatalf("orders, pay*: %v, %+v", err, ex)
	}
	ex, err = BuildExport(observedExport(), ExportOptions{All: true})
	if err != nil || ex.Topics != 4 || ex.Internal != 0 {
		t.Fatalf("--all: %v, %+v", err, ex)
	}

	// No DescribeConfigs answer: every topic is written without configs.
	obs := observedExport()
	obs.Configs = map[string]observe.TopicConfigs{"orders": {Err: &observe.RequestError{Request: "DescribeConfigs", Err: errors.New("connection reset")}}}
	ex, err = BuildExport(obs, ExportOptions{Patterns: []string{"orders"}})
	if err != nil || len(ex.Failed) != 1 || !strings.Contains(ex.Failed[0].Error, "connection reset") {
		t.Fatalf("no configs: %v, %+v", err, ex.Failed)
	}

	if _, err := BuildExport(observedExport(), ExportOptions{Patterns: []string{"nope*"}}); !errors.Is(err, ErrNoMatch) || !strings.Contains(err.Error(), `"nope*"`) {
		t.Errorf("unmatched pattern: %v", err)
	}
	if _, err := BuildExport(observedExport(), ExportOptions{Patterns: []string{"orders"}, ManagedPrefixes: []string{"p"}}); !errors.Is(err, ErrPrefixUndeclared) {
		t.Errorf("prefix covering payments, left out: %v", err)
	}
	if _, err := BuildExport(observedExport(), ExportOptions{Patterns: []string{""}}); err == nil {
		t.Error("empty pattern: no error")
	}
}
