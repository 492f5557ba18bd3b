package serde

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/bufbuild/protocompile"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// protoSchema is a compiled .proto file (with its imports resolved from the
// schema's references).
type protoSchema struct {
	file protoreflect.FileDescriptor
}

const protoRoot = "kctl-schema.proto"

func compileProto(ctx context.Context, reg Registry, s sr.Schema) (*protoSchema, error) {
	files := map[string]string{protoRoot: s.Schema}
	seen := map[string]bool{}
	var add func(refs []sr.SchemaReference) error
	add = func(refs []sr.SchemaReference) error {
		for _, r := range refs {
			if seen[r.Name] {
				continue
			}
			seen[r.Name] = true
			ref, err := reg.SchemaByVersion(ctx, r.Subject, r.Version)
			if err != nil {
				return fmt.Errorf("import %s: %w", r.Name, err)
			}
			files[r.Name] = ref.Schema.Schema
			if err := add(ref.References); err != nil {
				return err
			}
		}
		return nil
	}
	if err := add(s.References); err != nil {
		return nil, err
	}
	comp := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
			Accessor: protocompile.SourceAccessorFromMap(files),
		}),
	}
	fds, err := comp.Compile(ctx, protoRoot)
	if err != nil {
		return nil, err
	}
	return &protoSchema{file: fds[0]}, nil
}

// decode reads the message indexes (Confluent's: a zigzag varint count, then
// the indexes; a count of 0 means the first message) and the message.
func (p *protoSchema) decode(b []byte) ([]byte, error) {
	md, rest, err := p.message(b)
	if err != nil {
		return nil, err
	}
	m := dynamicpb.NewMessage(md)
	if err := proto.Unmarshal(rest, m); err != nil {
		return nil, fmt.Errorf("message %s: %w", md.FullName(), err)
	}
	b, err = protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil { // protojson varies its spacing on purpose
		return nil, err
	}
	return buf.Bytes(), nil
}

func (p *protoSchema) message(b []byte) (protoreflect.MessageDescriptor, []byte, error) {
	n, sz := binary.Varint(b)
	if sz <= 0 {
		return nil, nil, errors.New("the message indexes are truncated")
	}
	b = b[sz:]
	idx := []int64{0}
	if n > 0 {
		if n > 64 {
			return nil, nil, fmt.Errorf("%d message indexes: not a Protobuf frame", n)
		}
		idx = idx[:0]
		for i := int64(0); i < n; i++ {
			v, sz := binary.Varint(b)
			if sz <= 0 {
				return nil, nil, errors.New("the message indexes are truncated")
			}
			idx = append(idx, v)
			b = b[sz:]
		}
	}
	msgs := p.file.Messages()
	var md protoreflect.MessageDescriptor
	for _, i := range idx {
		if i < 0 || int(i) >= msgs.Len() {
			return nil, nil, fmt.Errorf("message index %v is not in the schema", idx)
		}
		md = msgs.Get(int(i))
		msgs = md.Messages()
	}
	return md, b, nil
}
