package records

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Produce reads lines from r and produces one record per line with cl (built
// with ClientOptions), asynchronously, then waits until every record handed
// over was acknowledged or failed. It stops reading at the first failure,
// at a line whose record is over MaxMessageBytes (nothing from that line on
// is sent; returned as a *RecordTooLargeError), at a read error, or when ctx
// ends (records not yet sent then fail; it waits at most StopTimeout for the
// others, and returns ctx's error). The wait is bounded: when no record is
// acknowledged or failed for StallTimeout while some are outstanding it
// returns a *StalledError, and a closed Abort ends it at once; the records
// still outstanding are then abandoned (kgo's UnsafeAbortBufferedRecords)
// and counted in Unknown. The result counts exactly the records
// acknowledged; FirstFailure is a *ProduceError naming the line.
func Produce(ctx context.Context, cl *kgo.Client, r io.Reader, o ProduceOptions) (ProduceResult, error) {
	handCtx, cancelHand := context.WithCancel(ctx)
	defer cancelHand()
	p := &production{o: o, cl: cl, handCtx: handCtx, stallCh: make(chan struct{})}
	// The lines are read and handed over in a goroutine, so that Ctrl-C
	// ends the command even while a read of a terminal or a pipe blocks, or
	// cl.Produce blocks on a full buffer: from then on nothing more is
	// handed over (closeHandOver).
	done := make(chan error, 1)
	go func() { done <- p.handOver(r) }()
	stopWatch := make(chan struct{})
	defer close(stopWatch)
	p.watchStall(stopWatch)

	var stop error
	select {
	case stop = <-done:
	case <-ctx.Done():
	case <-p.stallCh:
		stop = p.stallErr
		cancelHand() // unblocks a cl.Produce waiting for buffer space
	}
	p.closeHandOver()

	// Wait for everything handed over, bounded: a record in flight is
	// acknowledged or failed, or after the bound counted as unknown.
	fctx, fcancel := p.flushContext(ctx)
	defer fcancel()
	res := ProduceResult{Topic: o.Topic}
	if err := cl.Flush(fctx); err != nil {
		// Cut short: what is acknowledged now is what we report; the rest
		// is abandoned, its outcome unknown.
		p.count(&res)
		res.Unknown = max(res.Lines-res.Sent-res.Failed, 0)
		cl.UnsafeAbortBufferedRecords()
		select {
		case <-p.stallCh:
			p.stallErr.Outstanding = res.Unknown
			if stop == nil && ctx.Err() == nil {
				stop = p.stallErr
			}
		default:
		}
	} else {
		p.promised.Wait() // every record is acknowledged or failed: each promise runs
		p.count(&res)
	}
	p.mu.Lock()
	if p.first != nil {
		res.FirstFailure = p.first
	}
	p.mu.Unlock()
	if stop == nil {
		stop = ctx.Err()
	}
	return res, stop
}

// production is the state of one Produce shared by the goroutine handing
// records over, kgo's promises and the stall watch.
type production struct {
	o       ProduceOptions
	cl      *kgo.Client
	handCtx context.Context // ends when nothing more may be sent

	sent, failed atomic.Int64
	rejected     atomic.Int64 // lines Encode refused
	handed       atomic.Int64 // records handed over
	unsent       atomic.Int64 // of them, cancelled before they were buffered or sent
	stopped      atomic.Bool  // a record failed: stop reading
	mu           sync.Mutex
	first        *ProduceError
	// promised counts the records whose promise has not run yet: kgo calls
	// the promise of a record it refuses before buffering it (one larger
	// than MaxBufferedBytes, say) in a goroutine of its own, which Flush
	// does not wait for.
	promised sync.WaitGroup

	handMu sync.Mutex
	closed bool // under handMu: nothing more is handed over

	stallCh  chan struct{} // closed at a stall, after stallErr is set
	stallErr *StalledError
}

// promise counts a record's outcome and notes the first failure.
func (p *production) promise(r *kgo.Record, err error) {
	defer p.promised.Done()
	if err == nil {
		p.sent.Add(1)
		return
	}
	if errors.Is(err, context.Canceled) && p.handCtx.Err() != nil {
		// Stopped (Ctrl-C, or given up): kgo fails a record whose
		// context ended before it was sent. It was not written.
		p.unsent.Add(1)
		return
	}
	p.failed.Add(1)
	p.stopped.Store(true)
	lr := (*lineRecord)(unsafe.Pointer(r))
	p.mu.Lock()
	if p.first == nil || lr.line < p.first.Line {
		p.first = &ProduceError{Line: lr.line, Err: err}
	}
	p.mu.Unlock()
}

// handOver reads the lines of r and hands one record per line to the
// client until the input ends, a record fails, or the hand-over is
// closed. It returns the error of a line that cannot be read or sent.
func (p *production) handOver(r io.Reader) error {
	o := p.o
	lines := NewLineReader(r, o.lineLimit())
	var (
		recs []lineRecord
		slab []byte
	)
	const slabSize = 1 << 20
	for !p.stopped.Load() {
		line, err := lines.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			stop := o.lineError(err)
			if !errors.As(stop, new(*RecordTooLargeError)) {
				stop = fmt.Errorf("read line %d: %w", lines.Line()+1, err)
			}
			return stop
		}
		if err := o.check(lines.Line(), line); err != nil {
			return err
		}
		if len(recs) == 0 {
			recs = make([]lineRecord, 4096)
		}
		if cap(slab)-len(slab) < len(line) {
			slab = make([]byte, 0, max(slabSize, len(line)))
		}
		start := len(slab)
		slab = append(slab, line...)
		b := slab[start:len(slab):len(slab)]
		rec := &recs[0]
		recs = recs[1:]
		rec.line = lines.Line()
		k, v, null := o.split(b)
		if null {
			k = nil
		}
		if o.Encode != nil {
			var err error
			if k, v, err = o.Encode(k, v); err != nil {
				p.rejected.Add(1)
				if o.Reject != nil {
					o.Reject(&LineError{Line: rec.line, Err: err})
				}
				continue
			}
		}
		if k != nil || !null {
			rec.Key = k
		}
		rec.Value = v
		rec.Headers = o.Headers
		if o.Partition >= 0 {
			rec.Partition = o.Partition
		}
		if !p.hand(&rec.Record) {
			break
		}
	}
	return nil
}

// hand gives rec to the client unless the hand-over is closed.
func (p *production) hand(rec *kgo.Record) bool {
	p.handMu.Lock()
	defer p.handMu.Unlock()
	if p.closed || p.handCtx.Err() != nil {
		return false
	}
	p.handed.Add(1)
	p.promised.Add(1)
	p.cl.Produce(p.handCtx, rec, p.promise)
	return true
}

// closeHandOver stops the hand-over: no record is given to the client
// after it returns.
func (p *production) closeHandOver() {
	p.handMu.Lock()
	p.closed = true
	p.handMu.Unlock()
}

// watchStall, with a StallTimeout, closes stallCh once records are
// outstanding and none was acknowledged or failed for StallTimeout, or
// returns when stop is closed.
func (p *production) watchStall(stop <-chan struct{}) {
	if p.o.StallTimeout <= 0 {
		return
	}
	go func() {
		tick := time.NewTicker(min(p.o.StallTimeout/10, time.Second))
		defer tick.Stop()
		last, since := int64(-1), time.Now()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			progress := p.sent.Load() + p.failed.Load() + p.unsent.Load()
			if progress != last || p.handed.Load() == progress {
				last, since = progress, time.Now()
				continue
			}
			if d := time.Since(since); d >= p.o.StallTimeout {
				p.stallErr = &StalledError{Outstanding: p.handed.Load() - progress, For: d.Round(time.Second)}
				close(p.stallCh)
				return
			}
		}
	}()
}

// flushContext returns the context of the wait for the records handed
// over: it ends at Abort, at a stall, or StopTimeout after ctx ends.
func (p *production) flushContext(ctx context.Context) (context.Context, context.CancelFunc) {
	fctx, fcancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		var stopBound <-chan time.Time
		ctxDone := ctx.Done()
		for {
			select {
			case <-fctx.Done():
				return
			case <-p.o.Abort:
				fcancel()
				return
			case <-p.stallCh:
				fcancel()
				return
			case <-ctxDone:
				ctxDone = nil
				if p.o.StopTimeout > 0 {
					stopBound = time.After(p.o.StopTimeout)
				}
			case <-stopBound:
				fcancel()
				return
			}
		}
	}()
	return fctx, fcancel
}

// count sets the result's counts of the records acknowledged, failed and
// handed over (less those never sent).
func (p *production) count(res *ProduceResult) {
	res.Sent, res.Failed, res.Rejected = p.sent.Load(), p.failed.Load(), p.rejected.Load()
	res.Lines = p.handed.Load() - p.unsent.Load()
}
