package email

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/kctl/kctl/internal/platform/backoff"
	"github.com/kctl/kctl/services/dlt"
	"github.com/kctl/kctl/services/event"
	"github.com/twmb/franz-go/pkg/kgo"
)

// item is one polled record of the event topic.
type item struct {
	rec      *kgo.Record
	ev       event.UserSignedUp
	subject  string
	parseErr error
	dup      bool // already logged, or being handled elsewhere
}

// SendError says an email could not be sent within the attempts allowed; it
// is the exception named in the dead-letter record's headers.
type SendError struct {
	EventID  string
	To       string
	Attempts int
	Err      error
}

func (e *SendError) Error() string {
	return fmt.Sprintf("send welcome email to %s (event %s) failed after %d attempt(s): %v", e.To, e.EventID, e.Attempts, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// handleEvents handles a batch of one partition in order: look up which
// events are already logged, record the rest as in flight (one write), then
// for each: send the email with retries, or dead-letter what fails or does
// not parse, and write its outcome durably before the next send starts (and,
// for a send, before its concurrency slot is freed), so that after a crash
// only the sends in progress are ambiguous. At the end the in-flight record
// is deleted and the offset of the last handled record marked for commit.
// When the worker is told to stop, it finishes the record in hand and leaves
// the rest for redelivery.
func (s *Service) handleEvents(w *worker, recs []*kgo.Record) {
	items := s.parseItems(recs)
	b, ok := s.beginBatch(w, items)
	if !ok {
		return
	}
	if b.journal != nil {
		defer b.journal.Close()
	}
	last, ok := s.sendItems(w, items, b)
	if ok && b.inflight != 0 {
		// The outcomes go into the log, fsynced, before the batch's
		// offset is marked for commit. Events left unsent when stopping
		// were never started: they are redelivered (not committed) and
		// sent then, so the in-flight record goes in every case.
		ok = s.retryDB(w, "write the email log", func() error {
			return s.finishBatch(context.WithoutCancel(s.hard), b.inflight, b.done, s.cfg.Now())
		})
		if !ok {
			s.log.Error("stopped before the batch's outcomes were logged; the next start logs them", "events", len(b.done))
		}
	}
	s.m.sent.Add(float64(b.sent))
	if !ok {
		s.unreserveUnstarted(b.reserved, b.done)
		return
	}
	s.unreserve(b.reserved)
	if last >= 0 {
		s.consumer.MarkCommitRecords(items[last].rec)
	}
}

// batch is what handleEvents has in hand: the events reserved in this
// process, the rows to send (in order), the in-flight record and its
// outcome journal, and the outcomes journalled so far.
type batch struct {
	reserved []string
	toSend   []logRow
	next     int // index in toSend of the next event to send
	inflight int64
	journal  *os.File
	done     []logRow // outcomes, in the journal
	sent     int
}

// parseItems parses the records' events, noting why one cannot be used.
func (s *Service) parseItems(recs []*kgo.Record) []item {
	items := make([]item, len(recs))
	for i, rec := range recs {
		items[i].rec = rec
		if err := event.CheckNoSecrets(rec.Value); err != nil {
			items[i].parseErr = err
			continue
		}
		ev, err := event.Parse(rec.Value)
		if err != nil {
			items[i].parseErr = err
			continue
		}
		items[i].ev = ev
		items[i].subject = s.subject.Render(ev.Name, ev.Email, ev.UserID)
	}
	return items
}

// beginBatch reserves the items' events, marks those already logged (or
// being handled elsewhere) as duplicates, and records the rest as in
// flight with an outcome journal. It returns false, with nothing left
// reserved, when stopping came first.
func (s *Service) beginBatch(w *worker, items []item) (*batch, bool) {
	// Reserve the events in this process first, then look them up: an
	// event another worker is sending is reserved; one it has finished is
	// in the log.
	b := &batch{reserved: s.reserve(items)}
	var logged map[string]string
	var resend map[string]bool
	if !s.retryDB(w, "read the email log", func() (err error) {
		if logged, err = s.logged(s.hard, b.reserved); err != nil {
			return err
		}
		resend, err = s.toResend(s.hard, b.reserved)
		return err
	}) {
		s.unreserve(b.reserved)
		return nil, false
	}
	for i := range items {
		it := &items[i]
		if it.parseErr != nil || it.dup {
			continue
		}
		if st, ok := logged[it.ev.EventID]; ok && st != StatusFailed {
			it.dup = true
			continue
		}
		b.toSend = append(b.toSend, logRow{
			EventID: it.ev.EventID, UserID: it.ev.UserID, Recipient: it.ev.Email, Subject: it.subject,
			Topic: it.rec.Topic, Partition: it.rec.Partition, Offset: it.rec.Offset, OccurredAt: it.ev.OccurredAt.Format(time.RFC3339Nano),
			resend: resend[it.ev.EventID],
		})
	}
	if len(b.toSend) > 0 && !s.retryDB(w, "record the in-flight batch", func() (err error) {
		b.inflight, err = s.begin(s.hard, b.toSend, s.cfg.Now())
		return err
	}) {
		s.unreserve(b.reserved)
		return nil, false
	}
	if b.inflight != 0 && !s.retryDB(w, "create the batch's outcome journal", func() (err error) {
		b.journal, err = s.openJournal(b.inflight)
		return err
	}) {
		s.unreserve(b.reserved)
		return nil, false
	}
	b.done = make([]logRow, 0, len(b.toSend))
	return b, true
}

// sendItems handles the items in order until they are done or the worker
// stops: it dead-letters what does not parse, skips the duplicates and
// sends the others (sendOne). It returns the index of the last item
// handled (-1 for none), and false when it stopped before an outcome was
// journalled.
func (s *Service) sendItems(w *worker, items []item, b *batch) (last int, ok bool) {
	last = -1
	for i := range items {
		if w.stopping() {
			break
		}
		it := &items[i]
		start := time.Now()
		switch {
		case it.parseErr != nil:
			reason := reasonUnparseable
			if errors.Is(it.parseErr, event.ErrSecretField) {
				reason = reasonPolicy
			}
			if !s.deadLetter(w, it.rec, it.parseErr, reason) {
				return last, true
			}
		case it.dup:
			s.m.duplicates.Inc()
			s.log.Debug("event already handled; not sent again", "event_id", it.ev.EventID, "partition", it.rec.Partition, "offset", it.rec.Offset)
		default:
			stop, recorded := s.sendOne(w, it, b)
			if stop {
				return last, true
			}
			if !recorded {
				return last, false
			}
		}
		s.m.processing.Observe(time.Since(start).Seconds())
		last = i
	}
	return last, true
}

// sendOne sends the email of it (the next row of b) with retries, or
// dead-letters it, and journals the outcome. stop is true when it was left
// for redelivery (never attempted to the end, or its dead letter not
// written); recorded is false when the worker stopped before the outcome
// was journalled: the batch then stays in flight (with its journal) and
// the event reserved, and the next start logs the outcomes written and
// re-sends it.
func (s *Service) sendOne(w *worker, it *item, b *batch) (stop, recorded bool) {
	row := b.toSend[b.next]
	attempts, err := s.sendWithRetry(w, it, func(attempts int) {
		// Still holding the concurrency slot: the send is known
		// done only once its outcome survives a crash.
		now := s.cfg.Now()
		row.attempts, row.status, row.sentAt = attempts, StatusSent, now.UnixNano()
		recorded = s.record(w, b.journal, row)
	})
	if errors.Is(err, errStopped) {
		return true, false // never attempted to the end: left for redelivery
	}
	if err != nil {
		serr := &SendError{EventID: it.ev.EventID, To: it.ev.Email, Attempts: attempts, Err: err}
		if !s.deadLetter(w, it.rec, serr, reasonSendFailed) {
			return true, false
		}
		row.attempts, row.status, row.err = attempts, StatusFailed, err.Error()
		recorded = s.record(w, b.journal, row)
	} else {
		b.sent++
		if row.resend {
			s.m.resent.Inc()
			s.log.Warn("re-sent the email that was in progress when the service last died (same event ID and Message-ID)",
				"event_id", it.ev.EventID, "user_id", it.ev.UserID)
		}
		s.m.endToEnd.Observe(time.Unix(0, row.sentAt).Sub(it.ev.OccurredAt).Seconds())
	}
	b.next++
	if !recorded {
		s.log.Error("stopped before the outcome journal was written; the event will be re-sent at the next start",
			"event_id", it.ev.EventID)
		return false, false
	}
	b.done = append(b.done, row)
	return false, true
}

// reserve marks the batch's parsed events as being handled by this process
// and returns their IDs. An event already reserved (by another worker, or
// earlier in this batch) is marked a duplicate instead.
func (s *Service) reserve(items []item) []string {
	s.resMu.Lock()
	defer s.resMu.Unlock()
	ids := make([]string, 0, len(items))
	for i := range items {
		it := &items[i]
		if it.parseErr != nil {
			continue
		}
		if _, busy := s.reserved[it.ev.EventID]; busy {
			it.dup = true
			continue
		}
		s.reserved[it.ev.EventID] = struct{}{}
		ids = append(ids, it.ev.EventID)
	}
	return ids
}

// unreserveUnstarted releases the reservations of ids except the events of
// done, whose outcomes are only in the batch's journal until the next
// start: a redelivery in this process skips those, and sends the others
// (never started, or the one whose outcome could not be written: at least
// once).
func (s *Service) unreserveUnstarted(ids []string, done []logRow) {
	keep := make(map[string]bool, len(done))
	for i := range done {
		keep[done[i].EventID] = true
	}
	s.unreserve(slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return keep[id] }))
}

func (s *Service) unreserve(ids []string) {
	s.resMu.Lock()
	defer s.resMu.Unlock()
	for _, id := range ids {
		delete(s.reserved, id)
	}
}

var errStopped = errors.New("stopped before the send finished")

// sendWithRetry sends the email of it, retrying with exponential backoff.
// After a successful send it calls onSent while still holding the
// concurrency slot. It returns the attempts made and the last error; errStopped when the
// worker was told to stop while waiting for a retry.
func (s *Service) sendWithRetry(w *worker, it *item, onSent func(attempts int)) (int, error) {
	ev := it.ev
	msg := Message{
		EventID: ev.EventID, UserID: ev.UserID, To: ev.Email, Name: ev.Name,
		Subject: it.subject,
		Body:    s.body.Render(ev.Name, ev.Email, ev.UserID),
	}
	retry := backoff.New(backoff.Policy{Initial: s.cfg.Backoff, Max: s.cfg.MaxBackoff, Multiplier: s.cfg.BackoffMultiplier})
	for attempt := 1; ; attempt++ {
		select {
		case s.sem <- struct{}{}:
		case <-w.stop:
			return attempt - 1, errStopped
		}
		err := s.cfg.Sender.Send(s.hard, msg)
		if err == nil {
			onSent(attempt)
			<-s.sem
			return attempt, nil
		}
		<-s.sem
		s.m.sendErrors.Inc()
		if s.hard.Err() != nil {
			return attempt, errStopped
		}
		if IsPermanent(err) || attempt >= s.cfg.MaxAttempts {
			s.log.Error("send failed; dead-lettering the event", "event_id", ev.EventID, "user_id", ev.UserID,
				"attempts", attempt, "permanent", IsPermanent(err), "err", err)
			return attempt, err
		}
		delay := retry.Next()
		s.log.Warn("send failed; retrying", "event_id", ev.EventID, "user_id", ev.UserID, "attempt", attempt,
			"of", s.cfg.MaxAttempts, "retry_in", delay, "err", err)
		s.m.retries.Inc()
		if !w.sleep(delay) {
			return attempt, errStopped
		}
	}
}

// deadLetter publishes rec to the dead-letter topic with the kafka_dlt-*
// headers, retrying until it is acknowledged. It returns false if the worker
// was told to stop first (the record then stays uncommitted).
func (s *Service) deadLetter(w *worker, rec *kgo.Record, cause error, reason string) bool {
	out := dlt.Record(s.cfg.DLTTopic, rec, s.cfg.Group, cause)
	retry := backoff.New(dbRetry)
	for {
		// Bounded per try, so a stop or rebalance waits at most that long
		// for a dead-letter publish Kafka does not answer.
		ctx, cancel := context.WithTimeout(s.hard, 10*time.Second)
		err := s.cl.ProduceSync(ctx, out).FirstErr()
		cancel()
		if err == nil {
			s.m.deadLettered.WithLabelValues(reason).Inc()
			s.log.Warn("record dead-lettered", "dlt", s.cfg.DLTTopic, "reason", reason, "topic", rec.Topic,
				"partition", rec.Partition, "offset", rec.Offset, "err", cause)
			return true
		}
		wait := retry.Next()
		s.log.Error("cannot publish to the dead-letter topic; retrying (does it exist? create it with kctl apply)",
			"dlt", s.cfg.DLTTopic, "err", err, "retry_in", wait)
		if !w.sleep(wait) {
			return false
		}
	}
}

// record appends an outcome to the batch's journal (retrying a failed
// write) and returns once it would survive the process's crash; false if
// the worker was told to stop before it could be written (the event then
// stays ambiguous for the next start).
func (s *Service) record(w *worker, journal *os.File, row logRow) bool {
	return s.retryDB(w, "write the outcome journal", func() error {
		return appendOutcome(journal, &row)
	})
}

// retryDB runs fn until it succeeds, backing off; false if the worker was
// told to stop first.
func (s *Service) retryDB(w *worker, what string, fn func() error) bool {
	retry := backoff.New(dbRetry)
	for {
		err := fn()
		if err == nil {
			return true
		}
		wait := retry.Next()
		s.log.Error(what+"; retrying", "err", err, "retry_in", wait)
		if !w.sleep(wait) {
			return false
		}
	}
}

// handleDeadLetters is the dead-letter listener: it logs each record with
// its kafka_dlt-* headers and counts it.
func (s *Service) handleDeadLetters(w *worker, recs []*kgo.Record) {
	for _, rec := range recs {
		info, err := dlt.Parse(rec.Headers)
		s.m.dltReceived.Inc()
		attrs := []any{"dlt", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "key", string(rec.Key),
			"original_topic", info.OriginalTopic, "original_partition", info.OriginalPartition,
			"original_offset", info.OriginalOffset, "consumer_group", info.ConsumerGroup,
			"exception", info.ExceptionFQCN, "message", info.ExceptionMessage}
		if err != nil {
			attrs = append(attrs, "header_error", err)
		}
		s.log.Warn("dead letter received", attrs...)
	}
	s.consumer.MarkCommitRecords(recs[len(recs)-1])
}
