package cli

import (
	"context"
	"errors"
	"strings"

	"github.com/kctl/kctl/internal/feature/inspect"
	"github.com/spf13/cobra"
)

// NewCmdDescribe is `kctl describe`.
func NewCmdDescribe(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "describe",
		Short: "Show a cluster or its topics: brokers, partitions, leaders, ISR, health",
		Args:  noArgs,
	}
	cmd.AddCommand(NewCmdDescribeCluster(f, nil), NewCmdDescribeTopics(f, nil))
	cmd.AddCommand(NewCmdDescribeACLs(f, nil), NewCmdDescribeUsers(f, nil), NewCmdDescribeQuotas(f, nil))
	return cmd
}

// DescribeOptions is `kctl describe cluster|topics`.
type DescribeOptions struct {
	f      *Factory
	Topics []string
	Filter inspect.Filter
}

// NewCmdDescribeCluster builds `kctl describe cluster`.
func NewCmdDescribeCluster(f *Factory, runF func(context.Context, *DescribeOptions) error) *cobra.Command {
	opts := &DescribeOptions{f: f}
	return &cobra.Command{
		Use:     "cluster",
		Short:   "Cluster ID, controller, brokers, topic counts and a health line",
		Example: "  kctl describe cluster\n  kctl describe cluster -o json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDescribeCluster(cmd.Context(), opts)
		},
	}
}

func runDescribeCluster(ctx context.Context, o *DescribeOptions) error {
	r, done, err := o.f.ConnectSticky()
	if err != nil {
		return err
	}
	defer done()
	v, err := inspect.DescribeCluster(ctx, r)
	return o.printPartial(v, err)
}

// NewCmdDescribeTopics builds `kctl describe topics [NAME...]`.
func NewCmdDescribeTopics(f *Factory, runF func(context.Context, *DescribeOptions) error) *cobra.Command {
	opts := &DescribeOptions{f: f}
	cmd := &cobra.Command{
		Use:   "topics [NAME...]",
		Short: "Per topic: partitions, RF, non-default configs; per partition: leader, replicas, ISR, health",
		Example: `  kctl describe topics
  kctl describe topics user.signed-up -o yaml
  kctl describe topics --under-replicated --unavailable`,
		Aliases:           []string{"topic"},
		ValidArgsFunction: completeTopics(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				if strings.TrimSpace(a) == "" {
					return &FlagError{Err: errors.New("a topic name is empty: name each topic, e.g. kctl describe topics orders")}
				}
			}
			opts.Topics = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDescribeTopics(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Filter.UnderReplicated, "under-replicated", false, "only partitions whose ISR is smaller than the replica set")
	fl.BoolVar(&opts.Filter.Unavailable, "unavailable", false, "only partitions without a leader or with offline replicas")
	fl.BoolVar(&opts.Filter.UnderMinISR, "under-min-isr", false, "only partitions whose ISR is below min.insync.replicas")
	fl.BoolVar(&opts.Filter.All, "all", false, "include internal topics (__consumer_offsets, …)")
	return cmd
}

func runDescribeTopics(ctx context.Context, o *DescribeOptions) error {
	r, done, err := o.f.ConnectSticky()
	if err != nil {
		return err
	}
	defer done()
	v, err := inspect.DescribeTopics(ctx, r, o.Topics, o.Filter)
	return o.printPartial(v, err)
}

// printPartial prints v when err is nil or an *inspect.IncompleteError (what
// could be read, with its warnings) and then returns err, so that an
// incomplete answer still exits 1; any other error is returned alone.
func (o *DescribeOptions) printPartial(v any, err error) error {
	var ie *inspect.IncompleteError
	if err != nil && !errors.As(err, &ie) {
		return connectionError(err)
	}
	if perr := o.f.Print(v); perr != nil {
		return perr
	}
	return err
}
