// Package top is the presentation of `kctl top`: a bubbletea model fed with
// plain Snapshot values (collected in internal/cli from the same views as
// `kctl describe` and `kctl lag`), drawing one frame per view. It decides
// nothing about the cluster and has no timers: the collector sends a
// SnapshotMsg every interval, and tests send their own.
package top

import "time"

// Snapshot is one observation of the cluster, as `kctl top` shows it.
type Snapshot struct {
	Time time.Time
	// Err is set when the cluster could not be observed at all (the
	// connection failed): the model keeps the last good data and shows a
	// banner with it.
	Err string
	// Warnings are partial failures (a request that failed, a broker that
	// did not answer); the data shown is what could be read.
	Warnings   []string
	ClusterID  string
	Controller int32
	Brokers    []Broker
	// Topics and Partitions count every topic, internal ones included.
	Topics, Partitions           int
	UnderReplicated, UnderMinISR int
	Offline                      int
	ProduceRate                  float64 // records/s, all topics
	RateKnown                    bool    // false on the first sample
	Reassignments                []Reassignment
	TopicRows                    []Topic
	Groups                       []Group
	GroupsErr                    string // lag could not be read
	ReassignmentsErr, LogDirsErr string
	TopicsInternalHidden         int
}

// Broker is one broker. A broker that is not Up was seen earlier or is
// named in a replica set, but is missing from the metadata.
type Broker struct {
	ID         int32
	Host       string
	Rack       string
	Controller bool
	Up         bool
	Leads      int // partitions it leads
}

// Reassignment is a partition being moved; Progress is 0..1, -1 unknown.
type Reassignment struct {
	Topic            string
	Partition        int32
	Adding, Removing []int32
	Progress         float64
}

// Topic is one row of the Topics view.
type Topic struct {
	Name            string
	Partitions      int
	RF              int
	Size            int64 // bytes, -1 unknown
	Rate            float64
	RateKnown       bool
	UnderReplicated int
	Offline         int
}

// Group is one row of the Groups view.
type Group struct {
	Name    string
	State   string
	Members int
	Lag     int64
	TimeLag time.Duration
	// Status is kctl lag's (OK, WARN, STALL, STOP), "" until two samples.
	Status     string
	Reasons    []string
	Rank       int // 0 OK … 3 STOP, for sorting
	Error      string
	Kctl       string
	Partitions []GroupPartition
}

// GroupPartition is one row of a group's detail.
type GroupPartition struct {
	Topic     string
	Partition int32
	Committed int64 // -1 none
	End       int64 // -1 unknown
	Lag       int64 // -1 unknown
	Owner     string
	Rate      float64 // consumed records/s
	RateKnown bool
	Error     string
}
