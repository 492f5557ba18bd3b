// Package groupclone is kctl groups clone: a plan that copies a consumer
// group's committed offsets to another group (kafkactl's clone: escape a
// stuck rebalance, try a new consumer at the same position), built without
// side effects, and the commit that carries it out.
package groupclone

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/kctl/kctl/internal/platform/errs"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Offset is one partition of the plan: the source's committed offset and
// the destination's now (-1: none).
type Offset struct {
	Topic     string `json:"topic" yaml:"topic"`
	Partition int32  `json:"partition" yaml:"partition"`
	Offset    int64  `json:"offset" yaml:"offset"`
	// DstBefore is the destination's committed offset before (-1: none).
	DstBefore int64 `json:"dstBefore" yaml:"dstBefore"`
}

// Plan is `kctl groups clone`'s plan.
type Plan struct {
	Src string `json:"src" yaml:"src"`
	Dst string `json:"dst" yaml:"dst"`
	// DstExists: the destination already has a group or commits (only
	// with --force).
	DstExists bool     `json:"dstExists" yaml:"dstExists"`
	Offsets   []Offset `json:"offsets" yaml:"offsets"`

	epochs map[string]map[int32]int32
	meta   map[string]map[int32]string
}

// ExistsError is a destination group that already exists (without force).
type ExistsError struct {
	Group string
	State string
}

func (e *ExistsError) Error() string {
	return fmt.Sprintf("group %q already exists (%s): kctl clones only into a new group; choose another name, or add --force to overwrite its offsets on the source's partitions (refused while it has live members); nothing was committed", e.Group, e.State)
}

// Build reads both groups and returns the plan. An unknown source (with
// the closest name), a source without commits, a destination that exists
// (unless force) or has live members, and src == dst are errors.
func Build(ctx context.Context, adm *kadm.Client, src, dst string, force bool) (*Plan, error) {
	if src == dst {
		return nil, fmt.Errorf("the source and destination are both %q: name a new group to copy the offsets to", src)
	}
	listed, err := adm.ListGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	names := listed.Groups()
	if !slices.Contains(names, src) {
		return nil, &errs.GroupNotFound{Groups: []string{src}, Suggestions: errs.Suggest([]string{src}, names), Hint: "nothing was committed"}
	}
	fetched := adm.FetchManyOffsets(ctx, src, dst)
	sr, ok := fetched[src]
	if !ok {
		return nil, fmt.Errorf("committed offsets of group %q: no answer", src)
	}
	if sr.Err != nil {
		return nil, fmt.Errorf("committed offsets of group %q: %w", src, sr.Err)
	}
	dr, ok := fetched[dst]
	if !ok {
		return nil, fmt.Errorf("committed offsets of group %q: no answer", dst)
	}
	if dr.Err != nil && !errors.Is(dr.Err, kerr.GroupIDNotFound) {
		return nil, fmt.Errorf("committed offsets of group %q: %w", dst, dr.Err)
	}
	p := &Plan{Src: src, Dst: dst, Offsets: []Offset{}, epochs: map[string]map[int32]int32{}, meta: map[string]map[int32]string{}}
	dstCommits := 0
	dr.Fetched.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At >= 0 {
			dstCommits++
		}
	})
	if slices.Contains(names, dst) || dstCommits > 0 {
		state := "with committed offsets"
		dg, err := adm.DescribeGroups(ctx, dst)
		if err != nil {
			return nil, fmt.Errorf("describe group %q: %w", dst, err)
		}
		if g, ok := dg[dst]; ok && g.Err == nil && g.State != "" && g.State != "Dead" {
			state = g.State
			if len(g.Members) > 0 {
				return nil, fmt.Errorf("group %q has %d live members: its offsets cannot be overwritten while they consume; stop them, or clone into a new group; nothing was committed", dst, len(g.Members))
			}
		}
		if !force {
			return nil, &ExistsError{Group: dst, State: state}
		}
		p.DstExists = true
	}
	var perr error
	sr.Fetched.Each(func(o kadm.OffsetResponse) {
		if o.Err != nil {
			if perr == nil {
				perr = fmt.Errorf("committed offset of group %q on %s:%d: %w", src, o.Topic, o.Partition, o.Err)
			}
			return
		}
		if o.At < 0 {
			return
		}
		before := int64(-1)
		if d, ok := dr.Fetched.Lookup(o.Topic, o.Partition); ok && d.Err == nil {
			before = d.At
		}
		p.Offsets = append(p.Offsets, Offset{Topic: o.Topic, Partition: o.Partition, Offset: o.At, DstBefore: before})
		if p.epochs[o.Topic] == nil {
			p.epochs[o.Topic], p.meta[o.Topic] = map[int32]int32{}, map[int32]string{}
		}
		p.epochs[o.Topic][o.Partition] = o.LeaderEpoch
		p.meta[o.Topic][o.Partition] = o.Metadata
	})
	if perr != nil {
		return nil, perr
	}
	if len(p.Offsets) == 0 {
		return nil, fmt.Errorf("group %q has no committed offsets: nothing to clone", src)
	}
	slices.SortFunc(p.Offsets, func(a, b Offset) int {
		if a.Topic != b.Topic {
			if a.Topic < b.Topic {
				return -1
			}
			return 1
		}
		return int(a.Partition - b.Partition)
	})
	return p, nil
}

// Result is what `kctl groups clone` committed.
type Result struct {
	Src       string   `json:"src" yaml:"src"`
	Dst       string   `json:"dst" yaml:"dst"`
	Committed []Offset `json:"committed" yaml:"committed"`
	Errors    []string `json:"errors,omitempty" yaml:"errors,omitempty"`
}

// Execute commits the plan's offsets (with the source's leader epochs and
// metadata) to the destination group, checking each partition.
func Execute(ctx context.Context, adm *kadm.Client, p *Plan) (*Result, error) {
	os := kadm.Offsets{}
	for _, o := range p.Offsets {
		os.Add(kadm.Offset{Topic: o.Topic, Partition: o.Partition, At: o.Offset, LeaderEpoch: p.epochs[o.Topic][o.Partition], Metadata: p.meta[o.Topic][o.Partition]})
	}
	resp, err := adm.CommitOffsets(ctx, p.Dst, os)
	if err != nil {
		return nil, fmt.Errorf("commit offsets to group %q: %w", p.Dst, err)
	}
	r := &Result{Src: p.Src, Dst: p.Dst, Committed: []Offset{}}
	for _, o := range p.Offsets {
		c, ok := resp.Lookup(o.Topic, o.Partition)
		switch {
		case !ok:
			r.Errors = append(r.Errors, fmt.Sprintf("%s:%d: the coordinator did not answer", o.Topic, o.Partition))
		case c.Err != nil:
			r.Errors = append(r.Errors, fmt.Sprintf("%s:%d: %v", o.Topic, o.Partition, c.Err))
		default:
			r.Committed = append(r.Committed, o)
		}
	}
	return r, nil
}
