package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kctl/kctl/internal/platform/human"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/kctl/kctl/provision"
	"github.com/kctl/kctl/topology"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// DefaultTopicsFile is the file validate, plan and apply read by default.
const DefaultTopicsFile = "topics.yaml"

// fileFlag resolves `-f FILE` and a positional FILE (the same thing).
func fileFlag(flag string, args []string) (string, error) {
	if len(args) == 1 {
		if flag != "" && flag != args[0] {
			return "", &FlagError{Err: fmt.Errorf("two topics files given (-f %s and %s): give one", flag, args[0])}
		}
		return args[0], nil
	}
	if flag == "" {
		return DefaultTopicsFile, nil
	}
	return flag, nil
}

// loadTopics reads and checks a topics file for plan (apply false) or
// apply, and returns it as the selected environment sees it (see
// loadTopicsEnv).
func loadTopics(f *Factory, path string, format view.Format, apply bool, maxPartitions int32) (*topology.File, error) {
	return loadTopicsEnv(f, path, format, apply, maxPartitions, "")
}

// loadTopicsEnv reads and checks a topics file for plan (apply false) or
// apply, and returns it merged with the selected environment (Factory.EnvName;
// else fallback, when the file defines it). Warnings go to stderr as
// file:line:col lines; diagnostics about other environments are left out.
// A file with errors returns an error saying to fix it (and, for apply,
// that nothing was changed): in text the errors go to stderr first; with
// -o json|yaml they are printed on stdout as validate prints them. A file
// that defines environments when none is selected, or one that does not
// define the selected one, returns a *topology.EnvError naming them.
func loadTopicsEnv(f *Factory, path string, format view.Format, apply bool, maxPartitions int32, fallback string) (*topology.File, error) {
	if err := checkMaxPartitions(maxPartitions); err != nil {
		return nil, err
	}
	file, diags, err := topology.Load(path)
	if err != nil {
		return nil, err
	}
	env, from, err := f.fileEnv(file)
	if err != nil {
		return nil, err
	}
	if env == "" && fallback != "" && file != nil && file.Environments[fallback] != nil {
		env, from = fallback, "the default of this command"
	}
	diags = topology.ForEnvironment(topology.WithLimits(file, diags, maxPartitions), env)
	n := len(diags.Errors())
	if n == 0 && file != nil {
		writeDiagnostics(f.IO.ErrOut, f.stderrStyles(), diags)
		return file.Select(env, from)
	}
	where := ""
	if format == view.Text {
		writeDiagnostics(f.IO.ErrOut, f.stderrStyles(), diags)
	} else {
		if err := f.Print(newValidateView(path, file, diags)); err != nil {
			return nil, err
		}
		where = " (listed on stdout)"
	}
	changed := ":"
	if apply {
		changed = "; nothing was changed:"
	}
	return nil, fmt.Errorf("%s has %s%s%s fix the file and run again", path, human.Plural(max(n, 1), "error"), where, changed)
}

func writeDiagnostics(w io.Writer, st view.Styles, diags topology.Diagnostics) {
	for _, d := range diags {
		line := d.String()
		if d.Severity == topology.SeverityError {
			line = st.Bad(line)
		} else {
			line = st.Warn(line)
		}
		fmt.Fprintln(w, line)
	}
}

// addDiffFlags adds the flags plan and apply share: the file and what the
// diff may do (prune, prune configs, max deletes).
func addDiffFlags(fl *pflag.FlagSet, file *string, maxPartitions *int32, o *provision.Options) {
	fl.StringVarP(file, "file", "f", "", "topics file (default ./topics.yaml)")
	addMaxPartitionsFlag(fl, maxPartitions)
	fl.BoolVar(&o.Prune, "prune", false, "also delete undeclared topics under managedPrefixes (never internal ones)")
	fl.BoolVar(&o.PruneConfigs, "prune-configs", false, "also remove dynamic topic configs the file does not name")
	fl.IntVar(&o.MaxDeletes, "max-deletes", 0, "with --prune: how many topics, ACLs, SCRAM credentials and quotas may be deleted; more is refused")
	fl.BoolVar(&o.RotatePasswords, "rotate-passwords", false, "re-set every declared SCRAM credential from its passwordFrom (otherwise only new ones are set)")
}

func addMaxPartitionsFlag(fl *pflag.FlagSet, v *int32) {
	fl.Int32Var(v, "max-partitions", 0, fmt.Sprintf("per-topic partition ceiling (default: the file's limits.maxPartitions, else %d)", topology.DefaultMaxPartitions))
}

func checkMaxPartitions(n int32) error {
	if n < 0 {
		return &FlagError{Err: fmt.Errorf("--max-partitions %d: must be positive (or left out for the file's limits.maxPartitions, else %d)", n, topology.DefaultMaxPartitions)}
	}
	return nil
}

// planInputs are what a plan was computed from (plan --out saves them).
type planInputs struct {
	file  *topology.File
	state *provision.State
}

// computePlan loads the file (see loadTopics), connects, observes and
// diffs; a SCRAM credential whose password cannot be read is refused
// (provision.RefuseUnreadablePasswords). The caller closes the clients.
func computePlan(ctx context.Context, f *Factory, path string, format view.Format, apply bool, maxPartitions int32, opts provision.Options) (*Clients, *provision.Plan, *planInputs, error) {
	file, err := loadTopics(f, path, format, apply, maxPartitions)
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := f.Connect(ctx, file.Cluster.Brokers, file.Path)
	if err != nil {
		return nil, nil, nil, err
	}
	opts.Self = selfPrincipal(f, file)
	octx, cancel := context.WithTimeout(ctx, f.Global.Timeout)
	defer cancel()
	st, err := provision.ObserveScope(octx, c.Client, provision.ScopeOf(file, opts))
	if err != nil {
		c.Close()
		return nil, nil, nil, err
	}
	plan := provision.Diff(file, st, opts)
	// A credential whose password cannot be read would fail apply: the
	// plan refuses it, so plan and apply --dry-run do not pass.
	provision.RefuseUnreadablePasswords(plan, f.Getenv)
	return c, plan, &planInputs{file: file, state: st}, nil
}

// savedPlan reads the saved plan at path (already known to be one),
// connects as plan did, re-observes what the plan depends on and refuses
// it (*provision.StaleError) when the cluster changed since, or is another
// cluster. The caller closes the clients.
func savedPlan(ctx context.Context, f *Factory, sp *provision.SavedPlan, path string) (*Clients, *provision.Plan, error) {
	if env, from := f.explicitEnv(); env != "" && env != sp.Environment {
		planned := "no environment"
		if sp.Environment != "" {
			planned = "environment " + sp.Environment
		}
		return nil, nil, fmt.Errorf("%s selects environment %s but %s was planned for %s: drop %s, or plan again for %s", from, env, path, planned, from, env)
	}
	c, err := f.Connect(ctx, sp.Brokers, sp.File)
	if err != nil {
		return nil, nil, err
	}
	octx, cancel := context.WithTimeout(ctx, f.Global.Timeout)
	defer cancel()
	st, err := provision.ObserveScope(octx, c.Client, sp.Scope)
	if err == nil {
		err = sp.Check(path, st)
	}
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, sp.Plan, nil
}

// refusedError says how many changes of p are refused and where the
// reasons are in the output of format; outcome ends the sentence.
func refusedError(p *provision.Plan, format view.Format, outcome string) error {
	where := `see "! refused" above`
	if format != view.Text {
		where = `see the "refused" changes in the plan`
	}
	return fmt.Errorf("%s refused (%s, each says how to resolve it); %s", human.Plural(p.Summary.Refused, "change"), where, outcome)
}

// riskyError says which changes are risky and how to apply them anyway.
func riskyError(p *provision.Plan, format view.Format) error {
	where := "marked ⚠ above"
	if format != view.Text {
		where = `see "risks" in the plan`
	}
	var names []string
	for _, c := range p.RiskyChanges() {
		names = append(names, c.Topic)
	}
	return fmt.Errorf("%s risky (%s: %s): review them, then apply with --allow-risky, or change the file; nothing was applied",
		human.Plural(p.Summary.Risky, "change"), where, strings.Join(names, ", "))
}

// writeRisks names each risky change before the prompt, so that "yes"
// answers for them.
func writeRisks(w io.Writer, st view.Styles, p *provision.Plan) {
	fmt.Fprintf(w, "\n%s\n", st.Warn(fmt.Sprintf("This plan has %s:", human.Plural(p.Summary.Risky, "risky change"))))
	for _, c := range p.RiskyChanges() {
		for _, r := range c.Risks {
			fmt.Fprintf(w, "  %s %s: %s\n", st.Warn("⚠"), c.Topic, r.Message)
		}
	}
}

// checkMaxDeletes returns a usage error for a negative --max-deletes, or
// one given without --prune (it would be silently ignored).
// diffArgs is plan's and apply's argument check: it sets *file from -f or
// the positional FILE (fileFlag) and checks the --max-deletes rules
// (checkMaxDeletes), returning the first *FlagError.
func diffArgs(cmd *cobra.Command, flag string, args []string, file *string, o provision.Options) error {
	path, err := fileFlag(flag, args)
	if err != nil {
		return err
	}
	*file = path
	return checkMaxDeletes(cmd, o)
}

func checkMaxDeletes(cmd *cobra.Command, o provision.Options) error {
	switch {
	case o.MaxDeletes < 0:
		return &FlagError{Err: errors.New("--max-deletes must be 0 or more")}
	case cmd.Flags().Changed("max-deletes") && !o.Prune:
		return &FlagError{Err: fmt.Errorf("--max-deletes only applies with --prune: add --prune to delete undeclared topics, or drop --max-deletes")}
	}
	return nil
}

// gateError is the error of a plan the gate refused: the plan's own
// refusals (refusedError), a rebalance in progress (its *MarkerError),
// risky changes (riskyError), or the *GateError naming each refusal and
// the flag that allows it.
func gateError(err error, p *provision.Plan, format view.Format) error {
	var ge *provision.GateError
	var me *provision.MarkerError
	switch {
	case p.IsRefused():
		return refusedError(p, format, "nothing was applied")
	case errors.As(err, &me):
		return me
	case errors.As(err, &ge) && ge.Only(provision.RefusalRisky):
		return riskyError(p, format)
	}
	return err
}

// planView prints a plan: provision's text printer, or the plan as JSON/YAML.
func planView(p *provision.Plan) any {
	return view.WithText(p, func(w io.Writer, st view.Styles) error { return p.WriteText(w, st) })
}
