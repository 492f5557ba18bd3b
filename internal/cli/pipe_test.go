package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// runClosedStdout runs kctl in-process with stdout a pipe whose reader has
// gone (kctl … | head after head exited): every write to it fails with
// EPIPE. It returns the exit code and stderr.
func runClosedStdout(t *testing.T, c *devcluster.Cluster, args ...string) (int, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	var errOut bytes.Buffer
	env := map[string]string{"KCTL_BROKERS": c.Bootstrap(), "NO_COLOR": "1", "XDG_CONFIG_HOME": t.TempDir()}
	f := NewFactory(IOStreams{In: strings.NewReader(""), Out: NewStdout(w), ErrOut: &errOut}, func(k string) string { return env[k] })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return Run(ctx, f, args), errOut.String()
}

// A command that reads and prints stops at the closed stdout and exits 0
// without a word; one that fails for its own reason still exits 1.
func TestClosedStdoutReadOnly(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "orders", 3, nil)
	var o kadm.Offsets
	o.Add(kadm.Offset{Topic: "orders", Partition: 0, At: 0, LeaderEpoch: -1})
	if err := adm.CommitAllOffsets(context.Background(), "billing", o); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"groups", "list"}, {"groups", "describe", "billing", "-o", "json"}, {"describe", "topics"}, {"lag", "billing"}} {
		if code, errOut := runClosedStdout(t, c, args...); code != ExitOK || errOut != "" {
			t.Errorf("%v into a closed pipe: exit %d, stderr %q; want 0 and nothing", args, code, errOut)
		}
	}
	if code, errOut := runClosedStdout(t, c, "groups", "describe", "billing", "nope"); code != ExitError || !strings.Contains(errOut, `consumer group "nope" not found`) {
		t.Errorf("describe of a missing group into a closed pipe: exit %d, stderr %q; want 1 naming it", code, errOut)
	}
}

// A command that changes things is not interrupted by a closed stdout: it
// finishes its work and exits with that work's code.
func TestClosedStdoutChangesFinish(t *testing.T) {
	c := newCluster(t)
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.CreateTopics}, Topic: "x"})
	adm := devclustertest.Admin(t, c)

	// apply prints the plan before changing anything: a closed stdout
	// must not stop it there (nothing applied, exit 0 would be a lie).
	path := writeFile(t, "topics:\n  - {name: a, partitions: 1, replicationFactor: 3}\n")
	if code, errOut := runClosedStdout(t, c, "apply", "-f", path, "--yes"); code != ExitOK || errOut != "" {
		t.Fatalf("apply into a closed pipe: exit %d, stderr %q", code, errOut)
	}
	td, err := adm.ListTopics(context.Background(), "a")
	if err != nil || !td.Has("a") {
		t.Fatalf("apply into a closed pipe did not create topic a: %v %v", td, err)
	}
	// A failing apply keeps its exit code 1.
	path = writeFile(t, "topics:\n  - {name: a, partitions: 1, replicationFactor: 3}\n  - {name: x, partitions: 1, replicationFactor: 3}\n  - {name: z, partitions: 1, replicationFactor: 3}\n")
	if code, errOut := runClosedStdout(t, c, "apply", "-f", path, "--yes"); code != ExitError || !strings.Contains(errOut, `create "x"`) {
		t.Fatalf("failing apply into a closed pipe: exit %d, stderr %q; want 1 naming x", code, errOut)
	}
	if td, _ := adm.ListTopics(context.Background(), "z"); !td.Has("z") {
		t.Fatalf("failing apply into a closed pipe stopped before z")
	}

	// groups reset --execute commits; groups delete deletes, and a group
	// not found still fails the run.
	if code, errOut := runClosedStdout(t, c, "groups", "reset", "g", "--topic", "a", "--to-latest", "--create-group", "--execute"); code != ExitOK || errOut != "" {
		t.Fatalf("reset into a closed pipe: exit %d, stderr %q", code, errOut)
	}
	offs, err := adm.FetchOffsets(context.Background(), "g")
	if _, ok := offs.Lookup("a", 0); err != nil || !ok {
		t.Fatalf("reset into a closed pipe committed nothing: %v %v", offs, err)
	}
	if code, errOut := runClosedStdout(t, c, "groups", "delete", "g", "nope", "--yes"); code != ExitError || errOut != "" {
		t.Fatalf("delete into a closed pipe: exit %d, stderr %q; want 1 (nope not deleted)", code, errOut)
	}
	if ls, _ := adm.ListGroups(context.Background()); len(ls.Groups()) != 0 {
		t.Fatalf("delete into a closed pipe left %v", ls.Groups())
	}
}

// A closed stdout stops no command that changes a cluster (annotated
// mutates) and, of the others, exactly produce, config use-context and
// config set-context; the commands that only read stop. A command that lost
// its annotation would silently lose its protection.
func TestKeepGoingCommands(t *testing.T) {
	root := NewCmdRoot(testFactory())
	var others []string
	mutating := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		switch {
		case c.Annotations[mutatesAnnotation] == "true":
			mutating++
			if !keepsGoing(c) {
				t.Errorf("%s changes a cluster but a closed stdout stops it", c.CommandPath())
			}
		case keepsGoing(c):
			others = append(others, c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if mutating == 0 {
		t.Fatal("no command is annotated as changing a cluster")
	}
	if got, want := strings.Join(others, ","), "kctl config set-context,kctl config use-context,kctl produce"; got != want {
		t.Errorf("commands a closed stdout does not stop, besides those that change a cluster: %s, want %s", got, want)
	}
}
