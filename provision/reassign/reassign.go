// Package reassign computes partition reassignments: new replica lists for
// a replication-factor change, for brokers being added or drained, and for
// spreading replicas and preferred leaders evenly. It is pure (no I/O) and
// deterministic: the same input always gives the same output.
//
// The planner works in steps, each doing only what the goal needs:
//
//  1. replicas on brokers being removed (or absent from the broker list)
//     are dropped, and so are the extra replicas of a topic whose
//     replication factor goes down (never the current leader when
//     avoidable; the replica on the most loaded broker, on a duplicated
//     rack first);
//  2. every broker gets a target replica count, floor or ceiling of the
//     mean, chosen so that the number of moves is the minimum and so that
//     planning again from any state on the way gives the same targets;
//  3. partitions short of replicas (replication factor up, replicas
//     dropped) get them on the brokers furthest below their targets;
//  4. replicas on brokers above their targets move to brokers below them,
//     followers before leaders;
//  5. preferred leaders (the first replica) are balanced the same way by
//     reordering replicas inside a partition, which moves no data.
//
// Replicas of one partition are kept on distinct racks whenever the racks
// allow it; a broker without a rack counts as a rack of its own.
package reassign

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// state is the planner's working state. Brokers are dense indices
// 0..n-1 (in the order of their IDs) so that per-broker data are slices.
type state struct {
	in       Input
	ids      []int32 // eligible brokers, sorted
	eligible []bool
	rack     []int32
	nracks   int
	scope    []int // indices of partitions in scope, sorted by topic/partition
	inScope  []bool
	cur      [][]int32 // working replica lists
	count    []int
	leaders  []int
	target   []int
	ltarget  []int
	byBroker [][]int // partition indices (in scope) per broker, sorted
}

// Plan returns the new replica lists. It fails (an *Error naming the fix)
// when a target replication factor exceeds the brokers left, when every
// broker would be removed, or when the input names a broker twice.
func Plan(in Input) (Result, error) {
	seen := map[int32]bool{}
	var idOf []int32
	for _, b := range in.Brokers {
		if seen[b.ID] {
			return Result{}, &Error{fmt.Sprintf("broker %d is listed twice", b.ID)}
		}
		seen[b.ID] = true
		idOf = append(idOf, b.ID)
	}
	for _, id := range in.Goal.Remove {
		if !seen[id] {
			return Result{}, &Error{fmt.Sprintf("broker %d to remove is not in the cluster", id)}
		}
	}
	slices.Sort(idOf)
	rackOf := map[int32]string{}
	for _, b := range in.Brokers {
		rackOf[b.ID] = b.Rack
	}
	// Replicas on brokers not in the list (gone) are brokers to drain.
	idx := make(map[int32]int32, len(idOf))
	for i, id := range idOf {
		idx[id] = int32(i)
	}
	var ghosts []int32
	for _, p := range in.Partitions {
		for _, b := range p.Replicas {
			if _, ok := idx[b]; !ok {
				idx[b] = int32(len(idOf) + len(ghosts))
				ghosts = append(ghosts, b)
			}
		}
	}
	d := Input{Goal: in.Goal}
	d.Goal.Remove = nil
	for i, id := range idOf {
		d.Brokers = append(d.Brokers, Broker{ID: int32(i), Rack: rackOf[id]})
	}
	for _, id := range in.Goal.Remove {
		d.Goal.Remove = append(d.Goal.Remove, idx[id])
	}
	for _, g := range ghosts {
		d.Brokers = append(d.Brokers, Broker{ID: idx[g]})
		d.Goal.Remove = append(d.Goal.Remove, idx[g])
	}
	idOf = append(idOf, ghosts...)
	d.Partitions = make([]Partition, len(in.Partitions))
	for i, p := range in.Partitions {
		q := p
		q.Replicas = make([]int32, len(p.Replicas))
		for j, b := range p.Replicas {
			q.Replicas[j] = idx[b]
		}
		q.Leader = -1
		if l, ok := idx[p.Leader]; ok && p.Leader >= 0 {
			q.Leader = l
		}
		d.Partitions[i] = q
	}
	res, err := planDense(d)
	if err != nil {
		return res, err
	}
	back := func(rs []int32) []int32 {
		out := make([]int32, len(rs))
		for j, b := range rs {
			out[j] = idOf[b]
		}
		return out
	}
	for i := range res.Moves {
		res.Moves[i].From = back(res.Moves[i].From)
		res.Moves[i].To = back(res.Moves[i].To)
	}
	for _, ls := range [][]BrokerLoad{res.Before, res.After} {
		for i := range ls {
			ls[i].Broker = idOf[ls[i].Broker]
		}
	}
	slices.SortFunc(res.Before, func(a, b BrokerLoad) int { return cmp.Compare(a.Broker, b.Broker) })
	slices.SortFunc(res.After, func(a, b BrokerLoad) int { return cmp.Compare(a.Broker, b.Broker) })
	return res, nil
}

// planDense plans for brokers numbered 0..len(in.Brokers)-1 in ID order.
func planDense(in Input) (Result, error) {
	s, err := newState(in)
	if err != nil {
		return Result{}, err
	}
	before := s.loads(true)
	if err := s.dropAndFill(); err != nil {
		return Result{}, err
	}
	if !in.Goal.NoBalance {
		s.balance()
	}
	return s.result(before), nil
}

// newState returns the state of in: the brokers left, their racks, the
// partitions in scope and their replicas. It fails when no broker would be
// left or a target replication factor cannot be met.
func newState(in Input) (*state, error) {
	n := len(in.Brokers)
	s := &state{in: in, eligible: make([]bool, n), rack: make([]int32, n), count: make([]int, n), leaders: make([]int, n)}
	removed := map[int32]bool{}
	for _, id := range in.Goal.Remove {
		removed[id] = true
	}
	rackIdx := map[string]int32{}
	racks := map[int32]bool{}
	for _, b := range in.Brokers {
		r := b.Rack
		if r == "" {
			r = fmt.Sprintf("\x00%d", b.ID) // a rack of its own
		}
		if _, ok := rackIdx[r]; !ok {
			rackIdx[r] = int32(len(rackIdx))
		}
		s.rack[b.ID] = rackIdx[r]
		if !removed[b.ID] {
			s.eligible[b.ID] = true
			s.ids = append(s.ids, b.ID)
			racks[s.rack[b.ID]] = true
		}
	}
	if len(s.ids) == 0 {
		return nil, &Error{"no broker would be left: remove fewer brokers"}
	}
	slices.Sort(s.ids)
	s.nracks = len(racks)

	topics := map[string]bool{}
	for _, t := range in.Goal.Topics {
		topics[t] = true
	}
	order := make([]int, len(in.Partitions))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		pa, pb := in.Partitions[a], in.Partitions[b]
		return cmp.Or(strings.Compare(pa.Topic, pb.Topic), cmp.Compare(pa.Partition, pb.Partition))
	})
	s.cur = make([][]int32, len(in.Partitions))
	s.inScope = make([]bool, len(in.Partitions))
	for _, i := range order {
		p := in.Partitions[i]
		s.cur[i] = slices.Clone(p.Replicas)
		if len(topics) == 0 || topics[p.Topic] {
			s.inScope[i] = true
			s.scope = append(s.scope, i)
		}
	}
	for t, rf := range in.Goal.RF {
		if rf < 1 {
			return nil, &Error{fmt.Sprintf("topic %q: replication factor %d must be at least 1", t, rf)}
		}
		if rf > len(s.ids) {
			return nil, &Error{fmt.Sprintf("topic %q: replication factor %d is more than the %d brokers that would be left", t, rf, len(s.ids))}
		}
	}
	return s, nil
}

// dropAndFill drops the replicas on removed or unknown brokers and the
// extra ones, then fills every partition in scope up to its factor.
func (s *state) dropAndFill() error {
	// Step 1: drop replicas on removed or unknown brokers, then extra ones.
	for _, i := range s.scope {
		s.cur[i] = slices.DeleteFunc(s.cur[i], func(b int32) bool { return !s.eligible[b] })
	}
	for _, i := range s.scope {
		if len(s.cur[i]) > len(s.ids) && s.in.Goal.RF[s.in.Partitions[i].Topic] == 0 {
			return &Error{fmt.Sprintf("%s/%d has %d replicas, more than the %d brokers that would be left: remove fewer brokers or lower its replication factor",
				s.in.Partitions[i].Topic, s.in.Partitions[i].Partition, len(s.in.Partitions[i].Replicas), len(s.ids))}
		}
	}
	s.recount()
	// Step 2: targets: every replica left plus what the factors need.
	total := 0
	for _, i := range s.scope {
		total += s.rf(i) - len(s.cur[i])
	}
	for _, id := range s.ids {
		total += s.count[id]
	}
	s.dropExtra()
	s.target = stableTargets(s.ids, s.count, total)
	// Step 3: fill.
	for _, i := range s.scope {
		for len(s.cur[i]) < s.rf(i) {
			b, ok := s.pickFill(i)
			if !ok {
				return &Error{fmt.Sprintf("%s/%d: no broker can take another replica", s.in.Partitions[i].Topic, s.in.Partitions[i].Partition)}
			}
			s.cur[i] = append(s.cur[i], b)
			s.count[b]++
		}
	}
	// A dropped preferred leader hands the first place to the current
	// leader, so that the drop moves no leadership.
	for _, i := range s.scope {
		p := s.in.Partitions[i]
		if len(p.Replicas) > 0 && !slices.Contains(s.cur[i], p.Replicas[0]) {
			if j := slices.Index(s.cur[i], p.Leader); j > 0 {
				s.cur[i][0], s.cur[i][j] = s.cur[i][j], s.cur[i][0]
			}
		}
	}
	s.recount()
	return nil
}

// balance places replicas on distinct racks, then evens out replicas and
// leaders across the brokers.
func (s *state) balance() {
	s.index()
	s.fixRacks()
	total := 0
	for _, id := range s.ids {
		total += s.leaders[id]
	}
	s.ltarget = stableTargets(s.ids, s.leaders, total)
	s.balanceReplicas()
	s.recount()
	s.balanceLeaders()
}

// result lists the moves from the partitions' replicas to the planned ones.
func (s *state) result(before []BrokerLoad) Result {
	res := Result{Moves: []Move{}, Before: before, After: s.loads(false)}
	for _, i := range s.scope {
		p := s.in.Partitions[i]
		if slices.Equal(p.Replicas, s.cur[i]) {
			continue
		}
		m := Move{Topic: p.Topic, Partition: p.Partition, From: slices.Clone(p.Replicas), To: s.cur[i]}
		res.ReplicasAdded += len(m.Adding())
		res.Moves = append(res.Moves, m)
	}
	return res
}

func (s *state) rf(i int) int {
	if rf, ok := s.in.Goal.RF[s.in.Partitions[i].Topic]; ok {
		return rf
	}
	return len(s.in.Partitions[i].Replicas)
}

func (s *state) leaderOf(i int) int32 {
	p := s.in.Partitions[i]
	if p.Leader >= 0 && slices.Contains(s.cur[i], p.Leader) {
		return p.Leader
	}
	if len(p.Replicas) > 0 && slices.Contains(s.cur[i], p.Replicas[0]) {
		return p.Replicas[0]
	}
	return -1
}

// recount counts replicas and preferred leaders on eligible brokers over
// every partition (those out of scope are fixed load).
func (s *state) recount() {
	clear(s.count)
	clear(s.leaders)
	for i := range s.cur {
		for j, b := range s.cur[i] {
			if s.eligible[b] {
				s.count[b]++
				if j == 0 {
					s.leaders[b]++
				}
			}
		}
	}
}

func (s *state) loads(original bool) []BrokerLoad {
	n := len(s.in.Brokers)
	rep, lead := make([]int, n), make([]int, n)
	for i, p := range s.in.Partitions {
		rs := s.cur[i]
		if original {
			rs = p.Replicas
		}
		for j, b := range rs {
			rep[b]++
			if j == 0 {
				lead[b]++
			}
		}
	}
	out := make([]BrokerLoad, 0, n)
	for id := range int32(n) {
		if !original && rep[id] == 0 && !s.eligible[id] {
			continue // a removed broker left empty, or one never seen
		}
		out = append(out, BrokerLoad{Broker: id, Replicas: rep[id], Leaders: lead[id]})
	}
	return out
}

// distinctRacks counts the racks of rs.
func (s *state) distinctRacks(rs []int32) int {
	n := 0
	for j, b := range rs {
		dup := false
		for _, c := range rs[:j] {
			if s.rack[c] == s.rack[b] {
				dup = true
				break
			}
		}
		if !dup {
			n++
		}
	}
	return n
}

func (s *state) rackUsed(rs []int32, r int32, except int32) bool {
	for _, b := range rs {
		if b != except && s.rack[b] == r {
			return true
		}
	}
	return false
}

// LowerBound returns the fewest replicas that must be copied to reach
// balance (every eligible broker within one of the mean) from in, when no
// replication factor changes and no broker is removed: the sum of each
// broker's count above its best target. Racks and the one-replica-per-
// broker rule can only raise it.
func LowerBound(in Input) int {
	idx := map[int32]int32{}
	var ids []int32
	for i, b := range in.Brokers {
		idx[b.ID] = int32(i)
		ids = append(ids, int32(i))
	}
	slices.SortFunc(ids, func(a, b int32) int { return cmp.Compare(in.Brokers[a].ID, in.Brokers[b].ID) })
	count := make([]int, len(ids))
	total := 0
	for _, p := range in.Partitions {
		for _, b := range p.Replicas {
			if i, ok := idx[b]; ok {
				count[i]++
			}
			total++
		}
	}
	t := stableTargets(ids, count, total)
	n := 0
	for _, id := range ids {
		n += max(0, count[id]-t[id])
	}
	return n
}
