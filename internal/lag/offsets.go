package lag

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

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
// still show). kgo caches the answer, which the ListOffsets sharding reuses.
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

// offsetParts returns the partitions to list end offsets for (every
// partition of the existing topics) and those to list log start offsets for
// (the partitions some involved group has not committed to).
func offsetParts(topics []string, meta map[string]*topicMeta, groups map[string]*groupInfo) (endParts, startParts map[string][]int32) {
	endParts = map[string][]int32{}
	startParts = map[string][]int32{}
	for _, t := range topics {
		m := meta[t]
		if !m.exists {
			continue
		}
		for p := range m.partitions {
			endParts[t] = append(endParts[t], p)
			for _, g := range groups {
				if !g.involves(t) {
					continue
				}
				if r, ok := g.commits[t][p]; !ok || (r.Err == nil && r.At < 0) {
					startParts[t] = append(startParts[t], p)
					break
				}
			}
		}
	}
	return endParts, startParts
}

type listedOffset struct {
	offset int64
	err    error
}

// listEndsAndStarts lists, concurrently, the last stable offsets and the
// log start offsets.
func (c *collector) listEndsAndStarts(ctx context.Context, endParts, startParts map[string][]int32) (ends, starts map[tp]listedOffset) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); ends = c.listOffsets(ctx, endParts, -1, 1) }()
	go func() { defer wg.Done(); starts = c.listOffsets(ctx, startParts, -2, 0) }()
	wg.Wait()
	return ends, starts
}

// listOffsets lists one offset per partition (timestamp -1 with isolation
// 1: the last stable offset; -2: the log start), one request per leader.
func (c *collector) listOffsets(ctx context.Context, parts map[string][]int32, timestamp int64, isolation int8) map[tp]listedOffset {
	out := map[tp]listedOffset{}
	if len(parts) == 0 {
		return out
	}
	req := kmsg.NewPtrListOffsetsRequest()
	req.IsolationLevel = isolation
	for t, ps := range parts {
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = t
		for _, p := range ps {
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition = p
			rp.Timestamp = timestamp
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	for _, sh := range c.cl.RequestSharded(ctx, req) {
		if sh.Err != nil {
			r := sh.Req.(*kmsg.ListOffsetsRequest)
			for _, t := range r.Topics {
				for _, p := range t.Partitions {
					out[tp{t.Topic, p.Partition}] = listedOffset{offset: -1, err: fmt.Errorf("broker %d: %w", sh.Meta.NodeID, sh.Err)}
				}
			}
			continue
		}
		resp := sh.Resp.(*kmsg.ListOffsetsResponse)
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				lo := listedOffset{offset: p.Offset, err: kerr.ErrorForCode(p.ErrorCode)}
				if lo.err == nil && p.Offset < 0 {
					lo.err = errors.New("broker listed no offset")
				}
				out[tp{t.Topic, p.Partition}] = lo
			}
		}
	}
	return out
}
