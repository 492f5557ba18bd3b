package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/kctl/kctl/internal/platform/human"

	"github.com/kctl/kctl/internal/platform/view"
	"github.com/kctl/kctl/topology"
	"github.com/spf13/cobra"
)

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
