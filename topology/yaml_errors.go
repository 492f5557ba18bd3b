package topology

import (
	"bytes"
	"errors"
	"io"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// syntaxError turns a yaml.v3 error into a diagnostic at its line. A tab
// in indentation, the commonest slip, is found exactly. Otherwise the
// position comes from syntaxPos: yaml.v3's own "line N" is where the
// enclosing construct began (a line early for parser errors: a bad
// indentation on line 4 of a list that starts on line 2 says "line 1"),
// and it gives no column.
func (p *parser) syntaxError(err error, data []byte) {
	for i, line := range strings.Split(string(data), "\n") {
		indent := len(line) - len(strings.TrimLeft(line, " \t"))
		if j := strings.IndexByte(line[:indent], '\t'); j >= 0 && strings.TrimSpace(line) != "" {
			p.diags = append(p.diags, Diagnostic{SeverityError, Pos{p.file, i + 1, j + 1}, "invalid YAML: a tab character indents this line: YAML indents with spaces only"})
			return
		}
	}
	msg, line := yamlMessage(err)
	col := 1
	if l, c, ok := syntaxPos(data, msg); ok {
		line, col = l, c
	}
	p.diags = append(p.diags, Diagnostic{SeverityError, Pos{p.file, max(line, 1), col}, "invalid YAML: " + msg})
}

// syntaxPos returns the position of the YAML syntax error msg in data: the
// first line L such that lines 1..L alone already fail with msg (found by
// bisection, so O(log n) parses), and the column of that line's first
// non-blank character. ok is false when no such line is found (then the
// caller keeps yaml.v3's line).
//
// Hand-written rather than another YAML library: yaml.v3 keeps the
// problem's exact mark internal, and the parse above must stay yaml.v3's.
func syntaxPos(data []byte, msg string) (line, col int, ok bool) {
	lines := bytes.SplitAfter(data, []byte("\n"))
	ends := make([]int, len(lines))
	n := 0
	for i, l := range lines {
		n += len(l)
		ends[i] = n
	}
	i := sort.Search(len(lines), func(i int) bool { return yamlProblem(data[:ends[i]]) == msg })
	if i == len(lines) {
		return 0, 0, false
	}
	text := bytes.TrimRight(lines[i], "\r\n")
	col = 1
	if trimmed := bytes.TrimLeft(text, " "); len(trimmed) > 0 {
		col = len(text) - len(trimmed) + 1
	}
	return i + 1, col, true
}

// yamlProblem returns the message of the first YAML syntax error in data
// (every document), or "" when data is well-formed YAML or yaml.v3 panics.
func yamlProblem(data []byte) (msg string) {
	defer func() {
		if recover() != nil {
			msg = ""
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return ""
			}
			msg, _ = yamlMessage(err)
			return msg
		}
	}
}
