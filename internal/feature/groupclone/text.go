package groupclone

import (
	"fmt"
	"io"
	"strconv"

	"github.com/kctl/kctl/internal/platform/human"
	"github.com/kctl/kctl/internal/platform/view"
)

// WriteText prints the plan.
func (p *Plan) WriteText(w io.Writer, st view.Styles) error {
	verb := "a new group"
	if p.DstExists {
		verb = "existing group"
	}
	fmt.Fprintf(w, "kctl would copy %s of %s to %s %s:\n", human.Plural(len(p.Offsets), "committed offset"),
		st.Bold(view.Printable(p.Src)), verb, st.Bold(view.Printable(p.Dst)))
	t := view.Table{Header: []string{"TOPIC", "PARTITION", "OFFSET", "DESTINATION NOW"}}
	for _, o := range p.Offsets {
		now := "-"
		if o.DstBefore >= 0 {
			now = strconv.FormatInt(o.DstBefore, 10)
		}
		t.Rows = append(t.Rows, []string{view.Printable(o.Topic), strconv.Itoa(int(o.Partition)), st.Add(strconv.FormatInt(o.Offset, 10)), now})
	}
	return t.Write(w, st)
}

// WriteText prints the outcome.
func (r *Result) WriteText(w io.Writer, st view.Styles) error {
	for _, e := range r.Errors {
		fmt.Fprintln(w, st.Bad("✗ "+view.Printable(e)))
	}
	_, err := fmt.Fprintf(w, "%s committed %s to %s (copied from %s), %d failed\n", st.OK("✓"),
		human.Plural(len(r.Committed), "offset"), view.Printable(r.Dst), view.Printable(r.Src), len(r.Errors))
	return err
}
