package serde

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hamba/avro/v2"
)

// FieldError is a JSON value that does not fit the schema, at Path
// ($.address.zip).
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Msg }

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func mismatch(path, want string, v any) error {
	return &FieldError{Path: path, Msg: fmt.Sprintf("expected %s, got %s", want, jsonKind(v))}
}

// unionName is the name hamba/avro gives a union branch.
func unionName(s avro.Schema) string {
	if n, ok := s.(avro.NamedSchema); ok {
		return n.FullName()
	}
	if p, ok := s.(*avro.PrimitiveSchema); ok && p.Logical() != nil {
		return string(p.Type()) + "." + string(p.Logical().Type())
	}
	return string(s.Type())
}

// fromJSON turns a JSON value (decoded with UseNumber) into what hamba/avro
// encodes with schema s: the inverse of avroJSON (timestamps RFC 3339 or
// milliseconds, dates 2006-01-02, decimals as strings or numbers, bytes and
// fixed base64, unions as the value itself or Avro's {"type": value}).
func fromJSON(s avro.Schema, v any, path string) (any, error) {
	switch s := s.(type) {
	case *avro.RefSchema:
		return fromJSON(s.Schema(), v, path)
	case *avro.NullSchema:
		if v != nil {
			return nil, mismatch(path, "null", v)
		}
		return nil, nil
	case *avro.RecordSchema:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, mismatch(path, "object ("+s.FullName()+")", v)
		}
		out := make(map[string]any, len(s.Fields()))
		known := map[string]bool{}
		for _, f := range s.Fields() {
			known[f.Name()] = true
			fv, present := m[f.Name()]
			if !present {
				if f.HasDefault() {
					out[f.Name()] = f.Default()
					continue
				}
				return nil, &FieldError{Path: path + "." + f.Name(), Msg: "missing (the field has no default)"}
			}
			cv, err := fromJSON(f.Type(), fv, path+"."+f.Name())
			if err != nil {
				return nil, err
			}
			out[f.Name()] = cv
		}
		var extra []string
		for k := range m {
			if !known[k] {
				extra = append(extra, k)
			}
		}
		if len(extra) > 0 {
			sort.Strings(extra)
			return nil, &FieldError{Path: path + "." + extra[0], Msg: "not a field of " + s.FullName()}
		}
		return out, nil
	case *avro.UnionSchema:
		if v == nil {
			for _, t := range s.Types() {
				if t.Type() == avro.Null {
					return nil, nil
				}
			}
			return nil, mismatch(path, unionNames(s), v)
		}
		if m, ok := v.(map[string]any); ok && len(m) == 1 {
			for k, inner := range m {
				for _, t := range s.Types() {
					if unionName(t) == k || (t.Type() != avro.Record && string(t.Type()) == k) {
						cv, err := fromJSON(t, inner, path)
						if err != nil {
							return nil, err
						}
						return map[string]any{unionName(t): cv}, nil
					}
				}
			}
		}
		var firstErr error
		for _, t := range s.Types() {
			if t.Type() == avro.Null {
				continue
			}
			cv, err := fromJSON(t, v, path)
			if err == nil {
				return map[string]any{unionName(t): cv}, nil
			}
			if firstErr == nil {
				firstErr = err
			}
		}
		if fe, ok := firstErr.(*FieldError); ok && fe.Path != path {
			return nil, firstErr
		}
		return nil, mismatch(path, unionNames(s), v)
	case *avro.ArraySchema:
		a, ok := v.([]any)
		if !ok {
			return nil, mismatch(path, "array", v)
		}
		out := make([]any, len(a))
		for i, e := range a {
			cv, err := fromJSON(s.Items(), e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = cv
		}
		return out, nil
	case *avro.MapSchema:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, mismatch(path, "object (map)", v)
		}
		out := make(map[string]any, len(m))
		for k, e := range m {
			cv, err := fromJSON(s.Values(), e, path+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = cv
		}
		return out, nil
	case *avro.EnumSchema:
		str, ok := v.(string)
		if !ok {
			return nil, mismatch(path, "string (enum "+s.FullName()+")", v)
		}
		for _, sym := range s.Symbols() {
			if sym == str {
				return str, nil
			}
		}
		return nil, &FieldError{Path: path, Msg: fmt.Sprintf("%q is not a symbol of %s (%s)", str, s.FullName(), strings.Join(s.Symbols(), ", "))}
	case *avro.FixedSchema:
		if ls := s.Logical(); ls != nil && ls.Type() == avro.Decimal {
			return decimalFrom(v, path)
		}
		str, ok := v.(string)
		if !ok {
			return nil, mismatch(path, "string (base64)", v)
		}
		b, err := base64.StdEncoding.DecodeString(str)
		if err != nil || len(b) != s.Size() {
			return nil, &FieldError{Path: path, Msg: fmt.Sprintf("expected %d bytes in base64", s.Size())}
		}
		arr := reflect.New(reflect.ArrayOf(s.Size(), reflect.TypeFor[byte]())).Elem()
		reflect.Copy(arr, reflect.ValueOf(b))
		return arr.Interface(), nil
	case *avro.PrimitiveSchema:
		return primitiveFrom(s, v, path)
	}
	return nil, &FieldError{Path: path, Msg: fmt.Sprintf("schema type %s is not supported", s.Type())}
}

func unionNames(s *avro.UnionSchema) string {
	var n []string
	for _, t := range s.Types() {
		n = append(n, unionName(t))
	}
	return "one of " + strings.Join(n, ", ")
}

func decimalFrom(v any, path string) (any, error) {
	var str string
	switch x := v.(type) {
	case string:
		str = x
	case json.Number:
		str = x.String()
	default:
		return nil, mismatch(path, "decimal (a string like \"12.34\")", v)
	}
	r, ok := new(big.Rat).SetString(str)
	if !ok {
		return nil, &FieldError{Path: path, Msg: fmt.Sprintf("%q is not a decimal number", str)}
	}
	return r, nil
}

func primitiveFrom(s *avro.PrimitiveSchema, v any, path string) (any, error) {
	if ls := s.Logical(); ls != nil {
		switch ls.Type() {
		case avro.Date:
			str, ok := v.(string)
			if !ok {
				return nil, mismatch(path, "date (a string like \"2026-01-02\")", v)
			}
			t, err := time.Parse("2006-01-02", str)
			if err != nil {
				return nil, &FieldError{Path: path, Msg: fmt.Sprintf("%q is not a date like 2026-01-02", str)}
			}
			return t, nil
		case avro.TimestampMillis, avro.TimestampMicros, avro.LocalTimestampMillis, avro.LocalTimestampMicros:
			switch x := v.(type) {
			case string:
				t, err := time.Parse(time.RFC3339Nano, x)
				if err != nil {
					return nil, &FieldError{Path: path, Msg: fmt.Sprintf("%q is not an RFC 3339 time like 2026-01-02T15:04:05Z", x)}
				}
				return t, nil
			case json.Number:
				n, err := x.Int64()
				if err != nil {
					return nil, mismatch(path, "timestamp (RFC 3339 or an integer)", v)
				}
				if ls.Type() == avro.TimestampMicros || ls.Type() == avro.LocalTimestampMicros {
					return time.UnixMicro(n).UTC(), nil
				}
				return time.UnixMilli(n).UTC(), nil
			}
			return nil, mismatch(path, "timestamp (RFC 3339 string)", v)
		case avro.Decimal:
			return decimalFrom(v, path)
		}
	}
	switch s.Type() {
	case avro.Boolean:
		b, ok := v.(bool)
		if !ok {
			return nil, mismatch(path, "boolean", v)
		}
		return b, nil
	case avro.Int, avro.Long:
		n, ok := v.(json.Number)
		if !ok {
			return nil, mismatch(path, string(s.Type()), v)
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil {
			return nil, &FieldError{Path: path, Msg: fmt.Sprintf("expected %s, got %s", s.Type(), n)}
		}
		if s.Type() == avro.Int {
			if i < math.MinInt32 || i > math.MaxInt32 {
				return nil, &FieldError{Path: path, Msg: fmt.Sprintf("%d does not fit an int (32 bits)", i)}
			}
			return int(i), nil
		}
		if ls := s.Logical(); ls != nil && (ls.Type() == avro.TimeMicros) {
			return time.Duration(i) * time.Microsecond, nil
		}
		return i, nil
	case avro.Float, avro.Double:
		n, ok := v.(json.Number)
		if !ok {
			return nil, mismatch(path, string(s.Type()), v)
		}
		f, err := n.Float64()
		if err != nil {
			return nil, &FieldError{Path: path, Msg: err.Error()}
		}
		if s.Type() == avro.Float {
			return float32(f), nil
		}
		return f, nil
	case avro.String:
		str, ok := v.(string)
		if !ok {
			return nil, mismatch(path, "string", v)
		}
		return str, nil
	case avro.Bytes:
		str, ok := v.(string)
		if !ok {
			return nil, mismatch(path, "string (base64 bytes)", v)
		}
		b, err := base64.StdEncoding.DecodeString(str)
		if err != nil {
			return nil, &FieldError{Path: path, Msg: "expected base64 bytes: " + err.Error()}
		}
		return b, nil
	case avro.Null:
		if v != nil {
			return nil, mismatch(path, "null", v)
		}
		return nil, nil
	}
	return nil, &FieldError{Path: path, Msg: fmt.Sprintf("schema type %s is not supported", s.Type())}
}
