package reassign

import (
	"slices"
)

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
