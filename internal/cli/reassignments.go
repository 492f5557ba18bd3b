package cli

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/kctl/kctl/internal/platform/view"
	"github.com/kctl/kctl/provision"
	"github.com/spf13/cobra"
)

// ReassignmentsOptions is `kctl reassignments`.
type ReassignmentsOptions struct {
	f        *Factory
	Watch    bool
	Cancel   bool
	Interval time.Duration
	ChangeFlags
}

// NewCmdReassignments builds `kctl reassignments`.
func NewCmdReassignments(f *Factory, runF func(context.Context, *ReassignmentsOptions) error) *cobra.Command {
	opts := &ReassignmentsOptions{f: f}
	cmd := &cobra.Command{
		Use:   "reassignments [--watch | --cancel]",
		Short: "Show the partition reassignments in progress, watch them, or cancel them",
		Long: `List the partition reassignments in progress (ListPartitionReassignments): each partition's
replicas, the replicas being added and removed, and how far the copy is (the least advanced
adding replica's bytes over the leader's, from DescribeLogDirs).

--watch refreshes every --interval until nothing is moving (a progress bar per partition on a
terminal, a listing per refresh otherwise). --cancel cancels every reassignment in progress
(Kafka puts back each partition's replicas as they were) and removes the throttle a
'kctl rebalance' recorded for this cluster; it lists what it would cancel, then asks on a terminal
(without a terminal --yes is required; --dry-run stops after the list).`,
		Example: `  kctl reassignments
  kctl reassignments --watch
  kctl reassignments --cancel --yes`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Watch && opts.Cancel {
				return &FlagError{Err: errors.New("--watch and --cancel: give one of them")}
			}
			if err := checkChangeFlags(opts.ChangeFlags); err != nil {
				return err
			}
			if (opts.Yes || opts.DryRun) && !opts.Cancel {
				return &FlagError{Err: errors.New("--yes and --dry-run apply to --cancel (listing changes nothing): add --cancel or drop them")}
			}
			if opts.Interval <= 0 {
				return &FlagError{Err: errors.New("--interval must be positive, e.g. 2s")}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runReassignments(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Watch, "watch", "w", false, "refresh until no reassignment is in progress")
	cmd.Flags().BoolVar(&opts.Cancel, "cancel", false, "cancel every reassignment in progress and remove the throttle kctl set")
	cmd.Flags().DurationVar(&opts.Interval, "interval", 2*time.Second, "refresh interval of --watch")
	addChangeFlags(cmd, &opts.ChangeFlags, "with --cancel: list what would be cancelled and change nothing", false)
	return cmd
}

// printReassignments prints v: its text printer, or its InProgress in
// JSON and YAML.
func printReassignments(f *Factory, v provision.ReassignmentsView) error {
	return f.Print(view.WithText(v, func(w io.Writer, st view.Styles) error { return v.WriteText(w, st) }))
}

// observeReassignments lists the reassignments with their progress.
func observeReassignments(ctx context.Context, f *Factory, c *Clients) ([]provision.Reassignment, error) {
	rctx, cancel := context.WithTimeout(ctx, f.Global.Timeout)
	defer cancel()
	rs, err := provision.ListReassignments(rctx, c.Client)
	if err != nil || len(rs) == 0 {
		return rs, err
	}
	sizes, replicas, err := provision.LogSizes(rctx, c.Client)
	if err != nil {
		f.Warnf("progress unknown: %v", err)
		return rs, nil
	}
	provision.ReassignmentProgress(rs, sizes, replicas)
	return rs, nil
}

func runReassignments(ctx context.Context, o *ReassignmentsOptions) error {
	f := o.f
	format, c, err := formatAndConnect(ctx, f)
	if err != nil {
		return err
	}
	defer c.Close()
	if o.Cancel {
		return cancelAllReassignments(ctx, f, c, format, o.ChangeFlags)
	}
	terminal := f.IsTerminal(f.IO.Out) && format == view.Text
	for first := true; ; first = false {
		rs, err := observeReassignments(ctx, f, c)
		if err != nil {
			return err
		}
		v := provision.ReassignmentsView{InProgress: rs, Bars: terminal,
			Clear: terminal && o.Watch && !first, Separate: !terminal && !first}
		if err := printReassignments(f, v); err != nil {
			return err
		}
		if !o.Watch || len(rs) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(o.Interval):
		}
	}
}

// cancelAllReassignments cancels every reassignment in progress, then
// removes the throttle and marker a rebalance recorded for the cluster.
func cancelAllReassignments(ctx context.Context, f *Factory, c *Clients, format view.Format, cf ChangeFlags) error {
	cctx, cancel := context.WithTimeout(ctx, f.Global.Timeout)
	defer cancel()
	id, err := provision.ClusterID(cctx, c.Client)
	if err != nil {
		return err
	}
	markers := markerStore(f)
	st, err := markers.Load(id)
	if err != nil {
		return err
	}
	if !cf.Yes {
		// The plan: what is in progress (and the rebalance whose throttle
		// goes with it), then the question; nothing to cancel asks nothing.
		rs, err := observeReassignments(cctx, f, c)
		if err != nil {
			return err
		}
		if len(rs) > 0 || st != nil || cf.DryRun {
			v := provision.ReassignmentsView{InProgress: rs}
			if st != nil {
				v.ThrottleMarker = markers.Path(id)
			}
			if err := printReassignments(f, v); err != nil {
				return err
			}
			if cf.DryRun {
				return nil
			}
			if err := confirmChange(ctx, f, cf, "reassignments --cancel", "Cancel these reassignments?"); err != nil {
				return err
			}
		}
	}
	done, err := provision.CancelReassignments(cctx, c.Client, nil)
	if err != nil {
		return err
	}
	exec := &provision.Executor{Client: c.Client, State: st, Timeout: f.Global.Timeout, Save: markers.Save}
	return finishCancel(cctx, f, exec, markers, format, len(done))
}
