package ui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kctl/kctl/internal/platform/view"
)

func TestColorEnabled(t *testing.T) {
	var b bytes.Buffer
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if ColorEnabled(&b, false, env(nil)) {
		t.Error("a buffer is not a terminal: no colour")
	}
	if ColorEnabled(&b, false, env(map[string]string{"NO_COLOR": "1"})) || ColorEnabled(&b, true, env(nil)) {
		t.Error("NO_COLOR and --no-color turn colour off")
	}
}

// A colour terminal gets a boxed table; without colour the styles are
// view.Plain (aligned columns), terminal or not.
func TestTableStyles(t *testing.T) {
	tb := view.Table{Header: []string{"ID", "ADDRESS", "ROLE"}, Rows: [][]string{{"0", "127.0.0.1:9092", ""}, {"12", "h:1", "controller"}}}
	var b bytes.Buffer
	if err := tb.Write(&b, NewStyles(&b, true, true)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "╭") || !strings.Contains(b.String(), "controller") {
		t.Errorf("a colour terminal gets a boxed table, got:\n%s", b.String())
	}
	st := NewStyles(&b, false, true)
	if st != (view.Plain{Term: true}) || !st.Terminal() || st.Color() {
		t.Errorf("no colour on a terminal: %#v, want view.Plain{Term: true}", st)
	}
}
