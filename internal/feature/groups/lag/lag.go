// Package lag observes consumer-group lag for `kctl lag`: per group its
// state, members and protocol; per partition the committed offset, the end
// offset (the last stable offset, so open transactions and markers are not
// lag), the lag, the owning member and the time lag (how old the record at
// the committed offset is). Collect gathers one Snapshot in a handful of
// batched requests; Evaluate turns samples over a window into a status in the
// spirit of Burrow's evaluator; Check applies alert thresholds.
//
// lag is a sub-package of the consumer-groups feature (internal/feature/groups):
// its group side (Describe: the groups' state, members, assignments and
// commits, without partition offsets) is what `kctl groups` lists,
// describes, deletes and resets. It imports only platform packages.
package lag

import (
	"slices"
	"sort"
	"time"
)

// Snapshot is one observation of the consumer groups: `kctl lag`'s view.
type Snapshot struct {
	Time     time.Time `json:"time" yaml:"time"`
	Groups   []Group   `json:"groups" yaml:"groups"`
	Warnings []string  `json:"warnings,omitempty" yaml:"warnings,omitempty"`
}

// Group is one consumer group and its lag.
type Group struct {
	Group string `json:"group" yaml:"group"`
	// State is the coordinator's state: Stable, Empty (no live members),
	// PreparingRebalance, CompletingRebalance, Reconciling, Assigning, Dead.
	State string `json:"state" yaml:"state"`
	// Type is the group protocol: classic, or consumer (KIP-848).
	Type string `json:"type" yaml:"type"`
	// ProtocolType is "consumer" for consumers, "connect" for Kafka Connect,
	// "" for a group that only stores offsets.
	ProtocolType string `json:"protocolType" yaml:"protocolType"`
	// Protocol is the partition assignor (range, cooperative-sticky, …).
	Protocol    string   `json:"protocol" yaml:"protocol"`
	Coordinator int32    `json:"coordinator" yaml:"coordinator"`
	Members     []Member `json:"members" yaml:"members"`
	Topics      []Topic  `json:"topics" yaml:"topics"`
	// Lag is the sum of the known partition lags.
	Lag int64 `json:"lag" yaml:"lag"`
	// TimeLagMs is the largest partition time lag, in milliseconds.
	TimeLagMs int64 `json:"timeLagMs" yaml:"timeLagMs"`
	// Status is set from samples over a window (--watch, --window).
	Status *Evaluation `json:"status,omitempty" yaml:"status,omitempty"`
	// Breaches are the partitions over a threshold (Check).
	Breaches []Breach `json:"breaches,omitempty" yaml:"breaches,omitempty"`
	// Kctl labels kctl's own groups: "dlt-replay-progress" for a kctl dlt
	// replay progress group (its lag is the dead letters it filtered out).
	// Thresholds skip them unless Thresholds.IncludeKctl.
	Kctl  string `json:"kctl,omitempty" yaml:"kctl,omitempty"`
	Error string `json:"error,omitempty" yaml:"error,omitempty"`
}

// Member is a live member of a group.
type Member struct {
	MemberID   string `json:"memberId" yaml:"memberId"`
	InstanceID string `json:"instanceId,omitempty" yaml:"instanceId,omitempty"`
	ClientID   string `json:"clientId" yaml:"clientId"`
	Host       string `json:"host" yaml:"host"`
	// Partitions is how many partitions are assigned to the member.
	Partitions int `json:"partitions" yaml:"partitions"`
}

// Owner is the member a partition is assigned to.
type Owner struct {
	MemberID string `json:"memberId" yaml:"memberId"`
	ClientID string `json:"clientId" yaml:"clientId"`
	Host     string `json:"host" yaml:"host"`
}

// Topic is a group's lag on one topic.
type Topic struct {
	Topic string `json:"topic" yaml:"topic"`
	// Deleted is set when the group has commits (or assignments) for a
	// topic that no longer exists; its partitions have no lag.
	Deleted    bool        `json:"deleted,omitempty" yaml:"deleted,omitempty"`
	Lag        int64       `json:"lag" yaml:"lag"`
	TimeLagMs  int64       `json:"timeLagMs" yaml:"timeLagMs"`
	Partitions []Partition `json:"partitions" yaml:"partitions"`
}

// Partition is a group's lag on one partition.
type Partition struct {
	Partition int32 `json:"partition" yaml:"partition"`
	// Committed is the group's committed offset, -1 when it has none.
	Committed int64 `json:"committed" yaml:"committed"`
	// LogStart is the log start offset, listed only for partitions
	// without a commit (their backlog is End - LogStart).
	LogStart *int64 `json:"logStart,omitempty" yaml:"logStart,omitempty"`
	// End is the last stable offset (ListOffsets, read_committed): the
	// offset a read_committed consumer can reach. -1 when unknown.
	End int64 `json:"end" yaml:"end"`
	// Lag is End - Committed (End - LogStart without a commit), never
	// negative; null when it cannot be known (deleted topic, error).
	Lag *int64 `json:"lag" yaml:"lag"`
	// TimeLagMs is the age of the record at the committed offset (at the
	// log start without a commit) from its timestamp; 0 when caught up;
	// null when unknown.
	TimeLagMs *int64 `json:"timeLagMs" yaml:"timeLagMs"`
	// RecordTime is the timestamp of that record.
	RecordTime *time.Time `json:"recordTime,omitempty" yaml:"recordTime,omitempty"`
	Owner      *Owner     `json:"owner,omitempty" yaml:"owner,omitempty"`
	// NoCommit: the group has no committed offset here.
	NoCommit bool `json:"noCommit,omitempty" yaml:"noCommit,omitempty"`
	// Clamped: the committed offset was past the end offset, lag shown as 0.
	Clamped bool `json:"clamped,omitempty" yaml:"clamped,omitempty"`
	// MarkersOnly: only transaction markers or aborted records lie between
	// the committed offset and the end; they are not lag, lag shown as 0.
	MarkersOnly bool `json:"markersOnly,omitempty" yaml:"markersOnly,omitempty"`
	// StalledLSO is the partition's last stable offset when it lies at the
	// committed offset, below the end: an open transaction holds
	// read_committed consumers there (kctl txn find-hanging names it).
	StalledLSO *int64 `json:"stalledLso,omitempty" yaml:"stalledLso,omitempty"`
	Error      string `json:"error,omitempty" yaml:"error,omitempty"`
}

// LagOr returns the partition's lag, or def when it is unknown.
func (p Partition) LagOr(def int64) int64 {
	if p.Lag == nil {
		return def
	}
	return *p.Lag
}

// Lookup returns the group named name and whether the snapshot has it.
func (s *Snapshot) Lookup(name string) (Group, bool) {
	for _, g := range s.Groups {
		if g.Group == name {
			return g, true
		}
	}
	return Group{}, false
}

// TopicLag returns the group's total lag on the given topics (all topics
// when none are given) and whether every partition's lag is known.
func (g Group) TopicLag(topics ...string) (lag int64, known bool) {
	known = true
	for _, t := range g.Topics {
		if len(topics) > 0 && !slices.Contains(topics, t.Topic) {
			continue
		}
		for _, p := range t.Partitions {
			if p.Lag == nil {
				known = false
				continue
			}
			lag += *p.Lag
		}
	}
	return lag, known
}

// Live reports whether the group has live members.
func (g Group) Live() bool { return len(g.Members) > 0 }

// finish computes the totals and sorts a group.
func (g *Group) finish() {
	g.Lag, g.TimeLagMs = 0, 0
	sort.Slice(g.Topics, func(i, j int) bool { return g.Topics[i].Topic < g.Topics[j].Topic })
	for i := range g.Topics {
		t := &g.Topics[i]
		t.Lag, t.TimeLagMs = 0, 0
		sort.Slice(t.Partitions, func(a, b int) bool { return t.Partitions[a].Partition < t.Partitions[b].Partition })
		for _, p := range t.Partitions {
			if p.Lag != nil {
				t.Lag += *p.Lag
			}
			if p.TimeLagMs != nil && *p.TimeLagMs > t.TimeLagMs {
				t.TimeLagMs = *p.TimeLagMs
			}
		}
		g.Lag += t.Lag
		if t.TimeLagMs > g.TimeLagMs {
			g.TimeLagMs = t.TimeLagMs
		}
	}
	sort.Slice(g.Members, func(i, j int) bool {
		if g.Members[i].ClientID != g.Members[j].ClientID {
			return g.Members[i].ClientID < g.Members[j].ClientID
		}
		return g.Members[i].MemberID < g.Members[j].MemberID
	})
}
