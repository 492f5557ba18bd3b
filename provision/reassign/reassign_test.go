package reassign

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// cluster generates a cluster of nb brokers on nracks racks of equal size
// (0: no racks) holding np partitions over topics of 1..50 partitions with
// replication factor 1..3 (capped by the brokers), assigned rack-aware but
// skewed: only the first `used` brokers hold replicas, as after adding
// brokers, and with a random bias.
func cluster(rng *rand.Rand, nb, nracks, np, used int) Input {
	in := Input{}
	for i := 0; i < nb; i++ {
		b := Broker{ID: int32(i + 1)}
		if nracks > 0 {
			b.Rack = fmt.Sprintf("r%d", i%nracks)
		}
		in.Brokers = append(in.Brokers, b)
	}
	used = max(min(used, nb), 1)
	t := 0
	for len(in.Partitions) < np {
		n := 1 + rng.IntN(50)
		rf := min(1+rng.IntN(3), used)
		if nracks > 0 {
			rf = min(rf, nracks, used)
		}
		for p := 0; p < n && len(in.Partitions) < np; p++ {
			var rs []int32
			start := rng.IntN(used)
			if rng.IntN(4) == 0 {
				start = 0 // bias towards the first brokers
			}
			for k := 0; len(rs) < rf && k < used; k++ {
				b := in.Brokers[(start+k)%used]
				ok := true
				for _, r := range rs {
					if nracks > 0 && in.Brokers[r-1].Rack == b.Rack {
						ok = false
					}
				}
				if ok {
					rs = append(rs, b.ID)
				}
			}
			in.Partitions = append(in.Partitions, Partition{Topic: fmt.Sprintf("t%04d", t), Partition: int32(p), Replicas: rs, Leader: rs[0]})
		}
		t++
	}
	return in
}

// apply returns in with the moves carried out.
func apply(in Input, moves []Move) Input {
	out := in
	out.Partitions = slices.Clone(in.Partitions)
	idx := map[string]int{}
	for i, p := range out.Partitions {
		idx[fmt.Sprintf("%s/%d", p.Topic, p.Partition)] = i
	}
	for _, m := range moves {
		i := idx[fmt.Sprintf("%s/%d", m.Topic, m.Partition)]
		out.Partitions[i].Replicas = slices.Clone(m.To)
		out.Partitions[i].Leader = m.To[0]
	}
	return out
}

// checkResult asserts the planner's properties on the state after res.
func checkResult(t *testing.T, name string, in Input, res Result, balanced, leadersBalanced bool) Input {
	t.Helper()
	after := apply(in, res.Moves)
	removed := map[int32]bool{}
	for _, b := range in.Goal.Remove {
		removed[b] = true
	}
	rack := map[int32]string{}
	racks := map[string]bool{}
	var eligible []int32
	for _, b := range in.Brokers {
		rack[b.ID] = b.Rack
		if b.Rack == "" {
			rack[b.ID] = fmt.Sprint(b.ID)
		}
		if !removed[b.ID] {
			eligible = append(eligible, b.ID)
			racks[rack[b.ID]] = true
		}
	}
	count, leaders := map[int32]int{}, map[int32]int{}
	total, totalLeaders := 0, 0
	for i, p := range after.Partitions {
		want := len(in.Partitions[i].Replicas)
		if rf, ok := in.Goal.RF[p.Topic]; ok {
			want = rf
		}
		if len(p.Replicas) != want {
			t.Fatalf("%s: %s/%d has %d replicas, want %d", name, p.Topic, p.Partition, len(p.Replicas), want)
		}
		seen := map[int32]bool{}
		rs := map[string]bool{}
		for j, b := range p.Replicas {
			if seen[b] || removed[b] {
				t.Fatalf("%s: %s/%d replicas %v: duplicate or removed broker %d", name, p.Topic, p.Partition, p.Replicas, b)
			}
			seen[b] = true
			rs[rack[b]] = true
			count[b]++
			total++
			if j == 0 {
				leaders[b]++
				totalLeaders++
			}
		}
		if len(rs) < min(want, len(racks)) {
			t.Fatalf("%s: %s/%d replicas %v span %d racks, want %d", name, p.Topic, p.Partition, p.Replicas, len(rs), min(want, len(racks)))
		}
	}
	if balanced {
		mean := float64(total) / float64(len(eligible))
		lmean := float64(totalLeaders) / float64(len(eligible))
		for _, b := range eligible {
			if math.Abs(float64(count[b])-mean) >= 1 {
				t.Fatalf("%s: broker %d holds %d replicas, mean %.2f", name, b, count[b], mean)
			}
			if leadersBalanced && math.Abs(float64(leaders[b])-lmean) > 1 {
				t.Fatalf("%s: broker %d leads %d partitions, mean %.2f", name, b, leaders[b], lmean)
			}
		}
	}
	// Idempotent: planning again from the target moves nothing.
	again := after
	again.Goal.Remove = in.Goal.Remove
	again.Goal.RF = nil
	res2, err := Plan(again)
	if err != nil {
		t.Fatalf("%s: replan: %v", name, err)
	}
	if len(res2.Moves) != 0 {
		t.Fatalf("%s: planning again from the target moves %d partitions, e.g. %+v", name, len(res2.Moves), res2.Moves[0])
	}
	return after
}

type propCase struct {
	brokers, racks, partitions, used int
}

func propCases() []propCase {
	cs := []propCase{
		{3, 0, 30, 3}, {4, 0, 100, 3}, {6, 3, 200, 4}, {9, 3, 500, 6}, {12, 4, 1000, 8}, {30, 0, 3000, 20}, {50, 5, 5000, 40},
	}
	if !testing.Short() && !raceEnabled {
		cs = append(cs, propCase{200, 10, 20000, 150}, propCase{1000, 20, 100000, 900})
	}
	return cs
}

// TestPlanRebalance: from skewed clusters (new brokers empty), the plan
// balances replicas and preferred leaders within one of the mean, keeps
// every partition on distinct racks, copies exactly the lower bound of
// replicas, and planning again from the result moves nothing.
func TestPlanRebalance(t *testing.T) {
	for seed, c := range propCases() {
		name := fmt.Sprintf("%d brokers/%d racks/%d partitions", c.brokers, c.racks, c.partitions)
		rng := rand.New(rand.NewPCG(uint64(seed), 1))
		in := cluster(rng, c.brokers, c.racks, c.partitions, c.used)
		res, err := Plan(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkResult(t, name, in, res, true, true)
		if lb := LowerBound(in); res.ReplicasAdded != lb {
			t.Errorf("%s: %d replicas copied, lower bound %d", name, res.ReplicasAdded, lb)
		}
	}
}

// TestPlanBalancedMovesNothing: a balanced cluster plans no move.
func TestPlanBalancedMovesNothing(t *testing.T) {
	in := Input{Brokers: []Broker{{1, "a"}, {2, "b"}, {3, "c"}}}
	for p := int32(0); p < 6; p++ {
		rs := []int32{1 + p%3, 1 + (p+1)%3}
		in.Partitions = append(in.Partitions, Partition{Topic: "t", Partition: p, Replicas: rs, Leader: rs[0]})
	}
	res, err := Plan(in)
	if err != nil || len(res.Moves) != 0 || res.ReplicasAdded != 0 {
		t.Fatalf("err %v, moves %+v", err, res.Moves)
	}
}

// TestPlanDrain: removed brokers end empty, only their replicas move (plus
// balance), racks and balance hold.
func TestPlanDrain(t *testing.T) {
	for seed, c := range propCases() {
		if c.brokers < 4 {
			continue
		}
		name := fmt.Sprintf("drain %d brokers/%d racks/%d partitions", c.brokers, c.racks, c.partitions)
		rng := rand.New(rand.NewPCG(uint64(seed), 2))
		in := cluster(rng, c.brokers, c.racks, c.partitions, c.brokers)
		// Remove one broker per rack (or one broker): racks stay equal.
		n := max(c.racks, 1)
		for i := 0; i < n; i++ {
			in.Goal.Remove = append(in.Goal.Remove, in.Brokers[len(in.Brokers)-1-i].ID)
		}
		res, err := Plan(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkResult(t, name, in, res, true, true)
		onRemoved := 0
		for _, p := range in.Partitions {
			for _, b := range p.Replicas {
				if slices.Contains(in.Goal.Remove, b) {
					onRemoved++
				}
			}
		}
		if res.ReplicasAdded < onRemoved {
			t.Errorf("%s: %d replicas copied, fewer than the %d on removed brokers", name, res.ReplicasAdded, onRemoved)
		}
	}
}

// TestPlanRFChange: the provisioning loop's RF change (NoBalance) adds or
// removes exactly the replicas the new factor needs, moves no other
// replica, never drops the current leader, and spreads the new replicas
// over the least loaded brokers (counts within one of the mean when the
// cluster started balanced).
func TestPlanRFChange(t *testing.T) {
	in := Input{}
	for i := int32(1); i <= 6; i++ {
		in.Brokers = append(in.Brokers, Broker{ID: i, Rack: fmt.Sprintf("r%d", i%3)})
	}
	for p := int32(0); p < 12; p++ {
		b := 1 + p%6
		in.Partitions = append(in.Partitions, Partition{Topic: "orders", Partition: p, Replicas: []int32{b}, Leader: b})
	}
	in.Goal = Goal{RF: map[string]int{"orders": 3}, Topics: []string{"orders"}, NoBalance: true}
	res, err := Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Moves) != 12 || res.ReplicasAdded != 24 {
		t.Fatalf("moves %d, added %d; want 12 and 24", len(res.Moves), res.ReplicasAdded)
	}
	for _, m := range res.Moves {
		if m.To[0] != m.From[0] || len(m.Removing()) != 0 {
			t.Fatalf("move %+v changes the leader or removes a replica", m)
		}
	}
	up := checkResult(t, "rf 1→3", in, res, true, true)

	// And back down to 2: one replica per partition goes, never the leader.
	for i := range up.Partitions {
		up.Partitions[i].Leader = up.Partitions[i].Replicas[1] // leader moved since
	}
	up.Goal = Goal{RF: map[string]int{"orders": 2}, Topics: []string{"orders"}, NoBalance: true}
	res, err = Plan(up)
	if err != nil {
		t.Fatal(err)
	}
	if res.ReplicasAdded != 0 || len(res.Moves) != 12 {
		t.Fatalf("rf 3→2: added %d, moves %d", res.ReplicasAdded, len(res.Moves))
	}
	for i, m := range res.Moves {
		if !slices.Contains(m.To, up.Partitions[i].Leader) {
			t.Fatalf("rf 3→2 dropped the leader %d: %+v", up.Partitions[i].Leader, m)
		}
	}
	checkResult(t, "rf 3→2", up, res, true, false)
}

// TestPlanRFTooHigh: an RF above the brokers left is an error naming it.
func TestPlanRFTooHigh(t *testing.T) {
	in := Input{Brokers: []Broker{{ID: 1}, {ID: 2}}, Partitions: []Partition{{Topic: "t", Replicas: []int32{1}, Leader: 1}}, Goal: Goal{RF: map[string]int{"t": 3}}}
	_, err := Plan(in)
	if err == nil || err.Error() != `topic "t": replication factor 3 is more than the 2 brokers that would be left` {
		t.Fatalf("err = %v", err)
	}
	in.Goal = Goal{Remove: []int32{9}}
	if _, err := Plan(in); err == nil || err.Error() != "broker 9 to remove is not in the cluster" {
		t.Fatalf("err = %v", err)
	}
}

// TestPlanMidway: carrying out any part of a plan and planning again
// reaches the same replica counts per broker, with no more copies than the
// moves left.
func TestPlanMidway(t *testing.T) {
	for seed, c := range propCases()[:6] {
		name := fmt.Sprintf("midway %d brokers/%d racks/%d partitions", c.brokers, c.racks, c.partitions)
		rng := rand.New(rand.NewPCG(uint64(seed), 3))
		in := cluster(rng, c.brokers, c.racks, c.partitions, c.used)
		res, err := Plan(in)
		if err != nil {
			t.Fatal(err)
		}
		var done, left []Move
		for _, m := range res.Moves {
			if rng.IntN(2) == 0 {
				done = append(done, m)
			} else {
				left = append(left, m)
			}
		}
		mid := apply(in, done)
		res2, err := Plan(mid)
		if err != nil {
			t.Fatal(err)
		}
		if res2.ReplicasAdded > Added(left) {
			t.Errorf("%s: re-plan copies %d replicas, the moves left copy %d", name, res2.ReplicasAdded, Added(left))
		}
		final := checkResult(t, name, mid, res2, true, true)
		target := apply(in, res.Moves)
		if !slices.Equal(loads(final), loads(target)) {
			t.Errorf("%s: re-planned counts %v differ from the plan's %v", name, loads(final), loads(target))
		}
	}
}

func loads(in Input) []int {
	m := map[int32]int{}
	for _, p := range in.Partitions {
		for _, b := range p.Replicas {
			m[b]++
		}
	}
	var out []int
	for _, b := range in.Brokers {
		out = append(out, m[b.ID])
	}
	return out
}

// TestKafkaGenerate: the --generate emulation copies far more than the
// planner for the same balance goal.
func TestKafkaGenerate(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	in := cluster(rng, 12, 0, 1000, 9)
	res, err := Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	gen := KafkaGenerate(in, 1)
	if len(gen) != len(in.Partitions) {
		t.Fatalf("generate proposes %d lists for %d partitions", len(gen), len(in.Partitions))
	}
	if Added(gen) <= res.ReplicasAdded*2 {
		t.Errorf("generate copies %d, planner %d", Added(gen), res.ReplicasAdded)
	}
}
