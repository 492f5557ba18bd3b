package human

import (
	"testing"
	"time"
)

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                "0s",
		850 * time.Millisecond:           "850ms",
		42 * time.Second:                 "42s",
		5*time.Minute + 3*time.Second:    "5m03s",
		time.Hour + 5*time.Minute:        "1h05m",
		50*time.Hour + 10*time.Minute:    "2d02h",
		-time.Second:                     "0s",
		59*time.Minute + 59*time.Second:  "59m59s",
		time.Hour - 200*time.Millisecond: "1h00m",
	} {
		if got := Age(d); got != want {
			t.Errorf("Age(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestElapsed(t *testing.T) {
	for d, want := range map[time.Duration]string{
		850 * time.Microsecond:  "850µs",
		13 * time.Millisecond:   "13ms",
		1250 * time.Millisecond: "1.25s",
		90 * time.Second:        "90.00s",
	} {
		if got := Elapsed(d); got != want {
			t.Errorf("Elapsed(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 topics", 1: "1 topic", 2: "2 topics"} {
		if got := Plural(n, "topic"); got != want {
			t.Errorf("Plural(%d) = %q, want %q", n, got, want)
		}
	}
}
