package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/human"
	"github.com/kctl/kctl/internal/ui"
	"github.com/kctl/kctl/provision"
	"github.com/spf13/cobra"
)

const (
	defaultMaxMoves        = 10
	defaultRebalancePoll   = 5 * time.Second
	rebalanceStateDirName  = "rebalance"
	rebalanceStateFileMode = 0o600
)

// RebalanceOptions is `kctl rebalance`.
type RebalanceOptions struct {
	f                *Factory
	Goal             provision.RebalanceGoal
	Throttle         string
	MaxMoves         int
	Execute          bool
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
		Use:   "rebalance [--brokers-add IDS] [--brokers-remove IDS] [--topics T,...] [--execute | --cancel]",
		Short: "Plan and carry out partition moves: spread replicas and leaders, fill new brokers, drain old ones",
		Long: `Plan partition reassignments with kctl's planner: replicas and preferred leaders spread within one
of the mean per broker, replicas of a partition on distinct racks, no move the goal does not
need. --brokers-remove drains brokers; --brokers-add names brokers that joined empty (they are
filled); --topics limits the partitions that may move (internal topics only when named).

Without --execute it prints the plan (topic/partition: [1,2,3] → [1,2,4], the bytes each copies
from DescribeLogDirs, the time at --throttle) and changes nothing; --detailed-exitcode exits 2
when moves are pending. --execute starts the moves, at most --max-moves partitions at once,
starting the next as one completes, and waits (polling ListPartitionReassignments) until all are
done. --throttle sets leader/follower.replication.throttled.rate on the brokers involved and the
*.replication.throttled.replicas lists on the topics, and removes exactly what it set when the
moves finish or on --cancel. Ctrl-C leaves the moves running: run --execute again to resume (a
second plan is refused while one is in progress), or --cancel to cancel the moves and remove the
throttle. --elect-leaders runs a preferred-leader election once the moves are done.

The plan, how far it got and every throttle config kctl set (with the value it replaced) are
recorded in a marker file, $XDG_STATE_HOME/kctl/rebalance/<cluster-id>.json (default
~/.local/state/kctl/...), so that another run on this machine can resume or undo it.`,
		Example: `  kctl rebalance
  kctl rebalance --brokers-add 4 --throttle 50MiB/s --detailed-exitcode
  kctl rebalance --brokers-remove 3 --execute --throttle 50MiB/s --max-moves 5 --elect-leaders
  kctl rebalance --cancel`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Execute && opts.Cancel {
				return &FlagError{Err: errors.New("--execute and --cancel: give one of them")}
			}
			if opts.DetailedExitCode && (opts.Execute || opts.Cancel) {
				return &FlagError{Err: errors.New("--detailed-exitcode only applies to a plan (without --execute or --cancel): drop one of them")}
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
	fl.BoolVar(&opts.Execute, "execute", false, "start the moves (or resume the rebalance in progress) and wait for them")
	fl.BoolVar(&opts.Cancel, "cancel", false, "cancel the rebalance in progress and remove the throttle kctl set")
	fl.BoolVar(&opts.DetailedExitCode, "detailed-exitcode", false, "plan only (not with --execute or --cancel): exit 0 when balanced, 2 when moves are pending")
	fl.BoolVar(&opts.ElectLeaders, "elect-leaders", false, "after the moves, elect the preferred leaders of the moved partitions")
	fl.DurationVar(&opts.Interval, "poll-interval", defaultRebalancePoll, "how often --execute checks the moves")
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

// rebalanceStatePath is the marker file of a rebalance on clusterID.
func rebalanceStatePath(f *Factory, clusterID string) string {
	return filepath.Join(StateDir(f.Getenv), rebalanceStateDirName, fileSafe(clusterID)+".json")
}

func fileSafe(s string) string {
	out := []rune{}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			out = append(out, r)
		default:
			out = append(out, '_')
		}
	}
	if len(out) == 0 {
		return "cluster"
	}
	return string(out)
}

// loadRebalanceState returns the recorded rebalance of clusterID, nil when
// there is none; an unreadable file is an error naming it.
func loadRebalanceState(path string) (*provision.RebalanceState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the rebalance marker %s: %w", path, err)
	}
	var st provision.RebalanceState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("read the rebalance marker %s: %w (delete it only after checking kctl reassignments and the throttle configs)", path, err)
	}
	return &st, nil
}

// saveRebalanceState writes the marker atomically.
func saveRebalanceState(path string, st *provision.RebalanceState) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write the rebalance marker: %w", err)
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), rebalanceStateFileMode); err != nil {
		return fmt.Errorf("write the rebalance marker %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write the rebalance marker %s: %w", path, err)
	}
	return nil
}

func runRebalance(ctx context.Context, o *RebalanceOptions) error {
	f := o.f
	format, err := f.Format()
	if err != nil {
		return err
	}
	c, err := f.Connect(ctx, nil, "")
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
	path := rebalanceStatePath(f, a.ClusterID)
	st, err := loadRebalanceState(path)
	if err != nil {
		return err
	}
	exec := &provision.Executor{
		Client:       c.Client,
		State:        st,
		Save:         func(s *provision.RebalanceState) error { return saveRebalanceState(path, s) },
		Interval:     o.Interval,
		ElectLeaders: o.ElectLeaders,
		Timeout:      f.Global.Timeout,
	}
	if o.Cancel {
		return cancelRebalance(ctx, f, exec, path, format)
	}
	throttle := int64(0)
	if o.Throttle != "" {
		throttle, _ = provision.ParseRate(o.Throttle)
	}
	if st != nil {
		goalGiven := len(o.Goal.Add)+len(o.Goal.Remove)+len(o.Goal.Topics) > 0
		if goalGiven && !st.Goal.Equal(o.Goal) {
			return fmt.Errorf("a rebalance started at %s is in progress on cluster %q (%d of %d moves done, recorded in %s): resume it with kctl rebalance --execute (without a new goal), or cancel it with kctl rebalance --cancel, before planning another; if the marker belongs to another cluster with the same ID, cancel it there or delete the file",
				st.Started.Format(time.RFC3339), a.ClusterID, st.Count(provision.MoveDone), len(st.Moves), path)
		}
		if !o.Execute {
			if format != ui.Text {
				if err := f.Print(st); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(f.IO.Out, "A rebalance started at %s is in progress: ", st.Started.Format(time.RFC3339))
				_ = st.WriteText(f.IO.Out, f.Styles())
				fmt.Fprintf(f.IO.Out, "Resume it with kctl rebalance --execute, or cancel it with kctl rebalance --cancel (recorded in %s).\n", path)
			}
			if o.DetailedExitCode {
				return ErrChangesPending
			}
			return nil
		}
		fmt.Fprintf(f.IO.ErrOut, "Resuming the rebalance started at %s: ", st.Started.Format(time.RFC3339))
		_ = st.WriteText(f.IO.ErrOut, f.stderrStyles())
		if o.Throttle != "" && throttle != st.Throttle {
			f.Warnf("--throttle %s ignored: the rebalance in progress keeps its throttle (%s/s); cancel it to change the throttle", o.Throttle, provision.HumanBytes(st.Throttle))
		}
		if o.maxMovesSet {
			st.MaxMoves = o.MaxMoves
		}
		return executeRebalance(ctx, f, exec, path, format, "Rebalance", false)
	}
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
	if !o.Execute {
		if err := f.Print(ui.WithText(plan, func(w io.Writer, s ui.Styles) error { return plan.WriteText(w, s) })); err != nil {
			return err
		}
		if format == ui.Text && len(plan.Moves) > 0 {
			fmt.Fprintf(f.IO.Out, "Run with --execute to start (at most %d partitions moving at once).\n", o.MaxMoves)
		}
		if o.DetailedExitCode && len(plan.Moves) > 0 {
			return ErrChangesPending
		}
		return nil
	}
	if format == ui.Text {
		if err := plan.WriteText(f.IO.Out, f.Styles()); err != nil {
			return err
		}
	}
	if len(plan.Moves) == 0 {
		if format != ui.Text {
			return f.Print(plan)
		}
		return nil
	}
	exec.State = provision.NewRebalanceState(plan, o.MaxMoves, time.Now())
	if err := exec.Save(exec.State); err != nil {
		return err
	}
	return executeRebalance(ctx, f, exec, path, format, "Rebalance", false)
}

// executeRebalance runs the executor, printing progress on stderr, and
// removes the marker when every move is done.
// label starts the closing line ("Rebalance"); with silent nothing is
// printed on stdout (apply -o json has printed its result).
func executeRebalance(ctx context.Context, f *Factory, exec *provision.Executor, path string, format ui.Format, label string, silent bool) error {
	st := exec.State
	last := ""
	exec.Progress = func(s *provision.RebalanceState) {
		line := fmt.Sprintf("%d/%d", s.Count(provision.MoveDone), s.Count(provision.MoveStarted))
		if line == last {
			return
		}
		last = line
		fmt.Fprint(f.IO.ErrOut, "Moving: ")
		_ = s.WriteText(f.IO.ErrOut, f.stderrStyles())
	}
	err := exec.Run(ctx)
	if ctx.Err() != nil {
		fmt.Fprintf(f.IO.ErrOut, "\nInterrupted: %d partitions are still moving (Kafka carries on without kctl) and %d are pending; the throttle stays while they move.\nResume with: kctl rebalance --execute    Cancel with: kctl rebalance --cancel\n",
			st.Count(provision.MoveStarted), st.Count(provision.MovePending))
		return ctx.Err()
	}
	if err != nil && !errors.Is(err, provision.ErrMovesFailed) {
		return fmt.Errorf("%w (the rebalance is recorded in %s: run kctl rebalance --execute to resume, or --cancel)", err, path)
	}
	if rmErr := os.Remove(path); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
		return fmt.Errorf("remove the rebalance marker: %w", rmErr)
	}
	if silent {
		return err
	}
	if format != ui.Text {
		if perr := f.Print(st); perr != nil {
			return perr
		}
		return err
	}
	s := f.Styles()
	fmt.Fprintf(f.IO.Out, "\n%s %d of %d partitions moved", s.OK(label+" complete:"), st.Count(provision.MoveDone), len(st.Moves))
	if st.Throttle > 0 {
		fmt.Fprint(f.IO.Out, "; throttle removed")
	}
	if exec.ElectLeaders {
		fmt.Fprint(f.IO.Out, "; preferred leaders elected")
	}
	fmt.Fprintln(f.IO.Out, ".")
	return err
}

// cancelRebalance cancels the recorded rebalance's running moves, removes
// the throttle it set and the marker.
func cancelRebalance(ctx context.Context, f *Factory, exec *provision.Executor, path string, format ui.Format) error {
	st := exec.State
	if st == nil {
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
		return fmt.Errorf("%w; the marker %s is kept: run kctl rebalance --cancel again", err, path)
	}
	return finishCancel(cctx, f, exec, path, format, len(done))
}

// finishCancel removes the throttle of the recorded rebalance (if any) and
// the marker, and says what was done.
func finishCancel(ctx context.Context, f *Factory, exec *provision.Executor, path string, format ui.Format, cancelled int) error {
	removed := ""
	if st := exec.State; st != nil {
		removed = provision.ThrottleSummary(st.Throttles)
		n := len(st.Throttles)
		if err := exec.RemoveThrottle(ctx); err != nil {
			return fmt.Errorf("%w; the marker %s is kept: run the cancel again", err, path)
		}
		if n == 0 {
			removed = ""
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove the rebalance marker: %w", err)
		}
	}
	v := cancelView{Cancelled: cancelled, ThrottleRemoved: removed}
	return f.Print(v)
}

type cancelView struct {
	Cancelled       int    `json:"cancelled" yaml:"cancelled"`
	ThrottleRemoved string `json:"throttleRemoved" yaml:"throttleRemoved"`
}

func (v cancelView) WriteText(w io.Writer, st ui.Styles) error {
	msg := fmt.Sprintf("%s Cancelled %s (Kafka restores their replicas as they were)", st.OK("✓"), human.Plural(v.Cancelled, "reassignment"))
	if v.ThrottleRemoved != "" {
		msg += "; removed the throttle kctl set (" + v.ThrottleRemoved + ")"
	}
	_, err := fmt.Fprintln(w, msg+".")
	return err
}
