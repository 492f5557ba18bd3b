package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/observe"
	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// accessFile is the sign-up flow with its access: the users service
// produces, the email service consumes in its group and writes the DLT.
// iterations: 4096 because kfake's SCRAM login always announces 4096.
const accessFile = `managedPrefixes: [user.]
topics:
  - {name: user.signed-up, partitions: 3, replicationFactor: 3}
  - {name: user.signed-up.dlt, partitions: 1, replicationFactor: 3}
users:
  - {name: users-service, iterations: 4096, passwordFrom: {env: USERS_PW}}
  - {name: email-service, iterations: 4096, passwordFrom: {env: EMAIL_PW}}
  - {name: stranger, iterations: 4096, passwordFrom: {env: STRANGER_PW}}
acls:
  - principal: User:users-service
    producer: {topics: [user.signed-up]}
  - principal: User:email-service
    consumer: {topics: [user.signed-up], group: email-service}
    producer: {topics: [user.signed-up.dlt]}
quotas:
  - user: email-service
    consumerByteRate: 10MiB
    requestPercentage: 50
`

var accessEnv = map[string]string{"USERS_PW": "users-pw", "EMAIL_PW": "email-pw", "STRANGER_PW": "stranger-pw"}

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// aclCluster starts a 3-broker cluster that enforces ACLs, with admin as
// super user, closed by t.Cleanup.
func aclCluster(t testing.TB, extra ...kfake.Opt) *devcluster.Cluster {
	t.Helper()
	c, err := devcluster.Start(devcluster.Options{SASLUser: "admin", SASLPassword: "admin-pw", ACLs: true, Extra: extra})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// saslClient connects to c as user with SCRAM-SHA-256.
func saslClient(t testing.TB, c *devcluster.Cluster, user, pass string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Brokers()...),
		kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha256Mechanism())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func accessLines(p *Plan) []string {
	var out []string
	for _, c := range p.Access {
		out = append(out, fmt.Sprintf("%s %s %s", c.Action, c.Kind, c.Name))
	}
	return out
}

// topicAuthErr returns the metadata error of topic as user sees it.
func topicAuthErr(t testing.TB, cl *kgo.Client, topic string) error {
	t.Helper()
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	return kerr.ErrorForCode(resp.Topics[0].ErrorCode)
}

// TestAccessApplyIsEnforced: one apply creates topics, credentials, ACLs
// and quotas in one request per kind; the users can then do exactly what
// the file allows; a second plan is empty.
func TestAccessApplyIsEnforced(t *testing.T) {
	c := aclCluster(t)
	admin := saslClient(t, c, "admin", "admin-pw")
	f := parse(t, accessFile)
	p := planFor(t, admin, f, Options{Self: "User:admin"})
	want := []string{
		"create acl User:users-service allow write on topic user.signed-up",
		"create acl User:users-service allow describe on topic user.signed-up",
		"create acl User:email-service allow read on topic user.signed-up",
		"create acl User:email-service allow describe on topic user.signed-up",
		"create acl User:email-service allow read on group email-service",
		"create acl User:email-service allow write on topic user.signed-up.dlt",
		"create acl User:email-service allow describe on topic user.signed-up.dlt",
		"create user users-service (SCRAM-SHA-256)",
		"create user email-service (SCRAM-SHA-256)",
		"create user stranger (SCRAM-SHA-256)",
		"create quota user=email-service",
	}
	if got := accessLines(p); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p.Summary.Create != 13 {
		t.Errorf("summary %+v", p.Summary)
	}
	k := countRequests(c)
	res, err := Apply(ctx(t), admin, gated(p), ApplyOptions{Getenv: getenv(accessEnv)})
	if err != nil {
		t.Fatalf("apply: %v (%+v)", err, res)
	}
	for _, key := range []kmsg.Key{kmsg.CreateACLs, kmsg.AlterUserSCRAMCredentials, kmsg.AlterClientQuotas} {
		if n := k.get(key); n != 1 {
			t.Errorf("%s sent %d times, want 1", key.Name(), n)
		}
	}
	if n := k.get(kmsg.DeleteACLs); n != 0 {
		t.Errorf("DeleteAcls sent %d times", n)
	}
	if again := planFor(t, admin, f, Options{Self: "User:admin"}); again.HasChanges() || len(again.Access) != 0 {
		t.Fatalf("second plan: %v", accessLines(again))
	}

	// users-service produces (idempotently: Write on a topic implies it).
	users := saslClient(t, c, "users-service", "users-pw", kgo.DefaultProduceTopic("user.signed-up"))
	if err := users.ProduceSync(ctx(t), &kgo.Record{Value: []byte("signed up")}).FirstErr(); err != nil {
		t.Fatalf("users-service produce: %v", err)
	}
	// email-service consumes in its group ...
	email := saslClient(t, c, "email-service", "email-pw", kgo.ConsumeTopics("user.signed-up"),
		kgo.ConsumerGroup("email-service"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := ""
	for deadline := time.Now().Add(20 * time.Second); got == "" && time.Now().Before(deadline); {
		pctx, cancel := context.WithTimeout(ctx(t), 2*time.Second)
		fs := email.PollFetches(pctx)
		cancel()
		for _, e := range fs.Errors() {
			if !errors.Is(e.Err, context.DeadlineExceeded) {
				t.Fatalf("email-service consume: %v", e.Err)
			}
		}
		fs.EachRecord(func(r *kgo.Record) { got = string(r.Value) })
	}
	if got != "signed up" {
		t.Fatalf("email-service consumed %q", got)
	}
	// ... but may not produce there, nor read in another group.
	emailP := saslClient(t, c, "email-service", "email-pw", kgo.DefaultProduceTopic("user.signed-up"))
	if err := emailP.ProduceSync(ctx(t), &kgo.Record{Value: []byte("x")}).FirstErr(); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Errorf("email-service produce to user.signed-up: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	if err := emailP.ProduceSync(ctx(t), &kgo.Record{Topic: "user.signed-up.dlt", Value: []byte("dead")}).FirstErr(); err != nil {
		t.Errorf("email-service produce to the DLT: %v", err)
	}
	// An authenticated user without ACLs sees nothing.
	stranger := saslClient(t, c, "stranger", "stranger-pw")
	if err := topicAuthErr(t, stranger, "user.signed-up"); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Errorf("stranger metadata: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	// The quota is stored (kfake does not enforce quotas).
	qs, err := observe.DescribeQuotas(ctx(t), admin)
	if err != nil || len(qs) != 1 || qs[0].Values[topology.QuotaConsumerByteRate] != 10<<20 || qs[0].Values[topology.QuotaRequestPercentage] != 50 {
		t.Errorf("quotas %+v %v", qs, err)
	}
}

// TestAccessPrune: an ACL, a credential and a quota removed from the file
// are deleted only with --prune, only for managed principals, within
// --max-deletes, and never kctl's own rights.
func TestAccessPrune(t *testing.T) {
	c := aclCluster(t)
	admin := saslClient(t, c, "admin", "admin-pw")
	f := parse(t, accessFile)
	if _, err := Apply(ctx(t), admin, gated(planFor(t, admin, f, Options{})), ApplyOptions{Getenv: getenv(accessEnv)}); err != nil {
		t.Fatal(err)
	}
	// ACLs of a principal the file does not manage are never touched.
	req := kmsg.NewPtrCreateACLsRequest()
	for _, p := range []string{"User:other", "User:admin"} {
		cr := kmsg.NewCreateACLsRequestCreation()
		cr.Principal, cr.Host, cr.ResourceName = p, "*", topology.ClusterResourceName
		cr.ResourceType, cr.ResourcePatternType = kmsg.ACLResourceTypeCluster, kmsg.ACLResourcePatternTypeLiteral
		cr.Operation, cr.PermissionType = kmsg.ACLOperationAlter, kmsg.ACLPermissionTypeAllow
		req.Creations = append(req.Creations, cr)
	}
	if _, err := req.RequestWith(ctx(t), admin); err != nil {
		t.Fatal(err)
	}

	smaller := strings.Replace(accessFile, "    producer: {topics: [user.signed-up.dlt]}\n", "", 1)
	smaller = strings.Replace(smaller, "    requestPercentage: 50\n", "", 1)
	smaller = strings.Replace(smaller, "  - {name: stranger, iterations: 4096, passwordFrom: {env: STRANGER_PW}}\n", "", 1)
	smaller += "managedPrincipals: [User:stranger]\n"
	g := parse(t, smaller)

	p := planFor(t, admin, g, Options{})
	if p.HasChanges() || len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "2 ACLs, 1 SCRAM credential, 1 quota value on declared quotas") {
		t.Fatalf("plan without --prune: %v notes %q", accessLines(p), p.Notes)
	}
	p = planFor(t, admin, g, Options{Prune: true, MaxDeletes: 2})
	if !p.IsRefused() || p.Summary.Refused != 3 || !strings.Contains(p.Access[0].Reasons[0], "2 ACLs and 1 SCRAM credential would be deleted but --max-deletes is 2; pass --max-deletes 3 to allow it") {
		t.Fatalf("over --max-deletes: %v %+v", accessLines(p), p.Access[0].Reasons)
	}
	p = planFor(t, admin, g, Options{Prune: true, MaxDeletes: 3})
	want := []string{
		"delete acl User:email-service allow write on topic user.signed-up.dlt",
		"delete acl User:email-service allow describe on topic user.signed-up.dlt",
		"delete user stranger (SCRAM-SHA-256)",
		"update quota user=email-service",
	}
	if got := accessLines(p); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("prune plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	k := countRequests(c)
	if _, err := Apply(ctx(t), admin, gated(p), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if k.get(kmsg.DeleteACLs) != 1 || k.get(kmsg.AlterUserSCRAMCredentials) != 1 || k.get(kmsg.AlterClientQuotas) != 1 {
		t.Errorf("requests: DeleteAcls %d, AlterUserScram %d, AlterClientQuotas %d", k.get(kmsg.DeleteACLs), k.get(kmsg.AlterUserSCRAMCredentials), k.get(kmsg.AlterClientQuotas))
	}
	if again := planFor(t, admin, g, Options{Prune: true}); again.HasChanges() || again.IsRefused() {
		t.Fatalf("after prune: %v", accessLines(again))
	}
	acls, err := observe.DescribeACLs(ctx(t), admin)
	if err != nil {
		t.Fatal(err)
	}
	var others int
	for _, a := range acls {
		if a.Principal == "User:other" || a.Principal == "User:admin" {
			others++
		}
	}
	if len(acls) != 7 || others != 2 {
		t.Errorf("ACLs after prune (%d): %v", len(acls), acls)
	}
	// The email service lost the DLT.
	email := saslClient(t, c, "email-service", "email-pw")
	if err := email.ProduceSync(ctx(t), &kgo.Record{Topic: "user.signed-up.dlt", Value: []byte("x")}).FirstErr(); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Errorf("email-service produce to the DLT after prune: %v", err)
	}

	// kctl's own principal keeps what it needs, even when managed.
	self := parse(t, smaller)
	self.ManagedPrincipals = append(self.ManagedPrincipals, "User:admin")
	p = planFor(t, admin, self, Options{Prune: true, MaxDeletes: 10, Self: "User:admin"})
	var refused []string
	for _, c := range p.Access {
		if c.Action == Refused {
			refused = append(refused, c.Name+": "+c.Reasons[0])
		}
	}
	if len(refused) != 3 || !strings.Contains(refused[0], "User:admin allow alter on cluster: kctl connects as User:admin and needs alter on cluster to apply") {
		t.Errorf("self protection: %q", refused)
	}
}

// TestAccessSelfDenyRefused: a deny that would take kctl's own rights is
// refused before anything is sent.
func TestAccessSelfDenyRefused(t *testing.T) {
	f := parse(t, "topics: []\nacls:\n  - principal: User:*\n    deny: [alter]\n    resource: {type: cluster}\n")
	p := Diff(f, &State{Topics: map[string]*TopicState{}, Access: &AccessState{ACLs: []topology.ACL{}}}, Options{Self: "User:admin"})
	if !p.IsRefused() || len(p.Access) != 1 || !strings.Contains(p.Access[0].Reasons[0], "would take from User:admin, the principal kctl connects as, a right it needs") {
		t.Fatalf("plan %v %+v", accessLines(p), p.Access)
	}
	if _, err := Apply(context.Background(), nil, gated(p), ApplyOptions{}); !errors.Is(err, ErrRefused) {
		t.Errorf("apply of a refused plan: %v", err)
	}
}

// TestAccessPartialFailure: one ACL creation failing does not stop the
// others, and the error names it.
func TestAccessPartialFailure(t *testing.T) {
	c := aclCluster(t)
	admin := saslClient(t, c, "admin", "admin-pw")
	f := parse(t, accessFile)
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.CreateACLs}, Resource: "email-service"})
	res, err := Apply(ctx(t), admin, gated(planFor(t, admin, f, Options{})), ApplyOptions{Getenv: getenv(accessEnv)})
	var ae *ApplyError
	if !errors.As(err, &ae) || len(ae.Failed) != 1 || ae.Failed[0].Name != "User:email-service allow read on group email-service" {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "create acl User:email-service allow read on group email-service: create: UNKNOWN_SERVER_ERROR") {
		t.Errorf("error text %q", err)
	}
	if res.Count(Create) != 12 {
		t.Errorf("created %d of 13", res.Count(Create))
	}
	next := planFor(t, admin, f, Options{})
	if got := accessLines(next); fmt.Sprint(got) != "[create acl User:email-service allow read on group email-service]" {
		t.Errorf("next plan %v", got)
	}
}

// TestAccessPasswordMissing: a password source that cannot be read stops
// apply before any request, naming it.
func TestAccessPasswordMissing(t *testing.T) {
	c := aclCluster(t)
	admin := saslClient(t, c, "admin", "admin-pw")
	f := parse(t, accessFile)
	p := planFor(t, admin, f, Options{})
	k := countRequests(c)
	_, err := Apply(ctx(t), admin, gated(p), ApplyOptions{Getenv: getenv(map[string]string{"USERS_PW": "x"})})
	var pe *PasswordError
	if !errors.As(err, &pe) || len(pe.Errs) != 2 || !strings.Contains(err.Error(), "environment variable EMAIL_PW is not set") || !strings.HasSuffix(err.Error(), "nothing was applied") {
		t.Fatalf("err = %v", err)
	}
	for _, key := range []kmsg.Key{kmsg.CreateTopics, kmsg.CreateACLs, kmsg.AlterUserSCRAMCredentials, kmsg.AlterClientQuotas} {
		if k.get(key) != 0 {
			t.Errorf("%s was sent", key.Name())
		}
	}
}

// TestAccessRotatePasswords: credentials are re-set only with
// RotatePasswords; the new password then works and the old one does not.
func TestAccessRotatePasswords(t *testing.T) {
	c := aclCluster(t)
	admin := saslClient(t, c, "admin", "admin-pw")
	f := parse(t, accessFile)
	if _, err := Apply(ctx(t), admin, gated(planFor(t, admin, f, Options{})), ApplyOptions{Getenv: getenv(accessEnv)}); err != nil {
		t.Fatal(err)
	}
	p := planFor(t, admin, f, Options{RotatePasswords: true})
	if p.Summary.Update != 3 || p.Access[0].User == nil || p.Access[0].User.Why != WhyRotate {
		t.Fatalf("rotate plan %v", accessLines(p))
	}
	env := map[string]string{"USERS_PW": "new-users-pw", "EMAIL_PW": "new-email-pw", "STRANGER_PW": "s"}
	if _, err := Apply(ctx(t), admin, gated(p), ApplyOptions{Getenv: getenv(env)}); err != nil {
		t.Fatal(err)
	}
	if err := topicAuthErr(t, saslClient(t, c, "users-service", "new-users-pw"), "user.signed-up"); err != nil {
		t.Errorf("new password: %v", err)
	}
	old := saslClient(t, c, "users-service", "users-pw")
	if err := old.Ping(ctx(t)); err == nil {
		t.Error("the old password still logs in")
	}
}

// TestAccessPlanText: the plan prints access changes expanded, one line
// per ACL, with the password source and never a password.
func TestAccessPlanText(t *testing.T) {
	f := parse(t, accessFile)
	st := &State{ClusterID: "c1", Brokers: 3, Topics: map[string]*TopicState{
		"user.signed-up":     {Name: "user.signed-up", Partitions: 3, ReplicationFactor: 3, Configs: map[string]Config{}},
		"user.signed-up.dlt": {Name: "user.signed-up.dlt", Partitions: 1, ReplicationFactor: 3, Configs: map[string]Config{}},
	}, Access: &AccessState{
		ACLs:   []topology.ACL{},
		Users:  map[string]map[string]int32{"users-service": {topology.ScramSHA256: 8192}, "stranger": {topology.ScramSHA256: 4096}},
		Quotas: []topology.Quota{{Entity: topology.QuotaEntity{User: "email-service"}, Values: map[string]float64{topology.QuotaConsumerByteRate: 1 << 20}}},
	}}
	var b strings.Builder
	if err := Diff(f, st, Options{}).WriteText(&b, Plain{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "access_plan.golden", []byte(b.String()))
}

// TestAccessDiffPure: topic and access deletes count together against
// --max-deletes; kctl's own rights are protected only where it needs them;
// unmanaged principals are never touched.
func TestAccessDiffPure(t *testing.T) {
	f := parse(t, `managedPrefixes: [user.]
managedPrincipals: [User:admin, User:old]
topics: [{name: user.a, partitions: 1, replicationFactor: 1}]
acls: []
`)
	acl := func(p, perm, op, rt, name string) topology.ACL {
		return topology.ACL{Principal: p, Host: "*", Permission: perm, Operation: op, ResourceType: rt, ResourceName: name, Pattern: topology.PatternLiteral}
	}
	st := &State{ClusterID: "c", Brokers: 1, Topics: map[string]*TopicState{
		"user.a":   {Name: "user.a", Partitions: 1, ReplicationFactor: 1, Configs: map[string]Config{}},
		"user.old": {Name: "user.old", Partitions: 1, ReplicationFactor: 1},
	}, Access: &AccessState{ACLs: []topology.ACL{
		acl("User:old", "allow", "read", "topic", "user.a"),
		acl("User:admin", "allow", "alter", "cluster", topology.ClusterResourceName),
		acl("User:admin", "allow", "describe", "topic", "elsewhere"), // not a topic kctl manages
		acl("User:other", "allow", "read", "topic", "user.a"),        // not a managed principal
	}, Users: map[string]map[string]int32{}, Quotas: []topology.Quota{}}}

	p := Diff(f, st, Options{Prune: true, MaxDeletes: 2, Self: "User:admin"})
	var got []string
	for _, c := range p.Changes {
		got = append(got, fmt.Sprintf("%s topic %s %v", c.Action, c.Topic, c.Reasons))
	}
	got = append(got, accessLines(p)...)
	want := []string{
		"refused topic user.old [1 topic and 2 ACLs would be deleted but --max-deletes is 2; pass --max-deletes 3 to allow it]",
		"refused acl User:admin allow alter on cluster",
		"refused acl User:admin allow describe on topic elsewhere",
		"refused acl User:old allow read on topic user.a",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r := p.Access[0].Reasons[0]; !strings.Contains(r, "kctl connects as User:admin and needs alter on cluster") {
		t.Errorf("self reason %q", r)
	}
	p = Diff(f, st, Options{Prune: true, MaxDeletes: 3, Self: "User:admin"})
	got = accessLines(p)
	if p.Summary.Delete != 3 || p.Summary.Refused != 1 || got[0] != "refused acl User:admin allow alter on cluster" {
		t.Errorf("within --max-deletes: %v %+v", got, p.Summary)
	}
}

// TestAccessDryRun: --dry-run validates quotas on the brokers, lists ACLs
// and credentials as not checked (Kafka has no validate-only for them),
// reads no password, and changes nothing.
func TestAccessDryRun(t *testing.T) {
	c := aclCluster(t)
	admin := saslClient(t, c, "admin", "admin-pw")
	f := parse(t, accessFile)
	p := planFor(t, admin, f, Options{})
	res, err := Apply(ctx(t), admin, gated(p), ApplyOptions{DryRun: true, Getenv: getenv(nil)})
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	var skipped, checked int
	for _, it := range res.Items {
		switch {
		case it.Kind == KindQuota && it.OK:
			checked++
		case (it.Kind == KindACL || it.Kind == KindUser) && it.Skipped != "":
			skipped++
		}
	}
	if skipped != 10 || checked != 1 {
		t.Errorf("dry run items: %d skipped, %d quota checked: %+v", skipped, checked, res.Items)
	}
	if again := planFor(t, admin, f, Options{}); again.Summary.Create != p.Summary.Create {
		t.Errorf("a dry run changed the cluster: %v", accessLines(again))
	}
}

// TestAccessExportRoundTrip: a cluster's access, written with
// topology.EncodeAccess and applied to the same cluster, plans nothing.
func TestAccessExportRoundTrip(t *testing.T) {
	c := aclCluster(t)
	admin := saslClient(t, c, "admin", "admin-pw")
	f := parse(t, accessFile)
	if _, err := Apply(ctx(t), admin, gated(planFor(t, admin, f, Options{})), ApplyOptions{Getenv: getenv(accessEnv)}); err != nil {
		t.Fatal(err)
	}
	st, err := ObserveAccess(ctx(t), admin, ReadAll)
	if err != nil {
		t.Fatal(err)
	}
	users, acls, quotas := st.Declarations(func(p string) bool { return p != "User:admin" })
	out, err := topology.EncodeAccess(users, acls, quotas)
	if err != nil {
		t.Fatal(err)
	}
	g := parse(t, "topics: []\n"+string(out))
	if p := planFor(t, admin, g, Options{Prune: true}); p.HasChanges() || p.IsRefused() {
		t.Errorf("the exported access plans changes: %v\n%s", accessLines(p), out)
	}
}

// TestRefuseUnreadablePasswords: a credential the plan would set whose
// password source cannot be read is refused with the reason naming it (so
// plan and apply --dry-run fail as apply would); a credential the plan
// leaves alone is not read at all.
func TestRefuseUnreadablePasswords(t *testing.T) {
	f := parse(t, accessFile)
	st := &State{ClusterID: "c1", Brokers: 3, Topics: map[string]*TopicState{}, Access: &AccessState{
		ACLs:   []topology.ACL{},
		Users:  map[string]map[string]int32{"users-service": {topology.ScramSHA256: 8192}, "stranger": {topology.ScramSHA256: 4096}},
		Quotas: []topology.Quota{},
	}}
	p := Diff(f, st, Options{})
	before := p.Summary
	if n := RefuseUnreadablePasswords(p, getenv(map[string]string{"USERS_PW": "x"})); n != 1 {
		t.Fatalf("refused %d, want 1 (email-service's EMAIL_PW; stranger is not re-set): %v", n, accessLines(p))
	}
	var refused []string
	for _, c := range p.Access {
		if c.Action == Refused {
			refused = append(refused, c.Name+": "+strings.Join(c.Reasons, "; "))
		}
	}
	if len(refused) != 1 || !strings.HasPrefix(refused[0], `email-service (SCRAM-SHA-256): password of user "email-service": environment variable EMAIL_PW is not set`) {
		t.Errorf("refused: %q", refused)
	}
	if !p.IsRefused() || p.Summary.Create != before.Create-1 || p.Summary.Refused != before.Refused+1 {
		t.Errorf("summary %+v (before %+v)", p.Summary, before)
	}
	var b strings.Builder
	if err := p.WriteText(&b, Plain{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "  ! refused user email-service (SCRAM-SHA-256)\n") || !strings.Contains(b.String(), "! password of user \"email-service\"") {
		t.Errorf("plan text:\n%s", b.String())
	}
	// All readable: nothing refused.
	p = Diff(f, st, Options{})
	if n := RefuseUnreadablePasswords(p, getenv(accessEnv)); n != 0 || p.IsRefused() {
		t.Errorf("readable passwords refused: %v", accessLines(p))
	}
}

// TestAccessSelfCredentialMechanism: pruning kctl's own credential is
// refused; when the file declares that user with the other mechanism only,
// the reason names the mechanism to declare.
func TestAccessSelfCredentialMechanism(t *testing.T) {
	st := func() *State {
		return &State{ClusterID: "c", Brokers: 1, Topics: map[string]*TopicState{}, Access: &AccessState{
			ACLs:   []topology.ACL{},
			Users:  map[string]map[string]int32{"admin": {topology.ScramSHA256: 4096, topology.ScramSHA512: 4096}},
			Quotas: []topology.Quota{},
		}}
	}
	f := parse(t, "topics: []\nusers:\n  - {name: admin, mechanism: scram-sha-256, iterations: 4096, passwordFrom: {env: ADMIN_PW}}\n")
	p := Diff(f, st(), Options{Prune: true, MaxDeletes: 5, Self: "User:admin"})
	if got := accessLines(p); fmt.Sprint(got) != "[refused user admin (SCRAM-SHA-512)]" {
		t.Fatalf("plan %v", got)
	}
	r := p.Access[0].Reasons[0]
	if !strings.Contains(r, "declare SCRAM-SHA-512 for admin too (users: has it with SCRAM-SHA-256 only: add an entry with mechanism: scram-sha-512)") {
		t.Errorf("reason does not name the missing mechanism: %q", r)
	}
	// Not declared at all: the reason says to declare it.
	f = parse(t, "topics: []\nmanagedPrincipals: [User:admin]\n")
	p = Diff(f, st(), Options{Prune: true, MaxDeletes: 5, Self: "User:admin"})
	if p.Summary.Refused != 2 || !strings.Contains(p.Access[0].Reasons[0], "declare it in users: (name: admin, mechanism: scram-sha-256)") {
		t.Errorf("undeclared: %v %q", accessLines(p), p.Access[0].Reasons)
	}
}

// TestNoChangesCountsDeclaredSections: the "No changes" line counts only
// the access sections the file has; a file without acls: says nothing of
// ACLs (they were never read).
func TestNoChangesCountsDeclaredSections(t *testing.T) {
	f := parse(t, "topics: []\nusers:\n  - {name: ops, iterations: 4096, passwordFrom: {env: OPS_PW}}\n")
	st := &State{ClusterID: "c1", Brokers: 1, Topics: map[string]*TopicState{}, Access: &AccessState{
		Users: map[string]map[string]int32{"ops": {topology.ScramSHA256: 4096}},
	}}
	var b strings.Builder
	if err := Diff(f, st, Options{}).WriteText(&b, Plain{}); err != nil {
		t.Fatal(err)
	}
	if want := "No changes. Cluster \"c1\" matches topics.yaml (0 topics, 1 SCRAM user).\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
