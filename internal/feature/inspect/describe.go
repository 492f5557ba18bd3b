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

	"github.com/kctl/kctl/internal/platform/errs"
	"github.com/kctl/kctl/internal/platform/observe"
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
	// MinISRUnknown counts partitions whose topic's configs could not be
	// read, so whether they are under min ISR is not known.
	MinISRUnknown int `json:"minIsrUnknown" yaml:"minIsrUnknown"`
}

// OK reports whether every partition is known to be healthy.
func (h Health) OK() bool {
	return h.UnderReplicated == 0 && h.Offline == 0 && h.UnderMinISR == 0 && h.MinISRUnknown == 0
}

// ClusterView is `kctl describe cluster`.
type ClusterView struct {
	ClusterID      string   `json:"clusterId" yaml:"clusterId"`
	Controller     int32    `json:"controller" yaml:"controller"`
	Brokers        []Broker `json:"brokers" yaml:"brokers"`
	Topics         int      `json:"topics" yaml:"topics"`
	InternalTopics int      `json:"internalTopics" yaml:"internalTopics"`
	Partitions     int      `json:"partitions" yaml:"partitions"`
	Health         Health   `json:"health" yaml:"health"`
	// Leaders is, per broker, how many partitions it leads against how
	// many it would lead if each were led by its preferred (first)
	// replica; NotPreferred counts the partitions led elsewhere.
	Leaders      []LeaderCount `json:"leaders" yaml:"leaders"`
	NotPreferred int           `json:"notPreferred" yaml:"notPreferred"`
	Warnings     []string      `json:"warnings,omitempty" yaml:"warnings,omitempty"`
}

// LeaderCount is one broker's leaders against its preferred count.
type LeaderCount struct {
	Broker    int32 `json:"broker" yaml:"broker"`
	Leaders   int   `json:"leaders" yaml:"leaders"`
	Preferred int   `json:"preferred" yaml:"preferred"`
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
	Name              string `json:"name" yaml:"name"`
	ID                string `json:"id" yaml:"id"`
	Internal          bool   `json:"internal" yaml:"internal"`
	Partitions        int    `json:"partitions" yaml:"partitions"`
	ReplicationFactor int    `json:"replicationFactor" yaml:"replicationFactor"`
	// MinISR is the effective min.insync.replicas; 0 when ConfigsError says
	// the configs could not be read.
	MinISR  int           `json:"minInsyncReplicas" yaml:"minInsyncReplicas"`
	Configs []ConfigEntry `json:"configs" yaml:"configs"`
	// ConfigsError is why the topic's configs could not be read; empty when
	// they were. Configs is empty and no partition is flagged under min ISR
	// then, because neither is known.
	ConfigsError     string      `json:"configsError,omitempty" yaml:"configsError,omitempty"`
	PartitionDetails []Partition `json:"partitionDetails" yaml:"partitionDetails"`
	// Size is the bytes of all the topic's replicas (DescribeLogDirs,
	// with --size; SizeError says why it is unknown), nil when not asked.
	Size      *TopicSize `json:"size,omitempty" yaml:"size,omitempty"`
	SizeError string     `json:"sizeError,omitempty" yaml:"sizeError,omitempty"`
}

// TopicSize is a topic's size on disk: over all replicas, and in leaders.
type TopicSize struct {
	Bytes       int64 `json:"bytes" yaml:"bytes"`
	LeaderBytes int64 `json:"leaderBytes" yaml:"leaderBytes"`
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
	NotPreferred    bool // led by another replica than the preferred (first) one
	All             bool // include internal topics
	// AllConfigs lists every config of each topic with its source,
	// defaults included (otherwise only the values that differ from the
	// broker defaults). It selects no partitions.
	AllConfigs bool
}

func (f Filter) any() bool {
	return f.UnderReplicated || f.Unavailable || f.UnderMinISR || f.NotPreferred
}

func (f Filter) keep(p Partition) bool {
	if !f.any() {
		return true
	}
	return (f.UnderReplicated && p.UnderReplicated) || (f.Unavailable && (p.Leaderless || len(p.OfflineReplicas) > 0)) || (f.UnderMinISR && p.UnderMinISR) ||
		(f.NotPreferred && p.NotPreferred())
}

// topicNotFound is the *errs.TopicNotFound for missing topics, with the
// closest existing name of each (one more Metadata request through r, for
// every topic; without an answer, no suggestions).
func topicNotFound(ctx context.Context, r kmsg.Requestor, missing []string) *errs.TopicNotFound {
	e := &errs.TopicNotFound{Topics: missing}
	meta, err := observe.Metadata(ctx, r, nil)
	if err != nil {
		return e
	}
	var names []string
	for _, t := range meta.Topics {
		if t.Err == nil {
			names = append(names, t.Name)
		}
	}
	e.Suggestions = errs.Suggest(missing, names)
	return e
}

// IncompleteError says the view printed beside it lacks something the
// cluster did not answer: each problem is also one of the view's Warnings.
type IncompleteError struct{ Problems []string }

func (e *IncompleteError) Error() string {
	return "incomplete result, what could be read is shown: " + strings.Join(e.Problems, "; ")
}

// observation is one Metadata request plus one DescribeConfigs request.
type observation struct {
	meta       *observe.Cluster
	configs    map[string]observe.TopicConfigs
	warnings   []string
	allConfigs bool // Topic.Configs lists defaults too
}

// incomplete returns an *IncompleteError for the observation's warnings, or
// nil when there are none.
func (o *observation) incomplete() error {
	if len(o.warnings) == 0 {
		return nil
	}
	return &IncompleteError{Problems: o.warnings}
}

// describe observes the named topics, or every topic, through r (one
// connection with kafka.Sticky); DescribeConfigs asks for no synonyms.
func describe(ctx context.Context, r kmsg.Requestor, names []string) (*observation, error) {
	meta, err := observe.Metadata(ctx, r, names)
	if err != nil {
		return nil, err
	}
	if len(meta.Missing) > 0 {
		return nil, topicNotFound(ctx, r, meta.Missing)
	}
	o := &observation{meta: meta}
	have := make([]string, 0, len(meta.Topics))
	for _, t := range meta.Topics {
		if t.Err != nil {
			o.warnings = append(o.warnings, fmt.Sprintf("topic %q: %v", t.Name, t.Err))
		}
		have = append(have, t.Name)
	}
	o.configs, err = observe.Configs(ctx, r, have, false)
	if err != nil {
		// Partial results survive: describe without configs, and say so.
		o.warnings = append(o.warnings, fmt.Sprintf("describe topic configs: %v (configs and min ISR unknown)", errors.Unwrap(err)))
		return o, nil
	}
	for _, n := range have {
		if e := o.configs[n].Err; e != nil {
			o.warnings = append(o.warnings, fmt.Sprintf("configs of topic %q: %v", n, e))
		}
	}
	return o, nil
}

func (o *observation) topic(t *observe.Topic) Topic {
	tc := o.configs[t.Name]
	v := Topic{Name: t.Name, Internal: t.Internal, Partitions: len(t.Partitions), MinISR: 1}
	if tc.Err != nil {
		v.ConfigsError = tc.Reason()
		v.MinISR = 0 // unknown
	}
	if t.ID != ([16]byte{}) {
		// As Kafka's own tools print a Uuid: URL-safe base64, no padding.
		v.ID = base64.RawURLEncoding.EncodeToString(t.ID[:])
	}
	for _, c := range tc.Configs {
		val := ""
		if c.Value != nil {
			val = *c.Value
		}
		if c.Name == "min.insync.replicas" {
			if n, err := strconv.Atoi(val); err == nil {
				v.MinISR = n
			}
		}
		if !o.allConfigs {
			switch c.Source {
			case observe.SourceDefault, observe.SourceStaticBroker, observe.SourceUnknown:
				continue
			}
			if c.IsDefault {
				continue
			}
		}
		if c.Sensitive {
			val = "(sensitive)"
		}
		v.Configs = append(v.Configs, ConfigEntry{Name: c.Name, Value: val, Source: c.Source})
	}
	sort.Slice(v.Configs, func(i, j int) bool { return v.Configs[i].Name < v.Configs[j].Name })
	if v.Configs == nil {
		v.Configs = []ConfigEntry{}
	}
	v.ReplicationFactor = t.ReplicationFactor()
	v.PartitionDetails = make([]Partition, 0, len(t.Partitions))
	for _, p := range t.Partitions {
		pv := Partition{
			Partition: p.Partition, Leader: p.Leader,
			Replicas: nonNil(p.Replicas), ISR: nonNil(p.ISR), OfflineReplicas: nonNil(p.Offline),
		}
		pv.Leaderless = p.Leader < 0
		pv.UnderReplicated = len(p.ISR) < len(p.Replicas)
		pv.UnderMinISR = v.ConfigsError == "" && len(p.ISR) < v.MinISR
		if p.Err != nil {
			pv.Error = p.Err.Error()
		}
		v.PartitionDetails = append(v.PartitionDetails, pv)
	}
	return v
}

// NotPreferred reports whether the partition is led by another replica
// than its preferred (first) one, or by none.
func (p Partition) NotPreferred() bool { return len(p.Replicas) > 0 && p.Leader != p.Replicas[0] }

func nonNil(s []int32) []int32 {
	if s == nil {
		return []int32{}
	}
	return s
}

// DescribeTopics describes the named topics, or all (internal ones only with
// f.All) when names is empty, in two requests through r (a *kgo.Client or a
// *kafka.Sticky). It returns an *errs.TopicNotFound naming every unknown topic and
// the requestor's error when Metadata fails. When the cluster answered only
// in part (configs unreadable, a topic's error) it returns the view with
// Warnings and an *IncompleteError, so callers print what was read and still
// fail.
func DescribeTopics(ctx context.Context, r kmsg.Requestor, names []string, f Filter) (TopicsView, error) {
	o, err := describe(ctx, r, names)
	if err != nil {
		return TopicsView{}, err
	}
	o.allConfigs = f.AllConfigs
	v := TopicsView{Topics: []Topic{}, Warnings: o.warnings}
	for i := range o.meta.Topics {
		t := &o.meta.Topics[i]
		if t.Internal && !f.All && len(names) == 0 {
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
	return v, o.incomplete()
}

// DescribeCluster describes the cluster in two requests through r. It
// returns the requestor's error when Metadata fails, and the view with
// Warnings plus an *IncompleteError when the cluster answered only in part
// (min ISR health is then counted as unknown).
func DescribeCluster(ctx context.Context, r kmsg.Requestor) (ClusterView, error) {
	o, err := describe(ctx, r, nil)
	if err != nil {
		return ClusterView{}, err
	}
	v := ClusterView{ClusterID: o.meta.ClusterID, Controller: o.meta.ControllerID, Brokers: []Broker{}, Warnings: o.warnings}
	for _, b := range o.meta.Brokers {
		v.Brokers = append(v.Brokers, Broker{ID: b.ID, Host: b.Host, Port: b.Port, Rack: b.Rack, Controller: b.ID == o.meta.ControllerID})
	}
	counts := map[int32]*LeaderCount{}
	count := func(id int32) *LeaderCount {
		if counts[id] == nil {
			counts[id] = &LeaderCount{Broker: id}
		}
		return counts[id]
	}
	for _, b := range v.Brokers {
		count(b.ID)
	}
	for i := range o.meta.Topics {
		t := &o.meta.Topics[i]
		if t.Internal {
			v.InternalTopics++
		} else {
			v.Topics++
		}
		tv := o.topic(t)
		v.Partitions += tv.Partitions
		for _, p := range tv.PartitionDetails {
			if p.Leader >= 0 {
				count(p.Leader).Leaders++
			}
			if len(p.Replicas) > 0 {
				count(p.Replicas[0]).Preferred++
			}
			if p.NotPreferred() {
				v.NotPreferred++
			}
			if p.UnderReplicated {
				v.Health.UnderReplicated++
			}
			if p.Leaderless || len(p.OfflineReplicas) > 0 {
				v.Health.Offline++
			}
			if p.UnderMinISR {
				v.Health.UnderMinISR++
			}
			if tv.ConfigsError != "" {
				v.Health.MinISRUnknown++
			}
		}
	}
	v.Leaders = []LeaderCount{}
	for _, c := range counts {
		v.Leaders = append(v.Leaders, *c)
	}
	sort.Slice(v.Leaders, func(i, j int) bool { return v.Leaders[i].Broker < v.Leaders[j].Broker })
	return v, o.incomplete()
}
