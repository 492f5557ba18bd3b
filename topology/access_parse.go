package topology

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// accessNodes are the access sections' nodes, kept by parse until the
// topics are read (ACL checks look at the declared topics).
type accessNodes struct {
	principals, users, acls, quotas *yaml.Node
	any                             bool
	sections                        []string
}

// set keeps the node of access section key (k when the value is empty).
func (a *accessNodes) set(key string, k, v *yaml.Node) {
	if v == nil {
		v = k
	}
	a.any = true
	a.sections = append(a.sections, key)
	switch key {
	case "managedPrincipals":
		a.principals = v
	case "users":
		a.users = v
	case "acls":
		a.acls = v
	case "quotas":
		a.quotas = v
	}
}

var (
	userKeys         = []string{"name", "mechanism", "iterations", "passwordFrom", "password"}
	passwordFromKeys = []string{"env", "file"}
	aclKeys          = []string{"principal", "host", "producer", "consumer", "allow", "deny", "resource"}
	producerKeys     = []string{"topics", "transactionalId", "idempotent"}
	consumerKeys     = []string{"topics", "group"}
	resourceKeys     = []string{"type", "name", "pattern"}
	quotaEntityKeys  = []string{"user", "clientId", "default"}
)

func quotaKeys() []string {
	keys := append([]string{}, quotaEntityKeys...)
	for k := range QuotaKeys {
		keys = append(keys, k)
	}
	return keys
}

// parseAccess reads the access sections into f and checks them: errors for
// what cannot be applied, warnings for what is likely a mistake.
func (p *parser) parseAccess(f *File, a accessNodes) {
	if !a.any {
		return
	}
	f.AccessDeclared = true
	f.Sections = a.sections
	f.ManagedPrincipals = []string{}
	for _, item := range p.seq(a.principals, "managedPrincipals") {
		s, ok := p.str(item, "managedPrincipals entry")
		if !ok {
			continue
		}
		if p.principal(item, s, "managedPrincipals") {
			f.ManagedPrincipals = append(f.ManagedPrincipals, s)
		}
	}
	p.parseUsers(f, a.users)
	p.parseACLs(f, a.acls)
	p.parseQuotas(f, a.quotas)
}

// principal checks a principal is "User:name"; it reports whether it is.
func (p *parser) principal(n *yaml.Node, s, what string) bool {
	name, ok := strings.CutPrefix(s, "User:")
	if !ok || name == "" || strings.TrimSpace(name) != name {
		p.errorf(n, "%s: principal %q must be User:<name>, e.g. User:email-service (User:* for everyone)", what, s)
		return false
	}
	return true
}

func (p *parser) parseUsers(f *File, n *yaml.Node) {
	seen := map[string]int{}
	for _, item := range p.seq(n, "users") {
		u := User{Iterations: DefaultScramIterations, Mechanism: ScramSHA256, Pos: p.pos(item)}
		var nameNode, pwNode, inlineNode *yaml.Node
		ok := p.mapping(item, "a user", userKeys, func(key string, k, v *yaml.Node) {
			switch key {
			case "name":
				nameNode = v
				if s, ok := p.str(v, "user name"); ok {
					if s == "" || strings.ContainsAny(s, ", =") {
						p.errorf(v, "user name %q: give a non-empty name without spaces, ',' or '='", s)
						return
					}
					u.Name, u.Pos = s, p.pos(v)
				}
			case "mechanism":
				s, ok := p.str(v, "mechanism")
				if !ok {
					return
				}
				switch canon(s) {
				case "scramsha256":
					u.Mechanism = ScramSHA256
				case "scramsha512":
					u.Mechanism = ScramSHA512
				default:
					p.errorf(v, "mechanism %q: use scram-sha-256 or scram-sha-512 (kctl manages SCRAM credentials only)", s)
				}
			case "iterations":
				x, ok := p.integer(v, "iterations")
				if !ok {
					return
				}
				if x < MinScramIterations || x > MaxScramIterations {
					p.errorf(v, "iterations %d: Kafka accepts %d to %d (default %d)", x, MinScramIterations, MaxScramIterations, DefaultScramIterations)
					return
				}
				u.Iterations = int32(x)
			case "password":
				inlineNode = k
				p.errorf(k, "an inline password is never accepted in topics.yaml (the file is reviewed and committed): use passwordFrom: {env: NAME} or passwordFrom: {file: PATH}")
			case "passwordFrom":
				pwNode = v
				u.PasswordFrom = p.passwordFrom(v)
			}
		})
		if !ok {
			continue
		}
		if nameNode == nil {
			p.errorf(item, "a user without a name: add name: <user>")
			continue
		}
		if u.Name == "" {
			continue
		}
		if pwNode == nil && inlineNode == nil {
			p.errorf(item, "user %q has no passwordFrom: add passwordFrom: {env: NAME} or passwordFrom: {file: PATH}", u.Name)
		}
		key := u.Name + "/" + u.Mechanism
		if line, dup := seen[key]; dup {
			p.errorf(nameNode, "duplicate user %q with %s (first declared at line %d)", u.Name, u.Mechanism, line)
			continue
		}
		seen[key] = u.Pos.Line
		f.Users = append(f.Users, u)
	}
}

func (p *parser) passwordFrom(n *yaml.Node) PasswordSource {
	var s PasswordSource
	count := 0
	ok := p.mapping(n, "passwordFrom", passwordFromKeys, func(key string, _, v *yaml.Node) {
		count++
		val, ok := p.str(v, "passwordFrom."+key)
		if !ok {
			return
		}
		if val == "" {
			p.errorf(v, "passwordFrom.%s is empty: name the environment variable or file", key)
			return
		}
		if key == "env" {
			s.Env = val
		} else {
			s.File = val
		}
	})
	if ok && count != 1 {
		p.errorf(n, "passwordFrom takes exactly one of env: NAME or file: PATH")
	}
	return s
}

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

// seqOrOne returns a list's items, or the node itself for a single value.
func (p *parser) seqOrOne(n *yaml.Node, what string) []*yaml.Node {
	if d := p.deref(n); d != nil && d.Kind == yaml.ScalarNode && d.Tag != "!!null" {
		return []*yaml.Node{d}
	}
	items := p.seq(n, what)
	if d := p.deref(n); len(items) == 0 && (isNull(n) || (d != nil && d.Kind == yaml.SequenceNode)) {
		if what == Allow || what == Deny {
			p.errorf(n, "%s is empty: list operations, e.g. %s: [read, describe]", what, what)
		} else {
			p.errorf(n, "%s is empty: name at least one", what)
		}
	}
	return items
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
	var topics, txn, idem *yaml.Node
	p.mapping(n, "producer", producerKeys, func(key string, k, v *yaml.Node) {
		if v == nil {
			v = k
		}
		switch key {
		case "topics":
			topics = v
		case "transactionalId":
			txn = v
		case "idempotent":
			idem = v
		}
	})
	if d := p.deref(n); d == nil || d.Kind != yaml.MappingNode {
		return
	}
	if topics == nil {
		p.errorf(n, "producer needs topics: e.g. producer: {topics: [user.signed-up]}")
	}
	emit := func(it *yaml.Node, rt, name, pat string, ops ...string) {
		if !add {
			return
		}
		for _, op := range ops {
			a := base
			a.Permission, a.Operation, a.From = Allow, op, "producer"
			a.ResourceType, a.ResourceName, a.Pattern = rt, name, pat
			p.addACL(set, it, a)
		}
	}
	if topics != nil {
		for _, it := range p.names(topics, "producer.topics") {
			name, pat := patternName(it.Value)
			emit(it, ResourceTopic, name, pat, "write", "describe")
		}
	}
	if txn != nil {
		for _, it := range p.names(txn, "producer.transactionalId") {
			name, pat := patternName(it.Value)
			emit(it, ResourceTransactionalID, name, pat, "write", "describe")
		}
	}
	if idem != nil {
		d := p.deref(idem)
		if d == nil || d.Kind != yaml.ScalarNode || d.Tag != "!!bool" {
			p.errorf(idem, "producer.idempotent must be true or false")
		} else if d.Value == "true" {
			emit(d, ResourceCluster, ClusterResourceName, PatternLiteral, "idempotentWrite")
		}
	}
}

func (p *parser) consumer(set *aclSet, base ACL, n *yaml.Node, add bool) {
	var topics, group *yaml.Node
	p.mapping(n, "consumer", consumerKeys, func(key string, k, v *yaml.Node) {
		if v == nil {
			v = k
		}
		switch key {
		case "topics":
			topics = v
		case "group":
			group = v
		}
	})
	if d := p.deref(n); d == nil || d.Kind != yaml.MappingNode {
		return
	}
	if topics == nil || group == nil {
		p.errorf(n, "consumer needs topics and group: e.g. consumer: {topics: [user.signed-up], group: email-service}")
	}
	emit := func(it *yaml.Node, rt string, ops ...string) {
		if !add {
			return
		}
		name, pat := patternName(it.Value)
		for _, op := range ops {
			a := base
			a.Permission, a.Operation, a.From = Allow, op, "consumer"
			a.ResourceType, a.ResourceName, a.Pattern = rt, name, pat
			p.addACL(set, it, a)
		}
	}
	if topics != nil {
		for _, it := range p.names(topics, "consumer.topics") {
			emit(it, ResourceTopic, "read", "describe")
		}
	}
	if group != nil {
		for _, it := range p.names(group, "consumer.group") {
			emit(it, ResourceGroup, "read")
		}
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

func (p *parser) parseQuotas(f *File, n *yaml.Node) {
	seen := map[string]int{}
	known := quotaKeys()
	for _, item := range p.seq(n, "quotas") {
		q := Quota{Values: map[string]float64{}, Pos: p.pos(item)}
		var userNode, defaultNode *yaml.Node
		bad := false
		ok := p.mapping(item, "a quota", known, func(key string, _, v *yaml.Node) {
			switch key {
			case "user":
				userNode = v
				if s, ok := p.str(v, "quota user"); ok {
					if s == "" {
						p.errorf(v, "quota user is empty: name a user, or use default: true for every user")
						return
					}
					q.Entity.User = s
				}
			case "clientId":
				if s, ok := p.str(v, "quota clientId"); ok {
					if s == "" {
						p.errorf(v, "quota clientId is empty: name a client ID")
						return
					}
					q.Entity.ClientID = s
				}
			case "default":
				defaultNode = v
				d := p.deref(v)
				if d == nil || d.Kind != yaml.ScalarNode || d.Tag != "!!bool" {
					p.errorf(v, "default must be true or false")
					return
				}
				q.Entity.DefaultUser = d.Value == "true"
			default:
				x, ok := p.quotaValue(v, key)
				if ok {
					q.Values[QuotaKeys[key]] = x
				} else {
					bad = true
				}
			}
		})
		if !ok {
			continue
		}
		if userNode != nil && q.Entity.DefaultUser {
			p.errorf(defaultNode, "a quota has user: or default: true (every user), not both")
			continue
		}
		if q.Entity.String() == "" {
			p.errorf(item, "a quota needs user: NAME, clientId: ID or default: true (every user)")
			continue
		}
		if len(q.Values) == 0 && !bad {
			p.errorf(item, "quota for %s sets nothing: add consumerByteRate, producerByteRate, requestPercentage or controllerMutationRate", q.Entity)
			continue
		}
		key := q.Entity.String()
		if line, dup := seen[key]; dup {
			p.errorf(item, "duplicate quota for %s (first declared at line %d)", key, line)
			continue
		}
		seen[key] = q.Pos.Line
		f.Quotas = append(f.Quotas, q)
	}
}

func (p *parser) quotaValue(n *yaml.Node, key string) (float64, bool) {
	d := p.deref(n)
	if d == nil || d.Kind != yaml.ScalarNode || d.Tag == "!!null" {
		p.errorf(n, "%s must be a value", key)
		return 0, false
	}
	if strings.HasSuffix(key, "ByteRate") {
		b, err := ParseSizeBytes(d.Value)
		if err != nil {
			p.errorf(d, "%s (bytes per second): %v", key, err)
			return 0, false
		}
		if b <= 0 {
			p.errorf(d, "%s must be above 0 bytes per second, got %s", key, d.Value)
			return 0, false
		}
		return float64(b), true
	}
	x, err := strconv.ParseFloat(strings.TrimSpace(d.Value), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x <= 0 {
		p.errorf(d, "%s must be a number above 0, got %q", key, d.Value)
		return 0, false
	}
	return x, true
}
