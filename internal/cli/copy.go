package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	topiccopy "github.com/kctl/kctl/internal/feature/copy"
	"github.com/kctl/kctl/internal/platform/human"
	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/kctl/kctl/internal/platform/view"
)

// CopyOptions is `kctl copy SRC DST`.
type CopyOptions struct {
	f    *Factory
	Opts topiccopy.Options
	ChangeFlags

	from, to             string
	toBrokers, toContext string
}

// NewCmdCopy builds `kctl copy SRC DST`.
func NewCmdCopy(f *Factory, runF func(context.Context, *CopyOptions) error) *cobra.Command {
	opts := &CopyOptions{f: f}
	cmd := &cobra.Command{
		Use:   "copy SRC DST",
		Short: "Copy a topic's records (keys, values, headers, timestamps) to another topic, on this cluster or another",
		Long: `Copy the records of topic SRC to topic DST, which must exist: keys, values, headers and
timestamps kept. When both have as many partitions, each record keeps its partition;
otherwise it goes by its key as Java's default partitioner would (murmur2).

--from and --to bound the range of every partition: an offset, a time or a duration ago
(kctl's one grammar of times: 2026-01-02T15:04:05Z, -1h, 7d); --from is inclusive (default:
the log start), --to exclusive (default: the end offsets seen at start). Transactions on
SRC are read read_committed.

--to-brokers or --to-context copies to another cluster (default: the same one).

Without --exactly-once a run stopped part way and started again copies some records twice.
With --exactly-once each batch and its progress (in the group kctl-copy/SRC/DST on the
destination, --group to choose) are written in one transaction under the transactional id
of the group: a run killed and started again copies each record exactly once to a
read_committed consumer, and of two runs at once the one that started last fences the
other, which stops.

kctl copy shows its plan (range, partitions, destination, mapping) and asks; --yes goes
ahead without asking, --dry-run stops after the plan.`,
		Example: `  kctl copy orders orders.backup --dry-run
  kctl copy orders orders --to-context staging --from -1h --yes
  kctl copy orders orders.v2 --exactly-once --yes`,
		Annotations: longRunning,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return &FlagError{Err: fmt.Errorf("give the source and destination topics: kctl copy SRC DST (got %d arguments)", len(args))}
			}
			return nil
		},
		ValidArgsFunction: completeTopics(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.complete(args); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runCopy(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.from, "from", "", "first record of each partition: beginning|OFFSET|TIME (2026-01-02T15:04:05Z)|DURATION ago (-1h, 7d)")
	fl.StringVar(&opts.to, "to", "", "stop before: end|OFFSET|TIME|DURATION ago (default: the end offsets seen at start)")
	fl.StringVar(&opts.toBrokers, "to-brokers", "", "destination cluster's bootstrap `HOST:PORT[,…]` (same TLS/SASL settings)")
	fl.StringVar(&opts.toContext, "to-context", "", "destination cluster: a context of the config file")
	fl.BoolVar(&opts.Opts.ExactlyOnce, "exactly-once", false, "each batch and its progress in one transaction: a restarted run copies each record once")
	fl.StringVar(&opts.Opts.Group, "group", "", "progress group and transactional id of --exactly-once (default kctl-copy/SRC/DST)")
	addChangeFlags(cmd, &opts.ChangeFlags, "show the plan and copy nothing", false)
	return cmd
}

// complete checks the arguments and flags before connecting.
func (o *CopyOptions) complete(args []string) error {
	usage := func(format string, a ...any) error { return &FlagError{Err: fmt.Errorf(format, a...)} }
	if err := checkChangeFlags(o.ChangeFlags); err != nil {
		return err
	}
	o.Opts.Src, o.Opts.Dst = strings.TrimSpace(args[0]), strings.TrimSpace(args[1])
	if o.Opts.Src == "" || o.Opts.Dst == "" {
		return usage("empty topic name: kctl copy SRC DST")
	}
	if o.toBrokers != "" && o.toContext != "" {
		return usage("--to-brokers and --to-context both name the destination: give one")
	}
	o.Opts.SameCluster = o.toBrokers == "" && o.toContext == ""
	if o.Opts.SameCluster && o.Opts.Src == o.Opts.Dst {
		return usage("%q is both source and destination: copy to another topic, or to another cluster with --to-brokers or --to-context", o.Opts.Src)
	}
	if o.Opts.Group == "" {
		o.Opts.Group = topiccopy.DefaultGroup(o.Opts.Src, o.Opts.Dst)
	}
	var err error
	if o.Opts.From, err = parseBound("--from", o.from, "beginning", o.f); err != nil {
		return &FlagError{Err: err}
	}
	if o.Opts.To, err = parseBound("--to", o.to, "end", o.f); err != nil {
		return &FlagError{Err: err}
	}
	a, b := o.Opts.From, o.Opts.To
	if a.Offset != nil && b.Offset != nil && *a.Offset >= *b.Offset || !a.Time.IsZero() && !b.Time.IsZero() && !a.Time.Before(b.Time) {
		return usage("--from %s is not before --to %s: nothing would be copied", a.Input, b.Input)
	}
	return nil
}

// parseBound parses --from/--to: "" or the open word (beginning, end), an
// offset, or a time as everywhere in kctl.
func parseBound(flag, s, open string, f *Factory) (topiccopy.Bound, error) {
	s = strings.TrimSpace(s)
	b := topiccopy.Bound{Input: s}
	if s == "" || s == open {
		return topiccopy.Bound{}, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		b.Offset = &n
		return b, nil
	}
	t, err := human.ParseTimeOrAgo(s, f.Now())
	if err != nil {
		return b, fmt.Errorf("%s %q: give %s, an offset (42), a time (2026-01-02T15:04:05Z) or a duration ago (-1h, 7d): %v", flag, s, open, err)
	}
	b.Time = t
	return b, nil
}

// destSettings resolves the destination cluster: the source's settings
// with --to-brokers, or the --to-context context.
func (o *CopyOptions) destSettings(src kafka.Settings) (kafka.Settings, error) {
	f := o.f
	switch {
	case o.toBrokers != "":
		d := src
		d.Brokers, d.Seeds, d.BrokersFrom = nil, nil, "--to-brokers"
		for _, b := range strings.Split(o.toBrokers, ",") {
			if b = strings.TrimSpace(b); b != "" {
				d.Brokers = append(d.Brokers, b)
			}
		}
		if len(d.Brokers) == 0 {
			return d, &FlagError{Err: errors.New("--to-brokers is empty: give HOST:PORT[,HOST:PORT…]")}
		}
		return d, nil
	case o.toContext != "":
		cfg, err := kafka.LoadConfig(f.ConfigPath())
		if err != nil {
			return kafka.Settings{}, err
		}
		c, name, err := cfg.Select(o.toContext)
		if err != nil {
			return kafka.Settings{}, fmt.Errorf("--to-context: %w", err)
		}
		return kafka.Resolve(kafka.Inputs{Getenv: func(string) string { return "" }, Context: c, ContextName: name,
			ContextFromFlag: true, ContextNamed: true, Timeout: f.Global.Timeout})
	}
	return src, nil
}

func runCopy(ctx context.Context, o *CopyOptions) error {
	src, err := o.f.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer src.Close()
	dst := src
	if !o.Opts.SameCluster {
		ds, err := o.destSettings(src.Settings)
		if err != nil {
			return err
		}
		if dst, err = o.f.ConnectWith(ctx, ds); err != nil {
			return fmt.Errorf("destination cluster: %w", err)
		}
		defer dst.Close()
	}
	pctx, cancel := context.WithTimeout(ctx, src.Settings.Timeout)
	obs, err := topiccopy.Observe(pctx, src.Admin, dst.Admin, o.Opts)
	cancel()
	if err != nil {
		return connectionError(err)
	}
	plan, err := topiccopy.BuildPlan(obs, o.Opts)
	if err != nil {
		return err
	}
	if err := o.f.Print(view.WithText(plan, plan.WriteText)); err != nil {
		return err
	}
	if o.DryRun {
		fmt.Fprintln(o.f.IO.ErrOut, "Dry run: nothing copied. Run again with --yes to copy.")
		return nil
	}
	if plan.Total == 0 {
		fmt.Fprintln(o.f.IO.ErrOut, "Nothing to copy.")
		return nil
	}
	if err := confirmChange(ctx, o.f, o.ChangeFlags, "copy", "Copy these records?"); err != nil {
		return err
	}
	sopts, err := src.Settings.Options(o.f.Getenv)
	if err != nil {
		return err
	}
	dopts, err := dst.Settings.Options(o.f.Getenv)
	if err != nil {
		return err
	}
	var progress func(int64)
	if o.f.IsTerminal(o.f.IO.ErrOut) {
		progress = func(n int64) { fmt.Fprintf(o.f.IO.ErrOut, "\r\x1b[Kcopied %d of at most %d", n, plan.Total) }
	}
	res, err := topiccopy.Execute(ctx, plan, topiccopy.Clients{SrcOpts: sopts, DstOpts: dopts, DstAdmin: dst.Admin}, progress)
	if progress != nil {
		fmt.Fprint(o.f.IO.ErrOut, "\r\x1b[K")
	}
	if res != nil {
		if perr := res.WriteText(o.f.IO.ErrOut, o.f.stderrStyles()); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}
