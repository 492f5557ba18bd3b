// Package provision makes a Kafka cluster's topics match a topics.yaml:
// Observe reads the cluster in a constant number of requests, Diff (pure,
// no I/O) compares it with the file and returns a Plan value, and Apply
// carries out a plan with one batched request per kind of change
// (docs/design.md §4). Apply decides nothing: every decision is in the plan.
//
// The functions take a kmsg.Requestor (a *kgo.Client) rather than a
// *kadm.Client: kadm's CreateTopics gives every topic the same partition
// count, replication factor and configs, so a batch of different topics in
// one request needs kmsg.
package provision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/kctl/kctl/provision/reassign"
	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Config sources, as kctl names them (kmsg.ConfigSource).
const (
	SourceTopic          = "topic"           // set on the topic (dynamic topic config)
	SourceBroker         = "broker"          // dynamic, one broker
	SourceClusterDefault = "cluster-default" // dynamic, all brokers
	SourceStaticBroker   = "static-broker"   // server.properties
	SourceDefault        = "default"         // Kafka's built-in default
	SourceUnknown        = "unknown"
)

// State is what Observe saw on the cluster.
type State struct {
	ClusterID string `json:"clusterId" yaml:"clusterId"`
	Brokers   int    `json:"brokers" yaml:"brokers"`
	// Topics holds every topic on the cluster, by name. Only the topics
	// the file declares have Configs.
	Topics map[string]*TopicState `json:"topics" yaml:"topics"`
	// BrokerRacks are the brokers' IDs and racks, for the reassignment
	// planner.
	BrokerRacks []reassign.Broker `json:"-" yaml:"-"`
	// Access is the cluster's ACLs, SCRAM users and quotas; nil when the
	// file has no access sections (then they are not read).
	Access *AccessState `json:"access,omitempty" yaml:"access,omitempty"`
	// ReassignmentsErr says why the reassignments in progress could not be
	// listed ("" when they were: a broker before Kafka 2.4 does not
	// support ListPartitionReassignments, a user may lack the right).
	ReassignmentsErr string `json:"reassignmentsError,omitempty" yaml:"reassignmentsError,omitempty"`
}

// TopicState is one topic on the cluster.
type TopicState struct {
	Name              string `json:"name" yaml:"name"`
	Partitions        int32  `json:"partitions" yaml:"partitions"`
	ReplicationFactor int16  `json:"replicationFactor" yaml:"replicationFactor"`
	Internal          bool   `json:"internal" yaml:"internal"`
	// Err is a metadata error for the topic ("" when fine).
	Err string `json:"error,omitempty" yaml:"error,omitempty"`
	// Configs are the topic's described configs by name; nil when not
	// described (the topic is not in the file) or when ConfigErr is set.
	Configs map[string]Config `json:"configs,omitempty" yaml:"configs,omitempty"`
	// ConfigErr says why the configs could not be read.
	ConfigErr string `json:"configError,omitempty" yaml:"configError,omitempty"`
	// Assignment is each partition's replicas and leader, by partition;
	// for a partition being reassigned, its target replicas (the
	// replicas being removed left out).
	Assignment []reassign.Partition `json:"-" yaml:"-"`
	// Reassigning are the partitions with a reassignment in progress,
	// sorted.
	Reassigning []int32 `json:"reassigning,omitempty" yaml:"reassigning,omitempty"`
}

// Config is one described topic config.
type Config struct {
	Value  *string `json:"value" yaml:"value"`
	Source string  `json:"source" yaml:"source"`
	// Default is the value the topic falls back to without its own
	// setting (from the config synonyms), when known.
	Default   *string `json:"default,omitempty" yaml:"default,omitempty"`
	Sensitive bool    `json:"sensitive,omitempty" yaml:"sensitive,omitempty"`
}

// Observe reads the cluster for Diff in at most three requests, whatever
// the number of topics: one Metadata request for every topic, one
// ListPartitionReassignments (a failure is kept in
// State.ReassignmentsErr), and one DescribeConfigs for the file's topics
// that exist. A topic's replication factor is its largest replica count,
// counting the target replicas of a partition being reassigned (while
// [1,2] moves to [1,3] Metadata reports [1,2,3]). It returns an error
// when metadata cannot be read; a failed DescribeConfigs is kept per topic
// (TopicState.ConfigErr) so Diff can refuse just those topics. When the
// file has access sections it also reads the cluster's ACLs, SCRAM users
// and quotas (ObserveAccess, one request each), and returns its error.
func Observe(ctx context.Context, cl kmsg.Requestor, file *topology.File) (*State, error) {
	return ObserveScope(ctx, cl, ScopeOf(file, Options{}))
}

// ObserveScope is Observe for what a plan depends on (ScopeOf): a saved
// plan re-observes its scope, without the topics file, to check that the
// cluster still matches.
func ObserveScope(ctx context.Context, cl kmsg.Requestor, scope Scope) (*State, error) {
	meta := kmsg.NewPtrMetadataRequest()
	meta.Topics = nil // every topic
	mresp, err := meta.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("read cluster metadata: %w", err)
	}
	st := &State{Brokers: len(mresp.Brokers), Topics: make(map[string]*TopicState, len(mresp.Topics))}
	for _, b := range mresp.Brokers {
		st.BrokerRacks = append(st.BrokerRacks, reassign.Broker{ID: b.NodeID, Rack: rackName(b.Rack)})
	}
	if mresp.ClusterID != nil {
		st.ClusterID = *mresp.ClusterID
	}
	for _, t := range mresp.Topics {
		if t.Topic == nil {
			continue
		}
		ts := &TopicState{Name: *t.Topic, Internal: t.IsInternal, Partitions: int32(len(t.Partitions))}
		if e := kerr.ErrorForCode(t.ErrorCode); e != nil && !errors.Is(e, kerr.LeaderNotAvailable) {
			if errors.Is(e, kerr.TopicAuthorizationFailed) {
				ts.Err = "not authorized to describe this topic"
			} else {
				ts.Err = e.Error()
			}
		}
		for _, p := range t.Partitions {
			ts.Assignment = append(ts.Assignment, reassign.Partition{Topic: ts.Name, Partition: p.Partition, Replicas: p.Replicas, Leader: p.Leader})
		}
		sort.Slice(ts.Assignment, func(i, j int) bool { return ts.Assignment[i].Partition < ts.Assignment[j].Partition })
		st.Topics[ts.Name] = ts
	}
	if rs, err := ListReassignments(ctx, cl); err != nil {
		st.ReassignmentsErr = err.Error()
	} else {
		markReassigning(st, rs)
	}
	for _, ts := range st.Topics {
		for _, p := range ts.Assignment {
			ts.ReplicationFactor = max(ts.ReplicationFactor, int16(len(p.Replicas)))
		}
	}

	if scope.Access {
		acc, err := ObserveAccess(ctx, cl, scope.AccessParts)
		if err != nil {
			return nil, err
		}
		st.Access = acc
	}

	var names []string
	for _, t := range scope.Topics {
		if ts, ok := st.Topics[t]; ok && ts.Err == "" {
			names = append(names, t)
		}
	}
	if len(names) == 0 {
		return st, nil
	}
	sort.Strings(names)
	dresp, err := kafka.TopicConfigsRequest(names, true).RequestWith(ctx, cl)
	answered := map[string]bool{}
	if dresp != nil {
		for _, r := range dresp.Resources {
			ts := st.Topics[r.ResourceName]
			if ts == nil || r.ResourceType != kmsg.ConfigResourceTypeTopic {
				continue
			}
			answered[r.ResourceName] = true
			if e := kerr.ErrorForCode(r.ErrorCode); e != nil {
				ts.ConfigErr = withMessage(e, r.ErrorMessage)
				continue
			}
			ts.Configs = make(map[string]Config, len(r.Configs))
			for _, c := range r.Configs {
				cfg := Config{Value: c.Value, Source: sourceName(c.Source), Sensitive: c.IsSensitive}
				if c.Source == kmsg.ConfigSourceDynamicTopicConfig {
					for _, syn := range c.ConfigSynonyms {
						if syn.Source != kmsg.ConfigSourceDynamicTopicConfig {
							cfg.Default = synonymValue(syn.Name, syn.Value)
							break
						}
					}
				}
				ts.Configs[c.Name] = cfg
			}
		}
	}
	for _, n := range names {
		if !answered[n] && st.Topics[n].ConfigErr == "" {
			why := "the broker did not describe it"
			if err != nil {
				why = err.Error()
			}
			st.Topics[n].ConfigErr = "describe configs: " + why
		}
	}
	return st, nil
}

// markReassigning records the reassignments in progress on their topics,
// and replaces each moving partition's replicas by its target: the
// replicas minus those being removed.
func markReassigning(st *State, rs []Reassignment) {
	for _, r := range rs {
		ts := st.Topics[r.Topic]
		if ts == nil {
			continue
		}
		ts.Reassigning = append(ts.Reassigning, r.Partition)
		for i := range ts.Assignment {
			p := &ts.Assignment[i]
			if p.Partition != r.Partition {
				continue
			}
			target := make([]int32, 0, len(p.Replicas))
			for _, b := range p.Replicas {
				if !slices.Contains(r.Removing, b) {
					target = append(target, b)
				}
			}
			p.Replicas = target
		}
	}
	for _, ts := range st.Topics {
		slices.Sort(ts.Reassigning)
	}
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

func rackName(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func withMessage(e error, msg *string) string {
	if msg != nil && *msg != "" && !strings.Contains(e.Error(), *msg) {
		return e.Error() + ": " + *msg
	}
	return e.Error()
}

func sourceName(s kmsg.ConfigSource) string {
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
	}
	return SourceUnknown
}
