package cli

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// completions runs cobra's hidden __complete command and returns the
// completed words (the last line is the directive).
func completions(t *testing.T, out string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], ":") {
		t.Fatalf("not a completion answer: %q", out)
	}
	return lines[:len(lines)-1]
}

// Completion knows the cluster: topic names for describe topics, group
// names for lag, each filtered by the typed prefix; context names for
// --context and use-context from the config file.
func TestCompletion(t *testing.T) {
	c := newCluster(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(c.Bootstrap(), ",")...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx := context.Background()
	if _, err := adm.CreateTopics(ctx, 1, 1, nil, "orders", "orders.dlt", "users"); err != nil {
		t.Fatal(err)
	}
	var offs kadm.Offsets
	offs.AddOffset("orders", 0, 0, -1)
	for _, g := range []string{"email-service", "billing"} {
		if r, err := adm.CommitOffsets(ctx, g, offs); err != nil || r.Error() != nil {
			t.Fatalf("commit for %s: %v %v", g, err, r.Error())
		}
	}

	code, out, errOut := run(t, c, "", false, "__complete", "describe", "topics", "ord")
	if got := completions(t, out); code != 0 || strings.Join(got, ",") != "orders,orders.dlt" {
		t.Errorf("describe topics ord<TAB>: exit %d, %q (stderr %q)", code, got, errOut)
	}
	_, out, _ = run(t, c, "", false, "__complete", "describe", "topics", "orders", "")
	if got := completions(t, out); strings.Join(got, ",") != "orders.dlt,users" {
		t.Errorf("a topic already named is not offered again: %q", got)
	}
	_, out, _ = run(t, c, "", false, "__complete", "lag", "")
	if got := completions(t, out); strings.Join(got, ",") != "billing,email-service" {
		t.Errorf("lag <TAB>: %q", got)
	}

	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte("contexts:\n  prod: {brokers: [p:9092]}\n  local: {brokers: [l:9092]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, out, _ = run(t, c, "", false, "__complete", "--config", cfg, "describe", "cluster", "--context", "")
	if got := completions(t, out); strings.Join(got, ",") != "local,prod" {
		t.Errorf("--context <TAB>: %q", got)
	}
	_, out, _ = run(t, c, "", false, "__complete", "--config", cfg, "config", "use-context", "p")
	if got := completions(t, out); strings.Join(got, ",") != "prod" {
		t.Errorf("use-context p<TAB>: %q", got)
	}
}

// A cluster that never answers completes nothing, within about the
// completion bound, instead of hanging the shell for --timeout.
func TestCompletionClusterAway(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // held open, never answered
		}
	}()
	c := newCluster(t) // KCTL_BROKERS points at it; -b wins
	start := time.Now()
	code, out, _ := run(t, c, "", false, "__complete", "-b", ln.Addr().String(), "--timeout", "30s", "describe", "topics", "")
	if got := completions(t, out); code != 0 || len(got) != 0 {
		t.Errorf("exit %d, completions %q; want none", code, got)
	}
	// Not a speed target: the point is that a 30s --timeout is not waited.
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("completion waited %s for a silent broker", d)
	}
}
