package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func newCluster(t *testing.T, opts ...kfake.Opt) *devcluster.Cluster {
	return devclustertest.New(t, opts...)
}

// run executes kctl in-process with the cluster's brokers; terminal says
// whether stdin counts as a terminal.
func run(t *testing.T, c *devcluster.Cluster, stdin string, terminal bool, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{"KCTL_BROKERS": c.Bootstrap(), "NO_COLOR": "1", "XDG_CONFIG_HOME": t.TempDir()}
	f := NewFactory(IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}, func(k string) string { return env[k] })
	f.IsTerminal = func(s any) bool { return terminal && s == f.IO.In }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := Run(ctx, f, args)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "topics.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestApplyPartialFailure: a fault on one topic's CreateTopics fails that
// topic; the others are created; kctl exits 1 naming it.
func TestApplyPartialFailure(t *testing.T) {
	c := newCluster(t)
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.CreateTopics}, Topic: "x"})
	path := writeFile(t, "topics:\n  - {name: a, partitions: 1, replicationFactor: 3}\n  - {name: x, partitions: 2, replicationFactor: 3}\n  - {name: z, partitions: 3, replicationFactor: 3}\n")
	code, out, errOut := run(t, c, "", false, "apply", "-f", path, "--yes")
	if code != ExitError {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"  ✓ created a\n", "  ✗ create x: create: UNKNOWN_SERVER_ERROR", "  ✓ created z\n", "Apply failed: 2 created, 0 updated, 0 deleted, 1 failed."} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, `Error: 1 change failed: create "x": create: UNKNOWN_SERVER_ERROR`) {
		t.Errorf("stderr: %s", errOut)
	}
	// The next plan has just x left to create.
	code, out, _ = run(t, c, "", false, "plan", "-f", path, "--detailed-exitcode")
	if code != ExitChanges || !strings.Contains(out, "+ create x") || strings.Contains(out, "create a") || !strings.Contains(out, "Plan: 1 to create") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestApplyConfirmation: on a terminal, apply asks; only "yes" applies.
func TestApplyConfirmation(t *testing.T) {
	c := newCluster(t)
	path := writeFile(t, "topics:\n  - {name: a, partitions: 1, replicationFactor: 3}\n")

	code, out, errOut := run(t, c, "no\n", true, "apply", "-f", path)
	if code != ExitError || !strings.Contains(errOut, "Apply these changes? Only 'yes' is accepted: ") || !strings.Contains(errOut, "Error: apply cancelled: nothing was changed") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := run(t, c, "", false, "plan", "-f", path, "--detailed-exitcode"); code != ExitChanges {
		t.Fatalf("a cancelled apply changed the cluster: exit %d\n%s", code, out)
	}

	code, out, errOut = run(t, c, "yes\n", true, "apply", "-f", path)
	if code != ExitOK || !strings.Contains(out, "✓ created a") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	// Nothing to do: no question asked.
	code, out, errOut = run(t, c, "", true, "apply", "-f", path)
	if code != ExitOK || !strings.HasPrefix(out, "No changes.") || strings.Contains(errOut, "Apply these changes") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestApplyJSON: -o json prints the plan, the result and its summary as
// one document.
func TestApplyJSON(t *testing.T) {
	c := newCluster(t)
	path := writeFile(t, "topics:\n  - {name: a, partitions: 2, replicationFactor: 3, config: {retention.ms: 1h}}\n")
	code, out, errOut := run(t, c, "", false, "apply", "-f", path, "--yes", "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	// The summary the text closes with ("Apply complete: 1 created, …")
	// is in the JSON too.
	for _, want := range []string{`"plan": {`, `"action": "create"`, `"new": "3600000"`, `"result": {`, `"ok": true`, `"CreateTopics": 1`,
		`"status": "complete"`, `"created": 1`} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %s:\n%s", want, out)
		}
	}
	code, out, _ = run(t, c, "", false, "apply", "-f", path, "-o", "yaml")
	if code != ExitOK || !strings.Contains(out, "changes: []") || !strings.Contains(out, "result: null") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestPlanFlags: bad flags are usage errors.
func TestPlanFlags(t *testing.T) {
	c := newCluster(t)
	code, _, errOut := run(t, c, "", false, "apply", "--max-deletes", "-1")
	if code != ExitError || !strings.Contains(errOut, "--max-deletes must be 0 or more") || !strings.Contains(errOut, "Run 'kctl apply --help' for usage.") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// --max-deletes without --prune would be ignored: a usage error.
	path := writeFile(t, "managedPrefixes: [user.]\ntopics:\n  - {name: user.a, partitions: 1, replicationFactor: 3}\n")
	for _, args := range [][]string{{"plan"}, {"apply", "--yes"}} {
		cmd := args[0]
		code, out, errOut := run(t, c, "", false, append(args, "-f", path, "--max-deletes", "3")...)
		if code != ExitError || !strings.HasPrefix(errOut, "Error: --max-deletes only applies with --prune: add --prune to delete undeclared topics, or drop --max-deletes\n") || !strings.Contains(errOut, "Run 'kctl "+cmd+" --help' for usage.") || out != "" {
			t.Errorf("%s --max-deletes 3: exit %d\n%s%s", cmd, code, out, errOut)
		}
	}
	if code, out, errOut := run(t, c, "", false, "plan", "-f", path, "--prune", "--max-deletes", "3"); code != ExitOK {
		t.Errorf("plan --prune --max-deletes 3: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := run(t, c, "", false, "plan", "-f", path, "--detailed-exitcode"); code != ExitChanges {
		t.Fatalf("a refused flag changed the cluster: exit %d\n%s", code, out)
	}
}

// TestInvalidFileOutput: plan and apply refuse a file with errors before
// connecting; the message fits the command (plan never changes anything),
// and with -o json|yaml the diagnostics are printed on stdout as validate
// prints them.
func TestInvalidFileOutput(t *testing.T) {
	c := newCluster(t)
	path := writeFile(t, "topics:\n  - name: a\n    partitions: 0\n    replicationFactor: 3\n")
	msg := path + " has 1 error"

	code, out, errOut := run(t, c, "", false, "plan", "-f", path)
	if code != ExitError || out != "" || !strings.Contains(errOut, ":3:17: error: partitions must be at least 1, got 0\n") ||
		!strings.HasSuffix(errOut, "Error: "+msg+": fix the file and run again\n") {
		t.Errorf("plan: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	code, out, errOut = run(t, c, "", false, "apply", "-f", path, "--yes")
	if code != ExitError || out != "" || !strings.HasSuffix(errOut, "Error: "+msg+"; nothing was changed: fix the file and run again\n") {
		t.Errorf("apply: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}

	_, want, _ := run(t, c, "", false, "validate", "-f", path, "-o", "json")
	for _, args := range [][]string{{"plan", "-o", "json"}, {"apply", "-o", "json", "--yes"}} {
		code, out, errOut := run(t, c, "", false, append(args, "-f", path)...)
		var got validateView
		if err := json.Unmarshal([]byte(out), &got); err != nil || code != ExitError {
			t.Fatalf("%s: exit %d, stdout is not the diagnostics (%v):\n%s%s", args[0], code, err, out, errOut)
		}
		if out != want || got.Valid || len(got.Errors) != 1 || got.Errors[0].Pos.Line != 3 || got.Errors[0].Pos.Col != 17 {
			t.Errorf("%s -o json printed\n%s\nwant what validate -o json prints:\n%s", args[0], out, want)
		}
		if strings.Contains(errOut, "partitions must be") || !strings.Contains(errOut, "Error: "+msg+" (listed on stdout)") {
			t.Errorf("%s -o json: stderr %q", args[0], errOut)
		}
	}
	code, out, _ = run(t, c, "", false, "plan", "-f", path, "-o", "yaml")
	if code != ExitError || !strings.Contains(out, "valid: false\n") || !strings.Contains(out, "line: 3\n") {
		t.Errorf("plan -o yaml: exit %d\n%s", code, out)
	}
	if code, out, _ := run(t, c, "", false, "describe", "topics"); code != ExitOK || strings.Contains(out, "Topic a ") {
		t.Errorf("an invalid file changed the cluster:\n%s", out)
	}
}

// TestRefusedJSON: with -o json|yaml the refusal message points into the
// plan, not at a "! refused" line that only the text output has.
func TestRefusedJSON(t *testing.T) {
	c := newCluster(t)
	path := writeFile(t, "topics:\n  - {name: a, partitions: 3, replicationFactor: 3}\n")
	if code, out, errOut := run(t, c, "", false, "apply", "-f", path, "--yes"); code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	path = writeFile(t, "topics:\n  - {name: a, partitions: 2, replicationFactor: 3}\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan"}, `Error: 1 change refused (see "! refused" above, each says how to resolve it); apply would change nothing`},
		{[]string{"plan", "-o", "json"}, `Error: 1 change refused (see the "refused" changes in the plan, each says how to resolve it); apply would change nothing`},
		{[]string{"apply", "-o", "yaml", "--yes"}, `Error: 1 change refused (see the "refused" changes in the plan, each says how to resolve it); nothing was applied`},
		{[]string{"apply", "--yes"}, `Error: 1 change refused (see "! refused" above, each says how to resolve it); nothing was applied`},
	} {
		code, out, errOut := run(t, c, "", false, append(tc.args, "-f", path)...)
		if code != ExitError || strings.TrimSpace(errOut) != tc.want || !strings.Contains(out, "refused") {
			t.Errorf("%s: exit %d\nstderr %q\nwant %q\nstdout:\n%s", strings.Join(tc.args, " "), code, errOut, tc.want, out)
		}
	}
}

// TestConfirmInterrupted: Ctrl-C at the prompt stops waiting at once.
func TestConfirmInterrupted(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := confirm(ctx, r, io.Discard, "Apply these changes?")
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || ExitCode(err, ctx) != ExitInterrupted {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("confirm kept waiting after the context was cancelled")
	}
}

// TestApplyRiskyChanges: a risky update (compact → delete, partitions on a
// compacted topic) is named before the prompt, a "no" changes nothing, a
// "yes" to the named risks applies; --yes alone refuses, --allow-risky
// applies without a prompt.
func TestApplyRiskyChanges(t *testing.T) {
	c := newCluster(t)
	base := writeFile(t, "topics:\n  - {name: orders.state, partitions: 3, replicationFactor: 3, config: {cleanup.policy: compact}}\n")
	if code, out, errOut := run(t, c, "", false, "apply", "-f", base, "--yes"); code != ExitOK {
		t.Fatalf("create: exit %d\n%s%s", code, out, errOut)
	}
	risky := writeFile(t, "topics:\n  - {name: orders.state, partitions: 5, replicationFactor: 3, config: {cleanup.policy: delete}}\n")

	code, out, _ := run(t, c, "", false, "plan", "-f", risky)
	if code != ExitOK || !strings.Contains(out, "⚠ partitions 3 → 5 on a compacted topic") || !strings.Contains(out, "⚠ cleanup.policy compact → delete") ||
		!strings.Contains(out, "Plan: 0 to create, 1 to update, 0 to delete, 0 refused, 1 risky (⚠).") {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}

	code, out, errOut := run(t, c, "", false, "apply", "-f", risky, "--yes")
	if code != ExitError || !strings.Contains(errOut, "1 change risky (marked ⚠ above: orders.state)") || strings.Contains(out, "✓ updated") {
		t.Fatalf("--yes without --allow-risky: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, c, "no\n", true, "apply", "-f", risky)
	if code != ExitError || !strings.Contains(errOut, "This plan has 1 risky change:\n  ⚠ orders.state: partitions 3 → 5 on a compacted topic") ||
		!strings.Contains(errOut, "⚠ orders.state: cleanup.policy compact → delete") || !strings.Contains(errOut, "apply cancelled: nothing was changed") {
		t.Fatalf("prompt: exit %d\n%s%s", code, out, errOut)
	}
	if i, j := strings.Index(errOut, "risky change"), strings.Index(errOut, "Apply these changes?"); i < 0 || j < i {
		t.Errorf("the risks are not named before the question:\n%s", errOut)
	}
	if code, _, _ := run(t, c, "", false, "plan", "-f", risky, "--detailed-exitcode"); code != ExitChanges {
		t.Fatalf("a refused risky apply changed the cluster: plan exit %d", code)
	}
	code, out, errOut = run(t, c, "yes\n", true, "apply", "-f", risky)
	if code != ExitOK || !strings.Contains(out, "✓ updated orders.state") {
		t.Fatalf("yes to the named risks: exit %d\n%s%s", code, out, errOut)
	}

	// Back to compact (not risky), then lower min ISR to 1 with --allow-risky.
	minISR := writeFile(t, "topics:\n  - {name: orders.state, partitions: 5, replicationFactor: 3, config: {cleanup.policy: delete, min.insync.replicas: 2}}\n")
	if code, out, errOut := run(t, c, "", false, "apply", "-f", minISR, "--yes"); code != ExitOK {
		t.Fatalf("min ISR 2: exit %d\n%s%s", code, out, errOut)
	}
	lower := writeFile(t, "topics:\n  - {name: orders.state, partitions: 5, replicationFactor: 3, config: {cleanup.policy: delete, min.insync.replicas: 1, unclean.leader.election.enable: true}}\n")
	code, out, errOut = run(t, c, "", false, "apply", "-f", lower, "--yes", "--allow-risky")
	if code != ExitOK || !strings.Contains(out, "⚠ min.insync.replicas 2 → 1") || !strings.Contains(out, "⚠ unclean.leader.election.enable → true") || !strings.Contains(out, "✓ updated orders.state") {
		t.Fatalf("--allow-risky: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run(t, c, "", false, "plan", "-f", lower, "-o", "json")
	var plan struct {
		Changes []any `json:"changes"`
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &plan) != nil || len(plan.Changes) != 0 {
		t.Fatalf("after apply: exit %d\n%s", code, out)
	}
}
