// Package records reads and writes the records of topics for kctl consume
// and kctl produce: where consumption starts (From, Plan), how a record is
// printed (Format, the text and JSON encoders), how lines become records
// (LineReader, Producer). internal/cli only turns flags into these values.
package records

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/human"
)

// FromKind is the kind of a --from value.
type FromKind int

// The --from kinds.
const (
	FromBeginning FromKind = iota // the log start of each partition
	FromEnd                       // the end: only records produced from now on
	FromStored                    // the group's committed offsets
	FromOffset                    // an absolute offset in each partition
	FromTail                      // N records before the end of each partition
	FromTime                      // the first record at or after a time
)

// From is where consumption starts (--from).
type From struct {
	Kind   FromKind
	Offset int64     // FromOffset: the offset; FromTail: N
	Time   time.Time // FromTime
	Input  string    // as given, for messages
}

// FromForms lists the accepted --from forms, for help and errors.
const FromForms = "beginning, end, stored, an offset (42), -N (the last N records of each partition), or " + human.TimeForms

// ParseFrom parses a --from value: a keyword, an offset, -N, or a time
// (human.ParseTimeOrAgo, kctl's one grammar of times: a duration such as
// -1h, 1h30m or 7d is resolved against now; a + is refused). It returns an error naming the value and
// the accepted forms when s is none of them.
func ParseFrom(s string, now time.Time) (From, error) {
	in := strings.TrimSpace(s)
	f := From{Input: in}
	switch strings.ToLower(in) {
	case "beginning", "earliest", "start", "oldest":
		f.Kind = FromBeginning
		return f, nil
	case "end", "latest", "newest":
		f.Kind = FromEnd
		return f, nil
	case "stored", "committed":
		f.Kind = FromStored
		return f, nil
	case "":
		return f, errors.New("--from is empty: give " + FromForms)
	}
	if strings.HasPrefix(in, "+") {
		// +1h would read as "an hour ago" (or +5 as offset 5), yet looks
		// like "an hour from now": refuse it rather than guess.
		if _, err := strconv.ParseInt(in[1:], 10, 64); err == nil {
			return f, fmt.Errorf("--from %q: a leading + is ambiguous; for offset %s write --from %s, for the last %s records --from -%s", in, in[1:], in[1:], in[1:], in[1:])
		}
		return f, fmt.Errorf("--from %q: a leading + is ambiguous (kctl reads no future); for %s ago write --from -%s; accepted: %s", in, in[1:], in[1:], FromForms)
	}
	if n, err := strconv.ParseInt(in, 10, 64); err == nil {
		if strings.HasPrefix(in, "-") {
			if n == 0 {
				f.Kind = FromEnd
				return f, nil
			}
			f.Kind, f.Offset = FromTail, -n
			return f, nil
		}
		f.Kind, f.Offset = FromOffset, n
		return f, nil
	}
	t, err := human.ParseTimeOrAgo(in, now)
	if err != nil {
		return f, fmt.Errorf("--from %q is not understood: give %s", in, FromForms)
	}
	f.Kind, f.Time = FromTime, t
	return f, nil
}
