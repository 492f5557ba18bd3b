package cli

import (
	"context"
	"errors"
	"strings"

	"github.com/kctl/kctl/internal/feature/brokers"
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
	cmd.AddCommand(NewCmdDescribeBrokers(f, nil), NewCmdDescribeLogDirs(f, nil), NewCmdDescribeQuorum(f, nil))
	return cmd
}

// DescribeOptions is `kctl describe cluster|topics`.
type DescribeOptions struct {
	f      *Factory
	Topics []string
	Filter inspect.Filter
	Size   bool // describe topics --size
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
	fl.BoolVar(&opts.Filter.AllConfigs, "configs", false, "every config of each topic with its source, defaults included (without it: only values that differ from the broker defaults)")
	fl.BoolVar(&opts.Size, "size", false, "each topic's size on disk over all replicas and in leaders (DescribeLogDirs to every broker)")
	fl.BoolVar(&opts.Filter.NotPreferred, "not-preferred", false, "only partitions led by another replica than the preferred (first) one: kctl elect-leaders moves them back")
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
	if o.Size && err == nil {
		o.addSizes(ctx, &v)
	}
	return o.printPartial(v, err)
}

// addSizes sets each topic's size from DescribeLogDirs (the brokers
// feature); when it cannot be read, each topic says why instead (the
// sizes are an addition: describe does not fail for them).
func (o *DescribeOptions) addSizes(ctx context.Context, v *inspect.TopicsView) {
	if len(v.Topics) == 0 {
		return
	}
	names := make([]string, len(v.Topics))
	for i, t := range v.Topics {
		names[i] = t.Name
	}
	var usage brokers.LogDirsView
	c, err := o.f.Connect(ctx, nil, "")
	if err == nil {
		defer c.Close()
		usage, err = brokers.DescribeLogDirs(ctx, c.Admin, brokers.LogDirsOptions{By: brokers.ByTopic, Topics: names})
		if err == nil && len(usage.Warnings) > 0 {
			err = errors.New(strings.Join(usage.Warnings, "; "))
		}
	}
	sizes := map[string]inspect.TopicSize{}
	for _, u := range usage.Topics {
		sizes[u.Topic] = inspect.TopicSize{Bytes: u.Bytes, LeaderBytes: u.LeaderBytes}
	}
	for i := range v.Topics {
		if err != nil {
			v.Topics[i].SizeError = err.Error()
			continue
		}
		s := sizes[v.Topics[i].Name] // a topic without data has no entry: 0 bytes
		v.Topics[i].Size = &s
	}
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
