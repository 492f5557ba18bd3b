package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
)

// writeMarker records a rebalance in progress for the session's cluster.
func (s *session) writeMarker() {
	s.t.Helper()
	if err := os.MkdirAll(filepath.Dir(s.marker()), 0o700); err != nil {
		s.t.Fatal(err)
	}
	marker := `{"clusterId":"kfake","started":"2026-01-02T03:04:05Z","moves":[
	  {"topic":"orders","partition":0,"from":[0],"to":[0,1,2],"state":"started"},
	  {"topic":"orders","partition":1,"from":[1],"to":[1,2,0],"state":"pending"}]}`
	if err := os.WriteFile(s.marker(), []byte(marker), 0o600); err != nil {
		s.t.Fatal(err)
	}
}

// TestApplyRFRefusedOverMarker: while a rebalance (or an interrupted
// apply --throttle) is recorded, an apply that changes a replication
// factor is refused with or without --throttle, dry run included, naming
// the marker and the ways out; nothing is sent. An apply without an RF
// change is not held up.
func TestApplyRFRefusedOverMarker(t *testing.T) {
	s := newSession(t)
	s.writeMarker()
	r := fakeReassignments(s.c, 1)
	path := writeFile(t, "topics:\n  - {name: orders, partitions: 24, replicationFactor: 3}\n")
	for _, args := range [][]string{
		{"apply", "-f", path, "--yes"},
		{"apply", "-f", path, "--yes", "--max-moves", "2"},
		{"apply", "-f", path, "--yes", "--throttle", "1MiB/s"},
		{"apply", "-f", path, "--dry-run"},
	} {
		code, out, errOut := s.run(args...)
		if code != ExitError || !strings.Contains(errOut, `a rebalance started at 2026-01-02T03:04:05Z is in progress on cluster "kfake" (0 of 2 moves done, recorded in `+s.marker()+`)`) ||
			!strings.Contains(errOut, "before changing a replicationFactor") || !strings.Contains(errOut, "kctl rebalance --cancel") || !strings.Contains(errOut, "delete the file") {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	if started, _ := r.sent(); len(started) != 0 || len(r.configOps()) != 0 {
		t.Fatalf("sent %v %v", started, r.configOps())
	}
	if _, err := os.Stat(s.marker()); err != nil {
		t.Fatalf("marker: %v", err)
	}

	configs := writeFile(t, "topics:\n  - {name: orders, partitions: 24, replicationFactor: 1, config: {retention.ms: 30d}}\n")
	if code, out, errOut := s.run("apply", "-f", configs, "--yes"); code != ExitOK || !strings.Contains(out, "updated orders") {
		t.Fatalf("config-only apply: exit %d\n%s%s", code, out, errOut)
	}
}

// TestApplyMaxMovesWithoutThrottle: --max-moves batches a replication-factor
// change without a throttle too: at most N partitions moving at once, no
// throttle config set, apply waits until every move is done and removes
// its marker.
func TestApplyMaxMovesWithoutThrottle(t *testing.T) {
	s := newSession(t)
	r := fakeReassignments(s.c, 1)
	path := writeFile(t, "topics:\n  - {name: orders, partitions: 24, replicationFactor: 2}\n")
	code, out, errOut := s.run("apply", "-f", path, "--yes", "--max-moves", "5", "--poll-interval", "10ms")
	if code != ExitOK || !strings.Contains(out, "Replication-factor change complete: 24 of 24 partitions moved.") || strings.Contains(out, "throttle removed") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	started, _ := r.sent()
	if len(started) != 24 || len(r.batches) < 5 {
		t.Fatalf("sent %v in %d batches", started, len(r.batches))
	}
	for i, b := range r.batches {
		if len(b) > 5 {
			t.Fatalf("batch %d: %d partitions", i, len(b))
		}
	}
	if r.maxLive > 5 {
		t.Fatalf("%d partitions moving at once", r.maxLive)
	}
	if ops := r.configOps(); len(ops) != 0 {
		t.Fatalf("config ops %q", ops)
	}
	if _, err := os.Stat(s.marker()); !os.IsNotExist(err) {
		t.Fatalf("marker left: %v", err)
	}
	if code, _, errOut := s.run("apply", "-f", path, "--yes", "--max-moves", "0"); code != ExitError || !strings.Contains(errOut, "--max-moves 0: must be at least 1") {
		t.Fatalf("--max-moves 0: exit %d %s", code, errOut)
	}
}

// TestRebalanceRemoveBelowReplicationFactor: draining a broker when a
// topic needs every broker names the topic and the fix, not a partition
// the planner could not place.
func TestRebalanceRemoveBelowReplicationFactor(t *testing.T) {
	s := newSession(t)
	if _, err := devclustertest.Admin(t, s.c).CreateTopic(context.Background(), 2, 3, nil, "ledger"); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := s.run("rebalance", "--brokers-remove", "2")
	if code != ExitError || !strings.Contains(errOut, "Error: ledger has replicationFactor 3 but only 2 brokers would remain: lower its replicationFactor or add a broker\n") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = s.run("rebalance", "--brokers-remove", "1,2")
	if code != ExitError || !strings.Contains(errOut, "Error: ledger has replicationFactor 3 but only 1 broker would remain; payments has replicationFactor 2 but only 1 broker would remain: lower their replicationFactor or add brokers\n") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}
