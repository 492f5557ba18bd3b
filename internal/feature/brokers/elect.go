package brokers

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/kctl/kctl/internal/platform/errs"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Election is one partition whose leader an election would change.
type Election struct {
	Topic     string  `json:"topic" yaml:"topic"`
	Partition int32   `json:"partition" yaml:"partition"`
	Current   int32   `json:"current" yaml:"current"`     // the leader now; -1 for none
	Preferred int32   `json:"preferred" yaml:"preferred"` // the first replica
	Replicas  []int32 `json:"replicas" yaml:"replicas"`
	ISR       []int32 `json:"isr" yaml:"isr"`
}

// Skipped is a partition led elsewhere that the election cannot fix.
type Skipped struct {
	Topic     string `json:"topic" yaml:"topic"`
	Partition int32  `json:"partition" yaml:"partition"`
	Why       string `json:"why" yaml:"why"`
}

// ElectPlan is what `kctl elect-leaders` would do: built from one Metadata
// answer, without side effects.
type ElectPlan struct {
	Unclean   bool       `json:"unclean" yaml:"unclean"`
	Elections []Election `json:"elections" yaml:"elections"`
	Skipped   []Skipped  `json:"skipped,omitempty" yaml:"skipped,omitempty"`
	// Checked is how many partitions were looked at.
	Checked int `json:"checked" yaml:"checked"`
}

// Partition names one partition of a topic for the commands that take
// TOPIC[:P].
type Partition struct {
	Topic      string
	Partitions []int32 // empty means every partition
}

// PlanElection builds the plan from meta: with unclean, the partitions
// without a leader (an out-of-sync replica may be elected: data loss);
// otherwise the partitions whose leader is not their preferred (first)
// replica, except those whose preferred replica is out of the ISR (skipped,
// with the reason). Only the partitions in sel, when given. Unknown topics
// are an *errs.TopicNotFound, unknown partitions an *errs.PartitionOutOfRange.
func PlanElection(meta kadm.Metadata, sel []Partition, unclean bool) (ElectPlan, error) {
	if err := checkSelection(meta, sel); err != nil {
		return ElectPlan{}, err
	}
	want := map[string]map[int32]bool{}
	for _, s := range sel {
		if want[s.Topic] == nil {
			want[s.Topic] = map[int32]bool{}
		}
		for _, p := range s.Partitions {
			want[s.Topic][p] = true
		}
	}
	plan := ElectPlan{Unclean: unclean, Elections: []Election{}}
	for _, t := range meta.Topics.Sorted() {
		if len(sel) > 0 {
			ps, ok := want[t.Topic]
			if !ok {
				continue
			}
			_ = ps
		} else if t.IsInternal {
			continue
		}
		for _, p := range t.Partitions.Sorted() {
			if ps := want[t.Topic]; len(ps) > 0 && !ps[p.Partition] {
				continue
			}
			plan.Checked++
			if len(p.Replicas) == 0 {
				continue
			}
			e := Election{Topic: t.Topic, Partition: p.Partition, Current: p.Leader, Preferred: p.Replicas[0], Replicas: p.Replicas, ISR: p.ISR}
			if unclean {
				if p.Leader < 0 {
					plan.Elections = append(plan.Elections, e)
				}
				continue
			}
			if p.Leader == p.Replicas[0] {
				continue
			}
			if !contains(p.ISR, p.Replicas[0]) {
				plan.Skipped = append(plan.Skipped, Skipped{Topic: t.Topic, Partition: p.Partition, Why: fmt.Sprintf("preferred replica %d is not in the ISR", p.Replicas[0])})
				continue
			}
			plan.Elections = append(plan.Elections, e)
		}
	}
	return plan, nil
}

// ElectResult is the outcome of one partition's election.
type ElectResult struct {
	Topic     string `json:"topic" yaml:"topic"`
	Partition int32  `json:"partition" yaml:"partition"`
	Error     string `json:"error,omitempty" yaml:"error,omitempty"`
	// NotNeeded says the cluster found nothing to do (the leader was
	// already the one the election would choose).
	NotNeeded bool `json:"notNeeded,omitempty" yaml:"notNeeded,omitempty"`
}

// ElectError says some elections failed; Results has every partition.
type ElectError struct{ Failed []ElectResult }

func (e *ElectError) Error() string {
	f := e.Failed[0]
	msg := fmt.Sprintf("election of %s:%d failed: %s", f.Topic, f.Partition, f.Error)
	if len(e.Failed) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(e.Failed)-1)
	}
	return msg
}

// Elect carries out the plan: one ElectLeaders request for its partitions.
// It decides nothing; every partition's error is checked, and the failures
// are returned as an *ElectError beside every result.
func Elect(ctx context.Context, adm *kadm.Client, plan ElectPlan) ([]ElectResult, error) {
	if len(plan.Elections) == 0 {
		return nil, nil
	}
	ts := kadm.TopicsSet{}
	for _, e := range plan.Elections {
		ts.Add(e.Topic, e.Partition)
	}
	how := kadm.ElectPreferredReplica
	if plan.Unclean {
		how = kadm.ElectLiveReplica
	}
	rs, err := adm.ElectLeaders(ctx, how, ts)
	if err != nil {
		return nil, fmt.Errorf("elect leaders: %w", err)
	}
	var out, failed []ElectResult
	for _, e := range plan.Elections {
		r := ElectResult{Topic: e.Topic, Partition: e.Partition}
		got, ok := rs[e.Topic][e.Partition]
		switch {
		case !ok:
			r.Error = "not in the cluster's answer"
		case errors.Is(got.Err, kerr.ElectionNotNeeded):
			r.NotNeeded = true
		case got.Err != nil:
			r.Error = got.Err.Error()
			if got.ErrMessage != "" {
				r.Error += ": " + got.ErrMessage
			}
		}
		if r.Error != "" {
			failed = append(failed, r)
		}
		out = append(out, r)
	}
	if len(failed) > 0 {
		return out, &ElectError{Failed: failed}
	}
	return out, nil
}

// LeaderSkew is, per broker, how many partitions it leads against how many
// it would lead if every partition were led by its preferred replica.
type LeaderSkew struct {
	Broker    int32 `json:"broker" yaml:"broker"`
	Leaders   int   `json:"leaders" yaml:"leaders"`
	Preferred int   `json:"preferred" yaml:"preferred"`
}

// Skew computes leader skew from meta (internal topics included).
func Skew(meta kadm.Metadata) (skew []LeaderSkew, notPreferred int) {
	m := map[int32]*LeaderSkew{}
	for _, b := range meta.Brokers {
		m[b.NodeID] = &LeaderSkew{Broker: b.NodeID}
	}
	get := func(id int32) *LeaderSkew {
		if m[id] == nil {
			m[id] = &LeaderSkew{Broker: id}
		}
		return m[id]
	}
	for _, t := range meta.Topics {
		for _, p := range t.Partitions {
			if p.Leader >= 0 {
				get(p.Leader).Leaders++
			}
			if len(p.Replicas) > 0 {
				get(p.Replicas[0]).Preferred++
				if p.Leader != p.Replicas[0] {
					notPreferred++
				}
			}
		}
	}
	for _, s := range m {
		skew = append(skew, *s)
	}
	sort.Slice(skew, func(i, j int) bool { return skew[i].Broker < skew[j].Broker })
	return skew, notPreferred
}

// checkTopics refuses topics meta does not have, naming the closest.
func checkTopics(meta kadm.Metadata, topics []string) error {
	var missing []string
	for _, t := range topics {
		td, ok := meta.Topics[t]
		if !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &errs.TopicNotFound{Topics: missing, Suggestions: errs.Suggest(missing, meta.Topics.Names())}
}

// checkSelection refuses unknown topics and partitions out of range.
func checkSelection(meta kadm.Metadata, sel []Partition) error {
	var topics []string
	for _, s := range sel {
		topics = append(topics, s.Topic)
	}
	if err := checkTopics(meta, topics); err != nil {
		return err
	}
	for _, s := range sel {
		n := len(meta.Topics[s.Topic].Partitions)
		var bad []int32
		for _, p := range s.Partitions {
			if p < 0 || int(p) >= n {
				bad = append(bad, p)
			}
		}
		if len(bad) > 0 {
			return &errs.PartitionOutOfRange{Topic: s.Topic, Partitions: bad, Count: n}
		}
	}
	return nil
}

func asShard(err error, se **kadm.ShardErrors) bool { return errors.As(err, se) }
