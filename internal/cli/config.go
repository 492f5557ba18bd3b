package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/kctl/kctl/topology"
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
	cmd.AddCommand(NewCmdConfigView(f, nil), NewCmdConfigUseContext(f, nil), NewCmdConfigSetContext(f, nil),
		NewCmdConfigGetContexts(f, nil), NewCmdConfigCurrentContext(f, nil),
		NewCmdConfigDeleteContext(f, nil), NewCmdConfigRenameContext(f, nil))
	return cmd
}

// knownContext returns the context name of cfg, or an error naming the
// closest known one (did you mean) and the contexts there are.
func knownContext(cfg *kafka.ConfigFile, path, name string) (*kafka.Context, error) {
	if ctx, ok := cfg.Contexts[name]; ok {
		return ctx, nil
	}
	if len(cfg.Contexts) == 0 {
		return nil, fmt.Errorf("no context %q: %s has no contexts; create one with kctl config set-context %s --brokers host:port", name, path, name)
	}
	msg := fmt.Sprintf("no context %q in %s", name, path)
	if m := topology.Closest(name, cfg.Names()); m != "" {
		msg += fmt.Sprintf("; did you mean %q?", m)
	}
	return nil, fmt.Errorf("%s (known: %s; kctl config get-contexts lists them)", msg, strings.Join(cfg.Names(), ", "))
}

// contextsView is what `config get-contexts` prints.
type contextsView struct {
	Current  string        `json:"current" yaml:"current"`
	Contexts []contextLine `json:"contexts" yaml:"contexts"`
}

type contextLine struct {
	Name    string   `json:"name" yaml:"name"`
	Current bool     `json:"current" yaml:"current"`
	Brokers []string `json:"brokers" yaml:"brokers"`
	Env     string   `json:"env,omitempty" yaml:"env,omitempty"`
	Auth    string   `json:"auth,omitempty" yaml:"auth,omitempty"`
}

func (v contextsView) WriteText(w io.Writer, st view.Styles) error {
	if len(v.Contexts) == 0 {
		_, err := fmt.Fprintln(w, "No contexts: create one with kctl config set-context NAME --brokers host:port.")
		return err
	}
	t := view.Table{Header: []string{"CURRENT", "NAME", "BROKERS", "ENV", "AUTH"}}
	for _, c := range v.Contexts {
		mark := ""
		if c.Current {
			mark = "*"
		}
		t.Rows = append(t.Rows, []string{mark, view.Printable(c.Name), view.Printable(strings.Join(c.Brokers, ",")), view.Printable(c.Env), c.Auth})
	}
	return t.Write(w, st)
}

// currentContextView is what `config current-context` prints: the name.
type currentContextView struct {
	Current string `json:"current" yaml:"current"`
}

func (v currentContextView) WriteText(w io.Writer, _ view.Styles) error {
	_, err := io.WriteString(w, v.Current+"\n")
	return err
}

// contextChange is what a config verb changing the file did.
type contextChange struct {
	// Action is created, updated, renamed, switched or deleted.
	Action  string `json:"action" yaml:"action"`
	Context string `json:"context" yaml:"context"`
	// From is a renamed context's old name.
	From string `json:"from,omitempty" yaml:"from,omitempty"`
	Path string `json:"path" yaml:"path"`
	// Current is the current context after the change ("": none).
	Current string `json:"current" yaml:"current"`
	// WasCurrent: the deleted context was the current one.
	WasCurrent bool `json:"wasCurrent,omitempty" yaml:"wasCurrent,omitempty"`
}

func (v contextChange) WriteText(w io.Writer, _ view.Styles) error {
	var msg string
	switch v.Action {
	case "deleted":
		msg = fmt.Sprintf("Deleted context %q from %s.", v.Context, v.Path)
		if v.WasCurrent {
			msg += " It was the current context: none is current now (kctl config use-context NAME)."
		}
	case "renamed":
		msg = fmt.Sprintf("Renamed context %q to %q.", v.From, v.Context)
	case "switched":
		msg = fmt.Sprintf("Switched to context %q.", v.Context)
	default:
		msg = fmt.Sprintf("%s%s context %q in %s (current: %s).", strings.ToUpper(v.Action[:1]), v.Action[1:], v.Context, v.Path, v.Current)
	}
	_, err := io.WriteString(w, msg+"\n")
	return err
}

// NewCmdConfigGetContexts builds `kctl config get-contexts`.
func NewCmdConfigGetContexts(f *Factory, runF func(*ConfigOptions) error) *cobra.Command {
	opts := newConfigOptions(f)
	return &cobra.Command{
		Use:   "get-contexts",
		Short: "List the contexts, the current one marked *",
		Args:  noArgs,
		RunE: runConfig(opts, runF, func(_ string, cfg *kafka.ConfigFile) error {
			v := contextsView{Current: cfg.CurrentContext, Contexts: []contextLine{}}
			for _, n := range cfg.Names() {
				c := cfg.Contexts[n]
				auth := []string{}
				if c.TLS.Enabled {
					auth = append(auth, "tls")
				}
				if c.SASL.Mechanism != "" {
					auth = append(auth, c.SASL.Mechanism)
				}
				v.Contexts = append(v.Contexts, contextLine{Name: n, Current: n == cfg.CurrentContext, Brokers: c.Brokers, Env: c.Env, Auth: strings.Join(auth, "+")})
			}
			return opts.Print(v)
		}),
	}
}

// NewCmdConfigCurrentContext builds `kctl config current-context`.
func NewCmdConfigCurrentContext(f *Factory, runF func(*ConfigOptions) error) *cobra.Command {
	opts := newConfigOptions(f)
	return &cobra.Command{
		Use:   "current-context",
		Short: "Print the name of the current context",
		Args:  noArgs,
		RunE: runConfig(opts, runF, func(path string, cfg *kafka.ConfigFile) error {
			if cfg.CurrentContext == "" {
				return fmt.Errorf("no current context in %s: choose one with kctl config use-context NAME", path)
			}
			return opts.Print(currentContextView{Current: cfg.CurrentContext})
		}),
	}
}

// NewCmdConfigDeleteContext builds `kctl config delete-context NAME`.
func NewCmdConfigDeleteContext(f *Factory, runF func(*ConfigOptions) error) *cobra.Command {
	opts := newConfigOptions(f)
	return &cobra.Command{
		Use:               "delete-context NAME",
		Short:             "Remove context NAME from the config file (the current context too: then none is current)",
		ValidArgsFunction: completeContexts(f),
		Args:              exactArgs(1),
		RunE: runConfig(opts, runF, func(path string, cfg *kafka.ConfigFile) error {
			if _, err := knownContext(cfg, path, opts.Name); err != nil {
				return err
			}
			delete(cfg.Contexts, opts.Name)
			wasCurrent := cfg.CurrentContext == opts.Name
			if wasCurrent {
				cfg.CurrentContext = ""
			}
			if err := cfg.Save(path); err != nil {
				return err
			}
			return opts.Print(contextChange{Action: "deleted", Context: opts.Name, Path: path, Current: cfg.CurrentContext, WasCurrent: wasCurrent})
		}),
	}
}

// NewCmdConfigRenameContext builds `kctl config rename-context OLD NEW`.
func NewCmdConfigRenameContext(f *Factory, runF func(*ConfigOptions) error) *cobra.Command {
	opts := newConfigOptions(f)
	var name string // NEW
	return &cobra.Command{
		Use:   "rename-context OLD NEW",
		Short: "Rename context OLD to NEW (the current context stays current)",
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return completeContexts(f)(cmd, args, toComplete)
		},
		Args: func(cmd *cobra.Command, args []string) error {
			if err := exactArgs(2)(cmd, args); err != nil {
				return err
			}
			if name = args[1]; strings.TrimSpace(name) == "" {
				return &FlagError{Err: errors.New("the new name is empty: give a name, e.g. kctl config rename-context " + args[0] + " prod")}
			}
			return nil
		},
		RunE: runConfig(opts, runF, func(path string, cfg *kafka.ConfigFile) error {
			old := opts.Name
			ctx, err := knownContext(cfg, path, old)
			if err != nil {
				return err
			}
			if _, exists := cfg.Contexts[name]; exists && name != old {
				return fmt.Errorf("context %q exists already in %s: delete it first (kctl config delete-context %s) or choose another name", name, path, name)
			}
			delete(cfg.Contexts, old)
			cfg.Contexts[name] = ctx
			if cfg.CurrentContext == old {
				cfg.CurrentContext = name
			}
			if err := cfg.Save(path); err != nil {
				return err
			}
			return opts.Print(contextChange{Action: "renamed", Context: name, From: old, Path: path, Current: cfg.CurrentContext})
		}),
	}
}

// ConfigOptions serves the config subcommands: the context named (the
// first argument) and what they use: the config file's path, the
// connection flags (set-context stores them), the settings in effect
// (view) and printing.
type ConfigOptions struct {
	Name       string
	ConfigPath func() string
	Global     *GlobalOptions
	Settings   func(fileBrokers []string, fileName string) (kafka.Settings, error)
	Print      func(v any) error
}

func newConfigOptions(f *Factory) *ConfigOptions {
	return &ConfigOptions{ConfigPath: f.ConfigPath, Global: f.Global, Settings: f.Settings, Print: f.Print}
}

// runConfig returns the RunE of a config subcommand: it takes the context
// name from the first argument, then runs runF when given, else loads the
// config file and calls run with it and its path.
func runConfig(opts *ConfigOptions, runF func(*ConfigOptions) error, run func(path string, cfg *kafka.ConfigFile) error) func(*cobra.Command, []string) error {
	return func(_ *cobra.Command, args []string) error {
		if len(args) > 0 {
			opts.Name = args[0]
		}
		if runF != nil {
			return runF(opts)
		}
		path := opts.ConfigPath()
		cfg, err := kafka.LoadConfig(path)
		if err != nil {
			return err
		}
		return run(path, cfg)
	}
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

func (v configView) WriteText(w io.Writer, _ view.Styles) error {
	fmt.Fprintf(w, "# %s\n", v.Path)
	if err := view.PrintYAML(w, v.File); err != nil {
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
	opts := newConfigOptions(f)
	return &cobra.Command{
		Use:   "view",
		Short: "Show the config file with secrets masked, and the brokers in effect",
		Args:  noArgs,
		RunE: runConfig(opts, runF, func(path string, cfg *kafka.ConfigFile) error {
			v := configView{Path: path, File: cfg.Masked()}
			if s, err := opts.Settings(nil, ""); err == nil {
				m := s.Masked()
				v.Effective = &effectiveView{Brokers: m.Brokers, BrokersFrom: m.BrokersFrom, TLS: m.TLS, SASL: m.SASL, Timeout: m.Timeout.String()}
			}
			return opts.Print(v)
		}),
	}
}

// NewCmdConfigUseContext builds `kctl config use-context NAME`.
func NewCmdConfigUseContext(f *Factory, runF func(*ConfigOptions) error) *cobra.Command {
	opts := newConfigOptions(f)
	cmd := &cobra.Command{
		Use:               "use-context NAME",
		ValidArgsFunction: completeContexts(f),
		Short:             "Make NAME the current context",
		Args:              exactArgs(1),
		RunE: runConfig(opts, runF, func(path string, cfg *kafka.ConfigFile) error {
			if _, err := knownContext(cfg, path, opts.Name); err != nil {
				return err
			}
			cfg.CurrentContext = opts.Name
			if err := cfg.Save(path); err != nil {
				return err
			}
			return opts.Print(contextChange{Action: "switched", Context: opts.Name, Path: path, Current: cfg.CurrentContext})
		}),
	}
	keepGoingOnClosedStdout(cmd)
	return cmd
}

// NewCmdConfigSetContext builds `kctl config set-context NAME --brokers ...`.
func NewCmdConfigSetContext(f *Factory, runF func(*ConfigOptions) error) *cobra.Command {
	opts := newConfigOptions(f)
	var use bool
	var reg registryFlags
	var cmd *cobra.Command
	cmd = &cobra.Command{
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
		RunE: runConfig(opts, runF, func(path string, cfg *kafka.ConfigFile) error {
			g := opts.Global
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
			if err := reg.store(cmd, ctx); err != nil {
				return err
			}
			cfg.Contexts[opts.Name] = ctx
			if use || cfg.CurrentContext == "" {
				cfg.CurrentContext = opts.Name
			}
			if err := cfg.Save(path); err != nil {
				return err
			}
			action := "updated"
			if created {
				action = "created"
			}
			return opts.Print(contextChange{Action: action, Context: opts.Name, Path: path, Current: cfg.CurrentContext})
		}),
	}
	cmd.Flags().BoolVar(&use, "use", false, "also make it the current context")
	addRegistryFlags(cmd.Flags(), &reg)
	cmd.Flags().StringVar(&f.Global.Env, "env", "", "store env: NAME, the topics.yaml environment used with this context ('' clears it)")
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs)
	keepGoingOnClosedStdout(cmd)
	return cmd
}
