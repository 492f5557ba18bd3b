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

// Broker is a broker of the cluster.
type Broker struct {
	ID   int32  `json:"id" yaml:"id"`
	Rack string `json:"rack,omitempty" yaml:"rack,omitempty"`
}

// Partition is one partition's current assignment. Replicas[0] is the
// preferred leader. Leader is the current leader (-1 when unknown, then
// Replicas[0] is assumed).
type Partition struct {
	Topic     string  `json:"topic" yaml:"topic"`
	Partition int32   `json:"partition" yaml:"partition"`
	Replicas  []int32 `json:"replicas" yaml:"replicas"`
	Leader    int32   `json:"leader" yaml:"leader"`
}

// Goal is what the reassignment must achieve.
type Goal struct {
	// RF is the target replication factor of topics whose factor changes;
	// a topic not named keeps the length of its replica lists.
	RF map[string]int `json:"replicationFactor,omitempty" yaml:"replicationFactor,omitempty"`
	// Remove are brokers to drain: they end with no replica of a partition
	// in scope.
	Remove []int32 `json:"remove,omitempty" yaml:"remove,omitempty"`
	// Topics limits the partitions that may change; empty means all.
	Topics []string `json:"topics,omitempty" yaml:"topics,omitempty"`
	// NoBalance only does what RF and Remove need: no replica moves and no
	// leader reordering for balance (the provisioning loop's RF change).
	NoBalance bool `json:"noBalance,omitempty" yaml:"noBalance,omitempty"`
}

// Input is the cluster and the goal.
type Input struct {
	// Brokers are the live brokers. Brokers to add are simply listed here
	// (with no replicas yet).
	Brokers    []Broker    `json:"brokers" yaml:"brokers"`
	Partitions []Partition `json:"partitions" yaml:"partitions"`
	Goal       Goal        `json:"goal" yaml:"goal"`
}

// Move is one partition's new replica list.
type Move struct {
	Topic     string  `json:"topic" yaml:"topic"`
	Partition int32   `json:"partition" yaml:"partition"`
	From      []int32 `json:"from" yaml:"from"`
	To        []int32 `json:"to" yaml:"to"`
}

// Adding returns the brokers in To but not in From: the replicas that must
// copy the partition's data.
func (m Move) Adding() []int32 { return minus(m.To, m.From) }

// Removing returns the brokers in From but not in To.
func (m Move) Removing() []int32 { return minus(m.From, m.To) }

func minus(a, b []int32) []int32 {
	var out []int32
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// Result is the planner's answer.
type Result struct {
	// Moves are the partitions whose replica list changes, sorted by topic
	// and partition. A move that only reorders replicas moves no data.
	Moves []Move `json:"moves" yaml:"moves"`
	// ReplicasAdded counts the replicas placed on a broker that did not
	// hold the partition: the data copies the moves need.
	ReplicasAdded int `json:"replicasAdded" yaml:"replicasAdded"`
	// Before and After are replica and preferred-leader counts per broker.
	Before []BrokerLoad `json:"before" yaml:"before"`
	After  []BrokerLoad `json:"after" yaml:"after"`
}

// BrokerLoad is one broker's replica and preferred-leader count.
type BrokerLoad struct {
	Broker   int32 `json:"broker" yaml:"broker"`
	Replicas int   `json:"replicas" yaml:"replicas"`
	Leaders  int   `json:"leaders" yaml:"leaders"`
}

// Error is an input the planner cannot satisfy.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

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
		return Result{}, &Error{"no broker would be left: remove fewer brokers"}
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
			return Result{}, &Error{fmt.Sprintf("topic %q: replication factor %d must be at least 1", t, rf)}
		}
		if rf > len(s.ids) {
			return Result{}, &Error{fmt.Sprintf("topic %q: replication factor %d is more than the %d brokers that would be left", t, rf, len(s.ids))}
		}
	}
	before := s.loads(true)

	// Step 1: drop replicas on removed or unknown brokers, then extra ones.
	for _, i := range s.scope {
		s.cur[i] = slices.DeleteFunc(s.cur[i], func(b int32) bool { return !s.eligible[b] })
	}
	for _, i := range s.scope {
		if len(s.cur[i]) > len(s.ids) && in.Goal.RF[in.Partitions[i].Topic] == 0 {
			return Result{}, &Error{fmt.Sprintf("%s/%d has %d replicas, more than the %d brokers that would be left: remove fewer brokers or lower its replication factor",
				in.Partitions[i].Topic, in.Partitions[i].Partition, len(in.Partitions[i].Replicas), len(s.ids))}
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
				return Result{}, &Error{fmt.Sprintf("%s/%d: no broker can take another replica", in.Partitions[i].Topic, in.Partitions[i].Partition)}
			}
			s.cur[i] = append(s.cur[i], b)
			s.count[b]++
		}
	}
	// A dropped preferred leader hands the first place to the current
	// leader, so that the drop moves no leadership.
	for _, i := range s.scope {
		p := in.Partitions[i]
		if len(p.Replicas) > 0 && !slices.Contains(s.cur[i], p.Replicas[0]) {
			if j := slices.Index(s.cur[i], p.Leader); j > 0 {
				s.cur[i][0], s.cur[i][j] = s.cur[i][j], s.cur[i][0]
			}
		}
	}
	s.recount()
	if !in.Goal.NoBalance {
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

	res := Result{Moves: []Move{}, Before: before, After: s.loads(false)}
	for _, i := range s.scope {
		p := in.Partitions[i]
		if slices.Equal(p.Replicas, s.cur[i]) {
			continue
		}
		m := Move{Topic: p.Topic, Partition: p.Partition, From: slices.Clone(p.Replicas), To: s.cur[i]}
		res.ReplicasAdded += len(m.Adding())
		res.Moves = append(res.Moves, m)
	}
	return res, nil
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

// dropOne removes one replica of partition i: never the leader when
// another can go; a replica on a duplicated rack first; then the one on
// the most loaded broker; then the highest id.
func (s *state) dropOne(i int) {
	rs := s.cur[i]
	leader := s.leaderOf(i)
	best := -1
	var bestKey [3]int
	for j, b := range rs {
		isLeader := 0
		if b == leader {
			isLeader = 1
		}
		dupRack := 0
		if s.rackUsed(rs, s.rack[b], b) {
			dupRack = 1
		}
		key := [3]int{-isLeader, dupRack, s.count[b]}
		if best < 0 || cmpKey(key, bestKey) > 0 || (cmpKey(key, bestKey) == 0 && b > rs[best]) {
			best, bestKey = j, key
		}
	}
	s.count[rs[best]]--
	s.cur[i] = slices.Delete(rs, best, best+1)
}

// dropExtra removes the replicas a lower replication factor leaves over:
// repeatedly one replica from the broker furthest above its share, among
// the partitions that still have one too many, never a leader, and never
// one whose loss narrows the partition's rack spread more than the racks
// need; what that cannot settle falls back to dropOne.
func (s *state) dropExtra() {
	total, need := 0, 0
	for _, i := range s.scope {
		total += s.rf(i)
		need += max(0, len(s.cur[i])-s.rf(i))
	}
	if need == 0 {
		return
	}
	for _, id := range s.ids {
		total += s.count[id]
	}
	for _, i := range s.scope {
		total -= len(s.cur[i])
	}
	target := stableTargets(s.ids, s.count, total)
	cands := make([][]int, len(s.in.Brokers))
	for _, i := range s.scope {
		if len(s.cur[i]) > s.rf(i) {
			for _, b := range s.cur[i] {
				cands[b] = append(cands[b], i)
			}
		}
	}
	for need > 0 {
		best, bestI := int32(-1), -1
		for _, b := range s.ids {
			if best >= 0 && s.count[b]-target[b] <= s.count[best]-target[best] {
				continue
			}
			for k, i := range cands[b] {
				if len(s.cur[i]) <= s.rf(i) || b == s.leaderOf(i) || !s.dropKeepsRacks(i, b) {
					continue
				}
				cands[b] = cands[b][k:]
				best, bestI = b, i
				break
			}
		}
		if bestI < 0 {
			break
		}
		s.cur[bestI] = slices.DeleteFunc(s.cur[bestI], func(x int32) bool { return x == best })
		s.count[best]--
		need--
	}
	for _, i := range s.scope {
		for len(s.cur[i]) > s.rf(i) {
			s.dropOne(i)
		}
	}
}

// dropKeepsRacks reports whether dropping b from partition i keeps its
// replicas on as many racks as the racks allow (or on no fewer racks).
func (s *state) dropKeepsRacks(i int, b int32) bool {
	rs := s.cur[i]
	after := slices.DeleteFunc(slices.Clone(rs), func(x int32) bool { return x == b })
	d := s.distinctRacks(after)
	return d >= min(len(after), s.nracks) || d >= s.distinctRacks(rs)
}

func cmpKey(a, b [3]int) int {
	for k := range a {
		if c := cmp.Compare(a[k], b[k]); c != 0 {
			return c
		}
	}
	return 0
}

// rackOK reports whether b may join rs in place of out (-1 for none)
// without worsening the partition's rack spread below what the racks allow.
func (s *state) rackOK(rs []int32, out, b int32, rf int) bool {
	if !s.rackUsed(rs, s.rack[b], out) {
		return true
	}
	// b's rack is taken: acceptable only when there are not enough racks
	// and the spread does not get worse.
	need := min(rf, s.nracks)
	after := slices.DeleteFunc(slices.Clone(rs), func(x int32) bool { return x == out })
	after = append(after, b)
	return s.distinctRacks(after) >= need || s.distinctRacks(after) >= s.distinctRacks(rs)
}

// pickFill chooses the broker for one more replica of partition i: not
// already a replica, on a new rack when possible, furthest below its
// target, then the lowest id.
func (s *state) pickFill(i int) (int32, bool) {
	rs := s.cur[i]
	rf := s.rf(i)
	best, found := int32(0), false
	bestFree, bestDef := false, 0
	for _, b := range s.ids {
		if slices.Contains(rs, b) {
			continue
		}
		free := !s.rackUsed(rs, s.rack[b], -1)
		if !free && !s.rackOK(rs, -1, b, rf) {
			continue
		}
		def := s.target[b] - s.count[b]
		if !found || (free && !bestFree) || (free == bestFree && def > bestDef) {
			best, found, bestFree, bestDef = b, true, free, def
		}
	}
	return best, found
}

// stableTargets gives each broker the floor or the ceiling of the mean.
// The ceilings go to brokers already at or above the ceiling (lowest ids
// first), then to the lowest ids of the others: either choice needs the
// fewest moves, and a state reached part-way through the moves gives the
// same targets (brokers moving down stay at or above their targets,
// brokers moving up stay at or below theirs).
func stableTargets(ids []int32, count []int, total int) []int {
	n := len(ids)
	floor, r := total/n, total%n
	t := make([]int, len(count))
	for _, id := range ids {
		t[id] = floor
	}
	if r == 0 {
		return t
	}
	for _, id := range ids {
		if r > 0 && count[id] >= floor+1 {
			t[id] = floor + 1
			r--
		}
	}
	for _, id := range ids {
		if r > 0 && t[id] == floor {
			t[id] = floor + 1
			r--
		}
	}
	return t
}

func (s *state) index() {
	s.byBroker = make([][]int, len(s.in.Brokers))
	for _, i := range s.scope {
		for _, b := range s.cur[i] {
			s.byBroker[b] = append(s.byBroker[b], i)
		}
	}
}

// fixRacks moves a replica off a duplicated rack when a rack is free, for
// partitions spread over fewer racks than the racks allow.
func (s *state) fixRacks() {
	for _, i := range s.scope {
		rs := s.cur[i]
		need := min(len(rs), s.nracks)
		for s.distinctRacks(rs) < need {
			// The duplicated replica on the most loaded broker goes.
			out, outJ := int32(-1), -1
			for j := len(rs) - 1; j >= 1; j-- { // never the preferred leader
				b := rs[j]
				if s.rackUsed(rs, s.rack[b], b) && (out < 0 || s.count[b]-s.target[b] > s.count[out]-s.target[out]) {
					out, outJ = b, j
				}
			}
			if out < 0 {
				return
			}
			in, ok := int32(0), false
			for _, b := range s.ids {
				if slices.Contains(rs, b) || s.rackUsed(rs, s.rack[b], out) {
					continue
				}
				if !ok || s.target[b]-s.count[b] > s.target[in]-s.count[in] {
					in, ok = b, true
				}
			}
			if !ok {
				break
			}
			rs[outJ] = in
			s.count[out]--
			s.count[in]++
			s.byBroker[in] = append(s.byBroker[in], i)
		}
	}
}

// balanceReplicas moves replicas from brokers above their targets to
// brokers below, followers first, partitions in order.
func (s *state) balanceReplicas() {
	var under []int32
	for _, b := range s.ids {
		if s.count[b] < s.target[b] {
			under = append(under, b)
		}
	}
	if len(under) == 0 {
		return
	}
	for _, a := range s.ids {
		if s.count[a] <= s.target[a] {
			continue
		}
		// A broker leading more than its share gives away leaders first
		// (a single-replica partition's leadership cannot be swapped
		// away later), otherwise followers first.
		// Passes: 0 single-replica leaders and 1 other leaders while the
		// broker leads more than its share, 2 followers, 3 any leader.
		passes := []int{2, 3}
		if s.leaders[a] > s.ltarget[a] {
			passes = []int{0, 1, 2, 3}
		}
		for _, pass := range passes {
			if s.count[a] <= s.target[a] {
				break
			}
			for _, i := range s.byBroker[a] {
				if s.count[a] <= s.target[a] {
					break
				}
				rs := s.cur[i]
				j := slices.Index(rs, a)
				if j < 0 || (pass == 2) != (j > 0) || (pass == 0 && len(rs) > 1) {
					continue // moved already, or not this pass's kind
				}
				if pass < 2 && s.leaders[a] <= s.ltarget[a] {
					continue // enough leaders given away: followers next
				}
				var to int32
				found, def, ldef := false, 0, 0
				for _, b := range under {
					d := s.target[b] - s.count[b]
					if d <= 0 || slices.Contains(rs, b) || !s.rackOK(rs, a, b, len(rs)) {
						continue
					}
					ld := 0
					if j == 0 {
						ld = min(s.ltarget[b]-s.leaders[b], 1)
					}
					if !found || ld > ldef || (ld == ldef && d > def) {
						to, found, def, ldef = b, true, d, ld
					}
				}
				if !found {
					continue
				}
				rs[j] = to
				s.count[a]--
				s.count[to]++
				if j == 0 {
					s.leaders[a]--
					s.leaders[to]++
				}
				s.byBroker[to] = append(s.byBroker[to], i)
			}
		}
	}
}

// balanceLeaders reorders replicas so that preferred-leader counts are
// within one of the mean where a swap inside a partition allows it.
func (s *state) balanceLeaders() {
	total := 0
	for _, id := range s.ids {
		total += s.leaders[id]
	}
	s.ltarget = stableTargets(s.ids, s.leaders, total)
	// Partitions led by each broker, in order.
	led := make([][]int, len(s.in.Brokers))
	for _, i := range s.scope {
		if len(s.cur[i]) > 0 {
			led[s.cur[i][0]] = append(led[s.cur[i][0]], i)
		}
	}
	for _, a := range s.ids {
		for _, i := range led[a] {
			if s.leaders[a] <= s.ltarget[a] {
				break
			}
			rs := s.cur[i]
			if rs[0] != a {
				continue
			}
			best, bestJ, def := int32(0), -1, 0
			for j := 1; j < len(rs); j++ {
				b := rs[j]
				if d := s.ltarget[b] - s.leaders[b]; d > 0 && (bestJ < 0 || d > def) {
					best, bestJ, def = b, j, d
				}
			}
			if bestJ < 0 {
				continue
			}
			rs[0], rs[bestJ] = rs[bestJ], rs[0]
			s.leaders[a]--
			s.leaders[best]++
			led[best] = append(led[best], i)
		}
	}
	// What a direct swap could not settle: a chain of swaps from a broker
	// above its target to one below, through brokers that each lead one
	// partition less and one more (their counts do not change).
	for _, a := range s.ids {
		for s.leaders[a] > s.ltarget[a] {
			if !s.leaderPath(a, led) {
				break
			}
		}
	}
}

// leaderPath finds by breadth-first search a chain of partitions
// a→x1→…→b where each partition is led by one broker and holds the next,
// and b is below its leader target; it swaps along the chain and reports
// whether it found one.
func (s *state) leaderPath(a int32, led [][]int) bool {
	type hop struct {
		from int32
		part int
	}
	prev := map[int32]hop{a: {-1, -1}}
	queue := []int32{a}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, i := range led[x] {
			rs := s.cur[i]
			if len(rs) == 0 || rs[0] != x {
				continue
			}
			for _, y := range rs[1:] {
				if _, seen := prev[y]; seen {
					continue
				}
				prev[y] = hop{x, i}
				if s.leaders[y] < s.ltarget[y] {
					// Swap back along the chain.
					for z := y; z != a; {
						h := prev[z]
						ps := s.cur[h.part]
						j := slices.Index(ps, z)
						ps[0], ps[j] = ps[j], ps[0]
						led[z] = append(led[z], h.part)
						z = h.from
					}
					s.leaders[a]--
					s.leaders[y]++
					return true
				}
				queue = append(queue, y)
			}
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
