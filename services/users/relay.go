package users

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kctl/kctl/internal/platform/backoff"
	"github.com/twmb/franz-go/pkg/kgo"
)

// relay publishes pending outbox rows to Kafka, oldest first, and marks
// each one sent once the broker has acknowledged it (acks=all, idempotent
// producer). A row whose publish fails stays pending and is retried with
// exponential backoff; rows are never deleted, so a restart resumes where
// the last run stopped.
type relay struct {
	s        *Service
	notify   chan struct{} // a sign-up was committed
	stopping chan struct{} // closed: publish what is pending, then return
	done     chan struct{}
}

func newRelay(s *Service) *relay {
	return &relay{s: s, notify: make(chan struct{}, 1), stopping: make(chan struct{}), done: make(chan struct{})}
}

// wake tells the relay a row was committed. It never blocks.
func (r *relay) wake() {
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// run publishes until hard is done, or — once stopping is closed — until
// nothing is pending.
func (r *relay) run(hard context.Context) {
	defer close(r.done)
	cfg := r.s.cfg
	log := r.s.log
	retry := backoff.New(backoff.Policy{Initial: cfg.RelayMinBackoff, Max: cfg.RelayMaxBackoff})
	failing := false
	if n, err := r.s.reconcile(hard); n > 0 || err != nil {
		if n > 0 {
			log.Warn("outbox relay: pending rows were already on the topic (published by a run that died before marking them); marked sent, not published again", "rows", n)
		}
		if err != nil && hard.Err() == nil {
			log.Warn("outbox relay: cannot check which pending rows are already on the topic; those may be published twice (consumers deduplicate by eventId)", "err", err)
		}
	}
	for {
		draining := closed(r.stopping)
		n, err := r.publishBatch(hard)
		if hard.Err() != nil {
			return
		}
		if err != nil {
			wait := retry.Next()
			if !failing {
				log.Warn("outbox relay: publish failed; the rows stay pending and are retried with backoff", "err", err, "backoff", wait)
			} else {
				log.Debug("outbox relay: publish still failing", "err", err, "backoff", wait)
			}
			failing = true
			if !backoff.Sleep(hard, wait) {
				return
			}
			continue
		}
		if failing {
			log.Info("outbox relay: publishing again", "published", n)
			failing = false
		}
		retry.Reset()
		if n == cfg.RelayBatch {
			continue // more may be pending
		}
		if draining {
			// Every sign-up answered before the stop was committed before
			// this batch was read, and this batch left nothing behind.
			return
		}
		t := time.NewTimer(cfg.RelayPollInterval)
		select {
		case <-r.notify:
		case <-t.C:
		case <-r.stopping:
		case <-hard.Done():
			t.Stop()
			return
		}
		t.Stop()
	}
}

func closed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// publishBatch publishes up to RelayBatch pending rows in id order and marks
// the acknowledged ones sent. It returns how many rows it read and, when any
// row failed, the first error (those rows stay pending).
func (r *relay) publishBatch(ctx context.Context) (int, error) {
	s := r.s
	rows, err := s.pendingRows(ctx, s.cfg.RelayBatch)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	errs := make([]error, len(rows))
	var wg sync.WaitGroup
	wg.Add(len(rows))
	for i := range rows {
		row := &rows[i]
		rec := &kgo.Record{Topic: row.topic, Key: row.key, Value: row.payload}
		s.cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
			errs[i] = err
			wg.Done()
		})
	}
	waitAcks(&wg, func(waited time.Duration) {
		s.log.Warn("outbox relay: Kafka has not acknowledged the batch yet; its rows stay pending and the client keeps retrying",
			"rows", len(rows), "waited", waited.Round(time.Second))
	})

	now := s.cfg.Now()
	ok := make([]int64, 0, len(rows))
	var first error
	failed := 0
	for i, row := range rows {
		if errs[i] != nil {
			failed++
			if first == nil {
				first = fmt.Errorf("publish event %s to %s: %w", row.eventID, row.topic, errs[i])
			}
			continue
		}
		ok = append(ok, row.id)
		s.m.publishLatency.Observe(now.Sub(time.Unix(0, row.createdAt)).Seconds())
	}
	// Mark with a context that outlives a hard stop: these rows are on the
	// broker, and leaving them pending would publish them twice.
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.markSent(mctx, ok, now); err != nil {
		// They will be published again; consumers deduplicate by eventId.
		s.log.Error("outbox relay: rows published but not marked sent; they will be published again", "rows", len(ok), "err", err)
		return len(rows), err
	}
	s.m.published.Add(float64(len(ok)))
	if failed > 0 {
		s.m.publishErrors.Add(float64(failed))
		if errors.Is(first, context.Canceled) && ctx.Err() != nil {
			return len(rows), ctx.Err()
		}
		return len(rows), first
	}
	return len(rows), nil
}

// waitAcks waits for wg, calling slow after 5s and then every 30s of
// waiting: while brokers are down the client retries on its own and no
// record fails, so this is how the outage shows in the logs.
func waitAcks(wg *sync.WaitGroup, slow func(time.Duration)) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	start := time.Now()
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			slow(time.Since(start))
			t.Reset(30 * time.Second)
		}
	}
}
