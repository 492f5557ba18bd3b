package copy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The progress of an exactly-once copy is one committed offset of its
// group on the destination cluster, on partition 0 of the destination
// topic (the source topic may not exist there): its metadata holds the
// next source offset to copy of every source partition. It is written in
// the transaction that writes the batch, so a read_committed consumer
// sees a batch exactly when the progress past it is committed.

const progressPrefix = "kctl-copy/v1 "

// encodeProgress is the commit metadata: "kctl-copy/v1 0=12,1=40".
func encodeProgress(pr map[int32]int64) string {
	parts := make([]int32, 0, len(pr))
	for p := range pr {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	var b strings.Builder
	b.WriteString(progressPrefix)
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d=%d", p, pr[p])
	}
	return b.String()
}

// parseProgress decodes encodeProgress's metadata; anything without the
// prefix is no progress. A metadata with the prefix that does not parse is
// an error: reading it as none would copy records twice.
func parseProgress(md string) (map[int32]int64, error) {
	out := map[int32]int64{}
	rest, ok := strings.CutPrefix(md, progressPrefix)
	if !ok || rest == "" {
		return out, nil
	}
	for _, f := range strings.Split(rest, ",") {
		a, b, ok := strings.Cut(f, "=")
		p, err1 := strconv.ParseInt(a, 10, 32)
		n, err2 := strconv.ParseInt(b, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("copy progress %q: %q does not parse", md, f)
		}
		out[int32(p)] = n
	}
	return out, nil
}

// fetchProgress reads the group's progress. stable waits for a
// transaction that stages progress to end (require_stable).
func fetchProgress(ctx context.Context, adm *kadm.Client, group, dst string, stable bool) (map[int32]int64, error) {
	rctx := ctx
	if stable {
		rctx = kadm.RequireStable(ctx)
	}
	for {
		fetched, err := adm.FetchOffsets(rctx, group)
		if errors.Is(err, kerr.GroupIDNotFound) {
			return map[int32]int64{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read the progress of group %q: %w", group, err)
		}
		o, ok := fetched.Lookup(dst, 0)
		if !ok {
			return map[int32]int64{}, nil
		}
		if errors.Is(o.Err, kerr.UnstableOffsetCommit) {
			select { // a transaction staging progress is still open
			case <-ctx.Done():
				return nil, fmt.Errorf("read the progress of group %q: a transaction staging progress did not end: %w", group, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		if o.Err != nil {
			return nil, fmt.Errorf("read the progress of group %q: %w", group, o.Err)
		}
		return parseProgress(o.Metadata)
	}
}

// txnCommitProgress adds the group to txn's open transaction and stages
// the progress in it (AddOffsetsToTxn + TxnOffsetCommit, as a Java
// producer's sendOffsetsToTransaction, without group membership).
func txnCommitProgress(ctx context.Context, txn *kgo.Client, group, dst string, dstID [16]byte, pr map[int32]int64) error {
	id, epoch, err := txn.ProducerID(ctx)
	if err != nil {
		return fmt.Errorf("producer id: %w", err)
	}
	add := kmsg.NewPtrAddOffsetsToTxnRequest()
	add.TransactionalID, add.ProducerID, add.ProducerEpoch, add.Group = group, id, epoch, group
	aresp, err := add.RequestWith(ctx, txn)
	if err == nil {
		err = kerr.ErrorForCode(aresp.ErrorCode)
	}
	if err != nil {
		return fmt.Errorf("add group %q to the transaction: %w", group, err)
	}
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = group, group, id, epoch
	req.Generation, req.MemberID = -1, ""
	t := kmsg.NewTxnOffsetCommitRequestTopic()
	t.Topic, t.TopicID = dst, dstID
	pp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
	var total int64
	for _, n := range pr {
		total += n
	}
	pp.Partition, pp.Offset, pp.LeaderEpoch = 0, total, -1
	md := encodeProgress(pr)
	pp.Metadata = &md
	t.Partitions = append(t.Partitions, pp)
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, txn)
	if err != nil {
		return fmt.Errorf("commit copy progress in group %q: %w", group, err)
	}
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
				return fmt.Errorf("commit copy progress in group %q: %s/%d: %w", group, rt.Topic, rp.Partition, err)
			}
		}
	}
	return nil
}

// isFenced reports whether err says another producer took the
// transactional id: another run of the same copy took over.
func isFenced(err error) bool {
	return errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch)
}
