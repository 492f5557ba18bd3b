package cli

import (
	"context"
	"errors"

	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/kctl/kctl/internal/platform/registry"
	"github.com/spf13/pflag"
)

// registryFlags are the Schema Registry flags of consume, produce and
// config set-context. Secrets are never flag values: the password comes
// from --registry-password-file or $KCTL_REGISTRY_PASSWORD, the token from
// --registry-token-file or $KCTL_REGISTRY_TOKEN.
type registryFlags struct{ kafka.Registry }

func addRegistryFlags(fl *pflag.FlagSet, r *registryFlags) {
	fl.StringVar(&r.URL, "registry", "", "Schema Registry `URL` (default $KCTL_REGISTRY, $SCHEMA_REGISTRY_URL, the context's)")
	fl.StringVar(&r.URL, "schema-registry", "", "alias of --registry")
	_ = fl.MarkHidden("schema-registry")
	fl.StringVar(&r.User, "registry-user", "", "Schema Registry basic-auth user (password from $KCTL_REGISTRY_PASSWORD or --registry-password-file)")
	fl.StringVar(&r.PasswordFile, "registry-password-file", "", "read the Schema Registry password from `FILE`")
	fl.StringVar(&r.TokenFile, "registry-token-file", "", "read a Schema Registry bearer token from `FILE` (or $KCTL_REGISTRY_TOKEN)")
	fl.StringVar(&r.CAFile, "registry-ca", "", "CA `FILE` (PEM) to verify an https registry")
	fl.StringVar(&r.CertFile, "registry-cert", "", "client certificate `FILE` (PEM) for the registry")
	fl.StringVar(&r.KeyFile, "registry-key", "", "client key `FILE` (PEM) for the registry")
}

// registrySettings resolves the registry from the flags, the environment
// and the selected context; ok is false when none is configured.
func (f *Factory) registrySettings(r *registryFlags) (registry.Settings, bool, error) {
	cfg, err := kafka.LoadConfig(f.ConfigPath())
	if err != nil {
		return registry.Settings{}, false, err
	}
	name := f.Global.Context
	if name == "" {
		name = f.Getenv("KCTL_CONTEXT")
	}
	ctx, ctxName, err := cfg.Select(name)
	if err != nil {
		return registry.Settings{}, false, err
	}
	in := registry.Inputs{Flags: r.Registry, Getenv: f.Getenv, ContextName: ctxName, Timeout: f.Global.Timeout}
	if ctx != nil {
		in.Context = ctx.Registry
	}
	s, ok, err := registry.Resolve(in)
	if err != nil {
		return s, false, &FlagError{Err: err}
	}
	return s, ok, nil
}

// RegistryFunc is Factory.Registry, the narrow dependency of the commands
// that speak to a Schema Registry.
type RegistryFunc func(ctx context.Context, r *registryFlags) (*registry.Client, error)

// Registry returns a registry client that answered, or nil when no registry
// is configured. An unreachable or refusing registry is a *registry.Error
// naming the URL, where it came from and the cause.
func (f *Factory) Registry(ctx context.Context, r *registryFlags) (*registry.Client, error) {
	s, ok, err := f.registrySettings(r)
	if err != nil || !ok {
		return nil, err
	}
	f.Logger().Debug("schema registry", "registry", s.String())
	cl, err := registry.New(s)
	if err != nil {
		return nil, err
	}
	if err := cl.Ping(ctx); err != nil {
		return nil, err
	}
	return cl, nil
}

// store writes the registry flags given to set-context into ctx.Registry;
// --registry ” removes the context's registry.
func (r *registryFlags) store(cmd interface{ Flags() *pflag.FlagSet }, ctx *kafka.Context) error {
	fl := cmd.Flags()
	changed := false
	for _, n := range []string{"registry", "schema-registry", "registry-user", "registry-password-file", "registry-token-file", "registry-ca", "registry-cert", "registry-key"} {
		changed = changed || fl.Changed(n)
	}
	if !changed {
		return nil
	}
	if (fl.Changed("registry") || fl.Changed("schema-registry")) && r.URL == "" {
		ctx.Registry = nil
		return nil
	}
	cur := kafka.Registry{}
	if ctx.Registry != nil {
		cur = *ctx.Registry
	}
	for _, p := range []struct {
		d *string
		v string
	}{{&cur.URL, r.URL}, {&cur.User, r.User}, {&cur.PasswordFile, r.PasswordFile}, {&cur.TokenFile, r.TokenFile}, {&cur.CAFile, r.CAFile}, {&cur.CertFile, r.CertFile}, {&cur.KeyFile, r.KeyFile}} {
		if p.v != "" {
			*p.d = p.v
		}
	}
	if cur.URL == "" {
		return &FlagError{Err: errors.New("the registry settings need a URL: add --registry http://host:port")}
	}
	if _, _, err := registry.Resolve(registry.Inputs{Flags: kafka.Registry{URL: cur.URL}, Getenv: func(string) string { return "" }}); err != nil {
		return &FlagError{Err: err}
	}
	ctx.Registry = &cur
	return nil
}
