package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestFlagRules walks the command tree and checks kctl's one meaning per
// flag: -f is always --file (a file), -o always --output (the output
// format, the root's), a flag named format is a record format (consume),
// a command annotated as changing a cluster has --yes/-y and --dry-run
// (and only such a command has them), and --env exists exactly on the
// commands annotated as reading a topics file (and config set-context,
// which stores it).
func TestFlagRules(t *testing.T) {
	f := NewFactory(IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, func(string) string { return "" })
	root := NewCmdRoot(f)
	var mutating, envCmds []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := c.CommandPath()
		check := func(fl *pflag.Flag) {
			switch {
			case fl.Shorthand == "f" && fl.Name != "file":
				t.Errorf("%s: -f is --%s; -f must be --file, a file", path, fl.Name)
			case fl.Shorthand == "o" && fl.Name != "output":
				t.Errorf("%s: -o is --%s; -o must be --output, the output format", path, fl.Name)
			case fl.Name == "output" && (fl.Shorthand != "o" || root.PersistentFlags().Lookup("output") != fl):
				t.Errorf("%s: --output is not the root's output format flag", path)
			case fl.Name == "file" && fl.Shorthand != "f":
				t.Errorf("%s: --file has no -f", path)
			case fl.Name == "format" && fl.Value.Type() != "format":
				t.Errorf("%s: --format is a %s, not a record format", path, fl.Value.Type())
			}
		}
		c.Flags().VisitAll(check)
		c.InheritedFlags().VisitAll(check)
		mutates := c.Annotations[mutatesAnnotation] == "true"
		yes, dry := c.Flags().Lookup("yes"), c.Flags().Lookup("dry-run")
		if mutates != (yes != nil) || mutates != (dry != nil) {
			t.Errorf("%s: annotated mutates=%v, has --yes %v, --dry-run %v: a command that changes a cluster has both, others neither", path, mutates, yes != nil, dry != nil)
		}
		if yes != nil && yes.Shorthand != "y" {
			t.Errorf("%s: --yes has no -y", path)
		}
		if ex := c.Flags().Lookup("execute"); ex != nil && (!ex.Hidden || !mutates) {
			t.Errorf("%s: --execute must be a hidden synonym of --yes", path)
		}
		if mutates {
			mutating = append(mutating, path)
		}
		readsFile := c.Annotations[envAnnotation] == "true"
		env := c.Flags().Lookup("env") != nil || c.InheritedFlags().Lookup("env") != nil
		if readsFile != env && path != "kctl config set-context" {
			t.Errorf("%s: annotated as reading a topics file %v, has --env %v: --env is only on the commands that read one", path, readsFile, env)
		}
		if readsFile {
			envCmds = append(envCmds, path)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	// The walk must have seen the commands the rules are about.
	if got, want := strings.Join(mutating, ","), "kctl apply,kctl copy,kctl dlt replay,kctl elect-leaders,kctl groups clone,kctl groups delete,kctl groups reset,kctl reassignments,kctl rebalance,kctl topic add-partitions,kctl topic create,kctl topic delete,kctl topic set-config,kctl truncate,kctl txn abort"; got != want {
		t.Errorf("commands that change a cluster: %s, want %s", got, want)
	}
	if got, want := strings.Join(envCmds, ","), "kctl apply,kctl plan,kctl smoke,kctl validate"; got != want {
		t.Errorf("commands with --env: %s, want %s", got, want)
	}
}

// TestFlagSuggestions: a mistyped flag names the closest flag of the
// command, its own or inherited; -f on consume points at --format.
func TestFlagSuggestions(t *testing.T) {
	for args, want := range map[string]string{
		"groups reset g --topc t --to-earliest": "unknown flag: --topc; did you mean --topic?",
		"describe topics --brokrs x:1":          "unknown flag: --brokrs; did you mean --brokers?",
		"apply --dryrun":                        "did you mean --dry-run?",
		"apply --yes --dry-run":                 "--yes and --dry-run contradict each other",
		"plan --timout=3s":                      "did you mean --timeout?",
		"consume t -f %k":                       "-f is always a file in kctl, and consume reads none; the record format (kcat's -f) is --format",
		"describe cluster --env prod":           "unknown flag: --env",
		"export -o topics.yaml":                 "export writes its file with -f FILE: kctl export -f topics.yaml",
		"export -o json":                        "-o json: export writes a topics.yaml, which is YAML",
	} {
		var out, errOut bytes.Buffer
		f := NewFactory(IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, func(string) string { return "" })
		code := Run(context.Background(), f, strings.Fields(args))
		if code != ExitError || !strings.Contains(errOut.String(), want) || !strings.Contains(errOut.String(), "--help' for usage") {
			t.Errorf("kctl %s: exit %d, stderr %q, want %q", args, code, errOut.String(), want)
		}
	}
	var errOut bytes.Buffer
	f := NewFactory(IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &errOut}, func(string) string { return "" })
	if Run(context.Background(), f, []string{"describe", "cluster", "--zzzzzz"}); strings.Contains(errOut.String(), "did you mean") {
		t.Errorf("a flag like none: %q", errOut.String())
	}
}

// TestVersionFlag: kctl version and kctl --version print the same line.
func TestVersionFlag(t *testing.T) {
	var lines []string
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var out bytes.Buffer
		f := NewFactory(IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &bytes.Buffer{}}, func(string) string { return "" })
		if code := Run(context.Background(), f, args); code != ExitOK {
			t.Fatalf("%v: exit %d", args, code)
		}
		lines = append(lines, out.String())
	}
	if lines[0] != lines[1] || !strings.HasPrefix(lines[0], "kctl ") || strings.Count(lines[0], "\n") != 1 {
		t.Errorf("kctl version %q, kctl --version %q", lines[0], lines[1])
	}
}
