// Package human formats counts and durations for people: the one place
// kctl spells plurals and durations, so every command says them alike.
package human

import (
	"fmt"
	"time"
)

// Plural returns "1 word" or "n words".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Age prints a duration compactly, to the unit an operator reads a lag or a
// wait in: 0s, 850ms, 42s, 5m03s, 1h05m, 2d03h. Zero and negative durations
// print as 0s.
func Age(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	if s := int(d.Round(time.Second) / time.Second); s < 60 {
		return fmt.Sprintf("%ds", s)
	} else if s < 3600 {
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	if m := int(d.Round(time.Minute) / time.Minute); m < 48*60 {
		return fmt.Sprintf("%dh%02dm", m/60, m%60)
	}
	h := int(d.Round(time.Hour) / time.Hour)
	return fmt.Sprintf("%dd%02dh", h/24, h%24)
}

// Elapsed prints how long a step took, precise enough to compare runs:
// 850µs, 13ms, 1.25s.
func Elapsed(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}
