package records

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"gopkg.in/yaml.v3"
)

// -o yaml: one document per record, the fields of -o json; strings that
// look like other YAML types stay strings.
func TestYAMLEncoder(t *testing.T) {
	ts := time.Date(2026, 1, 2, 15, 4, 5, 123e6, time.UTC)
	recs := []*kgo.Record{
		{Topic: "t", Partition: 1, Offset: 7, Timestamp: ts, Key: []byte("k"), Value: []byte("true"), Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("42")}}},
		{Topic: "t", Partition: 0, Offset: 8, Timestamp: ts, Value: []byte{0xff, 0xfe}},
	}
	var out []byte
	for _, r := range recs {
		out = YAML{}.Append(out, r)
	}
	got := string(out)
	want := `---
topic: t
partition: 1
offset: 7
timestamp: "2026-01-02T15:04:05.123Z"
key: k
value: "true"
headers:
    - key: h
      value: "42"
---
topic: t
partition: 0
offset: 8
timestamp: "2026-01-02T15:04:05.123Z"
key: null
value: //4=
valueEncoding: base64
headers: []
`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	dec := yaml.NewDecoder(strings.NewReader(got))
	var docs []map[string]any
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			break
		}
		docs = append(docs, m)
	}
	if len(docs) != 2 || docs[0]["value"] != "true" || docs[1]["key"] != nil {
		t.Fatalf("decoded %v", docs)
	}
}
