package smoke

import (
	"context"
	"fmt"
	"strings"

	"github.com/kctl/kctl/provision"
	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TopicsOptions are what the topics step may do.
type TopicsOptions struct {
	// NoApply only checks that the plan is empty.
	NoApply bool
	// Allow are the operator's allowances (smoke --allow-risky); smoke
	// never prunes, so Prune and MaxDeletes stay off.
	Allow provision.Allowances
	// Markers are the rebalance markers the gate consults (nil: none).
	Markers *provision.Markers
}

// TopicsStep returns the Options.Topics hook for a validated file: it
// observes the cluster and applies the plan through provision.Gate (a
// risky change needs o.Allow.Risky, as for kctl apply), or with o.NoApply
// only checks that the plan is empty. It never prunes. The hook returns an
// error naming each refused change or difference, and for a refused risky
// change the flag that allows it.
func TopicsStep(cl kmsg.Requestor, file *topology.File, o TopicsOptions) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		st, err := provision.Observe(ctx, cl, file)
		if err != nil {
			return "", fmt.Errorf("observe the cluster: %w", err)
		}
		plan := provision.Diff(file, st, provision.Options{})
		if plan.IsRefused() {
			return "", fmt.Errorf("%s cannot be applied: %s", file.Path, describeChanges(plan, provision.Refused))
		}
		if !plan.HasChanges() {
			return fmt.Sprintf("%d topics match %s", plan.Topics, file.Path), nil
		}
		if o.NoApply {
			return "", fmt.Errorf("expected the cluster to match %s (--no-apply), saw differences: %s", file.Path, describeChanges(plan, ""))
		}
		allow := o.Allow
		allow.Prune, allow.MaxDeletes, allow.DryRun = false, 0, false
		d := provision.Gate(plan, allow, o.Markers)
		if err := d.Err(); err != nil {
			return "", fmt.Errorf("%s not applied: %w", file.Path, err)
		}
		res, err := provision.Apply(ctx, cl, d, provision.ApplyOptions{})
		if err != nil {
			return "", fmt.Errorf("apply %s: %w", file.Path, err)
		}
		return fmt.Sprintf("applied %s: %d created, %d updated", file.Path, res.Count(provision.Create), res.Count(provision.Update)), nil
	}
}

// describeChanges lists a plan's changes (of one action, or all when
// action is "") on one line.
func describeChanges(p *provision.Plan, action provision.Action) string {
	var parts []string
	for _, c := range p.Changes {
		if action != "" && c.Action != action {
			continue
		}
		var d []string
		if c.Partitions != nil {
			d = append(d, fmt.Sprintf("partitions %d → %d", c.Partitions.From, c.Partitions.To))
		}
		if c.ReplicationFactor != nil && c.ReplicationFactor.From != c.ReplicationFactor.To {
			d = append(d, fmt.Sprintf("replicationFactor %d → %d", c.ReplicationFactor.From, c.ReplicationFactor.To))
		}
		for _, cc := range c.Configs {
			d = append(d, fmt.Sprintf("%s %s → %s", cc.Name, deref(cc.Old), deref(cc.New)))
		}
		d = append(d, c.Reasons...)
		name := c.Topic
		if name == "" {
			name = "cluster"
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s)", c.Action, name, strings.Join(d, "; ")))
	}
	for _, c := range p.Access {
		if action != "" && c.Action != action {
			continue
		}
		part := fmt.Sprintf("%s %s %s", c.Action, c.Kind, c.Name)
		if len(c.Reasons) > 0 {
			part += " (" + strings.Join(c.Reasons, "; ") + ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", ")
}

func deref(s *string) string {
	if s == nil {
		return "(none)"
	}
	return *s
}
