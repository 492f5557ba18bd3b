package topology

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Hand-written rather than time.ParseDuration: Kafka's *.ms configs need
// days ("7d"), whole milliseconds and an integer result; and sizes need
// both binary (KiB) and decimal (KB) units, which no common library parses
// the same way (go-humanize treats "KB" and "KiB" differently from Kafka
// users' expectation that both be explicit).

var durationUnits = map[string]int64{
	"ms": 1,
	"s":  1000,
	"m":  60 * 1000,
	"h":  60 * 60 * 1000,
	"d":  24 * 60 * 60 * 1000,
}

// ParseDurationMillis parses a duration such as "7d", "1h30m", "500ms" or
// "90s" into milliseconds. A bare integer is milliseconds. It returns an
// error saying how to write the value on anything else (fractions, unknown
// units, overflow).
func ParseDurationMillis(s string) (int64, error) {
	orig := s
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if s == "" {
		return 0, errors.New("empty duration: write e.g. 7d, 12h, 30m, 45s or 500ms")
	}
	var total int64
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%q is not a duration: write a whole number and a unit (ms, s, m, h, d), e.g. 7d or 1h30m", orig)
		}
		num := s[:i]
		s = strings.TrimLeft(s[i:], " ")
		j := 0
		for j < len(s) && (s[j] < '0' || s[j] > '9') && s[j] != ' ' {
			j++
		}
		unit := s[:j]
		s = strings.TrimLeft(s[j:], " ")
		if strings.HasPrefix(unit, ".") || strings.HasPrefix(unit, ",") {
			return 0, fmt.Errorf("%q is not a duration: use whole numbers, e.g. 90m rather than 1.5h", orig)
		}
		mult, ok := durationUnits[unit]
		if !ok {
			if unit == "" {
				return 0, fmt.Errorf("%q is not a duration: %s needs a unit (ms, s, m, h, d)", orig, num)
			}
			return 0, fmt.Errorf("%q is not a duration: unknown unit %q (use ms, s, m, h or d; whole numbers only, e.g. 90m not 1.5h)", orig, unit)
		}
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n > math.MaxInt64/mult || total > math.MaxInt64-n*mult {
			return 0, fmt.Errorf("%q is too large a duration", orig)
		}
		total += n * mult
	}
	return total, nil
}

var sizeUnits = map[string]int64{
	"b":   1,
	"kb":  1000,
	"mb":  1000 * 1000,
	"gb":  1000 * 1000 * 1000,
	"tb":  1000 * 1000 * 1000 * 1000,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
	"tib": 1 << 40,
}

// ParseSizeBytes parses a size such as "1GiB", "512MiB", "10MB" or "100B"
// into bytes. Binary (KiB, MiB, GiB, TiB) and decimal (KB, MB, GB, TB) units
// are both accepted, case-insensitively; a bare integer is bytes. It
// returns an error saying how to write the value on anything else.
func ParseSizeBytes(s string) (int64, error) {
	orig := s
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	unit := strings.ToLower(strings.TrimSpace(s[i:]))
	if i > 0 && (strings.HasPrefix(unit, ".") || strings.HasPrefix(unit, ",")) {
		return 0, fmt.Errorf("%q is not a size: use whole numbers, e.g. 1536MiB rather than 1.5GiB", orig)
	}
	mult, ok := sizeUnits[unit]
	if i == 0 || !ok {
		return 0, fmt.Errorf("%q is not a size: write a whole number and a unit (B, KiB, MiB, GiB, KB, MB, GB), e.g. 1GiB or 512MiB", orig)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is too large a size", orig)
	}
	return n * mult, nil
}

// Humanize returns a readable form of a normalised value of config name:
// "7d" for retention.ms 604800000, "1GiB" for retention.bytes 1073741824.
// It returns "" when there is nothing more readable than the value itself.
func Humanize(name, value string) string {
	s, ok := configIndex[name]
	if !ok {
		s, ok = brokerSpec(name)
	}
	if !ok || s.Unit == UnitNone {
		return ""
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || n <= 0 {
		return ""
	}
	type unit struct {
		name string
		size int64
	}
	var units []unit
	switch s.Unit {
	case UnitDuration:
		units = []unit{{"d", durationUnits["d"]}, {"h", durationUnits["h"]}, {"m", durationUnits["m"]}, {"s", durationUnits["s"]}}
	case UnitSize:
		units = []unit{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}}
	}
	for _, u := range units {
		if n%u.size == 0 && n >= u.size {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return ""
}
