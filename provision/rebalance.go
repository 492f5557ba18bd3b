package provision

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/observe"
	"github.com/kctl/kctl/provision/reassign"
	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Assignments is the cluster as the rebalance planner needs it: brokers,
// every partition's replicas and leader, and the reassignments in progress.
type Assignments struct {
	ClusterID  string
	Brokers    []reassign.Broker
	Partitions []reassign.Partition
	InProgress []Reassignment
}

// Reassignment is one partition being reassigned, as
// ListPartitionReassignments reports it: Replicas is the full set while it
// moves (target plus the replicas being removed).
type Reassignment struct {
	Topic     string  `json:"topic" yaml:"topic"`
	Partition int32   `json:"partition" yaml:"partition"`
	Replicas  []int32 `json:"replicas" yaml:"replicas"`
	Adding    []int32 `json:"adding" yaml:"adding"`
	Removing  []int32 `json:"removing" yaml:"removing"`
	// Progress is the share of the partition's bytes the adding replicas
	// hold (the least advanced one), from DescribeLogDirs; -1 when unknown.
	Progress float64 `json:"progress" yaml:"progress"`
}

// ObserveAssignments reads brokers and assignments (one Metadata request)
// and the reassignments in progress (one ListPartitionReassignments).
// Internal topics are left out unless named in topics. It returns an error
// when either request fails, naming which.
func ObserveAssignments(ctx context.Context, cl kmsg.Requestor, topics []string) (*Assignments, error) {
	meta, err := observe.Metadata(ctx, cl, nil)
	if err != nil {
		return nil, err
	}
	a := &Assignments{ClusterID: meta.ClusterID}
	for _, b := range meta.Brokers {
		a.Brokers = append(a.Brokers, reassign.Broker{ID: b.ID, Rack: b.Rack})
	}
	named := map[string]bool{}
	for _, t := range topics {
		named[t] = true
	}
	found := map[string]bool{}
	for _, t := range meta.Topics {
		if len(named) > 0 && !named[t.Name] || len(named) == 0 && (t.Internal || topology.IsInternalName(t.Name)) {
			continue
		}
		if t.Err != nil {
			return nil, fmt.Errorf("read metadata of topic %q: %w", t.Name, t.Err)
		}
		found[t.Name] = true
		a.Partitions = append(a.Partitions, assignment(t)...)
	}
	for _, t := range topics {
		if !found[t] {
			return nil, fmt.Errorf("topic %q is not on the cluster: check --topics", t)
		}
	}
	a.InProgress, err = ListReassignments(ctx, cl)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// ListReassignments returns the partition reassignments in progress,
// sorted by topic and partition (Progress -1: see ReassignmentProgress).
// It returns an error when the request or the response fails.
func ListReassignments(ctx context.Context, cl kmsg.Requestor) ([]Reassignment, error) {
	req := kmsg.NewPtrListPartitionReassignmentsRequest()
	req.TimeoutMillis = 30000
	req.Topics = nil // all
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("list partition reassignments: %w", err)
	}
	if e := kerr.ErrorForCode(resp.ErrorCode); e != nil {
		return nil, fmt.Errorf("list partition reassignments: %s", withMessage(e, resp.ErrorMessage))
	}
	out := []Reassignment{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			out = append(out, Reassignment{Topic: t.Topic, Partition: p.Partition, Replicas: p.Replicas, Adding: p.AddingReplicas, Removing: p.RemovingReplicas, Progress: -1})
		}
	}
	slices.SortFunc(out, func(x, y Reassignment) int {
		return cmp.Or(strings.Compare(x.Topic, y.Topic), cmp.Compare(x.Partition, y.Partition))
	})
	return out, nil
}

// LogSizes returns each partition's size in bytes (the largest replica's,
// so the leader's) and each replica's, from DescribeLogDirs sent to every
// broker. A broker or log dir that fails leaves its replicas out; only a
// request that fails entirely is an error.
func LogSizes(ctx context.Context, cl kmsg.Requestor) (map[TopicPartition]int64, map[BrokerPartition]int64, error) {
	sizes, replicas := map[TopicPartition]int64{}, map[BrokerPartition]int64{}
	add := func(broker int32, resp *kmsg.DescribeLogDirsResponse) {
		for _, d := range resp.Dirs {
			if d.ErrorCode != 0 {
				continue
			}
			for _, t := range d.Topics {
				for _, p := range t.Partitions {
					k := TopicPartition{t.Topic, p.Partition}
					sizes[k] = max(sizes[k], p.Size)
					if broker >= 0 {
						replicas[BrokerPartition{broker, k}] += p.Size
					}
				}
			}
		}
	}
	req := kmsg.NewPtrDescribeLogDirsRequest()
	req.Topics = nil
	if sh, ok := cl.(shardedRequestor); ok {
		var firstErr error
		answered := 0
		for _, r := range sh.RequestSharded(ctx, req) {
			if r.Err != nil {
				firstErr = cmp.Or(firstErr, r.Err)
				continue
			}
			answered++
			add(r.Meta.NodeID, r.Resp.(*kmsg.DescribeLogDirsResponse))
		}
		if answered == 0 && firstErr != nil {
			return nil, nil, fmt.Errorf("describe log dirs: %w", firstErr)
		}
		return sizes, replicas, nil
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, nil, fmt.Errorf("describe log dirs: %w", err)
	}
	add(-1, resp)
	return sizes, replicas, nil
}

// shardedRequestor is a *kgo.Client: it says which broker answered.
type shardedRequestor interface {
	RequestSharded(context.Context, kmsg.Request) []kgo.ResponseShard
}

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// BrokerPartition names one replica.
type BrokerPartition struct {
	Broker int32
	TopicPartition
}

// RebalanceGoal is what `kctl rebalance` was asked.
type RebalanceGoal struct {
	Add    []int32  `json:"brokersAdd,omitempty" yaml:"brokersAdd,omitempty"`
	Remove []int32  `json:"brokersRemove,omitempty" yaml:"brokersRemove,omitempty"`
	Topics []string `json:"topics,omitempty" yaml:"topics,omitempty"`
}

// Equal reports whether two goals ask the same.
func (g RebalanceGoal) Equal(o RebalanceGoal) bool {
	return slices.Equal(g.Add, o.Add) && slices.Equal(g.Remove, o.Remove) && slices.Equal(g.Topics, o.Topics)
}

// PlannedMove is one partition's move with the bytes it copies.
type PlannedMove struct {
	reassign.Move
	// Bytes is the partition's size times the replicas added.
	Bytes int64 `json:"bytes" yaml:"bytes"`
}

// RebalancePlan is what `kctl rebalance` would do: a value, printed as is
// and carried out by Execute.
type RebalancePlan struct {
	ClusterID string                `json:"clusterId" yaml:"clusterId"`
	Goal      RebalanceGoal         `json:"goal" yaml:"goal"`
	Moves     []PlannedMove         `json:"moves" yaml:"moves"`
	Before    []reassign.BrokerLoad `json:"before" yaml:"before"`
	After     []reassign.BrokerLoad `json:"after" yaml:"after"`
	// ReplicasAdded counts the replica copies; Bytes sums their sizes.
	ReplicasAdded int   `json:"replicasAdded" yaml:"replicasAdded"`
	Bytes         int64 `json:"bytes" yaml:"bytes"`
	// Throttle is the replication throttle in bytes/s (0: none), and
	// Estimate the time the copies take at it: the busiest broker's bytes
	// in or out divided by the rate.
	Throttle int64         `json:"throttle" yaml:"throttle"`
	Estimate time.Duration `json:"estimateNanos" yaml:"estimateNanos"`
	// SizesKnown is false when DescribeLogDirs could not be read.
	SizesKnown bool `json:"sizesKnown" yaml:"sizesKnown"`
}

// PlanRebalance computes the moves for goal on a: pure, no I/O. sizes may
// be nil (bytes unknown). It fails when a broker to add or remove is not
// on the cluster, or when the planner cannot satisfy the goal.
func PlanRebalance(a *Assignments, goal RebalanceGoal, sizes map[TopicPartition]int64, throttle int64) (*RebalancePlan, error) {
	ids := map[int32]bool{}
	for _, b := range a.Brokers {
		ids[b.ID] = true
	}
	for _, id := range goal.Add {
		if !ids[id] {
			return nil, fmt.Errorf("--brokers-add %d: broker %d is not in the cluster's metadata; start it (it joins with no replicas), then plan again", id, id)
		}
		if slices.Contains(goal.Remove, id) {
			return nil, fmt.Errorf("broker %d is in both --brokers-add and --brokers-remove: give it in one", id)
		}
	}
	for _, id := range goal.Remove {
		if !ids[id] {
			return nil, fmt.Errorf("--brokers-remove %d: broker %d is not in the cluster's metadata (brokers: %s)", id, id, brokerList(a.Brokers))
		}
	}
	if err := checkRemainingBrokers(a, goal); err != nil {
		return nil, err
	}
	res, err := reassign.Plan(reassign.Input{Brokers: a.Brokers, Partitions: a.Partitions, Goal: reassign.Goal{Remove: goal.Remove, Topics: goal.Topics}})
	if err != nil {
		return nil, err
	}
	p := &RebalancePlan{ClusterID: a.ClusterID, Goal: goal, Moves: []PlannedMove{}, Before: res.Before, After: res.After, ReplicasAdded: res.ReplicasAdded, Throttle: throttle, SizesKnown: sizes != nil}
	in, out := map[int32]int64{}, map[int32]int64{}
	for _, m := range res.Moves {
		pm := PlannedMove{Move: m}
		size := sizes[TopicPartition{m.Topic, m.Partition}]
		pm.Bytes = size * int64(len(m.Adding()))
		p.Bytes += pm.Bytes
		for _, b := range m.Adding() {
			in[b] += size
		}
		if len(m.Adding()) > 0 && len(m.From) > 0 {
			out[m.From[0]] += pm.Bytes // the leader sends
		}
		p.Moves = append(p.Moves, pm)
	}
	if throttle > 0 {
		var busiest int64
		for _, v := range in {
			busiest = max(busiest, v)
		}
		for _, v := range out {
			busiest = max(busiest, v)
		}
		p.Estimate = time.Duration(float64(busiest) / float64(throttle) * float64(time.Second))
	}
	return p, nil
}

// checkRemainingBrokers returns an error naming each topic whose
// replication factor is above the brokers left once goal.Remove are
// drained: its replicas cannot all stay on distinct brokers.
func checkRemainingBrokers(a *Assignments, goal RebalanceGoal) error {
	if len(goal.Remove) == 0 {
		return nil
	}
	remain := 0
	for _, b := range a.Brokers {
		if !slices.Contains(goal.Remove, b.ID) {
			remain++
		}
	}
	if remain == 0 {
		return nil // the planner says no broker would be left
	}
	rf := map[string]int{}
	var topics []string
	for _, p := range a.Partitions {
		if _, ok := rf[p.Topic]; !ok {
			topics = append(topics, p.Topic)
		}
		rf[p.Topic] = max(rf[p.Topic], len(p.Replicas))
	}
	var bad []string
	for _, t := range topics {
		if rf[t] > remain {
			bad = append(bad, fmt.Sprintf("%s has replicationFactor %d but only %s would remain", t, rf[t], countWord(remain, "broker", "brokers")))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	fix := "lower its replicationFactor or add a broker"
	if len(bad) > 1 {
		fix = "lower their replicationFactor or add brokers"
	}
	return fmt.Errorf("%s: %s", strings.Join(bad, "; "), fix)
}

func brokerList(bs []reassign.Broker) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = fmt.Sprint(b.ID)
	}
	return strings.Join(parts, ", ")
}

// HumanBytes prints a byte count with a binary unit: 0 B, 512 B, 1.5 KiB.
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// MinRate is the lowest throttle ParseRate accepts: below it a move of
// any real partition would take days, which is a typo rather than a plan.
const MinRate = 1024

// ParseRate parses a throttle such as "50MiB/s", "10MB/s" or "1KiB" (bytes
// per second; the unit is required and "/s" optional). It returns an error
// saying how to write it: a bare number, an unknown unit, a rate that
// overflows int64 or one below MinRate (1KiB/s).
func ParseRate(s string) (int64, error) {
	v := strings.TrimSuffix(strings.TrimSpace(s), "/s")
	digits := 0
	for digits < len(v) && v[digits] >= '0' && v[digits] <= '9' {
		digits++
	}
	unit := strings.TrimSpace(v[digits:])
	if digits == 0 || unit == "" {
		return 0, fmt.Errorf("--throttle %q is not a rate: write bytes per second with a unit, e.g. 50MiB/s or 10MB/s", s)
	}
	n, err := topology.ParseSizeBytes(v)
	switch {
	case err != nil && strings.Contains(err.Error(), "too large"):
		return 0, fmt.Errorf("--throttle %q is too large: at most 8EiB/s; for no throttle, leave --throttle out", s)
	case err != nil:
		return 0, fmt.Errorf("--throttle %q is not a rate: write bytes per second with a unit, e.g. 50MiB/s or 10MB/s", s)
	case n < MinRate:
		return 0, fmt.Errorf("--throttle %q is below the minimum of 1KiB/s: the moves would take days at it; give e.g. 10MiB/s", s)
	}
	return n, nil
}

// ReassignmentProgress sets each reassignment's Progress: the least
// advanced adding replica's bytes over the partition's (1 for an empty
// partition or one adding no replica); it stays -1 when a size is unknown.
func ReassignmentProgress(rs []Reassignment, sizes map[TopicPartition]int64, replicas map[BrokerPartition]int64) {
	for i := range rs {
		r := &rs[i]
		tp := TopicPartition{r.Topic, r.Partition}
		total, ok := sizes[tp]
		if !ok {
			continue
		}
		if total == 0 || len(r.Adding) == 0 {
			r.Progress = 1
			continue
		}
		least := 1.0
		for _, b := range r.Adding {
			have := replicas[BrokerPartition{b, tp}]
			least = min(least, float64(have)/float64(total))
		}
		r.Progress = least
	}
}

// ClusterID returns the cluster's ID from one Metadata request for no
// topic; an error names the request.
func ClusterID(ctx context.Context, cl kmsg.Requestor) (string, error) {
	meta, err := observe.ClusterMetadata(ctx, cl)
	if err != nil {
		return "", err
	}
	return meta.ClusterID, nil
}
