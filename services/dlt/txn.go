package dlt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// TransactionalID is the transactional id a replay of dlt with progress in
// group produces under: a run restarted after a crash takes the same id,
// which fences the dead run and aborts its open transaction.
func TransactionalID(group, dlt string) string { return "kctl-dlt-replay/" + group + "/" + dlt }

// newTxnProducer returns a transactional producer for the replay.
func newTxnProducer(opts ReplayOptions) (*kgo.Client, error) {
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, opts.ClientOpts...),
		kgo.TransactionalID(TransactionalID(opts.Group, opts.DLT)),
		kgo.TransactionTimeout(time.Minute),
	)...)
	if err != nil {
		return nil, fmt.Errorf("transactional producer: %w", err)
	}
	return cl, nil
}

// sendTxn republishes recs and commits the progress of the touched
// partitions in the transaction handle opened: both are written or
// neither is. It returns nil when the transaction committed; an
// *unknownError when the commit's outcome is unknown; any other error
// means the transaction was aborted (nothing written).
func (r *replayer) sendTxn(ctx context.Context, recs []*kgo.Record, touched map[int32]Progress) error {
	cl := r.txn
	id, epoch, err := cl.ProducerID(ctx) // loaded by refresh
	if err != nil {
		return r.abort(ctx, r.fenced(fmt.Errorf("producer id: %w", err)), false)
	}
	// Without records (only dead letters marked done), kgo does not know
	// of the transaction: its EndTxn goes out raw.
	raw := len(recs) == 0
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	// fail ends a failed transaction: a broker's refusal because another
	// run took the transactional id means this one is aborted already.
	fail := func(err error, commit bool) error {
		var ke *kerr.Error
		if errors.As(err, &ke) || isFenced(err) {
			if d, derr := r.adm.DescribeTransactions(cctx, TransactionalID(r.opts.Group, r.opts.DLT)); derr == nil {
				if t, ok := d[TransactionalID(r.opts.Group, r.opts.DLT)]; ok && t.Err == nil && (t.ProducerID != id || t.ProducerEpoch != epoch) {
					return &takenOverError{r.tookOver(err)}
				}
			}
		}
		if commit {
			return &unknownError{fmt.Errorf("commit transaction: %w", err)}
		}
		return r.abort(ctx, r.fenced(err), raw)
	}
	var perr error
	for i, res := range cl.ProduceSync(ctx, recs...) {
		if res.Err != nil && perr == nil {
			perr = fmt.Errorf("republish to %q (record %d of the batch): %w", recs[i].Topic, i+1, res.Err)
		}
	}
	if perr != nil {
		return fail(perr, false)
	}
	if err := r.txnCommitOffsets(cctx, touched); err != nil {
		return fail(err, false)
	}
	if raw {
		if err := r.endRaw(cctx, true); err != nil {
			return fail(err, true)
		}
		_ = cl.EndTransaction(cctx, kgo.TryCommit) // ends kgo's (to it empty) transaction: no request
		return nil
	}
	if err := cl.EndTransaction(cctx, kgo.TryCommit); err != nil {
		return fail(err, true)
	}
	return nil
}

// takenOverError: another run took the transactional id; this run's
// transaction was aborted by it (nothing of it written).
type takenOverError struct{ error }

func (e *takenOverError) Unwrap() error { return e.error }

// abort ends the open transaction without committing it and returns
// cause (nil: the transaction was empty), with the abort's own error if it
// fails. raw: progress may be staged in it that kgo does not know of.
// A run another run fenced does not abort: its transaction is aborted
// already, and kgo's abort would take a new producer epoch, fencing the
// run that took over.
func (r *replayer) abort(ctx context.Context, cause error, raw bool) error {
	var to *takenOverError
	if isFenced(cause) || errors.As(cause, &to) {
		return cause
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var errs []error
	if raw {
		if err := r.endRaw(actx, false); err != nil {
			errs = append(errs, err)
		}
	}
	if err := r.txn.EndTransaction(actx, kgo.TryAbort); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return cause
	}
	if cause == nil {
		return fmt.Errorf("end transaction: %w", errors.Join(errs...))
	}
	return fmt.Errorf("%w (and aborting the transaction: %v)", cause, errors.Join(errs...))
}

// endRaw sends EndTxn for a transaction kgo does not know of (it holds
// only progress). It is pinned to v4: v5 (KIP-890) would bump the
// producer epoch behind kgo's back.
func (r *replayer) endRaw(ctx context.Context, commit bool) error {
	if r.ender == nil {
		v := kversion.Stable()
		v.SetMaxKeyVersion(int16(kmsg.EndTxn), 4)
		cl, err := kgo.NewClient(append(append([]kgo.Opt{}, r.opts.ClientOpts...), kgo.MaxVersions(v))...)
		if err != nil {
			return fmt.Errorf("kafka client: %w", err)
		}
		r.ender = cl
	}
	id, epoch, err := r.txn.ProducerID(ctx)
	if err != nil {
		return fmt.Errorf("producer id: %w", err)
	}
	req := kmsg.NewPtrEndTxnRequest()
	req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = TransactionalID(r.opts.Group, r.opts.DLT), id, epoch, commit
	resp, err := req.RequestWith(ctx, r.ender)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
	}
	if err != nil {
		return fmt.Errorf("end transaction (commit %v): %w", commit, err)
	}
	return nil
}

// isFenced reports whether err says another producer took this run's
// transactional id.
func isFenced(err error) bool {
	return errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch)
}

// fenced explains a fencing error: another run took over.
func (r *replayer) fenced(err error) error {
	var to *takenOverError
	if !isFenced(err) || errors.As(err, &to) {
		return err
	}
	return &takenOverError{r.tookOver(err)}
}

func (r *replayer) tookOver(err error) error {
	return fmt.Errorf("another kctl dlt replay of %s with group %s took over (it took the transactional id %s): this run stopped, this batch was not written, the other run goes on: %w",
		r.opts.DLT, r.opts.Group, TransactionalID(r.opts.Group, r.opts.DLT), err)
}

// refresh re-reads the group's committed progress (require-stable: it
// waits for a transaction that stages progress to end) and merges it into
// r.progress. handle calls it inside the transaction, once the producer
// id is loaded.
func (r *replayer) refresh(ctx context.Context) error {
	if _, _, err := r.txn.ProducerID(ctx); err != nil {
		return fmt.Errorf("producer id: %w", err)
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		fetched, err := r.adm.FetchOffsets(kadm.RequireStable(rctx), r.opts.Group)
		if errors.Is(err, kerr.GroupIDNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("re-read the progress of group %q: %w", r.opts.Group, err)
		}
		fresh := map[int32]Progress{}
		unstable := false
		for p := range r.progress {
			o, ok := fetched.Lookup(r.opts.DLT, p)
			if !ok {
				continue
			}
			if errors.Is(o.Err, kerr.UnstableOffsetCommit) {
				unstable = true
				break
			}
			if o.Err != nil {
				return fmt.Errorf("re-read the progress of group %q on %s/%d: %w", r.opts.Group, r.opts.DLT, p, o.Err)
			}
			if o.At < 0 {
				continue
			}
			pr, err := ParseProgress(o.At, o.Metadata)
			if err != nil {
				return err
			}
			fresh[p] = pr
		}
		if !unstable {
			for p, pr := range fresh {
				r.progress[p].Merge(pr)
			}
			return nil
		}
		select { // a transaction staging progress is still open
		case <-rctx.Done():
			return fmt.Errorf("re-read the progress of group %q: a transaction staging progress did not end: %w", r.opts.Group, rctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

type unknownError struct{ error }

func (e *unknownError) Unwrap() error { return e.error }

// txnCommitOffsets adds the replay group to the open transaction and
// stages the progress (offset and metadata) of the touched partitions in
// it (AddOffsetsToTxn + TxnOffsetCommit, as a Java producer's
// sendOffsetsToTransaction does, without group membership).
func (r *replayer) txnCommitOffsets(ctx context.Context, touched map[int32]Progress) error {
	id, epoch, err := r.txn.ProducerID(ctx)
	if err != nil {
		return fmt.Errorf("producer id: %w", err)
	}
	txnID := TransactionalID(r.opts.Group, r.opts.DLT)
	add := kmsg.NewPtrAddOffsetsToTxnRequest()
	add.TransactionalID, add.ProducerID, add.ProducerEpoch, add.Group = txnID, id, epoch, r.opts.Group
	aresp, err := add.RequestWith(ctx, r.txn)
	if err != nil {
		return fmt.Errorf("add group %q to the transaction: %w", r.opts.Group, err)
	}
	if err := kerr.ErrorForCode(aresp.ErrorCode); err != nil {
		return fmt.Errorf("add group %q to the transaction: %w", r.opts.Group, err)
	}
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = txnID, r.opts.Group, id, epoch
	req.Generation, req.MemberID = -1, ""
	t := kmsg.NewTxnOffsetCommitRequestTopic()
	t.Topic = r.opts.DLT
	if r.dltID == ([16]byte{}) { // v6 names the topic by id
		td, err := r.adm.ListTopics(ctx, r.opts.DLT)
		if err != nil {
			return fmt.Errorf("topic id of %q: %w", r.opts.DLT, err)
		}
		r.dltID = td[r.opts.DLT].ID
	}
	t.TopicID = r.dltID
	for p, pr := range touched {
		pp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
		pp.Partition, pp.Offset, pp.LeaderEpoch = p, pr.Next, -1
		md := pr.Metadata()
		pp.Metadata = &md
		t.Partitions = append(t.Partitions, pp)
	}
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, r.txn)
	if err != nil {
		return fmt.Errorf("commit replay progress in group %q: %w", r.opts.Group, err)
	}
	var errs []error
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
				errs = append(errs, fmt.Errorf("%s/%d: %w", rt.Topic, rp.Partition, err))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("commit replay progress in group %q: %w", r.opts.Group, errors.Join(errs...))
	}
	return nil
}
