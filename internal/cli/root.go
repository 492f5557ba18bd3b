package cli

import (
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/kctl/kctl/topology"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// version is set at build time with -ldflags "-X github.com/kctl/kctl/internal/cli.version=v1.2.3".
var version = ""

// Version returns the build version: the ldflags value, else the module version.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// NewCmdRoot builds the whole kctl command tree.
func NewCmdRoot(f *Factory) *cobra.Command { return newCmdRootFor(f, nil) }

// subcommands are kctl's top-level commands in help order, each with the
// names it answers to (name first, then aliases) and its constructor.
// TestSubcommandTable keeps the names equal to what the constructors build.
var subcommands = []struct {
	names []string
	build func(*Factory) *cobra.Command
}{
	{[]string{"cluster"}, NewCmdCluster},
	{[]string{"config"}, NewCmdConfig},
	{[]string{"describe"}, NewCmdDescribe},
	{[]string{"lag"}, func(f *Factory) *cobra.Command { return NewCmdLag(f, nil) }},
	{[]string{"groups"}, NewCmdGroups},
	{[]string{"txn"}, NewCmdTxn},
	{[]string{"truncate"}, func(f *Factory) *cobra.Command { return NewCmdTruncate(f, nil) }},
	{[]string{"topic"}, NewCmdTopic},
	{[]string{"dlt"}, NewCmdDLT},
	{[]string{"copy"}, func(f *Factory) *cobra.Command { return NewCmdCopy(f, nil) }},
	{[]string{"smoke"}, func(f *Factory) *cobra.Command { return NewCmdSmoke(f, nil) }},
	{[]string{"serve"}, NewCmdServe},
	{[]string{"version"}, func(f *Factory) *cobra.Command { return NewCmdVersion(f, nil) }},
	{[]string{"validate"}, func(f *Factory) *cobra.Command { return NewCmdValidate(f, nil) }},
	{[]string{"plan"}, func(f *Factory) *cobra.Command { return NewCmdPlan(f, nil) }},
	{[]string{"apply"}, func(f *Factory) *cobra.Command { return NewCmdApply(f, nil) }},
	{[]string{"show"}, func(f *Factory) *cobra.Command { return NewCmdShow(f, nil) }},
	{[]string{"export"}, func(f *Factory) *cobra.Command { return NewCmdExport(f, nil) }},
	{[]string{"rebalance"}, func(f *Factory) *cobra.Command { return NewCmdRebalance(f, nil) }},
	{[]string{"reassignments"}, func(f *Factory) *cobra.Command { return NewCmdReassignments(f, nil) }},
	{[]string{"consume"}, func(f *Factory) *cobra.Command { return NewCmdConsume(f, nil) }},
	{[]string{"produce"}, func(f *Factory) *cobra.Command { return NewCmdProduce(f, nil) }},
	{[]string{"top"}, func(f *Factory) *cobra.Command { return NewCmdTop(f, nil) }},
	{[]string{"elect-leaders"}, func(f *Factory) *cobra.Command { return NewCmdElectLeaders(f, nil) }},
	{[]string{"offsets"}, func(f *Factory) *cobra.Command { return NewCmdOffsets(f, nil) }},
}

// newCmdRootFor builds the root and, when args name one top-level command
// (after any global flags), only that command: starting kctl then costs one
// command's construction, not all of them (issue 21). Anything else — no
// command, help, completion, an unknown name, flags it cannot skip over —
// gets the whole tree, so help, suggestions and completion are unchanged.
func newCmdRootFor(f *Factory, args []string) *cobra.Command {
	root := &cobra.Command{
		Use:   "kctl",
		Short: "kctl: reconcile, inspect and smoke-test Apache Kafka clusters",
		Long: `kctl keeps a Kafka cluster's topics equal to a reviewed topics.yaml (validate → plan → apply),
shows what the cluster and its consumers are doing (describe, lag), and proves the whole
sign-up path end to end (smoke) — on a real cluster or an embedded 3-broker one, no Docker.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		// Reading the build info is left to a run that may print it:
		// otherwise this value only makes cobra add --version.
		Version: "kctl",
	}
	if args == nil || slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--version") }) {
		root.Version = versionLine()
	}
	root.SetFlagErrorFunc(flagError)
	root.SetVersionTemplate("{{.Version}}\n")
	g := f.Global
	pf := root.PersistentFlags()
	pf.StringSliceVarP(&g.Brokers, "brokers", "b", nil, "comma-separated host:port bootstrap brokers (env KCTL_BROKERS, KAFKA_BROKERS, KAFKA_BOOTSTRAP_SERVERS)")
	pf.StringSliceVar(&g.Brokers, "bootstrap-server", nil, "alias of --brokers")
	pf.StringVar(&g.Context, "context", "", "named cluster from the config file (env KCTL_CONTEXT)")
	pf.StringVar(&g.ConfigPath, "config", "", "config file (default $XDG_CONFIG_HOME/kctl/config.yaml)")
	pf.BoolVar(&g.TLS.Enabled, "tls", false, "connect with TLS")
	pf.StringVar(&g.TLS.CAFile, "tls-ca", "", "PEM file of CA certificates to trust")
	pf.StringVar(&g.TLS.CertFile, "tls-cert", "", "PEM client certificate (with --tls-key)")
	pf.StringVar(&g.TLS.KeyFile, "tls-key", "", "PEM client key (with --tls-cert)")
	pf.StringVar(&g.TLS.ServerName, "tls-server-name", "", "server name to verify instead of the broker host")
	pf.BoolVar(&g.TLS.InsecureSkipVerify, "tls-insecure-skip-verify", false, "do not verify the brokers' certificates (testing only)")
	pf.StringVar(&g.SASL.Mechanism, "sasl-mechanism", "", "plain|scram-sha-256|scram-sha-512|oauthbearer|aws-msk-iam")
	pf.StringVar(&g.SASL.User, "sasl-user", "", "SASL user (the secret comes from KCTL_SASL_PASSWORD or --sasl-password-file)")
	pf.StringVar(&g.SASL.PasswordFile, "sasl-password-file", "", "file holding the SASL password or OAuth token")
	pf.StringVarP(&g.Output, "output", "o", "text", "output format: text|json|yaml")
	pf.BoolVar(&g.NoColor, "no-color", false, "no colour (also NO_COLOR)")
	pf.DurationVar(&g.Timeout, "timeout", g.Timeout, "bound for every cluster call")
	pf.BoolVarP(&g.Verbose, "verbose", "v", false, "debug logs on stderr")

	_ = root.RegisterFlagCompletionFunc("context", completeContexts(f))
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if cmd.Flags().Changed("brokers") && cmd.Flags().Changed("bootstrap-server") {
			return &FlagError{Err: errors.New("--brokers and --bootstrap-server are the same setting: give one of them")}
		}
		g.BrokersSet = cmd.Flags().Changed("brokers") || cmd.Flags().Changed("bootstrap-server")
		if _, err := f.Format(); err != nil {
			return &FlagError{Err: outputHint(cmd, args, g.Output, err)}
		}
		if g.Timeout <= 0 {
			return &FlagError{Err: errors.New("--timeout must be positive, e.g. --timeout 10s")}
		}
		if g.Timeout < minTimeout {
			// franz-go refuses a request timeout below 100ms.
			return &FlagError{Err: fmt.Errorf("--timeout %s is too short: use at least %s, e.g. --timeout 10s", g.Timeout, minTimeout)}
		}
		if f.TuneGC != nil {
			f.TuneGC(isLongRunning(cmd))
		}
		return nil
	}

	if i := subcommandIndex(pf, args); i >= 0 {
		root.AddCommand(subcommands[i].build(f))
	} else {
		for _, s := range subcommands {
			root.AddCommand(s.build(f))
		}
	}
	root.InitDefaultCompletionCmd()
	refuseUnknownSubcommands(root)
	return root
}

// subcommandIndex returns the index in subcommands of the command args
// run, skipping the global flags (and their values) in front of it, or -1
// when that is not certain: no command name, "--", a flag it does not know
// or a cluster of short flags.
func subcommandIndex(global *pflag.FlagSet, args []string) int {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			for n, s := range subcommands {
				for _, name := range s.names {
					if a == name {
						return n
					}
				}
			}
			return -1
		}
		var fl *pflag.Flag
		switch {
		case a == "--":
			return -1
		case strings.HasPrefix(a, "--"):
			name, _, hasValue := strings.Cut(a[2:], "=")
			if fl = global.Lookup(name); fl == nil {
				return -1
			}
			if hasValue {
				continue
			}
		case len(a) == 2:
			if fl = global.ShorthandLookup(a[1:]); fl == nil {
				return -1
			}
		default:
			return -1 // -bHOST, -vo json, -o=json: let cobra parse it all
		}
		if fl.NoOptDefVal == "" {
			i++ // the flag's value
		}
	}
	return -1
}

// refuseUnknownSubcommands makes a command that only groups others (and its
// descendants) answer an unknown subcommand with a usage error and exit 1,
// where cobra would print the help and exit 0.
func refuseUnknownSubcommands(c *cobra.Command) {
	if !c.HasSubCommands() {
		return
	}
	if c.Run == nil && c.RunE == nil {
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
				if cmd.SuggestionsMinimumDistance <= 0 {
					cmd.SuggestionsMinimumDistance = 2 // cobra's default
				}
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					msg += "; did you mean " + strings.Join(s, " or ") + "?"
				}
				return &FlagError{Err: errors.New(msg)}
			}
			return cmd.Help()
		}
	}
	for _, sub := range c.Commands() {
		refuseUnknownSubcommands(sub)
	}
}

// VersionOptions is kctl version.
type VersionOptions struct{ f *Factory }

// NewCmdVersion prints the version.
func NewCmdVersion(f *Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{f: f}
	return &cobra.Command{
		Use:   "version",
		Short: "Print kctl's version",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runVersion(opts)
		},
	}
}

type versionView struct {
	Version string `json:"version" yaml:"version"`
	Go      string `json:"go" yaml:"go"`
}

func newVersionView() versionView {
	v := versionView{Version: Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v.Go = bi.GoVersion
	}
	return v
}

// versionLine is what kctl version and kctl --version print.
func versionLine() string {
	v := newVersionView()
	return fmt.Sprintf("kctl %s (%s)", v.Version, v.Go)
}

func runVersion(o *VersionOptions) error {
	format, err := o.f.Format()
	if err != nil {
		return err
	}
	if format == "text" {
		_, err := fmt.Fprintln(o.f.IO.Out, versionLine())
		return err
	}
	return o.f.Print(newVersionView())
}

// flagError makes pflag's error a usage error (*FlagError), adding the
// closest flag of the command to an unknown one ("did you mean --topic?"),
// and for -f on kctl consume, where kcat's -f is --format, saying so.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	var name string
	switch {
	case strings.HasPrefix(msg, "unknown flag: --"):
		name, _, _ = strings.Cut(strings.TrimPrefix(msg, "unknown flag: --"), "=")
	case strings.HasPrefix(msg, "unknown shorthand flag: "):
		if cmd.Name() == "consume" && strings.HasPrefix(msg, "unknown shorthand flag: 'f'") {
			return &FlagError{Err: fmt.Errorf("%w: -f is always a file in kctl, and consume reads none; the record format (kcat's -f) is --format, e.g. kctl consume TOPIC --format '%%k %%s\\n'", err)}
		}
		return &FlagError{Err: err}
	default:
		return &FlagError{Err: err}
	}
	var names []string
	visit := func(fl *pflag.Flag) {
		if !fl.Hidden {
			names = append(names, fl.Name)
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	if m := topology.Closest(name, names); m != "" {
		return &FlagError{Err: fmt.Errorf("%w; did you mean --%s?", err, m)}
	}
	return &FlagError{Err: err}
}

// longRunning marks commands that run until stopped or for a long time
// (servers, the embedded cluster, smoke); see isLongRunning.
var longRunning = map[string]string{"kctl/long-running": "true"}

// isLongRunning reports whether cmd or a parent is marked longRunning.
func isLongRunning(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		if c.Annotations["kctl/long-running"] == "true" {
			return true
		}
	}
	return false
}

// minTimeout is the shortest --timeout: franz-go's smallest request timeout.
const minTimeout = 100 * time.Millisecond
