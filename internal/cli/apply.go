package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/view"
	"github.com/kctl/kctl/provision"
	"github.com/spf13/cobra"
)

// ApplyOptions is `kctl apply`.
type ApplyOptions struct {
	f             *Factory
	File          string
	Diff          provision.Options
	MaxPartitions int32
	ChangeFlags
	AllowRisky  bool
	Throttle    string
	MaxMoves    int
	Interval    time.Duration
	maxMovesSet bool
	// savedFlags names the plan-changing flags given ("--prune"), which a
	// saved plan refuses.
	savedFlags string
}

// NewCmdApply builds `kctl apply`.
func NewCmdApply(f *Factory, runF func(context.Context, *ApplyOptions) error) *cobra.Command {
	opts := &ApplyOptions{f: f}
	var flag string
	cmd := &cobra.Command{
		Use:   "apply [-f FILE | FILE | SAVED-PLAN]",
		Short: "Make the cluster match topics.yaml: plan, confirm, then batched changes",
		Long: `Compute the same plan as 'kctl plan', print it, ask for confirmation on a terminal (without a
terminal --yes is required and no prompt is printed), then send one CreateTopics, one
CreatePartitions, one IncrementalAlterConfigs and one DeleteTopics for all topics (split only
when a request would be too large), and wait until created topics have leaders.

A replicationFactor change is planned per partition by kctl's reassignment planner (the current
leader kept, new replicas on the least loaded brokers and distinct racks; going down, the
replicas removed are those leaving the cluster most balanced, never the leader) and applied with
one AlterPartitionAssignments; the brokers copy the data in the background ('kctl reassignments'
shows the progress). With --max-moves N the moves are batched as 'kctl rebalance' does
it (at most N partitions at once, the next started as one completes) and apply waits for them;
--throttle RATE also throttles the copy (batches of --max-moves, default 10; the throttle removed
at the end). Ctrl-C leaves them running, 'kctl rebalance --yes' resumes them. A factor above
the broker count, or a change of a topic being reassigned, is refused; while a rebalance is
recorded for the cluster (its marker), any replicationFactor change is refused.

A file with environments: needs one selected: --env NAME (or KCTL_ENV, or env: of the current
context); the file applied is the base merged with it.

A plan with any refused change is not applied at all. A change marked ⚠ (partitions added to a
compacted topic, cleanup.policy compact → delete, lower retention.ms/retention.bytes,
min.insync.replicas lowered to 1, unclean.leader.election.enable turned on, a lower
replicationFactor) is applied only with --allow-risky, or after a "yes" to a prompt that names
each one. One failing topic does not stop the others; any failure exits 1 naming each. --dry-run
asks the brokers to validate every change (validate-only) and changes nothing. Topics are
deleted only with --prune, only under managedPrefixes, never internal ones, and never more than
--max-deletes (default 0).

Access sections are applied with one AlterUserScramCredentials, one CreateAcls, one
AlterClientQuotas and one DeleteAcls. Every password is read from its passwordFrom (env or file;
a relative file is relative to the topics file's directory) before anything is sent, --dry-run
included: a credential whose password cannot be read is refused naming it, and nothing is applied.

Given a plan saved by 'kctl plan --out FILE' (recognised by its content, a JSON document with a
"kctlPlan" key), apply carries out exactly that plan, without planning again, after re-reading
what it depends on: a different cluster ID, or any change since (each named: "topic t:
retention.ms was 604800000 when planned, now 3600000"), refuses it and changes nothing. It
goes through the same checks: a risky change still needs --allow-risky (or a "yes"); its
--prune/--max-deletes are those it was planned with.`,
		Example: `  kctl apply
  kctl apply plan.json --yes
  kctl apply -f topics.yaml --yes
  kctl apply --dry-run
  kctl apply --prune --max-deletes 2 --yes`,
		Args: maximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkChangeFlags(opts.ChangeFlags); err != nil {
				return err
			}
			if err := diffArgs(cmd, flag, args, &opts.File, opts.Diff); err != nil {
				return err
			}
			if opts.Throttle != "" {
				if _, err := provision.ParseRate(opts.Throttle); err != nil {
					return &FlagError{Err: err}
				}
			}
			var planFlags []string
			for _, name := range []string{"prune", "prune-configs", "max-deletes", "rotate-passwords", "max-partitions"} {
				if cmd.Flags().Changed(name) {
					planFlags = append(planFlags, "--"+name)
				}
			}
			opts.savedFlags = strings.Join(planFlags, " ")
			opts.maxMovesSet = cmd.Flags().Changed("max-moves")
			if !opts.maxMovesSet {
				opts.MaxMoves = defaultMaxMoves
			}
			if opts.MaxMoves < 1 {
				return &FlagError{Err: fmt.Errorf("--max-moves %d: must be at least 1", opts.MaxMoves)}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runApply(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	addDiffFlags(fl, &flag, &opts.MaxPartitions, &opts.Diff)
	addEnvFlag(cmd, f)
	addChangeFlags(cmd, &opts.ChangeFlags, "have the brokers validate every change (validate-only); change nothing", false)
	fl.BoolVar(&opts.AllowRisky, "allow-risky", false, "apply changes marked ⚠ (data loss or weaker durability) without being asked about them")
	fl.StringVar(&opts.Throttle, "throttle", "", "replicationFactor changes: throttle the copy to `RATE` (e.g. 50MiB/s), batch the moves and wait")
	fl.IntVar(&opts.MaxMoves, "max-moves", 0, fmt.Sprintf("replicationFactor changes: at most `N` partitions moving at once, and wait (default with --throttle: %d)", defaultMaxMoves))
	fl.DurationVar(&opts.Interval, "poll-interval", defaultRebalancePoll, "with --throttle or --max-moves: how often the moves are checked")
	_ = fl.MarkHidden("poll-interval")
	return cmd
}

func runApply(ctx context.Context, o *ApplyOptions) error {
	f := o.f
	format, err := f.Format()
	if err != nil {
		return err
	}
	c, p, err := o.plan(ctx, format)
	if err != nil {
		return err
	}
	defer c.Close()
	text := format == view.Text
	// One view: its text is printed in two parts (the plan before the
	// question, the result after the apply), JSON and YAML at the end.
	av := provision.NewApplyView(p, nil)
	finish := func() error {
		if text {
			return nil
		}
		return printApplyView(f, av)
	}
	if text {
		if err := av.WritePlanText(f.IO.Out, f.Styles()); err != nil {
			return err
		}
	}
	// The one gate: what the flags allow (a saved plan's --prune and
	// --max-deletes are those it was planned with), and the rebalance markers.
	allow := provision.AllowancesFor(p.Options)
	allow.Risky, allow.DryRun = o.AllowRisky, o.DryRun
	markers := markerStore(f)
	d := provision.Gate(p, allow, markers)
	var ge *provision.GateError
	// Risky changes alone may be allowed by a "yes" to a prompt naming them.
	ask := errors.As(d.Err(), &ge) && ge.Only(provision.RefusalRisky) && !o.Yes && f.IsTerminal(f.IO.In)
	if err := d.Err(); err != nil && !ask {
		if ferr := finish(); ferr != nil {
			return ferr
		}
		return gateError(err, p, format)
	}
	if !p.HasChanges() {
		return finish()
	}
	if !o.DryRun {
		if err := provision.CheckPasswords(p, f.Getenv); err != nil {
			if ferr := finish(); ferr != nil {
				return ferr
			}
			return err
		}
	}
	if ask {
		writeRisks(f.IO.ErrOut, f.stderrStyles(), p)
	}
	if !o.DryRun {
		if err := confirmChange(ctx, f, o.ChangeFlags, "apply", "Apply these changes?"); err != nil {
			return err
		}
	}
	if ask { // "yes" answered for the risks named above
		allow.Risky = true
		if d = provision.Gate(p, allow, markers); d.Err() != nil {
			return gateError(d.Err(), p, format)
		}
	}
	return o.execute(ctx, c, p, d, markers, text)
}

// plan returns the plan to apply: the saved plan o.File, or one computed
// from the topics file and the cluster; and the connected clients.
func (o *ApplyOptions) plan(ctx context.Context, format view.Format) (*Clients, *provision.Plan, error) {
	sp, err := provision.ReadSavedPlanFile(o.File)
	switch {
	case err != nil:
		return nil, nil, err
	case sp != nil:
		if o.savedFlags != "" {
			return nil, nil, &FlagError{Err: fmt.Errorf("%s is a saved plan: it carries out exactly what was planned, so %s cannot change it; drop it (or plan again with it)", o.File, o.savedFlags)}
		}
		return savedPlan(ctx, o.f, sp, o.File)
	default:
		c, p, _, err := computePlan(ctx, o.f, o.File, format, true, o.MaxPartitions, o.Diff)
		return c, p, err
	}
}

// execute carries out the gated plan d (of p) and prints the result; a
// replication-factor change with --throttle or --max-moves then runs as
// a recorded rebalance.
func (o *ApplyOptions) execute(ctx context.Context, c *Clients, p *provision.Plan, d provision.Decision, markers *provision.Markers, text bool) error {
	f := o.f
	throttled := (o.Throttle != "" || o.maxMovesSet) && !o.DryRun && p.HasReassignments()
	var exec *provision.Executor
	if throttled {
		exec = throttledReassignment(f, c, d, o, markers)
	}
	res, applyErr := provision.Apply(ctx, c.Client, d, provision.ApplyOptions{
		DryRun:            o.DryRun,
		BrokerTimeout:     f.Global.Timeout,
		LeaderWait:        max(f.Global.Timeout, provision.DefaultLeaderWait),
		SkipReassignments: throttled,
		Getenv:            f.Getenv,
	})
	av := provision.NewApplyView(p, &res)
	if text {
		if err := av.WriteResultText(f.IO.Out, f.Styles()); err != nil {
			return err
		}
	} else if err := printApplyView(f, av); err != nil {
		return err
	}
	if throttled && applyErr == nil {
		if err := exec.Save(exec.State); err != nil {
			return err
		}
		return executeRebalance(ctx, f, exec, markers, "Replication-factor change", !text)
	}
	return applyErr
}

// printApplyView prints av in the -o format (JSON, YAML).
func printApplyView(f *Factory, av provision.ApplyView) error {
	return f.Print(view.WithText(av, func(w io.Writer, st view.Styles) error { return av.WriteText(w, st) }))
}

// throttledReassignment prepares `apply --throttle` (or --max-moves): the
// replication-factor changes of the plan d allows become a recorded
// rebalance (the marker in m), carried out after the rest of the plan by
// the rebalance executor, batched and throttled. The gate has checked that
// no rebalance is recorded.
func throttledReassignment(f *Factory, c *Clients, d provision.Decision, o *ApplyOptions, m *provision.Markers) *provision.Executor {
	var rate int64
	if o.Throttle != "" {
		rate, _ = provision.ParseRate(o.Throttle)
	}
	return &provision.Executor{
		Client:   c.Client,
		State:    d.ReassignmentState(rate, o.MaxMoves, f.Now()),
		Save:     m.Save,
		Interval: max(o.Interval, 10*time.Millisecond),
		Timeout:  f.Global.Timeout,
	}
}
