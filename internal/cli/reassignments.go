package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/human"
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

// reassignmentsView is what `kctl reassignments` prints.
type reassignmentsView struct {
	InProgress []provision.Reassignment `json:"inProgress" yaml:"inProgress"`
	// Bars draws progress bars (a terminal).
	Bars bool `json:"-" yaml:"-"`
}

func (v reassignmentsView) WriteText(w io.Writer, st view.Styles) error {
	if len(v.InProgress) == 0 {
		_, err := fmt.Fprintln(w, "No partition reassignments in progress.")
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s in progress:\n", human.Plural(len(v.InProgress), "partition reassignment"))
	width := 0
	for _, r := range v.InProgress {
		width = max(width, len(fmt.Sprintf("%s/%d", r.Topic, r.Partition)))
	}
	for _, r := range v.InProgress {
		progress := st.Dim("progress unknown")
		if r.Progress >= 0 {
			progress = fmt.Sprintf("%3.0f%%", 100*r.Progress)
			if v.Bars {
				progress = bar(r.Progress, 20) + " " + progress
			}
		}
		fmt.Fprintf(&b, "  %-*s  replicas %s  adding %s  removing %s  %s\n", width, fmt.Sprintf("%s/%d", r.Topic, r.Partition),
			provision.ReplicaList(r.Replicas), st.Add(provision.ReplicaList(r.Adding)), st.Remove(provision.ReplicaList(r.Removing)), progress)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// bar draws [#####-----] for a fraction 0..1.
func bar(frac float64, width int) string {
	n := int(frac*float64(width) + 0.5)
	n = min(max(n, 0), width)
	return "[" + strings.Repeat("#", n) + strings.Repeat("-", width-n) + "]"
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
	format, err := f.Format()
	if err != nil {
		return err
	}
	c, err := f.Connect(ctx, nil, "")
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
		if terminal && o.Watch && !first {
			fmt.Fprint(f.IO.Out, "\x1b[H\x1b[2J") // redraw in place
		} else if !first {
			fmt.Fprintln(f.IO.Out)
		}
		if err := f.Print(reassignmentsView{InProgress: rs, Bars: terminal}); err != nil {
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
			if err := f.Print(reassignmentsView{InProgress: rs}); err != nil {
				return err
			}
			if st != nil && format == view.Text {
				fmt.Fprintf(f.IO.Out, "The throttle kctl set for the rebalance recorded in %s is removed too.\n", markers.Path(id))
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
