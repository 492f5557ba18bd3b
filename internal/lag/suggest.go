package lag

import (
	"context"
	"strings"
)

// Suggestions for a mistyped group name: the closest existing group.

// closest returns the candidate nearest to name (edit distance, case
// folded), or "" when none is near: within a third of the name's length
// (at least 2 edits), or one name a prefix of the other.
func closest(name string, candidates []string) string {
	best, bestD := "", -1
	ln := strings.ToLower(name)
	limit := max(2, len([]rune(name))/3)
	for _, c := range candidates {
		if c == name {
			continue
		}
		lc := strings.ToLower(c)
		d := editDistance(ln, lc)
		if d > limit && !strings.HasPrefix(lc, ln) && !strings.HasPrefix(ln, lc) {
			continue
		}
		if bestD < 0 || d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// notFound builds the *NotFoundError for the missing groups, with the
// closest existing group name for each (one ListGroups round; without an
// answer, no suggestions).
func (c *collector) notFound(ctx context.Context, missing []string) *NotFoundError {
	e := &NotFoundError{Groups: missing}
	listed, err := c.listGroups(ctx)
	if err != nil {
		return e
	}
	names := make([]string, 0, len(listed))
	for _, g := range listed {
		names = append(names, g.name)
	}
	for _, m := range missing {
		if s := closest(m, names); s != "" {
			if e.Closest == nil {
				e.Closest = map[string]string{}
			}
			e.Closest[m] = s
		}
	}
	return e
}

// Suggestion is the did-you-mean part of a not-found error for the
// groups: "" without a close name.
func Suggestion(groups []string, closest map[string]string) string {
	var q []string
	for _, g := range groups {
		if s, ok := closest[g]; ok {
			q = append(q, `"`+s+`"`)
		}
	}
	if len(q) == 0 {
		return ""
	}
	return " (did you mean " + strings.Join(q, ", ") + "?)"
}
