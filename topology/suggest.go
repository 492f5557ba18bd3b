package topology

import "strings"

// closest returns the candidate nearest to s by case-insensitive edit
// distance, or "" when none is close enough to be a likely typo. Hand-written: twenty lines of
// Levenshtein do not justify a dependency.
func closest(s string, candidates []string) string {
	best, bestD := "", -1
	ls := strings.ToLower(s)
	for _, c := range candidates {
		d := levenshtein(ls, strings.ToLower(c))
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

func levenshtein(a, b string) int {
	if len(a) > 256 || len(b) > 256 { // typos are short; bound the work
		if a == b {
			return 0
		}
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Closest returns the candidate nearest to s by case-insensitive edit
// distance, or "" when none is close enough to be a likely typo (the rule
// of the file's own did-you-mean hints, for kctl's flags too).
func Closest(s string, candidates []string) string { return closest(s, candidates) }
