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
	"slices"
	"sort"

	"github.com/kctl/kctl/internal/platform/observe"
	"github.com/kctl/kctl/provision/reassign"
	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// SourceTopic is the source of a config set on the topic itself
// (observe.SourceName names every source).
const SourceTopic = observe.SourceTopic

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
	// BrokerConfigs are the dynamic broker configs, the cluster-wide
	// default first, then each broker by id; nil when the file has no
	// brokers: section (then they are not read).
	BrokerConfigs []observe.BrokerDynamicConfigs `json:"brokerConfigs,omitempty" yaml:"brokerConfigs,omitempty"`
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
	meta, err := observe.Metadata(ctx, cl, nil)
	if err != nil {
		return nil, err
	}
	st := &State{ClusterID: meta.ClusterID, Brokers: len(meta.Brokers), Topics: make(map[string]*TopicState, len(meta.Topics))}
	for _, b := range meta.Brokers {
		st.BrokerRacks = append(st.BrokerRacks, reassign.Broker{ID: b.ID, Rack: b.Rack})
	}
	for _, t := range meta.Topics {
		ts := &TopicState{Name: t.Name, Internal: t.Internal, Partitions: int32(len(t.Partitions))}
		if errors.Is(t.Err, kerr.TopicAuthorizationFailed) {
			ts.Err = "not authorized to describe this topic"
		} else if t.Err != nil {
			ts.Err = t.Err.Error()
		}
		ts.Assignment = assignment(t)
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

	if scope.Brokers {
		ids := make([]int32, 0, len(meta.Brokers))
		for _, b := range meta.Brokers {
			ids = append(ids, b.ID)
		}
		slices.Sort(ids)
		st.BrokerConfigs, _ = observe.BrokerConfigs(ctx, cl, ids) // each one's error is kept for Diff
	}

	var names []string
	for _, t := range scope.Topics {
		if ts, ok := st.Topics[t]; ok && ts.Err == "" {
			names = append(names, t)
		}
	}
	sort.Strings(names)
	configs, _ := observe.Configs(ctx, cl, names, true)
	for n, tc := range configs {
		ts := st.Topics[n]
		switch {
		case errors.Is(tc.Err, observe.ErrNotAnswered):
			ts.ConfigErr = "describe configs: " + tc.Err.Error()
		case tc.Err != nil:
			ts.ConfigErr = tc.Err.Error() // a request's error names it
		default:
			ts.Configs = make(map[string]Config, len(tc.Configs))
			for _, c := range tc.Configs {
				ts.Configs[c.Name] = Config{Value: c.Value, Source: c.Source, Default: c.Default, Sensitive: c.Sensitive}
			}
		}
	}
	return st, nil
}

// assignment is a topic's partitions as the reassignment planner takes
// them.
func assignment(t observe.Topic) []reassign.Partition {
	var out []reassign.Partition
	for _, p := range t.Partitions {
		out = append(out, reassign.Partition{Topic: t.Name, Partition: p.Partition, Replicas: p.Replicas, Leader: p.Leader})
	}
	return out
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

// withMessage is a Kafka error with the broker's message, when it sent one.
func withMessage(e error, msg *string) string {
	ke := &observe.KafkaError{Err: e}
	if msg != nil {
		ke.Message = *msg
	}
	return ke.Error()
}
