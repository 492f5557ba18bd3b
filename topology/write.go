package topology

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Spec is a topics.yaml to write (what `kctl export` builds): values are in
// the broker's form (integer strings); Encode writes them in the file's
// units. Parse(Encode(s)) gives back the same topics.
type Spec struct {
	// Comment is written above everything, one "# " line per line.
	Comment         string
	Cluster         Cluster
	ManagedPrefixes []string
	Defaults        Defaults
	Topics          []SpecTopic
	// Access is written after topics (users:, acls:, quotas:, each only
	// when it has entries) with managedPrincipals after managedPrefixes;
	// see SpecAccess.
	Access SpecAccess
	// Brokers is written after topics as the brokers: section (nil: none).
	Brokers *Brokers
}

// SpecTopic is one topic of a Spec.
type SpecTopic struct {
	Name       string
	Partitions int32
	// ReplicationFactor 0 leaves it to defaults.replicationFactor.
	ReplicationFactor int16
	Config            map[string]string
	// Comment is written above the topic.
	Comment string
	// Disabled are configs written as comments only (with why), for a
	// person to decide about.
	Disabled []DisabledConfig
}

// DisabledConfig is a config an exported file carries as a comment.
type DisabledConfig struct {
	Name, Value, Why string
}

// ConfigCheck says what kctl makes of a topic config found on a cluster.
type ConfigCheck int

// What CheckConfig finds.
const (
	// ConfigValid: a known config with a value kctl accepts.
	ConfigValid ConfigCheck = iota
	// ConfigPassThrough: a vendor config (confluent.*, …) kctl passes
	// through unchecked, with a warning.
	ConfigPassThrough
	// ConfigInvalid: unknown to kctl, or a value it refuses.
	ConfigInvalid
)

// CheckConfig returns how topics.yaml would take config name = value as a
// broker reports it, and for ConfigInvalid why (the message validate
// would print).
func CheckConfig(name, value string) (ConfigCheck, string) {
	spec, ok := configIndex[name]
	if !ok {
		for _, vp := range vendorPrefixes {
			if strings.HasPrefix(name, vp) {
				return ConfigPassThrough, ""
			}
		}
		return ConfigInvalid, fmt.Sprintf("unknown topic config %q", name)
	}
	if _, msg := spec.normalize(rawValue{scalar: value}); msg != "" {
		return ConfigInvalid, msg
	}
	return ConfigValid, ""
}

// FormatConfigValue returns value of config name as topics.yaml writes it:
// durations and sizes in their largest whole unit ("7d", "512MiB"), other
// values as they are.
func FormatConfigValue(name, value string) string {
	if h := Humanize(name, value); h != "" {
		return h
	}
	return value
}

// Encode writes s as topics.yaml: cluster (when set), managedPrefixes
// (when set), defaults (when set) and topics, in that order. It returns the
// writer's error.
func (s *Spec) Encode(w io.Writer) error {
	root := &yaml.Node{Kind: yaml.MappingNode}
	if s.Comment != "" {
		root.HeadComment = comment(s.Comment)
	}
	if s.Cluster.ID != "" || len(s.Cluster.Brokers) > 0 {
		c := &yaml.Node{Kind: yaml.MappingNode}
		if s.Cluster.ID != "" {
			c.Content = append(c.Content, str("id"), str(s.Cluster.ID))
		}
		if len(s.Cluster.Brokers) > 0 {
			c.Content = append(c.Content, str("brokers"), flowList(s.Cluster.Brokers))
		}
		root.Content = append(root.Content, str("cluster"), c)
	}
	if len(s.ManagedPrefixes) > 0 {
		root.Content = append(root.Content, str("managedPrefixes"), flowList(s.ManagedPrefixes))
	}
	if len(s.Access.ManagedPrincipals) > 0 {
		root.Content = append(root.Content, s.Access.key(SectionManagedPrincipals), flowList(s.Access.ManagedPrincipals))
	}
	d := &yaml.Node{Kind: yaml.MappingNode}
	if s.Defaults.Partitions > 0 {
		d.Content = append(d.Content, str("partitions"), integer(int64(s.Defaults.Partitions)))
	}
	if s.Defaults.ReplicationFactor > 0 {
		d.Content = append(d.Content, str("replicationFactor"), integer(int64(s.Defaults.ReplicationFactor)))
	}
	if len(s.Defaults.Config) > 0 {
		d.Content = append(d.Content, str("config"), configNode(s.Defaults.Config))
	}
	if len(d.Content) > 0 {
		root.Content = append(root.Content, str("defaults"), d)
	}
	topics := &yaml.Node{Kind: yaml.SequenceNode}
	if len(s.Topics) == 0 {
		topics.Style = yaml.FlowStyle
	}
	for _, t := range s.Topics {
		m := &yaml.Node{Kind: yaml.MappingNode}
		m.Content = append(m.Content, str("name"), str(t.Name), str("partitions"), integer(int64(t.Partitions)))
		if t.ReplicationFactor > 0 {
			m.Content = append(m.Content, str("replicationFactor"), integer(int64(t.ReplicationFactor)))
		}
		var disabled []string
		for _, dc := range t.Disabled {
			disabled = append(disabled, fmt.Sprintf("%s: %s  (%s)", dc.Name, dc.Value, dc.Why))
		}
		if len(t.Config) > 0 {
			k := str("config")
			if len(disabled) > 0 {
				k.HeadComment = comment(strings.Join(disabled, "\n"))
			}
			m.Content = append(m.Content, k, configNode(t.Config))
		} else if len(disabled) > 0 {
			m.Content[len(m.Content)-2].FootComment = comment(strings.Join(disabled, "\n"))
		}
		if t.Comment != "" {
			m.HeadComment = comment(t.Comment)
		}
		topics.Content = append(topics.Content, m)
	}
	root.Content = append(root.Content, str("topics"), topics)
	root.Content = append(root.Content, s.Access.nodes()...)
	root.Content = append(root.Content, brokersNodes(s.Brokers)...)

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return fmt.Errorf("encode topics.yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode topics.yaml: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func comment(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = "# " + l
	}
	return strings.Join(lines, "\n")
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func integer(n int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(n, 10)}
}

func flowList(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, it := range items {
		n.Content = append(n.Content, str(it))
	}
	return n
}

// configNode writes a config map sorted by name, values in the file's
// units; numbers and booleans plain, everything else as a string.
func configNode(cfg map[string]string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	t := Topic{Config: cfg}
	for _, k := range t.SortedConfigNames() {
		v := FormatConfigValue(k, cfg[k])
		val := str(v)
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			val.Tag = "!!int"
		} else if _, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "xXpP_") {
			val.Tag = "!!float"
		} else if v == "true" || v == "false" {
			val.Tag = "!!bool"
		}
		n.Content = append(n.Content, str(k), val)
	}
	return n
}
