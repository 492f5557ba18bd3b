package inspect

import (
	"testing"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/provision"
	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

const accessYAML = `topics: [{name: user.signed-up, partitions: 1, replicationFactor: 3}]
users:
  - {name: email-service, iterations: 4096, passwordFrom: {env: PW}}
  - {name: ops, mechanism: scram-sha-512, passwordFrom: {env: PW}}
acls:
  - principal: User:email-service
    consumer: {topics: [user.signed-up], group: email-service}
  - principal: User:ops
    allow: [describe]
    resource: {type: topic, name: user., pattern: prefixed}
  - principal: User:ops
    deny: [alter]
    resource: {type: cluster}
quotas:
  - {user: email-service, consumerByteRate: 10MiB, requestPercentage: 50}
`

// TestDescribeAccess: describe acls (filtered by principal and topic),
// users and quotas read back what apply set, as text and values.
func TestDescribeAccess(t *testing.T) {
	c, err := devcluster.Start(devcluster.Options{SASLUser: "admin", SASLPassword: "admin-pw", ACLs: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...), kgo.SASL(scram.Auth{User: "admin", Pass: "admin-pw"}.AsSha256Mechanism()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	f, diags := topology.Parse("topics.yaml", []byte(accessYAML))
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	st, err := provision.Observe(ctx(t), cl, f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provision.Apply(ctx(t), cl, provision.Gate(provision.Diff(f, st, provision.Options{}), provision.Allowances{}, nil), provision.ApplyOptions{Getenv: func(string) string { return "pw" }}); err != nil {
		t.Fatal(err)
	}

	all, err := DescribeACLs(ctx(t), cl, ACLFilter{})
	if err != nil || len(all.ACLs) != 5 {
		t.Fatalf("all ACLs: %v %v", all.ACLs, err)
	}
	onTopic, err := DescribeACLs(ctx(t), cl, ACLFilter{Topic: "user.signed-up"})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "acls_topic", text(t, onTopic))
	ops, err := DescribeACLs(ctx(t), cl, ACLFilter{Principal: "ops"})
	if err != nil || len(ops.ACLs) != 2 || ops.Filter.Principal != "User:ops" {
		t.Errorf("ops ACLs: %+v %v", ops, err)
	}
	users, err := DescribeUsers(ctx(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "users", text(t, users))
	quotas, err := DescribeQuotas(ctx(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "quotas", text(t, quotas))
}
