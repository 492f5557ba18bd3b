package serde

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Target is a schema records are encoded in: its ID and compiled form.
type Target struct {
	ID      int
	Subject string
	Version int
	Type    sr.SchemaType
	cs      *compiled
}

// TargetBySubject returns SUBJECT's version (-1: the latest), compiled.
func (c *Codec) TargetBySubject(ctx context.Context, subject string, version int) (*Target, error) {
	ss, err := c.Reg.SchemaByVersion(ctx, subject, version)
	if err != nil {
		return nil, err
	}
	cs := &compiled{id: ss.ID}
	cs.compile(ctx, c.Reg, ss.Schema)
	if cs.err != nil {
		return nil, cs.err
	}
	return &Target{ID: ss.ID, Subject: ss.Subject, Version: ss.Version, Type: ss.Type, cs: cs}, nil
}

// SchemaFile reads a schema file; its type comes from the extension:
// .avsc Avro, .json JSON Schema, .proto Protobuf.
func SchemaFile(path string) (sr.Schema, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return sr.Schema{}, err
	}
	s := sr.Schema{Schema: string(b)}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".avsc", ".avro":
		s.Type = sr.TypeAvro
	case ".json":
		s.Type = sr.TypeJSON
	case ".proto":
		s.Type = sr.TypeProtobuf
	default:
		return s, fmt.Errorf("%s: the schema type comes from the extension: .avsc (Avro), .json (JSON Schema) or .proto (Protobuf)", path)
	}
	return s, nil
}

// TargetByFile returns the schema of file as registered under subject
// (POST /subjects/SUBJECT); with register it registers it when it is not.
func (c *Codec) TargetByFile(ctx context.Context, rc *sr.Client, subject, path string, register bool) (*Target, error) {
	s, err := SchemaFile(path)
	if err != nil {
		return nil, err
	}
	cs := &compiled{}
	cs.compile(ctx, c.Reg, s)
	if cs.err != nil {
		return nil, fmt.Errorf("%s: %w", path, errors.Unwrap(cs.err))
	}
	ss, err := rc.LookupSchema(ctx, subject, s)
	if err != nil {
		var re *sr.ResponseError
		if !errors.As(err, &re) || re.StatusCode != 404 {
			return nil, fmt.Errorf("look up %s under subject %s: %w", path, subject, err)
		}
		if !register {
			return nil, fmt.Errorf("%s is not registered under subject %s: add --register to register it", path, subject)
		}
		if ss, err = rc.CreateSchema(ctx, subject, s); err != nil {
			return nil, fmt.Errorf("register %s under subject %s: %w", path, subject, err)
		}
	}
	cs.id = ss.ID
	return &Target{ID: ss.ID, Subject: subject, Version: ss.Version, Type: s.Type, cs: cs}, nil
}

// Encode validates a JSON document against the schema, encodes it and
// frames it (magic 0, the ID, for Protobuf the message indexes [0]).
func (t *Target) Encode(doc []byte) ([]byte, error) {
	out := make([]byte, 5, 5+len(doc))
	binary.BigEndian.PutUint32(out[1:5], uint32(t.ID))
	switch t.Type {
	case sr.TypeAvro:
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("not JSON: %w", err)
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return nil, errors.New("not JSON: more after the value")
		}
		cv, err := fromJSON(t.cs.avro, v, "$")
		if err != nil {
			return nil, err
		}
		b, err := avro.Marshal(t.cs.avro, cv)
		if err != nil {
			return nil, err
		}
		return append(out, b...), nil
	case sr.TypeJSON:
		b, err := t.cs.json.validate(doc)
		if err != nil {
			return nil, err
		}
		return append(out, b...), nil
	case sr.TypeProtobuf:
		msgs := t.cs.proto.file.Messages()
		if msgs.Len() == 0 {
			return nil, errors.New("the .proto defines no message")
		}
		m := dynamicpb.NewMessage(msgs.Get(0))
		if err := protojson.Unmarshal(doc, m); err != nil {
			return nil, err
		}
		b, err := proto.Marshal(m)
		if err != nil {
			return nil, err
		}
		out = append(out, 0) // message indexes [0]
		return append(out, b...), nil
	}
	return nil, fmt.Errorf("schema type %v is not supported", t.Type)
}
