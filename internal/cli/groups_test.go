package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/spf13/cobra"
)

// parseWith runs cmd's flag parsing and validation with args; runF has
// captured the options when it returns nil.
func parseWith(cmd *cobra.Command, args []string) error {
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.Execute()
}

func testFactory() *Factory {
	return NewFactory(IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, func(string) string { return "" })
}

// The reset flags become a request: exactly one strategy and --topic
// selections or --all-topics; anything else is a usage error naming the fix.
func TestGroupsResetFlags(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC) // the injected clock
	tests := []struct {
		args []string
		want string // "kind offset time" or a piece of the error
	}{
		{[]string{"g", "--topic", "t", "--to-earliest"}, "to-earliest 0 -"},
		{[]string{"g", "--all-topics", "--to-offset", "42"}, "to-offset 42 -"},
		{[]string{"g", "--topic", "t:0,1", "--shift-by", "-5"}, "shift-by -5 -"},
		{[]string{"g", "--topic", "t", "--shift-by=+3"}, "shift-by 3 -"},
		{[]string{"g", "--topic", "t", "--to-datetime", "2026-12-03T08:00:00+01:00"}, "to-datetime 0 2026-12-03T07:00:00Z"},
		// kctl's one grammar of times (human.ParseTimeOrAgo).
		{[]string{"g", "--topic", "t", "--to-datetime", "1h"}, "to-datetime 0 2026-12-03T08:00:00Z"},
		{[]string{"g", "--topic", "t", "--to-datetime", "-1d12h"}, "to-datetime 0 2026-12-01T21:00:00Z"},
		{[]string{"g", "--topic", "t", "--to-datetime", "2026-12-02 06:30"}, "to-datetime 0 2026-12-02T06:30:00Z"},
		{[]string{"g", "--topic", "t", "--to-datetime", "2026-12-02T06:30:00.5Z"}, "to-datetime 0 2026-12-02T06:30:00Z"},
		{[]string{"g", "--topic", "t", "--to-datetime", "yesterday"}, `--to-datetime "yesterday" is neither a time nor a duration ago: give an RFC 3339 time`},
		{[]string{"g", "--topic", "t", "--to-datetime", "+1h"}, `--to-datetime "+1h": a leading + would be the future`},
		{[]string{"g", "--topic", "t", "--by-duration", "1d12h"}, "by-duration 0 2026-12-01T21:00:00Z"},
		{[]string{"g", "--topic", "t", "--by-duration", "1.5h"}, "by-duration 0 2026-12-03T07:30:00Z"},
		{[]string{"g", "--topic", "t", "--by-duration", "7days"}, `--by-duration "7days" is not a duration: unknown unit "days"`},
		{[]string{"g", "--topic", "t"}, "give exactly one of"},
		{[]string{"g", "--topic", "t", "--to-latest", "--to-current"}, "--to-latest and --to-current were given"},
		{[]string{"g", "--to-latest"}, "say which offsets to reset"},
		{[]string{"g", "--topic", "t", "--all-topics", "--to-latest"}, "exclude each other"},
		{[]string{"g", "--topic", "t", "--to-offset", "-1"}, "an offset is 0 or more"},
		{[]string{"g", "--topic", "t", "--by-duration", "0s"}, "positive duration"},
		{[]string{"g", "--topic", "t", "--by-duration", "5"}, "has no unit"},
		{[]string{"g", "--topic", "t:a", "--to-latest"}, `partition "a" is not a partition number`},
		{[]string{"g", "--topic", "t", "--to-earliest=false"}, "leave the flag out"},
		{[]string{"--topic", "t", "--to-earliest"}, "accepts 1 arg(s), received 0: give GROUP, as in: reset GROUP (--topic"},
		{[]string{"g", "--topic", "t", "--to-offset", "abc"}, `--to-offset "abc" is not an offset: give a whole number, e.g. --to-offset 42`},
		{[]string{"g", "--topic", "t", "--shift-by", "ten"}, `--shift-by "ten" is not a whole number: give ±N, e.g. --shift-by -10`},
	}
	for _, tc := range tests {
		var got *GroupsResetOptions
		f := testFactory()
		f.Now = func() time.Time { return now }
		cmd := NewCmdGroupsReset(f, func(_ context.Context, o *GroupsResetOptions) error { got = o; return nil })
		var s string
		if err := parseWith(cmd, tc.args); err != nil {
			s = err.Error()
		} else {
			st := got.Request.Strategy
			ts := "-"
			if !st.Time.IsZero() {
				ts = st.Time.UTC().Format(time.RFC3339)
			}
			s = st.Kind + " " + strconv.FormatInt(st.Offset, 10) + " " + ts
		}
		if !strings.Contains(s, tc.want) {
			t.Errorf("%v: %s, want %s", tc.args, s, tc.want)
		}
	}

	// --by-duration is that long before now.
	var got *GroupsResetOptions
	f := testFactory()
	f.Now = func() time.Time { return now }
	if err := parseWith(NewCmdGroupsReset(f, func(_ context.Context, o *GroupsResetOptions) error { got = o; return nil }),
		[]string{"g", "--topic", "t", "--by-duration", "1d"}); err != nil {
		t.Fatal(err)
	}
	if at := got.Request.Strategy.Time; !at.Equal(now.Add(-24 * time.Hour)) {
		t.Errorf("--by-duration 1d = %s, want a day before %s", at, now)
	}
}

// The replay flags: filters parsed, bad values refused naming the fix.
func TestDLTReplayFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "dlt=user.signed-up.dlt group=kctl-dlt-replay from=- to=- op=-"},
		{[]string{"--offsets", "10-20", "--original-partition", "2", "--dlt", "x.dlt", "--group", "g"}, "dlt=x.dlt group=g from=10 to=20 op=2"},
		{[]string{"--offsets", "10-"}, "from=10 to=- "},
		{[]string{"--offsets", "-20"}, "from=- to=20"},
		{[]string{"--original-partition", "0"}, "op=0"},
		{[]string{"--offsets", "7"}, "from=7 to=7"},
		{[]string{"--offsets", "9-3"}, `--offsets "9-3": write A-B`},
		{[]string{"--offsets", "-"}, "write A-B"},
		{[]string{"--offsets", "a-b"}, "write A-B"},
		{[]string{"--since", "tomorrow"}, `--since "tomorrow" is neither a time nor a duration ago: give an RFC 3339 time`},
		{[]string{"--until", "+1h"}, `--until "+1h": a leading + would be the future`},
		{[]string{"--since", "1h", "--until", "2h"}, "is not before --until"},
		{[]string{"--to", "user.signed-up.dlt"}, "is the dead-letter topic itself"},
		{[]string{"--to", ""}, "--to is empty"},
		{[]string{"--dlt", ""}, "--dlt is empty"},
		{[]string{"-n", "-1"}, "give a positive number"},
		{[]string{"--original-partition", "-2"}, "a partition is 0 or more"},
		{[]string{"extra"}, "dlt replay takes no argument: name the dead-letter topic with --dlt"},
	}
	for _, tc := range tests {
		var got *DLTReplayOptions
		cmd := NewCmdDLTReplay(testFactory(), func(_ context.Context, o *DLTReplayOptions) error { got = o; return nil })
		var s string
		if err := parseWith(cmd, tc.args); err != nil {
			s = err.Error()
		} else {
			r := got.Opts
			s = "dlt=" + r.DLT + " group=" + r.Group + " from=" + optInt(r.FromOffset) + " to=" + optInt(r.ToOffset) + " op=" + optInt(r.OriginalPartition)
		}
		if !strings.Contains(s, tc.want) {
			t.Errorf("%v: %s, want %s", tc.args, s, tc.want)
		}
	}
	// --since as a duration is that long ago; as a time, that time.
	var got *DLTReplayOptions
	f := testFactory()
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	f.Now = func() time.Time { return now }
	if err := parseWith(NewCmdDLTReplay(f, func(_ context.Context, o *DLTReplayOptions) error { got = o; return nil }),
		[]string{"--since", "2h", "--until", "2026-12-03T08:00:00Z"}); err != nil {
		t.Fatal(err)
	}
	if d := now.Sub(got.Opts.Since); d != 2*time.Hour {
		t.Errorf("--since 2h = %s ago", d)
	}
	if !got.Opts.Until.Equal(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("--until = %s", got.Opts.Until)
	}
	// The same forms as --to-datetime and --from: a date-time without zone (UTC), 1d12h.
	if err := parseWith(NewCmdDLTReplay(f, func(_ context.Context, o *DLTReplayOptions) error { got = o; return nil }),
		[]string{"--since", "2026-12-01", "--until", "1d12h"}); err != nil {
		t.Fatal(err)
	}
	if !got.Opts.Since.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || !got.Opts.Until.Equal(now.Add(-36*time.Hour)) {
		t.Errorf("--since 2026-12-01 --until 1d12h = %s, %s", got.Opts.Since, got.Opts.Until)
	}
}

func optInt[T int32 | int64](p *T) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatInt(int64(*p), 10)
}

// Group names complete for groups describe/delete/reset and dlt replay
// --group; topic names for --dlt.
func TestGroupsCompletion(t *testing.T) {
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), "orders", 1, nil)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), "orders.dlt", 1, nil)
	// Seed two groups through the command itself.
	for _, g := range []string{"billing", "email-service"} {
		if code, out, errOut := run(t, c, "", false, "groups", "reset", g, "--topic", "orders", "--to-earliest", "--create-group", "--execute"); code != 0 {
			t.Fatalf("seed %s: exit %d %s %s", g, code, out, errOut)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"groups", "describe", ""}, "billing,email-service"},
		{[]string{"groups", "delete", "billing", ""}, "email-service"},
		{[]string{"groups", "reset", "e"}, "email-service"},
		{[]string{"dlt", "replay", "--group", ""}, "billing,email-service"},
		{[]string{"dlt", "replay", "--dlt", "orders."}, "orders.dlt"},
	} {
		_, out, _ := run(t, c, "", false, append([]string{"__complete"}, tc.args...)...)
		if got := strings.Join(completions(t, out), ","); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.args, got, tc.want)
		}
	}
}

// A wrong number of arguments says what to give, from the usage line.
func TestArgCountMessages(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"produce"}, "accepts 1 arg(s), received 0: give TOPIC, as in: kctl produce TOPIC"},
		{[]string{"config", "use-context"}, "give NAME, as in: kctl config use-context NAME"},
		{[]string{"smoke", "a", "b"}, "accepts at most 1 arg(s), received 2: usage: kctl smoke [FILE]"},
		{[]string{"plan", "a", "b"}, "usage: kctl plan [-f FILE | FILE]"},
		{[]string{"groups", "describe"}, "name the groups to describe, e.g. kctl groups describe email-service"},
	} {
		root := NewCmdRoot(testFactory())
		root.SetArgs(tc.args)
		root.SetOut(io.Discard)
		root.SetErr(io.Discard)
		_, err := root.ExecuteC()
		var fe *FlagError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want a usage error containing %q", tc.args, err, tc.want)
		}
	}
}

// groups reset asks like apply: --dry-run stops after the plan; without a
// terminal it needs --yes; on a terminal only "yes" commits; --execute is
// --yes.
func TestGroupsResetConfirm(t *testing.T) {
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), "orders", 1, nil)
	reset := []string{"groups", "reset", "g", "--topic", "orders", "--to-earliest", "--create-group"}
	committed := func() bool {
		t.Helper()
		_, out, _ := run(t, c, "", false, "groups", "list", "-o", "json")
		return strings.Contains(out, `"g"`)
	}
	for _, tc := range []struct {
		stdin    string
		terminal bool
		extra    []string
		code     int
		out, err string
	}{
		{"", false, []string{"--dry-run"}, ExitOK, "Dry run: nothing committed. Run again with --yes to commit these offsets.", ""},
		{"", false, nil, ExitError, "orders", "stdin is not a terminal, so kctl cannot ask before changing the cluster: review the plan, then run kctl groups reset g --topic orders --to-earliest --create-group --yes (or --dry-run to stop after the plan)"},
		{"no\n", true, nil, ExitError, "orders", "Commit these offsets? Only 'yes' is accepted: Error: groups reset cancelled: nothing was changed"},
		{"", false, []string{"--yes", "--dry-run"}, ExitError, "", "--yes and --dry-run contradict each other"},
	} {
		code, out, errOut := run(t, c, tc.stdin, tc.terminal, append(reset, tc.extra...)...)
		if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.err) || (tc.err == "" && errOut != "") {
			t.Errorf("%v terminal=%v: exit %d\n%s%s", tc.extra, tc.terminal, code, out, errOut)
		}
		if committed() {
			t.Fatalf("%v terminal=%v committed", tc.extra, tc.terminal)
		}
		if !tc.terminal && strings.Contains(errOut, "Only 'yes'") {
			t.Errorf("a prompt without a terminal: %s", errOut)
		}
	}
	code, out, errOut := run(t, c, "yes\n", true, reset...)
	if code != ExitOK || strings.Count(out, "Reset group g ") != 1 || !strings.Contains(errOut, "Commit these offsets?") || !committed() {
		t.Fatalf("yes: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := run(t, c, "", false, append(reset, "--execute")...); code != ExitOK {
		t.Fatalf("--execute: exit %d\n%s%s", code, out, errOut)
	}
}
