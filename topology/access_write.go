package topology

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// PasswordEnvName is the environment variable an exported user's
// passwordFrom names: KCTL_PASSWORD_ and the user name in upper case with
// every other character than A-Z and 0-9 as '_' ("email-service" →
// KCTL_PASSWORD_EMAIL_SERVICE). A cluster never gives a password back.
func PasswordEnvName(user string) string {
	var b strings.Builder
	b.WriteString("KCTL_PASSWORD_")
	for _, r := range strings.ToUpper(user) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// EncodeAccess returns the users:, acls: and quotas: sections (each only
// when it has entries) that declare exactly users, acls and quotas, as a
// topics.yaml fragment to append to a file (what `kctl export` writes for
// a cluster's access). ACLs that producer: and consumer: shorthands expand
// to exactly are written with them; the others of one principal, host,
// permission and resource share one long-form entry; user passwords come from
// PasswordEnvName. Parsing the result gives back the same ACLs (by Key),
// users and quotas. It returns an error only if YAML encoding fails.
func EncodeAccess(users []User, acls []ACL, quotas []Quota) ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	root.Content = SpecAccess{Users: users, ACLs: acls, Quotas: quotas}.nodes()
	if len(root.Content) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("encode access sections: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode access sections: %w", err)
	}
	return buf.Bytes(), nil
}

// SpecAccess is the access a Spec declares (what `kctl export` read from
// a cluster), written as EncodeAccess writes it.
type SpecAccess struct {
	// ManagedPrincipals become managedPrincipals: (written when set).
	ManagedPrincipals []string
	Users             []User
	ACLs              []ACL
	Quotas            []Quota
	// Comments are written above the section they are keyed by
	// (SectionUsers, SectionACLs, SectionQuotas, SectionManagedPrincipals),
	// one "# " line per line.
	Comments map[string]string
}

// key returns the key node of section, with its comment.
func (a SpecAccess) key(section string) *yaml.Node {
	k := str(section)
	if c := a.Comments[section]; c != "" {
		k.HeadComment = comment(c)
	}
	return k
}

// nodes returns the key and value nodes of the users:, acls: and quotas:
// sections, each only when it has entries.
func (a SpecAccess) nodes() []*yaml.Node {
	var out []*yaml.Node
	add := func(section string, items *yaml.Node) {
		if len(items.Content) > 0 {
			out = append(out, a.key(section), items)
		}
	}
	add(SectionUsers, encodeUsers(a.Users))
	add(SectionACLs, encodeACLs(a.ACLs))
	add(SectionQuotas, encodeQuotas(a.Quotas))
	return out
}

func num(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

func flow(pairs ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Content: pairs}
}

func encodeUsers(users []User) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, u := range users {
		pw := u.PasswordFrom
		if pw.Env == "" && pw.File == "" {
			pw.Env = PasswordEnvName(u.Name)
		}
		from := flow(str("env"), str(pw.Env))
		if pw.Env == "" {
			from = flow(str("file"), str(pw.File))
		}
		m := flow(str("name"), str(u.Name), str("mechanism"), str(strings.ToLower(u.Mechanism)))
		if u.Iterations != 0 && u.Iterations != DefaultScramIterations {
			m.Content = append(m.Content, str("iterations"), num(strconv.Itoa(int(u.Iterations))))
		}
		m.Content = append(m.Content, str("passwordFrom"), from)
		seq.Content = append(seq.Content, m)
	}
	return seq
}

// encodeACLs writes acls grouped per principal and host: the ACLs that a
// producer: or consumer: shorthand expands to exactly (allows only, names
// a shorthand can spell) as one entry with the shorthands, the rest in the
// long form, one entry per permission and resource.
func encodeACLs(acls []ACL) *yaml.Node {
	type group struct {
		a   ACL
		ops []string
	}
	var order []string
	groups := map[string]*group{}
	for _, a := range acls {
		k := strings.Join([]string{a.Principal, a.Host, a.Permission, a.ResourceType, a.Pattern, a.ResourceName}, "\x00")
		g := groups[k]
		if g == nil {
			g = &group{a: a}
			groups[k] = g
			order = append(order, k)
		}
		g.ops = append(g.ops, a.Operation)
	}
	// The shorthands of each principal and host, and the groups they take.
	short := map[string]*shorthand{}
	taken := map[string]bool{}
	for _, k := range order {
		g := groups[k]
		who := g.a.Principal + "\x00" + g.a.Host
		if short[who] == nil {
			short[who] = &shorthand{}
		}
		short[who].offer(k, g.a, g.ops)
	}
	for _, sh := range short {
		for _, k := range sh.keys() {
			taken[k] = true
		}
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	written := map[string]bool{}
	for _, k := range order {
		g := groups[k]
		who := g.a.Principal + "\x00" + g.a.Host
		if sh := short[who]; !written[who] && len(sh.keys()) > 0 {
			written[who] = true
			m := &yaml.Node{Kind: yaml.MappingNode}
			m.Content = append(m.Content, str("principal"), str(g.a.Principal))
			if g.a.Host != "*" && g.a.Host != "" {
				m.Content = append(m.Content, str("host"), str(g.a.Host))
			}
			m.Content = append(m.Content, sh.nodes()...)
			seq.Content = append(seq.Content, m)
		}
		if taken[k] {
			continue
		}
		m := &yaml.Node{Kind: yaml.MappingNode}
		m.Content = append(m.Content, str("principal"), str(g.a.Principal))
		if g.a.Host != "*" && g.a.Host != "" {
			m.Content = append(m.Content, str("host"), str(g.a.Host))
		}
		ops := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, op := range g.ops {
			ops.Content = append(ops.Content, str(op))
		}
		m.Content = append(m.Content, str(g.a.Permission), ops)
		res := flow(str("type"), str(g.a.ResourceType))
		if g.a.ResourceType != ResourceCluster {
			res.Content = append(res.Content, str("name"), str(g.a.ResourceName))
		}
		if g.a.Pattern == PatternPrefixed {
			res.Content = append(res.Content, str("pattern"), str(PatternPrefixed))
		}
		m.Content = append(m.Content, str("resource"), res)
		seq.Content = append(seq.Content, m)
	}
	return seq
}

// shorthand collects, for one principal and host, the ACL groups a
// producer: or consumer: shorthand expands to exactly.
type shorthand struct {
	// producer: topics and transactional IDs with exactly write and
	// describe; idempotent: idempotentWrite alone on the cluster.
	prodTopics, prodTxn []string
	prodKeys            []string
	idemKey             string
	// consumer: topics with exactly read and describe, groups with read
	// alone (used only when it has both).
	consTopics, consGroups []string
	consKeys               []string
}

// offer adds the group of ACLs key (a's resource, operations ops) when a
// shorthand expands to exactly it.
func (s *shorthand) offer(key string, a ACL, ops []string) {
	name, ok := shorthandName(a)
	if a.Permission != Allow || !ok {
		return
	}
	set := strings.Join(slices.Sorted(slices.Values(ops)), ",")
	switch {
	case a.ResourceType == ResourceTopic && set == "describe,write":
		s.prodTopics, s.prodKeys = append(s.prodTopics, name), append(s.prodKeys, key)
	case a.ResourceType == ResourceTransactionalID && set == "describe,write":
		s.prodTxn, s.prodKeys = append(s.prodTxn, name), append(s.prodKeys, key)
	case a.ResourceType == ResourceCluster && set == "idempotentWrite":
		s.idemKey = key
	case a.ResourceType == ResourceTopic && set == "describe,read":
		s.consTopics, s.consKeys = append(s.consTopics, name), append(s.consKeys, key)
	case a.ResourceType == ResourceGroup && set == "read":
		s.consGroups, s.consKeys = append(s.consGroups, name), append(s.consKeys, key)
	}
}

func (s *shorthand) producer() bool { return len(s.prodTopics) > 0 }
func (s *shorthand) consumer() bool { return len(s.consTopics) > 0 && len(s.consGroups) > 0 }

// keys returns the groups the shorthands take.
func (s *shorthand) keys() []string {
	var out []string
	if s.consumer() {
		out = append(out, s.consKeys...)
	}
	if s.producer() {
		out = append(out, s.prodKeys...)
		if s.idemKey != "" {
			out = append(out, s.idemKey)
		}
	}
	return out
}

// nodes returns the consumer: and producer: keys and values.
func (s *shorthand) nodes() []*yaml.Node {
	var out []*yaml.Node
	if s.consumer() {
		g := str(s.consGroups[0])
		if len(s.consGroups) > 1 {
			g = flowList(s.consGroups)
		}
		out = append(out, str("consumer"), flow(str("topics"), flowList(s.consTopics), str("group"), g))
	}
	if s.producer() {
		p := flow(str("topics"), flowList(s.prodTopics))
		if len(s.prodTxn) > 0 {
			p.Content = append(p.Content, str("transactionalId"), flowList(s.prodTxn))
		}
		if s.idemKey != "" {
			p.Content = append(p.Content, str("idempotent"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
		}
		out = append(out, str("producer"), p)
	}
	return out
}

// shorthandName returns how a shorthand names a's resource ("name",
// "prefix*", "*"); ok is false when it cannot (a literal name ending in
// '*' would read as a prefix, an empty name or prefix).
func shorthandName(a ACL) (string, bool) {
	switch {
	case a.ResourceType == ResourceCluster:
		return ClusterResourceName, true
	case a.ResourceName == "":
		return "", false
	case a.Pattern == PatternPrefixed:
		return a.ResourceName + "*", a.ResourceName != "*"
	case a.Pattern == PatternLiteral && a.ResourceName != "*" && strings.HasSuffix(a.ResourceName, "*"):
		return "", false
	case a.Pattern == PatternLiteral:
		return a.ResourceName, true
	}
	return "", false
}

func encodeQuotas(quotas []Quota) *yaml.Node {
	fileKey := map[string]string{}
	for k, v := range QuotaKeys {
		fileKey[v] = k
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, q := range quotas {
		m := flow()
		switch {
		case q.Entity.DefaultUser:
			m.Content = append(m.Content, str("default"), num("true"))
		case q.Entity.User != "":
			m.Content = append(m.Content, str("user"), str(q.Entity.User))
		}
		if q.Entity.ClientID != "" {
			m.Content = append(m.Content, str("clientId"), str(q.Entity.ClientID))
		}
		for _, k := range SortedQuotaKeys(q.Values) {
			fk, known := fileKey[k]
			if !known {
				continue // a key kctl does not manage
			}
			v := strconv.FormatFloat(q.Values[k], 'f', -1, 64)
			if strings.HasSuffix(fk, "ByteRate") {
				if h := Humanize("retention.bytes", v); h != "" {
					v = h
				}
			}
			m.Content = append(m.Content, str(fk), num(v))
		}
		seq.Content = append(seq.Content, m)
	}
	return seq
}
