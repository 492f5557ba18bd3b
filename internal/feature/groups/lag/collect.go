package lag

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kctl/kctl/internal/platform/errs"
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
	// Exclude leaves out the groups whose names match one of these globs
	// (path.Match: *, ?, [a-z]).
	Exclude []string
}

// Collect observes the consumer groups once. The requests are batched: one
// ListGroups per broker (only when no group is named), then concurrently one
// DescribeGroups and one ConsumerGroupDescribe per coordinator and one
// OffsetFetch per coordinator for all groups, then one Metadata request,
// then one ListOffsets per partition leader for the last stable offsets
// (and, concurrently, one for the log start of the topics where a
// partition has no commit), then one Fetch per partition leader reading the record at each
// lagging committed offset. Committed offsets are always read before end
// offsets, so a lag is never negative (a commit past the end is clamped to
// 0 and flagged).
//
// Partial results survive: a group, topic or partition that cannot be read
// carries an Error and the others are still reported; warnings name the
// brokers that could not answer. When named groups do not exist, Collect
// returns the snapshot of the others together with a *errs.GroupNotFound. It
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
// partition's lag is unknown (a deleted topic, an offline partition). Its
// lag is `kctl lag`'s: transaction markers and aborted records between the
// commit and the end are not lag (so it reads the record at each lagging
// committed offset, as Collect does).
func Total(ctx context.Context, cl *kgo.Client, group string, topics ...string) (int64, error) {
	s, err := Collect(ctx, cl, Options{Groups: []string{group}, Topics: topics})
	if err != nil {
		return 0, err
	}
	g, ok := s.Lookup(group)
	if !ok {
		return 0, &errs.GroupNotFound{Groups: []string{group}}
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

// collect runs the requests in the order Collect documents and builds the
// snapshot: groups (groups.go, kip848.go), then partitions and offsets
// (offsets.go), then the records for time lag (timelag.go), then the view
// (view.go).
func (c *collector) collect(ctx context.Context) (*Snapshot, error) {
	groups, order, err := c.groupsToObserve(ctx)
	if err != nil {
		return nil, err
	}
	if len(order) == 0 {
		return &Snapshot{Time: c.now(), Groups: []Group{}, Warnings: c.warn}, nil
	}
	c.describeAndFetch(ctx, groups, order)
	missing := c.dropMissing(groups, order)

	topics := c.involvedTopics(groups)
	meta := map[string]*topicMeta{}
	if len(topics) > 0 {
		if meta, err = c.metadata(ctx, topics); err != nil {
			return nil, err
		}
	}
	// Committed offsets were read above, end offsets only now: a lag is
	// never negative.
	endTopics, startTopics := offsetTopics(topics, meta, groups)
	ends, starts := c.listOffsets(ctx, endTopics, startTopics)

	want := partitionLags(groups, order, topics, meta, ends, starts)
	var times map[fetchKey]fetchResult
	if !c.o.NoTimeLag && len(want) > 0 {
		times = c.fetchTimes(ctx, want, meta)
	}
	s := c.snapshot(groups, order, times)
	if len(missing) > 0 {
		return s, c.notFound(ctx, missing)
	}
	return s, nil
}

// involvedTopics returns the topics the groups committed to or are assigned,
// kept by --topic, sorted.
func (c *collector) involvedTopics(groups map[string]*groupInfo) []string {
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
	return topics
}
