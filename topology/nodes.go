package topology

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

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
	x, ok := p.countUpTo(n, what, math.MaxInt32, "Kafka's partition count is a 32-bit integer")
	return int32(x), ok
}

func (p *parser) replicationFactor(n *yaml.Node, what string) (int16, bool) {
	x, ok := p.countUpTo(n, what, math.MaxInt16, "Kafka's replication factor is a 16-bit integer")
	return int16(x), ok
}

// countUpTo reads a whole number from 1 to limit (why says where the
// limit comes from); it returns 0 and false after reporting one outside.
func (p *parser) countUpTo(n *yaml.Node, what string, limit int64, why string) (int64, bool) {
	x, ok := p.integer(n, what)
	if !ok {
		return 0, false
	}
	switch {
	case x < 1:
		p.errorf(n, "%s must be at least 1, got %d", what, x)
		return 0, false
	case x > limit:
		p.errorf(n, "%s must be at most %d (%s), got %d", what, limit, why, x)
		return 0, false
	}
	return x, true
}
