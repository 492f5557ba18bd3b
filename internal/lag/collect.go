package lag

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Options select what Collect observes.
type Options struct {
	// Groups are the groups to observe; every consumer group when empty.
	Groups []string
	// Topics keeps only these topics (and the groups that consume them);
	// every topic when empty.
	Topics []string
	// NoTimeLag skips reading the records at the committed offsets: no
	// time lag, and transaction markers are not recognised past the end.
	NoTimeLag bool
	// Now is the clock time lags are measured against (time.Now if nil).
	Now func() time.Time
}

// Collect observes the consumer groups once. The requests are batched: one
// ListGroups per broker (only when no group is named), then concurrently one
// DescribeGroups and one ConsumerGroupDescribe per coordinator and one
// OffsetFetch per coordinator for all groups, then one Metadata request,
// then one ListOffsets per partition leader for the last stable offsets
// (and, concurrently, one for the log start of partitions without a
// commit), then one Fetch per partition leader reading the record at each
// lagging committed offset. Committed offsets are always read before end
// offsets, so a lag is never negative (a commit past the end is clamped to
// 0 and flagged).
//
// Partial results survive: a group, topic or partition that cannot be read
// carries an Error and the others are still reported; warnings name the
// brokers that could not answer. When named groups do not exist, Collect
// returns the snapshot of the others together with a *NotFoundError. It
// returns a nil snapshot and an error only when nothing could be observed
// (no broker answered ListGroups, or Metadata failed).
func Collect(ctx context.Context, cl *kgo.Client, o Options) (*Snapshot, error) {
	c := &collector{cl: cl, adm: kadm.NewClient(cl), o: o, now: o.Now}
	if c.now == nil {
		c.now = time.Now
	}
	return c.collect(ctx)
}

// Total returns one group's total lag on the given topics (every topic it
// consumes when none are given): 0 once it has consumed everything. It
// returns an error when the group does not exist, cannot be read, or a
// partition's lag is unknown (a deleted topic, an offline partition).
func Total(ctx context.Context, cl *kgo.Client, group string, topics ...string) (int64, error) {
	s, err := Collect(ctx, cl, Options{Groups: []string{group}, Topics: topics, NoTimeLag: true})
	if err != nil {
		return 0, err
	}
	g, ok := s.Lookup(group)
	if !ok {
		return 0, &NotFoundError{Groups: []string{group}}
	}
	if g.Error != "" {
		return 0, fmt.Errorf("lag of group %q: %s", group, g.Error)
	}
	n, known := g.TopicLag(topics...)
	if !known {
		return n, fmt.Errorf("lag of group %q: some partitions have no known lag (deleted topic or unreadable partition)", group)
	}
	return n, nil
}

type collector struct {
	cl  *kgo.Client
	adm *kadm.Client
	o   Options
	now func() time.Time

	mu   sync.Mutex
	warn []string
}

func (c *collector) warnf(format string, a ...any) {
	c.mu.Lock()
	c.warn = append(c.warn, fmt.Sprintf(format, a...))
	c.mu.Unlock()
}

type tp struct {
	t string
	p int32
}

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

type topicMeta struct {
	exists     bool
	err        error
	id         [16]byte
	partitions map[int32]int32 // partition → leader
}

type listedOffset struct {
	offset int64
	err    error
}

func (c *collector) collect(ctx context.Context) (*Snapshot, error) {
	groups := map[string]*groupInfo{}
	var order []string
	if len(c.o.Groups) == 0 {
		listed, err := c.listGroups(ctx)
		if err != nil {
			return nil, err
		}
		for _, g := range listed {
			groups[g.name] = g
			order = append(order, g.name)
		}
	} else {
		for _, n := range c.o.Groups {
			if _, dup := groups[n]; dup {
				continue
			}
			groups[n] = &groupInfo{name: n}
			order = append(order, n)
		}
	}
	sort.Strings(order)
	if len(order) == 0 {
		return &Snapshot{Time: c.now(), Groups: []Group{}, Warnings: c.warn}, nil
	}

	c.describeAndFetch(ctx, groups, order)

	// Named groups that nothing knows of do not exist.
	var missing []string
	if len(c.o.Groups) > 0 {
		for _, n := range order {
			g := groups[n]
			if !g.described && len(g.commits) == 0 && (g.fetchErr == nil || errors.Is(g.fetchErr, kerr.GroupIDNotFound)) {
				missing = append(missing, n)
				delete(groups, n)
			}
		}
	}

	// The topics involved: committed or assigned, filtered by --topic.
	topicSet := map[string]bool{}
	for _, g := range groups {
		for t := range g.commits {
			topicSet[t] = true
		}
		for k := range g.owners {
			topicSet[k.t] = true
		}
	}
	var topics []string
	for t := range topicSet {
		if len(c.o.Topics) == 0 || slices.Contains(c.o.Topics, t) {
			topics = append(topics, t)
		}
	}
	sort.Strings(topics)

	meta := map[string]*topicMeta{}
	if len(topics) > 0 {
		var err error
		if meta, err = c.metadata(ctx, topics); err != nil {
			return nil, err
		}
	}

	// End offsets for every partition of the existing topics; log start
	// offsets for the partitions some group has not committed to.
	endParts := map[string][]int32{}
	startParts := map[string][]int32{}
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
	var ends, starts map[tp]listedOffset
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); ends = c.listOffsets(ctx, endParts, -1, 1) }()
	go func() { defer wg.Done(); starts = c.listOffsets(ctx, startParts, -2, 0) }()
	wg.Wait()

	// Lag per group and partition.
	want := map[fetchKey]int64{}
	for _, n := range order {
		g, ok := groups[n]
		if !ok {
			continue
		}
		g.view.Topics = []Topic{}
		for _, t := range topics {
			if !g.involves(t) {
				continue
			}
			g.view.Topics = append(g.view.Topics, c.topicLag(g, t, meta[t], ends, starts, want))
		}
	}

	var times map[fetchKey]fetchResult
	if !c.o.NoTimeLag && len(want) > 0 {
		times = c.fetchTimes(ctx, want, meta)
	}
	now := c.now()

	s := &Snapshot{Time: now, Groups: []Group{}}
	for _, n := range order {
		g, ok := groups[n]
		if !ok {
			continue
		}
		if len(c.o.Topics) > 0 && len(c.o.Groups) == 0 && len(g.view.Topics) == 0 {
			continue // --topic: only the groups that consume it
		}
		for i := range g.view.Topics {
			t := &g.view.Topics[i]
			for j := range t.Partitions {
				applyTime(t.Topic, &t.Partitions[j], times, now, c.o.NoTimeLag)
			}
		}
		g.view.finish()
		s.Groups = append(s.Groups, g.view)
	}
	s.Warnings = c.warn
	if len(missing) > 0 {
		return s, &NotFoundError{Groups: missing}
	}
	return s, nil
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

// topicLag computes a group's lag on one topic and records, in want, the
// records to read for time lag (key → end offset).
func (c *collector) topicLag(g *groupInfo, t string, m *topicMeta, ends, starts map[tp]listedOffset, want map[fetchKey]int64) Topic {
	tv := Topic{Topic: t, Partitions: []Partition{}}
	if !m.exists {
		// A deleted topic (or one that cannot be described): show what
		// the group still holds for it, with no lag.
		tv.Deleted = m.err == nil
		msg := ""
		if m.err != nil {
			msg = fmt.Sprintf("metadata of topic %q: %v", t, m.err)
		}
		parts := map[int32]bool{}
		for p := range g.commits[t] {
			parts[p] = true
		}
		for k := range g.owners {
			if k.t == t {
				parts[k.p] = true
			}
		}
		for p := range parts {
			pv := Partition{Partition: p, Committed: -1, End: -1, Error: msg, Owner: g.owners[tp{t, p}]}
			if r, ok := g.commits[t][p]; ok && r.Err == nil && r.At >= 0 {
				pv.Committed = r.At
			}
			tv.Partitions = append(tv.Partitions, pv)
		}
		return tv
	}
	for p := range m.partitions {
		pv := Partition{Partition: p, Committed: -1, End: -1, Owner: g.owners[tp{t, p}]}
		tv.Partitions = append(tv.Partitions, pv)
		last := &tv.Partitions[len(tv.Partitions)-1]
		r, committed := g.commits[t][p]
		if committed && r.Err != nil {
			last.Error = fmt.Sprintf("committed offset: %v", r.Err)
			continue
		}
		if committed && r.At >= 0 {
			last.Committed = r.At
		} else {
			last.NoCommit = true
		}
		end, ok := ends[tp{t, p}]
		if !ok || end.err != nil {
			last.Error = fmt.Sprintf("end offset: %v", errOr(end.err, "not listed"))
			continue
		}
		last.End = end.offset
		from := last.Committed
		if last.NoCommit {
			st, ok := starts[tp{t, p}]
			if !ok || st.err != nil {
				last.Error = fmt.Sprintf("log start offset: %v", errOr(st.err, "not listed"))
				continue
			}
			last.LogStart = new(st.offset)
			from = st.offset
		}
		lag := end.offset - from
		if lag < 0 {
			lag = 0
			last.Clamped = !last.NoCommit
		}
		last.Lag = new(lag)
		if lag > 0 {
			want[fetchKey{t, p, from}] = end.offset
		}
	}
	return tv
}

func errOr(err error, s string) string {
	if err != nil {
		return err.Error()
	}
	return s
}

// applyTime fills a partition's time lag from the records read.
func applyTime(topic string, p *Partition, times map[fetchKey]fetchResult, now time.Time, skipped bool) {
	if p.Lag == nil {
		return
	}
	if *p.Lag == 0 {
		p.TimeLagMs = new(int64(0))
		return
	}
	if skipped {
		return
	}
	from := p.Committed
	if p.NoCommit && p.LogStart != nil {
		from = *p.LogStart
	}
	r, ok := times[fetchKey{topic, p.Partition, from}]
	switch {
	case !ok:
		p.Error = fmt.Sprintf("time lag: record at offset %d not read", from)
	case r.err != nil:
		p.Error = fmt.Sprintf("time lag: record at offset %d: %v", from, r.err)
	case r.found:
		ms := now.Sub(r.ts).Milliseconds()
		if ms < 0 {
			ms = 0 // the producer's clock is ahead of ours
		}
		p.TimeLagMs = new(ms)
		p.RecordTime = new(r.ts.UTC())
	case r.markersOnly:
		p.Lag = new(int64(0))
		p.MarkersOnly = true
		p.TimeLagMs = new(int64(0))
	default:
		p.Error = fmt.Sprintf("time lag: no record found at offset %d", from)
	}
}

// listGroups lists every group, one request per broker, keeping the types
// that commit offsets (classic and consumer groups; share groups have no
// committed offsets).
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
// groups) and fetches their committed offsets, all concurrently.
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
	// GROUP_ID_NOT_FOUND or a placeholder. Their assignments name topics
	// by ID: resolve them from the committed offsets (which carry both),
	// else with one Metadata request by ID.
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
	if cdescErr != nil && !named {
		c.warnf("describe consumer groups: %v", cdescErr)
	}
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
	if descErr != nil {
		c.shardWarn("describe groups", descErr, groups)
	}
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
