package provision

import (
	"fmt"
	"io"
	"strings"

	"github.com/kctl/kctl/internal/platform/human"
)

// ReassignmentsView is what `kctl reassignments` prints: the partition
// reassignments in progress; with --cancel, also whether the throttle of
// a recorded rebalance goes with them.
type ReassignmentsView struct {
	InProgress []Reassignment `json:"inProgress" yaml:"inProgress"`
	// Bars draws progress bars (a terminal).
	Bars bool `json:"-" yaml:"-"`
	// Clear clears a terminal before the listing (--watch redraws in
	// place); Separate puts a blank line before it (the next listing
	// of --watch elsewhere).
	Clear    bool `json:"-" yaml:"-"`
	Separate bool `json:"-" yaml:"-"`
	// ThrottleMarker is the marker of the rebalance whose throttle a
	// cancel removes too ("": none).
	ThrottleMarker string `json:"-" yaml:"-"`
}

// WriteText prints one line per reassignment: replicas, adding,
// removing, and how far the copy is.
func (v ReassignmentsView) WriteText(w io.Writer, st Styles) error {
	var b strings.Builder
	switch {
	case v.Clear:
		b.WriteString("\x1b[H\x1b[2J")
	case v.Separate:
		b.WriteString("\n")
	}
	if len(v.InProgress) == 0 {
		b.WriteString("No partition reassignments in progress.\n")
	} else {
		fmt.Fprintf(&b, "%s in progress:\n", human.Plural(len(v.InProgress), "partition reassignment"))
		width := 0
		for _, r := range v.InProgress {
			width = max(width, len(fmt.Sprintf("%s/%d", r.Topic, r.Partition)))
		}
		for _, r := range v.InProgress {
			progress := st.Dim("progress unknown")
			if r.Progress >= 0 {
				progress = fmt.Sprintf("%3.0f%%", 100*r.Progress)
				if v.Bars {
					progress = Bar(r.Progress, 20) + " " + progress
				}
			}
			fmt.Fprintf(&b, "  %-*s  replicas %s  adding %s  removing %s  %s\n", width, fmt.Sprintf("%s/%d", r.Topic, r.Partition),
				ReplicaList(r.Replicas), st.Add(ReplicaList(r.Adding)), st.Remove(ReplicaList(r.Removing)), progress)
		}
	}
	if v.ThrottleMarker != "" {
		fmt.Fprintf(&b, "The throttle kctl set for the rebalance recorded in %s is removed too.\n", v.ThrottleMarker)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Bar draws [#####-----] for a fraction 0..1.
func Bar(frac float64, width int) string {
	n := int(frac*float64(width) + 0.5)
	n = min(max(n, 0), width)
	return "[" + strings.Repeat("#", n) + strings.Repeat("-", width-n) + "]"
}
