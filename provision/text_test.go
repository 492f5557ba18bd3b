package provision

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./provision -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./provision -run %s -update to accept):\n--- got\n%s--- want\n%s", path, t.Name(), got, want)
	}
}

// TestPlanText renders a plan with every kind of change.
func TestPlanText(t *testing.T) {
	f := mustParse(t, `
managedPrefixes: [user.]
defaults:
  replicationFactor: 3
  config:
    min.insync.replicas: 2
topics:
  - name: user.signed-up
    partitions: 6
    config:
      retention.ms: 1d
      retention.bytes: 1GiB
  - name: user.signed-up.dlt
    partitions: 1
  - name: user.audit
    partitions: 3
  - name: user.orders
    partitions: 2
    replicationFactor: 2
    config:
      min.insync.replicas: 1
  - name: user.payments
    partitions: 3
`)
	st := state("kfake", 3,
		topic("user.signed-up", 3, 3, withDefaults("min.insync.replicas=2@topic~1", "segment.ms=3600000@topic~604800000")...),
		topic("user.audit", 3, 3, withDefaults("min.insync.replicas=2@topic~1", "cleanup.policy=compact@topic~delete")...),
		topic("user.orders", 4, 3, withDefaults("min.insync.replicas=1@topic~1")...),
		topic("user.gone", 1, 3),
		topic("user.payments", 3, 1, withDefaults("min.insync.replicas=2@topic~1")...),
		topic("orders", 1, 3),
	)
	var buf bytes.Buffer
	p := Diff(f, st, Options{Prune: true, PruneConfigs: false, MaxDeletes: 1})
	if err := p.WriteText(&buf, plainStyles); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("---- with --prune-configs, nothing refused:\n")
	f2 := mustParse(t, "managedPrefixes: [user.]\ntopics:\n  - {name: user.signed-up, partitions: 3, replicationFactor: 3, config: {min.insync.replicas: 2}}\n")
	if err := Diff(f2, st, Options{PruneConfigs: true}).WriteText(&buf, plainStyles); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("---- cluster-ID mismatch:\n")
	f3 := mustParse(t, "cluster: {id: prod-eu-1}\ntopics:\n  - {name: a, partitions: 1, replicationFactor: 1}\n")
	if err := Diff(f3, st, Options{}).WriteText(&buf, plainStyles); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("---- nothing to do:\n")
	f4 := mustParse(t, "topics:\n  - {name: orders, partitions: 1, replicationFactor: 3}\n")
	if err := Diff(f4, st, Options{}).WriteText(&buf, plainStyles); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.golden", buf.Bytes())
}

// TestResultText renders apply results: success, failure, dry run.
func TestResultText(t *testing.T) {
	var buf bytes.Buffer
	ok := Result{Items: []ItemResult{{Action: Create, Topic: "user.a", OK: true}, {Action: Update, Topic: "user.b", OK: true}, {Action: Delete, Topic: "user.c", OK: true}}}
	failed := Result{Items: []ItemResult{{Action: Create, Topic: "user.a", OK: true}, {Action: Create, Topic: "x", Error: "create: UNKNOWN_SERVER_ERROR: The server experienced an unexpected error when processing the request."}}}
	dry := Result{DryRun: true, Items: []ItemResult{{Action: Create, Topic: "user.a", OK: true}, {Action: Update, Topic: "user.b", Error: "configs: INVALID_CONFIG: Invalid value"}, {Action: Delete, Topic: "user.c", Skipped: "not checked: Kafka has no validate-only delete"}}}
	for _, r := range []Result{ok, failed, dry} {
		if err := r.WriteText(&buf, plainStyles); err != nil {
			t.Fatal(err)
		}
	}
	golden(t, "result.golden", buf.Bytes())
}
