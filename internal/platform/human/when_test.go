package human

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseTimeOrAgo(t *testing.T) {
	now := time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC) // injected, never the wall clock
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for in, want := range map[string]time.Time{
		// RFC 3339, with or without fractional seconds, Z or an offset.
		"2026-01-02T15:04:05Z":        at("2026-01-02T15:04:05Z"),
		"2026-01-02T15:04:05.250Z":    at("2026-01-02T15:04:05.25Z"),
		"2026-01-02T15:04:05+01:00":   at("2026-01-02T14:04:05Z"),
		"2026-01-02T15:04:05.5-02:00": at("2026-01-02T17:04:05.5Z"),
		"2026-01-02 15:04:05Z":        at("2026-01-02T15:04:05Z"),
		"  2026-01-02T15:04:05Z ":     at("2026-01-02T15:04:05Z"),
		// Without a zone: UTC.
		"2026-01-02T15:04:05":     at("2026-01-02T15:04:05Z"),
		"2026-01-02T15:04:05.123": at("2026-01-02T15:04:05.123Z"),
		"2026-01-02T15:04":        at("2026-01-02T15:04:00Z"),
		"2026-01-02 15:04:05":     at("2026-01-02T15:04:05Z"),
		"2026-01-02 15:04":        at("2026-01-02T15:04:00Z"),
		"2026-01-02":              at("2026-01-02T00:00:00Z"),
		// A duration ago, with or without a leading -.
		"2h":     now.Add(-2 * time.Hour),
		"-2h":    now.Add(-2 * time.Hour),
		"90m":    now.Add(-90 * time.Minute),
		"7d":     now.Add(-7 * 24 * time.Hour),
		"1d12h":  now.Add(-36 * time.Hour),
		"1h30m":  now.Add(-90 * time.Minute),
		"1h 30m": now.Add(-90 * time.Minute),
		"1.5h":   now.Add(-90 * time.Minute),
		"500ms":  now.Add(-500 * time.Millisecond),
		"0s":     now,
	} {
		got, err := ParseTimeOrAgo(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTimeOrAgo(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, why := range map[string]string{
		"":                     `"": empty`,
		"yesterday":            `"yesterday" is neither a time nor a duration ago: give an RFC 3339 time`,
		"+2h":                  `"+2h": a leading + would be the future; for 2h ago write 2h`,
		"300":                  `"300": a number alone has no unit; for a duration ago write e.g. 300m or 300h`,
		"-5":                   `"-5": a number alone has no unit`,
		"2026-13-01T00:00:00Z": `"2026-13-01T00:00:00Z": not a valid date-time`,
		"2026-01-02T25:00":     `not a valid date-time`,
		"7days":                `"7days" is neither`,
		"1y":                   `"1y" is neither`,
	} {
		_, err := ParseTimeOrAgo(in, now)
		var te *TimeError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), why) || !strings.Contains(err.Error(), "1d12h") {
			t.Errorf("ParseTimeOrAgo(%q) error = %v; want a *TimeError with %q and the examples", in, err, why)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0":       0,
		"0s":      0,
		"500ms":   500 * time.Millisecond,
		"90s":     90 * time.Second,
		"1h30m":   90 * time.Minute,
		"1h 30m":  90 * time.Minute,
		"7d":      7 * 24 * time.Hour,
		"1d12h":   36 * time.Hour,
		"1.5s":    1500 * time.Millisecond,
		".5h":     30 * time.Minute,
		"250us":   250 * time.Microsecond,
		"250µs":   250 * time.Microsecond,
		"10ns":    10,
		"365d":    365 * 24 * time.Hour,
		"106751d": 106751 * 24 * time.Hour,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"":                       `"" is not a duration`,
		"300":                    `"300" has no unit: write e.g. 300s, 300m or 300ms`,
		"soon":                   `"soon" is not a duration`,
		"7days":                  `unknown unit "days"`,
		"1h30":                   `30 needs a unit`,
		"1..5h":                  `"1..5h" is not a duration`,
		"-2h":                    `"-2h" is not a duration`,
		"106752d":                `too large`,
		"999999999999999999999h": `too large`,
	} {
		if _, err := ParseDuration(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDuration(%q) error = %v; want %q", in, err, want)
		}
	}
}
