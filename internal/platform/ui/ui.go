// Package ui is the terminal implementation of view.Styles: colours and
// boxed (lipgloss) tables when the writer is a terminal and colour is not
// disabled (--no-color, NO_COLOR), view.Plain otherwise. Only the command
// layer (internal/cli) imports it; feature packages print with
// internal/platform/view and are handed the Styles.
package ui

import (
	"fmt"
	"io"
	"os"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
	"golang.org/x/term"

	"github.com/kctl/kctl/internal/platform/view"
)

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// ColorEnabled decides colour for w: a terminal, no --no-color, NO_COLOR unset.
func ColorEnabled(w io.Writer, noColorFlag bool, getenv func(string) string) bool {
	if noColorFlag || getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	return IsTerminal(w)
}

// StylesFor decides the styles of w: terminal says whether w is a terminal
// (the caller's test, which tests may replace); colour needs that, no
// --no-color, and NO_COLOR unset (ColorEnabled).
func StylesFor(w io.Writer, terminal, noColorFlag bool, getenv func(string) string) view.Styles {
	return NewStyles(w, terminal && ColorEnabled(w, noColorFlag, getenv), terminal)
}

// NewStyles returns the styles for text written to w, where colour is (or
// is not) enabled: the colours are those w's own terminal supports, whatever
// stdout is. Without colour they are view.Plain.
func NewStyles(w io.Writer, color, terminal bool) view.Styles {
	if !color {
		return view.Plain{Term: terminal}
	}
	r := lipgloss.NewRenderer(w)
	s := styles{terminal: terminal}
	s.ok = r.NewStyle().Foreground(lipgloss.Color("2"))
	s.add = s.ok
	s.warn = r.NewStyle().Foreground(lipgloss.Color("3"))
	s.change = s.warn
	s.bad = r.NewStyle().Foreground(lipgloss.Color("1"))
	s.remove = s.bad
	s.bold = r.NewStyle().Bold(true)
	s.dim = r.NewStyle().Faint(true)
	return s
}

// styles are the colour styles of a terminal.
type styles struct {
	terminal                                      bool
	ok, warn, bad, bold, dim, add, change, remove lipgloss.Style
}

func (s styles) OK(v string) string     { return s.ok.Render(v) }
func (s styles) Warn(v string) string   { return s.warn.Render(v) }
func (s styles) Bad(v string) string    { return s.bad.Render(v) }
func (s styles) Bold(v string) string   { return s.bold.Render(v) }
func (s styles) Dim(v string) string    { return s.dim.Render(v) }
func (s styles) Add(v string) string    { return s.add.Render(v) }
func (s styles) Change(v string) string { return s.change.Render(v) }
func (s styles) Remove(v string) string { return s.remove.Render(v) }
func (styles) Color() bool              { return true }
func (s styles) Terminal() bool         { return s.terminal }

// WriteTable prints t as a rounded lipgloss table with a bold header.
func (styles) WriteTable(w io.Writer, t view.Table) error {
	tb := table.New().Border(lipgloss.RoundedBorder()).Headers(t.Header...).Rows(t.Rows...).
		StyleFunc(func(row, _ int) lipgloss.Style {
			if row == table.HeaderRow {
				return lipgloss.NewStyle().Bold(true).Padding(0, 1)
			}
			return lipgloss.NewStyle().Padding(0, 1)
		})
	_, err := fmt.Fprintln(w, tb.Render())
	return err
}
