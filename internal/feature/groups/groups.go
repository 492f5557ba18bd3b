// Package groups is `kctl groups`: it lists, describes and deletes consumer
// groups (classic and KIP-848, observed with its sub-package lag's Describe)
// and resets their committed offsets. A reset is a plan, as apply's: Observe
// reads the group, its commits and the logs' bounds; BuildPlan, a pure
// function, computes the new offset of each partition; Execute carries out
// a plan in one OffsetCommit and checks each partition's answer.
//
// groups and lag are one feature family, consumer groups, as provision and
// provision/reassign are one: lag (internal/feature/groups/lag) is the
// observation pipeline of groups — ListGroups, DescribeGroups,
// ConsumerGroupDescribe, OffsetFetch per coordinator — plus end offsets and
// verdicts for `kctl lag`, and Describe is that pipeline without the
// offsets. groups builds on it rather than on a copy; no other feature
// imports either.
package groups

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kctl/kctl/internal/feature/groups/lag"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kctl/kctl/internal/platform/errs"
)

// ListView is `kctl groups list`.
type ListView struct {
	Groups   []Summary `json:"groups" yaml:"groups"`
	Warnings []string  `json:"warnings,omitempty" yaml:"warnings,omitempty"`
}

// Summary is one group in the list.
type Summary struct {
	Group        string   `json:"group" yaml:"group"`
	State        string   `json:"state" yaml:"state"`
	Type         string   `json:"type" yaml:"type"`
	ProtocolType string   `json:"protocolType" yaml:"protocolType"`
	Protocol     string   `json:"protocol" yaml:"protocol"`
	Members      int      `json:"members" yaml:"members"`
	Topics       []string `json:"topics" yaml:"topics"`
	Error        string   `json:"error,omitempty" yaml:"error,omitempty"`
}

// List lists every consumer group (classic and KIP-848; share groups have
// no offsets and are left out) with its state, member count, protocol and
// the topics it commits to or is assigned. It returns an error only when no
// broker answered; brokers that did not are named in the warnings.
func List(ctx context.Context, cl *kgo.Client) (*ListView, error) {
	ds, warns, err := lag.Describe(ctx, cl, nil)
	if err != nil {
		return nil, err
	}
	v := &ListView{Groups: []Summary{}, Warnings: warns}
	for _, d := range ds {
		g := d.Group
		v.Groups = append(v.Groups, Summary{
			Group: g.Group, State: g.State, Type: g.Type, ProtocolType: g.ProtocolType,
			Protocol: g.Protocol, Members: len(g.Members), Topics: d.Topics(), Error: g.Error,
		})
	}
	return v, nil
}

// DescribeView is `kctl groups describe G`.
type DescribeView struct {
	Group        string   `json:"group" yaml:"group"`
	State        string   `json:"state" yaml:"state"`
	Type         string   `json:"type" yaml:"type"`
	ProtocolType string   `json:"protocolType" yaml:"protocolType"`
	Protocol     string   `json:"protocol" yaml:"protocol"`
	Coordinator  int32    `json:"coordinator" yaml:"coordinator"`
	Members      []Member `json:"members" yaml:"members"`
	// Topics are the topics the group commits to or is assigned.
	Topics   []string `json:"topics" yaml:"topics"`
	Error    string   `json:"error,omitempty" yaml:"error,omitempty"`
	Warnings []string `json:"warnings,omitempty" yaml:"warnings,omitempty"`
}

// Member is a live member and its assignment.
type Member struct {
	MemberID   string            `json:"memberId" yaml:"memberId"`
	ClientID   string            `json:"clientId" yaml:"clientId"`
	Host       string            `json:"host" yaml:"host"`
	InstanceID string            `json:"instanceId,omitempty" yaml:"instanceId,omitempty"`
	Assignment []TopicPartitions `json:"assignment" yaml:"assignment"`
}

// TopicPartitions are partitions of one topic.
type TopicPartitions struct {
	Topic      string  `json:"topic" yaml:"topic"`
	Partitions []int32 `json:"partitions" yaml:"partitions"`
}

// Describe describes one group: state, protocol, coordinator, and each
// member's client ID, host, instance ID and assignment. It returns a
// *errs.GroupNotFound when the group does not exist, or the cluster's error.
func Describe(ctx context.Context, cl *kgo.Client, group string) (*DescribeView, error) {
	vs, err := DescribeAll(ctx, cl, []string{group})
	if err != nil {
		return nil, err
	}
	return vs[0], nil
}

// DescribeViews are several described groups, in the order asked.
type DescribeViews []*DescribeView

// DescribeAll describes the named groups (as Describe) with one round of
// requests, in the order given, each once. Groups that do not exist are
// left out and named by a *errs.GroupNotFound returned with the others' views;
// on the cluster's error it returns no views.
func DescribeAll(ctx context.Context, cl *kgo.Client, names []string) (DescribeViews, error) {
	ds, warns, err := lag.Describe(ctx, cl, names)
	var nf *errs.GroupNotFound
	if err != nil && !errors.As(err, &nf) {
		return nil, err
	}
	byName := map[string]lag.Description{}
	for _, d := range ds {
		byName[d.Group.Group] = d
	}
	var out DescribeViews
	var missing []string
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		d, ok := byName[n]
		if !ok {
			missing = append(missing, n)
			continue
		}
		out = append(out, describeView(d, warns))
	}
	if len(missing) > 0 {
		return out, &errs.GroupNotFound{Groups: missing, Suggestions: closestOf(nf)}
	}
	return out, nil
}

// describeView is the view of one description.
func describeView(d lag.Description, warns []string) *DescribeView {
	g := d.Group
	v := &DescribeView{
		Group: g.Group, State: g.State, Type: g.Type, ProtocolType: g.ProtocolType, Protocol: g.Protocol,
		Coordinator: g.Coordinator, Members: []Member{}, Topics: d.Topics(), Error: g.Error, Warnings: warns,
	}
	for _, m := range g.Members {
		mv := Member{MemberID: m.MemberID, ClientID: m.ClientID, Host: m.Host, InstanceID: m.InstanceID, Assignment: []TopicPartitions{}}
		a := d.Assignments[m.MemberID]
		topics := make([]string, 0, len(a))
		for t := range a {
			topics = append(topics, t)
		}
		sort.Strings(topics)
		for _, t := range topics {
			mv.Assignment = append(mv.Assignment, TopicPartitions{Topic: t, Partitions: a[t]})
		}
		v.Members = append(v.Members, mv)
	}
	return v
}

// DeleteResult is `kctl groups delete`: one outcome per group named.
type DeleteResult struct {
	Groups []DeleteOutcome `json:"groups" yaml:"groups"`
	// Deleted and NotDeleted count the outcomes (set by Delete).
	Deleted    int `json:"deleted" yaml:"deleted"`
	NotDeleted int `json:"notDeleted" yaml:"notDeleted"`
}

// DLTReplayGroup is the default progress group of kctl dlt replay
// (services/dlt.DefaultReplayGroup), and DLTReplayMarker starts the commit
// metadata of every replay progress group (services/dlt's progress): a
// group named DLTReplayGroup* or committed with that metadata is deleted
// only with force.
const (
	DLTReplayGroup  = lag.ReplayGroupPrefix
	DLTReplayMarker = lag.ReplayMarker
)

// replayProgress reports whether d is a dlt replay progress group (as
// kctl lag labels it).
func replayProgress(d lag.Description) bool {
	return lag.IsReplayProgress(d.Group.Group, d.Committed)
}

// DeleteOutcome is what happened to one group.
type DeleteOutcome struct {
	Group string `json:"group" yaml:"group"`
	// Status is deleted, refused (live members), not-found or failed.
	Status string `json:"status" yaml:"status"`
	// Members are the live members that refused the deletion.
	Members []string `json:"members,omitempty" yaml:"members,omitempty"`
	Error   string   `json:"error,omitempty" yaml:"error,omitempty"`
}

// Failed returns how many groups were not deleted.
func (r *DeleteResult) Failed() int {
	n := 0
	for _, g := range r.Groups {
		if g.Status != "deleted" {
			n++
		}
	}
	return n
}

// Delete deletes the named groups that have no live members, in one
// DeleteGroups request per coordinator. A group with live members is
// refused (naming them) and not deleted; so is, unless force, a kctl dlt
// replay progress group (named DLTReplayGroup* or committed with
// DLTReplayMarker metadata), whose deletion makes the next replay
// republish every dead letter. A group that does not exist or that the
// broker refuses has its own error. It returns an error only when the
// groups could not be described at all; otherwise every group named has an
// outcome, in the order given.
func Delete(ctx context.Context, cl *kgo.Client, names []string, force bool) (*DeleteResult, error) {
	ds, _, err := lag.Describe(ctx, cl, names)
	var nf *errs.GroupNotFound
	if err != nil && !errors.As(err, &nf) {
		return nil, err
	}
	byName := map[string]lag.Description{}
	for _, d := range ds {
		byName[d.Group.Group] = d
	}
	res := &DeleteResult{Groups: []DeleteOutcome{}}
	var todo []string
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		d, ok := byName[n]
		switch {
		case !ok:
			res.Groups = append(res.Groups, DeleteOutcome{Group: n, Status: "not-found", Error: (&errs.GroupNotFound{Groups: []string{n}, Suggestions: closestOf(nf)}).Error()})
		case len(d.Group.Members) > 0:
			res.Groups = append(res.Groups, DeleteOutcome{Group: n, Status: "refused", Members: memberNames(d.Group.Members),
				Error: fmt.Sprintf("group %q has %d live member(s): %s; stop them first", n, len(d.Group.Members), strings.Join(memberNames(d.Group.Members), ", "))})
		case !force && replayProgress(d):
			res.Groups = append(res.Groups, DeleteOutcome{Group: n, Status: "refused",
				Error: fmt.Sprintf("group %q holds kctl dlt replay's progress: without it the next replay republishes every dead letter it already replayed; add --force to delete it anyway", n)})
		default:
			res.Groups = append(res.Groups, DeleteOutcome{Group: n, Status: "pending"})
			todo = append(todo, n)
		}
	}
	defer res.count()
	if len(todo) == 0 {
		return res, nil
	}
	resp, derr := kadm.NewClient(cl).DeleteGroups(ctx, todo...)
	for i := range res.Groups {
		o := &res.Groups[i]
		if o.Status != "pending" {
			continue
		}
		r, ok := resp[o.Group]
		switch {
		case !ok && derr != nil:
			o.Status, o.Error = "failed", fmt.Sprintf("delete group %q: %v", o.Group, derr)
		case !ok:
			o.Status, o.Error = "failed", fmt.Sprintf("delete group %q: no answer from its coordinator", o.Group)
		case errors.Is(r.Err, kerr.NonEmptyGroup):
			o.Status, o.Error = "refused", fmt.Sprintf("group %q gained members since it was described: stop them first", o.Group)
		case errors.Is(r.Err, kerr.GroupIDNotFound):
			o.Status, o.Error = "not-found", (&errs.GroupNotFound{Groups: []string{o.Group}}).Error()
		case r.Err != nil:
			o.Status, o.Error = "failed", fmt.Sprintf("delete group %q: %v", o.Group, r.Err)
		default:
			o.Status = "deleted"
		}
	}
	return res, nil
}

// count sets Deleted and NotDeleted.
func (r *DeleteResult) count() {
	r.NotDeleted = r.Failed()
	r.Deleted = len(r.Groups) - r.NotDeleted
}

// memberNames names members as client-id/host (member-id), sorted.
func memberNames(ms []lag.Member) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%s@%s (%s)", m.ClientID, m.Host, m.MemberID))
	}
	sort.Strings(out)
	return out
}

// closestOf returns a not-found error's suggestions, nil without one.
func closestOf(nf *errs.GroupNotFound) map[string]string {
	if nf == nil {
		return nil
	}
	return nf.Suggestions
}
