// Package inspect observes a cluster for `kctl describe`: brokers, topics,
// partitions and their health, as view structs ready to print.
package inspect

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Broker is one broker of the cluster.
type Broker struct {
	ID         int32  `json:"id" yaml:"id"`
	Host       string `json:"host" yaml:"host"`
	Port       int32  `json:"port" yaml:"port"`
	Rack       string `json:"rack,omitempty" yaml:"rack,omitempty"`
	Controller bool   `json:"controller" yaml:"controller"`
}

// Health counts unhealthy partitions.
type Health struct {
	UnderReplicated int `json:"underReplicated" yaml:"underReplicated"`
	Offline         int `json:"offline" yaml:"offline"`
	UnderMinISR     int `json:"underMinIsr" yaml:"underMinIsr"`
}

// OK reports whether no partition is unhealthy.
func (h Health) OK() bool { return h.UnderReplicated == 0 && h.Offline == 0 && h.UnderMinISR == 0 }

// ClusterView is `kctl describe cluster`.
type ClusterView struct {
	ClusterID      string   `json:"clusterId" yaml:"clusterId"`
	Controller     int32    `json:"controller" yaml:"controller"`
	Brokers        []Broker `json:"brokers" yaml:"brokers"`
	Topics         int      `json:"topics" yaml:"topics"`
	InternalTopics int      `json:"internalTopics" yaml:"internalTopics"`
	Partitions     int      `json:"partitions" yaml:"partitions"`
	Health         Health   `json:"health" yaml:"health"`
	Warnings       []string `json:"warnings,omitempty" yaml:"warnings,omitempty"`
}

// ConfigEntry is a topic config that differs from the broker default.
type ConfigEntry struct {
	Name   string `json:"name" yaml:"name"`
	Value  string `json:"value" yaml:"value"`
	Source string `json:"source" yaml:"source"`
}

// Partition is one partition with its health flags.
type Partition struct {
	Partition       int32   `json:"partition" yaml:"partition"`
	Leader          int32   `json:"leader" yaml:"leader"`
	Replicas        []int32 `json:"replicas" yaml:"replicas"`
	ISR             []int32 `json:"isr" yaml:"isr"`
	OfflineReplicas []int32 `json:"offlineReplicas" yaml:"offlineReplicas"`
	UnderReplicated bool    `json:"underReplicated" yaml:"underReplicated"`
	UnderMinISR     bool    `json:"underMinIsr" yaml:"underMinIsr"`
	Leaderless      bool    `json:"leaderless" yaml:"leaderless"`
	Error           string  `json:"error,omitempty" yaml:"error,omitempty"`
}

// Topic is one topic.
type Topic struct {
	Name              string        `json:"name" yaml:"name"`
	ID                string        `json:"id" yaml:"id"`
	Internal          bool          `json:"internal" yaml:"internal"`
	Partitions        int           `json:"partitions" yaml:"partitions"`
	ReplicationFactor int           `json:"replicationFactor" yaml:"replicationFactor"`
	MinISR            int           `json:"minInsyncReplicas" yaml:"minInsyncReplicas"`
	Configs           []ConfigEntry `json:"configs" yaml:"configs"`
	PartitionDetails  []Partition   `json:"partitionDetails" yaml:"partitionDetails"`
}

// TopicsView is `kctl describe topics`.
type TopicsView struct {
	Topics   []Topic  `json:"topics" yaml:"topics"`
	Warnings []string `json:"warnings,omitempty" yaml:"warnings,omitempty"`
}

// Filter selects partitions, as kafka-topics.sh's --describe filters.
type Filter struct {
	UnderReplicated bool // ISR smaller than the replica set
	Unavailable     bool // no leader, or an offline replica
	UnderMinISR     bool // ISR smaller than min.insync.replicas
	All             bool // include internal topics
}

func (f Filter) any() bool { return f.UnderReplicated || f.Unavailable || f.UnderMinISR }

func (f Filter) keep(p Partition) bool {
	if !f.any() {
		return true
	}
	return (f.UnderReplicated && p.UnderReplicated) || (f.Unavailable && (p.Leaderless || len(p.OfflineReplicas) > 0)) || (f.UnderMinISR && p.UnderMinISR)
}

// NotFoundError names topics that do not exist.
type NotFoundError struct{ Topics []string }

func (e *NotFoundError) Error() string {
	q := make([]string, len(e.Topics))
	for i, t := range e.Topics {
		q[i] = strconv.Quote(t)
	}
	word := "topic"
	if len(q) > 1 {
		word = "topics"
	}
	return fmt.Sprintf("%s %s not found: 'kctl describe topics' lists the topics", word, strings.Join(q, ", "))
}

// observation is one metadata request plus one batched DescribeConfigs.
type observation struct {
	meta     kadm.Metadata
	configs  map[string]kadm.ResourceConfig
	warnings []string
}

func observe(ctx context.Context, adm *kadm.Client, names []string) (*observation, error) {
	meta, err := adm.Metadata(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	o := &observation{meta: meta, configs: map[string]kadm.ResourceConfig{}}
	var missing, have []string
	for _, t := range meta.Topics.Sorted() {
		switch {
		case errors.Is(t.Err, kerr.UnknownTopicOrPartition):
			missing = append(missing, t.Topic)
		case t.Err != nil:
			o.warnings = append(o.warnings, fmt.Sprintf("topic %q: %v", t.Topic, t.Err))
			have = append(have, t.Topic)
		default:
			have = append(have, t.Topic)
		}
	}
	if len(missing) > 0 {
		return nil, &NotFoundError{Topics: missing}
	}
	if len(have) == 0 {
		return o, nil
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, have...)
	if err != nil {
		// Partial results survive: describe without configs, and say so.
		o.warnings = append(o.warnings, fmt.Sprintf("describe topic configs: %v (configs and min-ISR not shown)", err))
		return o, nil
	}
	for _, rc := range rcs {
		if rc.Err != nil {
			o.warnings = append(o.warnings, fmt.Sprintf("configs of topic %q: %v", rc.Name, rc.Err))
			continue
		}
		o.configs[rc.Name] = rc
	}
	return o, nil
}

func (o *observation) topic(t kadm.TopicDetail) Topic {
	v := Topic{Name: t.Topic, Internal: t.IsInternal, Partitions: len(t.Partitions), MinISR: 1}
	if t.ID != (kadm.TopicID{}) {
		// As Kafka's own tools print a Uuid: URL-safe base64, no padding.
		v.ID = base64.RawURLEncoding.EncodeToString(t.ID[:])
	}
	if rc, ok := o.configs[t.Topic]; ok {
		for _, c := range rc.Configs {
			val := ""
			if c.Value != nil {
				val = *c.Value
			}
			if c.Key == "min.insync.replicas" {
				if n, err := strconv.Atoi(val); err == nil {
					v.MinISR = n
				}
			}
			if c.Source == kmsg.ConfigSourceDefaultConfig || c.Source == kmsg.ConfigSourceStaticBrokerConfig || c.Source == kmsg.ConfigSourceUnknown {
				continue
			}
			if c.Sensitive {
				val = "(sensitive)"
			}
			v.Configs = append(v.Configs, ConfigEntry{Name: c.Key, Value: val, Source: sourceName(c.Source)})
		}
		sort.Slice(v.Configs, func(i, j int) bool { return v.Configs[i].Name < v.Configs[j].Name })
	}
	if v.Configs == nil {
		v.Configs = []ConfigEntry{}
	}
	for _, p := range t.Partitions.Sorted() {
		pv := Partition{
			Partition: p.Partition, Leader: p.Leader,
			Replicas: nonNil(p.Replicas), ISR: nonNil(p.ISR), OfflineReplicas: nonNil(p.OfflineReplicas),
		}
		pv.Leaderless = p.Leader < 0
		pv.UnderReplicated = len(p.ISR) < len(p.Replicas)
		pv.UnderMinISR = len(p.ISR) < v.MinISR
		if p.Err != nil && !errors.Is(p.Err, kerr.LeaderNotAvailable) {
			pv.Error = p.Err.Error()
		}
		if len(p.Replicas) > v.ReplicationFactor {
			v.ReplicationFactor = len(p.Replicas)
		}
		v.PartitionDetails = append(v.PartitionDetails, pv)
	}
	if v.PartitionDetails == nil {
		v.PartitionDetails = []Partition{}
	}
	return v
}

func nonNil(s []int32) []int32 {
	if s == nil {
		return []int32{}
	}
	return append([]int32(nil), s...)
}

func sourceName(s kmsg.ConfigSource) string {
	switch s {
	case kmsg.ConfigSourceDynamicTopicConfig:
		return "topic"
	case kmsg.ConfigSourceDynamicBrokerConfig:
		return "broker"
	case kmsg.ConfigSourceDynamicDefaultBrokerConfig:
		return "cluster-default"
	case kmsg.ConfigSourceStaticBrokerConfig:
		return "static-broker"
	case kmsg.ConfigSourceDynamicBrokerLoggerConfig:
		return "broker-logger"
	case kmsg.ConfigSourceDefaultConfig:
		return "default"
	}
	return strings.ToLower(s.String())
}

// DescribeTopics describes the named topics, or all (internal ones only with
// f.All) when names is empty, in two requests. It returns a *NotFoundError
// naming every unknown topic, and keeps partial results (with Warnings) when
// configs cannot be read.
func DescribeTopics(ctx context.Context, adm *kadm.Client, names []string, f Filter) (TopicsView, error) {
	o, err := observe(ctx, adm, names)
	if err != nil {
		return TopicsView{}, err
	}
	v := TopicsView{Topics: []Topic{}, Warnings: o.warnings}
	for _, t := range o.meta.Topics.Sorted() {
		if t.IsInternal && !f.All && len(names) == 0 {
			continue
		}
		tv := o.topic(t)
		if f.any() {
			var keep []Partition
			for _, p := range tv.PartitionDetails {
				if f.keep(p) {
					keep = append(keep, p)
				}
			}
			if len(keep) == 0 {
				continue
			}
			tv.PartitionDetails = keep
		}
		v.Topics = append(v.Topics, tv)
	}
	return v, nil
}

// DescribeCluster describes the cluster in two requests. Partial results
// survive: a config failure becomes a warning.
func DescribeCluster(ctx context.Context, adm *kadm.Client) (ClusterView, error) {
	o, err := observe(ctx, adm, nil)
	if err != nil {
		return ClusterView{}, err
	}
	v := ClusterView{ClusterID: o.meta.Cluster, Controller: o.meta.Controller, Brokers: []Broker{}, Warnings: o.warnings}
	for _, b := range o.meta.Brokers {
		br := Broker{ID: b.NodeID, Host: b.Host, Port: b.Port, Controller: b.NodeID == o.meta.Controller}
		if b.Rack != nil {
			br.Rack = *b.Rack
		}
		v.Brokers = append(v.Brokers, br)
	}
	sort.Slice(v.Brokers, func(i, j int) bool { return v.Brokers[i].ID < v.Brokers[j].ID })
	for _, t := range o.meta.Topics.Sorted() {
		if t.IsInternal {
			v.InternalTopics++
		} else {
			v.Topics++
		}
		tv := o.topic(t)
		v.Partitions += tv.Partitions
		for _, p := range tv.PartitionDetails {
			if p.UnderReplicated {
				v.Health.UnderReplicated++
			}
			if p.Leaderless || len(p.OfflineReplicas) > 0 {
				v.Health.Offline++
			}
			if p.UnderMinISR {
				v.Health.UnderMinISR++
			}
		}
	}
	return v, nil
}
