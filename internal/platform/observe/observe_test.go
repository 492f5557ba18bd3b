package observe

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return c
}

func cluster(t *testing.T, topics map[string]int32) *devcluster.Cluster {
	t.Helper()
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	for name, n := range topics {
		devclustertest.CreateTopic(t, adm, name, n, nil)
	}
	return c
}

func names(ts []Topic) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

// Named topics are asked once each; those that do not exist are Missing,
// not topics with an error; topics, partitions and brokers come sorted.
func TestMetadataNamed(t *testing.T) {
	c := cluster(t, map[string]int32{"b": 3, "a": 1})
	asked := make(chan int, 1)
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Metadata}, Observe: true, When: func(r kmsg.Request) bool {
		if n := len(r.(*kmsg.MetadataRequest).Topics); n > 0 {
			select { // When must not block
			case asked <- n:
			default:
			}
		}
		return true
	}})
	m, err := Metadata(ctx(t), devclustertest.Client(t, c), []string{"b", "nope", "a", "b", "gone"})
	if err != nil {
		t.Fatal(err)
	}
	if n := <-asked; n != 4 {
		t.Errorf("the request asked for %d topics, want 4 (b once)", n)
	}
	if got := names(m.Topics); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("topics = %q, want [a b]", got)
	}
	if !reflect.DeepEqual(m.Missing, []string{"gone", "nope"}) {
		t.Errorf("missing = %q, want [gone nope]", m.Missing)
	}
	b := m.Topic("b")
	if b == nil || b.Err != nil || len(b.Partitions) != 3 || b.ReplicationFactor() != 3 {
		t.Fatalf("b = %+v, want 3 partitions of RF 3 and no error", b)
	}
	for i, p := range b.Partitions {
		if p.Partition != int32(i) || p.Leader < 0 || len(p.ISR) != 3 || p.Err != nil {
			t.Errorf("partition %d = %+v", i, p)
		}
	}
	if m.Topic("nope") != nil {
		t.Error("a missing topic is found by Topic")
	}
	if m.ClusterID == "" || len(m.Brokers) != 3 || m.Brokers[0].ID != 0 || m.Brokers[2].ID != 2 {
		t.Errorf("cluster %q brokers %+v, want an ID and brokers 0, 1, 2 in order", m.ClusterID, m.Brokers)
	}
}

// LEADER_NOT_AVAILABLE is a topic being elected, not an error: its
// partitions show leader -1. Other codes are the topic's typed error, and
// without names UNKNOWN_TOPIC_OR_PARTITION is an error too (nothing was
// asked by name).
func TestMetadataTopicErrors(t *testing.T) {
	c := devclustertest.New(t)
	c.ControlKey(int16(kmsg.Metadata), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		resp := kreq.(*kmsg.MetadataRequest).ResponseKind().(*kmsg.MetadataResponse)
		b := kmsg.NewMetadataResponseBroker()
		b.NodeID, b.Host, b.Port = 0, "127.0.0.1", 1 // never dialled: the test sends one request
		resp.Brokers = append(resp.Brokers, b)
		for _, e := range []struct {
			name string
			code int16
		}{{"secret", kerr.TopicAuthorizationFailed.Code}, {"electing", kerr.LeaderNotAvailable.Code}, {"gone", kerr.UnknownTopicOrPartition.Code}} {
			tp := kmsg.NewMetadataResponseTopic()
			tp.Topic, tp.ErrorCode = kmsg.StringPtr(e.name), e.code
			if e.name == "electing" {
				p := kmsg.NewMetadataResponseTopicPartition()
				p.Leader, p.ErrorCode, p.Replicas = -1, kerr.LeaderNotAvailable.Code, []int32{0}
				tp.Partitions = append(tp.Partitions, p)
			}
			resp.Topics = append(resp.Topics, tp)
		}
		return resp, nil, true
	})
	m, err := Metadata(ctx(t), devclustertest.Client(t, c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(m.Topics); !reflect.DeepEqual(got, []string{"electing", "gone", "secret"}) || m.Missing != nil {
		t.Fatalf("topics = %q, missing %q", got, m.Missing)
	}
	if e := m.Topic("electing"); e.Err != nil || e.Partitions[0].Err != nil || e.Partitions[0].Leader != -1 {
		t.Errorf("electing = %+v, want no error and leader -1", e)
	}
	var ke *KafkaError
	if err := m.Topic("secret").Err; !errors.As(err, &ke) || !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Errorf("secret's error = %#v, want a *KafkaError of TOPIC_AUTHORIZATION_FAILED", err)
	}
	if err := m.Topic("gone").Err; !errors.Is(err, kerr.UnknownTopicOrPartition) {
		t.Errorf("gone's error = %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
	}
}

// A failed request is a *RequestError naming it.
func TestMetadataRequestError(t *testing.T) {
	c := devclustertest.New(t)
	cx, cancel := context.WithCancel(ctx(t))
	cancel()
	_, err := Metadata(cx, devclustertest.Client(t, c), []string{"a"})
	var re *RequestError
	if !errors.As(err, &re) || re.Request != "read metadata of topics a" || re.Err == nil {
		t.Errorf("err = %v, want a *RequestError naming the topics, wrapping the cause", err)
	}
}

func TestConfigs(t *testing.T) {
	c := cluster(t, map[string]int32{"a": 1, "b": 1})
	cl := devclustertest.Client(t, c)
	ms := "3600000"
	if _, err := devclustertest.Admin(t, c).AlterTopicConfigs(ctx(t), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: &ms}}, "a"); err != nil {
		t.Fatal(err)
	}
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.DescribeConfigs}, Resource: "b", Err: kerr.InvalidRequest})
	got, err := Configs(ctx(t), cl, []string{"a", "b", "a"}, true)
	if err != nil || len(got) != 2 {
		t.Fatalf("configs = %v, %v; want a and b, no request error", got, err)
	}
	var ret *Config
	for i, cfg := range got["a"].Configs {
		if cfg.Name == "retention.ms" {
			ret = &got["a"].Configs[i]
		}
	}
	if ret == nil || *ret.Value != ms || ret.Source != SourceTopic || ret.Default == nil || *ret.Default != "604800000" {
		t.Errorf("a's retention.ms = %+v, want 3600000 set on the topic, default 604800000 (log.retention.hours=168)", ret)
	}
	if e := got["b"].Err; !errors.Is(e, kerr.InvalidRequest) || got["b"].Configs != nil || got["b"].Reason() != e.Error() {
		t.Errorf("b = %+v, want INVALID_REQUEST and no configs", got["b"])
	}

	// A broker that leaves a topic out of its answer.
	c.ControlKey(int16(kmsg.DescribeConfigs), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		return kreq.ResponseKind(), nil, true
	})
	got, err = Configs(ctx(t), cl, []string{"a"}, false)
	if err != nil || !errors.Is(got["a"].Err, ErrNotAnswered) {
		t.Errorf("configs = %+v, %v; want a not answered", got, err)
	}

	// A request that fails: every topic has its error; Reason leaves the
	// request's name out.
	cx, cancel := context.WithCancel(ctx(t))
	cancel()
	got, err = Configs(cx, cl, []string{"a", "b"}, false)
	var re *RequestError
	if !errors.As(err, &re) || got["a"].Err != err || got["b"].Reason() != re.Err.Error() || re.Error() != "describe configs: "+re.Err.Error() {
		t.Errorf("configs = %+v, %v; want the request's error on a and b", got, err)
	}
	if got, err := Configs(cx, cl, nil, false); err != nil || len(got) != 0 {
		t.Errorf("no names: %v, %v; want no request", got, err)
	}
}

// One wording for every source: describe and the plan used to disagree on
// the sources they did not both name.
func TestSourceName(t *testing.T) {
	for s, want := range map[kmsg.ConfigSource]string{
		kmsg.ConfigSourceDynamicTopicConfig:         "topic",
		kmsg.ConfigSourceDynamicBrokerConfig:        "broker",
		kmsg.ConfigSourceDynamicDefaultBrokerConfig: "cluster-default",
		kmsg.ConfigSourceStaticBrokerConfig:         "static-broker",
		kmsg.ConfigSourceDefaultConfig:              "default",
		kmsg.ConfigSourceDynamicBrokerLoggerConfig:  "broker-logger",
		kmsg.ConfigSourceClientMetricsConfig:        "client-metrics",
		kmsg.ConfigSourceGroupConfig:                "group",
		kmsg.ConfigSourceUnknown:                    "unknown",
		kmsg.ConfigSource(99):                       "unknown",
	} {
		if got := SourceName(s); got != want {
			t.Errorf("SourceName(%v) = %q, want %q", s, got, want)
		}
	}
}

func TestSynonymValue(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"log.retention.hours", "168", "604800000"},
		{"log.retention.minutes", "10", "600000"},
		{"log.retention.ms", "604800000", "604800000"},
		{"log.retention.hours", "-1", "-1"},
		{"log.roll.hours", "1", "3600000"},
		{"min.insync.replicas", "1", "1"},
	} {
		if got := *synonymValue(c.name, new(c.in)); got != c.want {
			t.Errorf("synonymValue(%s, %s) = %s, want %s", c.name, c.in, got, c.want)
		}
	}
	if synonymValue("x", nil) != nil {
		t.Error("nil value")
	}
}
