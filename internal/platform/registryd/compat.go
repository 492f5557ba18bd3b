package registryd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// checked wraps the srfake handler: registering a version and the
// compatibility endpoint check the subject's compatibility level for real.
// Avro is parsed and checked with hamba/avro's schema compatibility (the
// Avro specification's schema resolution rules); JSON Schema structurally
// (jsoncompat.go); Protobuf on the wire (protocompat.go) (docs/schema-registry.md).
func (s *Server) checked(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			h.ServeHTTP(w, req)
			return
		}
		subject, version, kind := route(req.URL.Path)
		if kind == "" {
			h.ServeHTTP(w, req)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, 8<<20))
		if err != nil {
			writeError(w, http.StatusRequestEntityTooLarge, 413, err.Error())
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		var sch sr.Schema
		if err := json.Unmarshal(body, &sch); err != nil {
			writeError(w, http.StatusUnprocessableEntity, 42201, "invalid schema request: "+err.Error())
			return
		}
		newParsed, err := parseAvro(h, sch)
		if err != nil {
			writeError(w, http.StatusUnprocessableEntity, 42201, fmt.Sprintf("invalid %s schema: %v", typeName(sch.Type), err))
			return
		}
		msgs, err := s.check(h, subject, version, kind == "compat", sch, newParsed)
		if err != nil {
			writeError(w, http.StatusNotFound, 40402, err.Error())
			return
		}
		if kind == "compat" {
			w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
			_ = json.NewEncoder(w).Encode(map[string]any{"is_compatible": len(msgs) == 0, "messages": nonNil(msgs)})
			return
		}
		if len(msgs) > 0 {
			writeError(w, http.StatusConflict, 409, fmt.Sprintf("Schema being registered is incompatible with an earlier schema for subject %q, details: %s", subject, strings.Join(msgs, "; ")))
			return
		}
		h.ServeHTTP(w, req)
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func typeName(t sr.SchemaType) string {
	if t == 0 {
		return "AVRO"
	}
	return t.String()
}

// route recognises POST /subjects/{s}/versions ("register") and POST
// /compatibility/subjects/{s}/versions[/{v}] ("compat").
func route(p string) (subject, version, kind string) {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case len(parts) == 3 && parts[0] == "subjects" && parts[2] == "versions":
		s, _ := url.PathUnescape(parts[1])
		return s, "", "register"
	case len(parts) >= 4 && parts[0] == "compatibility" && parts[1] == "subjects" && parts[3] == "versions":
		s, _ := url.PathUnescape(parts[2])
		v := ""
		if len(parts) == 5 {
			v = parts[4]
		}
		return s, v, "compat"
	}
	return "", "", ""
}

// get asks the wrapped handler, as a client would.
func get(h http.Handler, path string, into any) (int, error) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return rec.Code, fmt.Errorf("%s", strings.TrimSpace(rec.Body.String()))
	}
	return rec.Code, json.Unmarshal(rec.Body.Bytes(), into)
}

func subjectPath(s string) string { return url.PathEscape(s) }

// check returns the reasons sch is incompatible with the subject's versions
// under its compatibility level (nil: compatible).
func (s *Server) check(h http.Handler, subject, version string, explicit bool, sch sr.Schema, parsed avro.Schema) ([]string, error) {
	var cfg struct {
		Level string `json:"compatibilityLevel"`
	}
	if _, err := get(h, "/config/"+subjectPath(subject)+"?defaultToGlobal=true", &cfg); err != nil {
		return nil, err
	}
	level := strings.ToUpper(cfg.Level)
	if level == "" {
		level = "BACKWARD"
	}
	var versions []int
	if code, err := get(h, "/subjects/"+subjectPath(subject)+"/versions", &versions); err != nil {
		if code == http.StatusNotFound && !explicit {
			return nil, nil // a new subject: nothing to be compatible with
		}
		if code == http.StatusNotFound && version == "" {
			return nil, nil
		}
		return nil, err
	}
	if len(versions) == 0 {
		return nil, nil
	}
	var against []int
	switch {
	case version != "" && version != "latest":
		v, err := strconv.Atoi(version)
		if err != nil {
			return nil, fmt.Errorf("version %q is not a number or latest", version)
		}
		against = []int{v}
	case strings.HasSuffix(level, "_TRANSITIVE"):
		against = versions
	default:
		against = versions[len(versions)-1:]
	}
	// Registering a schema identical to a live version is a no-op, not a change.
	if !explicit {
		for _, v := range versions {
			var old sr.SubjectSchema
			if _, err := get(h, fmt.Sprintf("/subjects/%s/versions/%d", subjectPath(subject), v), &old); err == nil && sameSchema(old.Schema, sch) {
				return nil, nil
			}
		}
	}
	if level == "NONE" {
		return nil, nil
	}
	var newProto protoreflect.FileDescriptor
	if sch.Type == sr.TypeProtobuf {
		var err error
		if newProto, err = compileProto(h, sch); err != nil {
			return []string{"the new schema does not compile: " + err.Error()}, nil
		}
	}
	backward := strings.HasPrefix(level, "BACKWARD") || strings.HasPrefix(level, "FULL")
	forward := strings.HasPrefix(level, "FORWARD") || strings.HasPrefix(level, "FULL")
	sc := avro.NewSchemaCompatibility()
	var msgs []string
	for _, v := range against {
		var old sr.SubjectSchema
		if _, err := get(h, fmt.Sprintf("/subjects/%s/versions/%d", subjectPath(subject), v), &old); err != nil {
			return nil, err
		}
		if old.Type != sch.Type {
			msgs = append(msgs, fmt.Sprintf("version %d is %s, the new schema %s", v, typeName(old.Type), typeName(sch.Type)))
			continue
		}
		// reads(reader, writer): why data written with writer may not be read with reader.
		var reads func(newIsReader bool) []string
		switch sch.Type {
		case sr.TypeAvro:
			oldParsed, err := parseAvro(h, old.Schema)
			if err != nil {
				continue // an old version that does not parse does not block
			}
			reads = func(newIsReader bool) []string {
				r, w := parsed, oldParsed
				if !newIsReader {
					r, w = oldParsed, parsed
				}
				if err := sc.Compatible(r, w); err != nil {
					return []string{err.Error()}
				}
				return nil
			}
		case sr.TypeJSON:
			reads = func(newIsReader bool) []string {
				r, w := sch.Schema, old.Schema.Schema
				if !newIsReader {
					r, w = w, r
				}
				m, err := jsonCompatible(r, w)
				if err != nil {
					return nil
				}
				return m
			}
		case sr.TypeProtobuf:
			oldProto, err := compileProto(h, old.Schema)
			if err != nil {
				continue
			}
			reads = func(bool) []string { return protoCompatible(newProto, oldProto) }
			if backward && forward {
				forward = false // the rules are symmetric: once is enough
			}
		default:
			continue
		}
		if backward {
			for _, m := range reads(true) {
				msgs = append(msgs, fmt.Sprintf("%s: the new schema cannot read data written with version %d: %s", level, v, m))
			}
		}
		if forward {
			for _, m := range reads(false) {
				msgs = append(msgs, fmt.Sprintf("%s: version %d cannot read data written with the new schema: %s", level, v, m))
			}
		}
	}
	return msgs, nil
}

func sameSchema(a, b sr.Schema) bool {
	if a.Type != b.Type || len(a.References) != len(b.References) {
		return false
	}
	for i := range a.References {
		if a.References[i] != b.References[i] {
			return false
		}
	}
	var x, y bytes.Buffer
	if json.Compact(&x, []byte(a.Schema)) != nil || json.Compact(&y, []byte(b.Schema)) != nil {
		return a.Schema == b.Schema
	}
	return x.String() == y.String()
}

// parseAvro parses an Avro schema with its references (fetched from the
// registry); it returns nil for other types (JSON Schema must be JSON).
func parseAvro(h http.Handler, sch sr.Schema) (avro.Schema, error) {
	switch sch.Type {
	case sr.TypeAvro:
	case sr.TypeJSON:
		var v any
		if err := json.Unmarshal([]byte(sch.Schema), &v); err != nil {
			return nil, err
		}
		return nil, nil
	case sr.TypeProtobuf:
		_, err := compileProto(h, sch)
		return nil, err
	default:
		return nil, nil
	}
	cache := &avro.SchemaCache{}
	seen := map[string]bool{}
	if err := addRefs(h, sch.References, cache, seen); err != nil {
		return nil, err
	}
	return avro.ParseWithCache(sch.Schema, "", cache)
}

func addRefs(h http.Handler, refs []sr.SchemaReference, cache *avro.SchemaCache, seen map[string]bool) error {
	for _, r := range refs {
		key := fmt.Sprintf("%s/%d", r.Subject, r.Version)
		if seen[key] {
			continue
		}
		seen[key] = true
		var ref sr.SubjectSchema
		if _, err := get(h, fmt.Sprintf("/subjects/%s/versions/%d", subjectPath(r.Subject), r.Version), &ref); err != nil {
			return fmt.Errorf("reference %s (subject %s version %d): %w", r.Name, r.Subject, r.Version, err)
		}
		if err := addRefs(h, ref.References, cache, seen); err != nil {
			return err
		}
		if _, err := avro.ParseWithCache(ref.Schema.Schema, "", cache); err != nil {
			return fmt.Errorf("reference %s: %w", r.Name, err)
		}
	}
	return nil
}
