package users

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// reconcileTimeout bounds the start-up look for pending rows already on
// the topic; past it the rest are published again (at least once).
const reconcileTimeout = 30 * time.Second

// reconcile runs once before the relay's first batch. A run killed after
// Kafka acknowledged a batch but before its rows were marked sent left them
// pending; publishing them again would put their events on the topic twice.
// The relay publishes oldest first, one batch at a time, so only the oldest
// RelayBatch pending rows can be such rows: reconcile reads the topic from
// the oldest one's creation time (records are produced after their row is
// written) to the end, marks sent the rows whose eventId it finds, and
// returns how many. It returns the error that stopped it; rows it did not
// find stay pending and are published as usual.
func (s *Service) reconcile(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, reconcileTimeout)
	defer cancel()
	rows, err := s.pendingRows(ctx, s.cfg.RelayBatch)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	want := make(map[string]int64, len(rows)) // eventId → outbox row id
	oldest := rows[0].createdAt
	topics := map[string]bool{}
	for _, r := range rows {
		want[r.eventID] = r.id
		oldest = min(oldest, r.createdAt)
		topics[r.topic] = true
	}
	from := time.Unix(0, oldest).Add(-time.Second).UnixMilli() // a second for clock steps
	var found []int64
	for topic := range topics {
		ids, err := s.findPublished(ctx, topic, from, want)
		found = append(found, ids...)
		if err != nil {
			return s.markFound(found, err)
		}
	}
	return s.markFound(found, nil)
}

func (s *Service) markFound(ids []int64, cause error) (int, error) {
	if len(ids) == 0 {
		return 0, cause
	}
	mctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.markSent(mctx, ids, s.cfg.Now()); err != nil {
		return 0, err
	}
	return len(ids), cause
}

// findPublished reads topic from the first offset at or after the
// millisecond timestamp from to its end offsets, and returns the outbox row
// ids of want whose eventId it reads.
func (s *Service) findPublished(ctx context.Context, topic string, from int64, want map[string]int64) ([]int64, error) {
	adm := kadm.NewClient(s.cl)
	starts, err := adm.ListOffsetsAfterMilli(ctx, from, topic)
	if err != nil {
		return nil, fmt.Errorf("list offsets of %s after %d: %w", topic, from, err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("list end offsets of %s: %w", topic, err)
	}
	parts := map[int32]kgo.Offset{}
	left := map[int32]int64{} // partition → end offset still to reach
	starts.Each(func(o kadm.ListedOffset) {
		if o.Err != nil || o.Topic != topic {
			return
		}
		end, ok := ends.Lookup(topic, o.Partition)
		if !ok || end.Err != nil || o.Offset < 0 || o.Offset >= end.Offset {
			return
		}
		parts[o.Partition] = kgo.NewOffset().At(o.Offset)
		left[o.Partition] = end.Offset
	})
	if len(parts) == 0 {
		return nil, nil
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(s.cfg.Brokers...)}, append(s.cfg.KafkaOpts,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts}))...)...)
	if err != nil {
		return nil, fmt.Errorf("reader of %s: %w", topic, err)
	}
	defer cl.Close()
	var ids []int64
	for len(left) > 0 {
		// An end offset no record reaches (compacted away) must not hold
		// the start: a poll that brings nothing for 2s ends the read.
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		fs := cl.PollFetches(pctx)
		pcancel()
		if ctx.Err() != nil {
			return ids, fmt.Errorf("read %s: %w", topic, ctx.Err())
		}
		if fs.NumRecords() == 0 && pctx.Err() != nil {
			return ids, nil
		}
		fs.EachRecord(func(r *kgo.Record) {
			var ev struct {
				EventID string `json:"eventId"`
			}
			if json.Unmarshal(r.Value, &ev) == nil {
				if id, ok := want[ev.EventID]; ok {
					ids = append(ids, id)
					delete(want, ev.EventID)
				}
			}
			if end, ok := left[r.Partition]; ok && r.Offset+1 >= end {
				delete(left, r.Partition)
			}
		})
	}
	return ids, nil
}
