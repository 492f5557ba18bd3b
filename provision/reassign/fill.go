package reassign

import (
	"cmp"
	"slices"
)

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
