package records

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Encoder appends one record, as it is printed, to a buffer. It returns the
// extended buffer; it neither fails nor allocates beyond the buffer's growth.
type Encoder interface {
	Append(dst []byte, r *kgo.Record) []byte
}

// FormatHelp describes the -f placeholders (kcat's).
const FormatHelp = `%t topic, %p partition, %o offset, %k key, %s value, %h headers (k=v,k=v), ` +
	`%T timestamp (ms since the epoch), %K key length, %S value length, %% a percent sign; ` +
	`\n newline, \t tab, \r carriage return, \\ backslash`

// field is one piece of a compiled text format.
type field byte

const (
	fLiteral field = iota
	fTopic
	fPartition
	fOffset
	fKey
	fValue
	fHeaders
	fTimestamp
	fKeyLen
	fValueLen
)

type piece struct {
	f   field
	lit []byte
}

// TextFormat is a compiled -f format.
type TextFormat struct{ pieces []piece }

// DefaultFormat prints the value, one per line.
const DefaultFormat = `%s\n`

// ParseFormat compiles a kcat-style -f format. It returns an error naming the
// unknown placeholder or escape and listing the accepted ones.
func ParseFormat(s string) (*TextFormat, error) {
	var tf TextFormat
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			tf.pieces = append(tf.pieces, piece{f: fLiteral, lit: lit})
			lit = nil
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '%':
			if i+1 == len(s) {
				return nil, fmt.Errorf("format '%s' ends with a lone %%: write %%%% for a percent sign; placeholders: %s", s, FormatHelp)
			}
			i++
			var f field
			switch s[i] {
			case '%':
				lit = append(lit, '%')
				continue
			case 't':
				f = fTopic
			case 'p':
				f = fPartition
			case 'o':
				f = fOffset
			case 'k':
				f = fKey
			case 's':
				f = fValue
			case 'h':
				f = fHeaders
			case 'T':
				f = fTimestamp
			case 'K':
				f = fKeyLen
			case 'S':
				f = fValueLen
			default:
				return nil, fmt.Errorf("format '%s': unknown placeholder %%%c; placeholders: %s", s, s[i], FormatHelp)
			}
			flush()
			tf.pieces = append(tf.pieces, piece{f: f})
		case '\\':
			if i+1 == len(s) {
				lit = append(lit, '\\')
				continue
			}
			i++
			switch s[i] {
			case 'n':
				lit = append(lit, '\n')
			case 't':
				lit = append(lit, '\t')
			case 'r':
				lit = append(lit, '\r')
			case '\\':
				lit = append(lit, '\\')
			case '0':
				lit = append(lit, 0)
			default:
				return nil, fmt.Errorf("format '%s': unknown escape \\%c; escapes: \\n \\t \\r \\\\ \\0", s, s[i])
			}
		default:
			lit = append(lit, c)
		}
	}
	flush()
	return &tf, nil
}

// String returns the placeholders of the format, for tests.
func (tf *TextFormat) String() string {
	var b strings.Builder
	for _, p := range tf.pieces {
		if p.f == fLiteral {
			b.WriteString(strconv.Quote(string(p.lit)))
		} else {
			fmt.Fprintf(&b, "<%d>", p.f)
		}
	}
	return b.String()
}

// Append implements Encoder.
func (tf *TextFormat) Append(dst []byte, r *kgo.Record) []byte {
	for i := range tf.pieces {
		p := &tf.pieces[i]
		switch p.f {
		case fLiteral:
			dst = append(dst, p.lit...)
		case fTopic:
			dst = append(dst, r.Topic...)
		case fPartition:
			dst = strconv.AppendInt(dst, int64(r.Partition), 10)
		case fOffset:
			dst = strconv.AppendInt(dst, r.Offset, 10)
		case fKey:
			dst = append(dst, r.Key...)
		case fValue:
			dst = append(dst, r.Value...)
		case fHeaders:
			for j, h := range r.Headers {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, h.Key...)
				dst = append(dst, '=')
				dst = append(dst, h.Value...)
			}
		case fTimestamp:
			dst = strconv.AppendInt(dst, r.Timestamp.UnixMilli(), 10)
		case fKeyLen:
			if r.Key == nil {
				dst = append(dst, "-1"...)
			} else {
				dst = strconv.AppendInt(dst, int64(len(r.Key)), 10)
			}
		case fValueLen:
			if r.Value == nil {
				dst = append(dst, "-1"...)
			} else {
				dst = strconv.AppendInt(dst, int64(len(r.Value)), 10)
			}
		}
	}
	return dst
}

// JSON prints a record as one JSON object per line:
//
//	{"topic":"t","partition":0,"offset":7,"timestamp":"2026-01-02T15:04:05.123Z",
//	 "key":"k","value":"v","headers":[{"key":"h","value":"x"}]}
//
// A null key or value is null. Bytes that are not valid UTF-8 are written
// in standard base64 and flagged: "keyEncoding":"base64",
// "valueEncoding":"base64", and "valueEncoding":"base64" in a header.
type JSON struct{}

// Append implements Encoder.
func (JSON) Append(dst []byte, r *kgo.Record) []byte {
	dst = append(dst, `{"topic":`...)
	dst = appendJSONString(dst, validString(r.Topic))
	dst = append(dst, `,"partition":`...)
	dst = strconv.AppendInt(dst, int64(r.Partition), 10)
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendInt(dst, r.Offset, 10)
	dst = append(dst, `,"timestamp":"`...)
	dst = r.Timestamp.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
	dst = append(dst, '"')
	dst = appendBytesField(dst, "key", r.Key)
	dst = appendBytesField(dst, "value", r.Value)
	dst = append(dst, `,"headers":[`...)
	for i := range r.Headers {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"key":`...)
		dst = appendJSONString(dst, validString(r.Headers[i].Key))
		dst = appendBytesField(dst, "value", r.Headers[i].Value)
		dst = append(dst, '}')
	}
	dst = append(dst, "]}\n"...)
	return dst
}

// appendBytesField appends ,"name":VALUE, VALUE being null, a JSON string,
// or base64 followed by ,"nameEncoding":"base64" when b is not UTF-8.
func appendBytesField(dst []byte, name string, b []byte) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	switch {
	case b == nil:
		return append(dst, "null"...)
	case utf8.Valid(b):
		return appendJSONString(dst, b)
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	dst = append(dst, `","`...)
	dst = append(dst, name...)
	return append(dst, `Encoding":"base64"`...)
}

const hexDigits = "0123456789abcdef"

// validString returns s with any invalid UTF-8 replaced by U+FFFD (header
// keys are strings in Kafka, so they are not base64-encoded).
func validString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\ufffd")
}

// appendJSONString appends s, valid UTF-8, as a JSON string. Control
// characters, quotes and backslashes are escaped, and U+2028/U+2029 too (as
// encoding/json does), so that any line is a JavaScript-safe JSON value.
func appendJSONString[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x80 {
			i++
			continue
		}
		if c >= 0x80 {
			if c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9) {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\u202`...)
				dst = append(dst, hexDigits[s[i+2]&0xf])
				i += 3
				start = i
				continue
			}
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
