package lag

import (
	"context"

	"github.com/kctl/kctl/internal/platform/errs"
)

// notFound builds the *errs.GroupNotFound for the missing groups, with the
// closest existing group name for each (one ListGroups round; without an
// answer, no suggestions).
func (c *collector) notFound(ctx context.Context, missing []string) *errs.GroupNotFound {
	e := &errs.GroupNotFound{Groups: missing}
	listed, err := c.listGroups(ctx)
	if err != nil {
		return e
	}
	names := make([]string, 0, len(listed))
	for _, g := range listed {
		names = append(names, g.name)
	}
	e.Suggestions = errs.Suggest(missing, names)
	return e
}
