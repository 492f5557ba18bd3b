package records

import (
	"encoding/json"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kctl/kctl/internal/platform/codec"
)

// codec.EncodeBytes agrees with the JSON encoder of kctl consume.
func TestEncodeBytesMatchesJSON(t *testing.T) {
	for _, k := range [][]byte{nil, {}, []byte("k1"), []byte("é"), {0xff, 0xfe}} {
		var got struct {
			Key         *string `json:"key"`
			KeyEncoding string  `json:"keyEncoding"`
		}
		line := JSON{}.Append(nil, &kgo.Record{Topic: "t", Key: k})
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		s, enc := codec.EncodeBytes(k)
		if (s == nil) != (got.Key == nil) || s != nil && *s != *got.Key || enc != got.KeyEncoding {
			t.Errorf("codec.EncodeBytes(%q) = %v %q; consume -o json wrote %s", k, s, enc, line)
		}
	}
}
