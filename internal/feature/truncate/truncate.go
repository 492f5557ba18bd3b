// Package truncate is kctl truncate: a DeleteRecords plan (per partition the
// log start now and after, the records that become unreadable, the
// consumer groups whose committed offset falls behind the new start),
// built without side effects, and its execution. internal/cli decides
// which topics may be truncated, prints the plan and asks.
package truncate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/kctl/kctl/internal/platform/errs"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Request is what to truncate: topics (each with the partitions named, or
// nil for all) before an offset, a time, or everything.
type Request struct {
	Topics map[string][]int32
	// Exactly one of Before (>= 0), BeforeTime (non-zero) and All.
	Before     int64
	BeforeTime time.Time
	All        bool
}

// GroupBehind is a consumer group whose committed offset on the partition
// lies before the new log start: it resumes from its auto.offset.reset.
type GroupBehind struct {
	Group     string `json:"group" yaml:"group"`
	Committed int64  `json:"committed" yaml:"committed"`
}

// Partition is one partition's part of the plan.
type Partition struct {
	Topic         string `json:"topic" yaml:"topic"`
	Partition     int32  `json:"partition" yaml:"partition"`
	LogStart      int64  `json:"logStart" yaml:"logStart"`
	NewLogStart   int64  `json:"newLogStart" yaml:"newLogStart"`
	HighWatermark int64  `json:"highWatermark" yaml:"highWatermark"`
	// Unreadable is how many offsets become unreadable (NewLogStart -
	// LogStart; 0 when nothing changes on this partition).
	Unreadable   int64         `json:"unreadable" yaml:"unreadable"`
	GroupsBehind []GroupBehind `json:"groupsBehind" yaml:"groupsBehind"`
}

// Plan is `kctl truncate`'s plan.
type Plan struct {
	// Mode says what the new start is: "before offset N", "before TIME",
	// "all".
	Mode       string      `json:"mode" yaml:"mode"`
	Partitions []Partition `json:"partitions" yaml:"partitions"`
	// GroupsError is set when the groups' commits could not all be read
	// (the plan is still right about the log, maybe not about groups).
	GroupsError string `json:"groupsError,omitempty" yaml:"groupsError,omitempty"`
}

// Changes returns the partitions whose log start moves.
func (p *Plan) Changes() []Partition {
	var out []Partition
	for _, x := range p.Partitions {
		if x.NewLogStart > x.LogStart {
			out = append(out, x)
		}
	}
	return out
}

// BeyondEndError is an offset past a partition's high watermark: nothing is
// sent.
type BeyondEndError struct {
	Topic         string
	Partition     int32
	Offset        int64
	HighWatermark int64
}

func (e *BeyondEndError) Error() string {
	return fmt.Sprintf("--before %d is above the high watermark of %s:%d (%d): nothing was deleted; give an offset up to %d, or --all to empty the partition",
		e.Offset, e.Topic, e.Partition, e.HighWatermark, e.HighWatermark)
}

// Build reads the cluster and returns the plan. Unknown topics (with the
// closest name), partitions out of range and an offset above a
// partition's high watermark are errors; nothing is changed.
func Build(ctx context.Context, adm *kadm.Client, r Request) (*Plan, error) {
	names := make([]string, 0, len(r.Topics))
	for t := range r.Topics {
		names = append(names, t)
	}
	sort.Strings(names)
	md, err := adm.Metadata(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	var missing []string
	for _, t := range names {
		td, ok := md.Topics[t]
		if !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
			missing = append(missing, t)
			continue
		}
		if td.Err != nil {
			return nil, fmt.Errorf("metadata of topic %q: %w", t, td.Err)
		}
		var out []int32
		for _, p := range r.Topics[t] {
			if _, ok := td.Partitions[p]; !ok {
				out = append(out, p)
			}
		}
		if len(out) > 0 {
			return nil, &errs.PartitionOutOfRange{Topic: t, Partitions: out, Count: len(td.Partitions)}
		}
	}
	if len(missing) > 0 {
		all, err := adm.ListTopics(ctx)
		if err != nil {
			return nil, fmt.Errorf("list topics: %w", err)
		}
		return nil, &errs.TopicNotFound{Topics: missing, Suggestions: errs.Suggest(missing, all.Names()), Hint: "nothing was deleted"}
	}
	starts, err := adm.ListStartOffsets(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("list log start offsets: %w", err)
	}
	ends, err := adm.ListEndOffsets(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("list end offsets: %w", err)
	}
	var atTime kadm.ListedOffsets
	plan := &Plan{Partitions: []Partition{}}
	switch {
	case r.All:
		plan.Mode = "all"
	case !r.BeforeTime.IsZero():
		plan.Mode = "before " + r.BeforeTime.UTC().Format(time.RFC3339Nano)
		atTime, err = adm.ListOffsetsAfterMilli(ctx, r.BeforeTime.UnixMilli(), names...)
		if err != nil {
			return nil, fmt.Errorf("list offsets at %s: %w", r.BeforeTime.UTC().Format(time.RFC3339), err)
		}
	default:
		plan.Mode = fmt.Sprintf("before offset %d", r.Before)
	}
	for _, t := range names {
		ps := r.Topics[t]
		if len(ps) == 0 {
			for p := range md.Topics[t].Partitions {
				ps = append(ps, p)
			}
		}
		ps = slices.Compact(slices.Sorted(slices.Values(ps)))
		for _, p := range ps {
			s, err := lookup(starts, t, p, "log start offset")
			if err != nil {
				return nil, err
			}
			e, err := lookup(ends, t, p, "end offset")
			if err != nil {
				return nil, err
			}
			x := Partition{Topic: t, Partition: p, LogStart: s, HighWatermark: e, GroupsBehind: []GroupBehind{}}
			switch {
			case r.All:
				x.NewLogStart = e
			case !r.BeforeTime.IsZero():
				o, err := lookup(atTime, t, p, "offset at the time")
				if err != nil {
					return nil, err
				}
				if o < 0 || o > e {
					o = e
				}
				x.NewLogStart = o
			default:
				if r.Before > e {
					return nil, &BeyondEndError{Topic: t, Partition: p, Offset: r.Before, HighWatermark: e}
				}
				x.NewLogStart = r.Before
			}
			if x.NewLogStart < x.LogStart {
				x.NewLogStart = x.LogStart // already gone: nothing to do here
			}
			x.Unreadable = x.NewLogStart - x.LogStart
			plan.Partitions = append(plan.Partitions, x)
		}
	}
	if err := groupsBehind(ctx, adm, plan); err != nil {
		plan.GroupsError = err.Error()
	}
	return plan, nil
}

func lookup(lo kadm.ListedOffsets, t string, p int32, what string) (int64, error) {
	o, ok := lo.Lookup(t, p)
	if !ok {
		return 0, fmt.Errorf("%s of %s:%d: the broker did not answer", what, t, p)
	}
	if o.Err != nil {
		return 0, fmt.Errorf("%s of %s:%d: %w", what, t, p, o.Err)
	}
	return o.Offset, nil
}

// groupsBehind fills each changed partition's groups whose commit lies
// before its new start.
func groupsBehind(ctx context.Context, adm *kadm.Client, plan *Plan) error {
	if len(plan.Changes()) == 0 {
		return nil
	}
	listed, err := adm.ListGroups(ctx)
	if err != nil {
		return fmt.Errorf("list groups: %w", err)
	}
	groups := listed.Groups()
	if len(groups) == 0 {
		return nil
	}
	var firstErr error
	fetched := adm.FetchManyOffsets(ctx, groups...)
	sort.Strings(groups)
	for _, g := range groups {
		r, ok := fetched[g]
		if !ok || r.Err != nil {
			if firstErr == nil {
				if !ok {
					firstErr = fmt.Errorf("committed offsets of group %q: no answer", g)
				} else {
					firstErr = fmt.Errorf("committed offsets of group %q: %w", g, r.Err)
				}
			}
			continue
		}
		for i := range plan.Partitions {
			x := &plan.Partitions[i]
			o, ok := r.Fetched.Lookup(x.Topic, x.Partition)
			if !ok || o.Err != nil || o.At < 0 {
				continue
			}
			if o.At < x.NewLogStart {
				x.GroupsBehind = append(x.GroupsBehind, GroupBehind{Group: g, Committed: o.At})
			}
		}
	}
	return firstErr
}

// Result is one partition's outcome.
type Result struct {
	Topic       string `json:"topic" yaml:"topic"`
	Partition   int32  `json:"partition" yaml:"partition"`
	NewLogStart int64  `json:"newLogStart" yaml:"newLogStart"`
	Error       string `json:"error,omitempty" yaml:"error,omitempty"`
}

// Results is what `kctl truncate` did.
type Results struct {
	Partitions []Result `json:"partitions" yaml:"partitions"`
}

// Failed counts the partitions not truncated.
func (r *Results) Failed() int {
	n := 0
	for _, x := range r.Partitions {
		if x.Error != "" {
			n++
		}
	}
	return n
}

// Execute deletes the records before each changed partition's new start
// (one DeleteRecords request per leader) and reports each partition. It
// decides nothing: the plan says what to delete.
func Execute(ctx context.Context, adm *kadm.Client, plan *Plan) (*Results, error) {
	res := &Results{Partitions: []Result{}}
	changes := plan.Changes()
	if len(changes) == 0 {
		return res, nil
	}
	os := kadm.Offsets{}
	for _, x := range changes {
		os.Add(kadm.Offset{Topic: x.Topic, Partition: x.Partition, At: x.NewLogStart, LeaderEpoch: -1})
	}
	resp, err := adm.DeleteRecords(ctx, os)
	if err != nil && len(resp) == 0 {
		return nil, fmt.Errorf("delete records: %w", err)
	}
	for _, x := range changes {
		r := Result{Topic: x.Topic, Partition: x.Partition, NewLogStart: -1}
		d, ok := resp.Lookup(x.Topic, x.Partition)
		switch {
		case !ok && err != nil:
			r.Error = err.Error()
		case !ok:
			r.Error = "the broker did not answer for the partition"
		case d.Err != nil:
			r.Error = d.Err.Error()
		default:
			r.NewLogStart = d.LowWatermark
		}
		res.Partitions = append(res.Partitions, r)
	}
	return res, nil
}
