package cli

import (
	"context"
	"time"

	"github.com/kctl/kctl/internal/feature/inspect"
	"github.com/spf13/cobra"
)

// DescribeAccessOptions is `kctl describe acls|users|quotas`.
type DescribeAccessOptions struct {
	Sticky    StickyFunc
	Printing  Printing
	Timeout   func() time.Duration // --timeout
	What      string               // acls | users | quotas
	ACLFilter inspect.ACLFilter
}

func newDescribeAccessOptions(f *Factory, what string) *DescribeAccessOptions {
	return &DescribeAccessOptions{Sticky: f.ConnectSticky, Printing: f.Printing(), Timeout: f.timeout, What: what}
}

// NewCmdDescribeACLs builds `kctl describe acls [--principal P] [--topic T]`.
func NewCmdDescribeACLs(f *Factory, runF func(context.Context, *DescribeAccessOptions) error) *cobra.Command {
	opts := newDescribeAccessOptions(f, "acls")
	cmd := &cobra.Command{
		Use:   "acls",
		Short: "The cluster's ACLs: principal, allow/deny, operation, resource, pattern, host",
		Long: `List the cluster's ACLs (one DescribeAcls request). --principal keeps one principal's
(User:name, or just name); --topic keeps those that apply to a topic: its literal name, "*" and
every prefixed ACL covering it.`,
		Example: `  kctl describe acls
  kctl describe acls --principal email-service
  kctl describe acls --topic user.signed-up -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAccess(cmd, opts, runF) },
	}
	cmd.Flags().StringVar(&opts.ACLFilter.Principal, "principal", "", "only this principal's ACLs (User:name or name)")
	cmd.Flags().StringVar(&opts.ACLFilter.Topic, "topic", "", "only the ACLs that apply to this topic")
	return cmd
}

// NewCmdDescribeUsers builds `kctl describe users`.
func NewCmdDescribeUsers(f *Factory, runF func(context.Context, *DescribeAccessOptions) error) *cobra.Command {
	opts := newDescribeAccessOptions(f, "users")
	return &cobra.Command{
		Use:     "users",
		Short:   "The cluster's SCRAM users: mechanism and iterations (passwords are never readable)",
		Example: "  kctl describe users\n  kctl describe users -o yaml",
		Args:    noArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runAccess(cmd, opts, runF) },
	}
}

// NewCmdDescribeQuotas builds `kctl describe quotas`.
func NewCmdDescribeQuotas(f *Factory, runF func(context.Context, *DescribeAccessOptions) error) *cobra.Command {
	opts := newDescribeAccessOptions(f, "quotas")
	return &cobra.Command{
		Use:     "quotas",
		Short:   "The cluster's user and client-id quotas (byte rates, request percentage, …)",
		Example: "  kctl describe quotas\n  kctl describe quotas -o json",
		Args:    noArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runAccess(cmd, opts, runF) },
	}
}

func runAccess(cmd *cobra.Command, opts *DescribeAccessOptions, runF func(context.Context, *DescribeAccessOptions) error) error {
	if runF != nil {
		return runF(cmd.Context(), opts)
	}
	return runDescribeAccess(cmd.Context(), opts)
}

func runDescribeAccess(ctx context.Context, o *DescribeAccessOptions) error {
	if _, err := o.Printing.Format(); err != nil {
		return err
	}
	r, done, err := o.Sticky()
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout())
	defer cancel()
	var v any
	switch o.What {
	case "acls":
		v, err = inspect.DescribeACLs(ctx, r, o.ACLFilter)
	case "users":
		v, err = inspect.DescribeUsers(ctx, r)
	default:
		v, err = inspect.DescribeQuotas(ctx, r)
	}
	if err != nil {
		return connectionError(err)
	}
	return o.Printing.Print(v)
}
