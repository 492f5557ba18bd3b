package view

import (
	"bytes"
	"encoding/json"
	"testing"
)

// oldPrintJSON is the encoding/json indentation PrintJSON must equal.
func oldPrintJSON(t testing.TB, v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPrintJSONEqualsEncodingJSON(t *testing.T) {
	type inner struct {
		A []int          `json:"a"`
		M map[string]any `json:"m"`
	}
	values := []any{
		nil, 1, "x", []int{}, map[string]int{}, []any{[]any{}, map[string]any{}, []int{1}},
		struct {
			Name  string  `json:"name"`
			Esc   string  `json:"esc"`
			In    inner   `json:"in"`
			Empty []inner `json:"empty"`
			F     float64 `json:"f"`
			Raw   json.RawMessage
		}{
			Name: "user.signed-up", Esc: "quote \" back \\ <b>&</b> 김이름 \u2028 \x01 {[,:]}",
			In:    inner{A: []int{1, 2}, M: map[string]any{"k": []string{"v", ""}, "e": map[string]any{}}},
			Empty: []inner{}, F: 1.5e-9, Raw: json.RawMessage(` { "x" : [ 1 , 2 ] } `),
		},
	}
	var deep any = []int{1}
	for range 100 { // deeper than the precomputed indentation
		deep = map[string]any{"d": []any{deep}}
	}
	values = append(values, deep)
	for _, v := range values {
		var got bytes.Buffer
		if err := PrintJSON(&got, v); err != nil {
			t.Fatal(err)
		}
		if want := oldPrintJSON(t, v); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("PrintJSON(%#v):\n%s\nwant (encoding/json):\n%s", v, got.Bytes(), want)
		}
	}
}

func TestPrintJSONErrorWritesNothing(t *testing.T) {
	var b bytes.Buffer
	if err := PrintJSON(&b, map[string]any{"f": func() {}}); err == nil || b.Len() != 0 {
		t.Errorf("PrintJSON(func) = %v, wrote %q; want an error and nothing written", err, b.String())
	}
}

// FuzzAppendIndent: for every valid JSON document, appendIndent writes what
// json.Indent writes (the input is compacted first, as PrintJSON's is).
func FuzzAppendIndent(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,{"b":"c\"}"}],"d":{}}`, `"\\\""`, `[[],[[]],{"":""}]`, `-1.5e+3`, `{"k":"\u00e9\\u0041"}`, `true`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var compact bytes.Buffer
		if json.Compact(&compact, []byte(s)) != nil {
			return
		}
		var want bytes.Buffer
		if err := json.Indent(&want, compact.Bytes(), "", "  "); err != nil {
			t.Fatal(err)
		}
		got := appendIndent(nil, compact.Bytes())
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendIndent(%q) = %q, want %q", compact.Bytes(), got, want.Bytes())
		}
		// Whitespace between tokens is dropped, as json.Indent drops it.
		if got2 := appendIndent(nil, []byte(s)); !bytes.Equal(got2, want.Bytes()) && bytes.TrimSpace([]byte(s)) != nil && json.Valid([]byte(s)) {
			t.Errorf("appendIndent(%q) (uncompacted) = %q, want %q", s, got2, want.Bytes())
		}
	})
}
