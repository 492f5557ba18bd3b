package records

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func testRecord() *kgo.Record {
	return &kgo.Record{
		Topic: "user.signed-up", Partition: 2, Offset: 42,
		Timestamp: time.UnixMilli(1767366245123),
		Key:       []byte("k1"), Value: []byte(`{"a":1}`),
		Headers: []kgo.RecordHeader{{Key: "src", Value: []byte("ops")}, {Key: "n", Value: []byte("2")}},
	}
}

func TestTextFormat(t *testing.T) {
	tests := []struct {
		format string
		r      *kgo.Record
		want   string
	}{
		{DefaultFormat, testRecord(), "{\"a\":1}\n"},
		{`%t %p %o %k %s %h %T\n`, testRecord(), "user.signed-up 2 42 k1 {\"a\":1} src=ops,n=2 1767366245123\n"},
		{`%K %S|%k|\t%%\\\r`, &kgo.Record{Value: []byte("abc")}, "-1 3||\t%\\\r"},
		{`%K`, &kgo.Record{Key: []byte{}}, "0"},
		{`[%h]`, &kgo.Record{}, "[]"},
		{`%s\0`, &kgo.Record{Value: []byte("v")}, "v\x00"},
		{`trailing\`, &kgo.Record{}, `trailing\`},
	}
	for _, tc := range tests {
		tf, err := ParseFormat(tc.format)
		if err != nil {
			t.Fatalf("%q: %v", tc.format, err)
		}
		if got := string(tf.Append(nil, tc.r)); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.format, got, tc.want)
		}
	}
	for _, bad := range []struct{ format, want string }{
		{`%x`, "unknown placeholder %x; placeholders: %t topic"},
		{`abc%`, "ends with a lone %"},
		{`\q`, `unknown escape \q`},
	} {
		_, err := ParseFormat(bad.format)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: err %v, want %q", bad.format, err, bad.want)
		}
	}
}

type jsonRecord struct {
	Topic         string  `json:"topic"`
	Partition     int32   `json:"partition"`
	Offset        int64   `json:"offset"`
	Timestamp     string  `json:"timestamp"`
	Key           *string `json:"key"`
	KeyEncoding   string  `json:"keyEncoding"`
	Value         *string `json:"value"`
	ValueEncoding string  `json:"valueEncoding"`
	Headers       []struct {
		Key           string `json:"key"`
		Value         string `json:"value"`
		ValueEncoding string `json:"valueEncoding"`
	} `json:"headers"`
}

func TestJSON(t *testing.T) {
	got := string(JSON{}.Append(nil, testRecord()))
	want := `{"topic":"user.signed-up","partition":2,"offset":42,"timestamp":"2026-01-02T15:04:05.123Z","key":"k1","value":"{\"a\":1}","headers":[{"key":"src","value":"ops"},{"key":"n","value":"2"}]}` + "\n"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}

	// Bytes that are not UTF-8 are base64 and flagged; null is null;
	// every character that needs escaping round-trips through encoding/json.
	bin := []byte{0xff, 0x00, 0xfe, 'a'}
	text := "tab\t nl\n quote\" back\\ ctl\x01 del\x7f é 한 \u2028 \u2029 <&>"
	r := &kgo.Record{Topic: "t", Timestamp: time.UnixMilli(0), Key: nil, Value: bin,
		Headers: []kgo.RecordHeader{{Key: "h", Value: bin}, {Key: "x", Value: []byte(text)}, {Key: "bad\xffkey", Value: nil}}}
	line := JSON{}.Append(nil, r)
	if strings.Count(string(line), "\n") != 1 || line[len(line)-1] != '\n' {
		t.Fatalf("not one line: %q", line)
	}
	var jr jsonRecord
	if err := json.Unmarshal(line, &jr); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	if jr.Key != nil || jr.KeyEncoding != "" {
		t.Errorf("null key: %+v", jr)
	}
	if jr.ValueEncoding != "base64" || *jr.Value != base64.StdEncoding.EncodeToString(bin) {
		t.Errorf("binary value: %+v", jr)
	}
	if jr.Headers[0].ValueEncoding != "base64" || jr.Headers[0].Value != base64.StdEncoding.EncodeToString(bin) {
		t.Errorf("binary header: %+v", jr.Headers[0])
	}
	if jr.Headers[1].Value != text || jr.Headers[1].ValueEncoding != "" {
		t.Errorf("text header: %q", jr.Headers[1].Value)
	}
	if jr.Headers[2].Key != "bad\ufffdkey" {
		t.Errorf("invalid header key: %q", jr.Headers[2].Key)
	}
	if !strings.Contains(string(line), `\u2028 \u2029`) {
		t.Errorf("U+2028/9 not escaped: %s", line)
	}
	if jr.Timestamp != "1970-01-01T00:00:00.000Z" {
		t.Errorf("timestamp %q", jr.Timestamp)
	}
}

func TestParseFrom(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		kind FromKind
		off  int64
		at   time.Time
		err  string
	}{
		{in: "beginning", kind: FromBeginning},
		{in: "END", kind: FromEnd},
		{in: "stored", kind: FromStored},
		{in: "42", kind: FromOffset, off: 42},
		{in: "0", kind: FromOffset, off: 0},
		{in: "-10", kind: FromTail, off: 10},
		{in: "-0", kind: FromEnd},
		{in: "2026-01-02T14:00:00Z", kind: FromTime, at: now.Add(-time.Hour)},
		{in: "2026-01-02T23:00:00+09:00", kind: FromTime, at: now.Add(-time.Hour)},
		{in: "-1h", kind: FromTime, at: now.Add(-time.Hour)},
		{in: "1h30m", kind: FromTime, at: now.Add(-90 * time.Minute)},
		{in: "-7d", kind: FromTime, at: now.Add(-7 * 24 * time.Hour)},
		{in: "-1.5h", kind: FromTime, at: now.Add(-90 * time.Minute)},
		{in: "soon", err: `--from "soon" is not understood: give beginning, end, stored`},
		{in: "2026-01-02T14:00:00", kind: FromTime, at: now.Add(-time.Hour)}, // no zone: UTC
		{in: "2026-01-02", kind: FromTime, at: now.Add(-15 * time.Hour)},
		{in: "1d12h", kind: FromTime, at: now.Add(-36 * time.Hour)},
		{in: "2026-13-01T00:00:00Z", err: `--from "2026-13-01T00:00:00Z" is not understood: give beginning, end, stored, an offset (42), -N (the last N records of each partition), or an RFC 3339 time`},
		{in: "7days", err: `--from "7days" is not understood`},
		{in: "", err: "--from is empty"},
	}
	for _, tc := range tests {
		f, err := ParseFrom(tc.in, now)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if f.Kind != tc.kind || f.Offset != tc.off || !f.Time.Equal(tc.at) {
			t.Errorf("%q: got %+v, want kind %d offset %d time %s", tc.in, f, tc.kind, tc.off, tc.at)
		}
	}
}

func TestParseSeparator(t *testing.T) {
	for in, want := range map[string]string{`\t`: "\t", ":": ":", `a\\b`: `a\b`, `\0`: "\x00", `\x`: `\x`, `\`: `\`, "::": "::"} {
		if got := string(ParseSeparator(in)); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestParsePartitionsAndHeaders(t *testing.T) {
	ps, err := ParsePartitions([]string{"0,2", "5"})
	if err != nil || len(ps) != 3 || ps[0] != 0 || ps[1] != 2 || ps[2] != 5 {
		t.Fatalf("%v %v", ps, err)
	}
	if _, err := ParsePartitions([]string{"x"}); err == nil || !strings.Contains(err.Error(), `--partition "x"`) {
		t.Errorf("err %v", err)
	}
	if _, err := ParsePartitions([]string{"-1"}); err == nil {
		t.Error("-1 accepted")
	}
	hs, err := ParseHeaders([]string{"a=1", "b=x=y", "c="})
	if err != nil || len(hs) != 3 || string(hs[1].Value) != "x=y" || hs[2].Value == nil || len(hs[2].Value) != 0 {
		t.Fatalf("%+v %v", hs, err)
	}
	for _, bad := range []string{"novalue", "=v"} {
		if _, err := ParseHeaders([]string{bad}); err == nil || !strings.Contains(err.Error(), "key=value") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func BenchmarkTextFormat(b *testing.B) {
	tf, _ := ParseFormat(`%t %p %o %k %s %h %T\n`)
	r := testRecord()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = tf.Append(buf[:0], r)
	}
}

func BenchmarkJSON(b *testing.B) {
	r := testRecord()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = JSON{}.Append(buf[:0], r)
	}
}
