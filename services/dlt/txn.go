package dlt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
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
// partitions in one transaction: both are written or neither is. It
// returns nil when the transaction committed; errUnknown-wrapped error when
// the commit's outcome is unknown; any other error means the transaction
// was aborted (nothing written).
func (r *replayer) sendTxn(ctx context.Context, recs []*kgo.Record, touched map[int32]Progress) error {
	cl := r.txn
	if err := cl.BeginTransaction(); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	abort := func(cause error) error {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := cl.EndTransaction(actx, kgo.TryAbort); err != nil {
			return fmt.Errorf("%w (and aborting the transaction: %v)", cause, err)
		}
		return cause
	}
	var perr error
	for i, res := range cl.ProduceSync(ctx, recs...) {
		if res.Err != nil && perr == nil {
			perr = fmt.Errorf("republish to %q (record %d of the batch): %w", recs[i].Topic, i+1, res.Err)
		}
	}
	if perr != nil {
		return abort(perr)
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := r.txnCommitOffsets(cctx, touched); err != nil {
		return abort(err)
	}
	if err := cl.EndTransaction(cctx, kgo.TryCommit); err != nil {
		return &unknownError{fmt.Errorf("commit transaction: %w", err)}
	}
	return nil
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
