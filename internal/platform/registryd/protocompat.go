package registryd

import (
	"context"
	"fmt"
	"net/http"

	"github.com/bufbuild/protocompile"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// compileProto compiles a Protobuf schema with its imports (the references,
// fetched from the registry).
func compileProto(h http.Handler, s sr.Schema) (protoreflect.FileDescriptor, error) {
	const root = "kctl-schema.proto"
	files := map[string]string{root: s.Schema}
	var add func([]sr.SchemaReference) error
	add = func(refs []sr.SchemaReference) error {
		for _, r := range refs {
			if _, ok := files[r.Name]; ok {
				continue
			}
			var ref sr.SubjectSchema
			if _, err := get(h, fmt.Sprintf("/subjects/%s/versions/%d", subjectPath(r.Subject), r.Version), &ref); err != nil {
				return fmt.Errorf("import %s (subject %s version %d): %w", r.Name, r.Subject, r.Version, err)
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
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{Accessor: protocompile.SourceAccessorFromMap(files)})}
	fds, err := c.Compile(context.Background(), root)
	if err != nil {
		return nil, err
	}
	return fds[0], nil
}

// protoCompatible lists the wire-breaking differences between two versions
// of a .proto (the same in either direction): a message that was there is
// gone or moved (records name it by its index), a field number whose type
// is no longer wire-compatible, a field that changed between repeated and
// singular. Removed and added fields, renames and new messages at the end
// are compatible, as in Protobuf.
func protoCompatible(newer, older protoreflect.FileDescriptor) []string {
	var out []string
	compareMessages(newer.Messages(), older.Messages(), &out)
	return out
}

func compareMessages(n, o protoreflect.MessageDescriptors, out *[]string) {
	for i := 0; i < o.Len(); i++ {
		om := o.Get(i)
		if i >= n.Len() || n.Get(i).FullName() != om.FullName() {
			*out = append(*out, fmt.Sprintf("message %s was removed or moved (records name messages by their position)", om.FullName()))
			continue
		}
		nm := n.Get(i)
		for j := 0; j < om.Fields().Len(); j++ {
			of := om.Fields().Get(j)
			nf := nm.Fields().ByNumber(of.Number())
			if nf == nil {
				continue
			}
			if of.Cardinality() == protoreflect.Repeated != (nf.Cardinality() == protoreflect.Repeated) {
				*out = append(*out, fmt.Sprintf("%s field %d (%s): repeated and singular do not mix", nm.FullName(), of.Number(), nf.Name()))
				continue
			}
			if wireGroup(of) != wireGroup(nf) {
				*out = append(*out, fmt.Sprintf("%s field %d (%s): type %s → %s", nm.FullName(), of.Number(), nf.Name(), kindName(of), kindName(nf)))
			}
		}
		compareMessages(nm.Messages(), om.Messages(), out)
	}
}

func kindName(f protoreflect.FieldDescriptor) string {
	if f.Message() != nil {
		return string(f.Message().FullName())
	}
	return f.Kind().String()
}

// wireGroup: kinds in one group read each other's bytes.
func wireGroup(f protoreflect.FieldDescriptor) string {
	switch f.Kind() {
	case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Uint32Kind, protoreflect.Uint64Kind, protoreflect.BoolKind, protoreflect.EnumKind:
		return "varint"
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return "zigzag"
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind:
		return "fixed32"
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return "fixed64"
	case protoreflect.FloatKind:
		return "float"
	case protoreflect.DoubleKind:
		return "double"
	case protoreflect.StringKind, protoreflect.BytesKind:
		return "bytes"
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return "message:" + string(f.Message().FullName())
	}
	return f.Kind().String()
}
