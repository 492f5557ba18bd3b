package serde

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"time"

	"github.com/hamba/avro/v2"
)

// avroJSON writes v, decoded with schema s, as JSON: records with their
// fields in schema order, unions of named types as {"Name": value} (Avro's
// JSON encoding), primitive unions unwrapped, bytes and fixed as base64, and
// logical types readable: timestamps RFC 3339 in UTC, dates 2006-01-02,
// decimals as a decimal string ("123.45"), uuids as strings.
func avroJSON(buf *bytes.Buffer, s avro.Schema, v any) {
	if v == nil {
		buf.WriteString("null")
		return
	}
	switch s := s.(type) {
	case *avro.RefSchema:
		avroJSON(buf, s.Schema(), v)
		return
	case *avro.RecordSchema:
		m, ok := v.(map[string]any)
		if !ok {
			break
		}
		buf.WriteByte('{')
		for i, f := range s.Fields() {
			if i > 0 {
				buf.WriteByte(',')
			}
			k, _ := json.Marshal(f.Name())
			buf.Write(k)
			buf.WriteByte(':')
			avroJSON(buf, f.Type(), m[f.Name()])
		}
		buf.WriteByte('}')
		return
	case *avro.UnionSchema:
		if m, ok := v.(map[string]any); ok && len(m) == 1 {
			for name, inner := range m {
				for _, t := range s.Types() {
					if n, ok := t.(avro.NamedSchema); ok && n.FullName() == name {
						k, _ := json.Marshal(name)
						buf.WriteByte('{')
						buf.Write(k)
						buf.WriteByte(':')
						avroJSON(buf, t, inner)
						buf.WriteByte('}')
						return
					}
				}
			}
		}
		for _, t := range s.Types() {
			if t.Type() != avro.Null {
				avroJSON(buf, t, v)
				return
			}
		}
	case *avro.ArraySchema:
		if a, ok := v.([]any); ok {
			buf.WriteByte('[')
			for i, e := range a {
				if i > 0 {
					buf.WriteByte(',')
				}
				avroJSON(buf, s.Items(), e)
			}
			buf.WriteByte(']')
			return
		}
	case *avro.MapSchema:
		if m, ok := v.(map[string]any); ok {
			buf.WriteByte('{')
			for i, k := range sortedKeys(m) {
				if i > 0 {
					buf.WriteByte(',')
				}
				kb, _ := json.Marshal(k)
				buf.Write(kb)
				buf.WriteByte(':')
				avroJSON(buf, s.Values(), m[k])
			}
			buf.WriteByte('}')
			return
		}
	case *avro.PrimitiveSchema:
		if ls := s.Logical(); ls != nil {
			switch ls.Type() {
			case avro.Date:
				if t, ok := v.(time.Time); ok {
					writeJSON(buf, t.UTC().Format("2006-01-02"))
					return
				}
			case avro.Decimal:
				if r, ok := v.(*big.Rat); ok {
					if d, ok := ls.(*avro.DecimalLogicalSchema); ok {
						writeJSON(buf, r.FloatString(d.Scale()))
						return
					}
				}
			}
		}
	case *avro.FixedSchema:
		if ls := s.Logical(); ls != nil && ls.Type() == avro.Decimal {
			if r, ok := v.(*big.Rat); ok {
				if d, ok := ls.(*avro.DecimalLogicalSchema); ok {
					writeJSON(buf, r.FloatString(d.Scale()))
					return
				}
			}
		}
	}
	switch x := v.(type) {
	case time.Time:
		writeJSON(buf, x.UTC().Format(time.RFC3339Nano))
	case time.Duration:
		writeJSON(buf, x.String())
	case []byte:
		writeJSON(buf, base64.StdEncoding.EncodeToString(x))
	case *big.Rat:
		writeJSON(buf, x.FloatString(10))
	default:
		writeJSON(buf, v)
	}
}

func writeJSON(buf *bytes.Buffer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(err.Error())
	}
	buf.Write(b)
}
