package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/kctl/kctl/provision"
	"github.com/spf13/cobra"
)

// PlanOptions is `kctl plan`.
type PlanOptions struct {
	f                *Factory
	File             string
	Out              string
	Diff             provision.Options
	MaxPartitions    int32
	DetailedExitCode bool
}

// NewCmdPlan builds `kctl plan`.
func NewCmdPlan(f *Factory, runF func(context.Context, *PlanOptions) error) *cobra.Command {
	opts := &PlanOptions{f: f}
	var flag string
	cmd := &cobra.Command{
		Use:   "plan [-f FILE | FILE]",
		Short: "Show what apply would change to make the cluster match topics.yaml",
		Long: `Read the cluster (one Metadata, one ListPartitionReassignments and one DescribeConfigs
request, whatever the number of topics), compare it with the file and print the plan: + create,
~ update (partitions up; each config old → new), - delete (only with --prune), ! refused with the
reason. A config equal to the broker's default is not drift; dynamic configs the file does not
name are listed as unmanaged.

A replicationFactor change is planned as new replica lists per partition (topic/partition:
[1] → [1,2,3]); lowering it is marked ⚠. A partition being reassigned counts with its target
replicas, and a replicationFactor change of a topic with a reassignment in progress is refused
(see 'kctl reassignments').

A file with environments: needs one selected: --env NAME (or KCTL_ENV, or env: of the current
context); the plan is for the base merged with it.

With users:, acls: or quotas: sections it also reads the cluster's SCRAM users, ACLs and quotas
(one request each) and plans them in the same list: shorthands expanded to exact ACLs, a
credential set only when new (or with --rotate-passwords), deletes only with --prune for the
principals the file manages. A credential it would set whose passwordFrom cannot be read (an
unset variable, a missing or empty file) is "! refused" naming it: apply would fail on it.

--out FILE also saves the plan with what it was computed against: the cluster ID, the hash (and
values) of the observed state it depends on (the declared topics' metadata and configs, the
access sections, every topic with --prune), the file's hash and environment. 'kctl show FILE'
prints it; 'kctl apply FILE' carries out exactly that plan once the cluster is checked to still
match, else refuses naming what changed. A plan with a refused change is not saved.

Exit codes: 0 success (with --detailed-exitcode: nothing to do), 1 error or a refused change,
2 changes pending (only with --detailed-exitcode).`,
		Example: `  kctl plan
  kctl plan --out plan.json && kctl show plan.json && kctl apply plan.json --yes
  kctl plan -f topics.yaml --detailed-exitcode
  kctl plan --prune --max-deletes 3 -o json`,
		Args: maximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := diffArgs(cmd, flag, args, &opts.File, opts.Diff); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPlan(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	addDiffFlags(fl, &flag, &opts.MaxPartitions, &opts.Diff)
	addEnvFlag(cmd, f)
	fl.BoolVar(&opts.DetailedExitCode, "detailed-exitcode", false, "exit 0 when there is nothing to do, 2 when changes are pending, 1 on error or refusal")
	fl.StringVar(&opts.Out, "out", "", "also save the plan to `FILE` (JSON, mode 0600) for kctl show FILE and kctl apply FILE")
	return cmd
}

func runPlan(ctx context.Context, o *PlanOptions) error {
	format, err := o.f.Format()
	if err != nil {
		return err
	}
	c, p, in, err := computePlan(ctx, o.f, o.File, format, false, o.MaxPartitions, o.Diff)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := o.f.Print(planView(p)); err != nil {
		return err
	}
	if o.Out != "" && !p.IsRefused() {
		if err := writeSavedPlan(o.f, o.Out, in, p); err != nil {
			return err
		}
	}
	switch {
	case p.IsRefused() && o.Out != "":
		return refusedError(p, format, "apply would change nothing; the plan was not saved to "+o.Out)
	case p.IsRefused():
		return refusedError(p, format, "apply would change nothing")
	case o.DetailedExitCode && p.HasChanges():
		return ErrChangesPending
	}
	return nil
}

// writeSavedPlan saves p, computed from in, to path (plan --out). It
// never overwrites the topics file planned, nor any file that is not a
// saved plan already.
func writeSavedPlan(f *Factory, path string, in *planInputs, p *provision.Plan) error {
	if err := checkPlanOut(path, in.file.Path); err != nil {
		return err
	}
	src, err := os.ReadFile(in.file.Path)
	if err != nil {
		return fmt.Errorf("--out: read %s for its hash: %w", in.file.Path, err)
	}
	if err := provision.NewSavedPlan(in.file, src, in.state, p, f.Now()).Write(path); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "Saved the plan to %s: review it with kctl show %s, carry it out with kctl apply %s.\n", path, path, path)
	return nil
}

// checkPlanOut refuses an --out path that is the topics file itself, or an
// existing file that is not a saved plan: saving would destroy it.
func checkPlanOut(out, topicsFile string) error {
	oi, err := os.Stat(out)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return &FlagError{Err: fmt.Errorf("--out %s: %w", out, err)}
	}
	if ti, err := os.Stat(topicsFile); err == nil && os.SameFile(oi, ti) {
		return &FlagError{Err: fmt.Errorf("--out %s is the topics file being planned: save the plan to a file of its own, e.g. --out plan.json (nothing was written)", out)}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return &FlagError{Err: fmt.Errorf("--out %s: %w", out, err)}
	}
	if !provision.IsSavedPlan(b) {
		return &FlagError{Err: fmt.Errorf("--out %s exists and is not a saved plan: kctl overwrites only an earlier saved plan; choose another file, e.g. --out plan.json, or remove it (nothing was written)", out)}
	}
	return nil
}
