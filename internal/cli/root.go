package cli

import (
	"errors"
	"fmt"
	"runtime/debug"
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

// NewCmdRoot builds the kctl command tree.
func NewCmdRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "kctl",
		Short: "kctl: reconcile, inspect and smoke-test Apache Kafka clusters",
		Long: `kctl keeps a Kafka cluster's topics equal to a reviewed topics.yaml (validate → plan → apply),
shows what the cluster and its consumers are doing (describe, lag), and proves the whole
sign-up path end to end (smoke) — on a real cluster or an embedded 3-broker one, no Docker.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       versionLine(),
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

	root.AddCommand(
		NewCmdCluster(f),
		NewCmdConfig(f),
		NewCmdDescribe(f),
		NewCmdLag(f, nil),
		NewCmdGroups(f),
		NewCmdDLT(f),
		NewCmdSmoke(f, nil),
		NewCmdServe(f),
		NewCmdVersion(f, nil),
	)
	root.AddCommand(NewCmdValidate(f, nil), NewCmdPlan(f, nil), NewCmdApply(f, nil), NewCmdShow(f, nil))
	root.AddCommand(NewCmdExport(f, nil), NewCmdRebalance(f, nil), NewCmdReassignments(f, nil))
	root.AddCommand(NewCmdConsume(f, nil), NewCmdProduce(f, nil), NewCmdTop(f, nil))
	root.InitDefaultCompletionCmd()
	refuseUnknownSubcommands(root)
	return root
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
