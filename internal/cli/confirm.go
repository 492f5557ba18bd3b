package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/kctl/kctl/internal/platform/view"
	"github.com/spf13/cobra"
)

// The annotations that make the flag rules checkable (flags_test.go walks
// the command tree): a command that changes a cluster is annotated
// mutatesAnnotation, one that reads a topics file envAnnotation.
const (
	mutatesAnnotation = "kctl/mutates"
	envAnnotation     = "kctl/reads-topics-file"
)

// ChangeFlags are the flags of every command that changes a cluster: it
// shows its plan, then asks on a terminal; --yes skips the question and
// --dry-run stops after the plan.
type ChangeFlags struct {
	Yes    bool
	DryRun bool
}

// addChangeFlags gives cmd --yes/-y and --dry-run and marks it as changing
// the cluster (and so as one a closed stdout does not stop, pipe.go). With execute, --execute is a hidden synonym of --yes (the
// habit of kafka-consumer-groups.sh and kafka-reassign-partitions.sh).
func addChangeFlags(cmd *cobra.Command, c *ChangeFlags, dryRunUsage string, execute bool) {
	fl := cmd.Flags()
	fl.BoolVarP(&c.Yes, "yes", "y", false, "go ahead without asking (required when stdin is not a terminal)")
	fl.BoolVar(&c.DryRun, "dry-run", false, dryRunUsage)
	if execute {
		fl.BoolVar(&c.Yes, "execute", false, "same as --yes")
		_ = fl.MarkHidden("execute")
	}
	annotate(cmd, mutatesAnnotation)
	keepGoingOnClosedStdout(cmd)
}

// addEnvFlag gives cmd --env (the environment of the topics file it reads)
// and marks it as reading a topics file.
func addEnvFlag(cmd *cobra.Command, f *Factory) {
	cmd.Flags().StringVar(&f.Global.Env, "env", "", "environment of the topics file to merge over its base (env KCTL_ENV, or env: of the current context)")
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs)
	annotate(cmd, envAnnotation)
}

// annotate sets annotation key on cmd, in a copy of its annotations (they
// may be a shared map, such as longRunning).
func annotate(cmd *cobra.Command, key string) {
	a := maps.Clone(cmd.Annotations)
	if a == nil {
		a = map[string]string{}
	}
	a[key] = "true"
	cmd.Annotations = a
}

// checkChangeFlags refuses --yes with --dry-run.
func checkChangeFlags(c ChangeFlags) error {
	if c.Yes && c.DryRun {
		return &FlagError{Err: errors.New("--yes and --dry-run contradict each other: give one (--dry-run stops after the plan)")}
	}
	return nil
}

// Prompter is what a command that asks before changing a cluster needs:
// the streams (the question on stderr, the answer on stdin) and whether
// stdin is a terminal.
type Prompter struct {
	IO         IOStreams
	IsTerminal func(any) bool
	// Args is the command line as given (without "kctl"): a refusal
	// without a terminal repeats it, with --yes, so it can be run as is.
	Args []string
}

// prompter returns the factory's Prompter.
func (f *Factory) prompter() Prompter {
	return Prompter{IO: f.IO, IsTerminal: f.IsTerminal, Args: f.Args}
}

// confirmChange is Prompter.confirmChange with the factory's streams, for
// the commands that hold the factory.
func confirmChange(ctx context.Context, f *Factory, c ChangeFlags, name, question string) error {
	return f.prompter().confirmChange(ctx, c, name, question)
}

// showAndConfirm shows plan and asks before a change (confirmChange): the
// plan is printed whether or not it is asked about (--yes) — as text before
// the result, as JSON/YAML only for --dry-run, where it is the whole answer.
// It reports whether to go ahead: false with a nil error after --dry-run.
func showAndConfirm(ctx context.Context, f *Factory, c ChangeFlags, plan any, name, question string) (bool, error) {
	if format, _ := f.Format(); format == view.Text || c.DryRun {
		if err := f.Print(plan); err != nil {
			return false, err
		}
	}
	if c.DryRun {
		return false, nil
	}
	return true, confirmChange(ctx, f, c, name, question)
}

// confirmChange is the one gate of the commands that change a cluster,
// called once the plan is printed and before anything changes (not with
// --dry-run). With --yes it lets the change go; without a terminal on
// stdin it refuses (no prompt is printed), telling to review the plan and
// run kctl name --yes or --dry-run; on a terminal it asks question on stderr
// and lets the change go only on "yes". Ctrl-C while it waits returns the
// context's error (exit 130).
func (p Prompter) confirmChange(ctx context.Context, c ChangeFlags, name, question string) error {
	if c.Yes {
		return nil
	}
	if !p.IsTerminal(p.IO.In) {
		return fmt.Errorf("stdin is not a terminal, so kctl cannot ask before changing the cluster: review the plan, then run %s (or --dry-run to stop after the plan)", p.rerun(name))
	}
	ok, err := confirm(ctx, p.IO.In, p.IO.ErrOut, question)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s cancelled: nothing was changed", name)
	}
	return nil
}

// confirm asks question on a terminal and reads the answer; only "yes"
// goes ahead. Ctrl-C while it waits returns the context's error (exit 130).
func confirm(ctx context.Context, in io.Reader, out io.Writer, question string) (bool, error) {
	fmt.Fprintf(out, "\n%s Only 'yes' is accepted: ", question)
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(in).ReadString('\n')
		ch <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(out)
		return false, ctx.Err()
	case a := <-ch:
		if a.err != nil && a.line == "" {
			return false, fmt.Errorf("read confirmation: %w", a.err)
		}
		return strings.TrimSpace(a.line) == "yes", nil
	}
}

// rerun is the command line to run again with --yes: the one given (Args),
// shell-quoted, or "kctl NAME --yes" when it is not known.
func (p Prompter) rerun(name string) string {
	if len(p.Args) == 0 {
		return "kctl " + name + " --yes"
	}
	var b strings.Builder
	b.WriteString("kctl")
	for _, a := range p.Args {
		if a == "--dry-run" || a == "--yes" || a == "-y" || a == "--execute" {
			continue
		}
		b.WriteString(" " + shellQuote(a))
	}
	b.WriteString(" --yes")
	return b.String()
}

// shellQuote returns a as a POSIX shell word: as is when it has only safe
// characters, else in single quotes.
func shellQuote(a string) string {
	if a != "" && strings.IndexFunc(a, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@%+", r))
	}) < 0 {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}
