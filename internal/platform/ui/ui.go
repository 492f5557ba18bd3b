// Package ui prints views: one printer each for text, JSON and YAML, writing
// to an io.Writer. Colour and boxed tables only when the writer is a terminal
// and colour is not disabled (--no-color, NO_COLOR).
package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
	"golang.org/x/term"
	"gopkg.in/yaml.v3"
)

// Format is an output format.
type Format string

// The output formats of -o.
const (
	Text Format = "text"
	JSON Format = "json"
	YAML Format = "yaml"
)

// ParseFormat accepts text, json or yaml (any case; "" means text).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "text", "table":
		return Text, nil
	case "json":
		return JSON, nil
	case "yaml", "yml":
		return YAML, nil
	}
	return "", fmt.Errorf("unknown output format %q: use -o text, -o json or -o yaml", s)
}

// TextWriter is a view that prints itself as text.
type TextWriter interface {
	WriteText(w io.Writer, st Styles) error
}

// WithText pairs a view, printed as itself in JSON and YAML, with the
// function that prints it as text: for views of packages that cannot name
// Styles (their text printers take an interface Styles satisfies).
func WithText(v any, text func(io.Writer, Styles) error) any { return withText{v, text} }

type withText struct {
	v    any
	text func(io.Writer, Styles) error
}

// Print writes v in format f. JSON is indented with a trailing newline; YAML
// uses the json tags' field names as well (views carry both tags).
func Print(w io.Writer, f Format, st Styles, v any) error {
	if wt, ok := v.(withText); ok {
		if f == Text {
			return wt.text(w, st)
		}
		v = wt.v
	}
	switch f {
	case JSON:
		return PrintJSON(w, v)
	case YAML:
		return PrintYAML(w, v)
	}
	tw, ok := v.(TextWriter)
	if !ok {
		return PrintYAML(w, v)
	}
	return tw.WriteText(w, st)
}

// PrintJSON writes v as JSON indented by two spaces, with a trailing newline
// and without HTML escaping: what a json.Encoder with SetIndent("", "  ")
// writes, in one write. It returns encoding/json's error for a value that
// cannot be encoded (nothing is written then) or the writer's error.
func PrintJSON(w io.Writer, v any) error {
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	out := appendIndent(make([]byte, 0, compact.Len()*2), compact.Bytes())
	_, err := w.Write(append(out, '\n'))
	return err
}

// PrintYAML writes v as YAML.
func PrintYAML(w io.Writer, v any) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return enc.Close()
}

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
func StylesFor(w io.Writer, terminal, noColorFlag bool, getenv func(string) string) Styles {
	return NewStyles(w, terminal && ColorEnabled(w, noColorFlag, getenv), terminal)
}

// Styles are the text styles; all identity when colour is off.
type Styles struct {
	Color                                         bool // colour and boxed tables
	Terminal                                      bool // the writer is a terminal (interactive redraws, prompts)
	ok, warn, bad, bold, dim, add, change, remove lipgloss.Style
}

// NewStyles returns the styles for text written to w, where colour is (or
// is not) enabled: the colours are those w's own terminal supports, whatever
// stdout is.
func NewStyles(w io.Writer, color, terminal bool) Styles {
	s := Styles{Color: color, Terminal: terminal}
	if color {
		r := lipgloss.NewRenderer(w)
		s.ok = r.NewStyle().Foreground(lipgloss.Color("2"))
		s.add = s.ok
		s.warn = r.NewStyle().Foreground(lipgloss.Color("3"))
		s.change = s.warn
		s.bad = r.NewStyle().Foreground(lipgloss.Color("1"))
		s.remove = s.bad
		s.bold = r.NewStyle().Bold(true)
		s.dim = r.NewStyle().Faint(true)
	}
	return s
}

func render(st lipgloss.Style, on bool, s string) string {
	if !on {
		return s
	}
	return st.Render(s)
}

// OK, Warn, Bad, Bold, Dim, Add, Change, Remove style a string.
func (s Styles) OK(v string) string     { return render(s.ok, s.Color, v) }
func (s Styles) Warn(v string) string   { return render(s.warn, s.Color, v) }
func (s Styles) Bad(v string) string    { return render(s.bad, s.Color, v) }
func (s Styles) Bold(v string) string   { return render(s.bold, s.Color, v) }
func (s Styles) Dim(v string) string    { return render(s.dim, s.Color, v) }
func (s Styles) Add(v string) string    { return render(s.add, s.Color, v) }
func (s Styles) Change(v string) string { return render(s.change, s.Color, v) }
func (s Styles) Remove(v string) string { return render(s.remove, s.Color, v) }

// Table is a header and rows of cells.
type Table struct {
	Header []string
	Rows   [][]string
}

// Write prints t: a rounded lipgloss table when st.Color, otherwise columns
// aligned with spaces (stable for scripts and golden files).
func (t Table) Write(w io.Writer, st Styles) error {
	if st.Color {
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
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.Header, "\t"))
	for _, r := range t.Rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line == "" {
			continue
		}
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// Printable returns s with control characters (newlines, ESC, DEL, C1
// codes) written as Go escapes (\n, \x1b, \u009b), so that text read from
// a cluster — a topic name, a config value — cannot break a table's lines or
// send escape sequences to the terminal. Other characters, UTF-8 included,
// are kept; a string without control characters is returned as is.
func Printable(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsControl(r):
			q := strconv.QuoteRune(r) // '\n', '\x1b', '\u009b'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
