package brokers

import (
	"context"
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kadm"
)

// The groupings of `kctl describe logdirs --by`.
const (
	ByBroker    = "broker"
	ByTopic     = "topic"
	ByPartition = "partition"
)

// DirUsage is one log directory of one broker.
type DirUsage struct {
	Broker int32  `json:"broker" yaml:"broker"`
	Dir    string `json:"dir" yaml:"dir"`
	// Bytes is the size of every replica in the directory; LeaderBytes the
	// part of it in replicas this broker leads, ReplicaBytes the rest.
	Bytes        int64 `json:"bytes" yaml:"bytes"`
	LeaderBytes  int64 `json:"leaderBytes" yaml:"leaderBytes"`
	ReplicaBytes int64 `json:"replicaBytes" yaml:"replicaBytes"`
	Replicas     int   `json:"replicas" yaml:"replicas"`
	// TotalBytes and UsableBytes are the volume's, -1 where the broker
	// does not report them (Kafka before 3.3).
	TotalBytes  int64  `json:"totalBytes" yaml:"totalBytes"`
	UsableBytes int64  `json:"usableBytes" yaml:"usableBytes"`
	Error       string `json:"error,omitempty" yaml:"error,omitempty"`
}

// TopicUsage is the size of one topic over every broker.
type TopicUsage struct {
	Topic        string `json:"topic" yaml:"topic"`
	Bytes        int64  `json:"bytes" yaml:"bytes"`
	LeaderBytes  int64  `json:"leaderBytes" yaml:"leaderBytes"`
	ReplicaBytes int64  `json:"replicaBytes" yaml:"replicaBytes"`
	Partitions   int    `json:"partitions" yaml:"partitions"`
	Replicas     int    `json:"replicas" yaml:"replicas"`
}

// ReplicaUsage is one replica of one partition in one log directory.
type ReplicaUsage struct {
	Topic     string `json:"topic" yaml:"topic"`
	Partition int32  `json:"partition" yaml:"partition"`
	Broker    int32  `json:"broker" yaml:"broker"`
	Dir       string `json:"dir" yaml:"dir"`
	Bytes     int64  `json:"bytes" yaml:"bytes"`
	// Role is leader, follower or future (a copy being moved to this
	// directory by AlterReplicaLogDirs).
	Role string `json:"role" yaml:"role"`
	// OffsetLag is how far the replica is behind: for a future replica
	// the log end offset minus its own.
	OffsetLag int64 `json:"offsetLag" yaml:"offsetLag"`
}

// LogDirsView is `kctl describe logdirs`: one of Dirs, Topics or
// Partitions, by By, largest first.
type LogDirsView struct {
	By         string         `json:"by" yaml:"by"`
	TotalBytes int64          `json:"totalBytes" yaml:"totalBytes"`
	Dirs       []DirUsage     `json:"dirs,omitempty" yaml:"dirs,omitempty"`
	Topics     []TopicUsage   `json:"topics,omitempty" yaml:"topics,omitempty"`
	Partitions []ReplicaUsage `json:"partitions,omitempty" yaml:"partitions,omitempty"`
	// Shown is how many rows are shown, Total how many there are (--top).
	Shown    int      `json:"shown" yaml:"shown"`
	Total    int      `json:"total" yaml:"total"`
	Warnings []string `json:"warnings,omitempty" yaml:"warnings,omitempty"`
}

// LogDirsOptions select what DescribeLogDirs reads and shows.
type LogDirsOptions struct {
	By      string   // ByBroker (default), ByTopic or ByPartition
	Top     int      // at most this many rows; 0 is all
	Brokers []int32  // only these brokers; empty is all
	Topics  []string // only these topics; empty is all
}

// DescribeLogDirs reads every broker's log dirs (DescribeLogDirs) and the
// leaders (Metadata) and builds the view. Unknown brokers are a
// *BrokerNotFoundError, unknown topics a *errs.TopicNotFound; a broker or
// directory that fails is a warning.
func DescribeLogDirs(ctx context.Context, adm *kadm.Client, o LogDirsOptions) (LogDirsView, error) {
	if o.By == "" {
		o.By = ByBroker
	}
	switch o.By {
	case ByBroker, ByTopic, ByPartition:
	default:
		return LogDirsView{}, fmt.Errorf("unknown grouping %q: use --by broker, --by topic or --by partition", o.By)
	}
	meta, err := adm.Metadata(ctx)
	if err != nil {
		return LogDirsView{}, fmt.Errorf("metadata: %w", err)
	}
	var known []int32
	for _, b := range meta.Brokers {
		known = append(known, b.NodeID)
	}
	sort.Slice(known, func(i, j int) bool { return known[i] < known[j] })
	var missingB []int32
	wantB := map[int32]bool{}
	for _, id := range o.Brokers {
		wantB[id] = true
		if !contains(known, id) {
			missingB = append(missingB, id)
		}
	}
	if len(missingB) > 0 {
		return LogDirsView{}, &BrokerNotFoundError{IDs: missingB, Known: known}
	}
	if err := checkTopics(meta, o.Topics); err != nil {
		return LogDirsView{}, err
	}
	wantT := map[string]bool{}
	for _, t := range o.Topics {
		wantT[t] = true
	}
	leader := map[string]map[int32]int32{}
	for _, t := range meta.Topics {
		m := map[int32]int32{}
		for _, p := range t.Partitions {
			m[p.Partition] = p.Leader
		}
		leader[t.Topic] = m
	}
	var ts kadm.TopicsSet
	if len(o.Topics) > 0 {
		ts = kadm.TopicsSet{}
		for _, t := range o.Topics {
			for p := range leader[t] {
				ts.Add(t, p)
			}
		}
	}
	all, err := adm.DescribeAllLogDirs(ctx, ts)
	v := LogDirsView{By: o.By}
	if err != nil {
		var se *kadm.ShardErrors
		if !asShard(err, &se) {
			return LogDirsView{}, fmt.Errorf("describe log dirs: %w", err)
		}
		v.Warnings = append(v.Warnings, fmt.Sprintf("describe log dirs: %v (those brokers are missing)", err))
	}
	var replicas []ReplicaUsage
	for _, id := range known {
		if len(wantB) > 0 && !wantB[id] {
			continue
		}
		dirs, ok := all[id]
		if !ok {
			continue
		}
		var names []string
		for d := range dirs {
			names = append(names, d)
		}
		sort.Strings(names)
		for _, name := range names {
			d := dirs[name]
			du := DirUsage{Broker: id, Dir: name, TotalBytes: d.TotalBytes, UsableBytes: d.UsableBytes}
			if d.Err != nil {
				du.Error = d.Err.Error()
				v.Warnings = append(v.Warnings, fmt.Sprintf("log dir %s of broker %d: %v", name, id, d.Err))
			}
			d.Topics.Each(func(p kadm.DescribedLogDirPartition) {
				if len(wantT) > 0 && !wantT[p.Topic] {
					return
				}
				r := ReplicaUsage{Topic: p.Topic, Partition: p.Partition, Broker: id, Dir: name, Bytes: p.Size, OffsetLag: p.OffsetLag, Role: "follower"}
				switch {
				case p.IsFuture:
					r.Role = "future"
				case leader[p.Topic][p.Partition] == id:
					r.Role = "leader"
				}
				replicas = append(replicas, r)
				du.Bytes += p.Size
				du.Replicas++
				if r.Role == "leader" {
					du.LeaderBytes += p.Size
				} else {
					du.ReplicaBytes += p.Size
				}
			})
			v.TotalBytes += du.Bytes
			v.Dirs = append(v.Dirs, du)
		}
	}
	switch o.By {
	case ByBroker:
		sort.SliceStable(v.Dirs, func(i, j int) bool { return v.Dirs[i].Bytes > v.Dirs[j].Bytes })
		v.Total = len(v.Dirs)
		if o.Top > 0 && len(v.Dirs) > o.Top {
			v.Dirs = v.Dirs[:o.Top]
		}
		v.Shown = len(v.Dirs)
		if v.Dirs == nil {
			v.Dirs = []DirUsage{}
		}
	case ByTopic:
		byName := map[string]*TopicUsage{}
		parts := map[string]map[int32]bool{}
		var order []string
		for _, r := range replicas {
			tu := byName[r.Topic]
			if tu == nil {
				tu = &TopicUsage{Topic: r.Topic}
				byName[r.Topic] = tu
				parts[r.Topic] = map[int32]bool{}
				order = append(order, r.Topic)
			}
			tu.Bytes += r.Bytes
			tu.Replicas++
			if r.Role == "leader" {
				tu.LeaderBytes += r.Bytes
			} else {
				tu.ReplicaBytes += r.Bytes
			}
			parts[r.Topic][r.Partition] = true
		}
		sort.Strings(order)
		v.Topics = []TopicUsage{}
		for _, n := range order {
			tu := byName[n]
			tu.Partitions = len(parts[n])
			v.Topics = append(v.Topics, *tu)
		}
		sort.SliceStable(v.Topics, func(i, j int) bool { return v.Topics[i].Bytes > v.Topics[j].Bytes })
		v.Total = len(v.Topics)
		if o.Top > 0 && len(v.Topics) > o.Top {
			v.Topics = v.Topics[:o.Top]
		}
		v.Shown = len(v.Topics)
		v.Dirs = nil
	case ByPartition:
		sort.SliceStable(replicas, func(i, j int) bool {
			a, b := replicas[i], replicas[j]
			if a.Bytes != b.Bytes {
				return a.Bytes > b.Bytes
			}
			if a.Topic != b.Topic {
				return a.Topic < b.Topic
			}
			if a.Partition != b.Partition {
				return a.Partition < b.Partition
			}
			return a.Broker < b.Broker
		})
		v.Total = len(replicas)
		if o.Top > 0 && len(replicas) > o.Top {
			replicas = replicas[:o.Top]
		}
		v.Partitions = replicas
		if v.Partitions == nil {
			v.Partitions = []ReplicaUsage{}
		}
		v.Shown = len(v.Partitions)
		v.Dirs = nil
	}
	return v, nil
}

func contains(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
