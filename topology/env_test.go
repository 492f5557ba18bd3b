package topology

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

const envSrc = `cluster:
  brokers: [localhost:9092]
defaults:
  replicationFactor: 3
  config:
    min.insync.replicas: 2
topics:
  - name: orders
    partitions: 3
    replicationFactor: 3
    config:
      retention.ms: 7d
  - name: orders.dlt
    partitions: 1
environments:
  local:
    defaults:
      replicationFactor: 1
      config: {min.insync.replicas: 1}
  prod:
    cluster: {id: "Mk3OEYBSD34fcwNTJENDM2", brokers: ["kafka-1:9092"]}
    defaults:
      config: {retention.ms: 14d}
    topics:
      orders: {partitions: 12, config: {segment.bytes: 512MiB}}
`

func mustParse(t *testing.T, src string) (*File, Diagnostics) {
	t.Helper()
	f, diags := Parse("topics.yaml", []byte(src))
	if f == nil {
		t.Fatalf("no file: %v", diags)
	}
	return f, diags
}

func TestEnvironmentsMerge(t *testing.T) {
	f, diags := mustParse(t, envSrc)
	if len(diags) != 0 {
		t.Fatalf("diagnostics: %v", diags)
	}
	if got := strings.Join(f.EnvironmentNames(), ","); got != "local,prod" {
		t.Fatalf("names = %s", got)
	}
	local, err := f.Select("local", "--env")
	if err != nil {
		t.Fatal(err)
	}
	if local.Env != "local" || local.Environments != nil {
		t.Errorf("local: env %q, environments %v", local.Env, local.Environments)
	}
	for _, tp := range local.Topics {
		if tp.ReplicationFactor != 1 || tp.Config["min.insync.replicas"] != "1" {
			t.Errorf("local %s: rf %d, min isr %s", tp.Name, tp.ReplicationFactor, tp.Config["min.insync.replicas"])
		}
	}
	if got := local.Topics[0].Config["retention.ms"]; got != "604800000" {
		t.Errorf("local orders retention = %s (config maps merge key by key)", got)
	}
	if local.Cluster.Brokers[0] != "localhost:9092" {
		t.Errorf("local keeps the base cluster: %+v", local.Cluster)
	}
	prod, err := f.Select("prod", "KCTL_ENV")
	if err != nil {
		t.Fatal(err)
	}
	o := prod.Topics[0]
	if o.Partitions != 12 || o.ReplicationFactor != 3 || o.Config["retention.ms"] != "1209600000" || o.Config["segment.bytes"] != "536870912" || o.Config["min.insync.replicas"] != "2" {
		t.Errorf("prod orders = %+v", o)
	}
	if d := prod.Topics[1]; d.Partitions != 1 || d.Config["retention.ms"] != "1209600000" || d.Config["segment.bytes"] != "" {
		t.Errorf("prod orders.dlt = %+v", d)
	}
	if prod.Cluster.ID != "Mk3OEYBSD34fcwNTJENDM2" || len(prod.Cluster.Brokers) != 1 || prod.Cluster.Brokers[0] != "kafka-1:9092" {
		t.Errorf("prod cluster = %+v", prod.Cluster)
	}
	// The base is untouched.
	if f.Topics[0].Partitions != 3 || f.Topics[0].Config["segment.bytes"] != "" || f.Topics[0].ReplicationFactor != 3 {
		t.Errorf("base changed: %+v", f.Topics[0])
	}
}

func TestEnvironmentSelectErrors(t *testing.T) {
	f, _ := mustParse(t, envSrc)
	var ee *EnvError
	_, err := f.Select("", "")
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "defines environments (local, prod): choose one with --env NAME") {
		t.Errorf("no env: %v", err)
	}
	_, err = f.Select("staging", "KCTL_ENV")
	if !errors.As(err, &ee) || err.Error() != `no environment "staging" (from KCTL_ENV) in topics.yaml: defined are local, prod` {
		t.Errorf("unknown env: %v", err)
	}
	plain, _ := mustParse(t, "topics: [{name: a, partitions: 1, replicationFactor: 1}]\n")
	if got, err := plain.Select("", ""); err != nil || got != plain {
		t.Errorf("no environments, none selected: %v", err)
	}
	_, err = plain.Select("local", "--env")
	if err == nil || !strings.Contains(err.Error(), `environment "local" (from --env) selected, but topics.yaml defines no environments`) {
		t.Errorf("env on a file without environments: %v", err)
	}
}

func TestEnvironmentDiagnostics(t *testing.T) {
	src := `defaults: {replicationFactor: 3, config: {min.insync.replicas: 2}}
topics:
  - name: orders
    partitions: 3
environments:
  one:
    defaults:
      replicationFactor: 1
  two:
    topics:
      order: {partitions: 2}
      orders: {replicationFactor: 2, config: {min.insync.replicas: 3}, colour: red}
  three:
    defaults: {partitions: 20000}
  ok: {}
`
	_, diags := mustParse(t, src)
	want := []string{
		`topics.yaml:8:26: error: environment "one": topic "orders": min.insync.replicas 2 is greater than replicationFactor 1 once the environment is merged`,
		`topics.yaml:11:7: error: environment "two": topics: "order" is not a topic of this file (did you mean "orders"?)`,
		`topics.yaml:12:68: error: environment "two": topic "orders": min.insync.replicas 3 is greater than replicationFactor 2`,
		`topics.yaml:12:72: error: environment "two": unknown key "colour" in topics.orders`,
	}
	if len(diags) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%v", len(diags), len(want), diags)
	}
	for i, w := range want {
		if !strings.HasPrefix(diags[i].String(), w) {
			t.Errorf("diag %d:\n got %s\nwant %s…", i, diags[i], w)
		}
	}
	// The per-topic ceiling, per environment.
	f, _ := mustParse(t, src)
	lim := WithLimits(f, diags, 0)
	if !strings.Contains(lim.Errors()[len(lim.Errors())-1].String()+lim.Errors()[0].String(), `environment "three": topic "orders": 20000 partitions is above the ceiling of 10000`) {
		t.Errorf("limits: %v", lim)
	}
	// validate --env one sees only the base's and one's diagnostics.
	only := ForEnvironment(lim, "one")
	if len(only) != 1 || !strings.Contains(only[0].Message, `environment "one"`) {
		t.Errorf("ForEnvironment(one) = %v", only)
	}
	if got := ForEnvironment(lim, "ok"); len(got) != 0 {
		t.Errorf("ForEnvironment(ok) = %v", got)
	}
}

func TestEnvironmentsShape(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"environments: [local]\n", "environments must be a mapping"},
		{"environments:\n  'bad name': {}\n", `"bad name" is not a usable environment name`},
		{"environments:\n  local: {defaults: {replicationFactor: 0}}\n", `environment "local": defaults.replicationFactor must be at least 1`},
		{"environments:\n  local: {cluster: {brokers: [nope]}}\n", `environment "local": cluster.brokers: "nope" is not host:port`},
		{"environments:\n  local: {topic: {}}\n", `environment "local": unknown key "topic" in the environment (did you mean "topics"?)`},
		{"environments: {}\n", "environments is empty"},
	} {
		_, diags := mustParse(t, "topics: [{name: a, partitions: 1, replicationFactor: 1}]\n"+tc.src)
		if len(diags) == 0 || !strings.Contains(fmt.Sprint(diags), tc.want) {
			t.Errorf("%q: diagnostics %v, want %q", tc.src, diags, tc.want)
		}
	}
}

// TestRepositoryEnvironments: the repository's topics.yaml keeps the seed's
// values as its base and gains local (RF 1, min ISR 1) and replicated (the
// base as written).
func TestRepositoryEnvironments(t *testing.T) {
	f, diags, err := Load(filepath.Join("..", "topics.yaml"))
	if err != nil || len(diags) != 0 {
		t.Fatalf("%v %v", err, diags)
	}
	if got := strings.Join(f.EnvironmentNames(), ","); got != "local,replicated" {
		t.Fatalf("environments = %s", got)
	}
	local, err := f.Select("local", "")
	if err != nil {
		t.Fatal(err)
	}
	repl, err := f.Select("replicated", "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range f.Topics {
		if l := local.Topics[i]; l.ReplicationFactor != 1 || l.Config["min.insync.replicas"] != "1" {
			t.Errorf("local %+v", l)
		}
		if r := repl.Topics[i]; r.ReplicationFactor != 3 || r.Config["min.insync.replicas"] != "2" || r.Partitions != f.Topics[i].Partitions {
			t.Errorf("replicated %+v", r)
		}
	}
}
