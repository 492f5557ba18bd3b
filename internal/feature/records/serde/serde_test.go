package serde

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/registry"
	"github.com/kctl/kctl/internal/platform/registryd"
	"github.com/twmb/franz-go/pkg/sr"
)

func newRegistry(t *testing.T) *registry.Client {
	t.Helper()
	rd, err := registryd.New("")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rd.Handler())
	t.Cleanup(srv.Close)
	c, err := registry.New(registry.Settings{URL: srv.URL, From: "test", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAvroReferencesRoundTrip: a schema referencing another subject encodes
// and decodes; a line that does not fit names the field path.
func TestAvroReferencesRoundTrip(t *testing.T) {
	rc := newRegistry(t)
	ctx := context.Background()
	if _, err := rc.SR.CreateSchema(ctx, "address", sr.Schema{Schema: `{"type":"record","name":"Address","namespace":"x","fields":[{"name":"zip","type":"string"}]}`}); err != nil {
		t.Fatal(err)
	}
	ss, err := rc.SR.CreateSchema(ctx, "person-value", sr.Schema{
		Schema:     `{"type":"record","name":"Person","namespace":"x","fields":[{"name":"home","type":"x.Address"},{"name":"tags","type":{"type":"array","items":"string"}},{"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B"]}}]}`,
		References: []sr.SchemaReference{{Name: "x.Address", Subject: "address", Version: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	codec := NewCodec(rc)
	codec.Subjects = true
	tg, err := codec.TargetBySubject(ctx, "person-value", -1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tg.Encode([]byte(`{"home":{"zip":"1"},"tags":["a"],"kind":"B"}`))
	if err != nil {
		t.Fatal(err)
	}
	d := codec.Decode(ctx, b)
	if d.Err != nil || string(d.JSON) != `{"home":{"zip":"1"},"tags":["a"],"kind":"B"}` || d.ID != ss.ID || d.Subject != "person-value" || d.Version != 1 {
		t.Fatalf("decoded %+v %s", d, d.JSON)
	}
	for line, want := range map[string]string{
		`{"home":{"zip":1},"tags":[],"kind":"A"}`:             "$.home.zip: expected string, got number",
		`{"home":{"zip":"1"},"tags":[true],"kind":"A"}`:       "$.tags[0]: expected string, got boolean",
		`{"home":{"zip":"1"},"tags":[],"kind":"C"}`:           `$.kind: "C" is not a symbol of x.Kind (A, B)`,
		`{"home":{"zip":"1"},"tags":[]}`:                      "$.kind: missing (the field has no default)",
		`{"home":{"zip":"1"},"tags":[],"kind":"A","extra":1}`: "$.extra: not a field of x.Person",
	} {
		_, err := tg.Encode([]byte(line))
		var fe *FieldError
		if !errors.As(err, &fe) || err.Error() != want {
			t.Errorf("%s: %v; want %s", line, err, want)
		}
	}
	// Undecodable: a truncated frame, an unknown ID, bytes that are not the schema's.
	for _, c := range []struct {
		b    []byte
		want string
	}{
		{[]byte{0, 0, 1}, "truncated"},
		{[]byte{0, 0, 0, 0, 42, 1}, "schema ID 42 is not in the registry"},
		{append(b[:5:5], 0xff, 0xff, 0xff), "do not decode"},
	} {
		if d := codec.Decode(ctx, c.b); d.Err == nil || !strings.Contains(d.Err.Error(), c.want) {
			t.Errorf("% x: %v; want %q", c.b, d.Err, c.want)
		}
	}
	if d := codec.Decode(ctx, []byte("plain")); d.Framed || d.Err != nil {
		t.Errorf("an unframed value: %+v", d)
	}
}

// TestProtobufNestedIndexesAndImports: the message indexes pick a nested
// message; an import resolves from the references.
func TestProtobufNestedIndexesAndImports(t *testing.T) {
	rc := newRegistry(t)
	ctx := context.Background()
	if _, err := rc.SR.CreateSchema(ctx, "common", sr.Schema{Type: sr.TypeProtobuf, Schema: "syntax = \"proto3\";\npackage common;\nmessage Money { int64 cents = 1; }\n"}); err != nil {
		t.Fatal(err)
	}
	ss, err := rc.SR.CreateSchema(ctx, "orders-value", sr.Schema{Type: sr.TypeProtobuf,
		Schema:     "syntax = \"proto3\";\npackage shop;\nimport \"common.proto\";\nmessage Other { string x = 1; }\nmessage Order {\n  message Line { string sku = 1; common.Money price = 2; }\n  string id = 1;\n}\n",
		References: []sr.SchemaReference{{Name: "common.proto", Subject: "common", Version: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	codec := NewCodec(rc)
	// Order.Line is message 1, nested 0: indexes [1, 0] → count 2 (zigzag 4), 1 (2), 0 (0).
	frame := []byte{0, 0, 0, 0, byte(ss.ID), 4, 2, 0}
	msg := []byte{0x0a, 0x02, 'a', 'b', 0x12, 0x02, 0x08, 0x07} // sku "ab", price {cents 7}
	d := codec.Decode(ctx, append(frame, msg...))
	if d.Err != nil || string(d.JSON) != `{"sku":"ab","price":{"cents":"7"}}` {
		t.Fatalf("decoded %q, %v", d.JSON, d.Err)
	}
}

// TestJSONSchemaValidates: produce validates a line against the JSON Schema
// (with a reference) and names the failing path.
func TestJSONSchemaValidates(t *testing.T) {
	rc := newRegistry(t)
	ctx := context.Background()
	if _, err := rc.SR.CreateSchema(ctx, "zip", sr.Schema{Type: sr.TypeJSON, Schema: `{"type":"string","pattern":"^[0-9]{5}$"}`}); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.SR.CreateSchema(ctx, "people-value", sr.Schema{Type: sr.TypeJSON,
		Schema:     `{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"address":{"type":"object","properties":{"zip":{"$ref":"zip.json"}}}}}`,
		References: []sr.SchemaReference{{Name: "zip.json", Subject: "zip", Version: 1}}}); err != nil {
		t.Fatal(err)
	}
	codec := NewCodec(rc)
	tg, err := codec.TargetBySubject(ctx, "people-value", -1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tg.Encode([]byte(`{"name": "Ada", "address": {"zip": "12345"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if d := codec.Decode(ctx, b); d.Err != nil || string(d.JSON) != `{"name":"Ada","address":{"zip":"12345"}}` {
		t.Fatalf("decoded %s, %v", d.JSON, d.Err)
	}
	for line, want := range map[string]string{
		`{"name":"Ada","address":{"zip":12345}}`: "$.address.zip: got number, want string",
		`{"address":{}}`:                         "$: missing property 'name'",
	} {
		_, err := tg.Encode([]byte(line))
		if err == nil || err.Error() != want {
			t.Errorf("%s: %v; want %s", line, err, want)
		}
	}
}
