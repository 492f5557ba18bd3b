// Package copy plans and carries out kctl copy SRC DST: the records of a
// topic (keys, values, headers, timestamps) copied to another topic, on
// the same cluster or another, optionally exactly once.
//
// The package is named copy: it does not use the builtin of that name.
package copy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kctl/kctl/internal/platform/errs"
)

// Bound is one end of the range copied: an offset (every partition), a
// time (the first record at or after it, per partition), or neither (the
// log start for --from, the end offset seen at start for --to).
type Bound struct {
	Input  string // as typed, for messages
	Offset *int64
	Time   time.Time
}

// IsZero reports whether the bound was not given.
func (b Bound) IsZero() bool { return b.Offset == nil && b.Time.IsZero() }

// Options are what kctl copy was asked for.
type Options struct {
	Src, Dst string
	// From (inclusive) and To (exclusive) bound the range per partition.
	From, To Bound
	// ExactlyOnce copies each batch and its progress in one transaction.
	ExactlyOnce bool
	// Group keeps the progress of an exactly-once copy, on the
	// destination cluster; default DefaultGroup(Src, Dst).
	Group string
	// SameCluster: the destination is the source cluster.
	SameCluster bool
}

// DefaultGroup is the progress group of an exactly-once copy; it is also
// its transactional id, so two runs of the same copy fence each other.
func DefaultGroup(src, dst string) string { return "kctl-copy/" + src + "/" + dst }

// PartitionPlan is one source partition's range [Start, End).
type PartitionPlan struct {
	Partition int32 `json:"partition" yaml:"partition"`
	LogStart  int64 `json:"logStart" yaml:"logStart"`
	Start     int64 `json:"start" yaml:"start"`
	End       int64 `json:"end" yaml:"end"`
	// Resumed: Start is an earlier exactly-once run's progress.
	Resumed bool `json:"resumed,omitempty" yaml:"resumed,omitempty"`
}

// Records is the number of offsets in the range (an upper bound on the
// records: transaction markers and compacted records take offsets too).
func (p PartitionPlan) Records() int64 { return max(p.End-p.Start, 0) }

// Plan is a copy's plan: a value; Execute carries it out.
type Plan struct {
	Src           string          `json:"source" yaml:"source"`
	Dst           string          `json:"destination" yaml:"destination"`
	SameCluster   bool            `json:"sameCluster" yaml:"sameCluster"`
	SrcPartitions int             `json:"sourcePartitions" yaml:"sourcePartitions"`
	DstPartitions int             `json:"destinationPartitions" yaml:"destinationPartitions"`
	Mapping       string          `json:"mapping" yaml:"mapping"` // same-partition | by-key
	ExactlyOnce   bool            `json:"exactlyOnce" yaml:"exactlyOnce"`
	Group         string          `json:"group,omitempty" yaml:"group,omitempty"`
	From          string          `json:"from" yaml:"from"`
	To            string          `json:"to" yaml:"to"`
	Partitions    []PartitionPlan `json:"partitions" yaml:"partitions"`
	Total         int64           `json:"offsets" yaml:"offsets"`
}

// Mappings.
const (
	SamePartition = "same-partition"
	ByKey         = "by-key"
)

// Observed is what a copy is planned from.
type Observed struct {
	SrcTopic  kadm.TopicDetail
	SrcExists bool
	DstTopic  kadm.TopicDetail
	DstExists bool
	// SrcNames and DstNames are the topics of each cluster, listed when
	// a topic is missing (the suggestions).
	SrcNames, DstNames []string
	LogStarts, Ends    kadm.ListedOffsets
	AtFrom, AtTo       kadm.ListedOffsets // time bounds only
	// Progress is an exactly-once copy's progress per source partition.
	Progress map[int32]int64
}

// Observe reads what BuildPlan needs from the source (src) and the
// destination (dst, the same client for one cluster).
func Observe(ctx context.Context, src, dst *kadm.Client, o Options) (*Observed, error) {
	obs := &Observed{}
	md, err := src.Metadata(ctx, o.Src)
	if err != nil {
		return nil, fmt.Errorf("metadata for %s: %w", o.Src, err)
	}
	td, ok := md.Topics[o.Src]
	obs.SrcTopic, obs.SrcExists = td, ok && !errors.Is(td.Err, kerr.UnknownTopicOrPartition)
	if ok && td.Err != nil && obs.SrcExists {
		return nil, fmt.Errorf("metadata for topic %q: %w", o.Src, td.Err)
	}
	dmd, err := dst.Metadata(ctx, o.Dst)
	if err != nil {
		return nil, fmt.Errorf("metadata for %s on the destination: %w", o.Dst, err)
	}
	dtd, ok := dmd.Topics[o.Dst]
	obs.DstTopic, obs.DstExists = dtd, ok && !errors.Is(dtd.Err, kerr.UnknownTopicOrPartition)
	if ok && dtd.Err != nil && obs.DstExists {
		return nil, fmt.Errorf("metadata for topic %q on the destination: %w", o.Dst, dtd.Err)
	}
	if !obs.SrcExists {
		if l, err := src.ListTopics(ctx); err == nil {
			obs.SrcNames = l.Names()
		}
	}
	if !obs.DstExists {
		if l, err := dst.ListTopics(ctx); err == nil {
			obs.DstNames = l.Names()
		}
	}
	if !obs.SrcExists || !obs.DstExists {
		return obs, nil
	}
	if obs.LogStarts, err = listed(src.ListStartOffsets(ctx, o.Src)); err != nil {
		return nil, fmt.Errorf("list log start offsets of %s: %w", o.Src, err)
	}
	if obs.Ends, err = listed(src.ListCommittedOffsets(ctx, o.Src)); err != nil {
		return nil, fmt.Errorf("list end offsets of %s: %w", o.Src, err)
	}
	if !o.From.Time.IsZero() {
		if obs.AtFrom, err = listed(src.ListOffsetsAfterMilli(ctx, o.From.Time.UnixMilli(), o.Src)); err != nil {
			return nil, fmt.Errorf("list offsets of %s at %s: %w", o.Src, o.From.Input, err)
		}
	}
	if !o.To.Time.IsZero() {
		if obs.AtTo, err = listed(src.ListOffsetsAfterMilli(ctx, o.To.Time.UnixMilli(), o.Src)); err != nil {
			return nil, fmt.Errorf("list offsets of %s at %s: %w", o.Src, o.To.Input, err)
		}
	}
	if o.ExactlyOnce {
		pr, err := fetchProgress(ctx, dst, groupOf(o), o.Dst, false)
		if err != nil {
			return nil, err
		}
		obs.Progress = pr
	}
	return obs, nil
}

func groupOf(o Options) string {
	if o.Group != "" {
		return o.Group
	}
	return DefaultGroup(o.Src, o.Dst)
}

func listed(lo kadm.ListedOffsets, err error) (kadm.ListedOffsets, error) {
	if err != nil {
		return nil, err
	}
	return lo, lo.Error()
}

// BuildPlan is the plan for what was observed; it does no I/O. A missing
// topic is an *errs.TopicNotFound with the closest names.
func BuildPlan(obs *Observed, o Options) (*Plan, error) {
	if o.Src == "" || o.Dst == "" {
		return nil, errors.New("give the source and destination topics: kctl copy SRC DST")
	}
	if o.Src == o.Dst && o.SameCluster {
		return nil, fmt.Errorf("%q is both source and destination on the same cluster: copy to another topic, or give --to-brokers/--to-context for another cluster", o.Src)
	}
	if !obs.SrcExists {
		return nil, &errs.TopicNotFound{Topics: []string{o.Src}, Suggestions: errs.Suggest([]string{o.Src}, obs.SrcNames)}
	}
	if !obs.DstExists {
		return nil, &errs.TopicNotFound{Topics: []string{o.Dst}, Suggestions: errs.Suggest([]string{o.Dst}, obs.DstNames),
			Hint: "the destination topic must exist: declare it in topics.yaml and run kctl apply (on the destination cluster)"}
	}
	p := &Plan{Src: o.Src, Dst: o.Dst, SameCluster: o.SameCluster, SrcPartitions: len(obs.SrcTopic.Partitions), DstPartitions: len(obs.DstTopic.Partitions),
		ExactlyOnce: o.ExactlyOnce, From: "beginning", To: "end"}
	if o.ExactlyOnce {
		p.Group = groupOf(o)
	}
	if !o.From.IsZero() {
		p.From = o.From.Input
	}
	if !o.To.IsZero() {
		p.To = o.To.Input
	}
	p.Mapping = ByKey
	if p.SrcPartitions == p.DstPartitions {
		p.Mapping = SamePartition
	}
	for part := range int32(p.SrcPartitions) {
		pp := PartitionPlan{Partition: part}
		ls, ok1 := obs.LogStarts.Lookup(o.Src, part)
		end, ok2 := obs.Ends.Lookup(o.Src, part)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("list offsets of %s/%d: no answer", o.Src, part)
		}
		pp.LogStart, pp.Start, pp.End = ls.Offset, ls.Offset, end.Offset
		at := func(b Bound, lo kadm.ListedOffsets) (int64, error) {
			if b.Offset != nil {
				return *b.Offset, nil
			}
			off, ok := lo.Lookup(o.Src, part)
			if !ok {
				return 0, fmt.Errorf("list offset of %s/%d at %s: no answer", o.Src, part, b.Input)
			}
			if off.Offset < 0 { // no record at or after the time
				return end.Offset, nil
			}
			return off.Offset, nil
		}
		if !o.From.IsZero() {
			v, err := at(o.From, obs.AtFrom)
			if err != nil {
				return nil, err
			}
			pp.Start = max(v, pp.LogStart)
		}
		if !o.To.IsZero() {
			v, err := at(o.To, obs.AtTo)
			if err != nil {
				return nil, err
			}
			pp.End = min(v, pp.End)
		}
		if next, ok := obs.Progress[part]; ok && next > pp.Start {
			pp.Start, pp.Resumed = next, true
		}
		pp.Start = min(pp.Start, max(pp.End, pp.LogStart))
		p.Total += pp.Records()
		p.Partitions = append(p.Partitions, pp)
	}
	sort.Slice(p.Partitions, func(i, j int) bool { return p.Partitions[i].Partition < p.Partitions[j].Partition })
	return p, nil
}
