package groups

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kctl/kctl/internal/platform/view"
)

// WriteText prints the groups as a table.
func (v *ListView) WriteText(w io.Writer, st view.Styles) error {
	if len(v.Groups) == 0 {
		fmt.Fprintln(w, "No consumer groups.")
	} else {
		t := view.Table{Header: []string{"GROUP", "STATE", "TYPE", "PROTOCOL", "MEMBERS", "TOPICS"}}
		for _, g := range v.Groups {
			proto := g.Protocol
			if proto == "" {
				proto = "-"
			}
			topics := strings.Join(g.Topics, ",")
			if topics == "" {
				topics = "-"
			}
			state := g.State
			if state == "" {
				state = "-"
			}
			t.Rows = append(t.Rows, []string{view.Printable(g.Group), state, g.Type, view.Printable(proto), strconv.Itoa(g.Members), view.Printable(topics)})
		}
		if err := t.Write(w, st); err != nil {
			return err
		}
		for _, g := range v.Groups {
			if g.Error != "" {
				fmt.Fprintln(w, st.Bad("error: group "+view.Printable(g.Group)+": "+view.Printable(g.Error)))
			}
		}
	}
	return writeWarnings(w, st, v.Warnings)
}

func writeWarnings(w io.Writer, st view.Styles, ws []string) error {
	for _, m := range ws {
		if _, err := fmt.Fprintln(w, st.Warn("warning: "+view.Printable(m))); err != nil {
			return err
		}
	}
	return nil
}

// WriteText prints the group's header and a table of its members.
func (v *DescribeView) WriteText(w io.Writer, st view.Styles) error {
	line := []string{v.State}
	if v.Type == "consumer" {
		line = append(line, "KIP-848 consumer protocol")
	}
	if v.Protocol != "" {
		line = append(line, "protocol "+v.Protocol)
	}
	if v.Coordinator >= 0 {
		line = append(line, fmt.Sprintf("coordinator %d", v.Coordinator))
	}
	fmt.Fprintf(w, "%s  %s\n", st.Bold("Group "+view.Printable(v.Group)), st.Dim("("+view.Printable(strings.Join(line, ", "))+")"))
	if len(v.Topics) > 0 {
		fmt.Fprintf(w, "Topics: %s\n", view.Printable(strings.Join(v.Topics, ", ")))
	}
	if v.Error != "" {
		fmt.Fprintln(w, st.Bad("error: "+view.Printable(v.Error)))
	}
	if len(v.Members) == 0 {
		fmt.Fprintln(w, "No live members.")
	} else {
		t := view.Table{Header: []string{"MEMBER", "CLIENT", "HOST", "INSTANCE", "ASSIGNMENT"}}
		for _, m := range v.Members {
			inst := m.InstanceID
			if inst == "" {
				inst = "-"
			}
			t.Rows = append(t.Rows, []string{view.Printable(m.MemberID), view.Printable(m.ClientID), view.Printable(m.Host), view.Printable(inst), view.Printable(assignment(m.Assignment))})
		}
		if err := t.Write(w, st); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, st.Dim("Lag per partition: kctl lag "+view.Printable(v.Group)))
	return writeWarnings(w, st, v.Warnings)
}

// assignment renders topic[0,1] other[2], "-" when empty.
func assignment(a []TopicPartitions) string {
	if len(a) == 0 {
		return "-"
	}
	var parts []string
	for _, tp := range a {
		ps := make([]string, len(tp.Partitions))
		for i, p := range tp.Partitions {
			ps[i] = strconv.Itoa(int(p))
		}
		parts = append(parts, tp.Topic+"["+strings.Join(ps, ",")+"]")
	}
	return strings.Join(parts, " ")
}

// WriteText prints one line per group.
func (r *DeleteResult) WriteText(w io.Writer, st view.Styles) error {
	for _, g := range r.Groups {
		var err error
		switch g.Status {
		case "deleted":
			_, err = fmt.Fprintf(w, "%s group %s deleted\n", st.Remove("-"), view.Printable(g.Group))
		default:
			_, err = fmt.Fprintf(w, "%s group %s not deleted: %s\n", st.Bad("✗"), view.Printable(g.Group), view.Printable(g.Error))
		}
		if err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "%d deleted, %d not deleted.\n", len(r.Groups)-r.Failed(), r.Failed())
	return err
}

func opt(p *int64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatInt(*p, 10)
}

// WriteText prints the plan: a header, one row per partition (current →
// new, lag before → after, a note), and a summary line saying whether it
// can be executed.
func (p *Plan) WriteText(w io.Writer, st view.Styles) error {
	state := p.State
	if !p.Exists {
		state = "does not exist yet"
	}
	fmt.Fprintf(w, "%s  %s\n", st.Bold("Reset group "+view.Printable(p.Group)), st.Dim("("+view.Printable(state)+", "+p.Strategy+")"))
	for _, t := range p.MissingTopics {
		fmt.Fprintln(w, st.Warn("warning: the group has committed offsets for topic "+strconv.Quote(t)+", which does not exist any more: nothing to reset there"))
	}
	switch {
	case len(p.Partitions) == 0 && len(p.MissingTopics) > 0:
		fmt.Fprintln(w, "No partitions selected: the topics the group committed to do not exist any more.")
	case len(p.Partitions) == 0:
		fmt.Fprintln(w, "No partitions selected: the group has no committed offsets.")
	default:
		t := view.Table{Header: []string{"", "TOPIC", "PARTITION", "CURRENT", "NEW", "LAG BEFORE", "LAG AFTER", "NOTE"}}
		for _, pp := range p.Partitions {
			mark := " "
			switch {
			case pp.Included:
				mark = st.Change("~")
			case pp.Error != "" || pp.New == nil || pp.Current == nil:
				mark = st.Dim("!")
			}
			note := pp.Note
			if pp.Error != "" {
				note = joinNonEmpty(note, pp.Error)
			}
			t.Rows = append(t.Rows, []string{mark, view.Printable(pp.Topic), strconv.Itoa(int(pp.Partition)), opt(pp.Current), opt(pp.New), opt(pp.LagBefore), opt(pp.LagAfter), view.Printable(note)})
		}
		if err := t.Write(w, st); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nPlan: %d to reset, %d unchanged, %d not included.\n", p.Summary.Reset, p.Summary.Unchanged, p.Summary.Excluded)
	if len(p.Members) > 0 {
		fmt.Fprintln(w, st.Bad(fmt.Sprintf("Cannot be executed: the group has %d live member(s): %s. Stop them first.", len(p.Members), view.Printable(strings.Join(p.Members, ", ")))))
	}
	return writeWarnings(w, st, p.Warnings)
}

// WriteText prints what the commit did, one line per partition.
func (r *Result) WriteText(w io.Writer, st view.Styles) error {
	for _, c := range r.Partitions {
		if c.Error != "" {
			fmt.Fprintf(w, "%s %s/%d: not committed: %s\n", st.Bad("✗"), view.Printable(c.Topic), c.Partition, view.Printable(c.Error))
			continue
		}
		fmt.Fprintf(w, "%s %s/%d committed at %d\n", st.Change("~"), view.Printable(c.Topic), c.Partition, c.Offset)
	}
	_, err := fmt.Fprintf(w, "Reset of group %s: %d committed, %d failed.\n", view.Printable(r.Group), r.Committed, r.Failed)
	return err
}

// WriteText prints each group as DescribeView does, a blank line between.
func (vs DescribeViews) WriteText(w io.Writer, st view.Styles) error {
	for i, v := range vs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := v.WriteText(w, st); err != nil {
			return err
		}
	}
	return nil
}

// ResetView is what kctl groups reset prints: the plan and, once
// executed, the result (nil before). The text and the JSON/YAML are
// printed from these fields.
type ResetView struct {
	Plan   *Plan   `json:"plan" yaml:"plan"`
	Result *Result `json:"result" yaml:"result"`
}

// WriteText prints the plan, then the result (or, not executed, that
// nothing was committed).
func (v ResetView) WriteText(w io.Writer, st view.Styles) error {
	if err := v.WritePlanText(w, st); err != nil {
		return err
	}
	return v.WriteResultText(w, st)
}

// WritePlanText prints the plan (shown before the question).
func (v ResetView) WritePlanText(w io.Writer, st view.Styles) error {
	return v.Plan.WriteText(w, st)
}

// WriteResultText prints the result after a blank line; without one,
// that nothing was committed.
func (v ResetView) WriteResultText(w io.Writer, st view.Styles) error {
	if v.Result == nil {
		msg := "Dry run: nothing committed. Run again with --yes to commit these offsets."
		if v.Plan.Summary.Reset == 0 {
			msg = "Nothing to commit."
		}
		_, err := fmt.Fprintln(w, st.Dim(msg))
		return err
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	return v.Result.WriteText(w, st)
}
