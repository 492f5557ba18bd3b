package copy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Result is what Execute did.
type Result struct {
	Plan *Plan `json:"plan" yaml:"plan"`
	// Copied counts the records written (committed, exactly once).
	Copied int64 `json:"copied" yaml:"copied"`
	// AlreadyCopied counts records read that another run had copied.
	AlreadyCopied int64 `json:"alreadyCopied,omitempty" yaml:"alreadyCopied,omitempty"`
	// Batches counts the produce batches (transactions, exactly once).
	Batches int `json:"batches" yaml:"batches"`
}

// TakenOverError is an exactly-once copy another run of the same copy
// fenced: this run's open batch was aborted; the other goes on.
type TakenOverError struct {
	Group string
	Err   error
}

func (e *TakenOverError) Error() string {
	return fmt.Sprintf("another kctl copy with progress group %s took over (it took the transactional id %s): this run stopped, its open batch was not written, the other run goes on: %v", e.Group, e.Group, e.Err)
}
func (e *TakenOverError) Unwrap() error { return e.Err }

// Clients are how Execute connects: the options of the source and
// destination clusters (seeds, TLS, SASL) and an admin client of the
// destination (exactly once: the progress).
type Clients struct {
	SrcOpts, DstOpts []kgo.Opt
	DstAdmin         *kadm.Client
}

// Execute copies plan's ranges. progress, when set, is called after each
// batch with the records copied so far. It decides nothing: what to copy
// and where is the plan's.
func Execute(ctx context.Context, plan *Plan, cls Clients, progress func(copied int64)) (*Result, error) {
	res := &Result{Plan: plan}
	offsets := map[int32]kgo.Offset{}
	end := map[int32]int64{}
	for _, pp := range plan.Partitions {
		if pp.Start < pp.End {
			offsets[pp.Partition] = kgo.NewOffset().At(pp.Start)
			end[pp.Partition] = pp.End
		}
	}
	if len(offsets) == 0 {
		return res, nil
	}
	cons, err := kgo.NewClient(append(append([]kgo.Opt{}, cls.SrcOpts...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{plan.Src: offsets}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
		kgo.FetchMaxWait(500*time.Millisecond),
		// A fetch is a batch (a transaction, exactly once): bounded, so a
		// run stopped part way loses little and a transaction stays small.
		kgo.FetchMaxBytes(4<<20),
		kgo.FetchMaxPartitionBytes(256<<10),
	)...)
	if err != nil {
		return res, fmt.Errorf("source consumer: %w", err)
	}
	defer cons.Close()
	popts := append([]kgo.Opt{}, cls.DstOpts...)
	if plan.Mapping == SamePartition {
		popts = append(popts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	} else {
		// Java's default partitioner: nil is KafkaHasher(murmur2) of the key; a null key is sticky.
		popts = append(popts, kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	}
	if plan.ExactlyOnce {
		popts = append(popts, kgo.TransactionalID(plan.Group), kgo.TransactionTimeout(time.Minute))
	}
	prod, err := kgo.NewClient(popts...)
	if err != nil {
		return res, fmt.Errorf("destination producer: %w", err)
	}
	defer prod.Close()
	var tx *txnCopier
	if plan.ExactlyOnce {
		tx = &txnCopier{prod: prod, adm: cls.DstAdmin, group: plan.Group, dst: plan.Dst}
		if err := tx.init(ctx); err != nil {
			return res, err
		}
	}
	for len(end) > 0 {
		fetches := cons.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return res, err
		}
		var ferr error
		fetches.EachError(func(t string, p int32, err error) {
			if ferr == nil {
				ferr = fmt.Errorf("fetch %s/%d: %w", t, p, err)
			}
		})
		if ferr != nil {
			return res, ferr
		}
		var batch []*kgo.Record
		var srcOffs []int64
		next := map[int32]int64{}
		fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
			e, ok := end[fp.Partition]
			if !ok {
				return
			}
			for _, r := range fp.Records {
				if r.Offset >= e { // past the range (offsets below e may be compacted away)
					next[r.Partition] = e
					break
				}
				next[r.Partition] = r.Offset + 1
				if r.Attrs.IsControl() {
					continue
				}
				out := &kgo.Record{Topic: plan.Dst, Key: r.Key, Value: r.Value, Headers: r.Headers, Timestamp: r.Timestamp, Partition: r.Partition}
				batch = append(batch, out)
				srcOffs = append(srcOffs, r.Offset)
			}
		})
		if tx != nil {
			n, skipped, err := tx.send(ctx, batch, srcOffs, next)
			res.Copied += n
			res.AlreadyCopied += skipped
			if n > 0 {
				res.Batches++
			}
			if err != nil {
				return res, err
			}
		} else if len(batch) > 0 {
			for i, r := range prod.ProduceSync(ctx, batch...) {
				if r.Err != nil {
					return res, fmt.Errorf("produce to %s/%d (source offset %d): %w; the records before it in this batch may be written", plan.Dst, batch[i].Partition, srcOffs[i], r.Err)
				}
			}
			res.Copied += int64(len(batch))
			res.Batches++
		}
		for p, n := range next {
			if n >= end[p] {
				delete(end, p)
				cons.PauseFetchPartitions(map[string][]int32{plan.Src: {p}})
			}
		}
		if progress != nil {
			progress(res.Copied)
		}
	}
	return res, nil
}

// txnCopier writes batches and the progress past them in transactions.
type txnCopier struct {
	prod  *kgo.Client
	adm   *kadm.Client
	group string
	dst   string
	dstID [16]byte
}

// init takes the transactional id (fencing another run of the same copy
// and aborting the open transaction of a run that died) and looks up the
// destination's topic id (TxnOffsetCommit v6 names the topic by id).
func (t *txnCopier) init(ctx context.Context) error {
	if _, _, err := t.prod.ProducerID(ctx); err != nil {
		return fmt.Errorf("transactional producer %s: %w", t.group, err)
	}
	td, err := t.adm.ListTopics(ctx, t.dst)
	if err != nil {
		return fmt.Errorf("topic id of %q: %w", t.dst, err)
	}
	t.dstID = td[t.dst].ID
	return nil
}

// send writes the records of batch not copied yet, by the progress
// re-read inside the transaction (require_stable), and the progress
// past them, in one transaction. It returns the records written and
// those another run had written.
func (t *txnCopier) send(ctx context.Context, batch []*kgo.Record, srcOffs []int64, next map[int32]int64) (int64, int64, error) {
	if len(batch) == 0 {
		return 0, 0, nil
	}
	id, epoch, err := t.prod.ProducerID(ctx)
	if err != nil {
		return 0, 0, t.fenced(ctx, id, epoch, fmt.Errorf("producer id: %w", err))
	}
	if err := t.prod.BeginTransaction(); err != nil {
		return 0, 0, fmt.Errorf("begin transaction: %w", err)
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	abort := func(err error) error {
		if err != nil {
			var to *TakenOverError
			if err = t.fenced(cctx, id, epoch, err); errors.As(err, &to) {
				return err // aborted already by the run that took over
			}
		}
		if aerr := t.prod.EndTransaction(cctx, kgo.TryAbort); aerr != nil {
			return fmt.Errorf("%w (and aborting the transaction: %v)", err, aerr)
		}
		return err
	}
	fresh, err := fetchProgress(cctx, t.adm, t.group, t.dst, true)
	if err != nil {
		return 0, 0, abort(err)
	}
	kept := batch[:0:0]
	for i, r := range batch {
		if srcOffs[i] >= fresh[r.Partition] {
			kept = append(kept, r)
		}
	}
	skipped := int64(len(batch) - len(kept))
	if len(kept) == 0 {
		return 0, skipped, abort(nil)
	}
	for p, n := range next {
		if n > fresh[p] {
			fresh[p] = n
		}
	}
	for i, r := range t.prod.ProduceSync(ctx, kept...) {
		if r.Err != nil {
			return 0, skipped, abort(fmt.Errorf("produce to %s/%d (record %d of the batch): %w", t.dst, kept[i].Partition, i+1, r.Err))
		}
	}
	if err := txnCommitProgress(cctx, t.prod, t.group, t.dst, t.dstID, fresh); err != nil {
		return 0, skipped, abort(err)
	}
	if err := t.prod.EndTransaction(cctx, kgo.TryCommit); err != nil {
		var to *TakenOverError
		if err := t.fenced(cctx, id, epoch, err); errors.As(err, &to) {
			return 0, skipped, err
		}
		return 0, skipped, fmt.Errorf("commit transaction (its outcome is unknown: run the copy again, it resumes from the committed progress): %w", err)
	}
	return int64(len(kept)), skipped, nil
}

// fenced returns err as a *TakenOverError when another run took the
// transactional id: a fencing error, or a broker's refusal (such as
// INVALID_TXN_STATE) while the id now has another producer id or epoch
// than this run's (id, epoch). Otherwise it returns err.
func (t *txnCopier) fenced(ctx context.Context, id int64, epoch int16, err error) error {
	if isFenced(err) {
		return &TakenOverError{Group: t.group, Err: err}
	}
	var ke *kerr.Error
	if !errors.As(err, &ke) {
		return err
	}
	d, derr := t.adm.DescribeTransactions(ctx, t.group)
	if derr != nil {
		return err
	}
	if s, ok := d[t.group]; ok && s.Err == nil && (s.ProducerID != id || s.ProducerEpoch != epoch) {
		return &TakenOverError{Group: t.group, Err: err}
	}
	return err
}
