// Package errs is kctl's one vocabulary for "that does not exist": a topic
// or consumer group not found, a partition out of range. Every command
// returns these types (callers use errors.As), so the same mistake reads
// the same everywhere; internal/cli/exit.go maps them to exit 1. It imports
// only the standard library.
package errs

import (
	"fmt"
	"strconv"
	"strings"
)

// TopicNotFound names topics that do not exist, with the closest existing
// name of each where one is near (Suggestions: missing -> closest).
type TopicNotFound struct {
	Topics      []string
	Suggestions map[string]string
	// Hint, when set, is added after the pointer to 'kctl describe topics'
	// (e.g. "nothing was reset").
	Hint string
}

func (e *TopicNotFound) Error() string {
	return notFound("topic", e.Topics, e.Suggestions, "'kctl describe topics' lists the topics", e.Hint)
}

// GroupNotFound names consumer groups that do not exist, as
// kafka-consumer-groups.sh reports "Consumer group 'x' does not exist.".
type GroupNotFound struct {
	Groups      []string
	Suggestions map[string]string
	// Hint, when set, is added after the pointer to 'kctl groups list'.
	Hint string
}

func (e *GroupNotFound) Error() string {
	return notFound("consumer group", e.Groups, e.Suggestions, "'kctl groups list' lists every group", e.Hint)
}

// notFound is the one wording: `topic "x" not found (did you mean "y"?):
// POINTER[; HINT]`, plural for several names.
func notFound(what string, names []string, sugg map[string]string, pointer, hint string) string {
	word := what
	if len(names) != 1 {
		word += "s"
	}
	msg := fmt.Sprintf("%s %s not found%s: %s", word, quoteJoin(names), suggestion(names, sugg), pointer)
	if hint != "" {
		msg += "; " + hint
	}
	return msg
}

func quoteJoin(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// suggestion is the did-you-mean part: "" without a close name.
func suggestion(names []string, sugg map[string]string) string {
	var q []string
	for _, n := range names {
		if s, ok := sugg[n]; ok && s != "" {
			q = append(q, strconv.Quote(s))
		}
	}
	if len(q) == 0 {
		return ""
	}
	return " (did you mean " + strings.Join(q, ", ") + "?)"
}

// PartitionOutOfRange says partitions were named that a topic does not
// have: "partition 7 is out of range: topic "orders" has 3 partitions (0-2)".
type PartitionOutOfRange struct {
	Topic      string
	Partitions []int32 // the partitions named that do not exist
	Count      int     // the topic's partition count
}

func (e *PartitionOutOfRange) Error() string {
	ps := make([]string, len(e.Partitions))
	for i, p := range e.Partitions {
		ps[i] = strconv.FormatInt(int64(p), 10)
	}
	subject := "partition " + strings.Join(ps, ", ") + " is"
	if len(ps) != 1 {
		subject = "partitions " + strings.Join(ps, ", ") + " are"
	}
	var has string
	switch e.Count {
	case 0:
		has = "no partitions"
	case 1:
		has = "1 partition (0)"
	default:
		has = fmt.Sprintf("%d partitions (0-%d)", e.Count, e.Count-1)
	}
	return fmt.Sprintf("%s out of range: topic %q has %s", subject, e.Topic, has)
}

// Suggest returns, for each name, the closest of candidates (Closest) where
// one is near; nil when none is.
func Suggest(names, candidates []string) map[string]string {
	var out map[string]string
	for _, n := range names {
		if s := Closest(n, candidates); s != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[n] = s
		}
	}
	return out
}

// Closest returns the candidate nearest to name (edit distance, case
// folded), or "" when none is near: within a third of the name's length
// (at least 2 edits), or one name a prefix of the other. Ties go to the
// alphabetically first.
func Closest(name string, candidates []string) string {
	best, bestD := "", -1
	ln := strings.ToLower(name)
	limit := max(2, len([]rune(name))/3)
	for _, c := range candidates {
		if c == name {
			continue
		}
		lc := strings.ToLower(c)
		d := EditDistance(ln, lc)
		if d > limit && !strings.HasPrefix(lc, ln) && !strings.HasPrefix(ln, lc) {
			continue
		}
		if bestD < 0 || d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	return best
}

// EditDistance is the Levenshtein distance of a and b, in runes: the one
// measure of kctl's did-you-mean hints (Closest here, topology's for the
// keys of topics.yaml and kctl's flags).
func EditDistance(a, b string) int {
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
