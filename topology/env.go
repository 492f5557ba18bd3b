package topology

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Environment is one entry of topics.yaml's `environments:` section: what
// changes when the file is applied to that environment (a laptop's one
// broker, staging, prod). Select merges it over the base.
type Environment struct {
	Name string `json:"name" yaml:"name"`
	// Cluster, when the environment has a cluster: section, replaces the
	// base's cluster section whole (id pin and brokers).
	Cluster *Cluster `json:"cluster,omitempty" yaml:"cluster,omitempty"`
	// Defaults are laid over every topic: a field set here wins over the
	// base's defaults and the topic's own field; config keys merge one by
	// one.
	Defaults Defaults `json:"defaults" yaml:"defaults"`
	// Topics are per-topic overrides by topic name, laid over Defaults.
	Topics map[string]TopicOverride `json:"topics,omitempty" yaml:"topics,omitempty"`
	// Unset are base config keys the environment removes (`key: null`
	// under defaults.config): from the base's defaults and every topic.
	Unset []string `json:"unset,omitempty" yaml:"unset,omitempty"`
	// Brokers, when set, is laid over the base's brokers: section (see
	// mergeBrokers).
	Brokers *EnvBrokers `json:"brokers,omitempty" yaml:"brokers,omitempty"`
	// Pos is where the environment's name is written.
	Pos Pos `json:"-" yaml:"-"`
	// at is where each value the environment sets is written, by
	// "defaults.partitions", "topics.T.config.K", …, so that a refusal
	// caused by one can point at it.
	at map[string]Pos
}

// TopicOverride is an environment's override of one base topic: the
// fields it sets win, config keys merge one by one.
type TopicOverride struct {
	Partitions        int32             `json:"partitions,omitempty" yaml:"partitions,omitempty"`
	ReplicationFactor int16             `json:"replicationFactor,omitempty" yaml:"replicationFactor,omitempty"`
	Config            map[string]string `json:"config,omitempty" yaml:"config,omitempty"`
	// Unset are config keys removed from this topic (`key: null`).
	Unset []string `json:"unset,omitempty" yaml:"unset,omitempty"`
}

var (
	environmentKeys = []string{"cluster", "defaults", "topics", "brokers"}
	overrideKeys    = []string{"partitions", "replicationFactor", "config"}
	// envNameRE is compiled on first use, not at start-up (issue 21).
	envNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`) })
)

// EnvironmentNames returns the names of the file's environments, sorted
// (nil when it defines none).
func (f *File) EnvironmentNames() []string {
	if len(f.Environments) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(f.Environments))
}

// EnvError says an environment cannot be selected: none was given for a
// file that defines some, the name is not defined, or the file defines
// none. Names lists the file's environments.
type EnvError struct {
	File  string
	Env   string
	From  string // where the name came from: "--env", "KCTL_ENV", …
	Names []string
}

func (e *EnvError) Error() string {
	list := strings.Join(e.Names, ", ")
	switch {
	case e.Env == "":
		return fmt.Sprintf("%s defines environments (%s): choose one with --env NAME (or KCTL_ENV, or env: in the current context), so that one environment's values never land on another's cluster", e.File, list)
	case len(e.Names) == 0:
		return fmt.Sprintf("environment %q (from %s) selected, but %s defines no environments: drop %s, or add an environments: section to the file", e.Env, e.fromOr(), e.File, e.fromOr())
	}
	return fmt.Sprintf("no environment %q (from %s) in %s: defined are %s", e.Env, e.fromOr(), e.File, list)
}

func (e *EnvError) fromOr() string {
	if e.From == "" {
		return "--env"
	}
	return e.From
}

// Select returns the file as environment name sees it: the environment's
// defaults and topic overrides merged over the base (its fields win,
// config maps merge key by key) and its cluster section, when it has one,
// instead of the base's. The result has no environments and Env set to
// name. name "" on a file without environments returns f itself. It
// returns an *EnvError (and no file) when name is "" on a file that
// defines environments, or names none of them; from says where the name
// came from, for that error.
func (f *File) Select(name, from string) (*File, error) {
	if name == "" && len(f.Environments) == 0 {
		return f, nil
	}
	e, ok := f.Environments[name]
	if !ok {
		return nil, &EnvError{File: f.Path, Env: name, From: from, Names: f.EnvironmentNames()}
	}
	out := *f
	out.Env = name
	out.Environments = nil
	if e.Cluster != nil {
		out.Cluster = *e.Cluster
	}
	out.Defaults = mergeDefaults(f.Defaults, e.Defaults)
	out.Brokers = mergeBrokers(f.Brokers, e.Brokers)
	for _, k := range e.Unset {
		delete(out.Defaults.Config, k)
	}
	out.Topics = make([]Topic, len(f.Topics))
	for i, t := range f.Topics {
		out.Topics[i] = e.apply(t)
	}
	return &out, nil
}

func mergeDefaults(base, over Defaults) Defaults {
	out := base
	if over.Partitions > 0 {
		out.Partitions = over.Partitions
	}
	if over.ReplicationFactor > 0 {
		out.ReplicationFactor = over.ReplicationFactor
	}
	if len(base.Config)+len(over.Config) > 0 {
		out.Config = make(map[string]string, len(base.Config)+len(over.Config))
		maps.Copy(out.Config, base.Config)
		maps.Copy(out.Config, over.Config)
	}
	return out
}

// apply returns t with the environment's defaults, then its override of t,
// laid over it (keys set to null removed), and t.Origin saying, for each
// field it sets, which part of the environment set it and where.
func (e *Environment) apply(t Topic) Topic {
	cfg := make(map[string]string, len(t.Config)+len(e.Defaults.Config))
	maps.Copy(cfg, t.Config)
	t.Config = cfg
	origin := maps.Clone(t.Origin)
	if origin == nil {
		origin = map[string]string{}
	}
	layer := func(section, what string, parts int32, rf int16, config map[string]string, unset []string) {
		set := func(field string) {
			if at, ok := e.at[section+"."+field]; ok {
				origin[field] = fmt.Sprintf("environment %s's %s at %s", e.Name, what, at)
			}
		}
		if parts > 0 {
			t.Partitions = parts
			set("partitions")
		}
		if rf > 0 {
			t.ReplicationFactor = rf
			set("replicationFactor")
		}
		for k, v := range config {
			t.Config[k] = v
			set("config." + k)
		}
		for _, k := range unset {
			delete(t.Config, k)
			set("config." + k)
		}
	}
	layer("defaults", "defaults", e.Defaults.Partitions, e.Defaults.ReplicationFactor, e.Defaults.Config, e.Unset)
	if o, ok := e.Topics[t.Name]; ok {
		layer("topics."+t.Name, "override of "+t.Name, o.Partitions, o.ReplicationFactor, o.Config, o.Unset)
	}
	if len(origin) > 0 {
		t.Origin = origin
	}
	return t
}

// envPrefix starts the message of every diagnostic about environment name.
func envPrefix(name string) string { return fmt.Sprintf("environment %q: ", name) }

// ForEnvironment returns diags without those about environments other than
// name: what matters when the file is used with that environment (all of
// them when name is "").
func ForEnvironment(diags Diagnostics, name string) Diagnostics {
	if name == "" {
		return diags
	}
	keep := envPrefix(name)
	var out Diagnostics
	for _, d := range diags {
		if strings.HasPrefix(d.Message, "environment \"") && !strings.HasPrefix(d.Message, keep) {
			continue
		}
		out = append(out, d)
	}
	return out
}

// parseEnvironments reads the environments: section n (after the topics,
// which overrides must name) into f.Environments, and checks each
// environment's merged result. Every diagnostic about an environment
// starts with `environment "NAME": `.
func (p *parser) parseEnvironments(f *File, n *yaml.Node) {
	if isNull(n) {
		return
	}
	f.Environments = map[string]*Environment{}
	ok := p.mapping(n, "environments", nil, func(name string, k, v *yaml.Node) {
		if !envNameRE().MatchString(name) {
			p.errorf(k, "environments: %q is not a usable environment name: use letters, digits, '.', '_' and '-', starting with a letter or digit", name)
			return
		}
		sub := &parser{file: p.file, via: p.via}
		e := sub.parseEnvironment(f, name, k, v)
		for _, d := range sub.diags {
			d.Message = envPrefix(name) + d.Message
			p.diags = append(p.diags, d)
		}
		f.Environments[name] = e
	})
	if ok && len(f.Environments) == 0 && len(p.diags.Errors()) == 0 {
		p.warnf(n, "environments is empty: declare one (e.g. local: {defaults: {replicationFactor: 1}}) or remove the key")
	}
}

// envPositions are where an environment sets what the min.insync.replicas
// check needs, so that its errors point at the line to change.
type envPositions struct {
	defaultsRF, defaultsMIR *yaml.Node
	rf, mir                 map[string]*yaml.Node // by topic
}

func (p *parser) parseEnvironment(f *File, name string, k, v *yaml.Node) *Environment {
	e := &Environment{Name: name, Pos: p.pos(k), Topics: map[string]TopicOverride{}, at: map[string]Pos{}}
	pos := envPositions{rf: map[string]*yaml.Node{}, mir: map[string]*yaml.Node{}}
	if isNull(v) {
		return e
	}
	p.mapping(v, "the environment", nil, func(key string, k, v *yaml.Node) {
		switch key {
		default:
			p.unknownEnvironmentKey(key, k)
		case "cluster":
			tmp := &File{}
			p.parseCluster(tmp, v)
			e.Cluster = &tmp.Cluster
		case "defaults":
			p.mapping(v, "defaults", defaultsKeys, func(key string, _, v *yaml.Node) {
				e.at["defaults."+key] = p.pos(v)
				switch key {
				case "partitions":
					e.Defaults.Partitions, _ = p.partitions(v, "defaults.partitions")
				case "replicationFactor":
					e.Defaults.ReplicationFactor, _ = p.replicationFactor(v, "defaults.replicationFactor")
					pos.defaultsRF = v
				case "config":
					var at map[string]*yaml.Node
					e.Defaults.Config, e.Unset, at = p.parseEnvConfig(v, "defaults.config")
					pos.defaultsMIR = at["min.insync.replicas"]
					for k, n := range at {
						e.at["defaults.config."+k] = p.pos(n)
					}
				}
			})
		case "topics":
			p.parseOverrides(f, e, &pos, v)
		case "brokers":
			e.Brokers = p.parseEnvBrokers(k, v)
		}
	})
	p.checkEnvironment(f, e, pos)
	return e
}

func (p *parser) parseOverrides(f *File, e *Environment, pos *envPositions, n *yaml.Node) {
	if isNull(n) {
		return
	}
	p.mapping(n, "topics", nil, func(topic string, k, v *yaml.Node) {
		if _, ok := f.Topic(topic); !ok {
			msg := fmt.Sprintf("topics: %q is not a topic of this file: an environment can only override declared topics; declare it under the top-level topics:", topic)
			names := make([]string, len(f.Topics))
			for i, t := range f.Topics {
				names[i] = t.Name
			}
			if m := closest(topic, names); m != "" {
				msg = fmt.Sprintf("topics: %q is not a topic of this file (did you mean %q?): an environment can only override declared topics", topic, m)
			}
			p.errorf(k, "%s", msg)
			return
		}
		var o TopicOverride
		label := fmt.Sprintf("topics.%s", topic)
		if isNull(v) {
			p.warnf(k, "%s overrides nothing: remove it, or set partitions, replicationFactor or config", label)
			return
		}
		p.mapping(v, label, overrideKeys, func(key string, _, v *yaml.Node) {
			e.at[label+"."+key] = p.pos(v)
			switch key {
			case "partitions":
				o.Partitions, _ = p.partitions(v, label+".partitions")
			case "replicationFactor":
				o.ReplicationFactor, _ = p.replicationFactor(v, label+".replicationFactor")
				pos.rf[topic] = v
			case "config":
				var at map[string]*yaml.Node
				o.Config, o.Unset, at = p.parseEnvConfig(v, label+".config")
				if n := at["min.insync.replicas"]; n != nil {
					pos.mir[topic] = n
				}
				for k, n := range at {
					e.at[label+".config."+k] = p.pos(n)
				}
			}
		})
		e.Topics[topic] = o
	})
}

// checkEnvironment checks what the environment changes in each topic it
// touches: min.insync.replicas against the replication factor after
// merging (an error when greater, a warning when equal and above 1).
func (p *parser) checkEnvironment(f *File, e *Environment, pos envPositions) {
	for _, base := range f.Topics {
		t := e.apply(base)
		where := pos.mir[t.Name]
		if where == nil {
			where = pos.rf[t.Name]
		}
		if where == nil {
			where = pos.defaultsMIR
		}
		if where == nil {
			where = pos.defaultsRF
		}
		if where == nil {
			continue // the environment leaves both as the base has them
		}
		mir, ok := t.Config["min.insync.replicas"]
		if !ok || t.ReplicationFactor <= 0 {
			continue
		}
		m, _ := strconv.Atoi(mir)
		switch {
		case m > int(t.ReplicationFactor):
			p.errorf(where, "topic %q: min.insync.replicas %d is greater than replicationFactor %d once the environment is merged: no acks=all write could ever succeed; set min.insync.replicas in the environment too", t.Name, m, t.ReplicationFactor)
		case m == int(t.ReplicationFactor) && m > 1:
			p.warnf(where, "topic %q: min.insync.replicas %d equals replicationFactor %d once the environment is merged: one broker down stops acks=all writes", t.Name, m, t.ReplicationFactor)
		}
	}
}

// environmentsSchema is the JSON Schema of the environments: section.
func environmentsSchema() map[string]any {
	// An environment's config takes the base's values, or null to remove
	// a base config in that environment.
	props := map[string]any{}
	for _, c := range KnownConfigs() {
		props[c.Name] = map[string]any{"anyOf": []any{
			map[string]any{"$ref": "#/definitions/config/properties/" + c.Name},
			map[string]any{"type": "null"},
		}}
	}
	var vendor []string
	for _, p := range vendorPrefixes {
		vendor = append(vendor, strings.TrimSuffix(p, "."))
	}
	envConfig := map[string]any{
		"type":                 "object",
		"description":          "Topic configs laid over the base's, key by key; null removes a base config in this environment.",
		"properties":           props,
		"patternProperties":    map[string]any{`^(` + strings.Join(vendor, "|") + `)\.`: map[string]any{}},
		"additionalProperties": false,
	}
	override := map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"properties": map[string]any{
			"partitions":        map[string]any{"$ref": "#/definitions/partitions"},
			"replicationFactor": map[string]any{"$ref": "#/definitions/replicationFactor"},
			"config":            envConfig,
		},
	}
	return map[string]any{
		"type":        "object",
		"description": "Per-environment settings merged over the base (kctl --env NAME, KCTL_ENV or a context's env:); a file with environments needs one selected to plan or apply.",
		"propertyNames": map[string]any{
			"pattern": envNameRE().String(),
		},
		"additionalProperties": map[string]any{
			"type":                 "object",
			"additionalProperties": false,
			"properties": map[string]any{
				"cluster": map[string]any{
					"$ref":        "#/properties/cluster",
					"description": "Replaces the base's cluster section (id pin and brokers) in this environment.",
				},
				"defaults": map[string]any{
					"type":                 "object",
					"description":          "Laid over every topic in this environment: its fields win over the base's; config keys merge one by one.",
					"additionalProperties": false,
					"properties":           override["properties"],
				},
				"topics": map[string]any{
					"type":                 "object",
					"description":          "Overrides of declared topics, by name; their fields win.",
					"additionalProperties": override,
				},
				"brokers": map[string]any{
					"$ref":        "#/properties/brokers",
					"description": "Laid over the base's brokers: section, key by key and broker by broker (a key: null in the environment removes a base key; not expressible in this schema).",
				},
			},
		},
	}
}

// checkEnvironmentLimits returns an error for each topic whose partitions
// an environment raises above the per-topic ceiling, prefixed with the
// environment's name (the base's own are CheckLimits').
func (f *File) checkEnvironmentLimits(flag int32) Diagnostics {
	ceiling := f.Limits.MaxPartitionsOr(flag)
	var out Diagnostics
	for _, name := range f.EnvironmentNames() {
		e := f.Environments[name]
		for _, base := range f.Topics {
			t := e.apply(base)
			if t.Partitions > ceiling && base.Partitions <= ceiling {
				out = append(out, Diagnostic{SeverityError, t.Pos, envPrefix(name) + fmt.Sprintf(
					"topic %q: %d partitions is above the ceiling of %d per topic: declare fewer in the environment, or raise limits.maxPartitions (or --max-partitions)",
					t.Name, t.Partitions, ceiling)})
			}
		}
	}
	return out
}

// parseEnvConfig is parseConfig for an environment's config map, where
// `key: null` removes a base config in that environment: it returns the
// keys set, the keys removed (a known or vendor config name; an unknown
// one is an error) and where each is written.
func (p *parser) parseEnvConfig(n *yaml.Node, what string) (map[string]string, []string, map[string]*yaml.Node) {
	m := p.deref(n)
	if m == nil || m.Kind != yaml.MappingNode {
		out, at := p.parseConfig(n, what)
		return out, nil, at
	}
	var unset []string
	unsetAt := map[string]*yaml.Node{}
	rest := *m
	rest.Content = nil
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !isNull(v) || v.Kind == yaml.AliasNode {
			rest.Content = append(rest.Content, k, v)
			continue
		}
		name := k.Value
		if _, known := configIndex[name]; !known && !isVendorConfig(name) {
			msg := fmt.Sprintf("%s: unknown topic config %q", what, name)
			if c := closest(name, knownConfigNames()); c != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", c)
			}
			p.errorf(k, "%s", msg)
			continue
		}
		unset = append(unset, name)
		unsetAt[name] = k
	}
	out, at := p.parseConfig(&rest, what)
	maps.Copy(at, unsetAt)
	return out, unset, at
}

func isVendorConfig(name string) bool {
	for _, vp := range vendorPrefixes {
		if strings.HasPrefix(name, vp) {
			return true
		}
	}
	return false
}

// unknownEnvironmentKey reports key, which an environment cannot set:
// what the file keeps the same in every environment says so and why.
func (p *parser) unknownEnvironmentKey(key string, k *yaml.Node) {
	switch key {
	case "users", "acls", "quotas":
		p.errorf(k, "%s cannot vary by environment: access (users, acls, quotas) is the same in every environment; declare it at the top level, and give each environment its own passwords through passwordFrom (the env variable's or file's content differs per deployment)", key)
	case "managedPrefixes", "limits":
		p.errorf(k, "%s cannot vary by environment: declare it at the top level, where it applies to every environment", key)
	default:
		msg := fmt.Sprintf("unknown key %q in the environment", key)
		if m := closest(key, environmentKeys); m != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", m)
		} else {
			msg += fmt.Sprintf(" (allowed: %s)", strings.Join(environmentKeys, ", "))
		}
		p.errorf(k, "%s", msg)
	}
}
