package top

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// table lays out rows in columns padded to their widest cell (cells may be
// styled: widths are measured without escape sequences). right marks the
// right-aligned columns.
func table(header []string, rows [][]string, right map[int]bool) []string {
	w := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			w[i] = max(w[i], ansi.StringWidth(c))
		}
	}
	line := func(r []string) string {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", w[i]-ansi.StringWidth(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if right[i] {
				b.WriteString(pad + c)
			} else if i < len(r)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		return b.String()
	}
	out := []string{line(header)}
	for _, r := range rows {
		out = append(out, line(r))
	}
	return out
}

// window returns the rows of a selectable list that fit in h lines (one is
// the header), scrolled so the cursor shows, each prefixed "> " when
// selected, and a line counting the rows above and below.
func (m Model) window(lines []string, cursor, h int) []string {
	if len(lines) == 0 {
		return nil
	}
	head, rows := lines[0], lines[1:]
	out := []string{"  " + m.st.bold.Render(head)}
	room := h - 2 // header and the "more" line
	if room < 1 {
		room = 1
	}
	start := 0
	if cursor >= room {
		start = cursor - room + 1
	}
	end := min(start+room, len(rows))
	for i := start; i < end; i++ {
		if i == cursor && !m.o.Static {
			out = append(out, m.st.sel.Render("> "+rows[i]))
		} else {
			out = append(out, "  "+rows[i])
		}
	}
	if start > 0 || end < len(rows) {
		out = append(out, m.st.dim.Render(fmt.Sprintf("  rows %d–%d of %d", start+1, end, len(rows))))
	}
	return out
}

var sparkRunes = []rune("▁▂▃▄▅▆▇█")

// sparkline draws the values, scaled from 0 to their maximum, in width runes
// (the newest at the right, padded at the left).
func sparkline(vs []float64, width int) string {
	if len(vs) > width {
		vs = vs[len(vs)-width:]
	}
	hi := 0.0
	for _, v := range vs {
		hi = math.Max(hi, v)
	}
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", width-len(vs)))
	for _, v := range vs {
		i := 0
		if hi > 0 {
			i = int(v / hi * float64(len(sparkRunes)-1))
		}
		b.WriteRune(sparkRunes[min(max(i, 0), len(sparkRunes)-1)])
	}
	return b.String()
}

// Rate formats records/s.
func Rate(r float64, known bool) string {
	switch {
	case !known:
		return "-"
	case r >= 1e6:
		return fmt.Sprintf("%.1fM/s", r/1e6)
	case r >= 1e4:
		return fmt.Sprintf("%.1fk/s", r/1e3)
	case r >= 10 || r == 0:
		return fmt.Sprintf("%.0f/s", r)
	}
	return fmt.Sprintf("%.1f/s", r)
}

func bytesText(n int64) string {
	if n < 0 {
		return "-"
	}
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for x := n / unit; x >= unit; x /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func count(n int) string { return strconv.Itoa(n) }

func bar(frac float64, width int) string {
	if frac < 0 {
		return "[" + strings.Repeat("?", width) + "]"
	}
	n := min(max(int(frac*float64(width)+0.5), 0), width)
	return "[" + strings.Repeat("#", n) + strings.Repeat("-", width-n) + "]"
}

func ids(xs []int32) string {
	if len(xs) == 0 {
		return "-"
	}
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(int(x))
	}
	return strings.Join(s, ",")
}

func ageText(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%.0fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func (m Model) health(n int, label string) string {
	s := fmt.Sprintf("%s %d", label, n)
	if n > 0 {
		return m.st.bad.Render(s)
	}
	return m.st.ok.Render(s)
}

func (m Model) overview() []string {
	s := m.snap
	up := 0
	for _, b := range s.Brokers {
		if b.Up {
			up++
		}
	}
	brokers := fmt.Sprintf("%d/%d up", up, len(s.Brokers))
	if up < len(s.Brokers) {
		brokers = m.st.bad.Render(brokers)
	} else {
		brokers = m.st.ok.Render(brokers)
	}
	out := []string{
		fmt.Sprintf("Brokers %s · controller %d · %s · %s · produce %s",
			brokers, s.Controller, plural(s.Topics, "topic"), plural(s.Partitions, "partition"), Rate(s.ProduceRate, s.RateKnown)),
		"Health  " + m.health(s.UnderReplicated, "under-replicated") + " · " + m.health(s.UnderMinISR, "under-min-ISR") + " · " + m.health(s.Offline, "offline"),
		"",
	}
	total, n := 0, 0
	for _, b := range s.Brokers {
		if b.Up {
			total += b.Leads
			n++
		}
	}
	avg := 0.0
	if n > 0 {
		avg = float64(total) / float64(n)
	}
	var rows [][]string
	for _, b := range s.Brokers {
		state := m.st.ok.Render("up")
		if !b.Up {
			state = m.st.bad.Render("DOWN")
		}
		ctl := ""
		if b.Controller {
			ctl = "*"
		}
		skew := "-"
		if b.Up && avg > 0 {
			skew = fmt.Sprintf("%+.0f%%", (float64(b.Leads)/avg-1)*100)
		}
		rack := b.Rack
		if rack == "" {
			rack = "-"
		}
		host := b.Host
		if !b.Up {
			host = "-"
		}
		rows = append(rows, []string{count(int(b.ID)), state, ctl, host, rack, count(b.Leads), skew})
	}
	out = append(out, table([]string{"BROKER", "STATE", "CTL", "HOST", "RACK", "LEADS", "SKEW"}, rows, map[int]bool{0: true, 5: true, 6: true})...)
	out = append(out, "")
	switch {
	case s.ReassignmentsErr != "":
		out = append(out, m.st.warn.Render("Reassignments: unknown ("+s.ReassignmentsErr+")"))
	case len(s.Reassignments) == 0:
		out = append(out, "Reassignments: none in progress")
	default:
		out = append(out, fmt.Sprintf("Reassignments: %d in progress (4 for the list)", len(s.Reassignments)))
		for i, r := range s.Reassignments {
			if i == 5 {
				out = append(out, fmt.Sprintf("  … and %d more", len(s.Reassignments)-5))
				break
			}
			out = append(out, fmt.Sprintf("  %s/%d %s %s", r.Topic, r.Partition, bar(r.Progress, 20), pct(r.Progress)))
		}
	}
	worst := 0
	for _, g := range s.Groups {
		worst = max(worst, g.Rank)
	}
	if len(s.Groups) > 0 {
		byStatus := map[string]int{}
		for _, g := range s.Groups {
			byStatus[g.Status]++
		}
		var parts []string
		for _, st := range []string{"STOP", "STALL", "WARN", "OK"} {
			if byStatus[st] > 0 {
				parts = append(parts, m.status(st)+" "+count(byStatus[st]))
			}
		}
		if byStatus[""] > 0 {
			parts = append(parts, fmt.Sprintf("%d not judged yet (a status needs two refreshes)", byStatus[""]))
		}
		out = append(out, "", fmt.Sprintf("Groups: %d · %s", len(s.Groups), strings.Join(parts, " · ")))
	} else if s.GroupsErr != "" {
		out = append(out, "", m.st.warn.Render("Groups: unknown ("+s.GroupsErr+")"))
	}
	return out
}

func pct(p float64) string {
	if p < 0 {
		return "progress unknown"
	}
	return fmt.Sprintf("%3.0f%%", p*100)
}

func (m Model) status(s string) string {
	switch s {
	case "OK":
		return m.st.ok.Render(s)
	case "WARN":
		return m.st.warn.Render(s)
	case "STALL", "STOP":
		return m.st.bad.Render(s)
	case "":
		return "-"
	}
	return s
}

func (m Model) topicsView() []string {
	ts := m.topics()
	var rows [][]string
	for _, t := range ts {
		urp := count(t.UnderReplicated)
		if t.UnderReplicated > 0 || t.Offline > 0 {
			urp = m.st.bad.Render(urp)
		}
		rows = append(rows, []string{t.Name, count(t.Partitions), count(t.RF), bytesText(t.Size), Rate(t.Rate, t.RateKnown), sparkline(m.topicSpark[t.Name], 20), urp})
	}
	header := []string{"TOPIC", "PARTS", "RF", "SIZE", "RATE", "RATE (last " + m.span() + ")", "URP"}
	right := map[int]bool{1: true, 2: true, 3: true, 4: true, 6: true}
	if m.o.Static { // one frame: no history to draw
		header, rows = dropColumn(header, rows, 5)
		right = map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true}
	}
	lines := table(header, rows, right)
	out := m.window(lines, m.cursor[Topics], m.bodyHeight())
	if len(ts) == 0 {
		out = append(out, "  "+m.st.dim.Render(m.none("topics")))
	}
	return out
}

func (m Model) none(what string) string {
	if v := m.filter.Value(); v != "" {
		return fmt.Sprintf("no %s match %q (Esc clears the filter)", what, v)
	}
	return "no " + what
}

// span is how long the sparklines cover.
func (m Model) span() string {
	if m.o.Interval <= 0 {
		return fmt.Sprintf("%d refreshes", sparkLen)
	}
	return ageText(m.o.Interval * sparkLen)
}

func (m Model) groupsView() []string {
	gs := m.groups()
	var rows [][]string
	for _, g := range gs {
		name := g.Name
		if g.Kctl != "" {
			name += " (kctl)"
		}
		status := m.status(g.Status)
		if g.Error != "" {
			status = m.st.bad.Render("ERROR")
		}
		rows = append(rows, []string{name, g.State, count(g.Members), strconv.FormatInt(g.Lag, 10), ageText(g.TimeLag), sparkline(m.groupSpark[g.Name], 20), status})
	}
	header := []string{"GROUP", "STATE", "MEMBERS", "LAG", "TIME LAG", "LAG (last " + m.span() + ")", "STATUS"}
	if m.o.Static {
		header, rows = dropColumn(header, rows, 5)
	}
	lines := table(header, rows, map[int]bool{2: true, 3: true, 4: true})
	out := m.window(lines, m.cursor[Groups], m.bodyHeight())
	if len(gs) == 0 {
		what := "consumer groups"
		if m.snap.GroupsErr != "" {
			what = "consumer groups known: " + m.snap.GroupsErr
		}
		out = append(out, "  "+m.st.dim.Render(m.none(what)))
	}
	return out
}

func (m Model) groupDetail() []string {
	var g *Group
	for i := range m.snap.Groups {
		if m.snap.Groups[i].Name == m.detail {
			g = &m.snap.Groups[i]
		}
	}
	if g == nil {
		return []string{fmt.Sprintf("Group %s is gone (Esc to go back)", m.detail)}
	}
	out := []string{
		fmt.Sprintf("Group %s · %s · %s · lag %d · time lag %s · status %s   (Esc back)", m.st.bold.Render(g.Name), g.State, plural(g.Members, "member"), g.Lag, ageText(g.TimeLag), m.status(g.Status)),
	}
	for _, r := range g.Reasons {
		out = append(out, "  "+r)
	}
	if g.Error != "" {
		out = append(out, m.st.bad.Render("  error: "+g.Error))
	}
	out = append(out, "")
	if len(g.Partitions) == 0 {
		return append(out, "No committed offsets or assigned partitions.")
	}
	var rows [][]string
	for _, p := range g.Partitions {
		committed, end, lag := strconv.FormatInt(p.Committed, 10), strconv.FormatInt(p.End, 10), strconv.FormatInt(p.Lag, 10)
		if p.Committed < 0 {
			committed = "-"
		}
		if p.End < 0 {
			end = "-"
		}
		if p.Lag < 0 {
			lag = "-"
		}
		owner := p.Owner
		if owner == "" {
			owner = "-"
		}
		if p.Error != "" {
			owner += "  " + m.st.warn.Render(p.Error)
		}
		rows = append(rows, []string{p.Topic, count(int(p.Partition)), committed, end, lag, Rate(p.Rate, p.RateKnown), owner})
	}
	lines := table([]string{"TOPIC", "PART", "COMMITTED", "END", "LAG", "RATE", "OWNER"}, rows, map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true})
	out = append(out, "  "+m.st.bold.Render(lines[0]))
	rest := lines[1:]
	room := max(m.bodyHeight()-len(out)-1, 1)
	start := min(m.dOffset, max(len(rest)-room, 0))
	end := min(start+room, len(rest))
	for _, l := range rest[start:end] {
		out = append(out, "  "+l)
	}
	if start > 0 || end < len(rest) {
		out = append(out, m.st.dim.Render(fmt.Sprintf("  rows %d–%d of %d", start+1, end, len(rest))))
	}
	return out
}

func (m Model) movesView() []string {
	s := m.snap
	if s.ReassignmentsErr != "" {
		return []string{m.st.warn.Render("Reassignments unknown: " + s.ReassignmentsErr)}
	}
	if len(s.Reassignments) == 0 {
		return []string{"No partition reassignment in progress."}
	}
	var rows [][]string
	for _, r := range s.Reassignments {
		rows = append(rows, []string{r.Topic, count(int(r.Partition)), ids(r.Adding), ids(r.Removing), bar(r.Progress, 20) + " " + pct(r.Progress)})
	}
	lines := table([]string{"TOPIC", "PART", "ADDING", "REMOVING", "PROGRESS"}, rows, map[int]bool{1: true})
	return m.window(lines, m.cursor[Moves], m.bodyHeight())
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// dropColumn removes column i from a table.
func dropColumn(header []string, rows [][]string, i int) ([]string, [][]string) {
	drop := func(r []string) []string { return append(append([]string{}, r[:i]...), r[i+1:]...) }
	out := make([][]string, len(rows))
	for j, r := range rows {
		out[j] = drop(r)
	}
	return drop(header), out
}
