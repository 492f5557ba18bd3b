package cli

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/devcluster/devclustertest"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestLagFlags(t *testing.T) {
	tests := []struct {
		args   []string
		groups []string
		watch  time.Duration
		err    string
	}{
		{args: []string{"g1", "g2"}, groups: []string{"g1", "g2"}},
		{args: []string{"g1", "--watch"}, groups: []string{"g1"}, watch: 5 * time.Second},
		{args: []string{"--watch", "g1"}, groups: []string{"g1"}, watch: 5 * time.Second},
		{args: []string{"g1", "--watch", "2s"}, groups: []string{"g1"}, watch: 2 * time.Second},
		{args: []string{"--watch", "2s", "g1"}, groups: []string{"g1"}, watch: 2 * time.Second},
		{args: []string{"--watch=750ms", "g1"}, groups: []string{"g1"}, watch: 750 * time.Millisecond},
		{args: []string{"--watch", "--", "5s"}, groups: []string{"5s"}, watch: 5 * time.Second},
		{args: []string{"--watch=0s"}, err: "want a positive interval"},
		{args: []string{"--window", "0s"}, err: "--window must be positive"},
		{args: []string{"--max-time-lag", "-1s"}, err: "--max-time-lag must be 0 or more"},
		{args: []string{""}, err: "empty group name"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			f := NewFactory(IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}, func(string) string { return "" })
			var got *LagOptions
			cmd := NewCmdLag(f, func(_ context.Context, o *LagOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got.Groups, ",") != strings.Join(tc.groups, ",") || got.Watch != tc.watch {
				t.Errorf("groups %q watch %s, want %q %s", got.Groups, got.Watch, tc.groups, tc.watch)
			}
		})
	}
}

// On a terminal --watch redraws in place; after Ctrl-C it exits 0, or 1
// when the last refresh was over a threshold, naming the partitions.
func TestLagWatchTerminal(t *testing.T) {
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "w", 1, nil)
	cl := devclustertest.Client(t, c, kgo.DefaultProduceTopic("w"))
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: "w", Partition: 0, At: 2, LeaderEpoch: -1})
	if err := adm.CommitAllOffsets(ctx, "watched", os); err != nil {
		t.Fatal(err)
	}

	run := func(args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		env := map[string]string{"KCTL_BROKERS": c.Bootstrap(), "NO_COLOR": "1", "XDG_CONFIG_HOME": t.TempDir()}
		f := NewFactory(IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, func(k string) string { return env[k] })
		f.IsTerminal = func(any) bool { return true }
		ctx, cancel := context.WithTimeout(context.Background(), 450*time.Millisecond)
		defer cancel()
		code := Run(ctx, f, args)
		return out.String(), errOut.String(), code
	}

	out, errOut, code := run("lag", "watched", "--watch", "100ms")
	if code != 0 {
		t.Fatalf("exit %d after Ctrl-C, want 0; stderr %s", code, errOut)
	}
	if n := strings.Count(out, clearScreen); n < 3 {
		t.Fatalf("%d redraws in 450ms at 100ms, want at least 3:\n%q", n, out)
	}
	last := out[strings.LastIndex(out, clearScreen)+len(clearScreen):]
	if !strings.HasPrefix(last, "Every 100ms: kctl lag") || !strings.Contains(last, "Status: STOP") || !strings.Contains(last, "Lag: 3,") {
		t.Errorf("last frame:\n%s", last)
	}

	out, errOut, code = run("lag", "watched", "--watch", "100ms", "--max-lag", "2")
	if code != 1 || !strings.Contains(errOut, `group "watched": w/0 lag 3 > 2`) {
		t.Fatalf("over threshold: exit %d, stderr %q; want 1 naming w/0", code, errOut)
	}
	if !strings.Contains(out, "Over threshold: w/0 lag 3 > 2") {
		t.Errorf("the frames do not flag the partition:\n%s", out)
	}
}
