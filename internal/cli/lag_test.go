package cli

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestLagFlags(t *testing.T) {
	tests := []struct {
		args       []string
		groups     []string
		watch      time.Duration
		window     time.Duration
		maxTimeLag time.Duration
		err        string
	}{
		{args: []string{"g1", "g2"}, groups: []string{"g1", "g2"}},
		{args: []string{"g1", "--watch"}, groups: []string{"g1"}, watch: 5 * time.Second},
		{args: []string{"--watch", "g1"}, groups: []string{"g1"}, watch: 5 * time.Second},
		{args: []string{"g1", "--watch", "2s"}, groups: []string{"g1"}, watch: 2 * time.Second},
		{args: []string{"--watch", "2s", "g1"}, groups: []string{"g1"}, watch: 2 * time.Second},
		{args: []string{"--watch=750ms", "g1"}, groups: []string{"g1"}, watch: 750 * time.Millisecond},
		{args: []string{"--watch", "--", "5s"}, groups: []string{"5s"}, watch: 5 * time.Second},
		// A bare number after --watch is seconds; topics.yaml units work.
		{args: []string{"--watch", "2"}, watch: 2 * time.Second},
		{args: []string{"--watch", "2", "g1"}, groups: []string{"g1"}, watch: 2 * time.Second},
		{args: []string{"--watch=2"}, watch: 2 * time.Second},
		{args: []string{"--watch", "1d", "g1"}, groups: []string{"g1"}, watch: 24 * time.Hour},
		{args: []string{"--watch", "1.5s"}, watch: 1500 * time.Millisecond},
		// A group named like a duration: after --watch=INTERVAL or --.
		{args: []string{"--watch=5s", "0s"}, groups: []string{"0s"}, watch: 5 * time.Second},
		// A duration after --watch is the interval, so 0 or less is an error.
		{args: []string{"--watch", "0s"}, err: `--watch 0s: the interval must be positive, e.g. --watch 5s (for a group named "0s": kctl lag --watch -- 0s)`},
		{args: []string{"--watch", "0", "g1"}, err: "--watch 0: the interval must be positive"},
		{args: []string{"--watch=0s"}, err: "the interval must be positive"},
		{args: []string{"--watch=-1s"}, err: "the interval must be positive"},
		{args: []string{"--watch", "10ms"}, err: "--watch 10ms is too short: refresh at most every 100ms"},
		{args: []string{"--watch=soon"}, err: `"soon" is not a duration`},
		{args: []string{"--window", "0s"}, err: "--window must be positive"},
		{args: []string{"--window", "1ms"}, err: "--window 1ms is too short: it takes 6 samples, at least 100ms apart, so it must be at least 500ms"},
		{args: []string{"--window", "499ms"}, err: "--window 499ms is too short"},
		{args: []string{"--window", "500ms"}, window: 500 * time.Millisecond},
		{args: []string{"--window", "1d"}, window: 24 * time.Hour},
		{args: []string{"--watch", "100ms", "--window", "100ms"}, watch: 100 * time.Millisecond, window: 100 * time.Millisecond},
		{args: []string{"--window", "30"}, err: `"30" has no unit: write e.g. 30s, 30m or 30ms`},
		{args: []string{"--max-time-lag", "-1s"}, err: "--max-time-lag must be 0 or more"},
		{args: []string{"--max-time-lag", "1d"}, maxTimeLag: 24 * time.Hour},
		{args: []string{"--max-time-lag", "1h30m"}, maxTimeLag: 90 * time.Minute},
		{args: []string{"--max-time-lag", "0"}, maxTimeLag: 0},
		{args: []string{"--max-time-lag", "300"}, err: `"300" has no unit`},
		{args: []string{"--max-time-lag", "7days"}, err: `unknown unit "days"`},
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
			if strings.Join(got.Groups, ",") != strings.Join(tc.groups, ",") || got.Watch != tc.watch || got.Window != tc.window {
				t.Errorf("groups %q watch %s window %s, want %q %s %s", got.Groups, got.Watch, got.Window, tc.groups, tc.watch, tc.window)
			}
			wantMax := slices.Contains(tc.args, "--max-time-lag")
			if (got.Thresholds.MaxTimeLag != nil) != wantMax || wantMax && *got.Thresholds.MaxTimeLag != tc.maxTimeLag {
				t.Errorf("max time lag %v, want %s (set: %v)", got.Thresholds.MaxTimeLag, tc.maxTimeLag, wantMax)
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
	// On the alternate screen, cursor hidden; each frame from the top
	// left; on the way out the cursor is shown, the main screen is back
	// and the last frame is printed there.
	if !strings.HasPrefix(out, enterAltScreen) {
		t.Fatalf("does not start on the alternate screen:\n%q", out)
	}
	if n := strings.Count(out, cursorHome); n < 3 {
		t.Fatalf("%d redraws in 450ms at 100ms, want at least 3:\n%q", n, out)
	}
	i := strings.LastIndex(out, cursorHome)
	j := strings.LastIndex(out, leaveAltScreen)
	if j < i {
		t.Fatalf("the terminal is not restored after the last frame:\n%q", out)
	}
	last, kept := out[i+len(cursorHome):j], out[j+len(leaveAltScreen):]
	if !strings.HasPrefix(last, "Every 100ms: kctl lag") || !strings.Contains(last, "Status: STOP") || !strings.Contains(last, "Lag: 3,") {
		t.Errorf("last frame:\n%s", last)
	}
	if !strings.HasPrefix(kept, "Every 100ms: kctl lag") || !strings.Contains(kept, "Lag: 3,") || strings.Contains(kept, "\x1b") {
		t.Errorf("the last frame is not kept on the main screen:\n%q", kept)
	}

	// Over a threshold: exit 1 after Ctrl-C, the breach printed once on
	// stderr by the central error path.
	const breach = "Error: lag over threshold in 1 group:\n  group \"watched\": w/0 lag 3 > 2\n"
	out, errOut, code = run("lag", "watched", "--watch", "100ms", "--max-lag", "2")
	if code != 1 || errOut != breach {
		t.Fatalf("over threshold: exit %d, stderr %q; want 1 and %q", code, errOut, breach)
	}
	if !strings.Contains(out, "Over threshold: w/0 lag 3 > 2") {
		t.Errorf("the frames do not flag the partition:\n%s", out)
	}
	// The same without --watch.
	out, errOut, code = run("lag", "watched", "--max-lag", "2")
	if code != 1 || errOut != breach || !strings.Contains(out, "Over threshold: w/0 lag 3 > 2") {
		t.Fatalf("over threshold, once: exit %d, stderr %q, stdout:\n%s\nwant 1 and %q", code, errOut, out, breach)
	}
}
