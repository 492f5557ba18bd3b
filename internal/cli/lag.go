package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/human"

	"github.com/kctl/kctl/internal/feature/groups/lag"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/term"

	"github.com/kctl/kctl/internal/platform/errs"
)

const (
	defaultWatchInterval = 5 * time.Second
	// windowSamples is how many intervals --window without --watch spans.
	windowSamples = 5
	// defaultWindowIntervals: with --watch and no --window, the window is
	// this many intervals (Burrow evaluates 10 offsets by default).
	defaultWindowIntervals = 10
)

// LagOptions is `kctl lag`.
type LagOptions struct {
	IO         IOStreams
	Dialer     Dialer
	Printing   Printing
	IsTerminal func(any) bool
	Groups     []string
	Topics     []string
	Watch      time.Duration // 0: no watch
	Window     time.Duration // 0: no status
	Thresholds lag.Thresholds
	// Exclude are --exclude globs: groups left out.
	Exclude []string
	// TermSize returns the terminal's width and height for --watch (ok
	// false when unknown); tests set a fixed one.
	TermSize func() (width, height int, ok bool)
}

// minSampleInterval is the shortest time between two samples of kctl lag
// (the --watch interval, --window/5 alone): faster only loads the brokers
// and turns offset noise into rates.
const minSampleInterval = 100 * time.Millisecond

// parseLagDuration parses a --watch, --window or --max-time-lag value with
// kctl's one grammar of durations (human.ParseDuration: 7d, 1h30m, 90s,
// 500ms, 1d12h, 1.5s), a leading - allowed. A bare number is seconds
// when bareSeconds (--watch 2, as watch -n 2); otherwise a bare number other
// than 0 is an error asking for a unit, since 300 could mean ms or s. It
// returns an error saying how to write the value; the sign is not checked.
func parseLagDuration(s string, bareSeconds bool) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n == 0:
			return 0, nil
		case !bareSeconds:
			return 0, fmt.Errorf("%q has no unit: write e.g. %ss, %sm or %sms", s, s, s, s)
		case n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second):
			return 0, fmt.Errorf("%q is too large a duration", s)
		}
		return time.Duration(n) * time.Second, nil
	}
	if rest, neg := strings.CutPrefix(s, "-"); neg {
		d, err := human.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration: write e.g. 5s, 1m or 1h30m", s)
		}
		return -d, nil
	}
	return human.ParseDuration(s)
}

// durationValue is a --window or --max-time-lag value (parseLagDuration,
// a unit required).
type durationValue struct{ d *time.Duration }

func (v durationValue) String() string {
	if v.d == nil || *v.d == 0 {
		return ""
	}
	return v.d.String()
}

func (v durationValue) Type() string { return "duration" }

func (v durationValue) Set(s string) error {
	d, err := parseLagDuration(s, false)
	if err != nil {
		return err
	}
	*v.d = d
	return nil
}

// watchFlag is --watch [INTERVAL]: an optional value, given as --watch=2s
// or as the argument right after --watch when it parses as a duration
// (parseLagDuration, a bare number is seconds).
type watchFlag struct {
	d    *time.Duration
	fs   *pflag.FlagSet
	bare bool // --watch without =VALUE
	at   int  // index in the positional args of the token after a bare --watch
}

func (w *watchFlag) String() string {
	if *w.d == 0 {
		return ""
	}
	return w.d.String()
}

// Type is "bool" so the help shows `--watch INTERVAL` without a "[=...]".
func (w *watchFlag) Type() string { return "bool" }

func (w *watchFlag) Set(s string) error {
	if s == "true" { // NoOptDefVal: --watch alone
		w.bare, w.at = true, len(w.fs.Args())
		*w.d = defaultWatchInterval
		return nil
	}
	d, err := parseLagDuration(s, true)
	if err != nil {
		return err
	}
	w.bare, *w.d = false, d // checked by checkInterval
	return nil
}

// checkInterval returns a usage error naming the fix when the --watch
// interval d (given as tok, an argument after --watch when positional) is
// not positive or is shorter than minSampleInterval; nil otherwise.
func checkInterval(d time.Duration, tok string, positional bool) error {
	switch {
	case d <= 0 && positional:
		return &FlagError{Err: fmt.Errorf("--watch %s: the interval must be positive, e.g. --watch 5s (for a group named %q: kctl lag --watch -- %s)", tok, tok, tok)}
	case d <= 0:
		return &FlagError{Err: fmt.Errorf("--watch %s: the interval must be positive, e.g. --watch 5s", tok)}
	case d < minSampleInterval:
		return &FlagError{Err: fmt.Errorf("--watch %s is too short: refresh at most every %s, e.g. --watch 1s", tok, minSampleInterval)}
	}
	return nil
}

// NewCmdLag builds `kctl lag [GROUP...]`.
func NewCmdLag(f *Factory, runF func(context.Context, *LagOptions) error) *cobra.Command {
	opts := &LagOptions{IO: f.IO, Dialer: f.Dialer(), Printing: f.Printing(), IsTerminal: f.IsTerminal, TermSize: func() (int, int, bool) { return termSize(f.IO.Out) }}
	var maxLag int64
	var maxTimeLag time.Duration
	wf := &watchFlag{d: &opts.Watch}
	cmd := &cobra.Command{
		Use:   "lag [GROUP...]",
		Short: "Consumer lag per group and partition: offsets, time lag, owner, status; thresholds for alerts",
		Long: `Show consumer groups' lag: per group its state, members and assignor; per partition the
committed offset, the end offset (last stable offset), the lag, the time lag (the age of the
record at the committed offset) and the member that owns it. Every group when none is named;
groups with no live members are shown. A named group that does not exist is an error.

--watch refreshes (on a terminal: in place, fitted to its height, worst groups first, with a
count of those that did not fit) and adds a status per group (OK, WARN, STALL, STOP),
the consumption rate and an estimate of the time to catch up. --window DUR samples 6 times over
DUR, then prints once with the status. --max-lag and --max-time-lag exit 1 naming the partitions
over them; kctl's own groups (kctl dlt replay progress, labelled as such: their lag is the dead
letters the replay filtered out) are not checked unless --include-kctl-groups. --exclude GLOB
leaves groups out.

Durations are written as in topics.yaml (500ms, 90s, 5m, 1h30m, 7d) or as Go's 1.5s.
--watch INTERVAL: the argument right after --watch is the interval when it reads as a duration,
a bare number being seconds (--watch 2); otherwise it is a group and the interval is 5s. A group
named like a duration goes after --watch=5s or after --: kctl lag --watch -- 2s.
The interval must be at least 100ms, and --window alone at least 500ms (6 samples 100ms apart).`,
		Example: `  kctl lag
  kctl lag email-service --topic user.signed-up
  kctl lag email-service --watch 2s
  kctl lag --window 30s -o json
  kctl lag --max-lag 1000 --max-time-lag 5m     # exit 1 when over`,
		ValidArgsFunction: completeGroups(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			fs := cmd.Flags()
			watchTok, positional := opts.Watch.String(), false
			if wf.bare && wf.at < len(args) && (fs.ArgsLenAtDash() < 0 || wf.at < fs.ArgsLenAtDash()) {
				// The argument after a bare --watch is the interval when it
				// reads as a duration, even an invalid one (0s): a group
				// named like a duration goes after -- or after --watch=5s.
				if d, err := parseLagDuration(args[wf.at], true); err == nil {
					opts.Watch, watchTok, positional = d, args[wf.at], true
					args = append(args[:wf.at:wf.at], args[wf.at+1:]...)
				}
			}
			if fs.Changed("watch") {
				if err := checkInterval(opts.Watch, watchTok, positional); err != nil {
					return err
				}
			}
			opts.Groups = args
			if fs.Changed("max-lag") {
				if maxLag < 0 {
					return &FlagError{Err: fmt.Errorf("--max-lag must be 0 or more, got %d", maxLag)}
				}
				opts.Thresholds.MaxLag = &maxLag
			}
			if fs.Changed("max-time-lag") {
				if maxTimeLag < 0 {
					return &FlagError{Err: fmt.Errorf("--max-time-lag must be 0 or more, got %s", maxTimeLag)}
				}
				opts.Thresholds.MaxTimeLag = &maxTimeLag
			}
			if fs.Changed("window") {
				if opts.Window <= 0 {
					return &FlagError{Err: fmt.Errorf("--window must be positive, e.g. --window 1m")}
				}
				if opts.Watch == 0 && opts.Window/windowSamples < minSampleInterval {
					return &FlagError{Err: fmt.Errorf("--window %s is too short: it takes %d samples, at least %s apart, so it must be at least %s, e.g. --window 30s", opts.Window, windowSamples+1, minSampleInterval, windowSamples*minSampleInterval)}
				}
			}
			if opts.Watch > 0 && opts.Window > 0 && opts.Window < opts.Watch {
				return &FlagError{Err: fmt.Errorf("--window %s is shorter than the --watch interval %s: the window needs at least two samples", opts.Window, opts.Watch)}
			}
			for _, g := range opts.Groups {
				if strings.TrimSpace(g) == "" {
					return &FlagError{Err: errors.New("empty group name")}
				}
			}
			for _, x := range opts.Exclude {
				if err := lag.ValidGlob(x); err != nil || strings.TrimSpace(x) == "" {
					return &FlagError{Err: fmt.Errorf("--exclude %q is not a glob: write e.g. --exclude 'test-*' (* ? [a-z] match group names)", x)}
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runLag(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&opts.Topics, "topic", nil, "only these topics (comma-separated or repeated), and only the groups consuming them")
	wflag := fl.VarPF(wf, "watch", "", "refresh every `INTERVAL` (default 5s, at least 100ms) until Ctrl-C: --watch, --watch 2s, --watch 2 (seconds), --watch=2s")
	wflag.NoOptDefVal = "true"
	wf.fs = fl
	fl.Var(durationValue{&opts.Window}, "window", "status window `DUR`: alone, sample for DUR (at least 500ms) then print once; with --watch, evaluate over it (default 10 intervals)")
	fl.Int64Var(&maxLag, "max-lag", 0, "exit 1 when any partition's lag is above `N` records")
	fl.Var(durationValue{&maxTimeLag}, "max-time-lag", "exit 1 when any partition's time lag is above `DUR`")
	fl.StringArrayVar(&opts.Exclude, "exclude", nil, "leave out the groups matching `GLOB` (repeatable; * ? [a-z]), e.g. --exclude 'test-*'")
	fl.BoolVar(&opts.Thresholds.IncludeKctl, "include-kctl-groups", false, "check --max-lag/--max-time-lag on kctl's own groups too (kctl dlt replay progress, labelled; skipped by default)")
	return cmd
}

func runLag(ctx context.Context, o *LagOptions) error {
	format, err := o.Printing.Format()
	if err != nil {
		return err
	}
	c, err := o.Dialer.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	l := &lagRun{o: o, cl: c.Client, timeout: c.Settings.Timeout, format: format}
	switch {
	case o.Watch > 0:
		return l.watch(ctx)
	case o.Window > 0:
		return l.sampleWindow(ctx)
	}
	s, err := l.collect(ctx)
	var nf *errs.GroupNotFound
	if err != nil && !errors.As(err, &nf) {
		return err
	}
	if s != nil && (len(s.Groups) > 0 || nf == nil) {
		offending := l.check(s)
		if perr := o.Printing.Print(s); perr != nil {
			return perr
		}
		if nf == nil && len(offending) > 0 {
			return breached(s)
		}
	}
	return err
}

type lagRun struct {
	o       *LagOptions
	cl      *kgo.Client
	timeout time.Duration
	format  view.Format
}

func (l *lagRun) collect(ctx context.Context) (*lag.Snapshot, error) {
	cctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	s, err := lag.Collect(cctx, l.cl, lag.Options{Groups: l.o.Groups, Topics: l.o.Topics, Exclude: l.o.Exclude})
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil && cctx.Err() != nil {
		return s, fmt.Errorf("consumer lag: no answer within --timeout %s: %w", l.timeout, err)
	}
	return s, err
}

func (l *lagRun) check(s *lag.Snapshot) []string {
	if !l.o.Thresholds.Any() {
		return nil
	}
	return s.Check(l.o.Thresholds)
}

// breached returns the error naming every group and partition over a
// threshold; Run prints it ("Error: lag over threshold in N groups:", then
// one line per group) and kctl exits 1 — also after Ctrl-C ends --watch,
// hence an exit error rather than a plain one (which would exit 130 then).
func breached(s *lag.Snapshot) error {
	lines := s.BreachSummary()
	var b strings.Builder
	fmt.Fprintf(&b, "lag over threshold in %s:", human.Plural(len(lines), "group"))
	for _, line := range lines {
		b.WriteString("\n  " + line)
	}
	return &exitError{code: ExitError, err: errors.New(b.String())}
}

// sampleWindow samples windowSamples+1 times over --window, then prints
// once with each group's status.
func (l *lagRun) sampleWindow(ctx context.Context) error {
	interval := l.o.Window / windowSamples
	if l.o.IsTerminal(l.o.IO.ErrOut) {
		fmt.Fprintf(l.o.IO.ErrOut, "Sampling every %s for %s (Ctrl-C to stop)…\n", interval, l.o.Window)
	}
	h := lag.NewHistory(l.o.Window)
	var s *lag.Snapshot
	var lastErr error
	next := time.Now()
	for i := 0; i <= windowSamples; i++ {
		if i > 0 {
			next = next.Add(interval)
			if err := sleepUntil(ctx, next); err != nil {
				return err
			}
		}
		got, err := l.collect(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var nf *errs.GroupNotFound
		if err != nil && !errors.As(err, &nf) {
			lastErr = err
			warnf(l.o.IO.ErrOut, "sample %d of %d: %v", i+1, windowSamples+1, err)
			continue
		}
		lastErr = err
		h.Add(got)
		s = got
	}
	if s == nil {
		return lastErr
	}
	offending := l.check(s)
	if len(s.Groups) > 0 || lastErr == nil {
		if err := l.o.Printing.Print(s); err != nil {
			return err
		}
	}
	if lastErr != nil {
		return lastErr
	}
	if len(offending) > 0 {
		return breached(s)
	}
	return nil
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// Terminal control (ANSI/xterm) for --watch in place.
const (
	enterAltScreen = "\x1b[?1049h\x1b[?25l" // alternate screen, cursor hidden
	leaveAltScreen = "\x1b[?25h\x1b[?1049l" // cursor shown, main screen back
	cursorHome     = "\x1b[H"
	clearLineRest  = "\x1b[K"
	clearBelow     = "\x1b[J"
)

// termSize returns the size of the terminal w is, if it is one.
func termSize(w io.Writer) (width, height int, ok bool) {
	if o, isStdout := w.(*Stdout); isStdout {
		w = o.File()
	}
	f, isFile := w.(*os.File)
	if !isFile {
		return 0, 0, false
	}
	width, height, err := term.GetSize(int(f.Fd()))
	return width, height, err == nil && height > 0
}

// drawFrame writes a frame in place: from the top-left corner, each line
// cleared to its end, then everything below cleared.
func drawFrame(buf *bytes.Buffer, lines []string) {
	buf.WriteString(cursorHome)
	for _, l := range lines {
		buf.WriteString(l)
		buf.WriteString(clearLineRest + "\r\n")
	}
	buf.WriteString(clearBelow)
}

// watch refreshes every interval until Ctrl-C: redrawn in place on a
// terminal (text), appended when piped or with -o json|yaml. After Ctrl-C
// it exits 0, or 1 when the last refresh was over a threshold.
func (l *lagRun) watch(ctx context.Context) error {
	window := l.o.Window
	if window == 0 {
		window = defaultWindowIntervals * l.o.Watch
	}
	h := lag.NewHistory(window)
	out := l.o.IO.Out
	inPlace := l.format == view.Text && l.o.IsTerminal(out)
	var last *lag.Snapshot
	var lastFrame []string
	if inPlace {
		// Drawn on the alternate screen within the terminal's height; on
		// the way out (Ctrl-C) the cursor is shown, the main screen comes
		// back and the last frame is printed there, so it stays.
		if _, err := io.WriteString(out, enterAltScreen); err != nil {
			return err
		}
		defer func() {
			var b strings.Builder
			b.WriteString(leaveAltScreen)
			for _, line := range lastFrame {
				b.WriteString(line + "\n")
			}
			_, _ = io.WriteString(out, b.String())
		}()
	}
	next := time.Now()
	for n := 0; ; n++ {
		if n > 0 {
			next = next.Add(l.o.Watch)
			if now := time.Now(); next.Before(now) {
				next = now // a slow refresh: go on at once, do not burst
			}
			if sleepUntil(ctx, next) != nil {
				break
			}
		}
		s, err := l.collect(ctx)
		if ctx.Err() != nil {
			break
		}
		var nf *errs.GroupNotFound
		if err != nil && !errors.As(err, &nf) {
			warnf(l.o.IO.ErrOut, "%v (retrying in %s)", err, l.o.Watch)
			continue
		}
		h.Add(s)
		l.check(s)
		last = s
		var buf bytes.Buffer
		header := fmt.Sprintf("Every %s: kctl lag, %s (window %s; Ctrl-C to stop)", l.o.Watch, s.Time.Local().Format("15:04:05"), window)
		switch {
		case inPlace:
			width, height, ok := l.o.TermSize()
			if !ok {
				width, height = 0, 0
			}
			fr := s.WatchFrame([]string{header, ""}, width, height, l.o.Printing.Styles())
			lastFrame = fr.Lines
			drawFrame(&buf, fr.Lines)
		case l.format == view.Text:
			if n > 0 {
				buf.WriteString("\n")
			}
			fmt.Fprintf(&buf, "%s\n\n", header)
			fallthrough
		default:
			if err := view.Print(&buf, l.format, l.o.Printing.Styles(), s); err != nil {
				return err
			}
		}
		if _, err := io.Copy(out, &buf); err != nil {
			return err
		}
		if nf != nil {
			warnf(l.o.IO.ErrOut, "%v", nf)
		}
	}
	if last != nil && len(last.BreachSummary()) > 0 {
		return breached(last)
	}
	return nil
}
