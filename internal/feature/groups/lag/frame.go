package lag

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/kctl/kctl/internal/platform/human"
	"github.com/kctl/kctl/internal/platform/view"
)

// Frame is one screen of `kctl lag --watch` on a terminal: the lines to
// draw, fitted to the terminal, and what did not fit.
type Frame struct {
	Lines []string
	// Shown and Hidden count the groups drawn and left out.
	Shown, Hidden int
}

// WatchFrame lays the snapshot out for a terminal of width × height cells:
// the header lines first, then the groups worst first (over a threshold,
// then by status STOP, STALL, WARN, OK, then in error, then by lag, then by
// name), each whole, as many as fit; when some do not fit, the last line
// counts them. height <= 0 (size unknown) fits everything. Lines wider than the terminal are cut (so none wraps), and
// the frame is at most height-1 lines, so drawing it never scrolls. A
// terminal too small for even the first group shows its first lines. It is
// a pure function of its arguments.
func (s Snapshot) WatchFrame(header []string, width, height int, st view.Styles) Frame {
	rows := max(height-1, 1)
	if height <= 0 { // size unknown: no limit
		rows = int(^uint(0) >> 1)
	}
	groups := make([]Group, len(s.Groups))
	copy(groups, s.Groups)
	sort.SliceStable(groups, func(i, j int) bool { return worse(groups[i], groups[j]) })

	var blocks [][]string
	for _, g := range groups {
		var b bytes.Buffer
		_ = g.writeText(&b, st)
		blocks = append(blocks, strings.Split(strings.TrimRight(b.String(), "\n"), "\n"))
	}
	var tail []string
	if len(groups) == 0 {
		tail = append(tail, "No consumer groups match.")
	}
	for _, m := range s.Warnings {
		tail = append(tail, st.Warn("warning: "+m))
	}

	lines := append([]string{}, header...)
	f := Frame{}
	for i, b := range blocks {
		need := len(b)
		if len(lines) > len(header) {
			need++ // the blank line between groups
		}
		last := i == len(blocks)-1
		room := rows - len(lines)
		if !last {
			room-- // keep the line counting what is left out
		}
		if need > room {
			if f.Shown == 0 {
				// Not even one group fits: its first lines.
				lines = append(lines, b[:max(min(len(b), rows-len(lines)-1), 0)]...)
				f.Shown = 1
			}
			break
		}
		if len(lines) > len(header) {
			lines = append(lines, "")
		}
		lines = append(lines, b...)
		f.Shown++
	}
	f.Hidden = len(groups) - f.Shown
	if f.Hidden > 0 {
		var lag int64
		for _, g := range groups[f.Shown:] {
			lag += g.Lag
		}
		more := fmt.Sprintf("… %s not shown (lag %d): name groups or --exclude GLOB", human.Plural(f.Hidden, "more group"), lag)
		lines = append(lines, st.Dim(more))
	} else if len(lines)+len(tail)+1 <= rows {
		if len(tail) > 0 && len(lines) > len(header) {
			lines = append(lines, "")
		}
		lines = append(lines, tail...)
	}
	if len(lines) > rows {
		lines = lines[:rows]
	}
	for i, l := range lines {
		if width > 0 && ansi.StringWidth(l) > width {
			lines[i] = ansi.Truncate(l, width, "…")
		}
	}
	f.Lines = lines
	return f
}

// worse orders groups worst first.
func worse(a, b Group) bool {
	if (len(a.Breaches) > 0) != (len(b.Breaches) > 0) {
		return len(a.Breaches) > 0
	}
	if ra, rb := statusRank(a), statusRank(b); ra != rb {
		return ra > rb
	}
	if (a.Error != "") != (b.Error != "") {
		return a.Error != ""
	}
	if a.Lag != b.Lag {
		return a.Lag > b.Lag
	}
	return a.Group < b.Group
}

func statusRank(g Group) int {
	if g.Status == nil {
		return 0
	}
	return g.Status.Status.rank()
}
