package top

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// View is one of the screens.
type View int

// The views, in the order of the keys 1–4 and Tab.
const (
	Overview View = iota
	Topics
	Groups
	Moves
	numViews
)

var viewNames = [numViews]string{"Overview", "Topics", "Groups", "Reassignments"}

// ParseView accepts a view's name (any case, a prefix will do).
func ParseView(s string) (View, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for v, n := range viewNames {
		if s != "" && strings.HasPrefix(strings.ToLower(n), s) {
			return View(v), nil
		}
	}
	if s == "moves" {
		return Moves, nil
	}
	return 0, fmt.Errorf("unknown view %q: use overview, topics, groups or reassignments", s)
}

// SnapshotMsg delivers a new observation to the model.
type SnapshotMsg Snapshot

// sparkLen is how many samples a sparkline keeps.
const sparkLen = 30

// Options configure a model.
type Options struct {
	Interval time.Duration
	View     View
	Color    bool
	// Context names the connection shown in the header.
	Context string
	// Static is one frame for a script (--once): no selection marker.
	Static bool
}

// Model is the bubbletea model of `kctl top`.
type Model struct {
	o             Options
	width, height int
	view          View
	snap          *Snapshot // last good observation
	err           string    // last failure, "" when the last one worked
	errAt         time.Time
	pending       *Snapshot // arrived while paused
	paused        bool
	help          bool
	filtering     bool
	filter        textinput.Model // the current view's
	filters       [numViews]string
	cursor        [numViews]int
	offset        [numViews]int
	sortBy        [numViews]int
	detail        string // the group opened with Enter
	dOffset       int
	topicSpark    map[string][]float64
	groupSpark    map[string][]float64
	st            styles
}

type styles struct {
	bold, dim, ok, warn, bad, sel, banner, tab lipgloss.Style
}

func newStyles(color bool) styles {
	r := lipgloss.NewRenderer(nil)
	if color {
		r.SetColorProfile(termenv.ANSI256)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	s := r.NewStyle
	return styles{
		bold:   s().Bold(color),
		dim:    s().Faint(color),
		ok:     s().Foreground(lipgloss.Color("2")),
		warn:   s().Foreground(lipgloss.Color("3")),
		bad:    s().Foreground(lipgloss.Color("1")).Bold(color),
		sel:    s().Reverse(color),
		banner: s().Foreground(lipgloss.Color("15")).Background(lipgloss.Color("1")).Bold(color),
		tab:    s().Reverse(color),
	}
}

// New returns a model showing o.View, waiting for its first snapshot.
func New(o Options) Model {
	ti := textinput.New()
	ti.Prompt = "/"
	ti.CharLimit = 200
	return Model{o: o, view: o.View, filter: ti, topicSpark: map[string][]float64{}, groupSpark: map[string][]float64{}, st: newStyles(o.Color)}
}

// Init does nothing: snapshots come from the collector.
func (m Model) Init() tea.Cmd { return nil }

// Update handles window sizes, keys and snapshots.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case SnapshotMsg:
		s := Snapshot(msg)
		if m.paused {
			m.pending = &s
			return m, nil
		}
		m.apply(s)
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m *Model) apply(s Snapshot) {
	if s.Err != "" {
		m.err, m.errAt = s.Err, s.Time
		return
	}
	m.err = ""
	m.snap = &s
	for _, t := range s.TopicRows {
		if t.RateKnown {
			m.topicSpark[t.Name] = push(m.topicSpark[t.Name], t.Rate)
		}
	}
	for _, g := range s.Groups {
		m.groupSpark[g.Name] = push(m.groupSpark[g.Name], float64(g.Lag))
	}
}

func push(s []float64, v float64) []float64 {
	s = append(s, v)
	if len(s) > sparkLen {
		s = s[len(s)-sparkLen:]
	}
	return s
}

func (m Model) key(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	if k.Type == tea.KeyCtrlC {
		return m, tea.Quit
	}
	if k.Type == tea.KeyRunes && k.Alt && !m.filtering {
		// Esc then a key, read together, arrive as Alt+key: both.
		mm, _ := m.key(tea.KeyMsg{Type: tea.KeyEsc})
		return mm.(Model).key(tea.KeyMsg{Type: tea.KeyRunes, Runes: k.Runes, Paste: k.Paste})
	}
	if k.Type == tea.KeyRunes && len(k.Runes) > 1 && !k.Paste {
		// Keys typed faster than they are read arrive together ("/pay"):
		// one at a time, so "/" starts the filter the rest goes into.
		var mm tea.Model = m
		var cmds []tea.Cmd
		for _, r := range k.Runes {
			var cmd tea.Cmd
			mm, cmd = mm.(Model).key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
			cmds = append(cmds, cmd)
		}
		return mm, tea.Batch(cmds...)
	}
	if m.filtering {
		switch k.Type {
		case tea.KeyEnter:
			m.filtering = false
			m.filter.Blur()
		case tea.KeyEsc:
			m.filtering = false
			m.filter.Blur()
			m.filter.SetValue("")
		default:
			var cmd tea.Cmd
			m.filter, cmd = m.filter.Update(k)
			m.cursor[m.view], m.offset[m.view] = 0, 0
			return m, cmd
		}
		return m, nil
	}
	if m.help {
		m.help = false // any key closes the help
		if k.String() == "q" {
			return m, tea.Quit
		}
		return m, nil
	}
	switch k.String() {
	case "q":
		return m, tea.Quit
	case "?":
		m.help = true
	case "p":
		m.paused = !m.paused
		if !m.paused && m.pending != nil {
			m.apply(*m.pending)
			m.pending = nil
		}
	case "tab":
		m.switchTo((m.view + 1) % numViews)
	case "shift+tab":
		m.switchTo((m.view + numViews - 1) % numViews)
	case "1", "2", "3", "4":
		m.switchTo(View(k.String()[0] - '1'))
	case "/":
		if m.view == Topics || m.view == Groups {
			m.filtering = true
			m.filter.Focus()
		}
	case "s":
		if n := len(sortKeys[m.view]); n > 0 && m.detail == "" {
			m.sortBy[m.view] = (m.sortBy[m.view] + 1) % n
		}
	case "up", "k":
		m.move(-1)
	case "down", "j":
		m.move(1)
	case "pgup":
		m.move(-m.bodyHeight())
	case "pgdown", " ":
		m.move(m.bodyHeight())
	case "home", "g":
		m.move(-1 << 30)
	case "end", "G":
		m.move(1 << 30)
	case "enter":
		if m.view == Groups && m.detail == "" {
			if gs := m.groups(); m.cursor[Groups] < len(gs) {
				m.detail, m.dOffset = gs[m.cursor[Groups]].Name, 0
			}
		}
	case "esc", "backspace":
		switch {
		case m.detail != "":
			m.detail = ""
		case m.filter.Value() != "":
			m.filter.SetValue("")
		}
	}
	return m, nil
}

// switchTo shows view v; each view keeps its own filter.
func (m *Model) switchTo(v View) {
	m.filters[m.view] = m.filter.Value()
	m.view, m.detail = v, ""
	m.filter.SetValue(m.filters[v])
}

func (m *Model) move(d int) {
	if m.detail != "" {
		m.dOffset = max(0, m.dOffset+d)
		return
	}
	n := m.rows()
	c := min(max(m.cursor[m.view]+d, 0), max(n-1, 0))
	m.cursor[m.view] = c
}

// rows is how many selectable rows the current view has.
func (m Model) rows() int {
	switch m.view {
	case Topics:
		return len(m.topics())
	case Groups:
		return len(m.groups())
	case Moves:
		if m.snap != nil {
			return len(m.snap.Reassignments)
		}
	}
	return 0
}

// Paused reports whether the display is frozen (p).
func (m Model) Paused() bool { return m.paused }

// sortKeys are the orders `s` cycles through, per view.
var sortKeys = [numViews][]string{
	Topics: {"name", "rate", "size", "partitions", "URP"},
	Groups: {"status", "lag", "time lag", "name"},
}

func (m Model) topics() []Topic {
	if m.snap == nil {
		return nil
	}
	f := strings.ToLower(m.filter.Value())
	var ts []Topic
	for _, t := range m.snap.TopicRows {
		if f == "" || strings.Contains(strings.ToLower(t.Name), f) {
			ts = append(ts, t)
		}
	}
	key := sortKeys[Topics][m.sortBy[Topics]]
	sort.SliceStable(ts, func(i, j int) bool {
		a, b := ts[i], ts[j]
		switch key {
		case "rate":
			if a.Rate != b.Rate {
				return a.Rate > b.Rate
			}
		case "size":
			if a.Size != b.Size {
				return a.Size > b.Size
			}
		case "partitions":
			if a.Partitions != b.Partitions {
				return a.Partitions > b.Partitions
			}
		case "URP":
			if a.UnderReplicated+a.Offline != b.UnderReplicated+b.Offline {
				return a.UnderReplicated+a.Offline > b.UnderReplicated+b.Offline
			}
		}
		return a.Name < b.Name
	})
	return ts
}

func (m Model) groups() []Group {
	if m.snap == nil {
		return nil
	}
	f := strings.ToLower(m.filter.Value())
	var gs []Group
	for _, g := range m.snap.Groups {
		if f == "" || strings.Contains(strings.ToLower(g.Name), f) {
			gs = append(gs, g)
		}
	}
	key := sortKeys[Groups][m.sortBy[Groups]]
	sort.SliceStable(gs, func(i, j int) bool {
		a, b := gs[i], gs[j]
		switch key {
		case "status": // worst first, as kctl lag --watch
			if a.Rank != b.Rank {
				return a.Rank > b.Rank
			}
			if (a.Error != "") != (b.Error != "") {
				return a.Error != ""
			}
			if a.Lag != b.Lag {
				return a.Lag > b.Lag
			}
		case "lag":
			if a.Lag != b.Lag {
				return a.Lag > b.Lag
			}
		case "time lag":
			if a.TimeLag != b.TimeLag {
				return a.TimeLag > b.TimeLag
			}
		}
		return a.Name < b.Name
	})
	return gs
}

// headerLines and footerLines frame the body.
const headerLines, footerLines = 3, 1

func (m Model) bodyHeight() int {
	if m.height <= 0 {
		return 1 << 30 // --once: everything
	}
	return max(m.height-headerLines-len(m.errLines())-footerLines, 1)
}

// maxErrLines is how many lines the error under the banner may take.
const maxErrLines = 3

// errLines is the last failure wrapped at the width, under the banner.
func (m Model) errLines() []string {
	if m.err == "" {
		return nil
	}
	s := m.err
	if m.width > 2 {
		s = ansi.Wrap(s, m.width-2, " ")
	}
	ls := strings.Split(s, "\n")
	if len(ls) > maxErrLines {
		ls = ls[:maxErrLines]
	}
	for i := range ls {
		ls[i] = "  " + ls[i]
	}
	return ls
}

// View draws the frame: header, tabs, banner or status line, body, footer,
// each line cut at the width and the whole at the height.
func (m Model) View() string {
	return strings.Join(m.Lines(), "\n")
}

// Lines is the frame, one string per line.
func (m Model) Lines() []string {
	st := m.st
	var head []string
	title := "kctl top"
	if m.o.Context != "" {
		title += " · " + m.o.Context
	}
	if m.snap != nil {
		if m.snap.ClusterID != "" {
			title += " · cluster " + m.snap.ClusterID
		}
		title += " · " + m.snap.Time.Local().Format("15:04:05")
	}
	if m.o.Interval > 0 {
		title += " · every " + m.o.Interval.String()
	}
	if m.paused {
		title += " · " + st.warn.Render("PAUSED (p to resume)")
	}
	head = append(head, st.bold.Render(title))
	var tabs []string
	for v, n := range viewNames {
		label := fmt.Sprintf(" %d %s ", v+1, n)
		if View(v) == m.view {
			label = st.tab.Render("[" + label[1:len(label)-1] + "]")
		}
		tabs = append(tabs, label)
	}
	head = append(head, strings.Join(tabs, " "))
	switch {
	case m.err != "":
		head = append(head, st.banner.Render(fmt.Sprintf(" CLUSTER UNAVAILABLE at %s, retrying every %s (data shown from %s) ", m.errAt.Local().Format("15:04:05"), m.o.Interval, m.lastGood())))
		for _, l := range m.errLines() {
			head = append(head, st.bad.Render(l))
		}
	case m.snap == nil:
		head = append(head, st.dim.Render("connecting…"))
	case len(m.snap.Warnings) > 0:
		head = append(head, st.warn.Render(fmt.Sprintf("warning: %s", strings.Join(m.snap.Warnings, "; "))))
	default:
		head = append(head, "")
	}

	var body []string
	switch {
	case m.help:
		body = helpLines()
	case m.snap == nil:
		body = nil
	case m.view == Overview:
		body = m.overview()
	case m.view == Topics:
		body = m.topicsView()
	case m.view == Groups && m.detail != "":
		body = m.groupDetail()
	case m.view == Groups:
		body = m.groupsView()
	case m.view == Moves:
		body = m.movesView()
	}
	if bh := m.bodyHeight(); len(body) > bh {
		body = body[:bh]
	}
	lines := append(head, body...)
	if m.height > 0 {
		for len(lines) < m.height-footerLines {
			lines = append(lines, "")
		}
	}
	lines = append(lines, m.footer())
	if m.width > 0 {
		for i, l := range lines {
			lines[i] = ansi.Truncate(l, m.width, "…")
		}
	}
	return lines
}

func (m Model) lastGood() string {
	if m.snap == nil {
		return "none yet"
	}
	return m.snap.Time.Local().Format("15:04:05")
}

func (m Model) footer() string {
	if m.filtering {
		return m.filter.View() + m.st.dim.Render("   Enter keep · Esc clear")
	}
	keys := "Tab/1-4 view · s sort · / filter · p pause · ? help · q quit"
	switch {
	case m.view == Groups && m.detail != "":
		keys = "Esc back · ↑↓ scroll · Tab/1-4 view · p pause · ? help · q quit"
	case m.view == Groups:
		keys = "Tab/1-4 view · Enter open · s sort · / filter · p pause · ? help · q quit"
	case m.view == Overview || m.view == Moves:
		keys = "Tab/1-4 view · p pause · ? help · q quit"
	}
	var extra []string
	if n := len(sortKeys[m.view]); n > 0 && m.detail == "" {
		extra = append(extra, "sort: "+sortKeys[m.view][m.sortBy[m.view]])
	}
	if v := m.filter.Value(); v != "" && (m.view == Topics || m.view == Groups) {
		extra = append(extra, "filter: "+v)
	}
	if len(extra) > 0 {
		keys = "[" + strings.Join(extra, ", ") + "] " + keys
	}
	return m.st.dim.Render(keys)
}

func helpLines() []string {
	return []string{
		"Keys",
		"",
		"  Tab, Shift-Tab   next, previous view",
		"  1 2 3 4          Overview, Topics, Groups, Reassignments",
		"  ↑ ↓ (k j)        move the selection; PgUp/PgDn, Home/End",
		"  Enter            open the selected group: its partitions",
		"  Esc              back from a group; clear the filter",
		"  s                cycle the sort order (Topics, Groups)",
		"  /                filter by name (Enter keeps it, Esc clears it)",
		"  p                pause / resume the display (collection goes on)",
		"  ?                this help (any key closes it)",
		"  q, Ctrl-C        quit",
		"",
		"Group status (as kctl lag computes it over the last 10 refreshes):",
		"  OK     caught up, or consuming without falling behind",
		"  WARN   lag grew in every refresh, or offsets were rewound",
		"  STALL  a live member owns a lagging partition whose offset does not move",
		"  STOP   no live member, no commit, lag > 0",
	}
}
