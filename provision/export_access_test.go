package provision

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// createACL creates one ACL with a raw request, as another tool would.
func createACL(t testing.TB, cl *kgo.Client, principal string, rt kmsg.ACLResourceType, name string, pat kmsg.ACLResourcePatternType, op kmsg.ACLOperation, perm kmsg.ACLPermissionType) {
	t.Helper()
	req := kmsg.NewPtrCreateACLsRequest()
	cr := kmsg.NewCreateACLsRequestCreation()
	cr.Principal, cr.Host, cr.ResourceName = principal, "*", name
	cr.ResourceType, cr.ResourcePatternType, cr.Operation, cr.PermissionType = rt, pat, op, perm
	req.Creations = append(req.Creations, cr)
	resp, err := req.RequestWith(ctx(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if e := kerr.ErrorForCode(resp.Results[0].ErrorCode); e != nil {
		t.Fatalf("create ACL for %s: %v", principal, e)
	}
}

// setQuota sets one quota value with a raw request.
func setQuota(t testing.TB, cl *kgo.Client, entity []kmsg.AlterClientQuotasRequestEntryEntity, key string, v float64) {
	t.Helper()
	req := kmsg.NewPtrAlterClientQuotasRequest()
	e := kmsg.NewAlterClientQuotasRequestEntry()
	e.Entity = entity
	op := kmsg.NewAlterClientQuotasRequestEntryOp()
	op.Key, op.Value = key, v
	e.Ops = append(e.Ops, op)
	req.Entries = append(req.Entries, e)
	resp, err := req.RequestWith(ctx(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if e := kerr.ErrorForCode(resp.Entries[0].ErrorCode); e != nil {
		t.Fatalf("set quota %s: %v", key, e)
	}
}

// TestExportAccessRoundTrip: kctl export of a cluster with users, ACLs
// (kctl's and another tool's) and quotas writes a file that validates and
// plans nothing on the same cluster, even with --prune; what the file
// cannot declare is left out and named; passwords come from
// KCTL_PASSWORD_<USER>; the access is read with one request each.
func TestExportAccessRoundTrip(t *testing.T) {
	c := aclCluster(t)
	admin := saslClient(t, c, "admin", "admin-pw")
	f := parse(t, accessFile)
	if _, err := Apply(ctx(t), admin, gated(planFor(t, admin, f, Options{})), ApplyOptions{Getenv: getenv(accessEnv)}); err != nil {
		t.Fatal(err)
	}
	// Another tool's: a long-form ACL of a principal without a user, a
	// deny, an ACL of a principal kctl cannot declare, a client-id quota and
	// a quota key kctl does not manage.
	createACL(t, admin, "User:ops", kmsg.ACLResourceTypeTopic, "user.", kmsg.ACLResourcePatternTypePrefixed, kmsg.ACLOperationDescribeConfigs, kmsg.ACLPermissionTypeAllow)
	createACL(t, admin, "User:*", kmsg.ACLResourceTypeTopic, "user.signed-up.dlt", kmsg.ACLResourcePatternTypeLiteral, kmsg.ACLOperationDelete, kmsg.ACLPermissionTypeDeny)
	createACL(t, admin, "Group:legacy", kmsg.ACLResourceTypeTopic, "*", kmsg.ACLResourcePatternTypeLiteral, kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow)
	setQuota(t, admin, quotaEntity(topology.QuotaEntity{ClientID: "batch"}), topology.QuotaProducerByteRate, 1<<20)
	setQuota(t, admin, quotaEntity(topology.QuotaEntity{User: "stranger"}), "connection_creation_rate", 5)
	res, err := kadm.NewClient(admin).AlterUserSCRAMs(ctx(t), nil, []kadm.UpsertSCRAM{{User: "odd name", Mechanism: kadm.ScramSha256, Iterations: 4096, Password: "pw"}})
	if err != nil || res.Error() != nil {
		t.Fatal(err, res.Error())
	}

	k := countRequests(c)
	ex, err := ExportTopics(ctx(t), admin, ExportOptions{Access: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []kmsg.Key{kmsg.Metadata, kmsg.DescribeACLs, kmsg.DescribeUserSCRAMCredentials, kmsg.DescribeClientQuotas} {
		if n := k.get(key); n != 1 {
			t.Errorf("%v requests: %d, want 1", key.Name(), n)
		}
	}
	var buf bytes.Buffer
	if err := ex.Spec.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	ax := ex.Access
	// admin (the super user) has two credentials too; stranger's only
	// quota has a key kctl does not manage.
	if ax == nil || ax.Users != 5 || ax.ACLs != 9 || ax.Quotas != 2 {
		t.Fatalf("access %+v\n%s", ax, out)
	}
	if fmt.Sprint(ax.PasswordEnvs) != "[KCTL_PASSWORD_ADMIN KCTL_PASSWORD_EMAIL_SERVICE KCTL_PASSWORD_STRANGER KCTL_PASSWORD_USERS_SERVICE]" {
		t.Errorf("password envs %v", ax.PasswordEnvs)
	}
	// stranger has a quota key left out: not managed (it is a declared
	// user anyway); Group:legacy cannot be declared at all.
	if fmt.Sprint(ax.ManagedPrincipals) != "[User:* User:ops]" {
		t.Errorf("managed principals %v", ax.ManagedPrincipals)
	}
	if len(ax.LeftOut) != 3 || !strings.Contains(ax.LeftOut[0].Why, `principal "Group:legacy" is not User:<name>`) ||
		ax.LeftOut[1].Name != `"odd name" (SCRAM-SHA-256)` || !strings.Contains(ax.LeftOut[1].Why, "without spaces") ||
		ax.LeftOut[2].Name != "user=stranger" || !strings.Contains(ax.LeftOut[2].Why, "connection_creation_rate = 5") ||
		ax.LeftOut[0].Pruned || ax.LeftOut[1].Pruned || !ax.LeftOut[2].Pruned {
		t.Errorf("left out %+v", ax.LeftOut)
	}
	for _, want := range []string{
		"# kctl cannot read passwords",
		"  - {name: email-service, mechanism: scram-sha-256, iterations: 4096, passwordFrom: {env: KCTL_PASSWORD_EMAIL_SERVICE}}\n",
		"managedPrincipals: ['User:*', 'User:ops']\n",
		"  - principal: User:email-service\n    consumer: {topics: [user.signed-up], group: email-service}\n    producer: {topics: [user.signed-up.dlt]}\n",
		"  - principal: User:ops\n    allow: [describeConfigs]\n    resource: {type: topic, name: user., pattern: prefixed}\n",
		"  - principal: User:*\n    deny: [delete]\n    resource: {type: topic, name: user.signed-up.dlt}\n",
		"  - {clientId: batch, producerByteRate: 1MiB}\n",
		"# Access: 5 SCRAM users, 9 ACLs and 2 client quotas; 3 entries kctl cannot declare left out",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the export lacks %q:\n%s", want, out)
		}
	}
	g, diags := topology.Parse("exported.yaml", buf.Bytes())
	if diags.HasErrors() {
		t.Fatalf("%v\n%s", diags, out)
	}
	// No password is needed: every user exists. With --prune only what was
	// left out of a declared user's is deleted (the warning says so).
	if p := planFor(t, admin, g, Options{Self: "User:admin"}); p.HasChanges() || p.IsRefused() {
		t.Errorf("the export plans changes: %v\n%s", accessLines(p), out)
	}
	p := planFor(t, admin, g, Options{Prune: true, MaxDeletes: 10, Self: "User:admin"})
	if fmt.Sprint(accessLines(p)) != "[delete quota user=stranger]" || p.IsRefused() {
		t.Errorf("the export with --prune plans %v\n%s", accessLines(p), out)
	}
	if _, err := readPasswords(p, getenv(nil)); err != nil {
		t.Errorf("the round trip needs passwords: %v", err)
	}
}

// TestExportAccessNoAuthorizer: a cluster that answers DescribeAcls with
// SECURITY_DISABLED is exported without acls: (users and quotas still),
// skipped rather than failed, and without managedPrincipals (a plan of the
// file would read the ACLs); one that refuses is named in Failed.
func TestExportAccessNoAuthorizer(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	createRaw(t, cl, rawTopic("orders", 2, 3))
	setQuota(t, cl, quotaEntity(topology.QuotaEntity{User: "ops"}), topology.QuotaRequestPercentage, 25)
	deny := func(code int16, key kmsg.Key) {
		c.ControlKey(int16(key), func(req kmsg.Request) (kmsg.Response, error, bool) {
			c.KeepControl()
			switch resp := req.ResponseKind().(type) {
			case *kmsg.DescribeACLsResponse:
				resp.ErrorCode = code
				return resp, nil, true
			case *kmsg.DescribeUserSCRAMCredentialsResponse:
				resp.ErrorCode = code
				return resp, nil, true
			}
			return nil, nil, false
		})
	}
	deny(kerr.SecurityDisabled.Code, kmsg.DescribeACLs)
	ex, err := ExportTopics(ctx(t), cl, ExportOptions{Access: true})
	if err != nil {
		t.Fatal(err)
	}
	ax := ex.Access
	if len(ax.Skipped) != 1 || ax.Skipped[0].Part != "acls" || len(ax.Failed) != 0 || ax.Quotas != 1 || len(ax.ManagedPrincipals) != 0 || ex.Topics != 1 {
		t.Fatalf("access %+v", ax)
	}
	var buf bytes.Buffer
	if err := ex.Spec.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "acls:") || strings.Contains(out, "managedPrincipals") || !strings.Contains(out, "quotas:\n  - {user: ops, requestPercentage: 25}\n") ||
		!strings.Contains(out, "acls not exported: the cluster has no authorizer") {
		t.Errorf("export without an authorizer:\n%s", out)
	}
	if p := planFor(t, cl, parse(t, out), Options{Prune: true}); p.HasChanges() || p.IsRefused() {
		t.Errorf("plans changes: %v", accessLines(p))
	}

	deny(kerr.ClusterAuthorizationFailed.Code, kmsg.DescribeUserSCRAMCredentials)
	ex, err = ExportTopics(ctx(t), cl, ExportOptions{Access: true})
	if err != nil {
		t.Fatal(err)
	}
	if f := ex.Access.Failed; len(f) != 1 || f[0].Part != "users" || !strings.Contains(f[0].Error, "describe SCRAM users: not authorized") || ex.Topics != 1 {
		t.Errorf("failed %+v", f)
	}
}

// TestExportWithoutAccess: without Access no access request is sent and
// the file has no access section.
func TestExportWithoutAccess(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	createRaw(t, cl, rawTopic("orders", 2, 3))
	setQuota(t, cl, quotaEntity(topology.QuotaEntity{User: "ops"}), topology.QuotaRequestPercentage, 25)
	k := countRequests(c)
	ex, out := exportOf(t, cl, ExportOptions{})
	if ex.Access != nil || bytes.Contains(out, []byte("quotas")) {
		t.Errorf("access exported: %s", out)
	}
	if n := k.get(kmsg.DescribeACLs) + k.get(kmsg.DescribeUserSCRAMCredentials) + k.get(kmsg.DescribeClientQuotas); n != 0 {
		t.Errorf("%d access requests", n)
	}
}
