package cli

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
)

// completionTimeout bounds the cluster call behind a shell completion: a
// cluster that is away completes nothing rather than hang the shell.
const completionTimeout = time.Second

// completeFromCluster returns a completion of the names list returns,
// asked of the cluster the command line points at (its -b, --context,
// environment), within completionTimeout. Names already on the command
// line are left out; an error or a timeout completes nothing.
func completeFromCluster(f *Factory, list func(context.Context, *kadm.Client) ([]string, error)) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		s, err := f.Settings(nil, "")
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		s.Timeout = min(s.Timeout, completionTimeout)
		cl, err := kafka.NewClient(s, nil)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
		defer cancel()
		names, err := list(ctx, kadm.NewClient(cl))
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return matching(names, args, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// matching returns the sorted names that start with prefix and are not in args.
func matching(names, args []string, prefix string) []cobra.Completion {
	var out []cobra.Completion
	for _, n := range names {
		if strings.HasPrefix(n, prefix) && !slices.Contains(args, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// completeTopics completes topic names (one Metadata request).
func completeTopics(f *Factory) cobra.CompletionFunc {
	return completeFromCluster(f, func(ctx context.Context, adm *kadm.Client) ([]string, error) {
		td, err := adm.ListTopics(ctx)
		if err != nil {
			return nil, err
		}
		return td.Names(), nil
	})
}

// completeGroups completes consumer group names (ListGroups).
func completeGroups(f *Factory) cobra.CompletionFunc {
	return completeFromCluster(f, func(ctx context.Context, adm *kadm.Client) ([]string, error) {
		gs, err := adm.ListGroups(ctx)
		if err != nil {
			return nil, err
		}
		return gs.Groups(), nil
	})
}

// completeContexts completes the context names of the config file; no
// cluster is asked.
func completeContexts(f *Factory) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cfg, err := kafka.LoadConfig(f.ConfigPath())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return matching(cfg.Names(), nil, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}
