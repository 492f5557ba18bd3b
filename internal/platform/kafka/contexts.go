package kafka

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"gopkg.in/yaml.v3"
)

// Context is a named cluster, as a kubectl context.
type Context struct {
	Brokers []string `json:"brokers,omitempty" yaml:"brokers,omitempty"`
	TLS     TLS      `json:"tls,omitempty" yaml:"tls,omitempty"`
	SASL    SASL     `json:"sasl,omitempty" yaml:"sasl,omitempty"`
	// Env is the environment of topics.yaml this context selects (after
	// --env and KCTL_ENV).
	Env string `json:"env,omitempty" yaml:"env,omitempty"`
	// Registry is the context's Schema Registry (set-context --registry).
	Registry *Registry `json:"registry,omitempty" yaml:"registry,omitempty"`
}

// ConfigFile is $XDG_CONFIG_HOME/kctl/config.yaml.
type ConfigFile struct {
	CurrentContext string              `json:"current-context,omitempty" yaml:"current-context,omitempty"`
	Contexts       map[string]*Context `json:"contexts,omitempty" yaml:"contexts,omitempty"`
}

// DefaultConfigPath returns $XDG_CONFIG_HOME/kctl/config.yaml, falling back
// to ~/.config/kctl/config.yaml.
func DefaultConfigPath(getenv func(string) string) string {
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "kctl", "config.yaml")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "kctl", "config.yaml")
	}
	return filepath.Join(".kctl", "config.yaml")
}

// LoadConfig reads the config file. A missing file is an empty config, not an
// error; a file that does not parse is an error naming the path.
func LoadConfig(path string) (*ConfigFile, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &ConfigFile{Contexts: map[string]*Context{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	var c ConfigFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("parse config %s: %w", path, err)
	}
	if c.Contexts == nil {
		c.Contexts = map[string]*Context{}
	}
	return &c, nil
}

// Save writes the config file with mode 0600 (it may hold a password).
func (c *ConfigFile) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create config dir: %w", err)
	}
	b, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write config %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// Select returns the named context, or the current one when name is empty.
// It returns (nil, "", nil) when no context is selected, and an error naming
// the known contexts when name does not exist.
func (c *ConfigFile) Select(name string) (*Context, string, error) {
	if name == "" {
		name = c.CurrentContext
		if name == "" {
			return nil, "", nil
		}
	}
	ctx, ok := c.Contexts[name]
	if !ok {
		return nil, "", fmt.Errorf("no context %q in the config (known: %v); create it with 'kctl config set-context %s --brokers host:port'", name, c.Names(), name)
	}
	return ctx, name, nil
}

// Names lists the contexts, sorted.
func (c *ConfigFile) Names() []string {
	out := make([]string, 0, len(c.Contexts))
	for n := range c.Contexts {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Masked returns a copy safe to print.
func (c *ConfigFile) Masked() *ConfigFile {
	out := &ConfigFile{CurrentContext: c.CurrentContext, Contexts: map[string]*Context{}}
	for n, ctx := range c.Contexts {
		cp := *ctx
		if cp.SASL.Password != "" {
			cp.SASL.Password = "********"
		}
		out.Contexts[n] = &cp
	}
	return out
}
