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
	// Limit stops after this many selected records (0: no limit).
	Limit int
	// Execute republishes; otherwise the replay is a dry run.
	Execute bool
	// ClientOpts connect the reading client Replay makes (seed brokers,
	// TLS, SASL, timeouts).
	ClientOpts []kgo.Opt
	// IdleTimeout ends the reading when no record arrives for this long
	// although the end offsets seen at start are not reached (records
	// removed by compaction, transaction markers at the end). Default 5s.
	IdleTimeout time.Duration
}

// ReplayPlan is a replay's plan and, once executed, its outcome: the dead
// letters selected (the plan), and the counts of the others.
type ReplayPlan struct {
	DLT     string `json:"dlt" yaml:"dlt"`
	Group   string `json:"group" yaml:"group"`
	Execute bool   `json:"execute" yaml:"execute"`
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
	// Status is planned (dry run), replayed, or failed.
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
// is in the Replay and its progress committed.
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
	return true
}

// Replay reads the dead letters of opts.DLT from the replay group's
// progress up to the end offsets seen at start, and selects those that
// pass the filters and were not replayed before. A dry run stops there:
// the Replay is the plan. With Execute, each batch read is republished
// through producer (which must produce with acks=all and idempotence,
// kgo's defaults): key, value and the record's own headers without the
// kafka_dlt-* ones, plus HeaderReplayedFrom, to the original topic (or
// opts.To); once every record of the batch is acknowledged, the progress
// is committed in opts.Group. A record without the original-topic header
// is never sent: it is listed in Skipped and, when executing, marked done.
// Records the filters leave out are not marked done: a later run with
// other filters can still replay them.
//
// It returns the Replay and nil; or a partial Replay and a *ReplayError
// when a produce or the progress commit fails (nothing after it is
// attempted; records whose produce failed are counted as Unknown); or nil
// and an error when the topic, its offsets or the progress cannot be read.
func Replay(ctx context.Context, producer *kgo.Client, opts ReplayOptions) (*ReplayPlan, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	adm := kadm.NewClient(producer)
	out := &ReplayPlan{DLT: opts.DLT, Group: opts.Group, Execute: opts.Execute, Records: []Entry{}, Skipped: []Skip{}, Progress: []PartitionProgress{}}

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
	progress := map[int32]*Progress{}
	end := map[int32]int64{}
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
		progress[p] = &pr
		end[p] = eo.Offset
		if pr.Next < eo.Offset {
			from[p] = kgo.NewOffset().At(pr.Next)
		}
	}
	defer func() {
		for p, pr := range progress {
			out.Progress = append(out.Progress, PartitionProgress{Partition: p, Next: pr.Next, DoneAbove: len(pr.Done), End: end[p]})
		}
		sort.Slice(out.Progress, func(i, j int) bool { return out.Progress[i].Partition < out.Progress[j].Partition })
	}()
	if len(from) == 0 {
		return out, nil
	}

	rd, err := kgo.NewClient(append(append([]kgo.Opt{}, opts.ClientOpts...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{opts.DLT: from}),
		kgo.FetchMaxWait(200*time.Millisecond),
	)...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	defer rd.Close()

	r := &replayer{opts: opts, out: out, producer: producer, adm: adm, progress: progress, exists: map[string]error{}}
	if opts.Execute {
		if r.txn, err = newTxnProducer(opts); err != nil {
			return nil, err
		}
		defer r.txn.Close()
		defer func() {
			if r.ender != nil {
				r.ender.Close()
			}
		}()
	}
	remaining := len(from)
	reached := map[int32]bool{}
	idle := time.Now()
	for remaining > 0 && !r.full() {
		pctx, cancel := context.WithTimeout(ctx, opts.IdleTimeout)
		fs := rd.PollFetches(pctx)
		cancel()
		if err := ctx.Err(); err != nil {
			return out, err
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && ferr == nil {
				ferr = fmt.Errorf("read %s/%d: %w", t, p, err)
			}
		})
		if ferr != nil {
			return out, ferr
		}
		var batch []*kgo.Record
		fs.EachRecord(func(rec *kgo.Record) {
			if rec.Offset >= end[rec.Partition] || reached[rec.Partition] {
				return
			}
			if rec.Offset >= end[rec.Partition]-1 {
				reached[rec.Partition] = true
				remaining--
			}
			batch = append(batch, rec)
		})
		if len(batch) == 0 {
			if time.Since(idle) >= opts.IdleTimeout {
				out.Warnings = append(out.Warnings, fmt.Sprintf("stopped reading %s after %s without a record, before the end offsets seen at start (compacted or aborted records at the end?)", opts.DLT, opts.IdleTimeout))
				break
			}
			continue
		}
		idle = time.Now()
		if err := r.handle(ctx, batch); err != nil {
			return out, err
		}
	}
	if r.full() && remaining > 0 {
		out.Truncated = true
	}
	if r.destErr != nil {
		return out, &ReplayError{Err: fmt.Errorf("%d dead letter(s) not sent, the others replayed: %w", r.notSent, r.destErr)}
	}
	return out, nil
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

type replayer struct {
	opts     ReplayOptions
	out      *ReplayPlan
	producer *kgo.Client
	txn      *kgo.Client // transactional producer (Execute)
	ender    *kgo.Client // EndTxn for progress-only transactions, made when needed
	dltID    [16]byte    // topic id of the DLT, once known
	notSent  int         // records whose destination does not exist
	destErr  error       // the first such destination's error
	adm      *kadm.Client
	progress map[int32]*Progress
	exists   map[string]error // destination topic → nil when it exists
}

func (r *replayer) full() bool { return r.opts.Limit > 0 && len(r.out.Records) >= r.opts.Limit }

type send struct {
	idx int // in out.Records
	rec *kgo.Record
}

// handle selects the batch's records and, when executing, republishes
// them and commits the progress.
func (r *replayer) handle(ctx context.Context, batch []*kgo.Record) error {
	if !r.opts.Execute {
		sends, _ := r.selectBatch(batch)
		for _, s := range sends {
			to := r.out.Records[s.idx].To
			if _, seen := r.exists[to]; seen {
				continue
			}
			if err := r.destination(ctx, to); err != nil {
				r.out.Warnings = append(r.out.Warnings, err.Error())
			}
		}
		return nil
	}
	// Open the transaction, then re-read the progress inside it: this
	// run's producer id is loaded by then, which fenced any other run
	// with the same transactional id and completed its last transaction,
	// and that run may have committed batches since this one read the
	// progress at its start (issue 20.3). Until this transaction ends, no
	// other run commits without fencing this one, which aborts it.
	if err := r.txn.BeginTransaction(); err != nil {
		return &ReplayError{Err: fmt.Errorf("begin transaction: %w", err)}
	}
	if err := r.refresh(ctx); err != nil {
		return &ReplayError{Err: r.abort(ctx, r.fenced(err), false)}
	}
	sends, skipped := r.selectBatch(batch)
	// Destinations must exist: kgo would wait for a missing topic until
	// the produce timeout. A record whose destination is missing fails on
	// its own (not marked done, so a later run can replay it); the others
	// are sent.
	kept := sends[:0]
	for _, s := range sends {
		to := r.out.Records[s.idx].To
		if err := r.destination(ctx, to); err != nil {
			r.out.Records[s.idx].Status = "failed"
			r.out.Records[s.idx].Error = "not sent: " + err.Error()
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
	for _, rec := range skipped {
		mark(rec.Partition, rec.Offset)
	}
	for p, pr := range touched {
		if md := pr.Metadata(); len(md) > maxProgressMetadata {
			err := fmt.Errorf("the replay progress of %s/%d would take %d bytes of commit metadata (at most %d): too many gaps left by filters; replay the older records first (fewer filters) or use another --group", r.opts.DLT, p, len(md), maxProgressMetadata)
			for _, s := range sends {
				r.out.Records[s.idx].Status, r.out.Records[s.idx].Error = "failed", "not sent: progress would not fit"
			}
			return &ReplayError{Err: r.abort(ctx, err, false)}
		}
	}
	if len(touched) == 0 {
		return r.abort(ctx, nil, false) // nothing to do: end the empty transaction
	}

	recs := make([]*kgo.Record, len(sends))
	for i, s := range sends {
		recs[i] = republish(r.opts.DLT, r.out.Records[s.idx].To, s.rec)
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
			e := &r.out.Records[s.idx]
			e.Status, e.Error = "failed", state+": "+err.Error()
		}
		return &ReplayError{Err: err, Unknown: unknown}
	}
	for _, s := range sends {
		r.out.Records[s.idx].Status = "replayed"
		r.out.Replayed++
	}
	for p, pr := range touched {
		pr := pr
		r.progress[p] = &pr
	}
	return nil
}

// selectBatch adds the batch's records to the plan by the progress: those
// not done that pass the filters are to be sent, those naming no original
// topic to be marked done.
func (r *replayer) selectBatch(batch []*kgo.Record) (sends []send, skipped []*kgo.Record) {
	for _, rec := range batch {
		if r.full() {
			r.out.Truncated = true
			break
		}
		pr := r.progress[rec.Partition]
		if pr.IsDone(rec.Offset) {
			r.out.AlreadyReplayed++
			continue
		}
		in, perr := Parse(rec.Headers)
		if in.OriginalTopic == "" {
			r.out.Skipped = append(r.out.Skipped, Skip{Partition: rec.Partition, Offset: rec.Offset, Reason: "no " + HeaderOriginalTopic + " header: the original topic is unknown"})
			skipped = append(skipped, rec)
			continue
		}
		if in.OriginalTopic == r.opts.DLT && r.opts.To == "" {
			r.out.Skipped = append(r.out.Skipped, Skip{Partition: rec.Partition, Offset: rec.Offset, Reason: "its original topic is the dead-letter topic itself: give --to"})
			continue // not done: a run with --to can replay it
		}
		if !r.opts.keep(rec, in) {
			r.out.FilteredOut++
			continue
		}
		e := Entry{Partition: rec.Partition, Offset: rec.Offset, Timestamp: rec.Timestamp.UTC(), Info: in, To: in.OriginalTopic, Status: "planned"}
		e.Key, e.KeyEncoding = codec.EncodeBytes(rec.Key)
		if r.opts.To != "" {
			e.To = r.opts.To
		}
		if perr != nil {
			e.HeaderProblem = perr.Error()
		}
		r.out.Records = append(r.out.Records, e)
		sends = append(sends, send{idx: len(r.out.Records) - 1, rec: rec})
	}
	return sends, skipped
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
	td, err := r.adm.ListTopics(ctx, topic)
	if err == nil {
		if d, ok := td[topic]; !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
			err = fmt.Errorf("destination topic %q does not exist: create it (kctl apply) or choose another with --to", topic)
		} else if d.Err != nil {
			err = fmt.Errorf("destination topic %q: %w", topic, d.Err)
		}
	} else {
		err = fmt.Errorf("metadata of destination topic %q: %w", topic, err)
	}
	r.exists[topic] = err
	return err
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
