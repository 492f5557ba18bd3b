package lag

import (
	"context"
	"sort"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Description is one consumer group as its coordinator describes it,
// without end offsets or lag: what `kctl groups` lists, describes, deletes
// and resets. Group has the state, type, protocol and members; its Topics
// are empty.
type Description struct {
	Group Group
	// Assignments are each member's assigned partitions, by member ID,
	// then topic, partitions sorted.
	Assignments map[string]map[string][]int32
	// Committed are the group's committed offsets (only partitions with a
	// commit stored), by topic and partition.
	Committed map[string]map[int32]kadm.OffsetResponse
	// CommitsKnown is false when the committed offsets could not be
	// fetched (Group.Error says why).
	CommitsKnown bool
}

// Topics returns the topics the group has committed offsets for or is
// assigned, sorted.
func (d Description) Topics() []string {
	set := map[string]bool{}
	for t := range d.Committed {
		set[t] = true
	}
	for _, a := range d.Assignments {
		for t := range a {
			set[t] = true
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Describe describes consumer groups (classic and KIP-848) with the same
// requests as Collect's group side: ListGroups per broker when no group is
// named, then concurrently DescribeGroups, ConsumerGroupDescribe and
// OffsetFetch per coordinator. It reads no partition offsets. It returns
// the descriptions in name order and warnings (brokers that could not
// answer); when named groups do not exist, the others together with a
// *errs.GroupNotFound; and only an error when no broker answered ListGroups.
func Describe(ctx context.Context, cl *kgo.Client, groups []string) ([]Description, []string, error) {
	c := &collector{cl: cl, adm: kadm.NewClient(cl), o: Options{Groups: groups, NoTimeLag: true}}
	gm, order, err := c.groupsToObserve(ctx)
	if err != nil {
		return nil, nil, err
	}
	if len(order) == 0 {
		return []Description{}, c.warn, nil
	}
	c.describeAndFetch(ctx, gm, order)
	missing := c.dropMissing(gm, order)
	out := make([]Description, 0, len(order))
	for _, n := range order {
		g, ok := gm[n]
		if !ok {
			continue
		}
		d := Description{
			Assignments:  map[string]map[string][]int32{},
			Committed:    g.commits,
			CommitsKnown: g.fetchErr == nil,
		}
		if d.Committed == nil {
			d.Committed = map[string]map[int32]kadm.OffsetResponse{}
		}
		for k, o := range g.owners {
			a := d.Assignments[o.MemberID]
			if a == nil {
				a = map[string][]int32{}
				d.Assignments[o.MemberID] = a
			}
			a[k.t] = append(a[k.t], k.p)
		}
		for _, a := range d.Assignments {
			for _, ps := range a {
				sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
			}
		}
		g.view.Topics = []Topic{}
		g.view.finish()
		d.Group = g.view
		out = append(out, d)
	}
	if len(missing) > 0 {
		return out, c.warn, c.notFound(ctx, missing)
	}
	return out, c.warn, nil
}
