package records

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/human"
)

// ParseTo parses consume's --to: where each partition stops (exclusive):
// end (the end offsets seen at start, as -e), an offset, or a time (the
// first record at or after it; kctl's one grammar of times). Kind is
// FromEnd, FromOffset or FromTime.
func ParseTo(s string, now time.Time) (From, error) {
	in := strings.TrimSpace(s)
	f := From{Input: in}
	const forms = "end, an offset (42, exclusive) or " + human.TimeForms
	switch strings.ToLower(in) {
	case "end", "latest":
		f.Kind = FromEnd
		return f, nil
	case "":
		return f, fmt.Errorf("--to is empty: give %s", forms)
	}
	if n, err := strconv.ParseInt(in, 10, 64); err == nil {
		if n < 0 {
			return f, fmt.Errorf("--to %q: an offset is 0 or more; give %s", in, forms)
		}
		f.Kind, f.Offset = FromOffset, n
		return f, nil
	}
	t, err := human.ParseTimeOrAgo(in, now)
	if err != nil {
		return f, fmt.Errorf("--to %q is not understood: give %s", in, forms)
	}
	f.Kind, f.Time = FromTime, t
	return f, nil
}

// applyTo moves pp's end down to To (an offset, or the offset at To's
// time in atTo); a start past it leaves nothing to read.
func applyTo(pp *PartitionPlan, to *From, atTo int64, haveAtTo bool) {
	if to == nil || to.Kind == FromEnd {
		return
	}
	end := pp.End
	switch to.Kind {
	case FromOffset:
		end = to.Offset
	case FromTime:
		if haveAtTo && atTo >= 0 {
			end = atTo
		}
	}
	if end < pp.End {
		pp.End = end
	}
	if pp.Start > pp.End {
		pp.End = pp.Start
	}
}
