// Package observe reads a cluster for every feature that needs it
// (provision's plan, describe, export, rebalance, offset resets): its
// topics and their configs (one Metadata request, one DescribeConfigs
// request, each response's per-item errors checked once) and its access
// (ACLs, SCRAM users, client quotas, one request each), returned as typed
// values. It imports no feature package.
//
// It sends kmsg's raw requests through a kmsg.Requestor (a *kgo.Client or
// a *kafka.Sticky) rather than kadm's: they are uncached, go to whichever
// broker the requestor picks, and DescribeConfigs asks for synonyms only
// when the caller needs them (a third of the bytes otherwise).
package observe

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// RequestError is a request that failed as a whole (the connection, the
// context, the broker refusing the request); it unwraps to the cause.
type RequestError struct {
	// Request names the request and what it asked for ("read cluster
	// metadata", "describe configs").
	Request string
	Err     error
}

func (e *RequestError) Error() string { return e.Request + ": " + e.Err.Error() }
func (e *RequestError) Unwrap() error { return e.Err }

// KafkaError is an error code of one item of a response, with the broker's
// message when it sent one; it unwraps to the kerr error.
type KafkaError struct {
	Err     error
	Message string
}

func (e *KafkaError) Error() string {
	if e.Message != "" && !strings.Contains(e.Err.Error(), e.Message) {
		return e.Err.Error() + ": " + e.Message
	}
	return e.Err.Error()
}
func (e *KafkaError) Unwrap() error { return e.Err }

// codeError returns the error of a response item's code and message, nil
// for none.
func codeError(code int16, msg *string) error {
	e := kerr.ErrorForCode(code)
	if e == nil {
		return nil
	}
	ke := &KafkaError{Err: e}
	if msg != nil {
		ke.Message = *msg
	}
	return ke
}

// ErrNotAnswered is a topic's configs error when the broker's
// DescribeConfigs answer left the topic out.
var ErrNotAnswered = errors.New("the broker did not describe it")

// Cluster is what one Metadata request saw.
type Cluster struct {
	ClusterID    string
	ControllerID int32
	// Brokers are sorted by ID.
	Brokers []Broker
	// Topics are the topics the cluster described, sorted by name.
	Topics []Topic
	// Missing are the topics asked for by name that do not exist
	// (UNKNOWN_TOPIC_OR_PARTITION), sorted; never in Topics.
	Missing []string
}

// Topic returns the topic named name, or nil.
func (c *Cluster) Topic(name string) *Topic {
	i, ok := slices.BinarySearchFunc(c.Topics, name, func(t Topic, n string) int { return strings.Compare(t.Name, n) })
	if !ok {
		return nil
	}
	return &c.Topics[i]
}

// Broker is one broker of the cluster.
type Broker struct {
	ID   int32
	Host string
	Port int32
	Rack string // "" when it has none
}

// Topic is one topic of a Metadata response.
type Topic struct {
	Name     string
	ID       [16]byte // zero before Kafka 2.8
	Internal bool
	// Err is the topic's metadata error (a *KafkaError; errors.Is it with
	// kerr's errors), nil when it was described. LEADER_NOT_AVAILABLE is
	// not an error: the topic exists, and its leaderless partitions show
	// Leader -1.
	Err error
	// Partitions are sorted by partition.
	Partitions []Partition
}

// ReplicationFactor is the topic's largest replica count.
func (t *Topic) ReplicationFactor() int {
	rf := 0
	for _, p := range t.Partitions {
		rf = max(rf, len(p.Replicas))
	}
	return rf
}

// Partition is one partition of a topic.
type Partition struct {
	Partition int32
	Leader    int32 // -1: none
	Replicas  []int32
	ISR       []int32
	Offline   []int32
	// Err is the partition's error, nil when fine (LEADER_NOT_AVAILABLE
	// is Leader -1, not an error).
	Err error
}

// Metadata reads brokers and topics in one uncached Metadata request:
// every topic when names is empty, else the named ones (asked once each).
// It returns a *RequestError when the request fails; each topic's error is
// in its Topic.Err, and named topics that do not exist are in Missing.
func Metadata(ctx context.Context, r kmsg.Requestor, names []string) (*Cluster, error) {
	if len(names) == 0 {
		return metadata(ctx, r, nil, "read cluster metadata")
	}
	return metadata(ctx, r, names, "read metadata of topics "+strings.Join(names, ", "))
}

// ClusterMetadata reads the cluster's ID, controller and brokers in one
// Metadata request for no topic.
func ClusterMetadata(ctx context.Context, r kmsg.Requestor) (*Cluster, error) {
	return metadata(ctx, r, []string{}, "read cluster metadata")
}

// metadata asks for every topic when names is nil, for none when it is
// empty.
func metadata(ctx context.Context, r kmsg.Requestor, names []string, what string) (*Cluster, error) {
	req := kmsg.NewPtrMetadataRequest()
	if names != nil {
		req.Topics = []kmsg.MetadataRequestTopic{}
		for _, n := range unique(names) {
			t := kmsg.NewMetadataRequestTopic()
			t.Topic = kmsg.StringPtr(n)
			req.Topics = append(req.Topics, t)
		}
	}
	resp, err := req.RequestWith(ctx, r)
	if err != nil {
		return nil, &RequestError{Request: what, Err: err}
	}
	c := &Cluster{ControllerID: resp.ControllerID}
	if resp.ClusterID != nil {
		c.ClusterID = *resp.ClusterID
	}
	for _, b := range resp.Brokers {
		br := Broker{ID: b.NodeID, Host: b.Host, Port: b.Port}
		if b.Rack != nil {
			br.Rack = *b.Rack
		}
		c.Brokers = append(c.Brokers, br)
	}
	slices.SortFunc(c.Brokers, func(a, b Broker) int { return int(a.ID) - int(b.ID) })
	for _, t := range resp.Topics {
		if t.Topic == nil {
			continue
		}
		err := codeError(t.ErrorCode, nil)
		if errors.Is(err, kerr.UnknownTopicOrPartition) && names != nil {
			c.Missing = append(c.Missing, *t.Topic)
			continue
		}
		if errors.Is(err, kerr.LeaderNotAvailable) {
			err = nil
		}
		tp := Topic{Name: *t.Topic, ID: t.TopicID, Internal: t.IsInternal, Err: err}
		for _, p := range t.Partitions {
			pe := codeError(p.ErrorCode, nil)
			if errors.Is(pe, kerr.LeaderNotAvailable) {
				pe = nil
			}
			tp.Partitions = append(tp.Partitions, Partition{Partition: p.Partition, Leader: p.Leader,
				Replicas: p.Replicas, ISR: p.ISR, Offline: p.OfflineReplicas, Err: pe})
		}
		slices.SortFunc(tp.Partitions, func(a, b Partition) int { return int(a.Partition) - int(b.Partition) })
		c.Topics = append(c.Topics, tp)
	}
	slices.SortFunc(c.Topics, func(a, b Topic) int { return strings.Compare(a.Name, b.Name) })
	slices.Sort(c.Missing)
	return c, nil
}

// Config sources, as kctl names them (kmsg.ConfigSource): where a config's
// value comes from.
const (
	SourceTopic          = "topic"           // set on the topic (DYNAMIC_TOPIC_CONFIG)
	SourceBroker         = "broker"          // dynamic, one broker (DYNAMIC_BROKER_CONFIG)
	SourceClusterDefault = "cluster-default" // dynamic, all brokers (DYNAMIC_DEFAULT_BROKER_CONFIG)
	SourceStaticBroker   = "static-broker"   // server.properties (STATIC_BROKER_CONFIG)
	SourceDefault        = "default"         // Kafka's built-in default (DEFAULT_CONFIG)
	SourceBrokerLogger   = "broker-logger"   // a broker's log4j level (DYNAMIC_BROKER_LOGGER_CONFIG)
	SourceClientMetrics  = "client-metrics"  // a client metrics subscription (CLIENT_METRICS_CONFIG)
	SourceGroup          = "group"           // set on a consumer group (GROUP_CONFIG)
	SourceUnknown        = "unknown"         // UNKNOWN, or a source newer than kctl
)

// SourceName is kctl's name of a config source (the Source constants).
func SourceName(s kmsg.ConfigSource) string {
	switch s {
	case kmsg.ConfigSourceDynamicTopicConfig:
		return SourceTopic
	case kmsg.ConfigSourceDynamicBrokerConfig:
		return SourceBroker
	case kmsg.ConfigSourceDynamicDefaultBrokerConfig:
		return SourceClusterDefault
	case kmsg.ConfigSourceStaticBrokerConfig:
		return SourceStaticBroker
	case kmsg.ConfigSourceDefaultConfig:
		return SourceDefault
	case kmsg.ConfigSourceDynamicBrokerLoggerConfig:
		return SourceBrokerLogger
	case kmsg.ConfigSourceClientMetricsConfig:
		return SourceClientMetrics
	case kmsg.ConfigSourceGroupConfig:
		return SourceGroup
	}
	return SourceUnknown
}

// Config is one described topic config.
type Config struct {
	Name  string
	Value *string // nil: no value, or sensitive
	// Source is where the value comes from (SourceName).
	Source    string
	Sensitive bool
	// IsDefault is the broker's flag that the value is a default.
	IsDefault bool
	// Default is the value the topic falls back to without its own
	// setting, in the topic config's unit, when known: only for a config
	// set on the topic, described with synonyms.
	Default *string
}

// TopicConfigs are one topic's described configs.
type TopicConfigs struct {
	// Configs are in the broker's order; nil when Err is set.
	Configs []Config
	// Err is why the configs could not be read: the *RequestError of the
	// request, a *KafkaError of the topic, or ErrNotAnswered.
	Err error
}

// Reason is why the configs could not be read, without the request's name
// (the cause of a *RequestError); "" when they were.
func (tc TopicConfigs) Reason() string {
	var rerr *RequestError
	switch {
	case tc.Err == nil:
		return ""
	case errors.As(tc.Err, &rerr):
		return rerr.Err.Error()
	}
	return tc.Err.Error()
}

// Configs describes the named topics' configs (all keys) in one
// DescribeConfigs request, with each value's synonyms when synonyms is set
// (for Config.Default). It returns every named topic's configs or why
// they could not be read, and the *RequestError when the request failed as
// a whole (then every topic has it as Err). No names, no request.
func Configs(ctx context.Context, r kmsg.Requestor, names []string, synonyms bool) (map[string]TopicConfigs, error) {
	out := make(map[string]TopicConfigs, len(names))
	if len(names) == 0 {
		return out, nil
	}
	req := kmsg.NewPtrDescribeConfigsRequest()
	req.IncludeSynonyms = synonyms
	asked := make(map[string]bool, len(names))
	for _, n := range unique(names) {
		asked[n] = true
		rr := kmsg.NewDescribeConfigsRequestResource()
		rr.ResourceType = kmsg.ConfigResourceTypeTopic
		rr.ResourceName = n
		req.Resources = append(req.Resources, rr)
	}
	resp, err := req.RequestWith(ctx, r)
	if err != nil {
		rerr := &RequestError{Request: "describe configs", Err: err}
		for n := range asked {
			out[n] = TopicConfigs{Err: rerr}
		}
		return out, rerr
	}
	for _, rc := range resp.Resources {
		if rc.ResourceType != kmsg.ConfigResourceTypeTopic || !asked[rc.ResourceName] {
			continue
		}
		if _, dup := out[rc.ResourceName]; dup {
			continue
		}
		if e := codeError(rc.ErrorCode, rc.ErrorMessage); e != nil {
			out[rc.ResourceName] = TopicConfigs{Err: e}
			continue
		}
		tc := TopicConfigs{Configs: make([]Config, 0, len(rc.Configs))}
		for _, c := range rc.Configs {
			cfg := Config{Name: c.Name, Value: c.Value, Source: SourceName(c.Source), Sensitive: c.IsSensitive, IsDefault: c.IsDefault}
			if c.Source == kmsg.ConfigSourceDynamicTopicConfig {
				for _, syn := range c.ConfigSynonyms {
					if syn.Source != kmsg.ConfigSourceDynamicTopicConfig {
						cfg.Default = synonymValue(syn.Name, syn.Value)
						break
					}
				}
			}
			tc.Configs = append(tc.Configs, cfg)
		}
		out[rc.ResourceName] = tc
	}
	for n := range asked {
		if _, ok := out[n]; !ok {
			out[n] = TopicConfigs{Err: ErrNotAnswered}
		}
	}
	return out, nil
}

// unique returns names without repeats, in their first order.
func unique(names []string) []string {
	seen := make(map[string]bool, len(names))
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// synonymValue converts a broker synonym's value to the topic config's
// unit: a topic's retention.ms falls back to log.retention.hours=168 on a
// stock broker, which is 604800000 ms.
func synonymValue(name string, v *string) *string {
	if v == nil {
		return nil
	}
	mult := int64(0)
	switch {
	case strings.HasSuffix(name, ".hours"):
		mult = 60 * 60 * 1000
	case strings.HasSuffix(name, ".minutes"):
		mult = 60 * 1000
	default:
		return v
	}
	n, err := strconv.ParseInt(*v, 10, 64)
	if err != nil || n < 0 {
		return v // -1 (forever) and the like keep their meaning
	}
	s := strconv.FormatInt(n*mult, 10)
	return &s
}
