package topology

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// aclSet collects a file's ACLs without duplicates, warning about them.
type aclSet struct {
	list  []ACL
	index map[string]int
}

func (p *parser) addACL(s *aclSet, n *yaml.Node, a ACL) {
	a.Pos = p.pos(n)
	if i, dup := s.index[a.Key()]; dup {
		p.warnf(n, "ACL %s is declared twice (first at line %d)", a, s.list[i].Pos.Line)
		return
	}
	s.index[a.Key()] = len(s.list)
	s.list = append(s.list, a)
}

func (p *parser) parseACLs(f *File, n *yaml.Node) {
	set := &aclSet{index: map[string]int{}}
	for _, item := range p.seq(n, "acls") {
		var principal, host string = "", "*"
		var principalNode, resNode, allowNode, denyNode, producerNode, consumerNode *yaml.Node
		type part struct {
			key string
			n   *yaml.Node
		}
		var order []part
		ok := p.mapping(item, "an ACL entry", aclKeys, func(key string, k, v *yaml.Node) {
			if v == nil {
				v = k
			}
			if key != "principal" && key != "host" && key != "resource" {
				order = append(order, part{key, v})
			}
			switch key {
			case "principal":
				principalNode = v
				if s, ok := p.str(v, "principal"); ok && p.principal(v, s, "acls") {
					principal = s
				}
			case "host":
				if s, ok := p.str(v, "host"); ok {
					if s == "" {
						p.errorf(v, "host is empty: give an IP address, or \"*\" (the default) for any host")
						return
					}
					host = s
				}
			case "producer":
				producerNode = v
			case "consumer":
				consumerNode = v
			case "allow":
				allowNode = v
			case "deny":
				denyNode = v
			case "resource":
				resNode = v
			}
		})
		if !ok {
			continue
		}
		if principalNode == nil {
			p.errorf(item, "an ACL entry without a principal: add principal: User:<name>")
			continue
		}
		if producerNode == nil && consumerNode == nil && allowNode == nil && denyNode == nil {
			p.errorf(item, "ACL entry for %s grants nothing: add producer: {topics: [...]}, consumer: {topics: [...], group: G}, or allow:/deny: [operations] with resource:", principal)
			continue
		}
		if (allowNode != nil || denyNode != nil) != (resNode != nil) {
			if resNode == nil {
				p.errorf(item, "allow:/deny: need a resource: e.g. resource: {type: topic, name: user.signed-up}")
			} else {
				p.errorf(resNode, "resource: goes with allow: or deny: [operations]; the producer:/consumer: shorthands name their own topics")
			}
			continue
		}
		base := ACL{Principal: principal, Host: host}
		res, resOK := ACL{}, false
		if resNode != nil {
			res, resOK = p.resource(resNode)
		}
		for _, part := range order {
			switch part.key {
			case "producer":
				p.producer(set, base, part.n, principal != "")
			case "consumer":
				p.consumer(set, base, part.n, principal != "")
			case Allow, Deny:
				p.operations(set, base, part.key, part.n, res, resOK && principal != "")
			}
		}
	}
	f.ACLs = set.list
	p.checkACLs(f)
}

// operations adds an ACL for each operation listed under allow: or deny:
// on resource res (add false: only check the names).
func (p *parser) operations(set *aclSet, base ACL, perm string, n *yaml.Node, res ACL, add bool) {
	for _, op := range p.seqOrOne(n, perm) {
		s, ok := p.str(op, perm+" operation")
		if !ok {
			continue
		}
		name, known := NormalizeOperation(s)
		if !known {
			msg := fmt.Sprintf("unknown ACL operation %q", s)
			if m := closest(s, Operations); m != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", m)
			} else {
				msg += " (operations: " + strings.Join(Operations, ", ") + ")"
			}
			p.errorf(op, "%s", msg)
			continue
		}
		if !add {
			continue
		}
		if valid := ValidOperations(res.ResourceType); !containsName(valid, name) {
			p.errorf(op, "operation %s does not apply to a %s resource (it would have no effect): use one of %s", name, res.ResourceType, strings.Join(valid, ", "))
			continue
		}
		a := base
		a.Permission, a.Operation, a.From = perm, name, perm
		a.ResourceType, a.ResourceName, a.Pattern = res.ResourceType, res.ResourceName, res.Pattern
		p.addACL(set, op, a)
	}
}

func containsName(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// patternName reads a shorthand resource name: "user.*" is the prefix
// "user.", "*" every resource, anything else that exact name.
func patternName(s string) (name, pattern string) {
	if s != "*" && strings.HasSuffix(s, "*") {
		return strings.TrimSuffix(s, "*"), PatternPrefixed
	}
	return s, PatternLiteral
}

func (p *parser) names(n *yaml.Node, what string) []*yaml.Node {
	items := p.seqOrOne(n, what)
	var out []*yaml.Node
	for _, it := range items {
		s, ok := p.str(it, what+" entry")
		if !ok {
			continue
		}
		if s == "" || strings.TrimSuffix(s, "*") == "" && s != "*" {
			p.errorf(it, "%s: %q is not a name: give a name, a prefix ending in * (user.*), or * for all", what, s)
			continue
		}
		out = append(out, it)
	}
	return out
}

func (p *parser) producer(set *aclSet, base ACL, n *yaml.Node, add bool) {
	fs := p.fields(n, "producer", producerKeys)
	if d := p.deref(n); d == nil || d.Kind != yaml.MappingNode {
		return
	}
	if fs["topics"] == nil {
		p.errorf(n, "producer needs topics: e.g. producer: {topics: [user.signed-up]}")
	}
	g := grant{p: p, set: set, base: base, add: add, from: "producer"}
	g.names(fs["topics"], "producer.topics", ResourceTopic, "write", "describe")
	g.names(fs["transactionalId"], "producer.transactionalId", ResourceTransactionalID, "write", "describe")
	if idem := fs["idempotent"]; idem != nil {
		d := p.deref(idem)
		if d == nil || d.Kind != yaml.ScalarNode || d.Tag != "!!bool" {
			p.errorf(idem, "producer.idempotent must be true or false")
		} else if d.Value == "true" {
			g.allow(d, ResourceCluster, ClusterResourceName, PatternLiteral, "idempotentWrite")
		}
	}
}

func (p *parser) consumer(set *aclSet, base ACL, n *yaml.Node, add bool) {
	fs := p.fields(n, "consumer", consumerKeys)
	if d := p.deref(n); d == nil || d.Kind != yaml.MappingNode {
		return
	}
	if fs["topics"] == nil || fs["group"] == nil {
		p.errorf(n, "consumer needs topics and group: e.g. consumer: {topics: [user.signed-up], group: email-service}")
	}
	g := grant{p: p, set: set, base: base, add: add, from: "consumer"}
	g.names(fs["topics"], "consumer.topics", ResourceTopic, "read", "describe")
	g.names(fs["group"], "consumer.group", ResourceGroup, "read")
}

// fields reads a mapping of known keys (see mapping) into their value
// nodes; a key without a value maps to its key node.
func (p *parser) fields(n *yaml.Node, what string, known []string) map[string]*yaml.Node {
	fs := map[string]*yaml.Node{}
	p.mapping(n, what, known, func(key string, k, v *yaml.Node) {
		if v == nil {
			v = k
		}
		fs[key] = v
	})
	return fs
}

// grant adds the allow ACLs of a shorthand role (producer, consumer) to
// set, when add (a role that only validates adds none).
type grant struct {
	p    *parser
	set  *aclSet
	base ACL
	add  bool
	from string
}

// allow adds an ACL allowing each of ops on the resource.
func (g grant) allow(it *yaml.Node, rt, name, pat string, ops ...string) {
	if !g.add {
		return
	}
	for _, op := range ops {
		a := g.base
		a.Permission, a.Operation, a.From = Allow, op, g.from
		a.ResourceType, a.ResourceName, a.Pattern = rt, name, pat
		g.p.addACL(g.set, it, a)
	}
}

// names allows ops on each resource name (or prefix*) listed in n, if n
// is given.
func (g grant) names(n *yaml.Node, what, rt string, ops ...string) {
	if n == nil {
		return
	}
	for _, it := range g.p.names(n, what) {
		name, pat := patternName(it.Value)
		g.allow(it, rt, name, pat, ops...)
	}
}

// resource reads a long-form resource; ok is false when it has an error.
func (p *parser) resource(n *yaml.Node) (ACL, bool) {
	a := ACL{Pattern: PatternLiteral}
	var typeNode, nameNode *yaml.Node
	good, patternGiven := true, false
	ok := p.mapping(n, "resource", resourceKeys, func(key string, _, v *yaml.Node) {
		s, ok := p.str(v, "resource."+key)
		if !ok {
			good = false
			return
		}
		switch key {
		case "type":
			typeNode = v
			t, known := NormalizeResourceType(s)
			if !known {
				good = false
				msg := fmt.Sprintf("unknown resource type %q", s)
				if m := closest(s, ResourceTypes); m != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", m)
				}
				p.errorf(v, "%s: use one of %s", msg, strings.Join(ResourceTypes, ", "))
				return
			}
			a.ResourceType = t
		case "name":
			nameNode = v
			if s == "" {
				good = false
				p.errorf(v, "resource.name is empty: give a name, or \"*\" for every resource of the type")
				return
			}
			a.ResourceName = s
		case "pattern":
			patternGiven = true
			switch canon(s) {
			case "literal":
				a.Pattern = PatternLiteral
			case "prefixed":
				a.Pattern = PatternPrefixed
			default:
				good = false
				p.errorf(v, "resource.pattern %q: use literal (the default) or prefixed", s)
			}
		}
	})
	if !ok || !good {
		return a, false
	}
	if typeNode == nil {
		p.errorf(n, "resource needs a type: one of %s", strings.Join(ResourceTypes, ", "))
		return a, false
	}
	switch {
	case a.ResourceType == ResourceCluster:
		if nameNode != nil && a.ResourceName != ClusterResourceName {
			p.errorf(nameNode, "the cluster resource has one name, %q: leave name: out", ClusterResourceName)
			return a, false
		}
		a.ResourceName, a.Pattern = ClusterResourceName, PatternLiteral
	case nameNode == nil:
		p.errorf(n, "resource needs a name: e.g. resource: {type: %s, name: NAME} (\"*\" for all)", a.ResourceType)
		return a, false
	case a.Pattern == PatternPrefixed && a.ResourceName == "*":
		p.errorf(nameNode, "a prefixed resource named \"*\" matches only names starting with '*': use name: \"*\" with pattern: literal for every resource")
		return a, false
	case a.ResourceType != ResourceTopic && !patternGiven && literalStar(a.ResourceName, a.Pattern):
		// Topics get this hint from checkACLs' undeclared-topic warning.
		p.warnf(nameNode, "resource.name %q is literal: %s", a.ResourceName, prefixedHint(a.ResourceType, a.ResourceName))
	}
	return a, true
}

// literalStar reports whether a literal resource name ends in '*' (other
// than "*" itself): in the long form that '*' is part of the name, not a
// prefix wildcard as in the producer:/consumer: shorthands.
func literalStar(name, pattern string) bool {
	return pattern == PatternLiteral && name != "*" && strings.HasSuffix(name, "*")
}

// prefixedHint tells how to write the prefix a literal name ending in '*'
// likely meant.
func prefixedHint(resourceType, name string) string {
	prefix := strings.TrimRight(name, "*")
	return fmt.Sprintf("in the long form a * is part of the name, not a wildcard; for every %s starting with %q write name: %q with pattern: prefixed",
		resourceType, prefix, prefix)
}

// checkACLs warns about ACLs that are likely mistakes: a topic that is
// neither declared nor under a managed prefix, and an allow that a deny
// shadows.
func (p *parser) checkACLs(f *File) {
	warned := map[string]bool{}
	for _, a := range f.ACLs {
		if a.ResourceType != ResourceTopic || a.ResourceName == "*" || warned[a.Principal+"\x00"+a.Pattern+a.ResourceName] {
			continue
		}
		warned[a.Principal+"\x00"+a.Pattern+a.ResourceName] = true
		if !f.CoversTopic(a.ResourceName, a.Pattern) {
			what := fmt.Sprintf("topic %q", a.ResourceName)
			if a.Pattern == PatternPrefixed {
				what = fmt.Sprintf("topics under %q", a.ResourceName)
			}
			hint := " (a typo?)"
			if literalStar(a.ResourceName, a.Pattern) {
				hint = ": " + prefixedHint(ResourceTopic, a.ResourceName)
			}
			p.diags = append(p.diags, Diagnostic{SeverityWarning, a.Pos, fmt.Sprintf(
				"ACL for %s names %s, which is neither declared in topics: nor under managedPrefixes%s", a.Principal, what, hint)})
		}
	}
	var denies []ACL // usually few: compare the allows with them only
	for _, d := range f.ACLs {
		if d.Permission == Deny {
			denies = append(denies, d)
		}
	}
	for _, a := range f.ACLs {
		if a.Permission != Allow {
			continue
		}
		for _, d := range denies {
			if a.ShadowedBy(d) {
				p.diags = append(p.diags, Diagnostic{SeverityWarning, a.Pos, fmt.Sprintf(
					"%s is shadowed by the deny at line %d (Kafka checks deny first): this allow has no effect", a, d.Pos.Line)})
				break
			}
		}
	}
}

// CoversTopic reports whether the file declares or manages a topic named
// name (pattern literal) or topics under name (prefixed).
func (f *File) CoversTopic(name, pattern string) bool {
	if pattern == PatternLiteral {
		_, declared := f.Topic(name)
		return declared || f.Managed(name)
	}
	for _, t := range f.Topics {
		if strings.HasPrefix(t.Name, name) {
			return true
		}
	}
	for _, mp := range f.ManagedPrefixes {
		if strings.HasPrefix(name, mp) || strings.HasPrefix(mp, name) {
			return true
		}
	}
	return false
}
