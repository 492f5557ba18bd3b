package serde

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/twmb/franz-go/pkg/sr"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// jsonSchema is a compiled JSON Schema (santhosh-tekuri/jsonschema, every
// draft); references resolve from the registry by their names.
type jsonSchema struct{ sch *jsonschema.Schema }

const jsonRoot = "mem://kctl/schema.json"

func compileJSON(ctx context.Context, reg Registry, s sr.Schema) (*jsonSchema, error) {
	c := jsonschema.NewCompiler()
	add := func(url, text string) error {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
		if err != nil {
			return err
		}
		return c.AddResource(url, doc)
	}
	if err := add(jsonRoot, s.Schema); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var refs func([]sr.SchemaReference) error
	refs = func(rs []sr.SchemaReference) error {
		for _, r := range rs {
			if seen[r.Name] {
				continue
			}
			seen[r.Name] = true
			ref, err := reg.SchemaByVersion(ctx, r.Subject, r.Version)
			if err != nil {
				return fmt.Errorf("reference %s: %w", r.Name, err)
			}
			if err := add("mem://kctl/"+r.Name, ref.Schema.Schema); err != nil {
				return fmt.Errorf("reference %s: %w", r.Name, err)
			}
			if err := refs(ref.References); err != nil {
				return err
			}
		}
		return nil
	}
	if err := refs(s.References); err != nil {
		return nil, err
	}
	sch, err := c.Compile(jsonRoot)
	if err != nil {
		return nil, err
	}
	return &jsonSchema{sch: sch}, nil
}

// decode prints the payload as it is: it must be JSON.
func (*jsonSchema) decode(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, fmt.Errorf("the payload is not JSON: %w", err)
	}
	return buf.Bytes(), nil
}

var printer = message.NewPrinter(language.English)

// validate checks a document; the error names the first failing field path.
func (j *jsonSchema) validate(doc []byte) ([]byte, error) {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if err := j.sch.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return nil, err
		}
		for len(ve.Causes) > 0 {
			ve = ve.Causes[0]
		}
		path := "$"
		for _, seg := range ve.InstanceLocation {
			if _, err := strconv.Atoi(seg); err == nil {
				path += "[" + seg + "]"
			} else {
				path += "." + seg
			}
		}
		return nil, &FieldError{Path: path, Msg: ve.ErrorKind.LocalizedString(printer)}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
