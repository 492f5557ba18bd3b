package serde

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"unicode/utf8"

	"github.com/kctl/kctl/internal/feature/records"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Printer is a records.Encoder that decodes framed keys and values first.
// With JSON set it writes consume -o json's line with the decoded key and
// value as JSON values and "keySchema"/"valueSchema" ({"schemaId", "subject",
// "version"}); otherwise it hands Inner the record with its key and value
// replaced by their JSON. A side that does not decode is printed in base64,
// noted on Notes and counted; it never stops the run.
type Printer struct {
	Ctx   context.Context
	Codec *Codec
	Inner records.Encoder
	JSON  bool
	Notes io.Writer

	undecodable atomic.Int64
}

// Undecodable is the number of records with a side that did not decode.
func (p *Printer) Undecodable() int64 { return p.undecodable.Load() }

// Append implements records.Encoder.
func (p *Printer) Append(dst []byte, r *kgo.Record) []byte {
	k := p.Codec.Decode(p.Ctx, r.Key)
	v := p.Codec.Decode(p.Ctx, r.Value)
	bad := false
	for _, side := range []struct {
		name string
		d    Decoded
	}{{"key", k}, {"value", v}} {
		if side.d.Err != nil {
			bad = true
			if p.Notes != nil {
				fmt.Fprintf(p.Notes, "note: %s/%d@%d: %s: %v: printed raw (base64)\n", r.Topic, r.Partition, r.Offset, side.name, side.d.Err)
			}
		}
	}
	if bad {
		p.undecodable.Add(1)
	}
	if p.JSON {
		return appendJSON(dst, r, k, v)
	}
	cp := *r
	cp.Key, cp.Value = textSide(r.Key, k), textSide(r.Value, v)
	return p.Inner.Append(dst, &cp)
}

func textSide(raw []byte, d Decoded) []byte {
	switch {
	case !d.Framed:
		return raw
	case d.Err != nil:
		return base64.StdEncoding.AppendEncode(nil, raw)
	}
	return d.JSON
}

func appendJSON(dst []byte, r *kgo.Record, k, v Decoded) []byte {
	dst = append(dst, `{"topic":`...)
	dst = appendString(dst, r.Topic)
	dst = append(dst, `,"partition":`...)
	dst = strconv.AppendInt(dst, int64(r.Partition), 10)
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendInt(dst, r.Offset, 10)
	dst = append(dst, `,"timestamp":"`...)
	dst = r.Timestamp.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
	dst = append(dst, '"')
	dst = appendSide(dst, "key", r.Key, k)
	dst = appendSide(dst, "value", r.Value, v)
	dst = append(dst, `,"headers":[`...)
	for i, h := range r.Headers {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"key":`...)
		dst = appendString(dst, h.Key)
		dst = appendBytes(dst, "value", h.Value)
		dst = append(dst, '}')
	}
	return append(dst, "]}\n"...)
}

func appendSide(dst []byte, name string, raw []byte, d Decoded) []byte {
	if !d.Framed {
		return appendBytes(dst, name, raw)
	}
	if d.Err == nil {
		dst = append(dst, ',', '"')
		dst = append(dst, name...)
		dst = append(dst, `":`...)
		dst = append(dst, d.JSON...)
	} else {
		dst = append(dst, ',', '"')
		dst = append(dst, name...)
		dst = append(dst, `":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, raw)
		dst = append(dst, `","`...)
		dst = append(dst, name...)
		dst = append(dst, `Encoding":"base64","`...)
		dst = append(dst, name...)
		dst = append(dst, `Error":`...)
		dst = appendString(dst, d.Err.Error())
	}
	if d.ID != 0 || d.Err == nil {
		dst = append(dst, ',', '"')
		dst = append(dst, name...)
		dst = append(dst, `Schema":{"schemaId":`...)
		dst = strconv.AppendInt(dst, int64(d.ID), 10)
		if d.Subject != "" {
			dst = append(dst, `,"subject":`...)
			dst = appendString(dst, d.Subject)
			dst = append(dst, `,"version":`...)
			dst = strconv.AppendInt(dst, int64(d.Version), 10)
		}
		dst = append(dst, '}')
	}
	return dst
}

func appendBytes(dst []byte, name string, b []byte) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, `":`...)
	switch {
	case b == nil:
		return append(dst, "null"...)
	case utf8.Valid(b):
		return appendString(dst, string(b))
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	dst = append(dst, `","`...)
	dst = append(dst, name...)
	return append(dst, `Encoding":"base64"`...)
}

func appendString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s)
	return append(dst, b...)
}
