package lag

import (
	"context"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// KIP-848 consumer groups: ConsumerGroupDescribe, and the names of the
// topics their assignments give only by ID. The answers are merged with the
// classic ones in groups.go.

// consumerGroup is a ConsumerGroupDescribe answer (KIP-848) for one group.
type consumerGroup struct {
	state, assignor string
	coordinator     int32
	members         []consumerMember
	err             error
}

type consumerMember struct {
	Member
	assigned []assignedTopic
}

type assignedTopic struct {
	topic      string
	id         [16]byte
	partitions []int32
}

// describeConsumerGroups describes KIP-848 consumer groups, one request per
// coordinator. Unlike kadm's DescribeConsumerGroups it keeps the topic IDs
// of assignments, which brokers may send without names. A shard that fails
// (a broker without the API, a coordinator down) leaves its groups with an
// error.
func (c *collector) describeConsumerGroups(ctx context.Context, names []string) (map[string]consumerGroup, error) {
	req := kmsg.NewPtrConsumerGroupDescribeRequest()
	req.Groups = names
	out := map[string]consumerGroup{}
	var firstErr error
	for _, sh := range c.cl.RequestSharded(ctx, req) {
		if sh.Err != nil {
			if r, ok := sh.Req.(*kmsg.ConsumerGroupDescribeRequest); ok {
				for _, n := range r.Groups {
					out[n] = consumerGroup{err: sh.Err}
				}
			}
			if firstErr == nil {
				firstErr = sh.Err
			}
			continue
		}
		resp := sh.Resp.(*kmsg.ConsumerGroupDescribeResponse)
		for _, rg := range resp.Groups {
			g := consumerGroup{state: rg.State, assignor: rg.AssignorName, coordinator: sh.Meta.NodeID, err: kerr.ErrorForCode(rg.ErrorCode)}
			for _, rm := range rg.Members {
				m := consumerMember{Member: Member{MemberID: rm.MemberID, ClientID: rm.ClientID, Host: host(rm.ClientHost)}}
				if rm.InstanceID != nil {
					m.InstanceID = *rm.InstanceID
				}
				for _, a := range rm.Assignment.TopicPartitions {
					m.assigned = append(m.assigned, assignedTopic{topic: a.Topic, id: a.TopicID, partitions: a.Partitions})
				}
				g.members = append(g.members, m)
			}
			out[rg.Group] = g
		}
	}
	return out, firstErr
}

// topicNames maps the topic IDs of consumer-group assignments to names:
// from the committed offsets first, then one Metadata request by ID for the
// rest.
func (c *collector) topicNames(ctx context.Context, cdesc map[string]consumerGroup, fetched kadm.FetchOffsetsResponses) map[[16]byte]string {
	names := map[[16]byte]string{}
	var want [][16]byte
	for _, g := range cdesc {
		for _, m := range g.members {
			for _, a := range m.assigned {
				if a.topic == "" {
					want = append(want, a.id)
				}
			}
		}
	}
	if len(want) == 0 {
		return names
	}
	for _, r := range fetched {
		for t, ps := range r.Fetched {
			for _, or := range ps {
				if or.TopicID != (kadm.TopicID{}) && t != "" {
					names[or.TopicID] = t
				}
				break
			}
		}
	}
	req := kmsg.NewPtrMetadataRequest()
	seen := map[[16]byte]bool{}
	for _, id := range want {
		if names[id] != "" || seen[id] {
			continue
		}
		seen[id] = true
		rt := kmsg.NewMetadataRequestTopic()
		rt.TopicID = id
		req.Topics = append(req.Topics, rt)
	}
	if len(req.Topics) == 0 {
		return names
	}
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		c.warnf("metadata of assigned topic IDs: %v", err)
		return names
	}
	for _, t := range resp.Topics {
		if t.Topic != nil && t.ErrorCode == 0 {
			names[t.TopicID] = *t.Topic
		}
	}
	return names
}
