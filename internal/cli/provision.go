package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

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

// ValidateOptions is `kctl validate`.
type ValidateOptions struct {
	f             *Factory
	File          string
	MaxPartitions int32
}

// validateView is what `kctl validate` prints.
type validateView struct {
	File   string `json:"file" yaml:"file"`
	Valid  bool   `json:"valid" yaml:"valid"`
	Topics int    `json:"topics" yaml:"topics"`
	// Environment is the one checked (--env or KCTL_ENV);
	// Environments are those checked: it alone, or all the file defines.
	Environment  string   `json:"environment,omitempty" yaml:"environment,omitempty"`
	Environments []string `json:"environments,omitempty" yaml:"environments,omitempty"`
	// Access counts the access sections' entries (nil without them).
	Access   *accessCounts         `json:"access,omitempty" yaml:"access,omitempty"`
	Errors   []topology.Diagnostic `json:"errors" yaml:"errors"`
	Warnings []topology.Diagnostic `json:"warnings" yaml:"warnings"`
}

func (v validateView) WriteText(w io.Writer, st view.Styles) error {
	if !v.Valid {
		return nil // the diagnostics are on stderr; the error line follows
	}
	in, envs := "", ""
	switch {
	case v.Environment != "":
		in = " in environment " + v.Environment
	case len(v.Environments) > 0:
		envs = fmt.Sprintf(", %s (%s)", human.Plural(len(v.Environments), "environment"), strings.Join(v.Environments, ", "))
	}
	access := ""
	if a := v.Access; a != nil {
		// Only the sections the file has: no "0 ACLs" for a file without acls:.
		for _, sec := range a.sections {
			switch sec {
			case topology.SectionACLs:
				access += ", " + human.Plural(a.ACLs, "ACL")
			case topology.SectionUsers:
				access += ", " + human.Plural(a.Users, "SCRAM user")
			case topology.SectionQuotas:
				access += ", " + human.Plural(a.Quotas, "quota")
			}
		}
	}
	_, err := fmt.Fprintf(w, "%s %s is valid%s: %s%s%s, %s.\n", st.OK("✓"), v.File, in, human.Plural(v.Topics, "topic"), access, envs, human.Plural(len(v.Warnings), "warning"))
	return err
}

// NewCmdValidate builds `kctl validate [-f FILE | FILE]`.
func NewCmdValidate(f *Factory, runF func(*ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{f: f}
	var flag string
	cmd := &cobra.Command{
		Use:   "validate [-f FILE | FILE]",
		Short: "Check topics.yaml offline: every error with file:line:col, all at once",
		Long: `Check a topics file without a cluster: unknown keys (with the likely intended one), duplicate
topics, Kafka's topic-name rules, partitions 1..2147483647 and replicationFactor 1..32767 (Kafka's
int32 and int16), known topic configs with their types, enums and ranges, and
min.insync.replicas <= replicationFactor, names that collide once '.' and '_' are folded, and a
topic above the per-topic partition ceiling (--max-partitions, else the file's
limits.maxPartitions, else 10000). Warnings (min.insync.replicas equal to replicationFactor,
deprecated configs) do not fail validation.

A file with environments: is checked in every environment (each merged over the base); with
--env NAME (or KCTL_ENV) only in that one; a context's env: does not narrow it.`,
		Example: `  kctl validate
  kctl validate -f prod/topics.yaml
  kctl validate topics.yaml -o json
  kctl validate --env local`,
		Args: maximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := fileFlag(flag, args)
			if err != nil {
				return err
			}
			opts.File = path
			if runF != nil {
				return runF(opts)
			}
			return runValidate(opts)
		},
	}
	cmd.Flags().StringVarP(&flag, "file", "f", "", "topics file (default ./topics.yaml)")
	addMaxPartitionsFlag(cmd.Flags(), &opts.MaxPartitions)
	addEnvFlag(cmd, f)
	return cmd
}

// newValidateView returns what validate prints for the file at path
// (file nil when it could not be used at all).
func newValidateView(path string, file *topology.File, diags topology.Diagnostics) validateView {
	v := validateView{File: path, Valid: !diags.HasErrors() && file != nil, Errors: diags.Errors(), Warnings: diags.Warnings()}
	if v.Errors == nil {
		v.Errors = []topology.Diagnostic{}
	}
	if v.Warnings == nil {
		v.Warnings = []topology.Diagnostic{}
	}
	if file != nil {
		v.Topics = len(file.Topics)
		if file.HasAccess() {
			v.Access = &accessCounts{ACLs: len(file.ACLs), Users: len(file.Users), Quotas: len(file.Quotas)}
			for _, sec := range []string{topology.SectionACLs, topology.SectionUsers, topology.SectionQuotas} {
				if file.Declares(sec) {
					v.Access.sections = append(v.Access.sections, sec)
				}
			}
		}
	}
	return v
}

func runValidate(o *ValidateOptions) error {
	format, err := o.f.Format()
	if err != nil {
		return err
	}
	if err := checkMaxPartitions(o.MaxPartitions); err != nil {
		return err
	}
	file, diags, err := topology.Load(o.File)
	if err != nil {
		return err
	}
	// Every environment is checked unless --env or KCTL_ENV names one: a
	// context's env: does not narrow validate.
	env, from := o.f.explicitEnv()
	if file != nil {
		if _, err := file.Select(env, from); err != nil && env != "" {
			return err
		}
	}
	diags = topology.ForEnvironment(topology.WithLimits(file, diags, o.MaxPartitions), env)
	v := newValidateView(o.File, file, diags)
	if file != nil {
		v.Environment, v.Environments = env, file.EnvironmentNames()
		if env != "" {
			v.Environments = []string{env}
		}
	}
	if format == view.Text {
		writeDiagnostics(o.f.IO.ErrOut, o.f.stderrStyles(), diags)
	}
	if err := o.f.Print(v); err != nil {
		return err
	}
	if !v.Valid {
		if format != view.Text {
			return ErrSilentFailure
		}
		return fmt.Errorf("%s has %s", o.File, human.Plural(max(len(v.Errors), 1), "error"))
	}
	return nil
}

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

// writeSavedPlan saves p, computed from in, to path (plan --out).
func writeSavedPlan(f *Factory, path string, in *planInputs, p *provision.Plan) error {
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
	var c *Clients
	var p *provision.Plan
	sp, err := provision.ReadSavedPlanFile(o.File)
	switch {
	case err != nil:
		return err
	case sp != nil:
		if o.savedFlags != "" {
			return &FlagError{Err: fmt.Errorf("%s is a saved plan: it carries out exactly what was planned, so %s cannot change it; drop it (or plan again with it)", o.File, o.savedFlags)}
		}
		c, p, err = savedPlan(ctx, f, sp, o.File)
	default:
		c, p, _, err = computePlan(ctx, f, o.File, format, true, o.MaxPartitions, o.Diff)
	}
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
		return f.Print(view.WithText(av, func(w io.Writer, st view.Styles) error { return av.WriteText(w, st) }))
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
	av = provision.NewApplyView(p, &res)
	if text {
		if err := av.WriteResultText(f.IO.Out, f.Styles()); err != nil {
			return err
		}
	} else if err := finish(); err != nil {
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
