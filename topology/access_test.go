package topology

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

func TestAccessExample(t *testing.T) {
	data, err := os.ReadFile("testdata/access.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, diags := Parse("access.yaml", data)
	if len(diags) != 0 {
		t.Fatalf("diagnostics: %v", diags)
	}
	if !f.HasAccess() {
		t.Fatal("HasAccess false")
	}
	var got []string
	for _, a := range f.ACLs {
		got = append(got, a.String())
	}
	want := []string{
		"User:users-service allow write on topic user.signed-up",
		"User:users-service allow describe on topic user.signed-up",
		"User:users-service allow idempotentWrite on cluster",
		"User:email-service allow read on topic user.signed-up",
		"User:email-service allow describe on topic user.signed-up",
		"User:email-service allow read on group email-service",
		"User:email-service allow write on topic user.signed-up.dlt",
		"User:email-service allow describe on topic user.signed-up.dlt",
		"User:ops allow describe on topic user.* (prefixed)",
		"User:ops allow describeConfigs on topic user.* (prefixed)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ACLs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(f.Users) != 2 || f.Users[0].Mechanism != ScramSHA256 || f.Users[0].Iterations != DefaultScramIterations ||
		f.Users[1].Mechanism != ScramSHA512 || f.Users[1].Iterations != 4096 || f.Users[1].PasswordFrom.String() != "file /run/secrets/email" {
		t.Errorf("users: %+v", f.Users)
	}
	if len(f.Quotas) != 2 || f.Quotas[0].Values[QuotaConsumerByteRate] != 10<<20 || f.Quotas[0].Values[QuotaRequestPercentage] != 50 ||
		f.Quotas[1].Entity.String() != "user=<default>" {
		t.Errorf("quotas: %+v", f.Quotas)
	}
	for _, p := range []string{"User:ops", "User:email-service", "User:users-service"} {
		if !f.ManagesPrincipal(p) {
			t.Errorf("%s not managed", p)
		}
	}
	if f.ManagesPrincipal("User:admin") {
		t.Error("User:admin managed")
	}
}

func TestAccessDiagnostics(t *testing.T) {
	src := `topics:
  - {name: orders, partitions: 1, replicationFactor: 1}
users:
  - name: bob
    password: hunter2
  - name: carol
    mechanism: scram-sha-1
    iterations: 1000
    passwordFrom: {env: A, file: B}
acls:
  - principal: bob
    allow: [read]
    resource: {type: topic, name: orders}
  - principal: User:bob
    allow: [reed, write]
    resource: {type: topics, name: orders}
  - principal: User:bob
    allow: [read]
    resource: {type: group, name: g}
    deny: [all]
  - principal: User:bob
    allow: [idempotentWrite]
    resource: {type: topic, name: paymnts}
  - principal: User:bob
    consumer: {topics: [paymnts]}
quotas:
  - user: bob
    default: true
    consumerByteRate: 10MiB
  - clientId: x
    requestPercentage: -1
    producerByteRate: 1.5MiB
`
	_, diags := Parse("t.yaml", []byte(src))
	var got []string
	for _, d := range diags {
		got = append(got, d.String())
	}
	want := []string{
		"t.yaml:5:5: error: an inline password is never accepted in topics.yaml (the file is reviewed and committed): use passwordFrom: {env: NAME} or passwordFrom: {file: PATH}",
		"t.yaml:7:16: error: mechanism \"scram-sha-1\": use scram-sha-256 or scram-sha-512 (kctl manages SCRAM credentials only)",
		"t.yaml:8:17: error: iterations 1000: Kafka accepts 4096 to 16384 (default 8192)",
		"t.yaml:9:19: error: passwordFrom takes exactly one of env: NAME or file: PATH",
		"t.yaml:11:16: error: acls: principal \"bob\" must be User:<name>, e.g. User:email-service (User:* for everyone)",
		"t.yaml:15:13: error: unknown ACL operation \"reed\" (did you mean \"read\"?)",
		"t.yaml:16:22: error: unknown resource type \"topics\" (did you mean \"topic\"?): use one of topic, group, cluster, transactionalId",
		"t.yaml:18:13: warning: User:bob allow read on group g is shadowed by the deny at line 20 (Kafka checks deny first): this allow has no effect",
		"t.yaml:22:13: error: operation idempotentWrite does not apply to a topic resource (it would have no effect): use one of all, read, write, create, delete, alter, describe, describeConfigs, alterConfigs",
		"t.yaml:25:15: error: consumer needs topics and group: e.g. consumer: {topics: [user.signed-up], group: email-service}",
		"t.yaml:25:25: warning: ACL for User:bob names topic \"paymnts\", which is neither declared in topics: nor under managedPrefixes (a typo?)",
		"t.yaml:28:14: error: a quota has user: or default: true (every user), not both",
		"t.yaml:31:24: error: requestPercentage must be a number above 0, got \"-1\"",
		"t.yaml:32:23: error: producerByteRate (bytes per second): \"1.5MiB\" is not a size: use whole numbers, e.g. 1536MiB rather than 1.5GiB",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestNoAccessSections(t *testing.T) {
	f, diags := Parse("t.yaml", []byte("topics: [{name: a, partitions: 1, replicationFactor: 1}]\n"))
	if diags.HasErrors() || f.HasAccess() {
		t.Fatalf("HasAccess %v, diags %v", f.HasAccess(), diags)
	}
}

func TestPasswordSourceRead(t *testing.T) {
	env := map[string]string{"SET": "s3cret"}
	getenv := func(k string) string { return env[k] }
	if v, err := (PasswordSource{Env: "SET"}).Read("u", getenv); err != nil || v != "s3cret" {
		t.Errorf("env: %q %v", v, err)
	}
	if _, err := (PasswordSource{Env: "UNSET"}).Read("u", getenv); err == nil || !strings.Contains(err.Error(), "environment variable UNSET is not set") {
		t.Errorf("unset env: %v", err)
	}
	path := t.TempDir() + "/pw"
	if err := os.WriteFile(path, []byte("filepw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if v, err := (PasswordSource{File: path}).Read("u", getenv); err != nil || v != "filepw" {
		t.Errorf("file: %q %v", v, err)
	}
	if _, err := (PasswordSource{File: path + ".missing"}).Read("u", getenv); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing file: %v", err)
	}
}

func TestShorthandVariants(t *testing.T) {
	src := `managedPrefixes: [pay.]
topics: [{name: pay.in, partitions: 1, replicationFactor: 1}]
acls:
  - principal: User:tx
    host: 10.0.0.7
    producer: {topics: ["pay.*"], transactionalId: "tx-*", idempotent: true}
  - principal: User:c
    consumer: {topics: "*", group: "c-*"}
  - principal: User:*
    deny: all
    resource: {type: topic, name: pay., pattern: prefixed}
  - principal: User:c
    allow: [DESCRIBE_CONFIGS]
    resource: {type: topic, name: pay.in}
`
	f, diags := Parse("t.yaml", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var got []string
	for _, a := range f.ACLs {
		got = append(got, a.String())
	}
	want := []string{
		"User:tx allow write on topic pay.* (prefixed) from host 10.0.0.7",
		"User:tx allow describe on topic pay.* (prefixed) from host 10.0.0.7",
		"User:tx allow write on transactionalId tx-* (prefixed) from host 10.0.0.7",
		"User:tx allow describe on transactionalId tx-* (prefixed) from host 10.0.0.7",
		"User:tx allow idempotentWrite on cluster from host 10.0.0.7",
		"User:c allow read on topic *",
		"User:c allow describe on topic *",
		"User:c allow read on group c-* (prefixed)",
		"User:* deny all on topic pay.* (prefixed)",
		"User:c allow describeConfigs on topic pay.in",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ACLs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The deny on pay.* shadows the allows on pay.* and pay.in; the
	// consumer's topic "*" is not covered by the prefix.
	var shadowed []int
	for _, d := range diags.Warnings() {
		if strings.Contains(d.Message, "is shadowed by the deny at line 10") {
			shadowed = append(shadowed, d.Pos.Line)
		}
	}
	if fmt.Sprint(shadowed) != "[6 6 13]" {
		t.Errorf("shadow warnings at lines %v; diags %v", shadowed, diags)
	}
}

// TestEncodeAccessRoundTrip: what EncodeAccess writes parses back to the
// same ACLs, users and quotas.
func TestEncodeAccessRoundTrip(t *testing.T) {
	data, err := os.ReadFile("testdata/access.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, diags := Parse("access.yaml", data)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	// A cluster's view: a deny, a host, a prefixed transactional ID, a
	// user without a password source, a client-id quota.
	acls := append(append([]ACL{}, f.ACLs...),
		ACL{Principal: "User:*", Host: "10.1.2.3", Permission: Deny, Operation: "all", ResourceType: ResourceTopic, ResourceName: "secret: #1", Pattern: PatternLiteral},
		ACL{Principal: "User:tx", Host: "*", Permission: Allow, Operation: "write", ResourceType: ResourceTransactionalID, ResourceName: "tx-", Pattern: PatternPrefixed})
	// No shorthand expands to these exactly: read, write and describe on
	// one topic; a consumer's topic without a group; a literal group name
	// ending in '*' (a shorthand would read it as a prefix).
	for _, op := range []string{"read", "write", "describe"} {
		acls = append(acls, ACL{Principal: "User:mixed", Host: "*", Permission: Allow, Operation: op, ResourceType: ResourceTopic, ResourceName: "orders", Pattern: PatternLiteral})
	}
	for _, op := range []string{"read", "describe"} {
		acls = append(acls, ACL{Principal: "User:reader", Host: "*", Permission: Allow, Operation: op, ResourceType: ResourceTopic, ResourceName: "audit", Pattern: PatternLiteral})
	}
	acls = append(acls, ACL{Principal: "User:reader", Host: "*", Permission: Allow, Operation: "read", ResourceType: ResourceGroup, ResourceName: "g*", Pattern: PatternLiteral},
		ACL{Principal: "User:reader", Host: "10.0.0.1", Permission: Allow, Operation: "read", ResourceType: ResourceGroup, ResourceName: "g", Pattern: PatternPrefixed},
		ACL{Principal: "User:reader", Host: "10.0.0.1", Permission: Allow, Operation: "read", ResourceType: ResourceTopic, ResourceName: "a", Pattern: PatternLiteral},
		ACL{Principal: "User:reader", Host: "10.0.0.1", Permission: Allow, Operation: "describe", ResourceType: ResourceTopic, ResourceName: "a", Pattern: PatternLiteral})
	users := append(append([]User{}, f.Users...), User{Name: "legacy.app", Mechanism: ScramSHA512, Iterations: 4096})
	quotas := append(append([]Quota{}, f.Quotas...), Quota{Entity: QuotaEntity{DefaultUser: true, ClientID: "batch"}, Values: map[string]float64{QuotaRequestPercentage: 12.5, "connection_creation_rate": 3}})
	out, err := EncodeAccess(users, acls, quotas)
	if err != nil {
		t.Fatal(err)
	}
	g, diags := Parse("exported.yaml", append([]byte("topics: []\n"), out...))
	if diags.HasErrors() {
		t.Fatalf("%v\n%s", diags, out)
	}
	key := func(as []ACL) string {
		var ks []string
		for _, a := range as {
			ks = append(ks, a.Key())
		}
		sort.Strings(ks)
		return strings.Join(ks, "\n")
	}
	if key(g.ACLs) != key(acls) {
		t.Errorf("ACLs differ after a round trip:\n%s", out)
	}
	if len(g.Users) != 3 || g.Users[2].Name != "legacy.app" || g.Users[2].PasswordFrom.Env != "KCTL_PASSWORD_LEGACY_APP" || g.Users[2].Iterations != 4096 ||
		g.Users[1].PasswordFrom.File != "/run/secrets/email" {
		t.Errorf("users %+v\n%s", g.Users, out)
	}
	if len(g.Quotas) != 3 || g.Quotas[0].Values[QuotaConsumerByteRate] != 10<<20 || g.Quotas[2].Entity.String() != "user=<default>, client-id=batch" ||
		g.Quotas[2].Values[QuotaRequestPercentage] != 12.5 || len(g.Quotas[2].Values) != 1 {
		t.Errorf("quotas %+v\n%s", g.Quotas, out)
	}
	for _, want := range []string{
		// The shorthands, where they expand exactly to the ACLs.
		"  - principal: User:users-service\n    producer: {topics: [user.signed-up], idempotent: true}\n",
		"  - principal: User:email-service\n    consumer: {topics: [user.signed-up], group: email-service}\n    producer: {topics: [user.signed-up.dlt]}\n",
		"  - principal: User:reader\n    host: 10.0.0.1\n    consumer: {topics: [a], group: g*}\n",
		// The long form, grouped, elsewhere.
		"  - principal: User:mixed\n    allow: [read, write, describe]\n    resource: {type: topic, name: orders}\n",
		"  - principal: User:reader\n    allow: [read, describe]\n    resource: {type: topic, name: audit}\n",
		"  - principal: User:reader\n    allow: [read]\n    resource: {type: group, name: g*}\n",
		"    allow: [write]\n    resource: {type: transactionalId, name: tx-, pattern: prefixed}\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the ACLs lack %q:\n%s", want, out)
		}
	}
}

// A relative passwordFrom file is read beside the topics file, whatever
// the current directory; errors name the resolved path.
func TestPasswordFileRelativeToTopicsFile(t *testing.T) {
	dir := t.TempDir()
	src := "topics: [{name: a, partitions: 1, replicationFactor: 1}]\nusers:\n  - {name: u, passwordFrom: {file: pw.txt}}\n  - {name: v, passwordFrom: {file: missing.txt}}\n"
	if err := os.WriteFile(dir+"/q.yaml", []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/pw.txt", []byte("filepw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // elsewhere: no pw.txt here
	f, diags, err := Load(dir + "/q.yaml")
	if err != nil || diags.HasErrors() {
		t.Fatalf("load: %v %v", err, diags)
	}
	if v, err := f.Users[0].PasswordFrom.Read("u", os.Getenv); err != nil || v != "filepw" {
		t.Errorf("relative file: %q %v", v, err)
	}
	if got, want := f.Users[0].PasswordFrom.String(), "file "+dir+"/pw.txt"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	_, err = f.Users[1].PasswordFrom.Read("v", os.Getenv)
	if err == nil || !strings.Contains(err.Error(), "file "+dir+"/missing.txt does not exist (missing.txt is relative to the topics file's directory): create it") {
		t.Errorf("missing file error does not name the resolved path: %v", err)
	}
	// An absolute path is kept as written.
	abs := PasswordSource{File: "/run/secrets/x", Dir: dir}
	if abs.Path() != "/run/secrets/x" {
		t.Errorf("absolute path resolved to %q", abs.Path())
	}
}

// A long-form name ending in '*' is literal (unlike the shorthands): the
// warning suggests pattern: prefixed, for topics and other resources.
func TestLongFormStarSuggestsPrefixed(t *testing.T) {
	src := `topics: [{name: orders.in, partitions: 1, replicationFactor: 1}]
acls:
  - principal: User:a
    allow: [read]
    resource: {type: topic, name: "orders*"}
  - principal: User:a
    allow: [read]
    resource: {type: group, name: "billing-*"}
  - principal: User:a
    allow: [read]
    resource: {type: group, name: "exact*", pattern: literal}
`
	_, diags := Parse("t.yaml", []byte(src))
	var got []string
	for _, d := range diags {
		got = append(got, d.String())
	}
	want := []string{
		`t.yaml:4:13: warning: ACL for User:a names topic "orders*", which is neither declared in topics: nor under managedPrefixes: in the long form a * is part of the name, not a wildcard; for every topic starting with "orders" write name: "orders" with pattern: prefixed`,
		`t.yaml:8:35: warning: resource.name "billing-*" is literal: in the long form a * is part of the name, not a wildcard; for every group starting with "billing-" write name: "billing-" with pattern: prefixed`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
