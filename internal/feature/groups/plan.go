package groups

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Plan is a reset plan: per selected partition, the current and new
// offsets and the lag before and after. It is built by BuildPlan from an
// observation and carried out, unchanged, by Execute.
type Plan struct {
	Group    string `json:"group" yaml:"group"`
	State    string `json:"state" yaml:"state"`
	Exists   bool   `json:"exists" yaml:"exists"`
	Strategy string `json:"strategy" yaml:"strategy"`
	// Members are the group's live members: while there are any, the plan
	// cannot be executed.
	Members    []string           `json:"members" yaml:"members"`
	Partitions []PlannedPartition `json:"partitions" yaml:"partitions"`
	// MissingTopics are topics the group committed to (--all-topics) that
	// do not exist any more. A --topic that does not exist is an error.
	MissingTopics []string    `json:"missingTopics,omitempty" yaml:"missingTopics,omitempty"`
	Summary       PlanSummary `json:"summary" yaml:"summary"`
	Warnings      []string    `json:"warnings,omitempty" yaml:"warnings,omitempty"`
}

// PlanSummary counts the partitions of a plan.
type PlanSummary struct {
	// Reset partitions get a new committed offset.
	Reset int `json:"reset" yaml:"reset"`
	// Unchanged partitions are already at their new offset.
	Unchanged int `json:"unchanged" yaml:"unchanged"`
	// Excluded partitions are shown but not committed: never committed
	// (--all-topics), nothing to shift from, or an error.
	Excluded int `json:"excluded" yaml:"excluded"`
}

// PlannedPartition is one partition of a plan.
type PlannedPartition struct {
	Topic     string `json:"topic" yaml:"topic"`
	Partition int32  `json:"partition" yaml:"partition"`
	// Current is the committed offset, null when the group never
	// committed one here.
	Current *int64 `json:"current" yaml:"current"`
	// New is the offset the reset commits, null when none can be planned.
	New      *int64 `json:"new" yaml:"new"`
	LogStart int64  `json:"logStart" yaml:"logStart"`
	End      int64  `json:"end" yaml:"end"`
	// LagBefore is End - Current (null without a commit); LagAfter End - New.
	LagBefore *int64 `json:"lagBefore" yaml:"lagBefore"`
	LagAfter  *int64 `json:"lagAfter" yaml:"lagAfter"`
	// Included: the partition is committed by Execute (it changes).
	Included bool `json:"included" yaml:"included"`
	// Clamped: the asked offset lay outside [LogStart, End] and was moved
	// to the nearer bound.
	Clamped bool   `json:"clamped,omitempty" yaml:"clamped,omitempty"`
	Note    string `json:"note,omitempty" yaml:"note,omitempty"`
	Error   string `json:"error,omitempty" yaml:"error,omitempty"`
}

// Executable reports whether Execute would commit anything: live members
// refuse it, and a plan without changes has nothing to commit.
func (p *Plan) Executable() bool { return len(p.Members) == 0 && p.Summary.Reset > 0 }

// BuildPlan computes a reset plan from an observation. It does no I/O. A
// partition's asked offset is clamped to the log's bounds (noted). As
// kafka-consumer-groups.sh --reset-offsets does, a named topic (or T:P)
// positions every partition named, committed before or not; --all-topics
// resets the partitions the group has offsets for (others of those topics
// are shown, not included). --shift-by and --to-current need a commit to
// start from; a partition with an observation error is excluded with it.
func BuildPlan(req ResetRequest, obs *Observed) *Plan {
	p := &Plan{
		Group: obs.Group, State: obs.State, Exists: obs.Exists, Strategy: req.Strategy.String(),
		Members: obs.Members, Partitions: []PlannedPartition{}, MissingTopics: obs.Missing, Warnings: obs.Warnings,
	}
	if p.Members == nil {
		p.Members = []string{}
	}
	for _, op := range obs.Partitions {
		pp := planPartition(req, op)
		switch {
		case !pp.Included && (pp.New == nil || pp.Current == nil || pp.Error != ""):
			p.Summary.Excluded++
		case pp.Included:
			p.Summary.Reset++
		default:
			p.Summary.Unchanged++
		}
		p.Partitions = append(p.Partitions, pp)
	}
	sort.Slice(p.Partitions, func(i, j int) bool {
		a, b := p.Partitions[i], p.Partitions[j]
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		return a.Partition < b.Partition
	})
	return p
}

func planPartition(req ResetRequest, op ObservedPartition) PlannedPartition {
	pp := PlannedPartition{Topic: op.Topic, Partition: op.Partition, LogStart: op.LogStart, End: op.End}
	committed := op.Committed >= 0
	if committed {
		pp.Current = new(op.Committed)
	}
	if op.Error != "" {
		pp.Error = op.Error
		pp.Note = "not included: cannot be read"
		return pp
	}
	if committed {
		pp.LagBefore = new(max(op.End-op.Committed, 0))
	}
	var target int64
	var notes []string
	switch req.Strategy.Kind {
	case ToEarliest:
		target = op.LogStart
	case ToLatest:
		target = op.End
	case ToOffset:
		target = req.Strategy.Offset
	case ToDatetime, ByDuration:
		target = op.AtTime
		if target < 0 {
			target = op.End
			notes = append(notes, "no record at or after "+req.Strategy.Time.UTC().Format("2006-01-02T15:04:05Z07:00")+": the end")
		}
	case ShiftBy, ToCurrent:
		if !committed {
			pp.Note = "not included: no committed offset to start from"
			return pp
		}
		target = op.Committed
		if req.Strategy.Kind == ShiftBy {
			target += req.Strategy.Offset
		}
	}
	switch {
	case target < op.LogStart:
		notes = append(notes, fmt.Sprintf("clamped to the log start (asked %d)", target))
		target, pp.Clamped = op.LogStart, true
	case target > op.End:
		notes = append(notes, fmt.Sprintf("clamped to the end (asked %d)", target))
		target, pp.Clamped = op.End, true
	}
	pp.New = new(target)
	pp.LagAfter = new(op.End - target)
	switch {
	case !committed && req.AllTopics:
		notes = append(notes, "never committed: not included (--all-topics resets committed partitions; --topic "+op.Topic+" includes it)")
	case committed && target == op.Committed:
		notes = append(notes, "unchanged")
	default:
		pp.Included = true
		if !committed {
			notes = append(notes, "never committed: included")
		}
	}
	pp.Note = strings.Join(notes, "; ")
	return pp
}

// LiveMembersError refuses a reset of a group with live members.
type LiveMembersError struct {
	Group   string
	Members []string
}

func (e *LiveMembersError) Error() string {
	return fmt.Sprintf("group %q has %d live member(s): %s; stop them (the group must be Empty) and run the reset again",
		e.Group, len(e.Members), strings.Join(e.Members, ", "))
}

// Result is what Execute committed.
type Result struct {
	Group      string            `json:"group" yaml:"group"`
	Partitions []CommittedOffset `json:"partitions" yaml:"partitions"`
	Committed  int               `json:"committed" yaml:"committed"`
	Failed     int               `json:"failed" yaml:"failed"`
}

// CommittedOffset is one partition's answer to the commit.
type CommittedOffset struct {
	Topic     string `json:"topic" yaml:"topic"`
	Partition int32  `json:"partition" yaml:"partition"`
	Offset    int64  `json:"offset" yaml:"offset"`
	Error     string `json:"error,omitempty" yaml:"error,omitempty"`
}

// Execute commits the included partitions of the plan in one OffsetCommit
// (kadm resolves topic IDs with one Metadata request first) and checks each
// partition's answer. It decides nothing: it refuses a plan with live
// members (*LiveMembersError, nothing sent) and commits exactly the plan's
// new offsets. It returns the result, with per-partition errors counted in
// Failed, and an error only when the request itself failed (then nothing
// is known to be committed).
func Execute(ctx context.Context, cl *kgo.Client, p *Plan) (*Result, error) {
	if len(p.Members) > 0 {
		return nil, &LiveMembersError{Group: p.Group, Members: p.Members}
	}
	res := &Result{Group: p.Group, Partitions: []CommittedOffset{}}
	offs := kadm.Offsets{}
	for _, pp := range p.Partitions {
		if pp.Included && pp.New != nil {
			offs.Add(kadm.Offset{Topic: pp.Topic, Partition: pp.Partition, At: *pp.New, LeaderEpoch: -1})
		}
	}
	if len(offs) == 0 {
		return res, nil
	}
	resp, err := kadm.NewClient(cl).CommitOffsets(ctx, p.Group, offs)
	if err != nil {
		return nil, fmt.Errorf("commit offsets of group %q: %w", p.Group, err)
	}
	resp.Each(func(r kadm.OffsetResponse) {
		co := CommittedOffset{Topic: r.Topic, Partition: r.Partition, Offset: r.At}
		if r.Err != nil {
			co.Error = r.Err.Error()
			if errors.Is(r.Err, kerr.UnknownMemberID) || errors.Is(r.Err, kerr.IllegalGeneration) ||
				errors.Is(r.Err, kerr.RebalanceInProgress) || errors.Is(r.Err, kerr.StaleMemberEpoch) {
				co.Error += " (the group has live members again)"
			}
			res.Failed++
		} else {
			res.Committed++
		}
		res.Partitions = append(res.Partitions, co)
	})
	sort.Slice(res.Partitions, func(i, j int) bool {
		a, b := res.Partitions[i], res.Partitions[j]
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		return a.Partition < b.Partition
	})
	return res, nil
}
