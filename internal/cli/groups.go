package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/feature/groups"
	"github.com/kctl/kctl/internal/platform/errs"
	"github.com/kctl/kctl/internal/platform/human"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/spf13/cobra"
)

// NewCmdGroups is `kctl groups`.
func NewCmdGroups(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "groups",
		Short: "List, describe, delete consumer groups and reset their offsets (delete and reset ask first: --yes, --dry-run)",
		Args:  noArgs,
	}
	cmd.AddCommand(NewCmdGroupsList(f, nil), NewCmdGroupsDescribe(f, nil), NewCmdGroupsDelete(f, nil), NewCmdGroupsReset(f, nil), NewCmdGroupsClone(f, nil))
	return cmd
}

// GroupsOptions is `kctl groups list|describe|delete`.
type GroupsOptions struct {
	Connect  ConnectFunc
	Printing Printing
	Prompter Prompter // delete
	Groups   []string
	// Force deletes kctl dlt replay progress groups too (delete).
	Force bool
	// ChangeFlags: delete's --yes and --dry-run.
	ChangeFlags
}

func newGroupsOptions(f *Factory) *GroupsOptions {
	return &GroupsOptions{Connect: f.Connect, Printing: f.Printing(), Prompter: f.prompter()}
}

// NewCmdGroupsList builds `kctl groups list`.
func NewCmdGroupsList(f *Factory, runF func(context.Context, *GroupsOptions) error) *cobra.Command {
	opts := newGroupsOptions(f)
	return &cobra.Command{
		Use:     "list",
		Short:   "Every consumer group (classic and KIP-848): state, type, protocol, members, topics",
		Example: "  kctl groups list\n  kctl groups list -o json",
		Aliases: []string{"ls"},
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runGroupsList(cmd.Context(), opts)
		},
	}
}

func runGroupsList(ctx context.Context, o *GroupsOptions) error {
	c, err := o.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	v, err := groups.List(ctx, c.Client)
	if err != nil {
		return connectionError(err)
	}
	return o.Printing.Print(v)
}

// NewCmdGroupsDescribe builds `kctl groups describe G...`.
func NewCmdGroupsDescribe(f *Factory, runF func(context.Context, *GroupsOptions) error) *cobra.Command {
	opts := newGroupsOptions(f)
	return &cobra.Command{
		Use:   "describe GROUP...",
		Short: "Groups' state, protocol and members: member ID, client ID, host, instance ID, assignment",
		Long: `Describes each group named: state, protocol, coordinator and each live member's
member ID, client ID, host, instance ID and assignment. With one group -o json|yaml
prints that group; with several, a list in the order given. A group that does not
exist is an error (exit 1) after the others are printed.`,
		Example:           "  kctl groups describe email-service\n  kctl groups describe email-service users-service -o yaml",
		ValidArgsFunction: completeGroups(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &FlagError{Err: errors.New("name the groups to describe, e.g. kctl groups describe email-service ('kctl groups list' lists them)")}
			}
			for _, a := range args {
				if strings.TrimSpace(a) == "" {
					return &FlagError{Err: errors.New("a group name is empty: name each group to describe")}
				}
			}
			opts.Groups = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runGroupsDescribe(cmd.Context(), opts)
		},
	}
}

func runGroupsDescribe(ctx context.Context, o *GroupsOptions) error {
	c, err := o.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	if len(o.Groups) == 1 {
		v, err := groups.Describe(ctx, c.Client, o.Groups[0])
		if err != nil {
			return connectionError(err)
		}
		return o.Printing.Print(v)
	}
	vs, err := groups.DescribeAll(ctx, c.Client, o.Groups)
	var nf *errs.GroupNotFound
	if err != nil && !errors.As(err, &nf) {
		return connectionError(err)
	}
	if vs == nil {
		vs = groups.DescribeViews{}
	}
	if perr := o.Printing.Print(vs); perr != nil {
		return perr
	}
	return err
}

// NewCmdGroupsDelete builds `kctl groups delete G...`.
func NewCmdGroupsDelete(f *Factory, runF func(context.Context, *GroupsOptions) error) *cobra.Command {
	opts := newGroupsOptions(f)
	cmd := &cobra.Command{
		Use:   "delete GROUP...",
		Short: "Delete consumer groups and their committed offsets (refused while a group has live members)",
		Long: `Deletes consumer groups and their committed offsets, one outcome per group and a
count of deleted and not deleted; exit 1 when any group was not deleted. A group with
live members is refused. So is, without --force, a kctl dlt replay progress group (the
default kctl-dlt-replay, any kctl-dlt-replay* group, or one whose commits carry replay
progress): deleting it makes the next kctl dlt replay republish every dead letter it
already replayed. The groups to delete are listed first, then kctl asks on a terminal (without
a terminal --yes is required; --dry-run stops after the list).`,
		Example:           "  kctl groups delete old-consumer\n  kctl groups delete a b c --yes -o json",
		ValidArgsFunction: completeGroups(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &FlagError{Err: errors.New("name the groups to delete, e.g. kctl groups delete old-consumer ('kctl groups list' lists them)")}
			}
			for _, a := range args {
				if strings.TrimSpace(a) == "" {
					return &FlagError{Err: errors.New("a group name is empty: name each group to delete")}
				}
			}
			if err := checkChangeFlags(opts.ChangeFlags); err != nil {
				return err
			}
			opts.Groups = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runGroupsDelete(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "also delete kctl dlt replay progress groups (the next replay then republishes every dead letter)")
	addChangeFlags(cmd, &opts.ChangeFlags, "list the groups that would be deleted and delete nothing", false)
	return cmd
}

func runGroupsDelete(ctx context.Context, o *GroupsOptions) error {
	c, err := o.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	if !o.Yes {
		// As apply: the plan in text before the question; as JSON/YAML
		// only for --dry-run (one document on stdout).
		v := deletePlanView{Groups: slices.Compact(slices.Sorted(slices.Values(o.Groups))), Force: o.Force}
		if format, _ := o.Printing.Format(); format == view.Text || o.DryRun {
			if err := o.Printing.Print(v); err != nil {
				return err
			}
		}
		if o.DryRun {
			return nil
		}
		if err := o.Prompter.confirmChange(ctx, o.ChangeFlags, "groups delete", "Delete these groups?"); err != nil {
			return err
		}
	}
	r, err := groups.Delete(ctx, c.Client, o.Groups, o.Force)
	if err != nil {
		return connectionError(err)
	}
	// The groups are deleted: the exit code is theirs, whether or not the
	// outcome could be printed (a closed stdout ends nothing here).
	perr := o.Printing.Print(r)
	if r.Failed() > 0 {
		return ErrSilentFailure
	}
	return perr
}

// deletePlanView is what `groups delete` would do (its plan): the groups
// named. Each is checked again (live members, replay progress) when deleted.
type deletePlanView struct {
	Groups []string `json:"groups" yaml:"groups"`
	Force  bool     `json:"force" yaml:"force"`
}

func (v deletePlanView) WriteText(w io.Writer, st view.Styles) error {
	fmt.Fprintf(w, "kctl would delete %s and their committed offsets:\n", human.Plural(len(v.Groups), "consumer group"))
	for _, g := range v.Groups {
		fmt.Fprintf(w, "  %s %s\n", st.Remove("-"), view.Printable(g))
	}
	msg := "A group with live members, or holding kctl dlt replay's progress (without --force), is refused then."
	if v.Force {
		msg = "A group with live members is refused then; --force: replay progress groups are deleted too."
	}
	_, err := fmt.Fprintln(w, st.Dim(msg))
	return err
}

// GroupsResetOptions is `kctl groups reset`.
type GroupsResetOptions struct {
	IO       IOStreams
	Connect  ConnectFunc
	Printing Printing
	Prompter Prompter
	Request  groups.ResetRequest
	ChangeFlags
	Now func() time.Time

	topics     []string
	toEarliest bool
	toLatest   bool
	toCurrent  bool
	// includeUncommitted is the deprecated --include-uncommitted: a
	// named topic positions every partition named now.
	includeUncommitted bool
	toOffset           string
	toDatetime         string
	byDuration         string
	shiftBy            string
}

// NewCmdGroupsReset builds `kctl groups reset G`.
func NewCmdGroupsReset(f *Factory, runF func(context.Context, *GroupsResetOptions) error) *cobra.Command {
	opts := &GroupsResetOptions{IO: f.IO, Connect: f.Connect, Printing: f.Printing(), Prompter: f.prompter(), Now: f.Now}
	cmd := &cobra.Command{
		Use:   "reset GROUP (--topic T[:P,P]... | --all-topics) --to-…",
		Short: "Move a group's committed offsets: a plan per partition, confirmed, then committed",
		Long: `Plans new committed offsets for a consumer group: per partition the current and new
offset and the lag before and after, clamped to the log's bounds. The plan is printed, then
kctl asks on a terminal (without a terminal --yes is required and no prompt is printed) and
commits it in one OffsetCommit; --dry-run stops after the plan. The group must have no
live members. As kafka-consumer-groups.sh --reset-offsets: --topic T (or T:P,P)
positions every partition named, whether the group committed there before or not;
--all-topics resets the partitions the group has offsets for. A group that does not
exist is an error naming the closest existing group; --create-group creates a new
group's offsets on purpose (with --topic). A --topic that does not exist, or a
partition it does not have, is an error naming it (exit 1, nothing committed).`,
		Example: `  kctl groups reset email-service --topic user.signed-up --to-earliest
  kctl groups reset email-service --all-topics --by-duration 1h --yes
  kctl groups reset email-service --topic user.signed-up:0,2 --shift-by -10 --dry-run -o json`,
		Args:              exactArgs(1),
		ValidArgsFunction: completeGroups(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Request.Group = args[0]
			if err := opts.complete(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runGroupsReset(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.topics, "topic", nil, "topic to reset, T or T:P,P for some partitions (repeatable)")
	fl.BoolVar(&opts.Request.AllTopics, "all-topics", false, "every topic the group has committed offsets for")
	fl.BoolVar(&opts.toEarliest, "to-earliest", false, "to the log start")
	fl.BoolVar(&opts.toLatest, "to-latest", false, "to the end (skip everything not yet consumed)")
	fl.StringVar(&opts.toOffset, "to-offset", "", "to offset N (clamped to the log's bounds), e.g. --to-offset 42")
	fl.StringVar(&opts.toDatetime, "to-datetime", "", "to the first record at or after a time or a duration ago, e.g. 2026-12-03T08:00:00Z or 1h")
	fl.StringVar(&opts.byDuration, "by-duration", "", "to the first record at or after this long ago, e.g. 1h or 30m")
	fl.StringVar(&opts.shiftBy, "shift-by", "", "move each committed offset by ±N, e.g. --shift-by -10")
	fl.BoolVar(&opts.toCurrent, "to-current", false, "to the committed offset itself (clamped: fixes offsets out of range)")
	fl.BoolVar(&opts.Request.CreateGroup, "create-group", false, "allow creating the offsets of a group that does not exist yet (with --topic)")
	fl.BoolVar(&opts.includeUncommitted, "include-uncommitted", false, "no effect: --topic T positions every partition named")
	_ = fl.MarkHidden("include-uncommitted") // deprecated: complete warns on stderr
	addChangeFlags(cmd, &opts.ChangeFlags, "print the plan and commit nothing", true)
	return cmd
}

// complete checks the flags and fills Request. It returns a usage error
// naming the flags and the fix.
func (o *GroupsResetOptions) complete(cmd *cobra.Command) error {
	fl := cmd.Flags()
	usage := func(format string, a ...any) error { return &FlagError{Err: fmt.Errorf(format, a...)} }
	if err := checkChangeFlags(o.ChangeFlags); err != nil {
		return err
	}
	if strings.TrimSpace(o.Request.Group) == "" {
		return usage("the group name is empty: name the group to reset")
	}
	switch {
	case len(o.topics) == 0 && !o.Request.AllTopics:
		return usage("say which offsets to reset: --topic T (repeatable, T:0,1 for some partitions) or --all-topics")
	case len(o.topics) > 0 && o.Request.AllTopics:
		return usage("--topic and --all-topics exclude each other: give one")
	case o.Request.CreateGroup && o.Request.AllTopics:
		return usage("--create-group needs --topic: --all-topics of a new group names no topic")
	}
	if fl.Changed("include-uncommitted") {
		// Not cobra's MarkDeprecated: it writes to stdout, into -o json.
		fmt.Fprintln(o.IO.ErrOut, "Warning: --include-uncommitted is deprecated and has no effect: --topic T positions every partition named, as kafka-consumer-groups.sh does (to create a new group's offsets, use --create-group)")
	}
	for _, t := range o.topics {
		s, err := groups.ParseSelection(t)
		if err != nil {
			return usage("%v", err)
		}
		o.Request.Topics = append(o.Request.Topics, s)
	}
	var chosen []string
	for _, n := range []string{"to-earliest", "to-latest", "to-offset", "to-datetime", "by-duration", "shift-by", "to-current"} {
		if fl.Changed(n) {
			chosen = append(chosen, "--"+n)
		}
	}
	if len(chosen) != 1 {
		what := "none was given"
		if len(chosen) > 1 {
			what = strings.Join(chosen, " and ") + " were given"
		}
		return usage("give exactly one of --to-earliest, --to-latest, --to-offset N, --to-datetime TS, --by-duration D, --shift-by ±N, --to-current (%s)", what)
	}
	s := &o.Request.Strategy
	s.Kind = strings.TrimPrefix(chosen[0], "--")
	switch s.Kind {
	case groups.ToEarliest, groups.ToLatest, groups.ToCurrent:
		if v, _ := fl.GetBool(s.Kind); !v {
			return usage("--%s=false: leave the flag out, or choose another --to-… flag", s.Kind)
		}
	case groups.ToOffset:
		// Parsed here, not by pflag: its error would be strconv's.
		n, err := strconv.ParseInt(strings.TrimSpace(o.toOffset), 10, 64)
		if err != nil {
			return usage("--to-offset %q is not an offset: give a whole number, e.g. --to-offset 42", o.toOffset)
		}
		if n < 0 {
			return usage("--to-offset %d: an offset is 0 or more (to move back, use --shift-by %d)", n, n)
		}
		s.Offset = n
	case groups.ShiftBy:
		n, err := strconv.ParseInt(strings.TrimSpace(o.shiftBy), 10, 64)
		if err != nil {
			return usage("--shift-by %q is not a whole number: give ±N, e.g. --shift-by -10 (10 back) or --shift-by 5", o.shiftBy)
		}
		s.Offset = n
	case groups.ToDatetime:
		t, err := human.ParseTimeOrAgo(o.toDatetime, o.Now())
		if err != nil {
			return usage("--to-datetime %v", err)
		}
		s.Time = t
	case groups.ByDuration:
		d, err := human.ParseDuration(o.byDuration)
		if err != nil {
			return usage("--by-duration %v", err)
		}
		if d <= 0 {
			return usage("--by-duration %q: give a positive duration, e.g. --by-duration 1h (that long ago)", o.byDuration)
		}
		s.Duration, s.Time = d, o.Now().Add(-d)
	}
	return nil
}

func runGroupsReset(ctx context.Context, o *GroupsResetOptions) error {
	c, err := o.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	obs, err := groups.Observe(ctx, c.Client, o.Request)
	if err != nil {
		return connectionError(err)
	}
	plan := groups.BuildPlan(o.Request, obs)
	format, err := o.Printing.Format()
	if err != nil {
		return err
	}
	st := o.Printing.Styles()
	w := o.IO.Out
	text := format == view.Text
	// One view: its text is printed in parts (the plan before the
	// question, the result after the commit), JSON and YAML whole.
	rv := groups.ResetView{Plan: plan}
	if o.DryRun || !o.Yes && plan.Summary.Reset == 0 {
		return view.Print(w, format, st, rv)
	}
	printed := false // the plan, before the question
	if !o.Yes && len(plan.Members) == 0 {
		if text {
			if err := rv.WritePlanText(w, st); err != nil {
				return err
			}
			printed = true
		}
		if err := o.Prompter.confirmChange(ctx, o.ChangeFlags, "groups reset", "Commit these offsets?"); err != nil {
			return err
		}
	}
	if len(plan.Members) > 0 {
		if text {
			_ = rv.WritePlanText(w, st) // the refusal below is the result
		}
		return &groups.LiveMembersError{Group: plan.Group, Members: plan.Members}
	}
	res, err := groups.Execute(ctx, c.Client, plan)
	if err != nil {
		if text && !printed {
			_ = rv.WritePlanText(w, st)
		}
		return err
	}
	rv.Result = res
	// The offsets are committed: the exit code is the commit's, whether or
	// not the outcome could be printed (a closed stdout ends nothing here).
	var perr error
	switch {
	case !text:
		perr = view.Print(w, format, st, rv)
	case printed:
		perr = rv.WriteResultText(w, st)
	default:
		perr = rv.WriteText(w, st)
	}
	if res.Failed > 0 {
		return ErrSilentFailure
	}
	return perr
}
