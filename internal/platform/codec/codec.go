// Package codec holds how kctl writes a record's bytes in JSON and YAML
// views: shared by kctl consume (internal/feature/records, which streams the
// same encoding by hand, tested against EncodeBytes) and dlt replay
// (services/dlt, which builds views as Go values).
package codec

import (
	"encoding/base64"
	"unicode/utf8"
)

// EncodeBytes returns how kctl consume -o json writes a key or value, for
// views built as Go values (dlt replay): nil for a null b; b as a string
// when it is valid UTF-8 (encoding ""); otherwise standard base64 and the
// encoding "base64" (the "keyEncoding"/"valueEncoding" field).
func EncodeBytes(b []byte) (s *string, encoding string) {
	switch {
	case b == nil:
		return nil, ""
	case utf8.Valid(b):
		v := string(b)
		return &v, ""
	}
	v := base64.StdEncoding.EncodeToString(b)
	return &v, "base64"
}
