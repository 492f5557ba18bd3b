package cli

import (
	"fmt"
	"io"

	"github.com/kctl/kctl/internal/kafka"
	"github.com/kctl/kctl/internal/ui"
	"github.com/spf13/cobra"
)

// NewCmdConfig is `kctl config`.
func NewCmdConfig(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Named clusters (contexts), as kubectl contexts",
		Long: `Contexts live in $XDG_CONFIG_HOME/kctl/config.yaml (or --config). A context holds brokers, TLS
and SASL settings, and optionally env: (set-context --env NAME), the topics.yaml environment that
plan, apply and smoke use with it for files that define environments. Secrets are never printed:
'config view' masks them.`,
		Args: noArgs,
	}
	cmd.AddCommand(NewCmdConfigView(f, nil), NewCmdConfigUseContext(f, nil), NewCmdConfigSetContext(f, nil))
	return cmd
}

// ConfigOptions serves the config subcommands.
type ConfigOptions struct {
	f    *Factory
	Name string
}

// configView is what `config view` prints.
type configView struct {
	Path string            `json:"path" yaml:"path"`
	File *kafka.ConfigFile `json:"config" yaml:"config"`
	// Effective is the connection kctl would use now, with its source.
	Effective *effectiveView `json:"effective,omitempty" yaml:"effective,omitempty"`
}

// effectiveView is kafka.Settings as printed: secrets masked, the timeout
// as a duration ("10s").
type effectiveView struct {
	Brokers     []string   `json:"brokers" yaml:"brokers"`
	BrokersFrom string     `json:"brokersFrom" yaml:"brokersFrom"`
	TLS         kafka.TLS  `json:"tls" yaml:"tls"`
	SASL        kafka.SASL `json:"sasl" yaml:"sasl"`
	Timeout     string     `json:"timeout" yaml:"timeout"`
}

func (v configView) WriteText(w io.Writer, _ ui.Styles) error {
	fmt.Fprintf(w, "# %s\n", v.Path)
	if err := ui.PrintYAML(w, v.File); err != nil {
		return err
	}
	if v.Effective != nil {
		e := v.Effective
		fmt.Fprintf(w, "# effective brokers (from %s): %v\n", e.BrokersFrom, e.Brokers)
		sasl, tls := "none", "off"
		if e.SASL.Mechanism != "" {
			sasl = fmt.Sprintf("%s, user %q", e.SASL.Mechanism, e.SASL.User)
		}
		if e.TLS.Enabled {
			tls = "on"
		}
		fmt.Fprintf(w, "# effective SASL: %s; TLS: %s (a context's credentials apply to its own brokers, or to any with --context)\n", sasl, tls)
	}
	return nil
}

// NewCmdConfigView builds `kctl config view`.
func NewCmdConfigView(f *Factory, runF func(*ConfigOptions) error) *cobra.Command {
	opts := &ConfigOptions{f: f}
	return &cobra.Command{
		Use:   "view",
		Short: "Show the config file with secrets masked, and the brokers in effect",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			path := f.ConfigPath()
			cfg, err := kafka.LoadConfig(path)
			if err != nil {
				return err
			}
			v := configView{Path: path, File: cfg.Masked()}
			if s, err := f.Settings(nil, ""); err == nil {
				m := s.Masked()
				v.Effective = &effectiveView{Brokers: m.Brokers, BrokersFrom: m.BrokersFrom, TLS: m.TLS, SASL: m.SASL, Timeout: m.Timeout.String()}
			}
			return f.Print(v)
		},
	}
}

// NewCmdConfigUseContext builds `kctl config use-context NAME`.
func NewCmdConfigUseContext(f *Factory, runF func(*ConfigOptions) error) *cobra.Command {
	opts := &ConfigOptions{f: f}
	return &cobra.Command{
		Use:               "use-context NAME",
		ValidArgsFunction: completeContexts(f),
		Short:             "Make NAME the current context",
		Args:              exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			path := f.ConfigPath()
			cfg, err := kafka.LoadConfig(path)
			if err != nil {
				return err
			}
			if _, _, err := cfg.Select(opts.Name); err != nil {
				return err
			}
			cfg.CurrentContext = opts.Name
			if err := cfg.Save(path); err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Out, "Switched to context %q.\n", opts.Name)
			return nil
		},
	}
}

// NewCmdConfigSetContext builds `kctl config set-context NAME --brokers ...`.
func NewCmdConfigSetContext(f *Factory, runF func(*ConfigOptions) error) *cobra.Command {
	opts := &ConfigOptions{f: f}
	var use bool
	cmd := &cobra.Command{
		Use:   "set-context NAME",
		Short: "Create or update a context from --brokers, --env and the TLS/SASL flags",
		Long: `Create or update a context from --brokers, the TLS/SASL flags and --env. Flags not given keep
the context's current values.

--env NAME stores env: NAME in the context: the environment of topics.yaml that plan, apply and
smoke merge when this context is in use and no --env or KCTL_ENV is given. It applies only to
files that define environments (a file without any is used as it is, with a note) and never
narrows validate, which checks every environment. --env '' clears it.`,
		Example: `  kctl config set-context local --brokers localhost:9092,localhost:19092,localhost:29092
  kctl config set-context prod -b kafka-1:9093 --tls --tls-ca ca.pem \
      --sasl-mechanism scram-sha-512 --sasl-user ops --sasl-password-file ~/.kafka-pw --use
  kctl config set-context laptop --brokers 127.0.0.1:9092 --env local --use
  kctl config set-context laptop --env ''    # clear env:`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			g := f.Global
			path := f.ConfigPath()
			cfg, err := kafka.LoadConfig(path)
			if err != nil {
				return err
			}
			ctx := cfg.Contexts[opts.Name]
			created := ctx == nil
			if created {
				ctx = &kafka.Context{}
				if len(g.Brokers) == 0 {
					return &FlagError{Err: fmt.Errorf("a new context needs --brokers, e.g. kctl config set-context %s --brokers localhost:9092", opts.Name)}
				}
			}
			if len(g.Brokers) > 0 {
				probe, err := kafka.Resolve(kafka.Inputs{FlagBrokers: g.Brokers, Getenv: func(string) string { return "" }})
				if err != nil {
					return &FlagError{Err: err}
				}
				ctx.Brokers = probe.Brokers
			}
			t := g.TLS
			if t.Enabled || t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != "" || t.InsecureSkipVerify {
				t.Enabled = true
				ctx.TLS = t
			}
			if g.SASL.Mechanism != "" {
				m, err := kafka.NormalizeMechanism(g.SASL.Mechanism)
				if err != nil {
					return &FlagError{Err: err}
				}
				ctx.SASL.Mechanism = m
			}
			if g.SASL.User != "" {
				ctx.SASL.User = g.SASL.User
			}
			if g.SASL.PasswordFile != "" {
				ctx.SASL.PasswordFile = g.SASL.PasswordFile
			}
			if cmd.Flags().Changed("env") {
				ctx.Env = g.Env // --env '' clears it
			}
			cfg.Contexts[opts.Name] = ctx
			if use || cfg.CurrentContext == "" {
				cfg.CurrentContext = opts.Name
			}
			if err := cfg.Save(path); err != nil {
				return err
			}
			verb := "Updated"
			if created {
				verb = "Created"
			}
			fmt.Fprintf(f.IO.Out, "%s context %q in %s (current: %s).\n", verb, opts.Name, path, cfg.CurrentContext)
			return nil
		},
	}
	cmd.Flags().BoolVar(&use, "use", false, "also make it the current context")
	return cmd
}
