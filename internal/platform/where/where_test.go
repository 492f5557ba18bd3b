package where

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func rec(key, value string, hdr ...string) *kgo.Record {
	r := &kgo.Record{Topic: "t", Partition: 1, Offset: 7, Key: []byte(key), Value: []byte(value), Timestamp: time.UnixMilli(1_700_000_000_000)}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: hdr[i], Value: []byte(hdr[i+1])})
	}
	return r
}

func TestCompileErrorColumn(t *testing.T) {
	for _, tc := range []struct {
		expr string
		col  int
		msg  string
	}{
		{`value.email.endsWith("@x" &&`, 29, "Syntax error"},
		{`nokey == "a"`, 1, "undeclared reference to 'nokey'"},
		{`partition + 1`, 1, "not a condition"},
		{`offset == "x"`, 8, "no matching overload"},
		{``, 1, "empty"},
	} {
		_, err := Compile(tc.expr)
		var ce *CompileError
		if !errors.As(err, &ce) {
			t.Fatalf("%q: err = %v, want *CompileError", tc.expr, err)
		}
		if ce.Column != tc.col || !strings.Contains(ce.Message, tc.msg) {
			t.Errorf("%q: column %d message %q, want column %d and %q", tc.expr, ce.Column, ce.Message, tc.col, tc.msg)
		}
		if tc.expr != "" && !strings.Contains(ce.Error(), strings.Repeat(" ", tc.col-1)+"^") {
			t.Errorf("%q: no caret under column %d:\n%s", tc.expr, tc.col, ce.Error())
		}
	}
}

func TestMatch(t *testing.T) {
	r := rec("k1", `{"email":"a@test.com","user":{"age":30}}`, "kafka_dlt-exception-fqcn", "java.lang.X")
	for _, tc := range []struct {
		expr    string
		want    bool
		wantErr bool
	}{
		{`value.email.endsWith("@test.com") && headers["kafka_dlt-exception-fqcn"] != ""`, true, false},
		{`value.user.age > 18.0 && key == "k1"`, true, false},
		{`value.user.age == 30`, true, false},
		{`topic == "t" && partition == 1 && offset == 7`, true, false},
		{`timestamp > timestamp("2023-01-01T00:00:00Z")`, true, false},
		{`value.email.endsWith("@prod.com")`, false, false},
		{`value.nope == "x"`, false, true},        // missing field: evaluation error
		{`headers["absent"] == "x"`, false, true}, // missing header
		{`"absent" in headers || value.user.age > 0`, true, false},
	} {
		p, err := Compile(tc.expr)
		if err != nil {
			t.Fatalf("%q: %v", tc.expr, err)
		}
		got, err := p.Match(r)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%q: got %v, %v; want %v, error %v", tc.expr, got, err, tc.want, tc.wantErr)
		}
	}
	// A value that is not JSON is a string; a non-UTF-8 one is bytes.
	p, _ := Compile(`value.startsWith("plain")`)
	if ok, err := p.Match(rec("", "plain text")); !ok || err != nil {
		t.Errorf("plain value: %v %v", ok, err)
	}
	if ok, err := p.Match(rec("", "\xff\xfe")); ok || err == nil {
		t.Errorf("bytes value: %v %v, want an evaluation error", ok, err)
	}
	// The decoder hook sees the bytes first.
	p2 := p.WithDecoder(func(_ string, isKey bool, b []byte) (any, bool) {
		if isKey {
			return nil, false
		}
		return "plain-decoded", true
	})
	if ok, _ := p2.Match(rec("", "\x00\x00\x00\x00\x01avro")); !ok {
		t.Error("decoder hook not used")
	}
}

func TestCounts(t *testing.T) {
	var c Counts
	c.Add(true, nil)
	c.Add(false, errors.New("boom"))
	c.Add(false, nil)
	if got := c.Summary(0); got != "--where: scanned 3, matched 1, 1 could not be evaluated (first: boom)" {
		t.Error(got)
	}
}
