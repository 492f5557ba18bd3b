package provision

import (
	"context"

	"github.com/kctl/kctl/internal/platform/observe"
	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// AccessState is what ObserveAccess saw: the cluster's ACLs, SCRAM
// credentials and client quotas. A nil slice or map means that part was not
// read (the file has no such section).
type AccessState struct {
	// ACLs are every ACL on the cluster, sorted (nil: not read).
	ACLs []topology.ACL `json:"acls" yaml:"acls"`
	// Users maps a user name to its SCRAM mechanisms and their iterations
	// (nil: not read).
	Users map[string]map[string]int32 `json:"users" yaml:"users"`
	// Quotas are the user and client-id quotas, sorted by entity (nil: not
	// read). Entities with an ip component are left out: kctl does not
	// manage them.
	Quotas []topology.Quota `json:"quotas" yaml:"quotas"`
}

// What ObserveAccess reads.
const (
	ReadACLs   = 1 << iota // DescribeAcls
	ReadUsers              // DescribeUserScramCredentials
	ReadQuotas             // DescribeClientQuotas
	ReadAll    = ReadACLs | ReadUsers | ReadQuotas
)

// AccessParts returns what the file's access sections need read: ACLs for
// acls:, users for users:, quotas for quotas:; managedPrincipals alone reads
// everything (they are pruned across all three).
func AccessParts(f *topology.File) int {
	parts := 0
	if f.Declares(topology.SectionACLs) {
		parts |= ReadACLs
	}
	if f.Declares(topology.SectionUsers) {
		parts |= ReadUsers
	}
	if f.Declares(topology.SectionQuotas) {
		parts |= ReadQuotas
	}
	return parts
}

// ObserveAccess reads the parts of the cluster's access that parts names,
// in one request each: DescribeAcls, DescribeUserScramCredentials,
// DescribeClientQuotas. It returns an error naming the request and the fix
// when one fails (not authorized, or no authorizer on the cluster).
func ObserveAccess(ctx context.Context, cl kmsg.Requestor, parts int) (*AccessState, error) {
	st := &AccessState{}
	if parts&ReadACLs != 0 {
		acls, err := observe.DescribeACLs(ctx, cl)
		if err != nil {
			return nil, err
		}
		st.ACLs = acls
	}
	if parts&ReadUsers != 0 {
		users, err := observe.DescribeSCRAMUsers(ctx, cl)
		if err != nil {
			return nil, err
		}
		st.Users = users
	}
	if parts&ReadQuotas != 0 {
		quotas, err := observe.DescribeQuotas(ctx, cl)
		if err != nil {
			return nil, err
		}
		st.Quotas = quotas
	}
	return st, nil
}

// Declarations returns the observed access as the file declares it, for
// topology.EncodeAccess (`kctl export`): every SCRAM credential as a user
// (no password source: EncodeAccess names an environment variable), the
// ACLs and the quotas, sorted; only the principals keep keeps (nil: all).
func (st *AccessState) Declarations(keep func(principal string) bool) ([]topology.User, []topology.ACL, []topology.Quota) {
	if keep == nil {
		keep = func(string) bool { return true }
	}
	var users []topology.User
	for _, name := range sortedKeys(st.Users) {
		if !keep("User:" + name) {
			continue
		}
		for _, m := range sortedKeys(st.Users[name]) {
			users = append(users, topology.User{Name: name, Mechanism: m, Iterations: st.Users[name][m]})
		}
	}
	var acls []topology.ACL
	for _, a := range st.ACLs {
		if keep(a.Principal) {
			acls = append(acls, a)
		}
	}
	var quotas []topology.Quota
	for _, q := range st.Quotas {
		if q.Entity.User == "" || keep("User:"+q.Entity.User) {
			quotas = append(quotas, q)
		}
	}
	return users, acls, quotas
}
