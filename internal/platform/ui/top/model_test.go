package top

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

var update = flag.Bool("update", false, "rewrite the golden frames in testdata")

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// snap is a cluster of three brokers, one of them down, with a
// reassignment, three topics and three groups.
func snap(at time.Time, rate float64, lagBilling int64) Snapshot {
	return Snapshot{
		Time: at, ClusterID: "kfake", Controller: 1,
		Brokers: []Broker{
			{ID: 0, Host: "10.0.0.1:9092", Rack: "a", Up: true, Leads: 4},
			{ID: 1, Host: "10.0.0.2:9092", Rack: "b", Up: true, Controller: true, Leads: 2},
			{ID: 2, Host: "10.0.0.3:9092", Rack: "c", Up: false},
		},
		Topics: 3, Partitions: 6, UnderReplicated: 6, Offline: 0, UnderMinISR: 1,
		ProduceRate: rate, RateKnown: true,
		Reassignments: []Reassignment{{Topic: "orders", Partition: 0, Adding: []int32{1}, Removing: []int32{2}, Progress: 0.5}},
		TopicRows: []Topic{
			{Name: "orders", Partitions: 3, RF: 3, Size: 3 << 20, Rate: rate, RateKnown: true, UnderReplicated: 3},
			{Name: "payments", Partitions: 2, RF: 3, Size: 1500, Rate: 0, RateKnown: true, UnderReplicated: 2},
			{Name: "audit", Partitions: 1, RF: 3, Size: -1, Rate: 0, RateKnown: true, UnderReplicated: 1},
		},
		Groups: []Group{
			{Name: "billing", State: "Stable", Members: 2, Lag: lagBilling, TimeLag: 95 * time.Second, Status: "WARN", Rank: 1,
				Reasons: []string{"WARN: orders/0 lag grew in every sample, 10 → 60"},
				Partitions: []GroupPartition{
					{Topic: "orders", Partition: 0, Committed: 40, End: 100, Lag: 60, Owner: "billing-1@10.0.0.9", Rate: 2.5, RateKnown: true},
					{Topic: "orders", Partition: 1, Committed: -1, End: 7, Lag: 7, Owner: "billing-2@10.0.0.9"},
				}},
			{Name: "email", State: "Empty", Members: 0, Lag: 12, TimeLag: 2 * time.Hour, Status: "STOP", Rank: 3},
			{Name: "audit-sink", State: "Stable", Members: 1, Lag: 0, Status: "OK"},
		},
	}
}

func key(s string) tea.KeyMsg {
	switch s {
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func TestFilterPerView(t *testing.T) {
	m := drive(t, 100, 30, SnapshotMsg(snap(t0, 0, 1)), key("2"), key("/ord"), key("enter"), key("3"))
	if n := len(m.groups()); n != 3 {
		t.Errorf("Groups shows %d groups after a filter on Topics, want all 3", n)
	}
	mm, _ := m.Update(key("2"))
	if ts := mm.(Model).topics(); len(ts) != 1 || ts[0].Name != "orders" {
		t.Errorf("Topics after coming back: %+v, want its filter kept", ts)
	}
}

// drive sends msgs to a model of the given size and returns it.
func drive(t *testing.T, w, h int, msgs ...tea.Msg) Model {
	t.Helper()
	var m tea.Model = New(Options{Interval: 2 * time.Second})
	m, _ = m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	for _, msg := range msgs {
		m, _ = m.Update(msg)
	}
	return m.(Model)
}

// golden compares a frame with testdata/NAME.golden (-update rewrites it).
func golden(t *testing.T, name string, m Model) {
	t.Helper()
	got := m.View()
	for _, l := range strings.Split(got, "\n") {
		if w := len([]rune(l)); m.width > 0 && w > m.width {
			t.Errorf("%s: line wider than %d: %q", name, m.width, l)
		}
	}
	if m.height > 0 && strings.Count(got, "\n")+1 != m.height {
		t.Errorf("%s: %d lines, want the height %d", name, strings.Count(got, "\n")+1, m.height)
	}
	p := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update)", err, t.Name())
	}
	if got+"\n" != string(want) {
		t.Errorf("%s: frame differs from %s:\n--- got\n%s\n--- want\n%s", name, p, got, want)
	}
}

func TestMain(m *testing.M) {
	os.Setenv("TZ", "UTC")
	time.Local = time.UTC
	os.Exit(m.Run())
}

func TestFrames(t *testing.T) {
	s1, s2 := SnapshotMsg(snap(t0, 0, 10)), SnapshotMsg(snap(t0.Add(2*time.Second), 120, 60))
	for _, tc := range []struct {
		name string
		w, h int
		msgs []tea.Msg
	}{
		{"overview-100x30", 100, 30, []tea.Msg{s1, s2}},
		{"connecting-80x10", 80, 10, nil},
		{"topics-100x30", 100, 30, []tea.Msg{s1, s2, key("2")}},
		{"topics-sorted-by-rate-100x30", 100, 30, []tea.Msg{s1, s2, key("2"), key("s")}},
		{"topics-filtered-100x30", 100, 30, []tea.Msg{s1, s2, key("2"), key("/"), key("p"), key("a"), key("y"), key("enter")}},
		{"topics-filtered-typed-fast-100x30", 100, 30, []tea.Msg{s1, s2, key("2"), key("/pay"), key("enter")}},
		{"topics-filtering-60x12", 60, 12, []tea.Msg{s1, s2, key("2"), key("/"), key("o")}},
		{"groups-100x30", 100, 30, []tea.Msg{s1, s2, key("3")}},
		{"group-detail-100x30", 100, 30, []tea.Msg{s1, s2, key("3"), key("down"), key("enter")}},
		{"group-detail-empty-100x30", 100, 30, []tea.Msg{s1, s2, key("3"), key("G"), key("enter")}},
		{"esc-and-4-read-together-100x30", 100, 30, []tea.Msg{s1, s2, key("3"), key("enter"), tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("4"), Alt: true}}},
		{"group-detail-closed-100x30", 100, 30, []tea.Msg{s1, s2, key("3"), key("enter"), key("esc")}},
		{"reassignments-100x30", 100, 30, []tea.Msg{s1, s2, key("tab"), key("tab"), key("tab")}},
		{"help-100x30", 100, 30, []tea.Msg{s1, key("?")}},
		{"unreachable-100x30", 100, 30, []tea.Msg{s1, s2, SnapshotMsg{Time: t0.Add(4 * time.Second), Err: "no broker answered (127.0.0.1:9092: connection refused)"}}},
		{"recovered-100x30", 100, 30, []tea.Msg{s1, SnapshotMsg{Time: t0.Add(2 * time.Second), Err: "down"}, s2}},
		{"paused-100x30", 100, 30, []tea.Msg{s1, key("p"), s2, key("3")}},
		{"resumed-100x30", 100, 30, []tea.Msg{s1, key("p"), s2, key("p"), key("3")}},
		{"small-40x8", 40, 8, []tea.Msg{s1, s2, key("3")}},
		{"resized-100x30-to-60x10", 0, 0, []tea.Msg{tea.WindowSizeMsg{Width: 100, Height: 30}, s1, s2, key("2"), tea.WindowSizeMsg{Width: 60, Height: 10}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, drive(t, tc.w, tc.h, tc.msgs...))
		})
	}
}

func TestQuit(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		m := drive(t, 80, 20, SnapshotMsg(snap(t0, 0, 1)))
		_, cmd := m.Update(key(k))
		if cmd == nil {
			t.Fatalf("%s: no command, want tea.Quit", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Errorf("%s: command returned %T, want tea.QuitMsg", k, cmd())
		}
	}
	// While filtering, q is typed into the filter; Ctrl-C still quits.
	m := drive(t, 80, 20, SnapshotMsg(snap(t0, 0, 1)), key("2"), key("/"))
	if _, cmd := m.Update(key("q")); cmd != nil {
		if _, ok := cmd().(tea.QuitMsg); ok {
			t.Error("q while filtering quit")
		}
	}
}

func TestGroupsWorstFirst(t *testing.T) {
	m := drive(t, 100, 30, SnapshotMsg(snap(t0, 0, 1)), key("3"))
	var names []string
	for _, g := range m.groups() {
		names = append(names, g.Name)
	}
	if got := strings.Join(names, ","); got != "email,billing,audit-sink" {
		t.Errorf("groups in order %s, want the worst first: email,billing,audit-sink", got)
	}
}

func TestSparkline(t *testing.T) {
	if got := sparkline([]float64{0, 1, 2, 4, 8}, 6); got != " ▁▁▂▄█" {
		t.Errorf("sparkline = %q", got)
	}
	if got := sparkline(nil, 3); got != "   " {
		t.Errorf("empty sparkline = %q", got)
	}
}

func TestParseView(t *testing.T) {
	for in, want := range map[string]View{"overview": Overview, "Topics": Topics, "g": Groups, "reassignments": Moves, "moves": Moves} {
		if v, err := ParseView(in); err != nil || v != want {
			t.Errorf("ParseView(%q) = %v, %v; want %v", in, v, err, want)
		}
	}
	if _, err := ParseView("x"); err == nil || !strings.Contains(err.Error(), "overview, topics, groups or reassignments") {
		t.Errorf("ParseView(x) error = %v", err)
	}
}
