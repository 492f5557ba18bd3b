package lag

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The group side of Collect: which groups, what their coordinators say
// about them (classic DescribeGroups and KIP-848 ConsumerGroupDescribe,
// merged into one view) and their committed offsets.

// groupInfo is what the group requests said about one group.
type groupInfo struct {
	name        string
	typ         string // classic, consumer
	listedState string
	listedPType string
	view        Group
	described   bool // a describe answered for the group
	owners      map[tp]*Owner
	commits     map[string]map[int32]kadm.OffsetResponse
	fetchErr    error
}

func (g *groupInfo) involves(t string) bool {
	if _, ok := g.commits[t]; ok {
		return true
	}
	for k := range g.owners {
		if k.t == t {
			return true
		}
	}
	return false
}

// groupsToObserve returns the groups named in the options, or every listed
// group, and their names sorted.
func (c *collector) groupsToObserve(ctx context.Context) (map[string]*groupInfo, []string, error) {
	groups := map[string]*groupInfo{}
	var order []string
	if len(c.o.Groups) == 0 {
		listed, err := c.listGroups(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, g := range listed {
			if excluded(g.name, c.o.Exclude) {
				continue
			}
			groups[g.name] = g
			order = append(order, g.name)
		}
	} else {
		for _, n := range c.o.Groups {
			if _, dup := groups[n]; dup || excluded(n, c.o.Exclude) {
				continue
			}
			groups[n] = &groupInfo{name: n}
			order = append(order, n)
		}
	}
	sort.Strings(order)
	return groups, order, nil
}

// listGroups lists every group, one request per broker, keeping the types
// that commit offsets (classic and consumer groups; share groups have no
// committed offsets). Hand-built because kadm's ListedGroup drops the
// group type, which tells classic from KIP-848 consumer groups.
func (c *collector) listGroups(ctx context.Context) ([]*groupInfo, error) {
	req := kmsg.NewPtrListGroupsRequest()
	shards := c.cl.RequestSharded(ctx, req)
	var out []*groupInfo
	seen := map[string]bool{}
	failed := 0
	var lastErr error
	for _, sh := range shards {
		if sh.Err != nil {
			failed++
			lastErr = sh.Err
			c.warnf("list groups on broker %d: %v (its groups are not shown)", sh.Meta.NodeID, sh.Err)
			continue
		}
		resp := sh.Resp.(*kmsg.ListGroupsResponse)
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			failed++
			lastErr = err
			c.warnf("list groups on broker %d: %v (its groups are not shown)", sh.Meta.NodeID, err)
			continue
		}
		for _, g := range resp.Groups {
			typ := g.GroupType
			if typ == "" {
				typ = "classic"
			}
			if typ == "share" || seen[g.Group] {
				continue
			}
			seen[g.Group] = true
			out = append(out, &groupInfo{name: g.Group, typ: typ, listedState: g.GroupState, listedPType: g.ProtocolType})
		}
	}
	if failed > 0 && failed == len(shards) {
		return nil, fmt.Errorf("list consumer groups: %w", lastErr)
	}
	return out, nil
}

// describeAndFetch describes the groups (classic and KIP-848 consumer
// groups) and fetches their committed offsets, all concurrently, then
// merges the answers into each group's view.
func (c *collector) describeAndFetch(ctx context.Context, groups map[string]*groupInfo, order []string) {
	named := len(c.o.Groups) > 0
	var classic, consumer []string
	for _, n := range order {
		g := groups[n]
		g.view = Group{Group: n, State: g.listedState, Type: g.typ, ProtocolType: g.listedPType, Coordinator: -1, Members: []Member{}, Topics: []Topic{}}
		g.owners = map[tp]*Owner{}
		switch {
		case named: // type unknown: ask both ways, the right one answers
			classic = append(classic, n)
			consumer = append(consumer, n)
		case g.typ == "consumer":
			consumer = append(consumer, n)
		case g.typ == "classic":
			classic = append(classic, n)
		}
	}

	var (
		wg        sync.WaitGroup
		described kadm.DescribedGroups
		descErr   error
		cdesc     map[string]consumerGroup
		cdescErr  error
		fetched   kadm.FetchOffsetsResponses
	)
	if len(classic) > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); described, descErr = c.adm.DescribeGroups(ctx, classic...) }()
	}
	if len(consumer) > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); cdesc, cdescErr = c.describeConsumerGroups(ctx, consumer) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); fetched = c.adm.FetchManyOffsets(ctx, order...) }()
	wg.Wait()

	// KIP-848 consumer groups first: a classic describe of one may answer
	// GROUP_ID_NOT_FOUND or a placeholder.
	c.mergeConsumerGroups(ctx, groups, cdesc, fetched)
	if cdescErr != nil && !named {
		c.warnf("describe consumer groups: %v", cdescErr)
	}
	mergeClassicGroups(groups, described)
	if descErr != nil {
		c.shardWarn("describe groups", descErr, groups)
	}
	mergeCommits(groups, order, fetched)
	for _, n := range order {
		g := groups[n]
		if g.view.Type == "" {
			g.view.Type = "classic"
		}
		if g.view.State == "" && g.described {
			g.view.State = "Unknown"
		}
	}
}

// mergeConsumerGroups fills the views of the groups a ConsumerGroupDescribe
// answered. Their assignments name topics by ID: resolved from the
// committed offsets (which carry both), else with one Metadata request by
// ID.
func (c *collector) mergeConsumerGroups(ctx context.Context, groups map[string]*groupInfo, cdesc map[string]consumerGroup, fetched kadm.FetchOffsetsResponses) {
	named := len(c.o.Groups) > 0
	names := c.topicNames(ctx, cdesc, fetched)
	for n, d := range cdesc {
		g, ok := groups[n]
		if !ok || d.err != nil {
			if ok && !named && d.err != nil {
				g.view.Error = fmt.Sprintf("describe: %v", d.err)
			}
			continue
		}
		g.described = true
		g.typ = "consumer"
		g.view.Type = "consumer"
		g.view.State = d.state
		g.view.ProtocolType = "consumer"
		g.view.Protocol = d.assignor
		g.view.Coordinator = d.coordinator
		for _, m := range d.members {
			mv := m.Member
			for _, a := range m.assigned {
				topic := a.topic
				if topic == "" {
					topic = names[a.id]
				}
				if topic == "" {
					c.warnf("group %q: member %s is assigned a topic with unknown ID %x", n, m.MemberID, a.id)
					continue
				}
				for _, p := range a.partitions {
					mv.Partitions++
					g.owners[tp{topic, p}] = &Owner{MemberID: mv.MemberID, ClientID: mv.ClientID, Host: mv.Host}
				}
			}
			g.view.Members = append(g.view.Members, mv)
		}
	}
}

// mergeClassicGroups fills the views of the groups a classic DescribeGroups
// answered for, unless a ConsumerGroupDescribe already did.
func mergeClassicGroups(groups map[string]*groupInfo, described kadm.DescribedGroups) {
	for n, d := range described {
		g, ok := groups[n]
		if !ok || g.described {
			continue
		}
		if d.Err != nil {
			if !errors.Is(d.Err, kerr.GroupIDNotFound) {
				g.view.Error = fmt.Sprintf("describe: %v", d.Err)
			}
			continue
		}
		if d.State == "Dead" {
			continue
		}
		g.described = true
		g.typ = "classic"
		g.view.Type = "classic"
		g.view.State = d.State
		g.view.ProtocolType = d.ProtocolType
		g.view.Protocol = d.Protocol
		g.view.Coordinator = d.Coordinator.NodeID
		for _, m := range d.Members {
			mv := Member{MemberID: m.MemberID, ClientID: m.ClientID, Host: host(m.ClientHost)}
			if m.InstanceID != nil {
				mv.InstanceID = *m.InstanceID
			}
			if a, ok := m.Assigned.AsConsumer(); ok {
				for _, t := range a.Topics {
					for _, p := range t.Partitions {
						mv.Partitions++
						g.owners[tp{t.Topic, p}] = &Owner{MemberID: m.MemberID, ClientID: m.ClientID, Host: mv.Host}
					}
				}
			}
			g.view.Members = append(g.view.Members, mv)
		}
	}
}

// mergeCommits keeps each group's committed offsets (kadm's OffsetFetch
// answer, with its per-partition errors), or the error fetching them.
func mergeCommits(groups map[string]*groupInfo, order []string, fetched kadm.FetchOffsetsResponses) {
	for _, n := range order {
		g := groups[n]
		r, ok := fetched[n]
		if !ok {
			g.fetchErr = errors.New("no offset fetch response")
			g.view.Error = joinErr(g.view.Error, "committed offsets: no response")
			continue
		}
		if r.Err != nil {
			g.fetchErr = r.Err
			if !errors.Is(r.Err, kerr.GroupIDNotFound) {
				g.view.Error = joinErr(g.view.Error, fmt.Sprintf("committed offsets: %v", r.Err))
			}
			continue
		}
		g.commits = map[string]map[int32]kadm.OffsetResponse{}
		for t, ps := range r.Fetched {
			if t == "" {
				continue
			}
			for p, or := range ps {
				if or.Err == nil && or.At < 0 {
					continue // no commit stored
				}
				if g.commits[t] == nil {
					g.commits[t] = map[int32]kadm.OffsetResponse{}
				}
				g.commits[t][p] = or
			}
		}
		if len(g.commits) > 0 && g.view.State == "" {
			g.view.State = "Empty"
		}
	}
}

// dropMissing removes the named groups that nothing knows of (they do not
// exist) and returns their names.
func (c *collector) dropMissing(groups map[string]*groupInfo, order []string) []string {
	if len(c.o.Groups) == 0 {
		return nil
	}
	var missing []string
	for _, n := range order {
		g := groups[n]
		if !g.described && len(g.commits) == 0 && (g.fetchErr == nil || errors.Is(g.fetchErr, kerr.GroupIDNotFound)) {
			missing = append(missing, n)
			delete(groups, n)
		}
	}
	return missing
}

// shardWarn records which groups a failed describe shard left out.
func (c *collector) shardWarn(what string, err error, groups map[string]*groupInfo) {
	var se *kadm.ShardErrors
	if !errors.As(err, &se) {
		c.warnf("%s: %v", what, err)
		return
	}
	for _, e := range se.Errs {
		var names []string
		if r, ok := e.Req.(*kmsg.DescribeGroupsRequest); ok {
			names = r.Groups
		}
		for _, n := range names {
			if g, ok := groups[n]; ok && !g.described {
				g.view.Error = joinErr(g.view.Error, fmt.Sprintf("%s (coordinator %d): %v", what, e.Broker.NodeID, e.Err))
			}
		}
		if len(names) == 0 {
			c.warnf("%s on broker %d: %v", what, e.Broker.NodeID, e.Err)
		}
	}
}

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func host(h string) string { return strings.TrimPrefix(h, "/") }
