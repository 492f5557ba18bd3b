package truncate

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kctl/kctl/internal/platform/human"
	"github.com/kctl/kctl/internal/platform/view"
)

// WriteText prints the plan: a table of every partition named, then what
// becomes unreadable.
func (p *Plan) WriteText(w io.Writer, st view.Styles) error {
	changes := p.Changes()
	if len(changes) == 0 {
		fmt.Fprintf(w, "Nothing to delete (%s): every partition named already starts there.\n", p.Mode)
	} else {
		what := "the records " + p.Mode
		if p.Mode == "all" {
			what = "every record"
		}
		on := human.Plural(len(changes), "partition")
		if len(changes) < len(p.Partitions) {
			on = fmt.Sprintf("%d of the %d partitions named (the others have none to delete)", len(changes), len(p.Partitions))
		}
		fmt.Fprintf(w, "kctl would delete %s on %s:\n", what, on)
	}
	t := view.Table{Header: []string{"TOPIC", "PARTITION", "LOG START", "NEW LOG START", "HIGH WATERMARK", "UNREADABLE", "GROUPS BEHIND THE NEW START"}}
	var unreadable int64
	for _, x := range p.Partitions {
		unreadable += x.Unreadable
		start := strconv.FormatInt(x.LogStart, 10)
		newStart := st.Dim("(unchanged)")
		if x.NewLogStart > x.LogStart {
			newStart = st.Remove("→ " + strconv.FormatInt(x.NewLogStart, 10))
		}
		var gs []string
		for _, g := range x.GroupsBehind {
			gs = append(gs, fmt.Sprintf("%s@%d", view.Printable(g.Group), g.Committed))
		}
		behind := "-"
		if len(gs) > 0 {
			behind = st.Warn(strings.Join(gs, ","))
		}
		t.Rows = append(t.Rows, []string{view.Printable(x.Topic), strconv.Itoa(int(x.Partition)), start, newStart,
			strconv.FormatInt(x.HighWatermark, 10), strconv.FormatInt(x.Unreadable, 10), behind})
	}
	if err := t.Write(w, st); err != nil {
		return err
	}
	if len(changes) > 0 {
		fmt.Fprintln(w, st.Dim(fmt.Sprintf("%s become unreadable for good. A group behind the new start resumes from its auto.offset.reset (kctl groups reset to choose).",
			human.Plural(int(unreadable), "offset"))))
	}
	if p.GroupsError != "" {
		fmt.Fprintln(w, st.Warn("warning: groups behind the new start may be missing: "+view.Printable(p.GroupsError)))
	}
	return nil
}

// WriteText prints each partition's outcome.
func (r *Results) WriteText(w io.Writer, st view.Styles) error {
	if len(r.Partitions) == 0 {
		_, err := fmt.Fprintln(w, "Nothing was deleted.")
		return err
	}
	for _, x := range r.Partitions {
		if x.Error != "" {
			fmt.Fprintf(w, "%s %s:%d: %s\n", st.Bad("✗"), view.Printable(x.Topic), x.Partition, view.Printable(x.Error))
			continue
		}
		fmt.Fprintf(w, "%s %s:%d now starts at offset %d\n", st.OK("✓"), view.Printable(x.Topic), x.Partition, x.NewLogStart)
	}
	ok := len(r.Partitions) - r.Failed()
	_, err := fmt.Fprintf(w, "%s truncated, %d failed\n", human.Plural(ok, "partition"), r.Failed())
	return err
}
