package topology

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxFileSize is the largest topics file Load reads: 16 MiB, far above a
// 10,000-topic file (about 1.2 MiB written one topic a line, 3 MiB in block
// style with comments). Parsing holds the whole YAML node tree, some 20
// times the file's size, so the limit is what bounds kctl's memory.
const MaxFileSize = 16 << 20

// FileTooLargeError is Load's error for a file above MaxFileSize; nothing
// of it was parsed.
type FileTooLargeError struct {
	Path  string
	Size  int64 // bytes; for a file whose size is unknown up front (a pipe), at least this much
	Limit int64
}

func (e *FileTooLargeError) Error() string {
	return fmt.Sprintf("topics file %s is %s (%d bytes), above the limit of %s that kctl reads: split it into files that each manage their own managedPrefixes, and validate, plan and apply each",
		e.Path, mib(e.Size), e.Size, mib(e.Limit))
}

func mib(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// Load reads and parses the topics file at path. It returns an error only
// when the file cannot be read or is above MaxFileSize (a
// *FileTooLargeError, returned before the file is read); every problem in
// its content is a Diagnostic (use Diagnostics.Err to stop on errors). The
// *File is nil when the content cannot be used at all (not YAML, not a
// mapping).
func Load(path string) (*File, Diagnostics, error) {
	data, err := readLimited(path, MaxFileSize)
	if err != nil {
		return nil, nil, err
	}
	f, diags := Parse(path, data)
	if f != nil {
		// A relative passwordFrom file is beside the topics file, wherever
		// kctl runs from.
		for i := range f.Users {
			f.Users[i].PasswordFrom.Dir = filepath.Dir(path)
		}
	}
	return f, diags, nil
}

// readLimited reads the file at path, refusing one above limit bytes from
// its size before reading it, or — for a pipe or device, whose size is not
// known — as soon as more than limit bytes arrive.
func readLimited(path string, limit int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("topics file %s not found: give one with -f FILE (default ./topics.yaml)", path)
		}
		return nil, fmt.Errorf("read topics file: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("read topics file: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("read topics file: %s is a directory: give the file with -f FILE", path)
	}
	size := int64(0)
	if st.Mode().IsRegular() {
		size = st.Size()
		if size > limit {
			return nil, &FileTooLargeError{Path: path, Size: size, Limit: limit}
		}
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	n, err := buf.ReadFrom(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read topics file: %w", err)
	}
	if n > limit { // grew since Stat, or not a regular file
		return nil, &FileTooLargeError{Path: path, Size: n, Limit: limit}
	}
	return buf.Bytes(), nil
}

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

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// yamlMessage returns yaml.v3's error message without its "yaml: line N: "
// prefix, and N (0 when absent).
func yamlMessage(err error) (string, int) {
	msg := err.Error()
	m := yamlLineRE.FindStringSubmatch(msg)
	if m == nil {
		return msg, 0
	}
	n, _ := strconv.Atoi(m[1])
	return msg[len(m[0]):], n
}

// syntaxError turns a yaml.v3 error into a diagnostic at its line. A tab
// in indentation, the commonest slip, is found exactly. Otherwise the
// position comes from syntaxPos: yaml.v3's own "line N" is where the
// enclosing construct began (a line early for parser errors: a bad
// indentation on line 4 of a list that starts on line 2 says "line 1"),
// and it gives no column.
func (p *parser) syntaxError(err error, data []byte) {
	for i, line := range strings.Split(string(data), "\n") {
		indent := len(line) - len(strings.TrimLeft(line, " \t"))
		if j := strings.IndexByte(line[:indent], '\t'); j >= 0 && strings.TrimSpace(line) != "" {
			p.diags = append(p.diags, Diagnostic{SeverityError, Pos{p.file, i + 1, j + 1}, "invalid YAML: a tab character indents this line: YAML indents with spaces only"})
			return
		}
	}
	msg, line := yamlMessage(err)
	col := 1
	if l, c, ok := syntaxPos(data, msg); ok {
		line, col = l, c
	}
	p.diags = append(p.diags, Diagnostic{SeverityError, Pos{p.file, max(line, 1), col}, "invalid YAML: " + msg})
}

// syntaxPos returns the position of the YAML syntax error msg in data: the
// first line L such that lines 1..L alone already fail with msg (found by
// bisection, so O(log n) parses), and the column of that line's first
// non-blank character. ok is false when no such line is found (then the
// caller keeps yaml.v3's line).
//
// Hand-written rather than another YAML library: yaml.v3 keeps the
// problem's exact mark internal, and the parse above must stay yaml.v3's.
func syntaxPos(data []byte, msg string) (line, col int, ok bool) {
	lines := bytes.SplitAfter(data, []byte("\n"))
	ends := make([]int, len(lines))
	n := 0
	for i, l := range lines {
		n += len(l)
		ends[i] = n
	}
	i := sort.Search(len(lines), func(i int) bool { return yamlProblem(data[:ends[i]]) == msg })
	if i == len(lines) {
		return 0, 0, false
	}
	text := bytes.TrimRight(lines[i], "\r\n")
	col = 1
	if trimmed := bytes.TrimLeft(text, " "); len(trimmed) > 0 {
		col = len(text) - len(trimmed) + 1
	}
	return i + 1, col, true
}

// yamlProblem returns the message of the first YAML syntax error in data
// (every document), or "" when data is well-formed YAML or yaml.v3 panics.
func yamlProblem(data []byte) (msg string) {
	defer func() {
		if recover() != nil {
			msg = ""
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return ""
			}
			msg, _ = yamlMessage(err)
			return msg
		}
	}
}

// deref resolves an alias to its anchor's node (nil for a chain too long
// to be anything but a loop).
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// deref resolves n as deref does, and keeps diagnostics about what it
// resolves to, and its children, at the position of the alias the walk
// came through (see parser.via): the outermost one when aliases nest. It
// costs nothing in a file without aliases, and one map write per child
// for a node reached through one.
func (p *parser) deref(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	via := p.via[n]
	if n.Kind == yaml.AliasNode && via == nil {
		via = n
	}
	t := deref(n)
	if t == nil || len(p.via) == 0 && via == nil {
		return t
	}
	if via != nil {
		p.via[t] = via
	} else {
		delete(p.via, t)
	}
	for _, c := range t.Content {
		if via != nil {
			p.via[c] = via
		} else {
			delete(p.via, c) // reached directly now, whatever an alias did before
		}
	}
	return t
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing (null)"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

var (
	rootKeys     = []string{"cluster", "managedPrefixes", "defaults", "limits", "topics", "environments", "managedPrincipals", "users", "acls", "quotas", "brokers"}
	limitsKeys   = []string{"maxPartitions", "partitionsPerBroker"}
	clusterKeys  = []string{"id", "brokers"}
	defaultsKeys = []string{"partitions", "replicationFactor", "config"}
	topicKeys    = []string{"name", "partitions", "replicationFactor", "config"}
)

// mapping walks a mapping node's pairs in order, reporting non-mappings,
// non-string keys, duplicate and unknown keys (with a close match), and
// calls fn for each known key.
func (p *parser) mapping(n *yaml.Node, what string, known []string, fn func(key string, k, v *yaml.Node)) bool {
	n = p.deref(n)
	if n == nil {
		return false
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping (key: value), got %s", what, kindName(n))
		return false
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := p.deref(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			p.errorf(n.Content[i], "%s: keys must be plain names", what)
			continue
		}
		key := k.Value
		if key == "<<" {
			p.errorf(k, "YAML merge keys (<<) are not supported in %s: put shared settings under defaults:", what)
			continue
		}
		if line, dup := seen[key]; dup {
			p.errorf(k, "duplicate key %q in %s (first at line %d)", key, what, line)
			continue
		}
		seen[key] = p.pos(k).Line
		if known != nil && !slices.Contains(known, key) {
			msg := fmt.Sprintf("unknown key %q in %s", key, what)
			if m := closest(key, known); m != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", m)
			} else {
				msg += fmt.Sprintf(" (allowed: %s)", strings.Join(known, ", "))
			}
			p.errorf(k, "%s", msg)
			continue
		}
		fn(key, k, v)
	}
	return true
}

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

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// seq returns the items of a sequence node, or reports what it got.
func (p *parser) seq(n *yaml.Node, what string) []*yaml.Node {
	n = p.deref(n)
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a list, got %s", what, kindName(n))
		return nil
	}
	// The items as written (an alias stays an alias): each is resolved
	// when the walk reaches it, so that one reached directly and later
	// through an alias reports at the right place each time.
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, it := range n.Content {
		if deref(it) != nil {
			out = append(out, it)
		}
	}
	return out
}

// str returns a scalar's text (any scalar: a topic may be named 2024).
func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	n = p.deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		got := "nothing"
		if n != nil {
			got = kindName(n)
		}
		p.errorf(n, "%s must be a string, got %s", what, got)
		return "", false
	}
	return n.Value, true
}

func (p *parser) integer(n *yaml.Node, what string) (int64, bool) {
	n = p.deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		got := "nothing"
		if n != nil {
			got = kindName(n)
		}
		p.errorf(n, "%s must be a whole number, got %s", what, got)
		return 0, false
	}
	// Plain decimal, the usual case, directly: Node.Decode builds a
	// decoder per call, a third of the garbage of parsing a large file.
	if plainDecimal(n.Value) {
		if x, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			return x, true
		}
	}
	var x int64 // 0x1F, 010 (octal to yaml.v3), 1_000 and the like, as YAML reads them
	if err := n.Decode(&x); err != nil {
		p.errorf(n, "%s: %q is not a whole number that fits in 64 bits", what, n.Value)
		return 0, false
	}
	return x, true
}

// plainDecimal reports whether s is an optional sign and decimal digits
// without a leading zero, which yaml.v3 and strconv base 10 read alike.
func plainDecimal(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (p *parser) partitions(n *yaml.Node, what string) (int32, bool) {
	x, ok := p.integer(n, what)
	if !ok {
		return 0, false
	}
	switch {
	case x < 1:
		p.errorf(n, "%s must be at least 1, got %d", what, x)
		return 0, false
	case x > math.MaxInt32:
		p.errorf(n, "%s must be at most %d (Kafka's partition count is a 32-bit integer), got %d", what, math.MaxInt32, x)
		return 0, false
	}
	return int32(x), true
}

func (p *parser) replicationFactor(n *yaml.Node, what string) (int16, bool) {
	x, ok := p.integer(n, what)
	if !ok {
		return 0, false
	}
	switch {
	case x < 1:
		p.errorf(n, "%s must be at least 1, got %d", what, x)
		return 0, false
	case x > math.MaxInt16:
		p.errorf(n, "%s must be at most %d (Kafka's replication factor is a 16-bit integer), got %d", what, math.MaxInt16, x)
		return 0, false
	}
	return int16(x), true
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
