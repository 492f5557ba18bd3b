package groups

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kctl/kctl/internal/platform/observe"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kctl/kctl/internal/platform/errs"

	"github.com/kctl/kctl/internal/feature/groups/lag"
)

// Strategy kinds of a reset: the --to-… flags.
const (
	ToEarliest = "to-earliest"
	ToLatest   = "to-latest"
	ToOffset   = "to-offset"
	ToDatetime = "to-datetime"
	ByDuration = "by-duration"
	ShiftBy    = "shift-by"
	ToCurrent  = "to-current"
)

// Strategy is where a reset moves each partition.
type Strategy struct {
	Kind string `json:"kind" yaml:"kind"`
	// Offset is --to-offset's offset or --shift-by's amount.
	Offset int64 `json:"offset,omitempty" yaml:"offset,omitempty"`
	// Time is --to-datetime's time, or now minus --by-duration.
	Time time.Time `json:"time,omitzero" yaml:"time,omitempty"`
	// Duration is --by-duration's duration.
	Duration time.Duration `json:"-" yaml:"-"`
}

// String describes the strategy as its flag.
func (s Strategy) String() string {
	switch s.Kind {
	case ToOffset:
		return fmt.Sprintf("--to-offset %d", s.Offset)
	case ShiftBy:
		return fmt.Sprintf("--shift-by %+d", s.Offset)
	case ToDatetime:
		return "--to-datetime " + s.Time.UTC().Format(time.RFC3339)
	case ByDuration:
		return fmt.Sprintf("--by-duration %s (%s)", s.Duration, s.Time.UTC().Format(time.RFC3339))
	}
	return "--" + s.Kind
}

// Selection is one --topic T[:P,P]: nil Partitions means every partition.
type Selection struct {
	Topic      string
	Partitions []int32
}

// ParseSelection parses a --topic value, T or T:P,P. It returns an error
// naming the value when a partition is not a non-negative number.
func ParseSelection(s string) (Selection, error) {
	t, ps, has := strings.Cut(s, ":")
	if strings.TrimSpace(t) == "" {
		return Selection{}, fmt.Errorf("--topic %q: no topic name; write --topic T or --topic T:0,1", s)
	}
	sel := Selection{Topic: t}
	if !has {
		return sel, nil
	}
	for _, f := range strings.Split(ps, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 32)
		if err != nil || n < 0 {
			return Selection{}, fmt.Errorf("--topic %q: partition %q is not a partition number; write --topic %s:0,1", s, f, t)
		}
		sel.Partitions = append(sel.Partitions, int32(n))
	}
	return sel, nil
}

// ResetRequest is what `kctl groups reset` was asked.
type ResetRequest struct {
	Group string
	// Topics are the --topic selections; AllTopics means every topic the
	// group has committed offsets for.
	Topics    []Selection
	AllTopics bool
	Strategy  Strategy
	// CreateGroup allows a reset of named topics to create the offsets of
	// a group that does not exist (--create-group); without it an unknown
	// group is a *errs.GroupNotFound, as in describe, delete and lag.
	CreateGroup bool
}

// Observed is what Observe read for a reset: the group and, for each
// selected partition, its commit and the log's bounds.
type Observed struct {
	Group  string `json:"group"`
	Exists bool   `json:"exists"`
	State  string `json:"state"`
	// Members names the live members (client@host (member id)).
	Members    []string            `json:"members"`
	Partitions []ObservedPartition `json:"partitions"`
	Missing    []string            `json:"missing,omitempty"` // selected topics that do not exist
	Warnings   []string            `json:"warnings,omitempty"`
	commits    map[string]map[int32]kadm.OffsetResponse
}

// ObservedPartition is one selected partition as observed.
type ObservedPartition struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// Committed is the group's committed offset, -1 when it has none.
	Committed int64 `json:"committed"`
	LogStart  int64 `json:"logStart"`
	End       int64 `json:"end"`
	// AtTime is the first offset at or after Strategy.Time (to-datetime,
	// by-duration); -1 when no record is that recent.
	AtTime int64  `json:"atTime"`
	Error  string `json:"error,omitempty"`
}

// Observe reads what a reset needs, in this order: the group (as
// lag.Describe: DescribeGroups, ConsumerGroupDescribe, OffsetFetch), one
// Metadata request for the selected topics, then one round of ListOffsets
// — log start, end and (for --to-datetime, --by-duration) the offset at a
// time, sent concurrently, one request each per partition leader. A group
// that does not exist is a *errs.GroupNotFound (naming the closest existing
// group), unless req.CreateGroup and topics are named: then it is observed
// as one without commits, which the reset creates. It returns an *errs.TopicNotFound when a --topic does not
// exist, an *errs.PartitionOutOfRange naming a topic's selected partitions
// that do not exist (joined, one per topic, when several topics have some), and an error when the group or
// the topics cannot be read at all; per-partition listing errors are kept
// on the partitions. A topic the group committed to that no longer exists
// (--all-topics) is only listed in Missing.
func Observe(ctx context.Context, cl *kgo.Client, req ResetRequest) (*Observed, error) {
	obs, err := observeGroup(ctx, cl, req)
	if err != nil {
		return nil, err
	}
	// The topics: named, or those the group committed to.
	topics, want := req.topics(obs.commits)
	if len(topics) == 0 {
		return obs, nil
	}
	leaders, missing, err := partitionLeaders(ctx, cl, topics)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 && !req.AllTopics {
		e := &errs.TopicNotFound{Topics: missing, Hint: "nothing was reset"}
		if td, lerr := kadm.NewClient(cl).ListTopics(ctx); lerr == nil {
			e.Suggestions = errs.Suggest(missing, td.Names())
		}
		return nil, e
	}
	obs.Missing = missing
	if err := obs.selectPartitions(topics, want, leaders); err != nil {
		return nil, err
	}
	// One round of ListOffsets: start, end and, when needed, by time.
	if err := obs.listOffsets(ctx, cl, req); err != nil {
		return nil, err
	}
	return obs, nil
}

// observeGroup returns the group's state, members and commits. It returns
// an *errs.GroupNotFound for a group that does not exist, unless it is to
// be created (--create-group, for named topics).
func observeGroup(ctx context.Context, cl *kgo.Client, req ResetRequest) (*Observed, error) {
	ds, warns, err := lag.Describe(ctx, cl, []string{req.Group})
	var nf *errs.GroupNotFound
	if err != nil && !errors.As(err, &nf) {
		return nil, fmt.Errorf("describe group %q: %w", req.Group, err)
	}
	obs := &Observed{Group: req.Group, Members: []string{}, Warnings: warns, commits: map[string]map[int32]kadm.OffsetResponse{}}
	if len(ds) == 1 {
		d := ds[0]
		if d.Group.Error != "" && !d.CommitsKnown {
			return nil, fmt.Errorf("group %q: %s", req.Group, d.Group.Error)
		}
		obs.Exists = true
		obs.State = d.Group.State
		obs.Members = memberNames(d.Group.Members)
		obs.commits = d.Committed
	}
	if !obs.Exists {
		// Most likely a mistyped group; --all-topics of a group without
		// commits names nothing, even with --create-group.
		if req.AllTopics || !req.CreateGroup {
			if nf == nil {
				nf = &errs.GroupNotFound{Groups: []string{req.Group}}
			}
			if !req.AllTopics {
				nf.Hint = "to create its offsets on purpose, add --create-group"
			}
			return nil, nf
		}
		obs.State = "Dead"
	}
	return obs, nil
}

// topics returns the topics to reset, sorted: those named, or with
// --all-topics those in commits; and the partitions named of each (nil:
// all of them).
func (req ResetRequest) topics(commits map[string]map[int32]kadm.OffsetResponse) ([]string, map[string][]int32) {
	var topics []string
	want := map[string][]int32{}
	if req.AllTopics {
		for t := range commits {
			topics = append(topics, t)
		}
	} else {
		for _, s := range req.Topics {
			if _, dup := want[s.Topic]; !dup {
				topics = append(topics, s.Topic)
			}
			if containsAll(req.Topics, s.Topic) {
				want[s.Topic] = nil
				continue
			}
			want[s.Topic] = append(want[s.Topic], s.Partitions...)
		}
	}
	sort.Strings(topics)
	return topics, want
}

// selectPartitions adds the partitions to reset (want of each topic, of
// those with leaders) with their committed offsets. It returns an
// *errs.PartitionOutOfRange for partitions a topic does not have.
func (obs *Observed) selectPartitions(topics []string, want map[string][]int32, leaders map[string]map[int32]int32) error {
	var bad []error
	for _, t := range topics {
		ps, ok := leaders[t]
		if !ok {
			continue
		}
		sel := want[t]
		if sel == nil {
			for p := range ps {
				sel = append(sel, p)
			}
		}
		sel = uniq(sel)
		var outside []int32
		for _, p := range sel {
			if _, ok := ps[p]; !ok {
				outside = append(outside, p)
			}
		}
		if len(outside) > 0 {
			bad = append(bad, &errs.PartitionOutOfRange{Topic: t, Partitions: outside, Count: len(ps)})
			continue
		}
		for _, p := range sel {
			c := int64(-1)
			op := ObservedPartition{Topic: t, Partition: p, Committed: -1, LogStart: -1, End: -1, AtTime: -1}
			if r, ok := obs.commits[t][p]; ok {
				if r.Err != nil {
					op.Error = fmt.Sprintf("committed offset: %v", r.Err)
				} else {
					c = r.At
				}
			}
			op.Committed = c
			obs.Partitions = append(obs.Partitions, op)
		}
	}
	if len(bad) == 1 {
		return bad[0]
	}
	if len(bad) > 1 {
		return errors.Join(bad...)
	}

	return nil
}

// listOffsets sets the log start and end offsets of the partitions and,
// for --to-datetime and --by-duration, the offset at the time.
func (obs *Observed) listOffsets(ctx context.Context, cl *kgo.Client, req ResetRequest) error {
	parts := map[string][]int32{}
	for _, op := range obs.Partitions {
		parts[op.Topic] = append(parts[op.Topic], op.Partition)
	}
	var (
		wg                sync.WaitGroup
		starts, ends, at  listed
		sErr, eErr, atErr error
		needTime          = req.Strategy.Kind == ToDatetime || req.Strategy.Kind == ByDuration
	)
	wg.Add(2)
	go func() { defer wg.Done(); starts, sErr = listOffsets(ctx, cl, parts, -2) }()
	go func() { defer wg.Done(); ends, eErr = listOffsets(ctx, cl, parts, -1) }()
	if needTime {
		wg.Add(1)
		go func() { defer wg.Done(); at, atErr = listOffsets(ctx, cl, parts, req.Strategy.Time.UnixMilli()) }()
	}
	wg.Wait()
	for _, e := range []error{sErr, eErr, atErr} {
		if e != nil {
			return e
		}
	}
	for i := range obs.Partitions {
		op := &obs.Partitions[i]
		k := tp{op.Topic, op.Partition}
		var problems []string
		if r, ok := starts[k]; !ok || r.err != nil {
			problems = append(problems, "log start offset: "+errText(r.err))
		} else {
			op.LogStart = r.offset
		}
		if r, ok := ends[k]; !ok || r.err != nil {
			problems = append(problems, "end offset: "+errText(r.err))
		} else {
			op.End = r.offset
		}
		if needTime {
			if r, ok := at[k]; !ok || r.err != nil {
				problems = append(problems, "offset at time: "+errText(r.err))
			} else {
				op.AtTime = r.offset
			}
		}
		if len(problems) > 0 {
			op.Error = joinNonEmpty(op.Error, strings.Join(problems, "; "))
		}
	}
	return nil
}

// containsAll reports whether a selection names every partition of t.
func containsAll(sels []Selection, t string) bool {
	for _, s := range sels {
		if s.Topic == t && s.Partitions == nil {
			return true
		}
	}
	return false
}

func uniq(ps []int32) []int32 {
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	out := ps[:0]
	for i, p := range ps {
		if i == 0 || p != ps[i-1] {
			out = append(out, p)
		}
	}
	return out
}

func errText(err error) string {
	if err == nil {
		return "no answer"
	}
	return err.Error()
}

func joinNonEmpty(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

type tp struct {
	t string
	p int32
}

type listedOffset struct {
	offset int64
	err    error
}

type listed map[tp]listedOffset

// partitionLeaders describes the topics with one uncached Metadata request
// and returns each existing topic's partitions (→ leader) and the topics
// that do not exist. It returns an error when the request fails or a topic
// cannot be described.
func partitionLeaders(ctx context.Context, cl *kgo.Client, topics []string) (map[string]map[int32]int32, []string, error) {
	meta, err := observe.Metadata(ctx, cl, topics)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]map[int32]int32{}
	for _, t := range meta.Topics {
		if t.Err != nil {
			return nil, nil, fmt.Errorf("metadata of topic %q: %w", t.Name, t.Err)
		}
		ps := map[int32]int32{}
		for _, p := range t.Partitions {
			ps[p.Partition] = p.Leader
		}
		out[t.Name] = ps
	}
	return out, meta.Missing, nil
}

// listOffsets sends one ListOffsets request per partition leader for the
// partitions, at timestamp ts (-2 log start, -1 end, else a time in
// milliseconds), read_uncommitted. A partition whose broker fails carries
// the error; a time with no record at or after it lists -1.
func listOffsets(ctx context.Context, cl *kgo.Client, parts map[string][]int32, ts int64) (listed, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	for t, ps := range parts {
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = t
		for _, p := range ps {
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition = p
			rp.Timestamp = ts
			rp.CurrentLeaderEpoch = -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	out := listed{}
	for _, sh := range cl.RequestSharded(ctx, req) {
		if sh.Err != nil {
			r, _ := sh.Req.(*kmsg.ListOffsetsRequest)
			if r == nil {
				return nil, fmt.Errorf("list offsets: %w", sh.Err)
			}
			for _, t := range r.Topics {
				for _, p := range t.Partitions {
					out[tp{t.Topic, p.Partition}] = listedOffset{offset: -1, err: fmt.Errorf("broker %d: %w", sh.Meta.NodeID, sh.Err)}
				}
			}
			continue
		}
		resp := sh.Resp.(*kmsg.ListOffsetsResponse)
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				out[tp{t.Topic, p.Partition}] = listedOffset{offset: p.Offset, err: kerr.ErrorForCode(p.ErrorCode)}
			}
		}
	}
	return out, nil
}
