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

// An environment removes a base config with null (defaults: from every
// topic and the base's defaults; a topic override: from that topic), and
// an unknown name set to null is still an error.
func TestEnvironmentUnsetConfig(t *testing.T) {
	f, diags := mustParse(t, `defaults:
  replicationFactor: 3
  config:
    min.insync.replicas: 2
    cleanup.policy: compact
topics:
  - name: a
    partitions: 1
    config: {retention.ms: 7d}
  - name: b
    partitions: 1
    config: {retention.ms: 1d}
environments:
  x:
    defaults:
      config: {min.insync.replicas: null}
    topics:
      a: {config: {retention.ms: null}}
`)
	if len(diags) != 0 {
		t.Fatalf("diagnostics: %v", diags)
	}
	x, err := f.Select("x", "--env")
	if err != nil {
		t.Fatal(err)
	}
	a, b := x.Topics[0], x.Topics[1]
	if _, ok := a.Config["retention.ms"]; ok {
		t.Errorf("x: a keeps retention.ms: %v", a.Config)
	}
	if b.Config["retention.ms"] != "86400000" {
		t.Errorf("x: b lost retention.ms: %v", b.Config)
	}
	for _, tp := range x.Topics {
		if _, ok := tp.Config["min.insync.replicas"]; ok || tp.Config["cleanup.policy"] != "compact" {
			t.Errorf("x: %s config %v, want min.insync.replicas removed, cleanup.policy kept", tp.Name, tp.Config)
		}
	}
	if _, ok := x.Defaults.Config["min.insync.replicas"]; ok {
		t.Errorf("x: defaults keep min.insync.replicas: %v", x.Defaults.Config)
	}
	if f.Topics[0].Config["retention.ms"] != "604800000" || f.Topics[0].Config["min.insync.replicas"] != "2" {
		t.Errorf("base changed: %v", f.Topics[0].Config)
	}
	if got := a.Origin["config.retention.ms"]; got != "environment x's override of a at topics.yaml:18:20" {
		t.Errorf("origin of a's retention.ms = %q", got)
	}

	_, diags = mustParse(t, `topics:
  - name: a
    partitions: 1
environments:
  x:
    defaults:
      config: {retention.mss: null}
`)
	if err := diags.Err(); err == nil || !strings.Contains(err.Error(), `environment "x": defaults.config: unknown topic config "retention.mss" (did you mean "retention.ms"?)`) {
		t.Errorf("unknown key set to null: %v", diags)
	}
}

// A field an environment sets records where (Origin), for refusals to
// point at it; the base's fields have none.
func TestEnvironmentOrigin(t *testing.T) {
	f, _ := mustParse(t, envSrc)
	prod, err := f.Select("prod", "--env")
	if err != nil {
		t.Fatal(err)
	}
	o := prod.Topics[0].Origin
	want := map[string]string{
		"partitions":           "environment prod's override of orders at topics.yaml:25:28",
		"config.retention.ms":  "environment prod's defaults at topics.yaml:23:30",
		"config.segment.bytes": "environment prod's override of orders at topics.yaml:25:56",
	}
	for k, w := range want {
		if o[k] != w {
			t.Errorf("origin[%s] = %q, want %q", k, o[k], w)
		}
	}
	if _, ok := o["replicationFactor"]; ok {
		t.Errorf("replicationFactor has an origin though prod does not set it: %v", o)
	}
	if f.Topics[0].Origin != nil {
		t.Errorf("base topic has an origin: %v", f.Topics[0].Origin)
	}
}

// What an environment cannot vary is refused saying what to do instead.
func TestEnvironmentFixedSections(t *testing.T) {
	_, diags := mustParse(t, `topics:
  - name: a
    partitions: 1
    replicationFactor: 1
environments:
  x:
    users: []
    managedPrefixes: [a]
    defautls: {}
`)
	got := fmt.Sprint(diags)
	for _, w := range []string{
		`topics.yaml:7:5: error: environment "x": users cannot vary by environment: access (users, acls, quotas) is the same in every environment`,
		`topics.yaml:8:5: error: environment "x": managedPrefixes cannot vary by environment: declare it at the top level`,
		`topics.yaml:9:5: error: environment "x": unknown key "defautls" in the environment (did you mean "defaults"?)`,
	} {
		if !strings.Contains(got, w) {
			t.Errorf("diagnostics %s\nlack %s", got, w)
		}
	}
}
