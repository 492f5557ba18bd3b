package human

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// TimeForms names what ParseTimeOrAgo accepts, for help and errors: the one
// grammar of --from's time, --to-datetime, --by-duration's "ago", --since
// and --until (docs/design.md §2).
const TimeForms = "an RFC 3339 time (2026-01-02T15:04:05Z, 2026-01-02T15:04:05.5+01:00), a date-time in UTC (2026-01-02T15:04:05, 2026-01-02 15:04, 2026-01-02) or a duration ago (90m, 2h, 7d, 1d12h; -2h alike)"

// TimeError says a value is neither a time nor a duration ago. Callers put
// the flag in front: `--since "soon" is neither ...`.
type TimeError struct {
	Input string
	Why   string // a more precise reason, or ""
}

func (e *TimeError) Error() string {
	if e.Why != "" {
		return fmt.Sprintf("%q: %s; give %s", e.Input, e.Why, TimeForms)
	}
	return fmt.Sprintf("%q is neither a time nor a duration ago: give %s", e.Input, TimeForms)
}

// zoneless are the date-time layouts without a zone, read as UTC (kctl
// prints times in UTC; the machine's zone would make a script's meaning
// depend on where it runs).
var zoneless = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

// ParseTimeOrAgo parses a point in time: an RFC 3339 time (fractional
// seconds optional, Z or an offset; a space for the T is accepted), a
// date-time or date without zone (UTC), or a duration (ParseDuration) meaning
// that long before now, with an optional leading - (2h and -2h are both two
// hours ago). A leading + is refused: kctl reads no future. An empty value
// is an error; the caller decides what "not given" means.
func ParseTimeOrAgo(s string, now time.Time) (time.Time, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return time.Time{}, &TimeError{Input: s, Why: "empty"}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, in); err == nil {
			return t, nil
		}
	}
	for _, layout := range zoneless {
		if t, err := time.ParseInLocation(layout, in, time.UTC); err == nil {
			return t, nil
		}
	}
	if strings.HasPrefix(in, "+") {
		return time.Time{}, &TimeError{Input: in, Why: fmt.Sprintf("a leading + would be the future; for %s ago write %s", in[1:], in[1:])}
	}
	if strings.Count(in, "-") >= 2 || strings.Contains(in, ":") {
		return time.Time{}, &TimeError{Input: in, Why: "not a valid date-time (write e.g. 2026-01-02T15:04:05Z)"}
	}
	ago := strings.TrimPrefix(in, "-")
	if _, err := strconv.ParseFloat(ago, 64); err == nil {
		return time.Time{}, &TimeError{Input: in, Why: fmt.Sprintf("a number alone has no unit; for a duration ago write e.g. %sm or %sh", ago, ago)}
	}
	d, err := ParseDuration(ago)
	if err != nil {
		return time.Time{}, &TimeError{Input: in}
	}
	return now.Add(-d), nil
}

// durationUnits are ParseDuration's units: Go's and d (24h).
var durationUnits = map[string]time.Duration{
	"ns": time.Nanosecond, "us": time.Microsecond, "µs": time.Microsecond, "μs": time.Microsecond,
	"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour,
}

// ParseDuration parses a non-negative duration: numbers (whole or decimal)
// each with a unit — ns, us, ms, s, m, h or d (24 hours) — as topics.yaml
// (7d, 1h30m, 500ms, 1h 30m) and Go (1.5h, 250us) write them, 1d12h alike.
// "0" is zero; any other bare number is an error asking for a unit.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "0" {
		return 0, nil
	}
	if in == "" {
		return 0, fmt.Errorf("%q is not a duration: write a number and a unit (ms, s, m, h, d), e.g. 90s, 1h30m or 7d", s)
	}
	if _, err := strconv.ParseFloat(in, 64); err == nil {
		return 0, fmt.Errorf("%q has no unit: write e.g. %ss, %sm or %sms", in, in, in, in)
	}
	var total time.Duration
	rest := in
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%q is not a duration: write a number and a unit (ms, s, m, h, d), e.g. 90s, 1h30m or 7d", in)
		}
		num := rest[:i]
		whole, frac, _ := strings.Cut(num, ".")
		w, err := strconv.ParseInt("0"+whole, 10, 64)
		f, ferr := strconv.ParseFloat("0."+frac+"0", 64)
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("%q is too large a duration", in)
		}
		if err != nil || ferr != nil || strings.Count(num, ".") > 1 || num == "." {
			return 0, fmt.Errorf("%q is not a duration: %q is not a number", in, num)
		}
		rest = strings.TrimLeft(rest[i:], " ")
		j := 0
		for j < len(rest) && !(rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.' || rest[j] == ' ') {
			j++
		}
		unit := rest[:j]
		rest = strings.TrimLeft(rest[j:], " ")
		mult, ok := durationUnits[unit]
		if !ok {
			if unit == "" {
				return 0, fmt.Errorf("%q is not a duration: %s needs a unit (ms, s, m, h, d)", in, num)
			}
			return 0, fmt.Errorf("%q is not a duration: unknown unit %q (use ns, us, ms, s, m, h or d, e.g. 7d or 1h30m)", in, unit)
		}
		part := time.Duration(math.Round(f * float64(mult)))
		if w > int64(math.MaxInt64-part)/int64(mult) || total > math.MaxInt64-time.Duration(w)*mult-part {
			return 0, fmt.Errorf("%q is too large a duration", in)
		}
		total += time.Duration(w)*mult + part
	}
	return total, nil
}
