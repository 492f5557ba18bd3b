package provision

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kctl/kctl/internal/platform/observe"
	"github.com/kctl/kctl/topology"
)

// Kinds of access change.
const (
	KindACL   = "acl"
	KindUser  = "user"
	KindQuota = "quota"
)

// AccessChange is one change to the cluster's access: an ACL created or
// deleted, a SCRAM credential set or deleted, a quota set or removed.
type AccessChange struct {
	Action Action `json:"action" yaml:"action"`
	Kind   string `json:"kind" yaml:"kind"` // acl | user | quota
	// Name is what the change is about, as the plan prints it: the ACL in
	// one line, "email-service (SCRAM-SHA-256)", "user=email-service".
	Name  string        `json:"name" yaml:"name"`
	ACL   *topology.ACL `json:"acl,omitempty" yaml:"acl,omitempty"`
	User  *UserChange   `json:"user,omitempty" yaml:"user,omitempty"`
	Quota *QuotaChange  `json:"quota,omitempty" yaml:"quota,omitempty"`
	// Reasons say why a change is refused.
	Reasons []string `json:"reasons,omitempty" yaml:"reasons,omitempty"`
}

// UserChange is a SCRAM credential set (create, update) or deleted.
type UserChange struct {
	Name      string `json:"name" yaml:"name"`
	Mechanism string `json:"mechanism" yaml:"mechanism"`
	// Iterations From is 0 for a new credential; nil for a delete.
	Iterations *Count `json:"iterations,omitempty" yaml:"iterations,omitempty"`
	// PasswordFrom is where apply reads the password (not for a delete).
	PasswordFrom *topology.PasswordSource `json:"passwordFrom,omitempty" yaml:"passwordFrom,omitempty"`
	// Why says why the password is (re)set: new, rotate, iterations.
	Why string `json:"why,omitempty" yaml:"why,omitempty"`
}

// Why a credential is set.
const (
	WhyNew        = "new"
	WhyRotate     = "rotate"
	WhyIterations = "iterations"
)

// QuotaChange is a quota entity's values set or removed; New nil removes a
// value.
type QuotaChange struct {
	Entity topology.QuotaEntity `json:"entity" yaml:"entity"`
	Values []QuotaValue         `json:"values" yaml:"values"`
}

// QuotaValue is one quota key before and after (nil: not set / removed).
type QuotaValue struct {
	Key string   `json:"key" yaml:"key"`
	Old *float64 `json:"old" yaml:"old"`
	New *float64 `json:"new" yaml:"new"`
}

// selfNeeds are the operations kctl's own principal needs on the cluster
// and on topics to observe and apply.
var selfNeeds = []string{"all", "alter", "alterConfigs", "describe", "describeConfigs", "create", "delete"}

// touchesSelf reports whether a grants (or, for a deny, takes away) a
// right kctl's own principal self needs to apply file: one of selfNeeds on
// the cluster, or on topics the file declares or manages (a wildcard or a
// prefix covering them included).
func touchesSelf(file *topology.File, a topology.ACL, self string) bool {
	if self == "" || (a.Principal != self && a.Principal != "User:*") || !slices.Contains(selfNeeds, a.Operation) {
		return false
	}
	switch a.ResourceType {
	case topology.ResourceCluster:
		return true
	case topology.ResourceTopic:
		return a.ResourceName == "*" || (a.Pattern == topology.PatternPrefixed && a.ResourceName == "") || file.CoversTopic(a.ResourceName, a.Pattern)
	}
	return false
}

// diffAccess adds the access changes to p: what the file's users, acls and
// quotas sections need, and with --prune the deletes of managed
// principals' undeclared ACLs, credentials and quotas. It does no I/O.
func diffAccess(file *topology.File, st *AccessState, opts Options, p *Plan) {
	if st == nil || !file.HasAccess() {
		return
	}
	p.AccessManaged = true
	p.ACLs, p.Users, p.Quotas = len(file.ACLs), len(file.Users), len(file.Quotas)
	for _, sec := range []string{topology.SectionACLs, topology.SectionUsers, topology.SectionQuotas} {
		if file.Declares(sec) {
			p.sections = append(p.sections, sec)
		}
	}
	var unpruned []string
	managed := file.ManagedPrincipalSet()
	if st.ACLs != nil {
		unpruned = append(unpruned, diffACLs(file, managed, st.ACLs, opts, p)...)
	}
	if st.Users != nil {
		unpruned = append(unpruned, diffUsers(file, managed, st.Users, opts, p)...)
	}
	if st.Quotas != nil {
		unpruned = append(unpruned, diffQuotas(file, managed, st.Quotas, opts, p)...)
	}
	if len(unpruned) > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("the cluster has %s of principals this file manages that the file does not declare; --prune would delete them",
			strings.Join(unpruned, ", ")))
	}
}

func diffACLs(file *topology.File, managed map[string]bool, have []topology.ACL, opts Options, p *Plan) []string {
	current := make(map[string]bool, len(have))
	for _, a := range have {
		current[a.Key()] = true
	}
	declared := make(map[string]bool, len(file.ACLs))
	for _, a := range file.ACLs {
		declared[a.Key()] = true
		if current[a.Key()] {
			continue
		}
		c := AccessChange{Action: Create, Kind: KindACL, Name: a.String(), ACL: new(a)}
		if a.Permission == topology.Deny && touchesSelf(file, a, opts.Self) {
			c.Action = Refused
			c.Reasons = append(c.Reasons, fmt.Sprintf("this deny would take from %s, the principal kctl connects as, a right it needs to apply (%s on %s): deny it to other principals, or apply connected as another one",
				opts.Self, a.Operation, a.Resource()))
		}
		p.Access = append(p.Access, c)
	}
	var extra []topology.ACL
	for _, a := range have {
		if !declared[a.Key()] && managed[a.Principal] {
			extra = append(extra, a)
		}
	}
	observe.SortACLs(extra)
	if !opts.Prune {
		if len(extra) > 0 {
			return []string{countWord(len(extra), "ACL", "ACLs")}
		}
		return nil
	}
	for _, a := range extra {
		c := AccessChange{Action: Delete, Kind: KindACL, Name: a.String(), ACL: new(a)}
		if a.Permission == topology.Allow && touchesSelf(file, a, opts.Self) {
			c.Action = Refused
			c.Reasons = append(c.Reasons, fmt.Sprintf("kctl connects as %s and needs %s on %s to apply: it is never stripped of it; declare this ACL in the file, or remove it by hand connected as another principal",
				opts.Self, a.Operation, a.Resource()))
		}
		p.Access = append(p.Access, c)
	}
	return nil
}

func diffUsers(file *topology.File, managed map[string]bool, have map[string]map[string]int32, opts Options, p *Plan) []string {
	declared := map[string]bool{}
	for _, u := range file.Users {
		declared[u.Name+"/"+u.Mechanism] = true
		src := u.PasswordFrom
		uc := &UserChange{Name: u.Name, Mechanism: u.Mechanism, PasswordFrom: &src}
		c := AccessChange{Kind: KindUser, Name: fmt.Sprintf("%s (%s)", u.Name, u.Mechanism), User: uc}
		iters, exists := have[u.Name][u.Mechanism]
		switch {
		case !exists:
			c.Action, uc.Why, uc.Iterations = Create, WhyNew, &Count{0, u.Iterations}
		case iters != u.Iterations:
			c.Action, uc.Why, uc.Iterations = Update, WhyIterations, &Count{iters, u.Iterations}
		case opts.RotatePasswords:
			c.Action, uc.Why, uc.Iterations = Update, WhyRotate, &Count{iters, u.Iterations}
		default:
			continue // kctl cannot read a stored password: no churn
		}
		if opts.Self == u.Principal() && c.Action == Update {
			p.Notes = append(p.Notes, fmt.Sprintf("kctl connects as %s, whose %s password this apply re-sets from %s: connect with that password afterwards", u.Name, u.Mechanism, src))
		}
		p.Access = append(p.Access, c)
	}
	var extra []UserChange
	for _, name := range sortedKeys(have) {
		if !managed["User:"+name] {
			continue
		}
		for _, m := range sortedKeys(have[name]) {
			if !declared[name+"/"+m] {
				extra = append(extra, UserChange{Name: name, Mechanism: m})
			}
		}
	}
	if !opts.Prune {
		if len(extra) > 0 {
			return []string{countWord(len(extra), "SCRAM credential", "SCRAM credentials")}
		}
		return nil
	}
	for _, uc := range extra {
		c := AccessChange{Action: Delete, Kind: KindUser, Name: fmt.Sprintf("%s (%s)", uc.Name, uc.Mechanism), User: new(uc)}
		if opts.Self == "User:"+uc.Name {
			c.Action = Refused
			fix := fmt.Sprintf("declare it in users: (name: %s, mechanism: %s)", uc.Name, strings.ToLower(uc.Mechanism))
			if mechs := declaredMechanisms(file, uc.Name); len(mechs) > 0 {
				// The user is declared, with another mechanism only.
				fix = fmt.Sprintf("declare %s for %s too (users: has it with %s only: add an entry with mechanism: %s)",
					uc.Mechanism, uc.Name, strings.Join(mechs, " and "), strings.ToLower(uc.Mechanism))
			}
			c.Reasons = append(c.Reasons, fmt.Sprintf("kctl connects as %s: deleting its %s credential could lock kctl out before the apply ends; %s, or remove it by hand connected as another principal", uc.Name, uc.Mechanism, fix))
		}
		p.Access = append(p.Access, c)
	}
	return nil
}

// declaredMechanisms returns the SCRAM mechanisms the file declares for
// user name, in file order (nil when it does not declare the user).
func declaredMechanisms(file *topology.File, name string) []string {
	var out []string
	for _, u := range file.Users {
		if u.Name == name {
			out = append(out, u.Mechanism)
		}
	}
	return out
}

func diffQuotas(file *topology.File, managed map[string]bool, have []topology.Quota, opts Options, p *Plan) []string {
	current := map[string]topology.Quota{}
	for _, q := range have {
		current[q.Entity.String()] = q
	}
	var extraKeys, extraEntities int
	declared := map[string]bool{}
	for _, q := range file.Quotas {
		key := q.Entity.String()
		declared[key] = true
		cur, exists := current[key]
		qc := &QuotaChange{Entity: q.Entity}
		for _, k := range topology.SortedQuotaKeys(q.Values) {
			want := q.Values[k]
			old, set := cur.Values[k]
			if set && old == want {
				continue
			}
			v := QuotaValue{Key: k, New: new(want)}
			if set {
				v.Old = new(old)
			}
			qc.Values = append(qc.Values, v)
		}
		for _, k := range topology.SortedQuotaKeys(cur.Values) {
			if _, named := q.Values[k]; named {
				continue
			}
			if !opts.Prune {
				extraKeys++
				continue
			}
			qc.Values = append(qc.Values, QuotaValue{Key: k, Old: new(cur.Values[k])})
		}
		if len(qc.Values) == 0 {
			continue
		}
		action := Update
		if !exists {
			action = Create
		}
		p.Access = append(p.Access, AccessChange{Action: action, Kind: KindQuota, Name: key, Quota: qc})
	}
	for _, q := range have {
		key := q.Entity.String()
		if declared[key] || q.Entity.User == "" || !managed["User:"+q.Entity.User] {
			continue
		}
		if !opts.Prune {
			extraEntities++
			continue
		}
		qc := &QuotaChange{Entity: q.Entity}
		for _, k := range topology.SortedQuotaKeys(q.Values) {
			qc.Values = append(qc.Values, QuotaValue{Key: k, Old: new(q.Values[k])})
		}
		p.Access = append(p.Access, AccessChange{Action: Delete, Kind: KindQuota, Name: key, Quota: qc})
	}
	var out []string
	if extraEntities > 0 {
		out = append(out, countWord(extraEntities, "quota", "quotas"))
	}
	if extraKeys > 0 {
		out = append(out, countWord(extraKeys, "quota value", "quota values")+" on declared quotas")
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// limitDeletes refuses every delete of the plan (topics and access) when
// there are more than opts.MaxDeletes of them, naming how many of each.
func limitDeletes(p *Plan, opts Options) {
	counts := map[string]int{}
	total := 0
	for _, c := range p.Changes {
		if c.Action == Delete {
			counts["topic"]++
			total++
		}
	}
	for _, c := range p.Access {
		if c.Action == Delete {
			counts[c.Kind]++
			total++
		}
	}
	if total <= opts.MaxDeletes {
		return
	}
	var parts []string
	for _, k := range []struct{ kind, one, many string }{
		{"topic", "topic", "topics"}, {KindACL, "ACL", "ACLs"}, {KindUser, "SCRAM credential", "SCRAM credentials"}, {KindQuota, "quota", "quotas"},
	} {
		if n := counts[k.kind]; n > 0 {
			parts = append(parts, countWord(n, k.one, k.many))
		}
	}
	what := strings.Join(parts, " and ")
	if len(parts) > 2 {
		what = strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
	reason := fmt.Sprintf("%s would be deleted but --max-deletes is %d; pass --max-deletes %d to allow it", what, opts.MaxDeletes, total)
	for i := range p.Changes {
		if p.Changes[i].Action == Delete {
			p.Changes[i].Action, p.Changes[i].Reasons = Refused, []string{reason}
		}
	}
	for i := range p.Access {
		if p.Access[i].Action == Delete {
			p.Access[i].Action, p.Access[i].Reasons = Refused, []string{reason}
		}
	}
}
