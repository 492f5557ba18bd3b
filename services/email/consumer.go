package email

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/kctl/kctl/internal/platform/backoff"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Queue bounds per partition: above highWater records waiting, fetching
// that partition pauses (kgo drops and later refetches what it buffered for
// it); below lowWater it resumes. A batch (one in-flight record, one log
// transaction) holds minBatch..maxBatch records; maxPoll bounds one poll.
const (
	highWater = 20000
	lowWater  = 5000
	maxBatch  = 5000
	minBatch  = 1
	maxPoll   = 10000
)

// dbRetry paces the retries of a database write and of a dead-letter
// publish: from 100ms, doubling, capped at 5s.
var dbRetry = backoff.Policy{Initial: 100 * time.Millisecond, Max: 5 * time.Second}

type tp struct {
	topic     string
	partition int32
}

// worker handles one assigned partition, in order, in its own goroutine.
type worker struct {
	s      *Service
	tp     tp
	dlt    bool // a partition of the dead-letter topic: the dead-letter listener
	mu     sync.Mutex
	queue  []*kgo.Record
	paused bool
	batch  int // records per batch, adapted to how fast they are handled
	wake   chan struct{}
	stop   chan struct{} // closed: finish the record in hand, then return
	done   chan struct{}
}

func (s *Service) newWorker(t tp) *worker {
	return &worker{
		s: s, tp: t, dlt: t.topic == s.cfg.DLTTopic, batch: 100,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
}

func (w *worker) stopping() bool {
	select {
	case <-w.stop:
		return true
	default:
		return false
	}
}

// push queues polled records; it never blocks. A long queue pauses fetching.
func (w *worker) push(recs []*kgo.Record) {
	w.mu.Lock()
	w.queue = append(w.queue, recs...)
	pause := !w.paused && len(w.queue) >= highWater
	if pause {
		w.paused = true
	}
	w.mu.Unlock()
	if pause {
		w.s.log.Debug("partition queue full; pausing its fetches", "topic", w.tp.topic, "partition", w.tp.partition)
		w.s.consumer.PauseFetchPartitions(map[string][]int32{w.tp.topic: {w.tp.partition}})
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// take returns up to w.batch queued records, waiting for some; nil once
// stop is closed.
func (w *worker) take() []*kgo.Record {
	for {
		if w.stopping() {
			return nil
		}
		w.mu.Lock()
		if n := min(len(w.queue), w.batch); n > 0 {
			recs := w.queue[:n:n]
			w.queue = w.queue[n:]
			if len(w.queue) == 0 {
				w.queue = nil
			}
			resume := w.paused && len(w.queue) < lowWater
			if resume {
				w.paused = false
			}
			w.mu.Unlock()
			if resume {
				w.s.log.Debug("resuming fetches", "topic", w.tp.topic, "partition", w.tp.partition)
				w.s.consumer.ResumeFetchPartitions(map[string][]int32{w.tp.topic: {w.tp.partition}})
			}
			return recs
		}
		w.mu.Unlock()
		select {
		case <-w.wake:
		case <-w.stop:
			return nil
		}
	}
}

func (w *worker) run() {
	defer close(w.done)
	for {
		recs := w.take()
		if recs == nil {
			return
		}
		if w.dlt {
			w.s.handleDeadLetters(w, recs)
			continue
		}
		start := time.Now()
		w.s.handleEvents(w, recs)
		took := time.Since(start)
		w.adapt(len(recs), took)
		w.s.log.Debug("batch handled", "partition", w.tp.partition, "records", len(recs), "took", took, "next_batch", w.batch)
	}
}

// adapt sizes the next batch (one in-flight record; each outcome is still
// written as it is known, so the batch size does not widen what a crash
// leaves ambiguous). Fast sends grow it (up to maxBatch, for throughput);
// slow ones shrink it, so a batch spans about a second of sending.
func (w *worker) adapt(n int, took time.Duration) {
	switch {
	case n >= w.batch && took < 250*time.Millisecond:
		w.batch = min(2*w.batch, maxBatch)
	case took > time.Second:
		w.batch = max(w.batch/2, minBatch)
	}
}

// sleep waits d; it returns false if the worker is told to stop first.
func (w *worker) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-w.stop:
		return false
	case <-w.s.hard.Done():
		return false
	}
}

// poll fetches and hands each partition's records to its worker until ctx
// is done.
// fetchWarnEvery bounds how often a fetch error is logged as a warning.
const fetchWarnEvery = 30 * time.Second

func (s *Service) poll(ctx context.Context) {
	var lastErr string
	var lastWarn time.Time
	for {
		fs := s.consumer.PollRecords(ctx, maxPoll)
		if fs.IsClientClosed() || ctx.Err() != nil {
			return
		}
		fs.EachError(func(t string, p int32, err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			// While Kafka is down the same failure repeats with other
			// addresses in it: warn once per fetchWarnEvery, debug otherwise.
			if err.Error() == lastErr || time.Since(lastWarn) < fetchWarnEvery {
				s.log.Debug("fetch error", "topic", t, "partition", p, "err", err)
				return
			}
			lastErr, lastWarn = err.Error(), time.Now()
			s.log.Warn("fetch error (repeats are logged at debug level for a while)", "topic", t, "partition", p, "err", err)
		})
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			if len(p.Records) == 0 {
				return
			}
			s.m.consumed.WithLabelValues(p.Topic).Add(float64(len(p.Records)))
			k := tp{p.Topic, p.Partition}
			s.mu.Lock()
			w := s.workers[k]
			if w == nil {
				// Cannot happen with BlockRebalanceOnPoll: records come
				// only for assigned partitions. Never drop them.
				w = s.newWorker(k)
				s.workers[k] = w
				go w.run()
			}
			s.mu.Unlock()
			w.push(p.Records)
		})
		s.consumer.AllowRebalance()
	}
}

func (s *Service) assigned(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for topic, ps := range m {
		for _, p := range ps {
			k := tp{topic, p}
			if s.workers[k] != nil {
				continue
			}
			w := s.newWorker(k)
			s.workers[k] = w
			go w.run()
		}
	}
	s.log.Info("partitions assigned", "partitions", m)
}

func (s *Service) revoked(ctx context.Context, cl *kgo.Client, m map[string][]int32) {
	s.stopWorkers(ctx, m)
	if err := cl.CommitMarkedOffsets(ctx); err != nil {
		s.log.Error("commit offsets of revoked partitions; their handled records will be redelivered and skipped as duplicates", "err", err)
	}
	if len(m) > 0 {
		s.log.Info("partitions revoked", "partitions", m)
	}
}

func (s *Service) lost(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
	s.stopWorkers(ctx, m)
	if len(m) == 0 {
		return // kgo repeats this with nothing left to lose while the group is unreachable
	}
	s.log.Warn("partitions lost", "partitions", m)
}

// stopWorkers stops the workers of m (all when m is nil) and waits for them.
// When ctx ends first, the hard stop aborts sends and dead-letter publishes
// in progress; those records stay uncommitted.
func (s *Service) stopWorkers(ctx context.Context, m map[string][]int32) {
	s.mu.Lock()
	var ws []*worker
	for k, w := range s.workers {
		if m != nil && !slices.Contains(m[k.topic], k.partition) {
			continue
		}
		ws = append(ws, w)
		delete(s.workers, k)
	}
	s.mu.Unlock()
	for _, w := range ws {
		close(w.stop)
	}
	for _, w := range ws {
		select {
		case <-w.done:
		case <-ctx.Done():
			s.hardStop()
			<-w.done
		}
		w.mu.Lock()
		paused := w.paused
		w.mu.Unlock()
		if paused {
			s.consumer.ResumeFetchPartitions(map[string][]int32{w.tp.topic: {w.tp.partition}})
		}
	}
}
