// Package serde decodes and encodes records framed for a Confluent-compatible
// Schema Registry: a magic byte 0, the schema ID (4 bytes, big-endian), for
// Protobuf the message indexes, then the payload in the schema's format.
package serde

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
)

// Registry is what serde needs of a registry client (registry.Client).
type Registry interface {
	SchemaByID(ctx context.Context, id int) (sr.Schema, error)
	SubjectVersion(ctx context.Context, id int) (string, int)
	SchemaByVersion(ctx context.Context, subject string, version int) (sr.SubjectSchema, error)
}

// Decoded is one side (key or value) of a record after decoding.
type Decoded struct {
	// Framed: the bytes start with the magic byte 0 (else they are printed as they are).
	Framed bool
	// JSON is the decoded payload as JSON (nil when Err is set).
	JSON    []byte
	ID      int
	Subject string
	Version int
	Type    sr.SchemaType
	Err     error
}

// Codec decodes (and encodes) framed bytes; compiled schemas are cached by ID.
type Codec struct {
	Reg Registry
	// Subjects: also look up the subject and version of each schema ID (-o json).
	Subjects bool

	mu    sync.Mutex
	byID  map[int]*compiled
	bySub map[string]*compiled
}

type compiled struct {
	once    sync.Once
	id      int
	typ     sr.SchemaType
	avro    avro.Schema
	proto   *protoSchema
	json    *jsonSchema
	subject string
	version int
	err     error
}

// NewCodec returns a codec asking reg.
func NewCodec(reg Registry) *Codec {
	return &Codec{Reg: reg, byID: map[int]*compiled{}, bySub: map[string]*compiled{}}
}

// FrameError is a frame that is cut short.
var errTruncated = errors.New("the frame is truncated: fewer than 5 bytes after the magic byte 0")

// Decode decodes b. Unframed bytes (not starting with 0) come back with
// Framed false; a failure is in Err, never a panic.
func (c *Codec) Decode(ctx context.Context, b []byte) Decoded {
	if len(b) == 0 || b[0] != 0 {
		return Decoded{}
	}
	d := Decoded{Framed: true}
	if len(b) < 5 {
		d.Err = errTruncated
		return d
	}
	d.ID = int(binary.BigEndian.Uint32(b[1:5]))
	cs := c.schema(ctx, d.ID)
	d.Subject, d.Version, d.Type = cs.subject, cs.version, cs.typ
	if cs.err != nil {
		d.Err = cs.err
		return d
	}
	payload := b[5:]
	var err error
	switch cs.typ {
	case sr.TypeAvro:
		var v any
		// avro.Unmarshal takes bytes that end too early for a shorter
		// value (it ignores io.EOF): a Reader of our own does not.
		r := avro.NewReader(nil, 0)
		r.Reset(payload)
		r.ReadVal(cs.avro, &v)
		if err = r.Error; errors.Is(err, io.EOF) {
			err = errors.New("the payload ends too early")
		}
		if err == nil {
			var buf bytes.Buffer
			avroJSON(&buf, cs.avro, v)
			d.JSON = buf.Bytes()
		}
	case sr.TypeJSON:
		d.JSON, err = cs.json.decode(payload)
	case sr.TypeProtobuf:
		d.JSON, err = cs.proto.decode(payload)
	default:
		err = fmt.Errorf("schema type %v is not supported", cs.typ)
	}
	if err != nil {
		d.Err = fmt.Errorf("schema ID %d (%s): the bytes do not decode: %w", d.ID, typeName(cs.typ), err)
		d.JSON = nil
	}
	return d
}

func typeName(t sr.SchemaType) string {
	switch t {
	case sr.TypeAvro:
		return "Avro"
	case sr.TypeJSON:
		return "JSON Schema"
	case sr.TypeProtobuf:
		return "Protobuf"
	}
	return t.String()
}

func (c *Codec) schema(ctx context.Context, id int) *compiled {
	c.mu.Lock()
	cs, ok := c.byID[id]
	if !ok {
		cs = &compiled{id: id}
		c.byID[id] = cs
	}
	c.mu.Unlock()
	cs.once.Do(func() {
		s, err := c.Reg.SchemaByID(ctx, id)
		if err != nil {
			cs.err = err
			return
		}
		if c.Subjects {
			cs.subject, cs.version = c.Reg.SubjectVersion(ctx, id)
		}
		cs.compile(ctx, c.Reg, s)
	})
	return cs
}

func (cs *compiled) compile(ctx context.Context, reg Registry, s sr.Schema) {
	cs.typ = s.Type
	var err error
	switch s.Type {
	case sr.TypeAvro:
		cs.avro, err = parseAvro(ctx, reg, s)
	case sr.TypeJSON:
		cs.json, err = compileJSON(ctx, reg, s)
	case sr.TypeProtobuf:
		cs.proto, err = compileProto(ctx, reg, s)
	default:
		err = fmt.Errorf("schema type %v is not supported", s.Type)
	}
	if err != nil {
		cs.err = fmt.Errorf("schema ID %d (%s) does not compile: %w", cs.id, typeName(s.Type), err)
	}
}

// parseAvro parses an Avro schema after its references (asked of the registry).
func parseAvro(ctx context.Context, reg Registry, s sr.Schema) (avro.Schema, error) {
	cache := &avro.SchemaCache{}
	seen := map[string]bool{}
	var add func(refs []sr.SchemaReference) error
	add = func(refs []sr.SchemaReference) error {
		for _, r := range refs {
			key := fmt.Sprintf("%s\x00%d", r.Subject, r.Version)
			if seen[key] {
				continue
			}
			seen[key] = true
			ref, err := reg.SchemaByVersion(ctx, r.Subject, r.Version)
			if err != nil {
				return fmt.Errorf("reference %s: %w", r.Name, err)
			}
			if err := add(ref.References); err != nil {
				return err
			}
			if _, err := avro.ParseWithCache(ref.Schema.Schema, "", cache); err != nil {
				return fmt.Errorf("reference %s: %w", r.Name, err)
			}
		}
		return nil
	}
	if err := add(s.References); err != nil {
		return nil, err
	}
	return avro.ParseWithCache(s.Schema, "", cache)
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
