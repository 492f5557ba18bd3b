package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kctl/kctl/internal/feature/brokers"
	"github.com/spf13/cobra"
)

// The broker plane (issue 23): describe brokers|logdirs|quorum,
// elect-leaders and offsets. The work is in internal/feature/brokers.

// DescribeBrokersOptions is `kctl describe brokers`.
type DescribeBrokersOptions struct {
	f       *Factory
	IDs     []int32
	Configs bool
}

// NewCmdDescribeBrokers builds `kctl describe brokers [ID...] [--configs]`.
func NewCmdDescribeBrokers(f *Factory, runF func(context.Context, *DescribeBrokersOptions) error) *cobra.Command {
	opts := &DescribeBrokersOptions{f: f}
	cmd := &cobra.Command{
		Use:     "brokers [ID...]",
		Aliases: []string{"broker"},
		Short:   "Brokers: address, rack, controller, version and features; --configs: every config with its source",
		Example: "  kctl describe brokers\n  kctl describe brokers 1 --configs\n  kctl describe brokers --configs -o json",
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				id, err := strconv.ParseInt(a, 10, 32)
				if err != nil || id < 0 {
					return &FlagError{Err: fmt.Errorf("%q is not a broker ID: give whole numbers, e.g. kctl describe brokers 1 2", a)}
				}
				opts.IDs = append(opts.IDs, int32(id))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDescribeBrokers(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Configs, "configs", false, "every config of each broker with its source (dynamic-broker, dynamic-default, static, default); sensitive values are never printed")
	return cmd
}

func runDescribeBrokers(ctx context.Context, o *DescribeBrokersOptions) error {
	if _, err := o.f.Format(); err != nil {
		return err
	}
	c, err := o.f.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	v, err := brokers.Describe(ctx, c.Admin, o.IDs, o.Configs)
	if err != nil {
		return err
	}
	return o.f.Print(v)
}

// DescribeLogDirsOptions is `kctl describe logdirs`.
type DescribeLogDirsOptions struct {
	f    *Factory
	Opts brokers.LogDirsOptions
}

// NewCmdDescribeLogDirs builds `kctl describe logdirs`.
func NewCmdDescribeLogDirs(f *Factory, runF func(context.Context, *DescribeLogDirsOptions) error) *cobra.Command {
	opts := &DescribeLogDirsOptions{f: f}
	var ids brokerIDs
	cmd := &cobra.Command{
		Use:     "logdirs",
		Aliases: []string{"log-dirs", "disk"},
		Short:   "Disk usage per broker and log dir, per topic or per partition (leaders and replicas apart), largest first",
		Example: `  kctl describe logdirs
  kctl describe logdirs --by topic --top 10
  kctl describe logdirs --by partition --topic orders -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch opts.Opts.By {
			case brokers.ByBroker, brokers.ByTopic, brokers.ByPartition:
			default:
				return &FlagError{Err: fmt.Errorf("--by %q: give --by broker, --by topic or --by partition", opts.Opts.By)}
			}
			if opts.Opts.Top < 0 {
				return &FlagError{Err: fmt.Errorf("--top %d: give a count ≥ 1, or 0 for all", opts.Opts.Top)}
			}
			for _, t := range opts.Opts.Topics {
				if strings.TrimSpace(t) == "" {
					return &FlagError{Err: errors.New("--topic is empty: name a topic, e.g. --topic orders")}
				}
			}
			opts.Opts.Brokers = ids
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDescribeLogDirs(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Opts.By, "by", brokers.ByBroker, "group sizes by broker (and log dir), topic or partition")
	fl.IntVar(&opts.Opts.Top, "top", 0, "show only the N largest rows (0: all)")
	fl.Var(&ids, "broker", "only these broker IDs, comma-separated")
	fl.StringSliceVar(&opts.Opts.Topics, "topic", nil, "only these topics (repeat or comma-separate)")
	_ = cmd.RegisterFlagCompletionFunc("by", cobra.FixedCompletions([]string{brokers.ByBroker, brokers.ByTopic, brokers.ByPartition}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("topic", completeTopics(f))
	return cmd
}

func runDescribeLogDirs(ctx context.Context, o *DescribeLogDirsOptions) error {
	if _, err := o.f.Format(); err != nil {
		return err
	}
	c, err := o.f.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	v, err := brokers.DescribeLogDirs(ctx, c.Admin, o.Opts)
	if err != nil {
		return err
	}
	if err := o.f.Print(v); err != nil {
		return err
	}
	if len(v.Warnings) > 0 {
		return ErrSilentFailure // incomplete: printed with its warnings
	}
	return nil
}

// DescribeQuorumOptions is `kctl describe quorum`.
type DescribeQuorumOptions struct{ f *Factory }

// NewCmdDescribeQuorum builds `kctl describe quorum`.
func NewCmdDescribeQuorum(f *Factory, runF func(context.Context, *DescribeQuorumOptions) error) *cobra.Command {
	opts := &DescribeQuorumOptions{f: f}
	return &cobra.Command{
		Use:     "quorum",
		Short:   "The KRaft metadata quorum: leader, epoch, high watermark, voters and observers with lag and last fetch",
		Example: "  kctl describe quorum\n  kctl describe quorum -o json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDescribeQuorum(cmd.Context(), opts)
		},
	}
}

func runDescribeQuorum(ctx context.Context, o *DescribeQuorumOptions) error {
	if _, err := o.f.Format(); err != nil {
		return err
	}
	c, err := o.f.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	v, err := brokers.DescribeQuorum(ctx, c.Client, o.f.Now())
	if err != nil {
		return err
	}
	return o.f.Print(v)
}

// ElectLeadersOptions is `kctl elect-leaders`.
type ElectLeadersOptions struct {
	f *Factory
	ChangeFlags
	Topics     []string
	Unclean    bool
	AllowRisky bool
	sel        []brokers.Partition
}

// NewCmdElectLeaders builds `kctl elect-leaders`.
func NewCmdElectLeaders(f *Factory, runF func(context.Context, *ElectLeadersOptions) error) *cobra.Command {
	opts := &ElectLeadersOptions{f: f}
	cmd := &cobra.Command{
		Use:   "elect-leaders",
		Short: "Elect the preferred leader of partitions led elsewhere (a plan first); --unclean for leaderless ones",
		Long: `Elect the preferred leader (the first replica) of every partition whose leader is another
broker, as kafka-leader-election.sh --election-type preferred. kctl prints the plan (partition,
current → preferred leader), then asks on a terminal; without one --yes is needed, --dry-run stops
after the plan. Partitions whose preferred replica is out of the ISR are skipped and named.

--unclean elects any live replica of partitions without a leader, even one out of sync: records
can be lost, so it also needs --allow-risky.`,
		Example: `  kctl elect-leaders --dry-run
  kctl elect-leaders --topics orders,payments:0 --yes
  kctl elect-leaders --unclean --topics orders --allow-risky --yes`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkChangeFlags(opts.ChangeFlags); err != nil {
				return err
			}
			for _, t := range opts.Topics {
				p, err := brokers.ParsePartitionArg(t)
				if err != nil {
					return &FlagError{Err: fmt.Errorf("--topics %w", err)}
				}
				opts.sel = append(opts.sel, p)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runElectLeaders(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&opts.Topics, "topics", nil, "only these topics or TOPIC:PARTITION (repeat or comma-separate); default every non-internal topic")
	fl.BoolVar(&opts.Unclean, "unclean", false, "unclean election for partitions without a leader: an out-of-sync replica may lead (data loss); needs --allow-risky")
	fl.BoolVar(&opts.AllowRisky, "allow-risky", false, "allow --unclean")
	_ = cmd.RegisterFlagCompletionFunc("topics", completeTopics(f))
	addChangeFlags(cmd, &opts.ChangeFlags, "print the plan and stop", false)
	return cmd
}

func runElectLeaders(ctx context.Context, o *ElectLeadersOptions) error {
	f := o.f
	if _, err := f.Format(); err != nil {
		return err
	}
	c, err := f.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	meta, err := c.Admin.Metadata(ctx)
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	plan, err := brokers.PlanElection(meta, o.sel, o.Unclean)
	if err != nil {
		return err
	}
	if err := f.Print(plan); err != nil {
		return err
	}
	if len(plan.Elections) == 0 || o.DryRun {
		return nil
	}
	if o.Unclean && !o.AllowRisky {
		return fmt.Errorf("an unclean election may elect an out-of-sync replica and lose records: review the plan, then run kctl elect-leaders --unclean --allow-risky; nothing was elected")
	}
	if err := confirmChange(ctx, f, o.ChangeFlags, "elect-leaders", fmt.Sprintf("Elect the leaders of these %d partitions?", len(plan.Elections))); err != nil {
		return err
	}
	res, err := brokers.Elect(ctx, c.Admin, plan)
	elected, notNeeded := 0, 0
	for _, r := range res {
		switch {
		case r.NotNeeded:
			notNeeded++
		case r.Error == "":
			elected++
		}
	}
	msg := fmt.Sprintf("Elected the leaders of %d of %d partitions.", elected, len(plan.Elections))
	if notNeeded > 0 {
		msg += fmt.Sprintf(" %d needed no election (the cluster found their leader already right).", notNeeded)
	}
	fmt.Fprintln(f.IO.ErrOut, msg)
	return err
}

// OffsetsOptions is `kctl offsets`.
type OffsetsOptions struct {
	f   *Factory
	At  string
	sel brokers.Partition
}

// NewCmdOffsets builds `kctl offsets TOPIC[:P] [--at TIME|earliest|latest]`.
func NewCmdOffsets(f *Factory, runF func(context.Context, *OffsetsOptions) error) *cobra.Command {
	opts := &OffsetsOptions{f: f}
	cmd := &cobra.Command{
		Use:   "offsets TOPIC[:PARTITION,...]",
		Short: "Per partition the offset (and record timestamp) at a time, earliest or latest, as kcat -Q",
		Long: `Print per partition the offset at --at, as kcat -Q and GetOffsetShell do: latest (the end
offset, the default), earliest (the log start), or a time (RFC 3339, a date, or a duration ago
such as 2h): the first record at or after it, with that record's timestamp. A partition with no
record that late shows its end offset and no timestamp. A time in the future is refused.`,
		Example: `  kctl offsets orders
  kctl offsets orders:0 --at earliest
  kctl offsets orders --at 2026-01-02T15:04:05Z -o json
  kctl offsets orders --at 2h`,
		Args:              exactArgs(1),
		ValidArgsFunction: completeTopics(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := brokers.ParsePartitionArg(args[0])
			if err != nil {
				return &FlagError{Err: err}
			}
			opts.sel = p
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runOffsets(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.At, "at", "latest", "latest, earliest, or a time: RFC 3339, a date, or a duration ago (2h)")
	return cmd
}

func runOffsets(ctx context.Context, o *OffsetsOptions) error {
	at, err := brokers.ParseAt(o.At, o.f.Now())
	if err != nil {
		return &FlagError{Err: err}
	}
	if _, err := o.f.Format(); err != nil {
		return err
	}
	c, err := o.f.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	v, err := brokers.Offsets(ctx, c.Admin, o.sel, at)
	var pe *brokers.PartitionErrors
	if err != nil && !errors.As(err, &pe) {
		return err
	}
	if perr := o.f.Print(v); perr != nil {
		return perr
	}
	return err
}
