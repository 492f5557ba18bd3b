package provision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kctl/kctl/provision/reassign"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The throttle configs (KIP-73), as kafka-reassign-partitions.sh sets them.
const (
	LeaderThrottleRate       = "leader.replication.throttled.rate"
	FollowerThrottleRate     = "follower.replication.throttled.rate"
	LeaderThrottledReplicas  = "leader.replication.throttled.replicas"
	FollowerThrottledReplica = "follower.replication.throttled.replicas"
)

// Move states in a RebalanceState.
const (
	MovePending = "pending"
	MoveStarted = "started"
	MoveDone    = "done"
	MoveFailed  = "failed"
)

// RebalanceState is a rebalance being carried out: the plan's moves with
// their state, and every config kctl set for the throttle with the value it
// had before (nil: none, so undoing deletes it). kctl stores it (the
// marker) so that a second `rebalance --yes` resumes, and so that
// --cancel and the end of the moves remove exactly what was set.
type RebalanceState struct {
	ClusterID string        `json:"clusterId"`
	Started   time.Time     `json:"started"`
	Goal      RebalanceGoal `json:"goal"`
	Throttle  int64         `json:"throttle"`
	MaxMoves  int           `json:"maxMoves"`
	Moves     []StateMove   `json:"moves"`
	// Throttles are the configs set, with their old values; ThrottleSet
	// says they were sent.
	Throttles   []SavedConfig `json:"throttles"`
	ThrottleSet bool          `json:"throttleSet"`
	// gated: made by a Decision of Gate, or loaded from the marker
	// store (gated when it was recorded); Executor.Run runs no other.
	gated bool
}

// StateMove is one move and how far it got.
type StateMove struct {
	reassign.Move
	State string `json:"state"`
	Error string `json:"error,omitempty"`
}

// SavedConfig is a config kctl set: on a broker (Broker ≥ 0) or a topic.
type SavedConfig struct {
	Broker int32   `json:"broker"`
	Topic  string  `json:"topic,omitempty"`
	Name   string  `json:"name"`
	Value  string  `json:"value"`
	Old    *string `json:"old"`
}

// NewRebalanceState returns the state of a plan about to be executed. An
// Executor runs it only when it comes from Decision.RebalanceState.
func NewRebalanceState(p *RebalancePlan, maxMoves int, now time.Time) *RebalanceState {
	st := &RebalanceState{ClusterID: p.ClusterID, Started: now.UTC(), Goal: p.Goal, Throttle: p.Throttle, MaxMoves: maxMoves, Throttles: []SavedConfig{}}
	for _, m := range p.Moves {
		st.Moves = append(st.Moves, StateMove{Move: m.Move, State: MovePending})
	}
	return st
}

// reassignmentState returns the state that carries out the replica lists
// of a plan's replication-factor changes with a throttle of rate bytes/s
// (its goal names the topics); Decision.ReassignmentState gates it.
func (p *Plan) reassignmentState(rate int64, maxMoves int, now time.Time) *RebalanceState {
	rp := &RebalancePlan{ClusterID: p.ClusterID, Throttle: rate}
	for _, c := range p.Changes {
		if c.Action != Update || len(c.Reassignments) == 0 {
			continue
		}
		rp.Goal.Topics = append(rp.Goal.Topics, c.Topic)
		for _, m := range c.Reassignments {
			rp.Moves = append(rp.Moves, PlannedMove{Move: m})
		}
	}
	sort.Strings(rp.Goal.Topics)
	return NewRebalanceState(rp, maxMoves, now)
}

// HasReassignments reports whether the plan changes a replication factor.
func (p *Plan) HasReassignments() bool {
	for _, c := range p.Changes {
		if c.Action == Update && len(c.Reassignments) > 0 {
			return true
		}
	}
	return false
}

// Count returns how many moves are in state s.
func (st *RebalanceState) Count(s string) int {
	n := 0
	for _, m := range st.Moves {
		if m.State == s {
			n++
		}
	}
	return n
}

// Done reports whether no move is pending or started.
func (st *RebalanceState) Done() bool { return st.Count(MovePending)+st.Count(MoveStarted) == 0 }

// Executor carries out a RebalanceState: Apply decides nothing, and
// neither does it; the moves and the throttle are in the state.
type Executor struct {
	Client kmsg.Requestor
	State  *RebalanceState
	// Save stores the state after each change (the marker); an error
	// stops the execution.
	Save func(*RebalanceState) error
	// Interval between ListPartitionReassignments polls.
	Interval time.Duration
	// Progress is told after each poll.
	Progress func(*RebalanceState)
	// ElectLeaders runs a preferred-leader election for the moved
	// partitions once every move is done.
	ElectLeaders bool
	// Timeout bounds each request.
	Timeout time.Duration
}

// ErrMovesFailed is returned by Run when a move was refused by Kafka.
var ErrMovesFailed = errors.New("some moves failed")

// Run sets the throttle (once), then keeps at most MaxMoves partitions
// moving, starting the next as one completes (a started move that
// ListPartitionReassignments no longer lists is done), until every move is
// done; then it removes the throttle and, if asked, elects preferred
// leaders. On ctx's end it returns ctx's error with the moves left running
// and the state saved, so Run can resume them. It returns ErrMovesFailed
// (wrapped, naming them) when Kafka refused moves; the others carry on.
//
// It runs only a state from a Decision of Gate (Decision.RebalanceState,
// Decision.ReassignmentState) or from the marker store (Markers.Load): any
// other returns ErrNotGated, changing nothing.
func (e *Executor) Run(ctx context.Context) error {
	st := e.State
	if st == nil || !st.gated {
		return ErrNotGated
	}
	if e.Timeout <= 0 {
		e.Timeout = 30 * time.Second
	}
	if st.Throttle > 0 && !st.ThrottleSet {
		if err := e.setThrottle(ctx); err != nil {
			return err
		}
	}
	for {
		listed, err := e.list(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		changed := false
		running := 0
		for i := range st.Moves {
			m := &st.Moves[i]
			if m.State != MoveStarted {
				continue
			}
			if listed[TopicPartition{m.Topic, m.Partition}] {
				running++
			} else {
				m.State = MoveDone
				changed = true
			}
		}
		var batch []int
		for i := range st.Moves {
			if running+len(batch) >= max(st.MaxMoves, 1) {
				break
			}
			if st.Moves[i].State == MovePending {
				batch = append(batch, i)
			}
		}
		if len(batch) > 0 {
			if err := e.start(ctx, batch); err != nil {
				return err
			}
			changed = true
		}
		if changed {
			if err := e.Save(st); err != nil {
				return err
			}
		}
		if e.Progress != nil {
			e.Progress(st)
		}
		if st.Done() {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(e.Interval):
		}
	}
	if err := e.RemoveThrottle(ctx); err != nil {
		return err
	}
	if e.ElectLeaders {
		if err := e.elect(ctx); err != nil {
			return err
		}
	}
	if n := st.Count(MoveFailed); n > 0 {
		var names []string
		for _, m := range st.Moves {
			if m.State == MoveFailed {
				names = append(names, fmt.Sprintf("%s/%d (%s)", m.Topic, m.Partition, m.Error))
			}
		}
		return fmt.Errorf("%w: %d of %d moves: %s", ErrMovesFailed, n, len(st.Moves), strings.Join(names, "; "))
	}
	return nil
}

func (e *Executor) list(ctx context.Context) (map[TopicPartition]bool, error) {
	rctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	rs, err := ListReassignments(rctx, e.Client)
	if err != nil {
		return nil, err
	}
	out := map[TopicPartition]bool{}
	for _, r := range rs {
		out[TopicPartition{r.Topic, r.Partition}] = true
	}
	return out, nil
}

// start sends one AlterPartitionAssignments for the moves at idx and marks
// each started, or failed with Kafka's error.
func (e *Executor) start(ctx context.Context, idx []int) error {
	st := e.State
	as := newAssignments(int32(e.Timeout / time.Millisecond))
	for _, i := range idx {
		m := st.Moves[i]
		as.add(m.Topic, m.Partition, m.To)
	}
	req := as.req
	rctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	resp, err := req.RequestWith(rctx, e.Client)
	if err != nil {
		return fmt.Errorf("start %s: %w", pluralMoves(len(idx)), err)
	}
	if code := resp.ErrorCode; code != 0 {
		return fmt.Errorf("start %s: %s", pluralMoves(len(idx)), kerrText(code, resp.ErrorMessage))
	}
	answer := map[TopicPartition]string{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			answer[TopicPartition{t.Topic, p.Partition}] = ""
			if p.ErrorCode != 0 {
				answer[TopicPartition{t.Topic, p.Partition}] = kerrText(p.ErrorCode, p.ErrorMessage)
			}
		}
	}
	for _, i := range idx {
		m := &st.Moves[i]
		msg, ok := answer[TopicPartition{m.Topic, m.Partition}]
		switch {
		case !ok:
			m.State, m.Error = MoveFailed, "the broker did not answer for this partition"
		case msg != "":
			m.State, m.Error = MoveFailed, msg
		default:
			m.State = MoveStarted
		}
	}
	return nil
}

func pluralMoves(n int) string {
	if n == 1 {
		return "1 move"
	}
	return fmt.Sprintf("%d moves", n)
}

// ThrottleConfigs returns the configs a throttle of rate bytes/s sets for
// moves, as kafka-reassign-partitions.sh does: both rates on every broker
// a move involves; on each topic, leader.replication.throttled.replicas
// listing the current replicas of its moving partitions and
// follower.replication.throttled.replicas listing the replicas being
// added ("partition:broker,…"). Brokers first by ID, then topics by name.
func ThrottleConfigs(moves []reassign.Move, rate int64) []SavedConfig {
	brokers := map[int32]bool{}
	leaders, followers := map[string][]string{}, map[string][]string{}
	for _, m := range moves {
		if len(m.Adding()) == 0 {
			continue // a reorder copies nothing
		}
		for _, b := range m.From {
			brokers[b] = true
			leaders[m.Topic] = append(leaders[m.Topic], fmt.Sprintf("%d:%d", m.Partition, b))
		}
		for _, b := range m.Adding() {
			brokers[b] = true
			followers[m.Topic] = append(followers[m.Topic], fmt.Sprintf("%d:%d", m.Partition, b))
		}
	}
	var out []SavedConfig
	ids := make([]int32, 0, len(brokers))
	for b := range brokers {
		ids = append(ids, b)
	}
	slices.Sort(ids)
	r := strconv.FormatInt(rate, 10)
	for _, b := range ids {
		out = append(out, SavedConfig{Broker: b, Name: LeaderThrottleRate, Value: r}, SavedConfig{Broker: b, Name: FollowerThrottleRate, Value: r})
	}
	topics := make([]string, 0, len(leaders))
	for t := range leaders {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	for _, t := range topics {
		out = append(out,
			SavedConfig{Broker: -1, Topic: t, Name: LeaderThrottledReplicas, Value: strings.Join(leaders[t], ",")},
			SavedConfig{Broker: -1, Topic: t, Name: FollowerThrottledReplica, Value: strings.Join(followers[t], ",")})
	}
	return out
}

// setThrottle reads the old values of the throttle configs, saves them in
// the state (before anything is set, so an interruption can still undo),
// then sets the throttle in one IncrementalAlterConfigs. A topic that
// already lists replicas keeps them (the lists are merged); "*" is left.
func (e *Executor) setThrottle(ctx context.Context) error {
	st := e.State
	var moves []reassign.Move
	for _, m := range st.Moves {
		if m.State != MoveDone && m.State != MoveFailed {
			moves = append(moves, m.Move)
		}
	}
	want := ThrottleConfigs(moves, st.Throttle)
	if len(want) == 0 {
		st.ThrottleSet = true
		return e.Save(st)
	}
	old, err := e.describe(ctx, want)
	if err != nil {
		return fmt.Errorf("read the current throttle configs: %w", err)
	}
	var set []SavedConfig
	for _, c := range want {
		c.Old = old[configKey(c)]
		if c.Broker < 0 && c.Old != nil && *c.Old != "" {
			if *c.Old == "*" {
				continue // every replica already throttled
			}
			c.Value = *c.Old + "," + c.Value
		}
		set = append(set, c)
	}
	st.Throttles = set
	if err := e.Save(st); err != nil {
		return err
	}
	if err := e.alter(ctx, set, false); err != nil {
		return fmt.Errorf("set the throttle: %w", err)
	}
	st.ThrottleSet = true
	return e.Save(st)
}

// RemoveThrottle puts back what setThrottle changed: each config's old
// value, or deletes it when it had none; then clears the list. It returns
// an error naming the configs it could not restore (they stay listed).
func (e *Executor) RemoveThrottle(ctx context.Context) error {
	st := e.State
	if len(st.Throttles) == 0 {
		return nil
	}
	if err := e.alter(ctx, st.Throttles, true); err != nil {
		return fmt.Errorf("remove the throttle kctl set: %w", err)
	}
	st.Throttles = []SavedConfig{}
	st.ThrottleSet = false
	return e.Save(st)
}

func configKey(c SavedConfig) string {
	if c.Broker >= 0 {
		return fmt.Sprintf("broker %d %s", c.Broker, c.Name)
	}
	return fmt.Sprintf("topic %s %s", c.Topic, c.Name)
}

// describe returns the dynamic values (set on that broker, or on that
// topic) of the configs in cs; absent names have none.
func (e *Executor) describe(ctx context.Context, cs []SavedConfig) (map[string]*string, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	seen := map[string]bool{}
	for _, c := range cs {
		r := kmsg.NewDescribeConfigsRequestResource()
		if c.Broker >= 0 {
			r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeBroker, strconv.Itoa(int(c.Broker))
		} else {
			r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeTopic, c.Topic
		}
		k := fmt.Sprint(r.ResourceType, r.ResourceName)
		if seen[k] {
			continue
		}
		seen[k] = true
		req.Resources = append(req.Resources, r)
	}
	rctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	resp, err := req.RequestWith(rctx, e.Client)
	if err != nil {
		return nil, err
	}
	out := map[string]*string{}
	for _, r := range resp.Resources {
		if e := kerr.ErrorForCode(r.ErrorCode); e != nil {
			return nil, fmt.Errorf("%s: %s", r.ResourceName, withMessage(e, r.ErrorMessage))
		}
		for _, c := range r.Configs {
			var key string
			switch {
			case r.ResourceType == kmsg.ConfigResourceTypeBroker && c.Source == kmsg.ConfigSourceDynamicBrokerConfig:
				id, _ := strconv.Atoi(r.ResourceName)
				key = configKey(SavedConfig{Broker: int32(id), Name: c.Name})
			case r.ResourceType == kmsg.ConfigResourceTypeTopic && c.Source == kmsg.ConfigSourceDynamicTopicConfig:
				key = configKey(SavedConfig{Broker: -1, Topic: r.ResourceName, Name: c.Name})
			default:
				continue
			}
			out[key] = c.Value
		}
	}
	return out, nil
}

// alter sets cs (undo false) or restores their old values (undo true) in
// one IncrementalAlterConfigs, checking every resource's error.
func (e *Executor) alter(ctx context.Context, cs []SavedConfig, undo bool) error {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	idx := map[string]int{}
	for _, c := range cs {
		typ, name := kmsg.ConfigResourceTypeTopic, c.Topic
		if c.Broker >= 0 {
			typ, name = kmsg.ConfigResourceTypeBroker, strconv.Itoa(int(c.Broker))
		}
		k := fmt.Sprint(typ, name)
		i, ok := idx[k]
		if !ok {
			i = len(req.Resources)
			idx[k] = i
			r := kmsg.NewIncrementalAlterConfigsRequestResource()
			r.ResourceType, r.ResourceName = typ, name
			req.Resources = append(req.Resources, r)
		}
		rc := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		rc.Name = c.Name
		switch {
		case !undo:
			rc.Op, rc.Value = kmsg.IncrementalAlterConfigOpSet, kmsg.StringPtr(c.Value)
		case c.Old != nil:
			rc.Op, rc.Value = kmsg.IncrementalAlterConfigOpSet, c.Old
		default:
			rc.Op = kmsg.IncrementalAlterConfigOpDelete
		}
		req.Resources[i].Configs = append(req.Resources[i].Configs, rc)
	}
	rctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	resp, err := req.RequestWith(rctx, e.Client)
	var fails []string
	answered := map[string]bool{}
	if resp != nil {
		for _, r := range resp.Resources {
			answered[fmt.Sprint(r.ResourceType, r.ResourceName)] = true
			if code := r.ErrorCode; code != 0 {
				fails = append(fails, fmt.Sprintf("%s %s: %s", strings.ToLower(r.ResourceType.String()), r.ResourceName, kerrText(code, r.ErrorMessage)))
			}
		}
	}
	for _, r := range req.Resources {
		if !answered[fmt.Sprint(r.ResourceType, r.ResourceName)] {
			fails = append(fails, fmt.Sprintf("%s %s: %s", strings.ToLower(r.ResourceType.String()), r.ResourceName, noAnswer(err)))
		}
	}
	if len(fails) > 0 {
		return errors.New(strings.Join(fails, "; "))
	}
	return nil
}

// elect runs a preferred-leader election for the partitions moved.
func (e *Executor) elect(ctx context.Context) error {
	req := kmsg.NewPtrElectLeadersRequest()
	req.ElectionType = 0 // preferred
	req.TimeoutMillis = int32(e.Timeout / time.Millisecond)
	byTopic := map[string]int{}
	for _, m := range e.State.Moves {
		if m.State != MoveDone {
			continue
		}
		i, ok := byTopic[m.Topic]
		if !ok {
			i = len(req.Topics)
			byTopic[m.Topic] = i
			t := kmsg.NewElectLeadersRequestTopic()
			t.Topic = m.Topic
			req.Topics = append(req.Topics, t)
		}
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, m.Partition)
	}
	if len(req.Topics) == 0 {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	resp, err := req.RequestWith(rctx, e.Client)
	if err != nil {
		return fmt.Errorf("elect preferred leaders: %w", err)
	}
	var fails []string
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			// Already the preferred leader is not a failure.
			if p.ErrorCode != 0 && p.ErrorCode != kerr.ElectionNotNeeded.Code {
				fails = append(fails, fmt.Sprintf("%s/%d: %s", t.Topic, p.Partition, kerrText(p.ErrorCode, p.ErrorMessage)))
			}
		}
	}
	if len(fails) > 0 {
		return fmt.Errorf("elect preferred leaders: %s", strings.Join(fails, "; "))
	}
	return nil
}

// CancelReassignments cancels the reassignments in progress that keep
// returns true for (all when keep is nil), in one AlterPartitionAssignments
// with null replica lists: Kafka puts back each partition's replicas as they
// were. It returns the partitions cancelled and an error naming those
// Kafka refused (NO_REASSIGNMENT_IN_PROGRESS, finished meanwhile, is not
// an error).
func CancelReassignments(ctx context.Context, cl kmsg.Requestor, keep func(TopicPartition) bool) ([]TopicPartition, error) {
	rs, err := ListReassignments(ctx, cl)
	if err != nil {
		return nil, err
	}
	as := newAssignments(30000)
	for _, r := range rs {
		if keep != nil && !keep(TopicPartition{r.Topic, r.Partition}) {
			continue
		}
		as.add(r.Topic, r.Partition, nil) // null replicas: cancel
	}
	req := as.req
	if len(req.Topics) == 0 {
		return []TopicPartition{}, nil
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("cancel reassignments: %w", err)
	}
	if resp.ErrorCode != 0 {
		return nil, fmt.Errorf("cancel reassignments: %s", kerrText(resp.ErrorCode, resp.ErrorMessage))
	}
	done := []TopicPartition{}
	var fails []string
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			switch p.ErrorCode {
			case 0:
				done = append(done, TopicPartition{t.Topic, p.Partition})
			case kerr.NoReassignmentInProgress.Code:
			default:
				fails = append(fails, fmt.Sprintf("%s/%d: %s", t.Topic, p.Partition, kerrText(p.ErrorCode, p.ErrorMessage)))
			}
		}
	}
	if len(fails) > 0 {
		return done, fmt.Errorf("cancel reassignments: %s", strings.Join(fails, "; "))
	}
	return done, nil
}

// assignments builds one AlterPartitionAssignments request, each partition
// under its topic, topics in the order first added. Replicas nil cancel the
// partition's reassignment in progress.
type assignments struct {
	req     *kmsg.AlterPartitionAssignmentsRequest
	byTopic map[string]int
}

func newAssignments(timeoutMillis int32) *assignments {
	req := kmsg.NewPtrAlterPartitionAssignmentsRequest()
	req.TimeoutMillis = timeoutMillis
	return &assignments{req: req, byTopic: map[string]int{}}
}

func (a *assignments) add(topic string, partition int32, replicas []int32) {
	ti, ok := a.byTopic[topic]
	if !ok {
		ti = len(a.req.Topics)
		a.byTopic[topic] = ti
		t := kmsg.NewAlterPartitionAssignmentsRequestTopic()
		t.Topic = topic
		a.req.Topics = append(a.req.Topics, t)
	}
	p := kmsg.NewAlterPartitionAssignmentsRequestTopicPartition()
	p.Partition = partition
	p.Replicas = replicas
	a.req.Topics[ti].Partitions = append(a.req.Topics[ti].Partitions, p)
}
