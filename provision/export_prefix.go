package provision

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kctl/kctl/internal/platform/human"
)

// ErrPrefixUndeclared is wrapped by ExportTopics' error when a managed
// prefix covers live topics the exported file would not declare.
var ErrPrefixUndeclared = errors.New("export refused")

// checkManagedPrefixes returns an error wrapping ErrPrefixUndeclared when
// one of prefixes covers a live topic (internal ones excepted: plan never
// deletes those) that is not among exported: such a file would plan that
// topic's deletion with --prune, and a note without it. nil when every
// live topic under the prefixes is exported.
func checkManagedPrefixes(prefixes, live, exported []string, clusterID string) error {
	if len(prefixes) == 0 {
		return nil
	}
	declared := make(map[string]bool, len(exported))
	for _, n := range exported {
		declared[n] = true
	}
	var bad []string
	byPrefix := map[string][]string{}
	for _, name := range live {
		if declared[name] {
			continue
		}
		for _, p := range prefixes {
			if strings.HasPrefix(name, p) {
				byPrefix[p] = append(byPrefix[p], name)
				if !slices.Contains(bad, name) {
					bad = append(bad, name)
				}
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	var parts []string
	for _, p := range prefixes {
		if ts := byPrefix[p]; len(ts) > 0 {
			sort.Strings(ts)
			parts = append(parts, fmt.Sprintf("%s under %q", abbreviate(ts, 10), p))
		}
	}
	them := pronoun(len(bad))
	return fmt.Errorf("%w: --managed-prefix %s on cluster %q would leave %s undeclared (%s), so kctl plan --prune would delete %s: export %s too (name %s, or use a PREFIX* pattern), or drop the prefix; nothing was written",
		ErrPrefixUndeclared, strings.Join(prefixes, ","), clusterID, human.Plural(len(bad), "live topic"), strings.Join(parts, "; "), them, them, them)
}
