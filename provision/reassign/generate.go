package reassign

import "math/rand/v2"

// KafkaGenerate returns the assignment kafka-reassign-partitions.sh
// --generate would propose for every partition of in (no racks): Kafka's
// AdminUtils.assignReplicasToBrokers, a round robin from a random start
// broker with a random shift for the followers, which ignores the current
// assignment. It is here to compare the number of replicas each approach
// copies; seed fixes the random start.
func KafkaGenerate(in Input, seed uint64) []Move {
	var ids []int32
	removed := map[int32]bool{}
	for _, b := range in.Goal.Remove {
		removed[b] = true
	}
	for _, b := range in.Brokers {
		if !removed[b.ID] {
			ids = append(ids, b.ID)
		}
	}
	n := len(ids)
	rng := rand.New(rand.NewPCG(seed, 0))
	// Kafka assigns topic by topic, each from its own random start.
	byTopic := map[string][]int{}
	var topics []string
	for i, p := range in.Partitions {
		if _, ok := byTopic[p.Topic]; !ok {
			topics = append(topics, p.Topic)
		}
		byTopic[p.Topic] = append(byTopic[p.Topic], i)
	}
	var out []Move
	for _, t := range topics {
		start := rng.IntN(n)
		shift := rng.IntN(n)
		for k, i := range byTopic[t] {
			p := in.Partitions[i]
			rf := len(p.Replicas)
			if r, ok := in.Goal.RF[p.Topic]; ok {
				rf = r
			}
			if k > 0 && k%n == 0 {
				shift++
			}
			first := (k + start) % n
			to := []int32{ids[first]}
			for j := 0; j < rf-1; j++ {
				// replicaIndex(first, shift, j, n)
				s := 1 + (shift+j)%(n-1)
				to = append(to, ids[(first+s)%n])
			}
			out = append(out, Move{Topic: p.Topic, Partition: p.Partition, From: p.Replicas, To: to})
		}
	}
	return out
}

// Added counts the replicas the moves copy (brokers in To not in From).
func Added(moves []Move) int {
	n := 0
	for _, m := range moves {
		n += len(m.Adding())
	}
	return n
}
