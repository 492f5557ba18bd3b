package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/feature/txn"
	"github.com/kctl/kctl/internal/platform/errs"
	"github.com/kctl/kctl/internal/platform/human"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
)

// NewCmdTxn is `kctl txn`.
func NewCmdTxn(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "txn",
		Short: "Transactions: list and describe transactional ids, find hanging transactions, abort one (asks first)",
		Args:  noArgs,
	}
	cmd.AddCommand(NewCmdTxnList(f, nil), NewCmdTxnDescribe(f, nil), NewCmdTxnFindHanging(f, nil), NewCmdTxnAbort(f, nil))
	return cmd
}

// TxnOptions is `kctl txn list|describe|find-hanging|abort`.
type TxnOptions struct {
	f   *Factory
	Now func() time.Time
	// ID is describe's transactional id.
	ID string
	// Topics narrow find-hanging.
	Topics []string
	// OlderThan is find-hanging's --older-than.
	OlderThan time.Duration
	// Topic, Partition and StartOffset (-1: not given) are abort's.
	Topic       string
	Partition   int32
	StartOffset int64
	ChangeFlags

	olderThan string
}

// NewCmdTxnList builds `kctl txn list`.
func NewCmdTxnList(f *Factory, runF func(context.Context, *TxnOptions) error) *cobra.Command {
	opts := &TxnOptions{f: f, Now: f.Now}
	return &cobra.Command{
		Use:     "list",
		Short:   "Every transactional id: state, producer id and epoch, coordinator, age of the open transaction, its partitions",
		Example: "  kctl txn list\n  kctl txn list -o json",
		Aliases: []string{"ls"},
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			c, err := opts.f.Connect(cmd.Context(), nil, "")
			if err != nil {
				return err
			}
			defer c.Close()
			v, err := txn.List(cmd.Context(), c.Admin, opts.Now())
			if err != nil {
				return connectionError(err)
			}
			return opts.f.Print(v)
		},
	}
}

// completeTxnIDs completes transactional ids (ListTransactions).
func completeTxnIDs(f *Factory) cobra.CompletionFunc {
	return completeFromCluster(f, func(ctx context.Context, adm *kadm.Client) ([]string, error) {
		l, err := adm.ListTransactions(ctx, nil, nil)
		if err != nil {
			return nil, err
		}
		return l.TransactionalIDs(), nil
	})
}

// NewCmdTxnDescribe builds `kctl txn describe ID`.
func NewCmdTxnDescribe(f *Factory, runF func(context.Context, *TxnOptions) error) *cobra.Command {
	opts := &TxnOptions{f: f, Now: f.Now}
	return &cobra.Command{
		Use:               "describe ID",
		Short:             "One transactional id: state, producer id and epoch, coordinator, timeout, start and partitions",
		Long:              "Describes one transactional id as its coordinator reports it. An unknown id is an error\nnaming the closest known one.",
		Example:           "  kctl txn describe payments-tx-1\n  kctl txn describe payments-tx-1 -o json",
		Args:              exactArgs(1),
		ValidArgsFunction: completeTxnIDs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(args[0]) == "" {
				return &FlagError{Err: errors.New("the transactional id is empty: name one ('kctl txn list' lists them)")}
			}
			opts.ID = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			c, err := opts.f.Connect(cmd.Context(), nil, "")
			if err != nil {
				return err
			}
			defer c.Close()
			v, err := txn.Describe(cmd.Context(), c.Admin, opts.ID, opts.Now())
			if err != nil {
				return connectionError(err)
			}
			return opts.f.Print(v)
		},
	}
}

// NewCmdTxnFindHanging builds `kctl txn find-hanging [TOPIC...]`.
func NewCmdTxnFindHanging(f *Factory, runF func(context.Context, *TxnOptions) error) *cobra.Command {
	opts := &TxnOptions{f: f, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "find-hanging [TOPIC...]",
		Short: "Open transactions holding a partition's last stable offset back (read_committed consumers stall there)",
		Long: `Lists, per partition of the topics named (every topic without one), the producers with an
open transaction at or above the partition's last stable offset (LSO) whose last write is at
least --older-than ago (default 15m, above the default transaction timeout of 1m): topic,
partition, producer id and epoch, the transaction's start offset, the LSO and high watermark,
how many offsets read_committed consumers cannot read yet, the age, and the coordinator's view
(its transactional id and state, or "unknown to any coordinator": a hanging transaction that
only an abort marker ends — kctl txn abort).`,
		Example:           "  kctl txn find-hanging\n  kctl txn find-hanging orders --older-than 1h -o json",
		ValidArgsFunction: completeTopics(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := human.ParseDuration(opts.olderThan)
			if err != nil {
				return &FlagError{Err: fmt.Errorf("--older-than %q: %w (e.g. 15m, 1h, 0s for every open transaction)", opts.olderThan, err)}
			}
			opts.OlderThan, opts.Topics = d, args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTxnFindHanging(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.olderThan, "older-than", "15m", "only transactions whose producer last wrote at least this long ago (0s: every open one)")
	return cmd
}

func runTxnFindHanging(ctx context.Context, o *TxnOptions) error {
	c, err := o.f.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	if err := checkTopicsExist(ctx, c.Admin, o.Topics); err != nil {
		return err
	}
	v, err := txn.FindHanging(ctx, c.Admin, o.Topics, o.OlderThan, o.Now())
	if err != nil {
		return connectionError(err)
	}
	if err := o.f.Print(v); err != nil {
		return err
	}
	if len(v.Errors) > 0 {
		return ErrSilentFailure
	}
	return nil
}

// NewCmdTxnAbort builds `kctl txn abort TOPIC:PARTITION`.
func NewCmdTxnAbort(f *Factory, runF func(context.Context, *TxnOptions) error) *cobra.Command {
	opts := &TxnOptions{f: f, Now: f.Now, StartOffset: -1}
	cmd := &cobra.Command{
		Use:   "abort TOPIC:PARTITION [--start-offset N]",
		Short: "Abort one hanging transaction on a partition (writes an abort marker): a plan first, confirmed",
		Long: `Aborts the open transaction on one partition by writing an abort marker for its producer id
and epoch (WriteTxnMarkers, as kafka-transactions.sh abort): its records become aborted and the
partition's last stable offset moves on, so read_committed consumers progress. With several open
transactions on the partition, --start-offset names the one (kctl txn find-hanging shows it).
The plan is printed first, then kctl asks on a terminal (without a terminal --yes is required;
--dry-run stops after the plan). Abort only a transaction whose producer is gone: a live producer
is fenced from that transaction and fails its commit.`,
		Example:           "  kctl txn abort orders:2\n  kctl txn abort orders:2 --start-offset 1041 --yes",
		Args:              exactArgs(1),
		ValidArgsFunction: completeTopics(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, p, err := parseTopicPartition(args[0])
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("start-offset") && opts.StartOffset < 0 {
				return &FlagError{Err: fmt.Errorf("--start-offset %d: an offset is 0 or more (kctl txn find-hanging shows each open transaction's start offset)", opts.StartOffset)}
			}
			if err := checkChangeFlags(opts.ChangeFlags); err != nil {
				return err
			}
			opts.Topic, opts.Partition = t, p
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTxnAbort(cmd.Context(), opts)
		},
	}
	cmd.Flags().Int64Var(&opts.StartOffset, "start-offset", -1, "the start offset of the transaction to abort, when the partition has several open")
	addChangeFlags(cmd, &opts.ChangeFlags, "print the abort plan and write nothing", false)
	return cmd
}

// parseTopicPartition parses TOPIC:PARTITION.
func parseTopicPartition(s string) (string, int32, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return "", 0, &FlagError{Err: fmt.Errorf("%q: name one partition as TOPIC:PARTITION, e.g. orders:2", s)}
	}
	p, err := strconv.ParseInt(s[i+1:], 10, 32)
	if err != nil || p < 0 {
		return "", 0, &FlagError{Err: fmt.Errorf("%q: the partition %q is not a number: name one partition as TOPIC:PARTITION, e.g. orders:2", s, s[i+1:])}
	}
	return s[:i], int32(p), nil
}

func runTxnAbort(ctx context.Context, o *TxnOptions) error {
	c, err := o.f.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	plan, err := txn.PlanAbort(ctx, c.Admin, o.Topic, o.Partition, o.StartOffset, o.Now())
	if err != nil {
		return connectionError(err)
	}
	if ok, err := showAndConfirm(ctx, o.f, o.ChangeFlags, plan, "txn abort", "Write this abort marker?"); !ok || err != nil {
		return err
	}
	r, err := txn.Abort(ctx, c.Admin, plan)
	if err != nil {
		return connectionError(err)
	}
	return o.f.Print(r)
}

// checkTopicsExist refuses topics the cluster does not have, naming the
// closest of each.
func checkTopicsExist(ctx context.Context, adm *kadm.Client, topics []string) error {
	if len(topics) == 0 {
		return nil
	}
	all, err := adm.ListTopics(ctx)
	if err != nil {
		return connectionError(fmt.Errorf("list topics: %w", err))
	}
	var missing []string
	for _, t := range topics {
		if !all.Has(t) {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &errs.TopicNotFound{Topics: missing, Suggestions: errs.Suggest(missing, all.Names())}
}
