package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/human"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/kctl/kctl/provision"
	"github.com/spf13/cobra"
)

const (
	defaultMaxMoves       = 10
	defaultRebalancePoll  = 5 * time.Second
	rebalanceStateDirName = "rebalance"
)

// RebalanceOptions is `kctl rebalance`.
type RebalanceOptions struct {
	f        *Factory
	Goal     provision.RebalanceGoal
	Throttle string
	MaxMoves int
	ChangeFlags
	Cancel           bool
	DetailedExitCode bool
	ElectLeaders     bool
	Interval         time.Duration
	maxMovesSet      bool
}

// NewCmdRebalance builds `kctl rebalance`.
func NewCmdRebalance(f *Factory, runF func(context.Context, *RebalanceOptions) error) *cobra.Command {
	opts := &RebalanceOptions{f: f}
	cmd := &cobra.Command{
		Use:   "rebalance [--brokers-add IDS] [--brokers-remove IDS] [--topics T,...] [--dry-run | --yes | --cancel]",
		Short: "Plan and carry out partition moves: spread replicas and leaders, fill new brokers, drain old ones",
		Long: `Plan partition reassignments with kctl's planner: replicas and preferred leaders spread within one
of the mean per broker, replicas of a partition on distinct racks, no move the goal does not
need. --brokers-remove drains brokers; --brokers-add names brokers that joined empty (they are
filled); --topics limits the partitions that may move (internal topics only when named).

It prints the plan (topic/partition: [1,2,3] → [1,2,4], the bytes each copies from
DescribeLogDirs, the time at --throttle), then asks on a terminal (without a terminal --yes is
required and no prompt is printed). --dry-run stops after the plan; --detailed-exitcode (a plan
only, as --dry-run) exits 2 when moves are pending. Once confirmed kctl starts the moves, at most --max-moves partitions at once,
starting the next as one completes, and waits (polling ListPartitionReassignments) until all are
done. --throttle sets leader/follower.replication.throttled.rate on the brokers involved and the
*.replication.throttled.replicas lists on the topics, and removes exactly what it set when the
moves finish or on --cancel. Ctrl-C leaves the moves running: run kctl rebalance again to resume
(a second plan is refused while one is in progress), or --cancel to cancel the moves and remove
the throttle; both ask first, as the moves do. --execute is accepted as --yes.
--elect-leaders runs a preferred-leader election once the moves are done.

The plan, how far it got and every throttle config kctl set (with the value it replaced) are
recorded in a marker file, $XDG_STATE_HOME/kctl/rebalance/<cluster-id>.json (default
~/.local/state/kctl/...), so that another run on this machine can resume or undo it.`,
		Example: `  kctl rebalance --dry-run
  kctl rebalance --brokers-add 4 --throttle 50MiB/s --detailed-exitcode
  kctl rebalance --brokers-remove 3 --yes --throttle 50MiB/s --max-moves 5 --elect-leaders
  kctl rebalance --cancel`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkChangeFlags(opts.ChangeFlags); err != nil {
				return err
			}
			if opts.DetailedExitCode && (opts.Yes || opts.Cancel) {
				return &FlagError{Err: errors.New("--detailed-exitcode only applies to a plan (as --dry-run, without --yes or --cancel): drop one of them")}
			}
			if opts.DetailedExitCode {
				opts.DryRun = true
			}
			if opts.MaxMoves < 1 {
				return &FlagError{Err: fmt.Errorf("--max-moves %d: must be at least 1", opts.MaxMoves)}
			}
			if opts.Throttle != "" {
				if _, err := provision.ParseRate(opts.Throttle); err != nil {
					return &FlagError{Err: err}
				}
			}
			if opts.Interval <= 0 {
				return &FlagError{Err: errors.New("--poll-interval must be positive, e.g. 5s")}
			}
			opts.maxMovesSet = cmd.Flags().Changed("max-moves")
			slices.Sort(opts.Goal.Add)
			slices.Sort(opts.Goal.Remove)
			slices.Sort(opts.Goal.Topics)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runRebalance(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.Var((*brokerIDs)(&opts.Goal.Add), "brokers-add", "IDs of brokers that joined empty, to fill (comma-separated, e.g. 4,5)")
	fl.Var((*brokerIDs)(&opts.Goal.Remove), "brokers-remove", "IDs of brokers to drain (comma-separated, e.g. 3)")
	fl.StringSliceVar(&opts.Goal.Topics, "topics", nil, "only move partitions of `TOPICS` (comma-separated names; default: every non-internal topic)")
	fl.StringVar(&opts.Throttle, "throttle", "", "replication throttle while moving, a `RATE` per broker in and out with a unit, e.g. 50MiB/s (at least 1KiB/s)")
	fl.IntVar(&opts.MaxMoves, "max-moves", defaultMaxMoves, "at most `N` partitions moving at once")
	addChangeFlags(cmd, &opts.ChangeFlags, "print the plan (or the rebalance in progress, or what --cancel would cancel) and change nothing", true)
	fl.BoolVar(&opts.Cancel, "cancel", false, "cancel the rebalance in progress and remove the throttle kctl set")
	fl.BoolVar(&opts.DetailedExitCode, "detailed-exitcode", false, "plan only (as --dry-run; not with --yes or --cancel): exit 0 when balanced, 2 when moves are pending")
	fl.BoolVar(&opts.ElectLeaders, "elect-leaders", false, "after the moves, elect the preferred leaders of the moved partitions")
	fl.DurationVar(&opts.Interval, "poll-interval", defaultRebalancePoll, "how often the moves are checked")
	_ = fl.MarkHidden("poll-interval")
	return cmd
}

// brokerIDs is a flag value of broker IDs: "4,5", repeatable; its help
// shows IDS (pflag's int32Slice shows "int32Slice … (default [])").
type brokerIDs []int32

func (b *brokerIDs) String() string {
	parts := make([]string, len(*b))
	for i, id := range *b {
		parts[i] = strconv.Itoa(int(id))
	}
	return strings.Join(parts, ",")
}

func (b *brokerIDs) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		id, err := strconv.ParseInt(part, 10, 32)
		if err != nil || id < 0 {
			return fmt.Errorf("%q is not a broker ID: give IDs as whole numbers, comma-separated, e.g. 3,4", part)
		}
		*b = append(*b, int32(id))
	}
	return nil
}

func (b *brokerIDs) Type() string { return "IDS" }

// markerStore is where rebalance markers live:
// $XDG_STATE_HOME/kctl/rebalance/<cluster-id>.json.
func markerStore(f *Factory) *provision.Markers {
	return &provision.Markers{Dir: filepath.Join(StateDir(f.Getenv), rebalanceStateDirName)}
}

func runRebalance(ctx context.Context, o *RebalanceOptions) error {
	f := o.f
	format, c, err := formatAndConnect(ctx, f)
	if err != nil {
		return err
	}
	defer c.Close()
	octx, cancel := context.WithTimeout(ctx, f.Global.Timeout)
	a, err := provision.ObserveAssignments(octx, c.Client, o.Goal.Topics)
	cancel()
	if err != nil {
		return err
	}
	markers := markerStore(f)
	path := markers.Path(a.ClusterID)
	st, err := markers.Load(a.ClusterID)
	if err != nil {
		return err
	}
	exec := &provision.Executor{
		Client:       c.Client,
		State:        st,
		Save:         markers.Save,
		Interval:     o.Interval,
		ElectLeaders: o.ElectLeaders,
		Timeout:      f.Global.Timeout,
	}
	if o.Cancel {
		if st != nil && (o.DryRun || !o.Yes) {
			if err := printInProgress(f, st, path); err != nil {
				return err
			}
			if o.DryRun {
				return nil
			}
			if err := confirmChange(ctx, f, o.ChangeFlags, "rebalance --cancel", "Cancel these moves and remove the throttle?"); err != nil {
				return err
			}
		}
		return cancelRebalance(ctx, f, exec, markers, a.ClusterID, format)
	}
	throttle := int64(0)
	if o.Throttle != "" {
		throttle, _ = provision.ParseRate(o.Throttle)
	}
	if st != nil {
		return resumeRebalance(ctx, o, exec, markers, a.ClusterID, path, throttle)
	}
	return startRebalance(ctx, o, c, a, exec, markers, path, throttle, format)
}

// resumeRebalance carries on the rebalance recorded in exec.State (at
// path), after showing it and asking, unless a new goal was given.
func resumeRebalance(ctx context.Context, o *RebalanceOptions, exec *provision.Executor, markers *provision.Markers, clusterID, path string, throttle int64) error {
	f, st := o.f, exec.State
	goalGiven := len(o.Goal.Add)+len(o.Goal.Remove)+len(o.Goal.Topics) > 0
	if goalGiven && !st.Goal.Equal(o.Goal) {
		return fmt.Errorf("a rebalance started at %s is in progress on cluster %q (%d of %d moves done, recorded in %s): resume it with kctl rebalance (without a new goal), or cancel it with kctl rebalance --cancel, before planning another; if the marker belongs to another cluster with the same ID, cancel it there or delete the file",
			st.Started.Format(time.RFC3339), clusterID, st.Count(provision.MoveDone), len(st.Moves), path)
	}
	if o.DryRun || !o.Yes {
		if err := printInProgress(f, st, path); err != nil {
			return err
		}
		if o.DetailedExitCode {
			return ErrChangesPending
		}
		if o.DryRun {
			return nil
		}
		if err := confirmChange(ctx, f, o.ChangeFlags, "rebalance", "Resume this rebalance?"); err != nil {
			return err
		}
	}
	_ = st.WriteResumingText(f.IO.ErrOut, f.stderrStyles())
	if o.Throttle != "" && throttle != st.Throttle {
		f.Warnf("--throttle %s ignored: the rebalance in progress keeps its throttle (%s/s); cancel it to change the throttle", o.Throttle, provision.HumanBytes(st.Throttle))
	}
	if o.maxMovesSet {
		st.MaxMoves = o.MaxMoves
	}
	return executeRebalance(ctx, f, exec, markers, "Rebalance", false)
}

// startRebalance plans a rebalance of the assignments a, prints the plan
// and, once the gate and the user let it, records and starts it.
func startRebalance(ctx context.Context, o *RebalanceOptions, c *Clients, a *provision.Assignments, exec *provision.Executor, markers *provision.Markers, path string, throttle int64, format view.Format) error {
	f := o.f
	if len(a.InProgress) > 0 {
		return fmt.Errorf("%s already in progress on cluster %q, not started by this kctl (no marker at %s): wait for them (kctl reassignments --watch) or cancel them (kctl reassignments --cancel), then plan again",
			human.Plural(len(a.InProgress), "partition reassignment"), a.ClusterID, path)
	}
	sctx, cancel := context.WithTimeout(ctx, f.Global.Timeout)
	sizes, _, serr := provision.LogSizes(sctx, c.Client)
	cancel()
	if serr != nil {
		f.Warnf("bytes to move unknown: %v", serr)
		sizes = nil
	}
	plan, err := provision.PlanRebalance(a, o.Goal, sizes, throttle)
	if err != nil {
		return err
	}
	if o.DryRun || len(plan.Moves) == 0 {
		v := provision.RebalanceDryRun{Plan: plan, MaxMoves: o.MaxMoves}
		if err := f.Print(view.WithText(plan, func(w io.Writer, s view.Styles) error { return v.WriteText(w, s) })); err != nil {
			return err
		}
		if o.DetailedExitCode && len(plan.Moves) > 0 {
			return ErrChangesPending
		}
		return nil
	}
	if format == view.Text {
		if err := plan.WriteText(f.IO.Out, f.Styles()); err != nil {
			return err
		}
	}
	d := provision.Gate(plan, provision.Allowances{}, markers)
	if err := d.Err(); err != nil {
		var me *provision.MarkerError
		if errors.As(err, &me) {
			return me
		}
		return err
	}
	if err := confirmChange(ctx, f, o.ChangeFlags, "rebalance", fmt.Sprintf("Start these moves (at most %d partitions at once)?", o.MaxMoves)); err != nil {
		return err
	}
	exec.State = d.RebalanceState(o.MaxMoves, f.Now())
	if err := exec.Save(exec.State); err != nil {
		return err
	}
	return executeRebalance(ctx, f, exec, markers, "Rebalance", false)
}

// formatAndConnect returns the -o format, checked before connecting, and
// the connected clients.
func formatAndConnect(ctx context.Context, f *Factory) (view.Format, *Clients, error) {
	format, err := f.Format()
	if err != nil {
		return "", nil, err
	}
	c, err := f.Connect(ctx, nil, "")
	return format, c, err
}

// printInProgress prints the rebalance recorded at path (st): what a resume
// or a cancel acts on.
func printInProgress(f *Factory, st *provision.RebalanceState, path string) error {
	v := provision.RebalanceInProgress{State: st, Path: path}
	return f.Print(view.WithText(st, func(w io.Writer, s view.Styles) error { return v.WriteText(w, s) }))
}

// executeRebalance runs the executor, printing progress on stderr, and
// removes the marker when every move is done.
// label starts the closing line ("Rebalance"); with silent nothing is
// printed on stdout (apply -o json has printed its result).
func executeRebalance(ctx context.Context, f *Factory, exec *provision.Executor, markers *provision.Markers, label string, silent bool) error {
	st := exec.State
	path := markers.Path(st.ClusterID)
	last := ""
	exec.Progress = func(s *provision.RebalanceState) {
		line := fmt.Sprintf("%d/%d", s.Count(provision.MoveDone), s.Count(provision.MoveStarted))
		if line == last {
			return
		}
		last = line
		_ = s.WriteMovingText(f.IO.ErrOut, f.stderrStyles())
	}
	err := exec.Run(ctx)
	if ctx.Err() != nil {
		_ = st.WriteInterruptedText(f.IO.ErrOut, f.stderrStyles())
		return ctx.Err()
	}
	if err != nil && !errors.Is(err, provision.ErrMovesFailed) {
		return fmt.Errorf("%w (the rebalance is recorded in %s: run kctl rebalance --yes to resume, or --cancel --yes)", err, path)
	}
	if rmErr := markers.Remove(st.ClusterID); rmErr != nil {
		return rmErr
	}
	if silent {
		return err
	}
	done := provision.RebalanceDone{Label: label, State: st, LeadersElected: exec.ElectLeaders}
	if perr := f.Print(view.WithText(st, func(w io.Writer, s view.Styles) error { return done.WriteText(w, s) })); perr != nil {
		return perr
	}
	return err
}

// cancelRebalance cancels the recorded rebalance's running moves, removes
// the throttle it set and the marker.
func cancelRebalance(ctx context.Context, f *Factory, exec *provision.Executor, markers *provision.Markers, clusterID string, format view.Format) error {
	st := exec.State
	if st == nil {
		path := markers.Path(clusterID)
		return fmt.Errorf("no rebalance started by kctl is recorded for this cluster (%s): kctl reassignments --cancel cancels every reassignment in progress", path)
	}
	mine := map[provision.TopicPartition]bool{}
	for _, m := range st.Moves {
		if m.State == provision.MoveStarted {
			mine[provision.TopicPartition{Topic: m.Topic, Partition: m.Partition}] = true
		}
	}
	cctx, cancel := context.WithTimeout(ctx, f.Global.Timeout)
	defer cancel()
	done, err := provision.CancelReassignments(cctx, exec.Client, func(tp provision.TopicPartition) bool { return mine[tp] })
	if err != nil {
		return fmt.Errorf("%w; the marker %s is kept: run kctl rebalance --cancel again", err, markers.Path(st.ClusterID))
	}
	return finishCancel(cctx, f, exec, markers, format, len(done))
}

// finishCancel removes the throttle of the recorded rebalance (if any) and
// the marker, and says what was done.
func finishCancel(ctx context.Context, f *Factory, exec *provision.Executor, markers *provision.Markers, format view.Format, cancelled int) error {
	removed := ""
	if st := exec.State; st != nil {
		path := markers.Path(st.ClusterID)
		removed = provision.ThrottleSummary(st.Throttles)
		n := len(st.Throttles)
		if err := exec.RemoveThrottle(ctx); err != nil {
			return fmt.Errorf("%w; the marker %s is kept: run the cancel again", err, path)
		}
		if n == 0 {
			removed = ""
		}
		if err := markers.Remove(st.ClusterID); err != nil {
			return err
		}
	}
	v := provision.CancelResult{Cancelled: cancelled, ThrottleRemoved: removed}
	return f.Print(view.WithText(v, func(w io.Writer, s view.Styles) error { return v.WriteText(w, s) }))
}
