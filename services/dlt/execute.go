package dlt

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
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
	sends, skipped := r.sort(ctx, batch)
	// Check the progress would fit the commit before sending anything.
	touched := r.marked(sends, skipped)
	if err := r.fits(touched); err != nil {
		for _, s := range sends {
			r.out.Records[s.entry].Status, r.out.Records[s.entry].Error = StatusFailed, "not sent: progress would not fit"
		}
		return &ReplayError{Err: r.abort(ctx, err, false)}
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

// sort returns the records of batch to send and those to skip (filtered
// out), leaving out those already replayed (by another run) and those
// whose destination is missing (failed on their own: not marked done, so
// that a later run can replay them).
func (r *replayer) sort(ctx context.Context, batch []item) (sends, skipped []item) {
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
	return sends, skipped
}

// marked returns the progress of each partition of sends and skipped with
// their offsets marked done.
func (r *replayer) marked(sends, skipped []item) map[int32]Progress {
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
	return touched
}

// fits returns an error when the progress of a partition in touched would
// not fit the commit's metadata.
func (r *replayer) fits(touched map[int32]Progress) error {
	for p, pr := range touched {
		if md := pr.Metadata(); len(md) > maxProgressMetadata {
			return fmt.Errorf("the replay progress of %s/%d would take %d bytes of commit metadata (at most %d): too many gaps left by filters; replay the older records first (fewer filters) or use another --group", r.opts.DLT, p, len(md), maxProgressMetadata)
		}
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
