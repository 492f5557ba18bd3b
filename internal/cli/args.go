package cli

import "github.com/spf13/cobra"

// The positional-argument rules of kctl's commands. cobra's own validators
// return plain errors; these return them as a *FlagError, so a wrong
// number of arguments is a usage error by its type (with the --help hint),
// never recognised by its wording.

func noArgs(cmd *cobra.Command, args []string) error { return asUsage(cobra.NoArgs(cmd, args)) }

func exactArgs(n int) cobra.PositionalArgs {
	check := cobra.ExactArgs(n)
	return func(cmd *cobra.Command, args []string) error { return asUsage(check(cmd, args)) }
}

func maximumNArgs(n int) cobra.PositionalArgs {
	check := cobra.MaximumNArgs(n)
	return func(cmd *cobra.Command, args []string) error { return asUsage(check(cmd, args)) }
}

// asUsage returns err as a *FlagError, or nil for nil.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	return &FlagError{Err: err}
}
