package topology

import (
	"strings"

	"github.com/kctl/kctl/internal/platform/errs"
)

// closest returns the candidate nearest to s by case-insensitive edit
// distance, or "" when none is close enough to be a likely typo.
func closest(s string, candidates []string) string {
	best, bestD := "", -1
	ls := strings.ToLower(s)
	for _, c := range candidates {
		d := distance(ls, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(s) >= 12 {
		limit = 3
	}
	if bestD < 0 || bestD > limit || bestD >= len(s) {
		return ""
	}
	return best
}

// distance is errs.EditDistance, bounded: typos are short, and a long
// string is no typo of another.
func distance(a, b string) int {
	if len(a) > 256 || len(b) > 256 {
		if a == b {
			return 0
		}
		return 1 << 20
	}
	return errs.EditDistance(a, b)
}

// Closest returns the candidate nearest to s by case-insensitive edit
// distance, or "" when none is close enough to be a likely typo (the rule
// of the file's own did-you-mean hints, for kctl's flags too).
func Closest(s string, candidates []string) string { return closest(s, candidates) }
