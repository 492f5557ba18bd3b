package topology

import (
	"bytes"
	"fmt"
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
// a cluster's access). ACLs of one principal, host, permission and
// resource share one long-form entry; user passwords come from
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
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, k := range order {
		g := groups[k]
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
