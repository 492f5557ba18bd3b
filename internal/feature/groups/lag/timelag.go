package lag

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Reading the record at a committed offset. Hand-written on kmsg because no
// kgo consumer API reads one record per partition at chosen offsets in one
// request per broker: a kgo consumer would start fetch sessions, fetch in
// the background and keep buffering. The record batches are decoded by
// kgo.ProcessFetchPartition (CRC checks, decompression, read_committed
// filtering of aborted records and control markers).

const (
	// batchedPartitionBytes bounds each partition in the batched fetch.
	// A broker returns whole batches only, and for every partition but the
	// first it returns nothing when the first batch is larger; those
	// partitions are read again alone, where a broker always returns at
	// least one whole batch.
	batchedPartitionBytes = 16 << 10
	maxFetchRetries       = 4
	maxInFlight           = 8
)

type fetchKey struct {
	t   string
	p   int32
	off int64
}

type fetchResult struct {
	ts          time.Time
	found       bool
	markersOnly bool // nothing but markers/aborted records up to the end
	err         error
}

// fetchState tracks one record being looked for.
type fetchState struct {
	key  fetchKey
	end  int64
	next int64 // offset to read from (advances past markers)
	done bool
	res  fetchResult
}

// fetchTimes reads, for each key, the first consumable record at or after
// key.off and before the end offset. Requests go to each partition's leader:
// one request per broker (more only when several groups need the same
// partition at different offsets), all in flight at once.
func (c *collector) fetchTimes(ctx context.Context, want map[fetchKey]int64, meta map[string]*topicMeta) map[fetchKey]fetchResult {
	states := make([]*fetchState, 0, len(want))
	for k, end := range want {
		states = append(states, &fetchState{key: k, end: end, next: k.off})
	}
	sort.Slice(states, func(i, j int) bool {
		a, b := states[i].key, states[j].key
		if a.t != b.t {
			return a.t < b.t
		}
		if a.p != b.p {
			return a.p < b.p
		}
		return a.off < b.off
	})
	dec := kgo.DefaultDecompressor()
	for attempt := 0; attempt <= maxFetchRetries; attempt++ {
		var pending []*fetchState
		for _, s := range states {
			if !s.done {
				pending = append(pending, s)
			}
		}
		if len(pending) == 0 {
			break
		}
		if attempt == maxFetchRetries {
			for _, s := range pending {
				s.done = true
				s.res.err = fmt.Errorf("no consumable record found reading from offset %d after %d fetches", s.key.off, maxFetchRetries)
			}
			break
		}
		// The first attempt batches per leader; later ones read each
		// remaining partition alone (one whole batch is guaranteed).
		reqs := c.buildFetches(pending, meta, attempt > 0)
		sem := make(chan struct{}, maxInFlight)
		var wg sync.WaitGroup
		for _, r := range reqs {
			wg.Add(1)
			sem <- struct{}{}
			go func(r *fetchReq) {
				defer wg.Done()
				defer func() { <-sem }()
				c.doFetch(ctx, r, meta, dec)
			}(r)
		}
		wg.Wait()
	}
	out := make(map[fetchKey]fetchResult, len(states))
	for _, s := range states {
		out[s.key] = s.res
	}
	return out
}

type fetchReq struct {
	leader int32
	states []*fetchState
	single bool
}

// buildFetches groups states by leader; a request holds each partition at
// most once (a broker would keep only one of two offsets).
func (c *collector) buildFetches(pending []*fetchState, meta map[string]*topicMeta, single bool) []*fetchReq {
	var out []*fetchReq
	type slot struct {
		leader int32
		round  int
	}
	rounds := map[tp]int{}
	byslot := map[slot]*fetchReq{}
	for _, s := range pending {
		m := meta[s.key.t]
		leader, ok := int32(-1), false
		if m != nil {
			leader, ok = m.partitions[s.key.p]
		}
		if !ok || leader < 0 {
			s.done = true
			s.res.err = errors.New("partition has no leader")
			continue
		}
		if single {
			out = append(out, &fetchReq{leader: leader, states: []*fetchState{s}, single: true})
			continue
		}
		k := tp{s.key.t, s.key.p}
		sl := slot{leader, rounds[k]}
		rounds[k]++
		r := byslot[sl]
		if r == nil {
			r = &fetchReq{leader: leader}
			byslot[sl] = r
			out = append(out, r)
		}
		r.states = append(r.states, s)
	}
	return out
}

func (c *collector) doFetch(ctx context.Context, r *fetchReq, meta map[string]*topicMeta, dec kgo.Decompressor) {
	req := kmsg.NewPtrFetchRequest()
	req.MaxWaitMillis = 0
	req.MinBytes = 1
	req.IsolationLevel = 1 // read_committed: aborted records and markers are not records
	partBytes := int32(batchedPartitionBytes)
	if r.single {
		partBytes = 1 // the broker still returns the first whole batch
	}
	req.MaxBytes = partBytes * int32(len(r.states))
	if req.MaxBytes < partBytes || req.MaxBytes > 64<<20 {
		req.MaxBytes = 64 << 20
	}
	byTopic := map[string]int{}
	byKey := map[tp]*fetchState{}
	for _, s := range r.states {
		i, ok := byTopic[s.key.t]
		if !ok {
			rt := kmsg.NewFetchRequestTopic()
			rt.Topic = s.key.t
			if m := meta[s.key.t]; m != nil {
				rt.TopicID = m.id
			}
			req.Topics = append(req.Topics, rt)
			i = len(req.Topics) - 1
			byTopic[s.key.t] = i
		}
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = s.key.p
		rp.FetchOffset = s.next
		rp.PartitionMaxBytes = partBytes
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, rp)
		byKey[tp{s.key.t, s.key.p}] = s
	}
	fail := func(err error) {
		for _, s := range r.states {
			s.done = true
			s.res.err = err
		}
	}
	kresp, err := c.cl.Broker(int(r.leader)).Request(ctx, req)
	if err != nil {
		fail(fmt.Errorf("fetch from broker %d: %w", r.leader, err))
		return
	}
	resp := kresp.(*kmsg.FetchResponse)
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		fail(fmt.Errorf("fetch from broker %d: %w", r.leader, err))
		return
	}
	idName := map[[16]byte]string{}
	for t, m := range meta {
		idName[m.id] = t
	}
	answered := map[*fetchState]bool{}
	for ti := range resp.Topics {
		rt := &resp.Topics[ti]
		name := rt.Topic
		if name == "" {
			name = idName[rt.TopicID]
		}
		for pi := range rt.Partitions {
			rp := &rt.Partitions[pi]
			s := byKey[tp{name, rp.Partition}]
			if s == nil {
				continue
			}
			answered[s] = true
			c.process(s, name, rp, dec)
		}
	}
	for _, s := range r.states {
		if !answered[s] && !s.done && r.single {
			s.done = true
			s.res.err = fmt.Errorf("broker %d did not answer for the partition", r.leader)
		}
	}
}

// process decodes one partition's batches and settles the state when the
// record is found, when only markers lie before the end, or on an error.
// With no whole batch returned, the state stays pending for a retry.
func (c *collector) process(s *fetchState, topic string, rp *kmsg.FetchResponseTopicPartition, dec kgo.Decompressor) {
	if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
		s.done = true
		if errors.Is(err, kerr.OffsetOutOfRange) && s.next < rp.LogStartOffset {
			s.res.err = fmt.Errorf("records were deleted before they were consumed (log start is now %d)", rp.LogStartOffset)
			return
		}
		s.res.err = err
		return
	}
	fp, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
		Offset:         s.next,
		IsolationLevel: kgo.ReadCommitted(),
		Topic:          topic,
		Partition:      rp.Partition,
	}, rp, dec, nil)
	for _, rec := range fp.Records {
		if rec.Offset >= s.next && rec.Offset < s.end {
			s.done = true
			s.res.found = true
			s.res.ts = rec.Timestamp
			return
		}
	}
	if fp.Err != nil && len(fp.Records) == 0 {
		s.done = true
		s.res.err = fp.Err
		return
	}
	if next >= s.end {
		s.done = true
		s.res.markersOnly = true
		return
	}
	if next > s.next {
		s.next = next // past markers or aborted batches: keep reading
	}
}
