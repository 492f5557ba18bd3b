package lag

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/human"

	"github.com/kctl/kctl/internal/platform/view"
)

const maxMembersShown = 5

// WriteText prints the snapshot: per group a header (state, protocol,
// members, totals, status), then one table row per partition and a total
// row per topic.
func (s Snapshot) WriteText(w io.Writer, st view.Styles) error {
	if len(s.Groups) == 0 {
		fmt.Fprintln(w, "No consumer groups match.")
	}
	for i, g := range s.Groups {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := g.writeText(w, st); err != nil {
			return err
		}
	}
	for _, m := range s.Warnings {
		fmt.Fprintln(w, st.Warn("warning: "+m))
	}
	return nil
}

func (g Group) describeLine() string {
	state := g.State
	if state == "" {
		state = "state unknown"
	}
	parts := []string{state}
	if g.Kctl == KctlReplayProgress {
		parts = []string{"kctl dlt replay progress", state}
	}
	if g.Type == "consumer" {
		parts = append(parts, "KIP-848 consumer protocol")
	}
	if g.Protocol != "" {
		parts = append(parts, "protocol "+g.Protocol)
	}
	switch n := len(g.Members); n {
	case 0:
		parts = append(parts, "no live members")
	case 1:
		parts = append(parts, "1 member")
	default:
		parts = append(parts, fmt.Sprintf("%d members", n))
	}
	return strings.Join(parts, ", ")
}

func (g Group) writeText(w io.Writer, st view.Styles) error {
	g.writeSummary(w, st)
	if len(g.Topics) == 0 {
		fmt.Fprintln(w, "No committed offsets or assigned partitions.")
		return nil
	}
	tb := g.partitionTable(st)
	if err := tb.Write(w, st); err != nil {
		return err
	}
	for _, t := range g.Topics {
		if t.Deleted {
			fmt.Fprintln(w, st.Warn(fmt.Sprintf("Topic %q no longer exists; the group still holds offsets for it (kafka-consumer-groups.sh --delete-offsets removes them).", t.Topic)))
		}
	}
	for _, line := range (&Snapshot{Groups: []Group{g}}).BreachSummary() {
		fmt.Fprintln(w, st.Bad("Over threshold: "+strings.TrimPrefix(line, fmt.Sprintf("group %q: ", g.Group))))
	}
	return nil
}

// writeSummary prints the group's line, members, error, lag and status.
func (g Group) writeSummary(w io.Writer, st view.Styles) {
	fmt.Fprintf(w, "%s  %s\n", st.Bold("Group "+view.Printable(g.Group)), st.Dim("("+view.Printable(g.describeLine())+")"))
	if len(g.Members) > 0 {
		var ms []string
		for i, m := range g.Members {
			if i == maxMembersShown {
				ms = append(ms, fmt.Sprintf("+%d more", len(g.Members)-maxMembersShown))
				break
			}
			word := "partitions"
			if m.Partitions == 1 {
				word = "partition"
			}
			ms = append(ms, fmt.Sprintf("%s (%d %s)", view.Printable(memberName(m.ClientID, m.Host)), m.Partitions, word))
		}
		fmt.Fprintf(w, "Members: %s\n", strings.Join(ms, ", "))
	}
	if g.Error != "" {
		fmt.Fprintln(w, st.Bad("error: "+g.Error))
	}
	lagLine := fmt.Sprintf("Lag: %d, time lag %s", g.Lag, human.Age(time.Duration(g.TimeLagMs)*time.Millisecond))
	if len(g.Breaches) > 0 {
		lagLine = st.Bad(lagLine)
	}
	fmt.Fprintln(w, lagLine)
	if ev := g.Status; ev != nil {
		fmt.Fprintf(w, "Status: %s %s\n", styleStatus(st, ev.Status), st.Dim(fmt.Sprintf("(%d samples over %s)", ev.Samples, human.Age(time.Duration(ev.SpanMs)*time.Millisecond))))
		for _, r := range ev.Reasons {
			fmt.Fprintf(w, "  %s\n", r)
		}
		eta := "not catching up"
		if ev.CatchUpMs != nil {
			if *ev.CatchUpMs == 0 {
				eta = "caught up"
			} else {
				eta = "catches up in ~" + human.Age(time.Duration(*ev.CatchUpMs)*time.Millisecond)
			}
		}
		fmt.Fprintf(w, "Rate: consuming %s/s, producing %s/s, %s\n", fmtRate(ev.ConsumeRate), fmtRate(ev.ProduceRate), eta)
	}
}

// partitionTable is the table of the group's partitions, a total line per
// topic, and a NOTE column when a partition has a note.
func (g Group) partitionTable(st view.Styles) view.Table {
	notes := false
	for _, t := range g.Topics {
		for _, p := range t.Partitions {
			if t.Deleted || p.note() != "" {
				notes = true
			}
		}
	}
	breached := map[tp]bool{}
	for _, b := range g.Breaches {
		breached[tp{b.Topic, b.Partition}] = true
	}
	tb := view.Table{Header: []string{"TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "TIME LAG", "OWNER"}}
	if notes {
		tb.Header = append(tb.Header, "NOTE")
	}
	for _, t := range g.Topics {
		for _, p := range t.Partitions {
			owner := "-"
			if p.Owner != nil {
				owner = memberName(p.Owner.ClientID, p.Owner.Host)
			}
			lagCell, timeCell := "-", "-"
			if p.Lag != nil {
				lagCell = strconv.FormatInt(*p.Lag, 10)
			}
			if p.TimeLagMs != nil {
				timeCell = human.Age(time.Duration(*p.TimeLagMs) * time.Millisecond)
			}
			if breached[tp{t.Topic, p.Partition}] {
				lagCell, timeCell = st.Bad(lagCell), st.Bad(timeCell)
			}
			row := []string{view.Printable(t.Topic), strconv.Itoa(int(p.Partition)), offset(p.Committed), offset(p.End), lagCell, timeCell, owner}
			if notes {
				n := p.note()
				if t.Deleted {
					n = "topic deleted"
				}
				row = append(row, n)
			}
			tb.Rows = append(tb.Rows, row)
		}
		if t.Deleted {
			continue
		}
		row := []string{view.Printable(t.Topic), "total", "", "", strconv.FormatInt(t.Lag, 10), t.timeLagText(), ""}
		if notes {
			row = append(row, "")
		}
		tb.Rows = append(tb.Rows, row)
	}
	return tb
}

// timeLagText is the topic's largest time lag, "≥" when a lagging
// partition's time lag is unknown.
func (t Topic) timeLagText() string {
	v := human.Age(time.Duration(t.TimeLagMs) * time.Millisecond)
	for _, p := range t.Partitions {
		if p.LagOr(0) > 0 && p.TimeLagMs == nil {
			return "≥" + v
		}
	}
	return v
}

// note is a partition's NOTE cell.
func (p Partition) note() string {
	var n []string
	if p.NoCommit && p.LogStart != nil {
		n = append(n, fmt.Sprintf("no commit: backlog from log start %d", *p.LogStart))
	} else if p.NoCommit && p.Error == "" {
		n = append(n, "no commit")
	}
	if p.Clamped {
		n = append(n, "committed past the end offset: lag clamped to 0")
	}
	if p.MarkersOnly {
		n = append(n, "only transaction markers left")
	}
	if p.StalledLSO != nil {
		n = append(n, fmt.Sprintf("stalled at the last stable offset %d: an open transaction holds read_committed consumers (kctl txn find-hanging)", *p.StalledLSO))
	}
	if p.Error != "" {
		n = append(n, p.Error)
	}
	return strings.Join(n, "; ")
}

func memberName(clientID, host string) string {
	if clientID == "" {
		clientID = "-"
	}
	if host == "" {
		return clientID
	}
	return clientID + "@" + host
}

func offset(o int64) string {
	if o < 0 {
		return "-"
	}
	return strconv.FormatInt(o, 10)
}

func fmtRate(r float64) string {
	if r < 0 {
		r = 0
	}
	if r >= 100 {
		return strconv.FormatFloat(r, 'f', 0, 64)
	}
	return strconv.FormatFloat(r, 'f', 1, 64)
}

func styleStatus(st view.Styles, s Status) string {
	switch s {
	case StatusOK:
		return st.OK(string(s))
	case StatusWarn:
		return st.Warn(string(s))
	case "":
		return "-"
	}
	return st.Bad(string(s))
}
