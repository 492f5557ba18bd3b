package lag

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The partition side of Collect: which topics exist and their partitions
// (Metadata), and the end and log start offsets (ListOffsets).

type topicMeta struct {
	exists     bool
	err        error
	id         [16]byte
	partitions map[int32]int32 // partition → leader
}

// metadata describes the topics with one uncached Metadata request (kadm's
// Metadata may answer from a cache up to 5s old: a topic deleted since would
// still show). kgo caches the answer, which listOffsets then reuses.
func (c *collector) metadata(ctx context.Context, topics []string) (map[string]*topicMeta, error) {
	req := kmsg.NewPtrMetadataRequest()
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, fmt.Errorf("metadata of topics %s: %w", strings.Join(topics, ", "), err)
	}
	byName := map[string]*kmsg.MetadataResponseTopic{}
	for i := range resp.Topics {
		if t := &resp.Topics[i]; t.Topic != nil {
			byName[*t.Topic] = t
		}
	}
	meta := make(map[string]*topicMeta, len(topics))
	for _, t := range topics {
		m := &topicMeta{partitions: map[int32]int32{}}
		meta[t] = m
		td, ok := byName[t]
		if !ok {
			continue
		}
		switch err := kerr.ErrorForCode(td.ErrorCode); {
		case errors.Is(err, kerr.UnknownTopicOrPartition) || errors.Is(err, kerr.UnknownTopicID):
		case err != nil:
			m.err = err
		default:
			m.exists = true
			m.id = td.TopicID
			for _, p := range td.Partitions {
				m.partitions[p.Partition] = p.Leader
			}
		}
	}
	return meta, nil
}

// offsetTopics returns the topics to list end offsets for (every existing
// topic) and those to list log start offsets for (the topics with a
// partition some involved group has not committed to), sorted.
func offsetTopics(topics []string, meta map[string]*topicMeta, groups map[string]*groupInfo) (endTopics, startTopics []string) {
	for _, t := range topics {
		m := meta[t]
		if !m.exists {
			continue
		}
		endTopics = append(endTopics, t)
		if needsLogStart(t, m, groups) {
			startTopics = append(startTopics, t)
		}
	}
	return endTopics, startTopics
}

// needsLogStart reports whether a group consuming t has no commit on one of
// its partitions (its backlog then starts at the log start).
func needsLogStart(t string, m *topicMeta, groups map[string]*groupInfo) bool {
	for p := range m.partitions {
		for _, g := range groups {
			if !g.involves(t) {
				continue
			}
			if r, ok := g.commits[t][p]; !ok || (r.Err == nil && r.At < 0) {
				return true
			}
		}
	}
	return false
}

// listing is one kind of listed offset for many partitions: each
// partition's offset, or why it is unknown.
type listing struct {
	byPart   map[tp]listedOffset
	topicErr map[string]error // the topic could not be described
	err      error            // the listing as a whole failed
	// hwm, on the end listing, is each partition's high watermark where it
	// was listed: above the last stable offset, an open transaction holds
	// read_committed consumers back.
	hwm map[tp]int64
}

type listedOffset struct {
	offset int64
	err    error
}

// lookup returns a partition's listed offset, or why it is unknown.
func (l listing) lookup(t string, p int32) (int64, error) {
	if o, ok := l.byPart[tp{t, p}]; ok {
		return o.offset, o.err
	}
	if err := l.topicErr[t]; err != nil {
		return -1, err
	}
	if l.err != nil {
		return -1, l.err
	}
	return -1, errors.New("not listed")
}

// listOffsets lists, concurrently, the last stable offset of every partition
// of endTopics (kadm's ListCommittedOffsets: ListOffsets with read_committed
// isolation, latest) and the log start offset of every partition of
// startTopics (kadm's ListStartOffsets), one ListOffsets request per leader
// each. kadm takes the partitions from kgo's metadata cache, which metadata
// has just filled: no extra round trip. No topics, no request (kadm would
// list every topic). It replaced a hand-built ListOffsets with no
// measurable cost in time (docs/benchmarks.md, "lag"); the log start
// listing now asks for every partition of a topic, not only those without
// a commit, in the same one request per leader.
func (c *collector) listOffsets(ctx context.Context, endTopics, startTopics []string) (ends, starts listing) {
	var wg sync.WaitGroup
	list := func(out *listing, topics []string, fn func(context.Context, ...string) (kadm.ListedOffsets, error)) {
		defer wg.Done()
		if len(topics) == 0 {
			return
		}
		lo, err := fn(ctx, topics...)
		*out = newListing(lo, err)
	}
	var hwms listing
	wg.Add(3)
	go list(&ends, endTopics, c.adm.ListCommittedOffsets)
	go list(&starts, startTopics, c.adm.ListStartOffsets)
	go list(&hwms, endTopics, c.adm.ListEndOffsets)
	wg.Wait()
	for k, o := range hwms.byPart {
		if o.err == nil {
			if ends.hwm == nil {
				ends.hwm = map[tp]int64{}
			}
			ends.hwm[k] = o.offset
		}
	}
	return ends, starts
}

// newListing keeps kadm's per-partition answers and errors, and gives the
// partitions of a failed request (a leader down) that broker's error, so
// one failure hides nothing else.
func newListing(lo kadm.ListedOffsets, err error) listing {
	l := listing{byPart: map[tp]listedOffset{}, topicErr: map[string]error{}}
	for t, ps := range lo {
		for p, o := range ps {
			if p < 0 { // kadm's placeholder: the topic could not be described
				l.topicErr[t] = o.Err
				continue
			}
			v := listedOffset{offset: o.Offset, err: o.Err}
			if v.err == nil && o.Offset < 0 {
				v.err = errors.New("broker listed no offset")
			}
			l.byPart[tp{t, p}] = v
		}
	}
	var se *kadm.ShardErrors
	if !errors.As(err, &se) {
		l.err = err // nil, or the whole listing failed (metadata, authorization)
		return l
	}
	for _, e := range se.Errs {
		r, ok := e.Req.(*kmsg.ListOffsetsRequest)
		if !ok {
			continue
		}
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				k := tp{t.Topic, p.Partition}
				if _, ok := l.byPart[k]; !ok {
					l.byPart[k] = listedOffset{offset: -1, err: fmt.Errorf("broker %d: %w", e.Broker.NodeID, e.Err)}
				}
			}
		}
	}
	return l
}
