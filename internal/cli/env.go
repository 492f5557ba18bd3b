package cli

import (
	"fmt"
	"strings"

	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/kctl/kctl/topology"
	"github.com/spf13/cobra"
)

// EnvName returns the environment of topics.yaml selected for this
// command and where the choice came from: --env, else KCTL_ENV, else the
// env: field of the current context (--context, KCTL_CONTEXT or the config
// file's current-context). It returns "" when none is selected, and the
// config file's error when that file must be read and cannot be.
func (f *Factory) EnvName() (name, from string, err error) {
	if f.Global.Env != "" {
		return f.Global.Env, "--env", nil
	}
	if e := f.Getenv("KCTL_ENV"); e != "" {
		return e, "KCTL_ENV", nil
	}
	cfg, err := kafka.LoadConfig(f.ConfigPath())
	if err != nil {
		return "", "", err
	}
	ctxName := f.Global.Context
	if ctxName == "" {
		ctxName = f.Getenv("KCTL_CONTEXT")
	}
	ctx, ctxName, err := cfg.Select(ctxName)
	if err != nil {
		return "", "", err
	}
	return contextEnv(ctx, ctxName)
}

// explicitEnv returns the environment named by --env or KCTL_ENV and
// which of them named it ("" when neither does): the choices validate
// honours, since a context's env: says which cluster one talks to, not
// which environments a file must be checked for.
func (f *Factory) explicitEnv() (name, from string) {
	if f.Global.Env != "" {
		return f.Global.Env, "--env"
	}
	if e := f.Getenv("KCTL_ENV"); e != "" {
		return e, "KCTL_ENV"
	}
	return "", ""
}

// fileEnv returns the environment to use with file (see EnvName) and
// where the choice came from. A context's env: applies only to files that
// define environments: for a file that defines none it returns "" and
// notes on stderr that the context's env: is not used. --env and
// KCTL_ENV are returned as they are (Select refuses them on such a file).
// It returns the config file's error when that file cannot be read.
func (f *Factory) fileEnv(file *topology.File) (name, from string, err error) {
	name, from, err = f.EnvName()
	if err != nil || name == "" || file == nil || len(file.Environments) > 0 {
		return name, from, err
	}
	if strings.HasPrefix(from, "context ") {
		fmt.Fprintf(f.IO.ErrOut, "note: %s sets env: %s, but %s defines no environments: the file is used as it is\n", from, name, file.Path)
		return "", "", nil
	}
	return name, from, nil
}

// contextEnv returns a context's env: field and "context NAME" as its
// source ("" when there is no context or it names no environment).
func contextEnv(ctx *kafka.Context, name string) (string, string, error) {
	if ctx == nil || ctx.Env == "" {
		return "", "", nil
	}
	return ctx.Env, fmt.Sprintf("context %q", name), nil
}

// envForBrokers returns the environment the fallback to ./topics.yaml's
// cluster.brokers uses, given the selected context: --env, KCTL_ENV, then
// the context's env: field.
func (f *Factory) envForBrokers(ctx *kafka.Context) string {
	if f.Global.Env != "" {
		return f.Global.Env
	}
	if e := f.Getenv("KCTL_ENV"); e != "" {
		return e
	}
	if ctx != nil {
		return ctx.Env
	}
	return ""
}

// fileBrokersFor returns a reader of cluster.brokers of ./topics.yaml, if
// that file exists, so that every command run in the same directory
// reaches the same cluster; as environment env sees them (its cluster
// section replaces the base's), or the base's when env is "" or not one of
// the file's. It parses with topology, the one reader of topics.yaml: a
// file that cannot be read or used gives no brokers here, and a broker
// entry that is not host:port is left out; the commands that use the file
// report its errors.
func fileBrokersFor(env string) func() ([]string, string) {
	return func() ([]string, string) {
		f, _, err := topology.Load(DefaultTopicsFile)
		if err != nil || f == nil {
			return nil, ""
		}
		if env != "" {
			if sel, err := f.Select(env, ""); err == nil {
				f = sel
			}
		}
		if len(f.Cluster.Brokers) == 0 {
			return nil, ""
		}
		return f.Cluster.Brokers, DefaultTopicsFile
	}
}

// completeEnvs completes --env with the environments of the topics file
// the command line names (-f FILE), else ./topics.yaml.
func completeEnvs(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	path := DefaultTopicsFile
	if fl := cmd.Flags().Lookup("file"); fl != nil && fl.Value.String() != "" {
		path = fl.Value.String()
	}
	f, _, err := topology.Load(path)
	if err != nil || f == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return matching(f.EnvironmentNames(), nil, toComplete), cobra.ShellCompDirectiveNoFileComp
}
