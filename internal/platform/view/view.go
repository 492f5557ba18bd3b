// Package view is what feature packages print with: the output formats
// (text, JSON, YAML), the printers, tables, and Styles, the interface a text
// printer marks its text up with. It is a leaf: no terminal library here.
// Plain is Styles that leave text as it is (and align tables with spaces);
// internal/platform/ui implements Styles with colours and boxed tables for a
// terminal, and only the command layer (internal/cli) chooses between them.
package view

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

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

// Styles mark text up: each style method returns its argument styled (or as
// it is). Color reports colour (and boxed tables), Terminal whether the
// writer is a terminal (interactive redraws, prompts); WriteTable prints a
// table in the styles' way.
type Styles interface {
	OK(string) string
	Warn(string) string
	Bad(string) string
	Bold(string) string
	Dim(string) string
	Add(string) string
	Change(string) string
	Remove(string) string
	Color() bool
	Terminal() bool
	WriteTable(io.Writer, Table) error
}

// Plain is Styles without colour: every style is the identity and tables
// are columns aligned with spaces. Term says whether the writer is a
// terminal all the same (colour turned off on a terminal).
type Plain struct{ Term bool }

func (Plain) OK(s string) string     { return s }
func (Plain) Warn(s string) string   { return s }
func (Plain) Bad(s string) string    { return s }
func (Plain) Bold(s string) string   { return s }
func (Plain) Dim(s string) string    { return s }
func (Plain) Add(s string) string    { return s }
func (Plain) Change(s string) string { return s }
func (Plain) Remove(s string) string { return s }
func (Plain) Color() bool            { return false }
func (p Plain) Terminal() bool       { return p.Term }

// WriteTable prints t as columns aligned with spaces, without trailing
// spaces: stable for scripts and golden files.
func (Plain) WriteTable(w io.Writer, t Table) error {
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

// Table is a header and rows of cells.
type Table struct {
	Header []string
	Rows   [][]string
}

// Write prints t with st: a boxed table on a colour terminal (ui's
// Styles), otherwise aligned columns (Plain).
func (t Table) Write(w io.Writer, st Styles) error { return st.WriteTable(w, t) }

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
