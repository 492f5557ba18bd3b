package view

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": Text, "text": Text, "JSON": JSON, "yaml": YAML, "yml": YAML} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), `unknown output format "xml": use -o text, -o json or -o yaml`) {
		t.Errorf("ParseFormat(xml) err = %v", err)
	}
}

// Plain tables are aligned columns without trailing spaces: stable for
// scripts and golden files.
func TestTablePlain(t *testing.T) {
	var b bytes.Buffer
	tb := Table{Header: []string{"ID", "ADDRESS", "ROLE"}, Rows: [][]string{{"0", "127.0.0.1:9092", ""}, {"12", "h:1", "controller"}}}
	if err := tb.Write(&b, Plain{}); err != nil {
		t.Fatal(err)
	}
	want := "ID  ADDRESS         ROLE\n0   127.0.0.1:9092\n12  h:1             controller\n"
	if b.String() != want {
		t.Errorf("plain table:\n%q\nwant\n%q", b.String(), want)
	}
}

func TestPrintJSONAndYAML(t *testing.T) {
	v := struct {
		Name string `json:"name" yaml:"name"`
		N    int    `json:"count" yaml:"count"`
	}{"a<b", 2}
	var b bytes.Buffer
	if err := Print(&b, JSON, Plain{}, v); err != nil || b.String() != "{\n  \"name\": \"a<b\",\n  \"count\": 2\n}\n" {
		t.Errorf("JSON = %q, %v", b.String(), err)
	}
	b.Reset()
	if err := Print(&b, YAML, Plain{}, v); err != nil || b.String() != "name: a<b\ncount: 2\n" {
		t.Errorf("YAML = %q, %v", b.String(), err)
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"user.signed-up":        "user.signed-up",
		"김이름":                   "김이름",
		"nl\nname":              `nl\nname`,
		"esc\x1b[31mred":        `esc\x1b[31mred`,
		"ctl\x01\x7f":           `ctl\x01\x7f`,
		"c1\u009b":              `c1\u009b`,
		"bad\xffutf8":           `bad\xffutf8`,
		"tab\tkept as escape":   `tab\tkept as escape`,
		"replacement \uFFFD ok": "replacement \uFFFD ok",
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// A view paired WithText prints through its function as text and as
// itself in JSON and YAML.
func TestWithText(t *testing.T) {
	v := struct {
		N int `json:"count" yaml:"count"`
	}{3}
	wt := WithText(v, func(w io.Writer, _ Styles) error { _, err := io.WriteString(w, "three\n"); return err })
	for f, want := range map[Format]string{Text: "three\n", JSON: "{\n  \"count\": 3\n}\n", YAML: "count: 3\n"} {
		var b bytes.Buffer
		if err := Print(&b, f, Plain{}, wt); err != nil || b.String() != want {
			t.Errorf("%s: %q, %v; want %q", f, b.String(), err, want)
		}
	}
}
