package lag

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/kctl/kctl/internal/platform/view"
)

// frameSnapshot has 12 groups of one partition each: g00..g11 with lag
// 0..11, g03 STOP, g07 over a threshold.
func frameSnapshot() Snapshot {
	var s Snapshot
	for i := range 12 {
		g := Group{Group: fmt.Sprintf("g%02d", i), State: "Empty", Members: []Member{}, Lag: int64(i),
			Topics: []Topic{{Topic: "orders", Lag: int64(i), Partitions: []Partition{{Partition: 0, Committed: 100 - int64(i), End: 100, Lag: i64(int64(i)), TimeLagMs: i64(0)}}}}}
		switch i {
		case 3:
			g.Status = &Evaluation{Status: StatusStop}
		case 7:
			g.Breaches = []Breach{{Topic: "orders", Partition: 0, Lag: 7, Reason: "lag 7 > 5"}}
		}
		s.Groups = append(s.Groups, g)
	}
	return s
}

// The frame fits the terminal: never more than height-1 lines, the header
// first, whole groups worst first (over a threshold, then STOP, then by
// lag), and a last line counting the groups left out.
func TestWatchFrameFitsTheHeight(t *testing.T) {
	s := frameSnapshot()
	header := []string{"Every 5s: kctl lag", ""}
	for _, height := range []int{15, 24, 40} {
		f := s.WatchFrame(header, 80, height, view.Plain{})
		if len(f.Lines) > height-1 {
			t.Errorf("height %d: %d lines, want at most %d:\n%s", height, len(f.Lines), height-1, strings.Join(f.Lines, "\n"))
		}
		if f.Lines[0] != header[0] {
			t.Errorf("height %d: first line %q, want the header", height, f.Lines[0])
		}
		if f.Shown+f.Hidden != 12 || f.Shown < 1 || f.Hidden == 0 {
			t.Fatalf("height %d: %d shown, %d hidden; want some of 12 hidden", height, f.Shown, f.Hidden)
		}
		var order []string
		for _, l := range f.Lines {
			if g, ok := strings.CutPrefix(l, "Group "); ok {
				order = append(order, strings.Fields(g)[0])
			}
		}
		want := []string{"g07", "g03", "g11", "g10", "g09", "g08", "g06"}[:f.Shown]
		if strings.Join(order, ",") != strings.Join(want, ",") {
			t.Errorf("height %d: groups %v, want worst first %v", height, order, want)
		}
		lastLine := f.Lines[len(f.Lines)-1]
		if wantMore := fmt.Sprintf("… %d more groups not shown", f.Hidden); !strings.HasPrefix(lastLine, wantMore) {
			t.Errorf("height %d: last line %q, want %q…", height, lastLine, wantMore)
		}
	}
	// More room, more groups.
	if a, b := s.WatchFrame(header, 80, 15, view.Plain{}), s.WatchFrame(header, 80, 40, view.Plain{}); b.Shown <= a.Shown {
		t.Errorf("40 rows show %d groups, 15 rows %d", b.Shown, a.Shown)
	}
}

// Everything fits: every group, no count; an unknown size fits everything.
func TestWatchFrameAllFit(t *testing.T) {
	s := frameSnapshot()
	for _, height := range []int{200, 0} {
		f := s.WatchFrame([]string{"h", ""}, 80, height, view.Plain{})
		if f.Shown != 12 || f.Hidden != 0 || strings.Contains(strings.Join(f.Lines, "\n"), "not shown") {
			t.Errorf("height %d: %d shown, %d hidden", height, f.Shown, f.Hidden)
		}
	}
}

// Lines wider than the terminal are cut, so none wraps into a second row;
// a terminal too small for one group shows its first lines.
func TestWatchFrameNarrowAndTiny(t *testing.T) {
	s := frameSnapshot()
	f := s.WatchFrame([]string{"Every 5s: kctl lag, a header longer than twenty cells", ""}, 20, 40, view.Plain{})
	for _, l := range f.Lines {
		if w := ansi.StringWidth(l); w > 20 {
			t.Errorf("line %q is %d cells wide, want at most 20", l, w)
		}
	}
	f = s.WatchFrame([]string{"h", ""}, 80, 5, view.Plain{})
	if len(f.Lines) > 4 || f.Shown != 1 || !strings.HasPrefix(f.Lines[2], "Group g07") {
		t.Errorf("5 rows: %d shown:\n%s", f.Shown, strings.Join(f.Lines, "\n"))
	}
}
