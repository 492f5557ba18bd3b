package records

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kctl/kctl/internal/platform/errs"
	"github.com/kctl/kctl/internal/platform/where"
)

// ConsumeOptions are what kctl consume was asked for.
type ConsumeOptions struct {
	Topics     []string
	Partitions []int32 // only these partitions of every topic; empty: all
	From       From
	Max        int64  // stop after this many records; 0: no limit
	Exit       bool   // stop at the end offsets seen at start (kcat -e)
	Group      string // join this consumer group and commit; "": no group, no commits
	// ReadUncommitted also reads records of open and aborted transactions;
	// the default is read_committed.
	ReadUncommitted bool
	// To, when set, stops each partition before it (--to; implies Exit).
	To *From
	// Where keeps only the records it matches (--where); nil keeps all.
	// Max then counts matches. Run counts into Plan.Counts.
	Where *where.Predicate
	// Progress, when set, is called after each fetch with the counts so
	// far of a filtered scan (a terminal's progress line).
	Progress func(where.Counts)
}

// PartitionPlan is where one partition is read from and, with Exit, up to.
type PartitionPlan struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	LogStart  int64  `json:"logStart"`
	// End is the end offset seen at start: the last stable offset
	// (read_committed) or the high watermark.
	End int64 `json:"end"`
	// Start is the first offset to read. With a group it is the committed
	// offset, or where From puts a partition the group never committed.
	Start int64 `json:"start"`
	// Committed is whether Start is the group's committed offset.
	Committed bool `json:"committed,omitempty"`
	// Clamped says Start was moved into the log's bounds (an offset past the
	// end, or below the log start).
	Clamped bool `json:"clamped,omitempty"`
}

// Plan is a resolved consumption: every partition to read with its start and
// end offsets. It is a value; Run carries it out.
type Plan struct {
	Options    ConsumeOptions
	Partitions []PartitionPlan

	// Counts are a filtered scan's totals (Options.Where), kept by Run.
	Counts where.Counts

	assigned *assignment // with a group: what this member holds (GroupOptions)
}

// topicNotFound is the *errs.TopicNotFound for missing topics, with the
// closest existing name of each (one more Metadata request; without an
// answer, no suggestions).
func topicNotFound(ctx context.Context, adm *kadm.Client, missing []string, hint string) *errs.TopicNotFound {
	e := &errs.TopicNotFound{Topics: missing, Hint: hint}
	if td, err := adm.ListTopics(ctx); err == nil {
		e.Suggestions = errs.Suggest(missing, td.Names())
	}
	return e
}

// NewPlan resolves where each partition of o.Topics starts and ends: it
// checks the options, observes the cluster (ObserveConsume) and builds the
// plan from what it saw (BuildPlan). It returns an *errs.TopicNotFound for
// topics that do not exist, an *errs.PartitionOutOfRange for --partition
// values a topic does not have, and a wrapped error when the cluster does
// not answer or a partition's offsets cannot be listed.
func NewPlan(ctx context.Context, adm *kadm.Client, o ConsumeOptions) (*Plan, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	obs, err := ObserveConsume(ctx, adm, o)
	if err != nil {
		return nil, err
	}
	return BuildPlan(obs, o)
}

// check refuses options that cannot make a plan, before any I/O.
func (o ConsumeOptions) check() error {
	if o.From.Kind == FromStored && o.Group == "" {
		return errors.New("--from stored reads a group's committed offsets: give --group G (without a group, use --from beginning, end, an offset, -N or a time)")
	}
	if o.Group != "" && len(o.Partitions) > 0 {
		return errors.New("--partition and --group do not go together: the group assigns the partitions; drop --group to read chosen partitions")
	}
	return nil
}

// Observed is what a consumption is planned from: the topics' metadata
// and, when every topic exists, their log start and end offsets, the
// offsets at From's time (FromTime) and the group's committed offsets
// (with a group). Per-partition errors are kept for BuildPlan to report.
type Observed struct {
	Topics    kadm.TopicDetails
	LogStarts kadm.ListedOffsets
	Ends      kadm.ListedOffsets // last stable offsets (read_committed) or high watermarks
	AtTime    kadm.ListedOffsets // FromTime only
	AtTo      kadm.ListedOffsets // a --to time only
	Committed kadm.OffsetResponses
	// Existing names the cluster's topics, listed only when a topic asked
	// for is missing: the suggestions of the not-found error.
	Existing []string
}

// ObserveConsume reads what BuildPlan needs, with one Metadata and one
// ListOffsets per kind of offset (plus an OffsetFetch with a group). When
// a topic is missing or its metadata failed it stops after the Metadata
// (the plan is refused anyway). It returns a wrapped error when a request
// is not answered.
func ObserveConsume(ctx context.Context, adm *kadm.Client, o ConsumeOptions) (*Observed, error) {
	md, err := adm.Metadata(ctx, o.Topics...)
	if err != nil {
		return nil, fmt.Errorf("metadata for %s: %w", strings.Join(o.Topics, ", "), err)
	}
	obs := &Observed{Topics: md.Topics}
	topics := uniq(o.Topics)
	for _, t := range topics {
		if td, ok := md.Topics[t]; !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
			if td, err := adm.ListTopics(ctx); err == nil {
				obs.Existing = td.Names()
			}
			return obs, nil
		}
	}
	for _, t := range topics {
		if md.Topics[t].Err != nil {
			return obs, nil
		}
	}
	if obs.LogStarts, err = listed(adm.ListStartOffsets(ctx, topics...)); err != nil {
		return nil, fmt.Errorf("list log start offsets: %w", err)
	}
	endsFn := adm.ListCommittedOffsets // the last stable offsets
	if o.ReadUncommitted {
		endsFn = adm.ListEndOffsets
	}
	if obs.Ends, err = listed(endsFn(ctx, topics...)); err != nil {
		return nil, fmt.Errorf("list end offsets: %w", err)
	}
	if o.From.Kind == FromTime {
		if obs.AtTime, err = listed(adm.ListOffsetsAfterMilli(ctx, o.From.Time.UnixMilli(), topics...)); err != nil {
			return nil, fmt.Errorf("list offsets at %s: %w", o.From.Time.Format(time.RFC3339), err)
		}
	}
	if o.To != nil && o.To.Kind == FromTime {
		if obs.AtTo, err = listed(adm.ListOffsetsAfterMilli(ctx, o.To.Time.UnixMilli(), topics...)); err != nil {
			return nil, fmt.Errorf("list offsets at --to %s: %w", o.To.Time.Format(time.RFC3339), err)
		}
	}
	if o.Group != "" {
		obs.Committed, err = adm.FetchOffsets(ctx, o.Group)
		if err == nil {
			err = obs.Committed.Error()
		}
		if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
			return nil, fmt.Errorf("committed offsets of group %q: %w", o.Group, err)
		}
	}
	return obs, nil
}

// BuildPlan is the plan for what was observed: every partition to read
// (o.Partitions of each topic, or all), where it starts (the group's
// committed offset, else where From puts it, moved into the log's bounds)
// and ends. It does no I/O. Its errors are NewPlan's.
func BuildPlan(obs *Observed, o ConsumeOptions) (*Plan, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	p := &Plan{Options: o}
	var missing []string
	for _, t := range uniq(o.Topics) {
		if td, ok := obs.Topics[t]; !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return nil, &errs.TopicNotFound{Topics: missing, Suggestions: errs.Suggest(missing, obs.Existing)}
	}
	for _, t := range o.Topics {
		td := obs.Topics[t]
		if td.Err != nil {
			return nil, fmt.Errorf("metadata for topic %q: %w", t, td.Err)
		}
		n := len(td.Partitions)
		parts := o.Partitions
		if len(parts) == 0 {
			for i := range n {
				parts = append(parts, int32(i))
			}
		}
		var outside []int32
		for _, part := range parts {
			if part < 0 || int(part) >= n {
				outside = append(outside, part)
			}
		}
		if len(outside) > 0 {
			return nil, &errs.PartitionOutOfRange{Topic: t, Partitions: outside, Count: n}
		}
		for _, part := range parts {
			p.Partitions = append(p.Partitions, PartitionPlan{Topic: t, Partition: part})
		}
	}
	sort.Slice(p.Partitions, func(i, j int) bool {
		a, b := p.Partitions[i], p.Partitions[j]
		return a.Topic < b.Topic || a.Topic == b.Topic && a.Partition < b.Partition
	})
	p.Partitions = slices.CompactFunc(p.Partitions, func(a, b PartitionPlan) bool { return a.Topic == b.Topic && a.Partition == b.Partition })

	for i := range p.Partitions {
		pp := &p.Partitions[i]
		for _, l := range []struct {
			lo   kadm.ListedOffsets
			what string
			dst  *int64
		}{{obs.LogStarts, "log start", &pp.LogStart}, {obs.Ends, "end", &pp.End}} {
			off, ok := l.lo.Lookup(pp.Topic, pp.Partition)
			if !ok {
				return nil, fmt.Errorf("list %s offset of %s/%d: no answer", l.what, pp.Topic, pp.Partition)
			}
			if off.Err != nil {
				return nil, fmt.Errorf("list %s offset of %s/%d: %w", l.what, pp.Topic, pp.Partition, off.Err)
			}
			*l.dst = off.Offset
		}
		at, ok := obs.AtTo.Lookup(pp.Topic, pp.Partition)
		atTo := func() { applyTo(pp, o.To, at.Offset, ok && at.Err == nil) }
		if c, ok := obs.Committed.Lookup(pp.Topic, pp.Partition); o.Group != "" && ok && c.Err == nil && c.At >= 0 {
			pp.Start, pp.Committed = c.At, true
			atTo()
			continue
		}
		want := pp.End
		switch o.From.Kind {
		case FromBeginning, FromStored: // stored: a partition the group never committed starts at the log start
			want = pp.LogStart
		case FromOffset:
			want = o.From.Offset
		case FromTail:
			want = pp.End - o.From.Offset
			if want < pp.LogStart {
				want = pp.LogStart
			}
		case FromTime:
			off, ok := obs.AtTime.Lookup(pp.Topic, pp.Partition)
			if !ok || off.Err != nil {
				return nil, fmt.Errorf("list offset at %s of %s/%d: %v", o.From.Time.Format(time.RFC3339), pp.Topic, pp.Partition, errOrMissing(off.Err))
			}
			want = off.Offset
			if want < 0 {
				want = pp.End
			}
		}
		pp.Start = want
		if pp.Start > pp.End {
			pp.Start, pp.Clamped = pp.End, true
		}
		if pp.Start < pp.LogStart {
			pp.Start, pp.Clamped = pp.LogStart, o.From.Kind == FromOffset
		}
		atTo()
	}
	return p, nil
}

func errOrMissing(err error) error {
	if err == nil {
		return errors.New("no answer")
	}
	return err
}

// listed returns the offsets, or the first error of the request or of a
// topic (an unknown topic is an *errs.TopicNotFound).
func listed(lo kadm.ListedOffsets, err error) (kadm.ListedOffsets, error) {
	if err != nil {
		return nil, err
	}
	for t, ps := range lo {
		for _, o := range ps {
			if errors.Is(o.Err, kerr.UnknownTopicOrPartition) {
				return nil, &errs.TopicNotFound{Topics: []string{t}}
			}
		}
	}
	return lo, nil
}

func uniq(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// FetchOptions returns the consumer options every consumption uses:
// read_committed (unless ReadUncommitted), control records kept (for Exit to
// see the offsets of transaction markers), large fetches.
func (o ConsumeOptions) FetchOptions() []kgo.Opt {
	opts := []kgo.Opt{
		kgo.ClientID("kctl"),
		kgo.KeepControlRecords(),
		kgo.FetchMaxBytes(16 << 20),
		kgo.FetchMaxPartitionBytes(1 << 20),
		kgo.FetchMaxWait(500 * time.Millisecond),
	}
	if !o.ReadUncommitted {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	return opts
}

// GroupOptions returns, with a group, the options of the group's consumer
// besides FetchOptions: the group, its topics, where a partition it never
// committed starts (From), marked commits, and callbacks that keep track of
// the assignment for Run. Without a group it returns nil.
func (p *Plan) GroupOptions() []kgo.Opt {
	o := p.Options
	var opts []kgo.Opt
	if o.Group != "" {
		start := kgo.NewOffset().AtEnd()
		switch o.From.Kind {
		case FromBeginning, FromStored:
			start = kgo.NewOffset().AtStart()
		case FromOffset:
			start = kgo.NewOffset().At(o.From.Offset)
		case FromTail:
			start = kgo.NewOffset().AtEnd().Relative(-o.From.Offset)
		case FromTime:
			start = kgo.NewOffset().AfterMilli(o.From.Time.UnixMilli())
		}
		p.assigned = &assignment{tps: map[string]map[int32]bool{}}
		a := p.assigned
		revoked := func(ctx context.Context, cl *kgo.Client, m map[string][]int32) {
			_ = cl.CommitMarkedOffsets(ctx)
			a.remove(m)
		}
		opts = append(opts,
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { a.add(m) }),
			kgo.OnPartitionsRevoked(revoked),
			kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { a.remove(m) }),
			kgo.ConsumerGroup(o.Group),
			kgo.ConsumeTopics(uniq(o.Topics)...),
			kgo.ConsumeStartOffset(start),
			kgo.AutoCommitMarks(),
			kgo.AutoCommitInterval(time.Second),
		)
	}
	return opts
}

// ParsePartitions parses --partition values (0,2 or repeated). It returns
// an error naming a value that is not a partition number.
func ParsePartitions(vals []string) ([]int32, error) {
	var out []int32
	for _, v := range vals {
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			n, err := strconv.ParseInt(f, 10, 32)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("--partition %q: want a partition number (0, 1, …), comma-separated for several", f)
			}
			out = append(out, int32(n))
		}
	}
	return out, nil
}
