package records

import (
	"github.com/twmb/franz-go/pkg/kgo"
	"gopkg.in/yaml.v3"
)

// YAML prints a record as a YAML document (-o yaml), each one started by
// "---", with the same fields, order and encodings as JSON.
type YAML struct{}

// Append implements Encoder. The JSON object of the record (valid YAML) is
// re-emitted in block style; it allocates, unlike JSON and TextFormat.
func (YAML) Append(dst []byte, r *kgo.Record) []byte {
	j := JSON{}.Append(nil, r)
	dst = append(dst, "---\n"...)
	var n yaml.Node
	if err := yaml.Unmarshal(j, &n); err != nil {
		return append(dst, j...) // JSON is YAML: still a valid document
	}
	blockStyle(&n)
	out, err := yaml.Marshal(&n)
	if err != nil {
		return append(dst, j...)
	}
	return append(dst, out...)
}

// blockStyle clears the flow and quoting styles the JSON parse left, so the
// encoder writes block YAML and quotes only what needs it.
func blockStyle(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style = 0
	}
	if n.Kind == yaml.ScalarNode {
		n.Style = 0
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}
