package lag

import (
	"fmt"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/human"
)

// Thresholds are alert limits; a nil field is not checked.
type Thresholds struct {
	MaxLag     *int64         // a partition's lag above this breaches
	MaxTimeLag *time.Duration // a partition's time lag above this breaches
	// IncludeKctl checks kctl's own groups (Group.Kctl) too.
	IncludeKctl bool
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
// returns the names of the groups with any, in order. kctl's own groups
// (Group.Kctl) are not checked unless t.IncludeKctl.
func (s *Snapshot) Check(t Thresholds) []string {
	var offending []string
	for i := range s.Groups {
		g := &s.Groups[i]
		g.Breaches = nil
		if g.Kctl != "" && !t.IncludeKctl {
			continue
		}
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
					why = append(why, fmt.Sprintf("time lag %s > %s", human.Age(time.Duration(*p.TimeLagMs)*time.Millisecond), human.Age(*t.MaxTimeLag)))
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
