package provision

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kerr"
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
		acls, err := DescribeACLs(ctx, cl)
		if err != nil {
			return nil, err
		}
		st.ACLs = acls
	}
	if parts&ReadUsers != 0 {
		users, err := DescribeSCRAMUsers(ctx, cl)
		if err != nil {
			return nil, err
		}
		st.Users = users
	}
	if parts&ReadQuotas != 0 {
		quotas, err := DescribeQuotas(ctx, cl)
		if err != nil {
			return nil, err
		}
		st.Quotas = quotas
	}
	return st, nil
}

// accessError explains a failed access request; it unwraps to the Kafka
// error (errors.Is(err, kerr.SecurityDisabled) tells a cluster without an
// authorizer).
func accessError(api string, code int16, msg *string) error {
	e := kerr.ErrorForCode(code)
	text := withMessage(e, msg)
	switch {
	case errors.Is(e, kerr.SecurityDisabled):
		return &kafkaError{fmt.Sprintf("%s: the cluster has no authorizer (%s): enable one on the brokers (authorizer.class.name), or remove the acls: section", api, text), e}
	case errors.Is(e, kerr.ClusterAuthorizationFailed):
		return &kafkaError{fmt.Sprintf("%s: not authorized (%s): connect as a principal with the needed rights on the cluster (Describe/Alter, DescribeConfigs/AlterConfigs), e.g. a super user", api, text), e}
	}
	return &kafkaError{fmt.Sprintf("%s: %s", api, text), e}
}

// kafkaError is an explained Kafka error code.
type kafkaError struct {
	msg string
	err error
}

func (e *kafkaError) Error() string { return e.msg }
func (e *kafkaError) Unwrap() error { return e.err }

// DescribeACLs returns every ACL on the cluster, sorted by principal,
// resource and operation. It returns an error when the request or the
// broker fails.
func DescribeACLs(ctx context.Context, cl kmsg.Requestor) ([]topology.ACL, error) {
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType = kmsg.ACLResourceTypeAny
	req.ResourcePatternType = kmsg.ACLResourcePatternTypeAny
	req.Operation = kmsg.ACLOperationAny
	req.PermissionType = kmsg.ACLPermissionTypeAny
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("describe ACLs: %w", err)
	}
	if resp.ErrorCode != 0 {
		return nil, accessError("describe ACLs", resp.ErrorCode, resp.ErrorMessage)
	}
	out := []topology.ACL{}
	for _, r := range resp.Resources {
		for _, a := range r.ACLs {
			out = append(out, topology.ACL{
				Principal:    a.Principal,
				Host:         a.Host,
				Permission:   permissionName(a.PermissionType),
				Operation:    operationName(a.Operation),
				ResourceType: resourceTypeName(r.ResourceType),
				ResourceName: r.ResourceName,
				Pattern:      patternName(r.ResourcePatternType),
			})
		}
	}
	SortACLs(out)
	return out, nil
}

// SortACLs sorts ACLs by principal, resource type, name, pattern,
// permission, operation (in Kafka's order) and host.
func SortACLs(acls []topology.ACL) {
	slices.SortStableFunc(acls, func(a, b topology.ACL) int {
		return cmp.Or(
			strings.Compare(a.Principal, b.Principal),
			strings.Compare(a.ResourceType, b.ResourceType),
			strings.Compare(a.ResourceName, b.ResourceName),
			strings.Compare(a.Pattern, b.Pattern),
			strings.Compare(a.Permission, b.Permission),
			cmp.Compare(opRank(a.Operation), opRank(b.Operation)),
			strings.Compare(a.Operation, b.Operation),
			strings.Compare(a.Host, b.Host),
		)
	})
}

// opRank is an operation's place in Kafka's order (unknown ones last).
func opRank(op string) int {
	if i := slices.Index(topology.Operations, op); i >= 0 {
		return i
	}
	return len(topology.Operations)
}

// DescribeSCRAMUsers returns every SCRAM credential on the cluster: user →
// mechanism → iterations. It returns an error when the request or the
// broker fails.
func DescribeSCRAMUsers(ctx context.Context, cl kmsg.Requestor) (map[string]map[string]int32, error) {
	req := kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()
	req.Users = nil // every user
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("describe SCRAM users: %w", err)
	}
	if resp.ErrorCode != 0 {
		return nil, accessError("describe SCRAM users", resp.ErrorCode, resp.ErrorMessage)
	}
	out := map[string]map[string]int32{}
	for _, r := range resp.Results {
		if r.ErrorCode != 0 {
			if errors.Is(kerr.ErrorForCode(r.ErrorCode), kerr.ResourceNotFound) {
				continue
			}
			return nil, fmt.Errorf("describe SCRAM user %q: %s", r.User, withMessage(kerr.ErrorForCode(r.ErrorCode), r.ErrorMessage))
		}
		for _, ci := range r.CredentialInfos {
			m := mechanismName(ci.Mechanism)
			if m == "" {
				continue
			}
			if out[r.User] == nil {
				out[r.User] = map[string]int32{}
			}
			out[r.User][m] = ci.Iterations
		}
	}
	return out, nil
}

// DescribeQuotas returns every user and client-id quota on the cluster,
// sorted by entity. It returns an error when the request or the broker
// fails.
func DescribeQuotas(ctx context.Context, cl kmsg.Requestor) ([]topology.Quota, error) {
	req := kmsg.NewPtrDescribeClientQuotasRequest()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("describe client quotas: %w", err)
	}
	if resp.ErrorCode != 0 {
		return nil, accessError("describe client quotas", resp.ErrorCode, resp.ErrorMessage)
	}
	out := []topology.Quota{}
	for _, e := range resp.Entries {
		var ent topology.QuotaEntity
		ok := true
		for _, c := range e.Entity {
			switch c.Type {
			case "user":
				if c.Name == nil {
					ent.DefaultUser = true
				} else {
					ent.User = *c.Name
				}
			case "client-id":
				if c.Name == nil {
					ok = false // the default client ID: not managed by kctl
				} else {
					ent.ClientID = *c.Name
				}
			default:
				ok = false
			}
		}
		if !ok || ent.String() == "" {
			continue
		}
		q := topology.Quota{Entity: ent, Values: map[string]float64{}}
		for _, v := range e.Values {
			q.Values[v.Key] = v.Value
		}
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Entity.String() < out[j].Entity.String() })
	return out, nil
}

var (
	operations = map[kmsg.ACLOperation]string{
		kmsg.ACLOperationAll: "all", kmsg.ACLOperationRead: "read", kmsg.ACLOperationWrite: "write",
		kmsg.ACLOperationCreate: "create", kmsg.ACLOperationDelete: "delete", kmsg.ACLOperationAlter: "alter",
		kmsg.ACLOperationDescribe: "describe", kmsg.ACLOperationClusterAction: "clusterAction",
		kmsg.ACLOperationDescribeConfigs: "describeConfigs", kmsg.ACLOperationAlterConfigs: "alterConfigs",
		kmsg.ACLOperationIdempotentWrite: "idempotentWrite", kmsg.ACLOperationCreateTokens: "createTokens",
		kmsg.ACLOperationDescribeTokens: "describeTokens",
	}
	resourceTypes = map[kmsg.ACLResourceType]string{
		kmsg.ACLResourceTypeTopic: topology.ResourceTopic, kmsg.ACLResourceTypeGroup: topology.ResourceGroup,
		kmsg.ACLResourceTypeCluster: topology.ResourceCluster, kmsg.ACLResourceTypeTransactionalId: topology.ResourceTransactionalID,
		kmsg.ACLResourceTypeDelegationToken: "delegationToken", kmsg.ACLResourceTypeUser: "user",
	}
)

func operationName(op kmsg.ACLOperation) string {
	if s, ok := operations[op]; ok {
		return s
	}
	return strings.ToLower(op.String())
}

func resourceTypeName(rt kmsg.ACLResourceType) string {
	if s, ok := resourceTypes[rt]; ok {
		return s
	}
	return strings.ToLower(rt.String())
}

func permissionName(p kmsg.ACLPermissionType) string {
	switch p {
	case kmsg.ACLPermissionTypeAllow:
		return topology.Allow
	case kmsg.ACLPermissionTypeDeny:
		return topology.Deny
	}
	return strings.ToLower(p.String())
}

func patternName(p kmsg.ACLResourcePatternType) string {
	switch p {
	case kmsg.ACLResourcePatternTypeLiteral:
		return topology.PatternLiteral
	case kmsg.ACLResourcePatternTypePrefixed:
		return topology.PatternPrefixed
	}
	return strings.ToLower(p.String())
}

func mechanismName(m int8) string {
	switch m {
	case 1:
		return topology.ScramSHA256
	case 2:
		return topology.ScramSHA512
	}
	return ""
}

func mechanismCode(m string) int8 {
	switch m {
	case topology.ScramSHA256:
		return 1
	case topology.ScramSHA512:
		return 2
	}
	return 0
}

// aclToKmsg returns the Kafka codes of a's fields; ok is false when one
// is not a name kctl knows.
func aclToKmsg(a topology.ACL) (op kmsg.ACLOperation, rt kmsg.ACLResourceType, pat kmsg.ACLResourcePatternType, perm kmsg.ACLPermissionType, ok bool) {
	ok = true
	var found bool
	if op, found = reverse(operations, a.Operation); !found {
		ok = false
	}
	if rt, found = reverse(resourceTypes, a.ResourceType); !found {
		ok = false
	}
	switch a.Pattern {
	case topology.PatternLiteral:
		pat = kmsg.ACLResourcePatternTypeLiteral
	case topology.PatternPrefixed:
		pat = kmsg.ACLResourcePatternTypePrefixed
	default:
		ok = false
	}
	switch a.Permission {
	case topology.Allow:
		perm = kmsg.ACLPermissionTypeAllow
	case topology.Deny:
		perm = kmsg.ACLPermissionTypeDeny
	default:
		ok = false
	}
	return op, rt, pat, perm, ok
}

func reverse[K comparable](m map[K]string, v string) (K, bool) {
	for k, s := range m {
		if s == v {
			return k, true
		}
	}
	var zero K
	return zero, false
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
