package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/view"
	"github.com/kctl/kctl/internal/platform/where"
	"github.com/kctl/kctl/services/dlt"
	"github.com/kctl/kctl/services/event"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kctl/kctl/internal/platform/human"
)

// NewCmdDLT is `kctl dlt`.
func NewCmdDLT(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dlt",
		Short: "Dead-letter topics: show and replay what the email service (or Spring Kafka) dead-lettered",
		Args:  noArgs,
	}
	cmd.AddCommand(NewCmdDLTReplay(f, nil))
	return cmd
}

// DLTReplayOptions is `kctl dlt replay`.
type DLTReplayOptions struct {
	IO       IOStreams
	Connect  ConnectFunc
	Getenv   func(string) string
	Printing Printing
	Prompter Prompter
	Opts     dlt.ReplayOptions
	Now      func() time.Time
	ChangeFlags

	since, until, offsets string
	origPart, limit       string
	where                 string
}

// NewCmdDLTReplay builds `kctl dlt replay`.
func NewCmdDLTReplay(f *Factory, runF func(context.Context, *DLTReplayOptions) error) *cobra.Command {
	opts := &DLTReplayOptions{IO: f.IO, Connect: f.Connect, Getenv: f.Getenv, Printing: f.Printing(), Prompter: f.prompter(), Now: f.Now}
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "List dead letters and, once confirmed, republish them to their original topic, each at most once",
		Long: `Reads the dead-letter topic up to its end offsets seen at start and lists the dead letters
not replayed before: original topic/partition/offset, when it was dead-lettered, the
exception class and message (Spring Kafka's kafka_dlt-* headers). Then kctl asks on a
terminal (without a terminal --yes is required and no prompt is printed; --dry-run stops
after the list) and republishes key, value and the record's own headers (not the kafka_dlt-*
ones) to the original topic (or --to), adding a kctl-replayed-from header naming the dead
letter. Each batch and its progress (in the group --group) are committed in one Kafka
transaction (transactional id kctl-dlt-replay/<group>/<dlt>), and the progress is re-read
inside each transaction, so no run, not even one after a kill -9 or two at the same time,
replays a record twice to a read_committed consumer (of two runs at once, the one fenced by
the other stops with an error). Records the filters leave out stay
replayable by a later run; records without a kafka_dlt-original-topic header are never sent.
After a "yes" exactly the dead letters listed are republished (those dead-lettered since
are left for a later run; one another run replayed meanwhile is not sent again).`,
		Example: `  kctl dlt replay --dry-run
  kctl dlt replay --exception PermanentError --since 1h
  kctl dlt replay --offsets 10-20 --yes
  kctl dlt replay --dlt orders.dlt --to orders.retry -n 100 --yes -o json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return &FlagError{Err: fmt.Errorf("dlt replay takes no argument: name the dead-letter topic with --dlt, e.g. kctl dlt replay --dlt %s", args[0])}
			}
			return noArgs(cmd, args)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.complete(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDLTReplay(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	o := &opts.Opts
	fl.StringVar(&o.DLT, "dlt", event.DLTTopic(event.Topic), "dead-letter topic to read")
	fl.StringVar(&o.To, "to", "", "republish to this topic instead of each record's original topic")
	fl.StringVar(&o.Group, "group", dlt.DefaultReplayGroup, "consumer group recording the replay's progress")
	fl.StringVar(&opts.since, "since", "", "only dead letters written at or after: a time or a duration ago (2026-12-03T08:00:00Z, 1h, 7d)")
	fl.StringVar(&opts.until, "until", "", "only dead letters written before: a time or a duration ago (2026-12-03T08:00:00Z, 1h, 7d)")
	fl.StringVar(&o.Exception, "exception", "", "only dead letters whose exception class (or cause class) contains this, ignoring case")
	fl.StringVar(&opts.origPart, "original-partition", "", "only dead letters from this partition of the original topic")
	fl.StringVar(&opts.offsets, "offsets", "", "only dead-letter offsets A-B (inclusive; A- or -B open)")
	fl.StringVar(&opts.where, "where", "", "only dead letters matching this CEL `EXPR` (as kctl consume --where)")
	fl.StringVarP(&opts.limit, "limit", "n", "", "at most N dead letters")
	addChangeFlags(cmd, &opts.ChangeFlags, "list the dead letters and send nothing", true)
	_ = cmd.RegisterFlagCompletionFunc("dlt", completeTopics(f))
	_ = cmd.RegisterFlagCompletionFunc("to", completeTopics(f))
	_ = cmd.RegisterFlagCompletionFunc("group", completeGroups(f))
	return cmd
}

// complete checks the flags. It returns a usage error naming the flag and
// the fix.
func (o *DLTReplayOptions) complete(cmd *cobra.Command) error {
	usage := func(format string, a ...any) error { return &FlagError{Err: fmt.Errorf(format, a...)} }
	r := &o.Opts
	if err := checkChangeFlags(o.ChangeFlags); err != nil {
		return err
	}
	if strings.TrimSpace(r.DLT) == "" {
		return usage("--dlt is empty: name the dead-letter topic, e.g. --dlt user.signed-up.dlt")
	}
	if strings.TrimSpace(r.Group) == "" {
		return usage("--group is empty: name the group recording the progress (default %s)", dlt.DefaultReplayGroup)
	}
	if cmd.Flags().Changed("to") && strings.TrimSpace(r.To) == "" {
		return usage("--to is empty: name the topic to republish to, or leave --to out")
	}
	if r.To != "" && r.To == r.DLT {
		return usage("--to %q is the dead-letter topic itself: replay to the topic its consumer reads", r.To)
	}
	if cmd.Flags().Changed("where") {
		pred, err := where.Compile(o.where)
		if err != nil {
			return &FlagError{Err: err}
		}
		r.Where = func(rec *kgo.Record) bool { ok, _ := pred.Match(rec); return ok }
	}
	now := o.Now()
	var err error
	if r.Since, err = parseTimeOrAgo(o.since, now); err != nil {
		return usage("--since %v", err)
	}
	if r.Until, err = parseTimeOrAgo(o.until, now); err != nil {
		return usage("--until %v", err)
	}
	if !r.Since.IsZero() && !r.Until.IsZero() && !r.Since.Before(r.Until) {
		return usage("--since %s is not before --until %s: nothing could match", r.Since.Format(time.RFC3339), r.Until.Format(time.RFC3339))
	}
	if cmd.Flags().Changed("original-partition") {
		p, err := strconv.ParseInt(strings.TrimSpace(o.origPart), 10, 32)
		if err != nil || p < 0 {
			return usage("--original-partition %q: give a partition number; a partition is 0 or more, e.g. --original-partition 2", o.origPart)
		}
		r.OriginalPartition = new(int32(p))
	}
	if o.offsets != "" {
		a, b, ok := strings.Cut(o.offsets, "-")
		bad := usage("--offsets %q: write A-B (inclusive), A- or -B, e.g. --offsets 10-20", o.offsets)
		if !ok {
			a, b = o.offsets, o.offsets
		}
		parse := func(v string) (*int64, bool) {
			if v == "" {
				return nil, true
			}
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return new(n), err == nil && n >= 0
		}
		var okA, okB bool
		r.FromOffset, okA = parse(a)
		r.ToOffset, okB = parse(b)
		if !okA || !okB || a == "" && b == "" || r.FromOffset != nil && r.ToOffset != nil && *r.FromOffset > *r.ToOffset {
			return bad
		}
	}
	if cmd.Flags().Changed("limit") {
		n, err := strconv.Atoi(strings.TrimSpace(o.limit))
		if err != nil || n < 0 {
			return usage("-n %q: give a positive number of dead letters, or leave -n out for all", o.limit)
		}
		r.Limit = n
	}
	return nil
}

// parseTimeOrAgo parses a time flag's value with kctl's one grammar of
// times (human.ParseTimeOrAgo); "" is the zero time: not given.
func parseTimeOrAgo(s string, now time.Time) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	return human.ParseTimeOrAgo(s, now)
}

func runDLTReplay(ctx context.Context, o *DLTReplayOptions) error {
	c, err := o.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	copts, err := c.Settings.Options(o.Getenv)
	if err != nil {
		return err
	}
	o.Opts.ClientOpts = copts
	plan, err := dlt.PlanReplay(ctx, c.Client, o.Opts)
	if err != nil {
		return connectionError(err)
	}
	if o.DryRun || !o.Yes && len(plan.Records) == 0 {
		return o.Printing.Print(view.WithText(plan, plan.WriteText))
	}
	if !o.Yes {
		// Show the plan, ask, then execute exactly that plan.
		if format, _ := o.Printing.Format(); format == view.Text {
			if err := plan.WriteTextBeforeQuestion(o.IO.Out, o.Printing.Styles()); err != nil {
				return err
			}
		}
		if err := o.Prompter.confirmChange(ctx, o.ChangeFlags, "dlt replay", "Republish these dead letters?"); err != nil {
			return err
		}
	}
	out, rerr := dlt.ExecuteReplay(ctx, c.Client, plan)
	if out == nil {
		return connectionError(rerr)
	}
	if err := o.Printing.Print(view.WithText(out, out.WriteText)); err != nil {
		return err
	}
	return rerr
}
