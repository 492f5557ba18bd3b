package cli

import (
	"context"
	"errors"
	"strings"

	"github.com/kctl/kctl/internal/feature/groupclone"
	"github.com/spf13/cobra"
)

// GroupsCloneOptions is `kctl groups clone SRC DST`.
type GroupsCloneOptions struct {
	f        *Factory
	Src, Dst string
	// Force lets DST exist (without live members): its offsets on SRC's
	// partitions are overwritten.
	Force bool
	ChangeFlags
}

// NewCmdGroupsClone builds `kctl groups clone SRC DST`.
func NewCmdGroupsClone(f *Factory, runF func(context.Context, *GroupsCloneOptions) error) *cobra.Command {
	opts := &GroupsCloneOptions{f: f}
	cmd := &cobra.Command{
		Use:   "clone SRC DST",
		Short: "Copy a group's committed offsets to a new group: a plan first, confirmed",
		Long: `Copies every committed offset of consumer group SRC (with its leader epoch and metadata)
to group DST, to escape a stuck rebalance or to start a new consumer at the same position
(kafkactl's clone). DST must be a new group; with --force it may exist without live members,
and its offsets on SRC's partitions are overwritten (others are kept). An unknown SRC is
refused naming the closest group. The plan is printed first, then kctl asks on a terminal
(without a terminal --yes is required; --dry-run stops after the plan).`,
		Example:           "  kctl groups clone email-service email-service-v2\n  kctl groups clone billing billing-test --yes",
		Args:              exactArgs(2),
		ValidArgsFunction: completeGroups(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(args[0]) == "" || strings.TrimSpace(args[1]) == "" {
				return &FlagError{Err: errors.New("a group name is empty: name the source and the new group, e.g. kctl groups clone billing billing-v2")}
			}
			if err := checkChangeFlags(opts.ChangeFlags); err != nil {
				return err
			}
			opts.Src, opts.Dst = args[0], args[1]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runGroupsClone(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "let DST exist (no live members): overwrite its offsets on SRC's partitions")
	addChangeFlags(cmd, &opts.ChangeFlags, "print the plan and commit nothing", false)
	return cmd
}

func runGroupsClone(ctx context.Context, o *GroupsCloneOptions) error {
	c, err := o.f.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	plan, err := groupclone.Build(ctx, c.Admin, o.Src, o.Dst, o.Force)
	if err != nil {
		return connectionError(err)
	}
	if ok, err := showAndConfirm(ctx, o.f, o.ChangeFlags, plan, "groups clone", "Commit these offsets to "+o.Dst+"?"); !ok || err != nil {
		return err
	}
	r, err := groupclone.Execute(ctx, c.Admin, plan)
	if err != nil {
		return connectionError(err)
	}
	perr := o.f.Print(r)
	if len(r.Errors) > 0 {
		return ErrSilentFailure
	}
	return perr
}
