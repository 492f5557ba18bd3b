package observe

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

// The cluster's access, one request each (DescribeAcls,
// DescribeUserScramCredentials, DescribeClientQuotas), as topology's
// values (the file's words for operations, resources, patterns).

// accessError explains a failed access request; it unwraps to the Kafka
// error (errors.Is(err, kerr.SecurityDisabled) tells a cluster without an
// authorizer).
func accessError(api string, code int16, msg *string) error {
	e := kerr.ErrorForCode(code)
	text := codeError(code, msg).Error()
	switch {
	case errors.Is(e, kerr.SecurityDisabled):
		return &AccessError{fmt.Sprintf("%s: the cluster has no authorizer (%s): enable one on the brokers (authorizer.class.name), or remove the acls: section", api, text), e}
	case errors.Is(e, kerr.ClusterAuthorizationFailed):
		return &AccessError{fmt.Sprintf("%s: not authorized (%s): connect as a principal with the needed rights on the cluster (Describe/Alter, DescribeConfigs/AlterConfigs), e.g. a super user", api, text), e}
	}
	return &AccessError{fmt.Sprintf("%s: %s", api, text), e}
}

// AccessError is a failed access request's Kafka error code, explained
// with the fix; it unwraps to the kerr error.
type AccessError struct {
	msg string
	err error
}

func (e *AccessError) Error() string { return e.msg }
func (e *AccessError) Unwrap() error { return e.err }

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
				Permission:   nameOf(permissions, a.PermissionType),
				Operation:    nameOf(operations, a.Operation),
				ResourceType: nameOf(resourceTypes, r.ResourceType),
				ResourceName: r.ResourceName,
				Pattern:      nameOf(patterns, r.ResourcePatternType),
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
			return nil, fmt.Errorf("describe SCRAM user %q: %s", r.User, codeError(r.ErrorCode, r.ErrorMessage))
		}
		for _, ci := range r.CredentialInfos {
			m, ok := mechanisms[ci.Mechanism]
			if !ok {
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
	permissions = map[kmsg.ACLPermissionType]string{kmsg.ACLPermissionTypeAllow: topology.Allow, kmsg.ACLPermissionTypeDeny: topology.Deny}
	patterns    = map[kmsg.ACLResourcePatternType]string{
		kmsg.ACLResourcePatternTypeLiteral: topology.PatternLiteral, kmsg.ACLResourcePatternTypePrefixed: topology.PatternPrefixed,
	}
	// mechanisms are the SCRAM mechanisms by their Kafka code.
	mechanisms = map[int8]string{1: topology.ScramSHA256, 2: topology.ScramSHA512}
)

// nameOf is kctl's name of a Kafka ACL code: the file's word, else
// Kafka's own in lower case.
func nameOf[K interface {
	comparable
	String() string
}](names map[K]string, k K) string {
	if s, ok := names[k]; ok {
		return s
	}
	return strings.ToLower(k.String())
}

// MechanismCode is the Kafka code of a SCRAM mechanism's name; 0 when it
// is not one.
func MechanismCode(m string) int8 {
	code, _ := reverse(mechanisms, m)
	return code
}

// ACLCodes returns the Kafka codes of a's fields; ok is false when one
// is not a name kctl knows.
func ACLCodes(a topology.ACL) (op kmsg.ACLOperation, rt kmsg.ACLResourceType, pat kmsg.ACLResourcePatternType, perm kmsg.ACLPermissionType, ok bool) {
	var okOp, okRT, okPat, okPerm bool
	op, okOp = reverse(operations, a.Operation)
	rt, okRT = reverse(resourceTypes, a.ResourceType)
	pat, okPat = reverse(patterns, a.Pattern)
	perm, okPerm = reverse(permissions, a.Permission)
	return op, rt, pat, perm, okOp && okRT && okPat && okPerm
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
