// Package where compiles and evaluates the record filters of kctl
// consume --where and kctl dlt replay --where: one CEL expression
// (cel.dev/cel-go) over a record's key, value, headers, topic,
// partition, offset and timestamp.
package where

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Decoder turns a key's or value's bytes into the value the expression
// sees. It returns ok=false to fall back to the default (JSON when the
// bytes parse as JSON, else a string when UTF-8, else bytes). It is the
// hook where schema-registry decoding plugs in.
type Decoder func(topic string, isKey bool, b []byte) (v any, ok bool)

// CompileError is an expression that does not compile: the first
// problem's 1-based line and column, its message, and the expression
// with a caret under the column.
type CompileError struct {
	Expr    string
	Line    int
	Column  int
	Message string
	Snippet string
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("--where: column %d: %s\n%s", e.Column, e.Message, e.Snippet)
}

// Predicate is a compiled --where expression. It is safe for concurrent use.
type Predicate struct {
	Expr    string
	prg     cel.Program
	decoder Decoder
}

// Vars are the variables an expression may use, with their types (for docs
// and errors).
var Vars = []string{"key", "value", "headers", "topic", "partition", "offset", "timestamp"}

func newEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("key", cel.DynType),
		cel.Variable("value", cel.DynType),
		cel.Variable("headers", cel.MapType(cel.StringType, cel.StringType)),
		cel.Variable("topic", cel.StringType),
		cel.Variable("partition", cel.IntType),
		cel.Variable("offset", cel.IntType),
		cel.Variable("timestamp", cel.TimestampType),
	)
}

// Compile compiles expr. It returns a *CompileError pointing at the column
// of the first problem, including an expression that is not a boolean.
func Compile(expr string) (*Predicate, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, &CompileError{Expr: expr, Line: 1, Column: 1, Message: "the expression is empty: give a condition, e.g. --where 'value.email.endsWith(\"@test.com\")'", Snippet: ""}
	}
	env, err := newEnv()
	if err != nil {
		return nil, fmt.Errorf("where: CEL environment: %w", err)
	}
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		e := iss.Errors()[0]
		return nil, compileError(expr, e.Location.Line(), e.Location.Column()+1, e.Message)
	}
	if t := ast.OutputType(); !t.IsExactType(types.BoolType) && !t.IsExactType(types.DynType) {
		return nil, compileError(expr, 1, 1, fmt.Sprintf("the expression is a %s, not a condition: compare it, e.g. %s == \"x\"", t, expr))
	}
	prg, err := env.Program(ast)
	if err != nil {
		return nil, fmt.Errorf("where: %q: %w", expr, err)
	}
	return &Predicate{Expr: expr, prg: prg}, nil
}

func compileError(expr string, line, col int, msg string) *CompileError {
	lines := strings.Split(expr, "\n")
	snippet := ""
	if line >= 1 && line <= len(lines) {
		l := lines[line-1]
		pad := min(max(col-1, 0), utf8.RuneCountInString(l))
		snippet = " | " + l + "\n | " + strings.Repeat(" ", pad) + "^"
	}
	return &CompileError{Expr: expr, Line: line, Column: col, Message: msg, Snippet: snippet}
}

// WithDecoder returns p evaluating keys and values through d first.
func (p *Predicate) WithDecoder(d Decoder) *Predicate {
	q := *p
	q.decoder = d
	return &q
}

// Match evaluates the expression on r. An evaluation error (a missing
// field, a wrong type) is returned with ok false: the record does not match.
func (p *Predicate) Match(r *kgo.Record) (bool, error) {
	headers := make(map[string]string, len(r.Headers))
	for _, h := range r.Headers {
		headers[h.Key] = string(h.Value)
	}
	vars := map[string]any{
		"key":       p.decode(r.Topic, true, r.Key),
		"value":     p.decode(r.Topic, false, r.Value),
		"headers":   headers,
		"topic":     r.Topic,
		"partition": int64(r.Partition),
		"offset":    r.Offset,
		"timestamp": r.Timestamp.UTC(),
	}
	out, _, err := p.prg.Eval(vars)
	if err != nil {
		return false, fmt.Errorf("%s/%d@%d: %w", r.Topic, r.Partition, r.Offset, err)
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("%s/%d@%d: the expression gave %v (%s), not true or false", r.Topic, r.Partition, r.Offset, out.Value(), out.Type())
	}
	return b, nil
}

func (p *Predicate) decode(topic string, isKey bool, b []byte) any {
	if b == nil {
		return nil
	}
	if p.decoder != nil {
		if v, ok := p.decoder(topic, isKey, b); ok {
			return v
		}
	}
	return Default(b)
}

// Default is the value an expression sees for bytes without a decoder:
// the JSON they hold when they parse as JSON, else a string when they are
// UTF-8, else the bytes.
func Default(b []byte) any {
	if json.Valid(b) {
		var v any
		if err := json.Unmarshal(b, &v); err == nil {
			return v
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return b
}

// Counts are a filtered scan's totals: records scanned, matched, and
// those whose evaluation failed (not matched).
type Counts struct {
	Scanned, Matched, Failed int64
	FirstErr                 error
}

// Add counts one evaluation.
func (c *Counts) Add(ok bool, err error) {
	c.Scanned++
	if ok {
		c.Matched++
	}
	if err != nil {
		c.Failed++
		if c.FirstErr == nil {
			c.FirstErr = err
		}
	}
}

// Summary is the line printed at the end of a filtered scan.
func (c Counts) Summary(elapsed time.Duration) string {
	s := fmt.Sprintf("--where: scanned %d, matched %d", c.Scanned, c.Matched)
	if c.Failed > 0 {
		s += fmt.Sprintf(", %d could not be evaluated (first: %v)", c.Failed, c.FirstErr)
	}
	if elapsed > 0 {
		s += fmt.Sprintf(" in %s", elapsed.Round(time.Millisecond))
	}
	return s
}
