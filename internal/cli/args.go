package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// The positional-argument rules of kctl's commands. cobra's own validators
// return plain errors; these return them as a *FlagError, so a wrong
// number of arguments is a usage error by its type (with the --help hint),
// never recognised by its wording. A wrong count also says what to give:
// the arguments of the command's usage line (cobra says only "accepts 1
// arg(s), received 0").

func noArgs(cmd *cobra.Command, args []string) error { return asUsage(cobra.NoArgs(cmd, args)) }

func exactArgs(n int) cobra.PositionalArgs {
	check := cobra.ExactArgs(n)
	return func(cmd *cobra.Command, args []string) error { return argCount(cmd, check(cmd, args)) }
}

func maximumNArgs(n int) cobra.PositionalArgs {
	check := cobra.MaximumNArgs(n)
	return func(cmd *cobra.Command, args []string) error { return argCount(cmd, check(cmd, args)) }
}

// argCount returns cobra's argument-count error err as a *FlagError that
// names what to give, or nil for nil.
func argCount(cmd *cobra.Command, err error) error {
	if err == nil {
		return nil
	}
	usage := strings.TrimSuffix(cmd.UseLine(), " [flags]")
	if give := argNames(cmd.Use); give != "" && !strings.HasPrefix(give, "[") {
		return &FlagError{Err: fmt.Errorf("%v: give %s, as in: %s", err, give, usage)}
	}
	return &FlagError{Err: fmt.Errorf("%v: usage: %s", err, usage)}
}

// argNames returns the positional placeholders of a Use line: "GROUP" of
// "reset GROUP (--topic T...) --to-…", "[FILE]" of "plan [FILE]".
func argNames(use string) string {
	var out []string
	for _, w := range strings.Fields(use)[1:] {
		t := strings.Trim(w, "[]().…")
		if t == "" || strings.HasPrefix(t, "-") || strings.ToUpper(t) != t {
			break
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// asUsage returns err as a *FlagError, or nil for nil.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	return &FlagError{Err: err}
}
