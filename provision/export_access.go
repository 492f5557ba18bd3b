package provision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/kctl/kctl/internal/platform/observe"
	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// AccessExport is what `kctl export` made of the cluster's access: the
// users:, acls: and quotas: sections it wrote (in Export.Spec.Access), and
// what the operator must know about them.
type AccessExport struct {
	Users  int `json:"users" yaml:"users"`
	ACLs   int `json:"acls" yaml:"acls"`
	Quotas int `json:"quotas" yaml:"quotas"`
	// ManagedPrincipals are the principals written to managedPrincipals:
	// those with ACLs or quotas but no SCRAM credential, when every part
	// was read and nothing of theirs was left out.
	ManagedPrincipals []string `json:"managedPrincipals" yaml:"managedPrincipals"`
	// PasswordEnvs are the environment variables the exported users'
	// passwordFrom names, in user order (a cluster never gives a password
	// back).
	PasswordEnvs []string `json:"passwordEnvs" yaml:"passwordEnvs"`
	// Skipped are the parts the cluster does not have (DescribeAcls
	// answered SECURITY_DISABLED: no authorizer): not exported, not an
	// error.
	Skipped []AccessPart `json:"skipped" yaml:"skipped"`
	// Failed are the parts that could not be read: the file lacks them.
	Failed []AccessPart `json:"failed" yaml:"failed"`
	// LeftOut are entries the file cannot declare (a principal that is not
	// User:name, a resource type or operation kctl does not manage, a
	// quota key it does not manage), each with why.
	LeftOut []AccessLeftOut `json:"leftOut" yaml:"leftOut"`
}

// AccessPart is one of acls, users, quotas that was not exported, and why.
type AccessPart struct {
	Part  string `json:"part" yaml:"part"` // topology.SectionACLs, SectionUsers, SectionQuotas
	Error string `json:"error" yaml:"error"`
}

// AccessLeftOut is an ACL, credential or quota value the file cannot
// declare.
type AccessLeftOut struct {
	Kind string `json:"kind" yaml:"kind"` // KindACL, KindUser, KindQuota
	Name string `json:"name" yaml:"name"`
	Why  string `json:"why" yaml:"why"`
	// Pruned: its principal is a user the file declares, so kctl apply
	// --prune with the file would delete it.
	Pruned    bool `json:"prunedWithFile" yaml:"prunedWithFile"`
	principal string
}

// accessRead is the cluster's access as three concurrent requests read it.
type accessRead struct {
	st                       AccessState
	aclErr, userErr, quotErr error
}

// readAccess reads the cluster's ACLs, SCRAM credentials and client quotas
// with one request each, the three at once; each part's error is kept.
func readAccess(ctx context.Context, cl kmsg.Requestor) *accessRead {
	r := &accessRead{}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); r.st.ACLs, r.aclErr = observe.DescribeACLs(ctx, cl) }()
	go func() { defer wg.Done(); r.st.Users, r.userErr = observe.DescribeSCRAMUsers(ctx, cl) }()
	go func() { defer wg.Done(); r.st.Quotas, r.quotErr = observe.DescribeQuotas(ctx, cl) }()
	wg.Wait()
	return r
}

// exportAccess turns what readAccess read into the spec's access sections
// (the ACLs, written by topology as shorthands where exact; users with an
// environment variable for their password; the quota keys kctl manages)
// and the AccessExport that explains them. A cluster without an authorizer
// has its ACLs skipped; a part that failed otherwise is in Failed.
func exportAccess(r *accessRead) (topology.SpecAccess, *AccessExport) {
	ax := &AccessExport{ManagedPrincipals: []string{}, PasswordEnvs: []string{}, Skipped: []AccessPart{}, Failed: []AccessPart{}, LeftOut: []AccessLeftOut{}}
	part := func(name string, err error) {
		switch {
		case err == nil:
		case name == topology.SectionACLs && errors.Is(err, kerr.SecurityDisabled):
			ax.Skipped = append(ax.Skipped, AccessPart{Part: name, Error: "the cluster has no authorizer (DescribeAcls: SECURITY_DISABLED), so it has no ACLs"})
		default:
			ax.Failed = append(ax.Failed, AccessPart{Part: name, Error: err.Error()})
		}
	}
	part(topology.SectionACLs, r.aclErr)
	part(topology.SectionUsers, r.userErr)
	part(topology.SectionQuotas, r.quotErr)

	users, acls, quotas := r.st.Declarations(nil)
	var sa topology.SpecAccess
	// A principal with an entry left out cannot be managed: --prune with
	// the file would delete what it does not declare.
	partial := map[string]bool{}
	for _, a := range acls {
		if why := aclNotDeclarable(a); why != "" {
			ax.LeftOut = append(ax.LeftOut, AccessLeftOut{Kind: KindACL, Name: a.String(), Why: why, principal: a.Principal})
			partial[a.Principal] = true
			continue
		}
		sa.ACLs = append(sa.ACLs, a)
	}
	for _, u := range users {
		if u.Name == "" || strings.ContainsAny(u.Name, ", =") {
			ax.LeftOut = append(ax.LeftOut, AccessLeftOut{Kind: KindUser, Name: fmt.Sprintf("%q (%s)", u.Name, u.Mechanism),
				Why: "topics.yaml takes user names without spaces, ',' or '='", principal: u.Principal()})
			partial[u.Principal()] = true
			continue
		}
		u.PasswordFrom = topology.PasswordSource{Env: topology.PasswordEnvName(u.Name)}
		sa.Users = append(sa.Users, u)
		if !slices.Contains(ax.PasswordEnvs, u.PasswordFrom.Env) {
			ax.PasswordEnvs = append(ax.PasswordEnvs, u.PasswordFrom.Env)
		}
	}
	known := map[string]bool{}
	for _, k := range topology.QuotaKeys {
		known[k] = true
	}
	for _, q := range quotas {
		kept := topology.Quota{Entity: q.Entity, Values: map[string]float64{}}
		for _, k := range topology.SortedQuotaKeys(q.Values) {
			if !known[k] {
				ax.LeftOut = append(ax.LeftOut, AccessLeftOut{Kind: KindQuota, Name: q.Entity.String(),
					Why: fmt.Sprintf("%s = %s is a quota kctl does not manage", k, strconv.FormatFloat(q.Values[k], 'f', -1, 64)), principal: "User:" + q.Entity.User})
				if q.Entity.User != "" {
					partial["User:"+q.Entity.User] = true
				}
				continue
			}
			kept.Values[k] = q.Values[k]
		}
		if len(kept.Values) > 0 {
			sa.Quotas = append(sa.Quotas, kept)
		}
	}
	ax.Users, ax.ACLs, ax.Quotas = len(sa.Users), len(sa.ACLs), len(sa.Quotas)
	for i, l := range ax.LeftOut {
		for _, u := range sa.Users {
			if u.Principal() == l.principal {
				ax.LeftOut[i].Pruned = true
			}
		}
	}

	// managedPrincipals: only when every part was read (it makes plan read
	// all three), for the principals whose access the file holds whole.
	if len(ax.Skipped) == 0 && len(ax.Failed) == 0 {
		ax.ManagedPrincipals = managedPrincipals(sa, partial)
	}
	sa.ManagedPrincipals = ax.ManagedPrincipals

	sa.Comments = accessComments(sa)
	return sa, ax
}

// managedPrincipals returns the principals whose access sa holds whole:
// those of its ACLs and quotas that are not declared users (managed as
// users) and had nothing left out (partial).
func managedPrincipals(sa topology.SpecAccess, partial map[string]bool) []string {
	managed := []string{}
	declared := map[string]bool{}
	for _, u := range sa.Users {
		declared[u.Principal()] = true
	}
	var principals []string
	for _, a := range sa.ACLs {
		principals = append(principals, a.Principal)
	}
	for _, q := range sa.Quotas {
		if q.Entity.User != "" {
			principals = append(principals, "User:"+q.Entity.User)
		}
	}
	slices.Sort(principals)
	for _, p := range slices.Compact(principals) {
		if !declared[p] && !partial[p] {
			managed = append(managed, p)
		}
	}
	return managed
}

// accessComments returns the comments of the access sections sa has.
func accessComments(sa topology.SpecAccess) map[string]string {
	comments := map[string]string{}
	if len(sa.Users) > 0 {
		comments[topology.SectionUsers] = "kctl cannot read passwords: a cluster never gives them back. Each user's password comes from\n" +
			"the environment variable its passwordFrom names (or point it at a file: passwordFrom: {file: PATH}).\n" +
			"kctl apply reads it only to create a user or with --rotate-passwords; users that exist need none."
	}
	if len(sa.ACLs) > 0 {
		comments[topology.SectionACLs] = "The cluster's ACLs: producer:/consumer: where they expand to exactly a principal's ACLs,\n" +
			"the others in the long form, one entry per principal, host, permission and resource."
	}
	if len(sa.ManagedPrincipals) > 0 {
		comments[topology.SectionManagedPrincipals] = "Principals whose ACLs and quotas this file declares whole, like the users below:\n" +
			"kctl apply --prune deletes what the cluster has for them and the file does not declare."
	}
	return comments
}

// aclNotDeclarable returns why topics.yaml cannot declare a ("" when it
// can).
func aclNotDeclarable(a topology.ACL) string {
	switch {
	case !strings.HasPrefix(a.Principal, "User:") || a.Principal == "User:" || strings.TrimSpace(a.Principal) != a.Principal:
		return fmt.Sprintf("principal %q is not User:<name>, the only kind kctl manages", a.Principal)
	case !slices.Contains(topology.ResourceTypes, a.ResourceType):
		return fmt.Sprintf("resource type %q is not one kctl manages (%s)", a.ResourceType, strings.Join(topology.ResourceTypes, ", "))
	case a.Pattern != topology.PatternLiteral && a.Pattern != topology.PatternPrefixed:
		return fmt.Sprintf("resource pattern %q is neither literal nor prefixed", a.Pattern)
	case a.Permission != topology.Allow && a.Permission != topology.Deny:
		return fmt.Sprintf("permission %q is neither allow nor deny", a.Permission)
	case !slices.Contains(topology.ValidOperations(a.ResourceType), a.Operation):
		return fmt.Sprintf("operation %q on a %s is not one kctl manages", a.Operation, a.ResourceType)
	case a.ResourceType != topology.ResourceCluster && a.ResourceName == "":
		return "its resource name is empty"
	case a.Pattern == topology.PatternPrefixed && a.ResourceName == "*":
		return "a prefixed resource named \"*\" (topics.yaml refuses it as ambiguous)"
	}
	return ""
}

// accessComment is the exported file's header line about access.
func accessComment(ax *AccessExport) string {
	c := fmt.Sprintf("Access: %s, %s and %s", countWord(ax.Users, "SCRAM user", "SCRAM users"),
		countWord(ax.ACLs, "ACL", "ACLs"), countWord(ax.Quotas, "client quota", "client quotas"))
	for _, s := range ax.Skipped {
		c += fmt.Sprintf("; %s not exported: %s", s.Part, s.Error)
	}
	for _, f := range ax.Failed {
		c += fmt.Sprintf("; %s could not be read (%s)", f.Part, f.Error)
	}
	if n := len(ax.LeftOut); n > 0 {
		c += fmt.Sprintf("; %s kctl cannot declare left out (kctl export lists them)", countWord(n, "entry", "entries"))
	}
	return c + "."
}
