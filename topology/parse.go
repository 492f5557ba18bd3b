package topology

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Parse parses topics.yaml content; name is used in positions. It never
// panics and always returns every diagnostic it finds, sorted by position.
// The *File is nil when the content cannot be used at all; otherwise it
// holds everything that could be read, even when there are errors.
func Parse(name string, data []byte) (f *File, diags Diagnostics) {
	p := &parser{file: name, via: map[*yaml.Node]*yaml.Node{}}
	defer func() {
		if r := recover(); r != nil { // yaml.v3 must not take kctl down
			f = nil
			p.diags = append(p.diags, Diagnostic{SeverityError, Pos{name, 1, 1}, fmt.Sprintf("cannot parse YAML: %v", r)})
			diags = p.diags
		}
	}()
	f = p.parse(data)
	p.diags.sort()
	return f, p.diags
}

type parser struct {
	file  string
	diags Diagnostics
	// via maps a node reached through an alias (*ref) to that alias, so
	// that a diagnostic about it points at the *ref the reader wrote, not
	// at the anchor: p.deref records it for the node and, one level at a
	// time as the walk descends, for its children. Shared with the
	// sub-parsers of environments.
	via map[*yaml.Node]*yaml.Node
}

func (p *parser) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{p.file, 1, 1}
	}
	if a := p.via[n]; a != nil {
		n = a
	}
	return Pos{p.file, max(n.Line, 1), max(n.Column, 1)}
}

func (p *parser) errorf(n *yaml.Node, format string, a ...any) {
	p.diags = append(p.diags, Diagnostic{SeverityError, p.pos(n), fmt.Sprintf(format, a...)})
}

func (p *parser) warnf(n *yaml.Node, format string, a ...any) {
	p.diags = append(p.diags, Diagnostic{SeverityWarning, p.pos(n), fmt.Sprintf(format, a...)})
}

// yamlLineRE is compiled on first use, not at start-up (issue 21).
var yamlLineRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: (?:line (\d+): )?`) })

// yamlMessage returns yaml.v3's error message without its "yaml: line N: "
// prefix, and N (0 when absent).
func yamlMessage(err error) (string, int) {
	msg := err.Error()
	m := yamlLineRE().FindStringSubmatch(msg)
	if m == nil {
		return msg, 0
	}
	n, _ := strconv.Atoi(m[1])
	return msg[len(m[0]):], n
}

var (
	rootKeys     = []string{"cluster", "managedPrefixes", "defaults", "limits", "topics", "environments", "managedPrincipals", "users", "acls", "quotas", "brokers"}
	limitsKeys   = []string{"maxPartitions", "partitionsPerBroker"}
	clusterKeys  = []string{"id", "brokers"}
	defaultsKeys = []string{"partitions", "replicationFactor", "config"}
	topicKeys    = []string{"name", "partitions", "replicationFactor", "config"}
)

func (p *parser) parse(data []byte) *File {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorf(nil, "the file is empty: declare topics, e.g. topics: [{name: orders, partitions: 3, replicationFactor: 3}]")
			return nil
		}
		p.syntaxError(err, data)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.errorf(&extra, "a second YAML document: topics.yaml holds exactly one (remove the '---' separator)")
	} else if !errors.Is(err, io.EOF) {
		p.syntaxError(err, data)
	}
	if len(doc.Content) == 0 {
		p.errorf(&doc, "the file is empty: declare topics, e.g. topics: [{name: orders, partitions: 3, replicationFactor: 3}]")
		return nil
	}
	root := p.deref(doc.Content[0])
	if root == nil || root.Kind != yaml.MappingNode {
		if root == nil {
			root = doc.Content[0]
		}
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			p.errorf(root, "the file is empty: declare topics, e.g. topics: [{name: orders, partitions: 3, replicationFactor: 3}]")
			return nil
		}
		p.errorf(root, "the top level must be a mapping with cluster, managedPrefixes, defaults, limits and topics keys, got %s", kindName(root))
		return nil
	}

	f := &File{Path: p.file, ManagedPrefixes: []string{}, Topics: []Topic{}}
	var topicsNode, envNode *yaml.Node
	var prefixNodes []*yaml.Node
	var access accessNodes
	p.mapping(root, "the file", rootKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "cluster":
			p.parseCluster(f, v)
		case "managedPrefixes":
			f.ManagedPrefixes, prefixNodes = p.parsePrefixes(v)
		case "defaults":
			f.Defaults = p.parseDefaults(v)
		case "limits":
			f.Limits = p.parseLimits(v)
		case "topics":
			topicsNode = v
			if topicsNode == nil {
				topicsNode = k
			}
		case "environments":
			envNode = v
		case "brokers":
			f.Brokers = p.parseBrokers(k, v)
		case "managedPrincipals", "users", "acls", "quotas":
			access.set(key, k, v)
		}
	})
	if topicsNode == nil {
		p.errorf(root, "no topics: key: declare the topics, e.g. topics: [{name: orders, partitions: 3, replicationFactor: 3}]")
		return f
	}
	p.parseTopics(f, topicsNode)
	p.checkPrefixes(f, prefixNodes)
	p.parseEnvironments(f, envNode)
	p.parseAccess(f, access)
	return f
}

func (p *parser) parseCluster(f *File, n *yaml.Node) {
	if isNull(n) {
		return
	}
	p.mapping(n, "cluster", clusterKeys, func(key string, _, v *yaml.Node) {
		switch key {
		case "id":
			if s, ok := p.str(v, "cluster.id"); ok {
				f.Cluster.ID = s
			}
		case "brokers":
			for _, item := range p.seq(v, "cluster.brokers") {
				s, ok := p.str(item, "cluster.brokers entry")
				if !ok {
					continue
				}
				host, port, err := net.SplitHostPort(s)
				pn, perr := strconv.Atoi(port)
				if err != nil || host == "" || perr != nil || pn < 1 || pn > 65535 {
					p.errorf(item, "cluster.brokers: %q is not host:port, e.g. localhost:9092", s)
					continue
				}
				f.Cluster.Brokers = append(f.Cluster.Brokers, s)
			}
		}
	})
}

func (p *parser) parsePrefixes(n *yaml.Node) ([]string, []*yaml.Node) {
	out, nodes := []string{}, []*yaml.Node{}
	for _, item := range p.seq(n, "managedPrefixes") {
		s, ok := p.str(item, "managedPrefixes entry")
		if !ok {
			continue
		}
		if s == "" {
			p.errorf(item, "managedPrefixes: an empty prefix would manage every topic on the cluster; name a prefix such as \"user.\"")
			continue
		}
		if strings.IndexFunc(s, func(r rune) bool { return r > 127 || !legalNameByte(byte(r)) }) >= 0 {
			p.errorf(item, "managedPrefixes: %q can match no topic: topic names use only a-z, A-Z, 0-9, '.', '_' and '-'", s)
			continue
		}
		out, nodes = append(out, s), append(nodes, item)
	}
	return out, nodes
}

func (p *parser) parseDefaults(n *yaml.Node) Defaults {
	var d Defaults
	if isNull(n) {
		return d
	}
	p.mapping(n, "defaults", defaultsKeys, func(key string, _, v *yaml.Node) {
		switch key {
		case "partitions":
			d.Partitions, _ = p.partitions(v, "defaults.partitions")
		case "replicationFactor":
			d.ReplicationFactor, _ = p.replicationFactor(v, "defaults.replicationFactor")
		case "config":
			d.Config, _ = p.parseConfig(v, "defaults.config")
		}
	})
	return d
}

func (p *parser) parseLimits(n *yaml.Node) Limits {
	var l Limits
	if isNull(n) {
		return l
	}
	p.mapping(n, "limits", limitsKeys, func(key string, _, v *yaml.Node) {
		switch key {
		case "maxPartitions":
			l.MaxPartitions, _ = p.partitions(v, "limits.maxPartitions")
		case "partitionsPerBroker":
			l.PartitionsPerBroker, _ = p.partitions(v, "limits.partitionsPerBroker")
		}
	})
	return l
}

func (p *parser) parseTopics(f *File, n *yaml.Node) {
	items := p.seq(n, "topics")
	if items == nil && !isNull(n) {
		return
	}
	if len(items) == 0 {
		p.warnf(n, "topics is empty: nothing is declared")
	}
	firstLine := make(map[string]int, len(items))
	folded := make(map[string]int, len(items)) // index in f.Topics
	f.Topics = slices.Grow(f.Topics, len(items))
	// Each topic's nodes are dropped from the list once read, so that the
	// garbage collector can reuse them for what the rest of the walk
	// allocates: the node tree is most of the memory a large file takes.
	// Not when the list is an anchor or an alias (another reference would
	// find it emptied); a topic that is itself an anchor stays reachable
	// from its aliases.
	release := n.Kind == yaml.SequenceNode && n.Anchor == "" && len(n.Content) == len(items)
	for i, item := range items {
		if release {
			n.Content[i], items[i] = nil, nil
		}
		t, namePos, ok := p.parseTopic(item, f.Defaults)
		if !ok {
			continue
		}
		if line, dup := firstLine[t.Name]; dup {
			p.errorf(namePos, "duplicate topic %q (first declared at line %d)", t.Name, line)
			continue
		}
		firstLine[t.Name] = t.Pos.Line
		fk := FoldName(t.Name)
		if i, clash := folded[fk]; clash {
			other := f.Topics[i]
			p.errorf(namePos, "topic %q collides with %q (line %d) once '.' and '_' are folded: Kafka refuses to create the second, so the file could only be half-applied; rename one of them", t.Name, other.Name, other.Pos.Line)
		} else {
			folded[fk] = len(f.Topics)
		}
		f.Topics = append(f.Topics, t)
	}
}

func (p *parser) parseTopic(n *yaml.Node, d Defaults) (Topic, *yaml.Node, bool) {
	t := Topic{}
	var nameNode, partsNode, rfNode *yaml.Node
	var own map[string]string
	var ownPos map[string]*yaml.Node
	n = p.deref(n)
	if n == nil {
		return t, nil, false
	}
	t.Pos = p.pos(n)
	ok := p.mapping(n, "a topic", topicKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "name":
			nameNode = v
			s, ok := p.str(v, "name")
			if !ok {
				return
			}
			if msg := CheckTopicName(s); msg != "" {
				p.errorf(v, "%s", msg)
			} else if strings.HasPrefix(s, "__") {
				p.warnf(v, "topic %q: names starting with \"__\" are reserved for Kafka's internal topics", s)
			}
			t.Name = s
			t.Pos = p.pos(v)
		case "partitions":
			partsNode = v
			t.Partitions, _ = p.partitions(v, "partitions")
		case "replicationFactor":
			rfNode = v
			t.ReplicationFactor, _ = p.replicationFactor(v, "replicationFactor")
		case "config":
			own, ownPos = p.parseConfig(v, "config")
		}
	})
	if !ok {
		return t, nil, false
	}
	label := "a topic"
	if nameNode == nil {
		p.errorf(n, "a topic without a name: add name: <topic>")
	} else if t.Name != "" {
		label = fmt.Sprintf("topic %q", t.Name)
	}
	if partsNode == nil {
		if d.Partitions > 0 {
			t.Partitions = d.Partitions
		} else {
			p.errorf(n, "%s has no partitions: set partitions: N (or defaults.partitions)", label)
		}
	}
	if rfNode == nil {
		if d.ReplicationFactor > 0 {
			t.ReplicationFactor = d.ReplicationFactor
		} else {
			p.errorf(n, "%s has no replicationFactor: set replicationFactor: N (or defaults.replicationFactor)", label)
		}
	}
	// The topic's own config over the defaults, in the map parseConfig
	// made (no copy: a large file has one per topic).
	t.Config = own
	if t.Config == nil {
		t.Config = make(map[string]string, len(d.Config))
	}
	for k, v := range d.Config {
		if _, set := t.Config[k]; !set {
			t.Config[k] = v
		}
	}
	// min.insync.replicas against the replication factor.
	if mir, ok := t.Config["min.insync.replicas"]; ok && t.ReplicationFactor > 0 {
		m, _ := strconv.Atoi(mir)
		where, from := ownPos["min.insync.replicas"], ""
		if where == nil {
			from = " (min.insync.replicas from defaults)"
			where = rfNode
			if where == nil {
				where = nameNode
			}
			if where == nil {
				where = n
			}
		}
		switch {
		case m > int(t.ReplicationFactor):
			p.errorf(where, "%s: min.insync.replicas %d is greater than replicationFactor %d%s: no acks=all write could ever succeed", label, m, t.ReplicationFactor, from)
		case m == int(t.ReplicationFactor) && m > 1:
			p.warnf(where, "%s: min.insync.replicas %d equals replicationFactor %d%s: one broker down stops acks=all writes", label, m, t.ReplicationFactor, from)
		}
	}
	return t, nameNode, t.Name != ""
}

func (p *parser) parseConfig(n *yaml.Node, what string) (map[string]string, map[string]*yaml.Node) {
	out, pos := map[string]string{}, map[string]*yaml.Node{}
	if isNull(n) {
		return out, pos
	}
	p.mapping(n, what, nil, func(key string, k, v *yaml.Node) {
		raw, ok := p.rawConfigValue(k, v, key)
		if !ok {
			return
		}
		spec, known := configIndex[key]
		if !known {
			for _, vp := range vendorPrefixes {
				if strings.HasPrefix(key, vp) {
					p.warnf(k, "config %q is not a known Apache Kafka topic config: kctl passes it through unchecked", key)
					val := raw.scalar
					if raw.isList {
						val = strings.Join(raw.list, ",")
					}
					out[key], pos[key] = val, v
					return
				}
			}
			msg := fmt.Sprintf("unknown topic config %q", key)
			if m := closest(key, knownConfigNames()); m != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", m)
			} else {
				msg += " (see https://kafka.apache.org/documentation/#topicconfigs)"
			}
			p.errorf(k, "%s", msg)
			return
		}
		norm, msg := spec.normalize(raw)
		if msg != "" {
			p.errorf(v, "%s", msg)
			return
		}
		if spec.Deprecated != "" {
			p.warnf(k, "config %q is deprecated: %s", key, spec.Deprecated)
		}
		out[key], pos[key] = norm, v
	})
	return out, pos
}

func (p *parser) rawConfigValue(k, n *yaml.Node, key string) (rawValue, bool) {
	v := p.deref(n)
	if v == nil {
		p.errorf(k, "config %s: value cannot be read", key)
		return rawValue{}, false
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			p.errorf(k, "config %s has no value", key)
			return rawValue{}, false
		}
		return rawValue{scalar: v.Value}, true
	case yaml.SequenceNode:
		r := rawValue{isList: true}
		for _, it := range v.Content {
			it = p.deref(it)
			if it == nil || it.Kind != yaml.ScalarNode || it.Tag == "!!null" {
				p.errorf(v, "config %s: list items must be plain values", key)
				return rawValue{}, false
			}
			r.list = append(r.list, it.Value)
		}
		return r, true
	}
	p.errorf(v, "config %s must be a value, got %s", key, kindName(v))
	return rawValue{}, false
}

// checkPrefixes warns about managed prefixes that cover Kafka's internal
// topics, and about a prefix that matches none of the declared topics
// (--prune would delete every cluster topic under it).
func (p *parser) checkPrefixes(f *File, nodes []*yaml.Node) {
	for i, pre := range f.ManagedPrefixes {
		if IsInternalName(pre) || pre == "_" || strings.HasPrefix("connect-", pre) || strings.HasPrefix("__", pre) {
			p.warnf(nodes[i], "managedPrefixes %q covers Kafka's internal topics: kctl never deletes those", pre)
			continue
		}
		used := false
		for _, t := range f.Topics {
			if strings.HasPrefix(t.Name, pre) {
				used = true
				break
			}
		}
		if !used {
			p.warnf(nodes[i], "managedPrefixes %q matches no topic in this file: plan --prune would delete every cluster topic under it", pre)
		}
	}
}
