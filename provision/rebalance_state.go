package provision

import (
	"sort"
	"time"

	"github.com/kctl/kctl/provision/reassign"
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
