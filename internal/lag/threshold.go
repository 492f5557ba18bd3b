package lag

import (
	"fmt"
	"strings"
	"time"
)

// Thresholds are alert limits; a nil field is not checked.
type Thresholds struct {
	MaxLag     *int64         // a partition's lag above this breaches
	MaxTimeLag *time.Duration // a partition's time lag above this breaches
}

// Any reports whether a threshold is set.
func (t Thresholds) Any() bool { return t.MaxLag != nil || t.MaxTimeLag != nil }

// Breach is a partition over a threshold.
type Breach struct {
	Topic     string `json:"topic" yaml:"topic"`
	Partition int32  `json:"partition" yaml:"partition"`
	Lag       int64  `json:"lag" yaml:"lag"`
	TimeLagMs int64  `json:"timeLagMs" yaml:"timeLagMs"`
	Reason    string `json:"reason" yaml:"reason"`
}

// Check sets each group's Breaches (partitions whose lag is above MaxLag or
// whose time lag is above MaxTimeLag; unknown lags never breach) and
// returns the names of the groups with any, in order.
func (s *Snapshot) Check(t Thresholds) []string {
	var offending []string
	for i := range s.Groups {
		g := &s.Groups[i]
		g.Breaches = nil
		for _, tv := range g.Topics {
			for _, p := range tv.Partitions {
				if p.Lag == nil {
					continue
				}
				var why []string
				if t.MaxLag != nil && *p.Lag > *t.MaxLag {
					why = append(why, fmt.Sprintf("lag %d > %d", *p.Lag, *t.MaxLag))
				}
				if t.MaxTimeLag != nil && p.TimeLagMs != nil && time.Duration(*p.TimeLagMs)*time.Millisecond > *t.MaxTimeLag {
					why = append(why, fmt.Sprintf("time lag %s > %s", fmtDur(time.Duration(*p.TimeLagMs)*time.Millisecond), fmtDur(*t.MaxTimeLag)))
				}
				if len(why) == 0 {
					continue
				}
				b := Breach{Topic: tv.Topic, Partition: p.Partition, Lag: *p.Lag, Reason: strings.Join(why, ", ")}
				if p.TimeLagMs != nil {
					b.TimeLagMs = *p.TimeLagMs
				}
				g.Breaches = append(g.Breaches, b)
			}
		}
		if len(g.Breaches) > 0 {
			offending = append(offending, g.Group)
		}
	}
	return offending
}

// BreachSummary is one line per offending group naming its partitions,
// e.g. `group "billing": orders/0 lag 60 > 50, orders/2 lag 61 > 50`.
func (s *Snapshot) BreachSummary() []string {
	var out []string
	for _, g := range s.Groups {
		if len(g.Breaches) == 0 {
			continue
		}
		parts := make([]string, len(g.Breaches))
		for i, b := range g.Breaches {
			parts[i] = fmt.Sprintf("%s/%d %s", b.Topic, b.Partition, b.Reason)
		}
		out = append(out, fmt.Sprintf("group %q: %s", g.Group, strings.Join(parts, ", ")))
	}
	return out
}

// fmtDur prints a duration compactly: 0s, 850ms, 42s, 5m03s, 1h05m, 2d03h.
func fmtDur(d time.Duration) string {
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

// FormatDuration prints d as kctl lag's tables do (850ms, 42s, 5m03s, 1h05m, 2d03h).
func FormatDuration(d time.Duration) string { return fmtDur(d) }
