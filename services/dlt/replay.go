package dlt

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/codec"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultReplayGroup is the consumer group a replay records its progress in.
const DefaultReplayGroup = "kctl-dlt-replay"

// HeaderReplayedFrom names the dead-letter record a replayed record came
// from: "user.signed-up.dlt/0/17" (topic/partition/offset).
const HeaderReplayedFrom = "kctl-replayed-from"

// ReplayOptions select and direct a replay.
type ReplayOptions struct {
	// DLT is the dead-letter topic read. Required.
	DLT string
	// To overrides the destination (default: each record's original topic).
	To string
	// Group records progress. Default DefaultReplayGroup.
	Group string
	// Since and Until keep dead letters written (DLT record timestamp) at
	// or after Since and before Until; zero means no bound.
	Since, Until time.Time
	// Exception keeps records whose exception class (or cause class)
	// contains it, ignoring case.
	Exception string
	// OriginalPartition keeps records from that original partition; nil
	// keeps every partition.
	OriginalPartition *int32
	// FromOffset and ToOffset keep DLT offsets in [FromOffset, ToOffset];
	// nil is no bound.
	FromOffset, ToOffset *int64
	// Where keeps the records it returns true for (kctl dlt replay
	// --where, a compiled where.Predicate); nil keeps all. It must do no
	// I/O: BuildReplay stays pure.
	Where func(*kgo.Record) bool
	// Limit stops after this many selected records (0: no limit).
	Limit int
	// ClientOpts connect the clients PlanReplay (reading) and
	// ExecuteReplay (transactional producer) make (seed brokers,
	// TLS, SASL, timeouts).
	ClientOpts []kgo.Opt
	// IdleTimeout ends the reading when no record arrives for this long
	// although the end offsets seen at start are not reached (records
	// removed by compaction, transaction markers at the end). Default 5s.
	IdleTimeout time.Duration
}

// ReplayPlan is a replay's plan (PlanReplay, BuildReplay) and, once
// executed (ExecuteReplay), its outcome: the dead letters selected and
// where each goes, and the counts of the others. A plan holds the dead
// letters it lists (key, value, headers), so executing it republishes
// exactly those.
type ReplayPlan struct {
	DLT   string `json:"dlt" yaml:"dlt"`
	Group string `json:"group" yaml:"group"`
	// Execute: this is the outcome of ExecuteReplay, not a plan.
	Execute bool `json:"execute" yaml:"execute"`
	// Records are the dead letters selected for replay.
	Records []Entry `json:"records" yaml:"records"`
	// Skipped are dead letters that name no original topic: never sent.
	Skipped []Skip `json:"skipped" yaml:"skipped"`
	// AlreadyReplayed counts records a previous run replayed (or skipped).
	AlreadyReplayed int `json:"alreadyReplayed" yaml:"alreadyReplayed"`
	// FilteredOut counts records the filters left for a later run.
	FilteredOut int `json:"filteredOut" yaml:"filteredOut"`
	// Replayed counts the records republished and acknowledged.
	Replayed int `json:"replayed" yaml:"replayed"`
	// Progress is the group's position per DLT partition, after the run.
	Progress []PartitionProgress `json:"progress" yaml:"progress"`
	// Truncated: -n stopped the reading before the end offsets.
	Truncated bool     `json:"truncated,omitempty" yaml:"truncated,omitempty"`
	Warnings  []string `json:"warnings,omitempty" yaml:"warnings,omitempty"`

	items    []item             // what ExecuteReplay acts on, in the order read
	progress map[int32]Progress // the progress the plan was made from
	opts     ReplayOptions
}

// Entry is one selected dead letter.
type Entry struct {
	Partition int32     `json:"partition" yaml:"partition"`
	Offset    int64     `json:"offset" yaml:"offset"`
	Timestamp time.Time `json:"timestamp" yaml:"timestamp"`
	// Key is as kctl consume -o json writes it: nil for a null key,
	// base64 (KeyEncoding "base64") when it is not UTF-8.
	Key         *string `json:"key" yaml:"key"`
	KeyEncoding string  `json:"keyEncoding,omitempty" yaml:"keyEncoding,omitempty"`
	Info        Info    `json:"original" yaml:"original"`
	// To is the topic it is (or would be) republished to.
	To string `json:"to" yaml:"to"`
	// Status is planned (a plan), replayed, failed, or already-replayed
	// (by another run, after the plan was made).
	Status string `json:"status" yaml:"status"`
	// HeaderProblem says which kafka_dlt-* headers, other than the
	// original topic, are missing or malformed (shown, still replayable).
	HeaderProblem string `json:"headerProblem,omitempty" yaml:"headerProblem,omitempty"`
	Error         string `json:"error,omitempty" yaml:"error,omitempty"`
}

// Skip is a dead letter that cannot be replayed.
type Skip struct {
	Partition int32  `json:"partition" yaml:"partition"`
	Offset    int64  `json:"offset" yaml:"offset"`
	Reason    string `json:"reason" yaml:"reason"`
}

// PartitionProgress is a replay group's position on one DLT partition.
type PartitionProgress struct {
	Partition int32 `json:"partition" yaml:"partition"`
	// Next: every record below is done.
	Next int64 `json:"next" yaml:"next"`
	// DoneAbove counts records at or above Next already done.
	DoneAbove int `json:"doneAbove" yaml:"doneAbove"`
	// End is the DLT partition's end offset seen at start.
	End int64 `json:"end" yaml:"end"`
}

// ReplayError is a replay that stopped part way: what was replayed before
// is in the outcome ExecuteReplay returns, and its progress committed.
type ReplayError struct {
	Err error
	// Unknown counts records whose produce failed: they may or may not
	// have been written, and they are not marked done.
	Unknown int
}

func (e *ReplayError) Error() string { return e.Err.Error() }
func (e *ReplayError) Unwrap() error { return e.Err }

func (o *ReplayOptions) defaults() error {
	if strings.TrimSpace(o.DLT) == "" {
		return errors.New("no dead-letter topic: give one with --dlt, e.g. --dlt user.signed-up.dlt")
	}
	if o.Group == "" {
		o.Group = DefaultReplayGroup
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 5 * time.Second
	}
	if o.To == o.DLT && o.To != "" {
		return fmt.Errorf("--to %q is the dead-letter topic itself: replay to the topic its consumer reads", o.To)
	}
	return nil
}

// keep reports whether a parsed dead letter passes the filters.
func (o *ReplayOptions) keep(r *kgo.Record, in Info) bool {
	if !o.Since.IsZero() && r.Timestamp.Before(o.Since) {
		return false
	}
	if !o.Until.IsZero() && !r.Timestamp.Before(o.Until) {
		return false
	}
	if ex := strings.ToLower(o.Exception); ex != "" && !strings.Contains(strings.ToLower(in.ExceptionFQCN), ex) && !strings.Contains(strings.ToLower(in.ExceptionCauseFQCN), ex) {
		return false
	}
	if o.OriginalPartition != nil && in.OriginalPartition != *o.OriginalPartition {
		return false
	}
	if o.FromOffset != nil && r.Offset < *o.FromOffset {
		return false
	}
	if o.ToOffset != nil && r.Offset > *o.ToOffset {
		return false
	}
	if o.Where != nil && !o.Where(r) {
		return false
	}
	return true
}

// ReplayInput is what PlanReplay observes of the cluster: the replay
// group's progress and the end offsets per DLT partition, the dead letters
// read from the progress up to those end offsets (in the order read), and
// the destination topics that do not exist.
type ReplayInput struct {
	// Progress is the group's progress per DLT partition (raised to the
	// log start offset).
	Progress map[int32]Progress
	// End is each DLT partition's end offset seen at start.
	End map[int32]int64
	// Records are the dead letters read, in the order read.
	Records []*kgo.Record
	// Stopped: the reading stopped at the limit before the end offsets.
	Stopped bool
	// Missing names the destination topics found not to exist (topic →
	// why); absent topics were not checked or exist.
	Missing map[string]string
	// Warnings are the reading's (stopped on idle).
	Warnings []string
}

// item is one dead letter the executor acts on, in the order read: to
// republish (entry ≥ 0, its index in Records) or only to mark done
// (entry -1: no original topic).
type item struct {
	rec   *kgo.Record
	entry int
}

// verdict is what selection makes of one dead letter.
type verdict int

const (
	vDone     verdict = iota // already replayed (or skipped) by a run
	vSkipDone                // no original topic: never sent, marked done
	vSkip                    // original topic is the DLT: never sent, not marked
	vFiltered                // left out by the filters
	vSend                    // selected
)

// classify is the selection of one dead letter by the progress and the
// filters; it does no I/O.
func classify(rec *kgo.Record, pr Progress, opts *ReplayOptions) (verdict, Info, error) {
	if pr.IsDone(rec.Offset) {
		return vDone, Info{}, nil
	}
	in, perr := Parse(rec.Headers)
	switch {
	case in.OriginalTopic == "":
		return vSkipDone, in, perr
	case in.OriginalTopic == opts.DLT && opts.To == "":
		return vSkip, in, perr
	case !opts.keep(rec, in):
		return vFiltered, in, perr
	}
	return vSend, in, perr
}

// BuildReplay is the replay plan for what was observed: the dead letters
// not done that pass the filters (at most opts.Limit), where each goes,
// the skipped ones and the counts. It does no I/O: the same input and
// options give the same plan.
func BuildReplay(in ReplayInput, opts ReplayOptions) (*ReplayPlan, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	p := &ReplayPlan{DLT: opts.DLT, Group: opts.Group, Records: []Entry{}, Skipped: []Skip{}, Progress: []PartitionProgress{},
		progress: map[int32]Progress{}, opts: opts}
	for part, pr := range in.Progress {
		p.progress[part] = clone(pr)
	}
	p.Progress = progressOf(p.progress, in.End)
	full := func() bool { return opts.Limit > 0 && len(p.Records) >= opts.Limit }
	for _, rec := range in.Records {
		if full() {
			p.Truncated = true
			break
		}
		v, info, perr := classify(rec, p.progress[rec.Partition], &opts)
		switch v {
		case vDone:
			p.AlreadyReplayed++
		case vSkipDone:
			p.Skipped = append(p.Skipped, Skip{Partition: rec.Partition, Offset: rec.Offset, Reason: "no " + HeaderOriginalTopic + " header: the original topic is unknown"})
			p.items = append(p.items, item{rec: rec, entry: -1})
		case vSkip:
			p.Skipped = append(p.Skipped, Skip{Partition: rec.Partition, Offset: rec.Offset, Reason: "its original topic is the dead-letter topic itself: give --to"})
		case vFiltered:
			p.FilteredOut++
		case vSend:
			e := Entry{Partition: rec.Partition, Offset: rec.Offset, Timestamp: rec.Timestamp.UTC(), Info: info, To: info.OriginalTopic, Status: StatusPlanned}
			e.Key, e.KeyEncoding = codec.EncodeBytes(rec.Key)
			if opts.To != "" {
				e.To = opts.To
			}
			if perr != nil {
				e.HeaderProblem = perr.Error()
			}
			p.Records = append(p.Records, e)
			p.items = append(p.items, item{rec: rec, entry: len(p.Records) - 1})
		}
	}
	if full() && in.Stopped {
		p.Truncated = true
	}
	p.Warnings = append(p.Warnings, in.Warnings...)
	warned := map[string]bool{}
	for _, e := range p.Records {
		if why, ok := in.Missing[e.To]; ok && !warned[e.To] {
			warned[e.To] = true
			p.Warnings = append(p.Warnings, why)
		}
	}
	return p, nil
}

// progressOf lists the progress per partition, in partition order.
func progressOf(progress map[int32]Progress, end map[int32]int64) []PartitionProgress {
	out := []PartitionProgress{}
	for part, pr := range progress {
		out = append(out, PartitionProgress{Partition: part, Next: pr.Next, DoneAbove: len(pr.Done), End: end[part]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Partition < out[j].Partition })
	return out
}

// PlanReplay observes the DLT (ObserveReplay) and builds the plan
// (BuildReplay). It writes nothing: the plan lists the dead letters and
// where each goes; ExecuteReplay carries it out.
func PlanReplay(ctx context.Context, client *kgo.Client, opts ReplayOptions) (*ReplayPlan, error) {
	in, err := ObserveReplay(ctx, client, opts)
	if err != nil {
		return nil, err
	}
	return BuildReplay(*in, opts)
}

// ObserveReplay reads what a replay plan is built from: the DLT's start
// and end offsets, the group's progress, the dead letters from the
// progress up to the end offsets seen at start (stopping once opts.Limit
// of them would be selected), and whether their destinations exist. It
// writes nothing. It returns an error when the topic, its offsets or the
// progress cannot be read.
func ObserveReplay(ctx context.Context, client *kgo.Client, opts ReplayOptions) (*ReplayInput, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	adm := kadm.NewClient(client)
	in, from, err := observeProgress(ctx, adm, &opts)
	if err != nil {
		return nil, err
	}
	if len(from) == 0 {
		return in, nil
	}
	if err := readDeadLetters(ctx, in, from, &opts); err != nil {
		return nil, err
	}
	// Destinations: a missing one is a warning in the plan.
	checkDestinations(ctx, adm, in, &opts)
	return in, nil
}

// observeProgress returns the dead-letter topic's partitions with the
// replay group's progress on each and their end offsets, and where to
// read each partition that has records left.
func observeProgress(ctx context.Context, adm *kadm.Client, opts *ReplayOptions) (*ReplayInput, map[int32]kgo.Offset, error) {
	starts, err := adm.ListStartOffsets(ctx, opts.DLT)
	if err != nil {
		return nil, nil, fmt.Errorf("log start offsets of %q: %w", opts.DLT, err)
	}
	if err := topicErr(starts, opts.DLT); err != nil {
		return nil, nil, err
	}
	ends, err := adm.ListEndOffsets(ctx, opts.DLT)
	if err != nil {
		return nil, nil, fmt.Errorf("end offsets of %q: %w", opts.DLT, err)
	}
	if err := topicErr(ends, opts.DLT); err != nil {
		return nil, nil, err
	}
	fetched, err := adm.FetchOffsets(ctx, opts.Group)
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return nil, nil, fmt.Errorf("progress of group %q: %w", opts.Group, err)
	}
	in := &ReplayInput{Progress: map[int32]Progress{}, End: map[int32]int64{}, Missing: map[string]string{}}
	from := map[int32]kgo.Offset{}
	for p, so := range starts[opts.DLT] {
		eo := ends[opts.DLT][p]
		if so.Err != nil || eo.Err != nil {
			return nil, nil, fmt.Errorf("offsets of %s/%d: %w", opts.DLT, p, errors.Join(so.Err, eo.Err))
		}
		pr := Progress{Done: map[int64]bool{}}
		if r, ok := fetched.Lookup(opts.DLT, p); ok {
			if r.Err != nil {
				return nil, nil, fmt.Errorf("progress of group %q on %s/%d: %w", opts.Group, opts.DLT, p, r.Err)
			}
			if r.At >= 0 {
				if pr, err = ParseProgress(r.At, r.Metadata); err != nil {
					return nil, nil, err
				}
			}
		}
		pr.Floor(so.Offset)
		in.Progress[p] = pr
		in.End[p] = eo.Offset
		if pr.Next < eo.Offset {
			from[p] = kgo.NewOffset().At(pr.Next)
		}
	}
	return in, from, nil
}

// readDeadLetters reads the records of the partitions from their offsets
// in from up to the end offsets in in (or --limit records to replay), into
// in.Records; it stops reading a partition that stays idle for
// IdleTimeout, with a warning.
func readDeadLetters(ctx context.Context, in *ReplayInput, from map[int32]kgo.Offset, opts *ReplayOptions) error {
	rd, err := kgo.NewClient(append(append([]kgo.Opt{}, opts.ClientOpts...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{opts.DLT: from}),
		kgo.FetchMaxWait(200*time.Millisecond),
	)...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer rd.Close()

	selected := 0
	full := func() bool { return opts.Limit > 0 && selected >= opts.Limit }
	remaining := len(from)
	reached := map[int32]bool{}
	idle := time.Now()
	for remaining > 0 && !full() {
		pctx, cancel := context.WithTimeout(ctx, opts.IdleTimeout)
		fs := rd.PollFetches(pctx)
		cancel()
		if err := ctx.Err(); err != nil {
			return err
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && ferr == nil {
				ferr = fmt.Errorf("read %s/%d: %w", t, p, err)
			}
		})
		if ferr != nil {
			return ferr
		}
		n := 0
		fs.EachRecord(func(rec *kgo.Record) {
			if rec.Offset >= in.End[rec.Partition] || reached[rec.Partition] || full() {
				return
			}
			if rec.Offset >= in.End[rec.Partition]-1 {
				reached[rec.Partition] = true
				remaining--
			}
			in.Records = append(in.Records, rec)
			n++
			if v, _, _ := classify(rec, in.Progress[rec.Partition], opts); v == vSend {
				selected++
			}
		})
		if n == 0 {
			if time.Since(idle) >= opts.IdleTimeout {
				in.Warnings = append(in.Warnings, fmt.Sprintf("stopped reading %s after %s without a record, before the end offsets seen at start (compacted or aborted records at the end?)", opts.DLT, opts.IdleTimeout))
				break
			}
			continue
		}
		idle = time.Now()
	}
	in.Stopped = full() && remaining > 0
	return nil
}

// checkDestinations notes in in.Missing each topic the records to send
// go to that cannot be written to.
func checkDestinations(ctx context.Context, adm *kadm.Client, in *ReplayInput, opts *ReplayOptions) {
	checked := map[string]error{}
	for _, rec := range in.Records {
		v, info, _ := classify(rec, in.Progress[rec.Partition], opts)
		if v != vSend {
			continue
		}
		to := info.OriginalTopic
		if opts.To != "" {
			to = opts.To
		}
		if _, ok := checked[to]; ok {
			continue
		}
		checked[to] = checkDestination(ctx, adm, to)
		if checked[to] != nil {
			in.Missing[to] = checked[to].Error()
		}
	}
}
func topicErr(l kadm.ListedOffsets, topic string) error {
	ps, ok := l[topic]
	if !ok || len(ps) == 0 {
		return fmt.Errorf("dead-letter topic %q does not exist (see kctl describe topics)", topic)
	}
	if e, ok := ps[-1]; ok && e.Err != nil {
		if errors.Is(e.Err, kerr.UnknownTopicOrPartition) {
			return fmt.Errorf("dead-letter topic %q does not exist (see kctl describe topics)", topic)
		}
		return fmt.Errorf("dead-letter topic %q: %w", topic, e.Err)
	}
	return nil
}

// Statuses of an Entry.
const (
	StatusPlanned         = "planned"          // in a plan not executed
	StatusReplayed        = "replayed"         // republished, progress committed
	StatusFailed          = "failed"           // not (or not surely) republished: see Error
	StatusAlreadyReplayed = "already-replayed" // another run replayed it after the plan was made
)

// checkDestination returns an error naming topic when it does not exist
// or its metadata cannot be read.
func checkDestination(ctx context.Context, adm *kadm.Client, topic string) error {
	td, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return fmt.Errorf("metadata of destination topic %q: %w", topic, err)
	}
	if d, ok := td[topic]; !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
		return fmt.Errorf("destination topic %q does not exist: create it (kctl apply) or choose another with --to", topic)
	} else if d.Err != nil {
		return fmt.Errorf("destination topic %q: %w", topic, d.Err)
	}
	return nil
}
