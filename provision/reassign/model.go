package reassign

import (
	"slices"
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
