package dlt

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
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
	starts, err := adm.ListStartOffsets(ctx, opts.DLT)
	if err != nil {
		return nil, fmt.Errorf("log start offsets of %q: %w", opts.DLT, err)
	}
	if err := topicErr(starts, opts.DLT); err != nil {
		return nil, err
	}
	ends, err := adm.ListEndOffsets(ctx, opts.DLT)
	if err != nil {
		return nil, fmt.Errorf("end offsets of %q: %w", opts.DLT, err)
	}
	if err := topicErr(ends, opts.DLT); err != nil {
		return nil, err
	}
	fetched, err := adm.FetchOffsets(ctx, opts.Group)
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return nil, fmt.Errorf("progress of group %q: %w", opts.Group, err)
	}
	in := &ReplayInput{Progress: map[int32]Progress{}, End: map[int32]int64{}, Missing: map[string]string{}}
	from := map[int32]kgo.Offset{}
	for p, so := range starts[opts.DLT] {
		eo := ends[opts.DLT][p]
		if so.Err != nil || eo.Err != nil {
			return nil, fmt.Errorf("offsets of %s/%d: %w", opts.DLT, p, errors.Join(so.Err, eo.Err))
		}
		pr := Progress{Done: map[int64]bool{}}
		if r, ok := fetched.Lookup(opts.DLT, p); ok {
			if r.Err != nil {
				return nil, fmt.Errorf("progress of group %q on %s/%d: %w", opts.Group, opts.DLT, p, r.Err)
			}
			if r.At >= 0 {
				if pr, err = ParseProgress(r.At, r.Metadata); err != nil {
					return nil, err
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
	if len(from) == 0 {
		return in, nil
	}
	rd, err := kgo.NewClient(append(append([]kgo.Opt{}, opts.ClientOpts...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{opts.DLT: from}),
		kgo.FetchMaxWait(200*time.Millisecond),
	)...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
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
			return nil, err
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && ferr == nil {
				ferr = fmt.Errorf("read %s/%d: %w", t, p, err)
			}
		})
		if ferr != nil {
			return nil, ferr
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
			if v, _, _ := classify(rec, in.Progress[rec.Partition], &opts); v == vSend {
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
	// Destinations: a missing one is a warning in the plan.
	checked := map[string]error{}
	for _, rec := range in.Records {
		v, info, _ := classify(rec, in.Progress[rec.Partition], &opts)
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
	return in, nil
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

// Bounds of one transaction of ExecuteReplay.
const (
	maxBatchRecords = 500
	maxBatchBytes   = 1 << 20
)

// ExecuteReplay carries out a plan made by PlanReplay (or BuildReplay):
// it republishes the dead letters the plan lists, and no other, through
// client (which must produce with acks=all and idempotence, kgo's
// defaults): key, value and the record's own headers without the
// kafka_dlt-* ones, plus HeaderReplayedFrom, to the entry's To. Batches
// and their progress (in the plan's group) commit in one transaction each;
// the progress is re-read inside each transaction, after this run's
// producer fenced any other, and a listed dead letter another run replayed
// since the plan was made is not sent again (status already-replayed). The
// plan's skipped dead letters without an original topic are marked done.
//
// It returns the outcome (a copy of the plan with each entry's status and
// the progress after the run) and nil; or a partial outcome and a
// *ReplayError when a produce or the progress commit fails (nothing after
// it is attempted; records whose produce failed are counted as Unknown).
func ExecuteReplay(ctx context.Context, client *kgo.Client, plan *ReplayPlan) (*ReplayPlan, error) {
	if plan == nil || plan.progress == nil {
		return nil, errors.New("replay plan not made by dlt.PlanReplay or dlt.BuildReplay: nothing to execute")
	}
	out := *plan
	out.Execute = true
	out.Records = append([]Entry{}, plan.Records...)
	out.Skipped = append([]Skip{}, plan.Skipped...)
	out.Warnings = append([]string(nil), plan.Warnings...)
	out.items = nil
	end := map[int32]int64{}
	for _, pp := range plan.Progress {
		end[pp.Partition] = pp.End
	}
	r := &replayer{opts: plan.opts, out: &out, adm: kadm.NewClient(client), progress: map[int32]*Progress{}, exists: map[string]error{}}
	for p, pr := range plan.progress {
		c := clone(pr)
		r.progress[p] = &c
	}
	defer func() {
		cur := map[int32]Progress{}
		for p, pr := range r.progress {
			cur[p] = *pr
		}
		out.Progress = progressOf(cur, end)
		out.progress = cur
	}()
	if len(plan.items) == 0 {
		return &out, nil
	}
	var err error
	if r.txn, err = newTxnProducer(r.opts); err != nil {
		return &out, err
	}
	defer r.txn.Close()
	defer func() {
		if r.ender != nil {
			r.ender.Close()
		}
	}()
	for _, batch := range batches(plan.items) {
		if err := ctx.Err(); err != nil {
			return &out, &ReplayError{Err: err}
		}
		if err := r.handle(ctx, batch); err != nil {
			return &out, err
		}
	}
	if r.destErr != nil {
		return &out, &ReplayError{Err: fmt.Errorf("%d dead letter(s) not sent, the others replayed: %w", r.notSent, r.destErr)}
	}
	return &out, nil
}

// batches cuts the items, in order, into transactions of at most
// maxBatchRecords records and about maxBatchBytes.
func batches(items []item) [][]item {
	var out [][]item
	start, size := 0, 0
	for i, it := range items {
		n := len(it.rec.Key) + len(it.rec.Value)
		if i > start && (i-start >= maxBatchRecords || size+n > maxBatchBytes) {
			out = append(out, items[start:i])
			start, size = i, 0
		}
		size += n
	}
	return append(out, items[start:])
}

type replayer struct {
	opts     ReplayOptions
	out      *ReplayPlan
	txn      *kgo.Client // transactional producer
	ender    *kgo.Client // EndTxn for progress-only transactions, made when needed
	dltID    [16]byte    // topic id of the DLT, once known
	notSent  int         // records whose destination does not exist
	destErr  error       // the first such destination's error
	adm      *kadm.Client
	progress map[int32]*Progress
	exists   map[string]error // destination topic → nil when it exists
}

// handle republishes a batch of the plan and commits its progress, in one
// transaction.
func (r *replayer) handle(ctx context.Context, batch []item) error {
	// Open the transaction, then re-read the progress inside it: this
	// run's producer id is loaded by then, which fenced any other run
	// with the same transactional id and completed its last transaction,
	// and that run may have committed batches since this one read the
	// progress for its plan (issue 20.3). Until this transaction ends, no
	// other run commits without fencing this one, which aborts it.
	if err := r.txn.BeginTransaction(); err != nil {
		return &ReplayError{Err: fmt.Errorf("begin transaction: %w", err)}
	}
	if err := r.refresh(ctx); err != nil {
		return &ReplayError{Err: r.abort(ctx, r.fenced(err), false)}
	}
	var sends, skipped []item
	for _, it := range batch {
		if r.progress[it.rec.Partition].IsDone(it.rec.Offset) {
			if it.entry >= 0 {
				r.out.Records[it.entry].Status = StatusAlreadyReplayed
				r.out.AlreadyReplayed++
			}
			continue
		}
		if it.entry < 0 {
			skipped = append(skipped, it)
			continue
		}
		sends = append(sends, it)
	}
	// Destinations must exist: kgo would wait for a missing topic until
	// the produce timeout. A record whose destination is missing fails on
	// its own (not marked done, so a later run can replay it); the others
	// are sent.
	kept := sends[:0]
	for _, s := range sends {
		e := &r.out.Records[s.entry]
		if err := r.destination(ctx, e.To); err != nil {
			e.Status, e.Error = StatusFailed, "not sent: "+err.Error()
			r.notSent++
			if r.destErr == nil {
				r.destErr = err
			}
			continue
		}
		kept = append(kept, s)
	}
	sends = kept
	// Check the progress would fit the commit before sending anything.
	touched := map[int32]Progress{}
	mark := func(p int32, off int64) {
		pr, ok := touched[p]
		if !ok {
			pr = clone(*r.progress[p])
		}
		pr.Mark(off)
		touched[p] = pr
	}
	for _, s := range sends {
		mark(s.rec.Partition, s.rec.Offset)
	}
	for _, s := range skipped {
		mark(s.rec.Partition, s.rec.Offset)
	}
	for p, pr := range touched {
		if md := pr.Metadata(); len(md) > maxProgressMetadata {
			err := fmt.Errorf("the replay progress of %s/%d would take %d bytes of commit metadata (at most %d): too many gaps left by filters; replay the older records first (fewer filters) or use another --group", r.opts.DLT, p, len(md), maxProgressMetadata)
			for _, s := range sends {
				r.out.Records[s.entry].Status, r.out.Records[s.entry].Error = StatusFailed, "not sent: progress would not fit"
			}
			return &ReplayError{Err: r.abort(ctx, err, false)}
		}
	}
	if len(touched) == 0 {
		return r.abort(ctx, nil, false) // nothing to do: end the empty transaction
	}

	recs := make([]*kgo.Record, len(sends))
	for i, s := range sends {
		recs[i] = republish(r.opts.DLT, r.out.Records[s.entry].To, s.rec)
	}
	// The batch and its progress commit in one transaction: a crash
	// (kill -9) before the commit leaves neither, after it both.
	if err := r.sendTxn(ctx, recs, touched); err != nil {
		err = r.fenced(err)
		unknown := 0
		state := "not written: transaction aborted"
		var ue *unknownError
		if errors.As(err, &ue) {
			unknown = len(recs)
			state = "transaction commit outcome unknown"
		}
		for _, s := range sends {
			e := &r.out.Records[s.entry]
			e.Status, e.Error = StatusFailed, state+": "+err.Error()
		}
		return &ReplayError{Err: err, Unknown: unknown}
	}
	for _, s := range sends {
		r.out.Records[s.entry].Status = StatusReplayed
		r.out.Replayed++
	}
	for p, pr := range touched {
		pr := pr
		r.progress[p] = &pr
	}
	return nil
}
func clone(p Progress) Progress {
	c := Progress{Next: p.Next, Done: make(map[int64]bool, len(p.Done))}
	for o := range p.Done {
		c.Done[o] = true
	}
	return c
}

// destination checks (once per topic) that topic exists.
func (r *replayer) destination(ctx context.Context, topic string) error {
	if err, ok := r.exists[topic]; ok {
		return err
	}
	err := checkDestination(ctx, r.adm, topic)
	r.exists[topic] = err
	return err
}

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

// republish returns the record to produce for a dead letter: its key,
// value and own headers (no kafka_dlt-* ones, no earlier
// HeaderReplayedFrom), plus HeaderReplayedFrom naming it.
func republish(dltTopic, to string, rec *kgo.Record) *kgo.Record {
	out := &kgo.Record{Topic: to, Key: rec.Key, Value: rec.Value}
	for _, h := range rec.Headers {
		if strings.HasPrefix(h.Key, "kafka_dlt-") || h.Key == HeaderReplayedFrom {
			continue
		}
		out.Headers = append(out.Headers, h)
	}
	out.Headers = append(out.Headers, kgo.RecordHeader{Key: HeaderReplayedFrom,
		Value: []byte(dltTopic + "/" + strconv.Itoa(int(rec.Partition)) + "/" + strconv.FormatInt(rec.Offset, 10))})
	return out
}
