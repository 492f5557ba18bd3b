package registryd

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

const v1 = `{"type":"record","name":"User","fields":[{"name":"id","type":"string"}]}`
const v2ok = `{"type":"record","name":"User","fields":[{"name":"id","type":"string"},{"name":"email","type":"string","default":""}]}`
const v2bad = `{"type":"record","name":"User","fields":[{"name":"id","type":"string"},{"name":"email","type":"string"}]}`

func start(t *testing.T, dir string) (*Server, *sr.Client) {
	t.Helper()
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	cl, err := sr.NewClient(sr.URLs(s.URL()))
	if err != nil {
		t.Fatal(err)
	}
	return s, cl
}

func TestCompatibilityAndPersistence(t *testing.T) {
	dir := t.TempDir()
	s, cl := start(t, dir)
	ctx := context.Background()
	ss, err := cl.CreateSchema(ctx, "user-value", sr.Schema{Schema: v1})
	if err != nil || ss.ID != 1 || ss.Version != 1 {
		t.Fatalf("register v1: %+v %v", ss, err)
	}
	// BACKWARD (the default): a new field without a default cannot read old data.
	_, err = cl.CreateSchema(ctx, "user-value", sr.Schema{Schema: v2bad})
	var re *sr.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusConflict {
		t.Fatalf("incompatible v2 registered: %v", err)
	}
	res, err := cl.CheckCompatibility(ctx, "user-value", -1, sr.Schema{Schema: v2bad})
	if err != nil || res.Is {
		t.Fatalf("compatibility endpoint says %+v, %v; want incompatible", res, err)
	}
	res, err = cl.CheckCompatibility(ctx, "user-value", -1, sr.Schema{Schema: v2ok})
	if err != nil || !res.Is {
		t.Fatalf("compatibility endpoint says %+v, %v; want compatible", res, err)
	}
	// FORWARD: removing a field without default... v2bad read by v1 is fine.
	if r := cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatForward}, "user-value"); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	ss2, err := cl.CreateSchema(ctx, "user-value", sr.Schema{Schema: v2bad})
	if err != nil || ss2.Version != 2 {
		t.Fatalf("FORWARD-compatible v2: %+v %v", ss2, err)
	}
	// FULL_TRANSITIVE: v3 dropping id breaks backward-reading nothing but
	// forward: v1 cannot read data without id.
	if r := cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatFullTransitive}, "user-value"); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	v3 := `{"type":"record","name":"User","fields":[{"name":"email","type":"string","default":""}]}`
	if _, err := cl.CreateSchema(ctx, "user-value", sr.Schema{Schema: v3}); !errors.As(err, &re) || re.StatusCode != http.StatusConflict {
		t.Fatalf("FULL_TRANSITIVE accepted v3: %v", err)
	}
	if _, err := cl.CreateSchema(ctx, "user-value", sr.Schema{Schema: `{"type":"record","name":"User"`}); !errors.As(err, &re) || re.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a schema that does not parse: %v", err)
	}
	s.Close()

	_, cl2 := start(t, dir)
	got, err := cl2.SchemaByID(ctx, ss2.ID)
	if err != nil || got.Schema != v2bad {
		t.Fatalf("after restart, schema %d = %+v, %v", ss2.ID, got, err)
	}
	c := cl2.Compatibility(ctx, "user-value")
	if c[0].Err != nil || c[0].Level != sr.CompatFullTransitive {
		t.Fatalf("after restart, compatibility %+v", c[0])
	}
	ss3, err := cl2.CreateSchema(ctx, "other-value", sr.Schema{Schema: `"string"`})
	if err != nil || ss3.ID != ss2.ID+1 {
		t.Fatalf("after restart, next ID %+v %v; want %d", ss3, err, ss2.ID+1)
	}
}

func TestProtobufCompatibility(t *testing.T) {
	_, cl := start(t, "")
	ctx := context.Background()
	p := func(s string) sr.Schema {
		return sr.Schema{Type: sr.TypeProtobuf, Schema: "syntax = \"proto3\";\npackage shop;\n" + s}
	}
	if _, err := cl.CreateSchema(ctx, "o-value", p("message Order { string id = 1; int32 qty = 2; repeated string tags = 3; }\nmessage Other { string x = 1; }\n")); err != nil {
		t.Fatal(err)
	}
	for schema, want := range map[string]bool{
		"message Order { string id = 1; int64 quantity = 2; repeated string tags = 3; bool gift = 4; }\nmessage Other { string x = 1; }\nmessage New { }\n": true,  // rename, widen, add
		"message Order { string id = 1; }\nmessage Other { string x = 1; }\n":                                                                               true,  // fields removed
		"message Order { string id = 1; string qty = 2; }\nmessage Other { string x = 1; }\n":                                                               false, // int32 → string
		"message Order { string id = 1; int32 qty = 2; string tags = 3; }\nmessage Other { string x = 1; }\n":                                               false, // repeated → singular
		"message Other { string x = 1; }\nmessage Order { string id = 1; }\n":                                                                               false, // moved
	} {
		res, err := cl.CheckCompatibility(ctx, "o-value", -1, p(schema))
		if err != nil || res.Is != want {
			t.Errorf("%s: compatible=%v %v (%v); want %v", schema, res.Is, res.Messages, err, want)
		}
	}
	var re *sr.ResponseError
	if _, err := cl.CreateSchema(ctx, "o-value", p("message Order { string id = 1 }")); !errors.As(err, &re) || re.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a .proto that does not compile: %v", err)
	}
}
