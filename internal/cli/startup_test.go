package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The start-up path (issue 21) is guarded by counts, not timings: which
// commands get built, what that allocates, and what kctl's own packages do
// at init.

// subcommands names what the constructors build, in the same order.
func TestSubcommandTable(t *testing.T) {
	root := NewCmdRoot(testFactory())
	var got [][]string
	for _, c := range root.Commands() {
		if c.Name() == "completion" || c.Name() == "help" {
			continue
		}
		got = append(got, append([]string{c.Name()}, c.Aliases...))
	}
	var want [][]string
	for _, s := range subcommands {
		want = append(want, s.names)
	}
	slices.SortFunc(want, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	if !slices.EqualFunc(got, want, slices.Equal[[]string]) {
		t.Errorf("commands built %v, table of subcommands %v", got, want)
	}
}

// A run that names its command builds only that one, found past global
// flags; anything uncertain builds the whole tree. Either way the command
// cobra runs has the same path and flags as in the whole tree.
func TestRootBuildsOnlyTheCommandRun(t *testing.T) {
	for args, want := range map[string][]string{
		"version":         {"version"},
		"version -o json": {"version"},
		"-b 127.0.0.1:1 --timeout=1s describe topics": {"describe"},
		"--brokers 127.0.0.1:1 -v --no-color lag g":   {"lag"},
		"--output json groups ls":                     {"groups"},
		"--context prod apply -f t.yaml":              {"apply"},
		"":                                            nil, // all
		"help version":                                nil,
		"--help":                                      nil,
		"--version":                                   nil,
		"-bx:1 version":                               nil, // a cluster of short flags: not parsed here
		"--bogus version":                             nil,
		"-- version":                                  nil,
		"versoin":                                     nil, // the suggestion needs every name
		"completion bash":                             nil,
		"__complete describe t":                       nil,
	} {
		argv := strings.Fields(args)
		root := newCmdRootFor(testFactory(), argv)
		var built []string
		for _, c := range root.Commands() {
			if c.Name() != "completion" { // cobra adds it in any case
				built = append(built, c.Name())
			}
		}
		if want == nil {
			if len(built) != len(subcommands) {
				t.Errorf("kctl %s: built %v, want the whole tree", args, built)
			}
		} else if !slices.Equal(built, want) {
			t.Errorf("kctl %s: built %v, want %v", args, built, want)
		}
		full := NewCmdRoot(testFactory())
		c1, _, err1 := root.Find(argv)
		c2, _, err2 := full.Find(argv)
		if (err1 == nil) != (err2 == nil) || (err1 == nil && c1.CommandPath() != c2.CommandPath()) {
			t.Errorf("kctl %s: finds %v (%v), the whole tree %v (%v)", args, path(c1), err1, path(c2), err2)
			continue
		}
		if err1 == nil && flagNames(c1) != flagNames(c2) {
			t.Errorf("kctl %s: flags %s, in the whole tree %s", args, flagNames(c1), flagNames(c2))
		}
	}
}

func path(c *cobra.Command) string {
	if c == nil {
		return "<nil>"
	}
	return c.CommandPath()
}

func flagNames(c *cobra.Command) string {
	var b strings.Builder
	c.Flags().VisitAll(func(f *pflag.Flag) { b.WriteString(f.Name + " ") })
	c.InheritedFlags().VisitAll(func(f *pflag.Flag) { b.WriteString(f.Name + " ") })
	return b.String()
}

// Building the root for `kctl version` allocates a small part of what the
// whole tree does (before issue 21 it built every command: the same; now
// about 120 against 750, most of it the global flags).
func TestVersionRootAllocations(t *testing.T) {
	f := testFactory()
	lazy := testing.AllocsPerRun(5, func() { newCmdRootFor(f, []string{"version"}) })
	full := testing.AllocsPerRun(5, func() { newCmdRootFor(f, []string{}) })
	t.Logf("allocations building the root: kctl version %.0f, whole tree %.0f", lazy, full)
	if lazy > full/4 {
		t.Errorf("building the root for kctl version allocates %.0f times, the whole tree %.0f: want at most a quarter", lazy, full)
	}
}
