package topology

import (
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
