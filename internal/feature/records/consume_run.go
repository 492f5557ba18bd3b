package records

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kctl/kctl/internal/platform/where"
	"github.com/twmb/franz-go/pkg/kgo"
)

// partState is one partition's progress during Run.
type partState struct {
	end  int64
	done atomic.Bool // Exit: reached end (read by the group's callbacks)
}

// Run reads the plan's partitions with cl (built with FetchOptions, and
// for a group, with GroupOptions), appends each record with enc and writes to
// w in large writes, flushed after every fetch. It stops at ctx's end, after
// Options.Max records, or with Exit once every partition (with a group: every
// partition assigned to this member) reached its end. It returns the number
// of records written, and the first write error (a closed pipe: the reader
// is gone), fetch error or ctx's error. With a group, a record's offset is
// committed only once the record was written; the last commit is made
// before Run returns.
func (p *Plan) Run(ctx context.Context, cl *kgo.Client, enc Encoder, w io.Writer, commitTimeout time.Duration) (int64, error) {
	o := p.Options
	r := &consumeRun{o: o, counts: &p.Counts, group: o.Group != "", assigned: p.assigned, state: p.partStates(), enc: enc, w: w, buf: make([]byte, 0, 256<<10)}
	pollCtx := ctx
	if r.group {
		if r.assigned == nil {
			return 0, errors.New("records: a group plan's client must be built with Plan.GroupOptions")
		}
		if o.Exit {
			// A member given only partitions already at their end gets no
			// records: the assignment callback ends the poll then.
			var cancel context.CancelFunc
			pollCtx, cancel = context.WithCancel(ctx)
			defer cancel()
			r.assigned.watch(r.state, cancel)
		}
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
			defer cancel()
			_ = cl.CommitMarkedOffsets(cctx)
		}()
	} else {
		offsets := p.startOffsets()
		if len(offsets) == 0 {
			return 0, nil
		}
		cl.AddConsumePartitions(offsets)
		if r.allDone() {
			return 0, nil
		}
	}
	for {
		if r.group && r.allDone() {
			return r.n, nil
		}
		fetches := cl.PollFetches(pollCtx)
		if err := ctx.Err(); err != nil {
			werr := r.write()
			return r.n, errors.Join(err, werr)
		}
		if pollCtx.Err() != nil {
			if r.allDone() {
				return r.n, nil
			}
			var cancel context.CancelFunc
			pollCtx, cancel = context.WithCancel(ctx) // a rebalance brought new partitions
			defer cancel()
			r.assigned.watch(r.state, cancel)
		}
		if ferr := fetchError(fetches); ferr != nil {
			werr := r.write()
			return r.n, errors.Join(ferr, werr)
		}
		stop, err := r.take(fetches)
		if err != nil {
			return r.n, err
		}
		if r.o.Where != nil && r.o.Progress != nil {
			r.o.Progress(p.Counts)
		}
		if r.group && len(r.marks) > 0 {
			cl.MarkCommitRecords(r.marks...)
			r.marks = r.marks[:0]
		}
		if r.pause != nil {
			cl.PauseFetchPartitions(r.pause)
			r.pause = nil
		}
		if stop || r.allDone() {
			return r.n, nil
		}
	}
}

// partStates returns, per topic and partition, where each partition of
// the plan ends and whether it is done already (with --exit, one that
// starts at its end); a partition not in the plan is done.
func (p *Plan) partStates() map[string][]*partState {
	state := map[string][]*partState{}
	for _, pp := range p.Partitions {
		s := state[pp.Topic]
		for len(s) <= int(pp.Partition) {
			ps := &partState{end: -1}
			ps.done.Store(true)
			s = append(s, ps)
		}
		s[pp.Partition] = &partState{end: pp.End}
		s[pp.Partition].done.Store(p.Options.Exit && pp.Start >= pp.End)
		state[pp.Topic] = s
	}
	return state
}

// startOffsets returns the start offset of each partition to consume
// without a group (with --exit, not those that start at their end).
func (p *Plan) startOffsets() map[string]map[int32]kgo.Offset {
	offsets := map[string]map[int32]kgo.Offset{}
	for _, pp := range p.Partitions {
		if p.Options.Exit && pp.Start >= pp.End {
			continue
		}
		if offsets[pp.Topic] == nil {
			offsets[pp.Topic] = map[int32]kgo.Offset{}
		}
		offsets[pp.Topic][pp.Partition] = kgo.NewOffset().At(pp.Start)
	}
	return offsets
}

// fetchError returns the first error of fetches that is not a cancelled
// poll, naming its partition.
func fetchError(fetches kgo.Fetches) error {
	var ferr error
	fetches.EachError(func(t string, part int32, err error) {
		if ferr == nil && !errors.Is(err, context.Canceled) {
			ferr = fmt.Errorf("fetch %s/%d: %w", t, part, err)
		}
	})
	return ferr
}

// consumeRun is the state of one Plan.Run: what each partition has left,
// the encoded records not yet written, and, after each poll, the records to
// mark for commit (with a group) and the partitions to pause (at their end).
type consumeRun struct {
	o        ConsumeOptions
	group    bool
	assigned *assignment
	state    map[string][]*partState
	enc      Encoder
	w        io.Writer
	buf      []byte
	n        int64 // records written
	marks    []*kgo.Record
	pause    map[string][]int32
	counts   *where.Counts // the plan's Counts, kept with --where
}

// allDone reports whether, with --exit, every partition reached its end.
func (r *consumeRun) allDone() bool {
	if !r.o.Exit {
		return false
	}
	if r.group {
		return r.assigned.allDone(r.state)
	}
	for _, s := range r.state {
		for _, ps := range s {
			if !ps.done.Load() {
				return false
			}
		}
	}
	return true
}

// write writes out the encoded records.
func (r *consumeRun) write() error {
	if len(r.buf) == 0 {
		return nil
	}
	_, err := r.w.Write(r.buf)
	r.buf = r.buf[:0]
	return err
}

// take encodes and writes the records of one poll. stop is true once
// --max records are written.
func (r *consumeRun) take(fetches kgo.Fetches) (stop bool, err error) {
	fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
		if stop || len(fp.Records) == 0 {
			return
		}
		stop, err = r.takePartition(fp)
	})
	if err == nil {
		err = r.write()
	}
	return stop, err
}

// takePartition encodes the records of one partition up to its end (with
// --exit) or --max, writing the buffer out as it fills, and notes the
// partition's last record to mark and whether it reached its end.
func (r *consumeRun) takePartition(fp kgo.FetchTopicPartition) (stop bool, err error) {
	o := r.o
	s := r.state[fp.Topic]
	var ps *partState
	if int(fp.Partition) < len(s) {
		ps = s[fp.Partition]
	}
	var last *kgo.Record
	for _, rec := range fp.Records {
		if o.Exit && ps != nil && rec.Offset >= ps.end {
			break
		}
		// A control record (a transaction's commit or abort marker) is
		// marked too: the group commits the consumer's position past it,
		// as librdkafka and the Java consumer do, not the last data
		// record's offset + 1 (a permanent lag of 1 to other tools).
		last = rec
		if !rec.Attrs.IsControl() && o.Where != nil {
			ok, err := o.Where.Match(rec)
			r.counts.Add(ok, err)
			if !ok {
				continue
			}
		}
		if !rec.Attrs.IsControl() {
			r.buf = r.enc.Append(r.buf, rec)
			r.n++
			if len(r.buf) >= 192<<10 {
				if err := r.write(); err != nil {
					return true, err
				}
			}
		}
		if o.Max > 0 && r.n >= o.Max {
			stop = true
			break
		}
	}
	if ps != nil && o.Exit && !ps.done.Load() {
		if lastOff := fp.Records[len(fp.Records)-1].Offset; lastOff >= ps.end-1 {
			ps.done.Store(true)
			if !r.group {
				if r.pause == nil {
					r.pause = map[string][]int32{}
				}
				r.pause[fp.Topic] = append(r.pause[fp.Topic], fp.Partition)
			}
		}
	}
	if r.group && last != nil {
		r.marks = append(r.marks, last)
	}
	return stop, nil
}

// assignment is the partitions a group member holds, kept by the group's
// callbacks.
type assignment struct {
	mu    sync.Mutex
	seen  bool
	tps   map[string]map[int32]bool
	state map[string][]*partState
	wake  func() // called once every assigned partition is done
}

// watch calls wake once this member holds partitions and all are done.
func (a *assignment) watch(state map[string][]*partState, wake func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.state, a.wake = state, wake
	if a.allDoneLocked(state) {
		wake()
	}
}

func (a *assignment) add(m map[string][]int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for t, ps := range m {
		if a.tps[t] == nil {
			a.tps[t] = map[int32]bool{}
		}
		for _, p := range ps {
			a.tps[t][p] = true
			a.seen = true
		}
	}
	if a.wake != nil && a.allDoneLocked(a.state) {
		a.wake()
	}
}

func (a *assignment) remove(m map[string][]int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for t, ps := range m {
		for _, p := range ps {
			delete(a.tps[t], p)
		}
	}
}

// allDone reports whether this member holds partitions and every one of
// them reached its end.
func (a *assignment) allDone(state map[string][]*partState) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.allDoneLocked(state)
}

func (a *assignment) allDoneLocked(state map[string][]*partState) bool {
	if !a.seen {
		return false
	}
	any := false
	for t, ps := range a.tps {
		for p := range ps {
			any = true
			s := state[t]
			if int(p) < len(s) && !s[p].done.Load() {
				return false
			}
		}
	}
	return any
}
