package provision

import (
	"strings"
	"testing"
)

// TestParseRate: a rate needs a unit, a rate past int64 is "too large"
// (not "not a rate"), and one below 1KiB/s is refused.
func TestParseRate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		err  string
	}{
		{"50MiB/s", 50 << 20, ""},
		{"10MB/s", 10_000_000, ""},
		{"1KiB", 1024, ""},
		{" 2GiB/s ", 2 << 30, ""},
		{"100", 0, "is not a rate: write bytes per second with a unit"},
		{"100/s", 0, "is not a rate: write bytes per second with a unit"},
		{"MiB/s", 0, "is not a rate"},
		{"5 parsecs/s", 0, "is not a rate"},
		{"1.5MiB/s", 0, "is not a rate"},
		{"9999999999GiB/s", 0, `"9999999999GiB/s" is too large`},
		{"99999999999999999999999B/s", 0, "is too large"},
		{"1B/s", 0, "below the minimum of 1KiB/s"},
		{"1023B/s", 0, "below the minimum of 1KiB/s"},
		{"0MiB/s", 0, "below the minimum"},
	} {
		got, err := ParseRate(c.in)
		if c.err == "" {
			if err != nil || got != c.want {
				t.Errorf("ParseRate(%q) = %d, %v; want %d", c.in, got, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("ParseRate(%q) = %d, %v; want an error with %q", c.in, got, err, c.err)
		}
	}
}
