package topology

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files (../topics.schema.json)")

// TestSchemaUpToDate keeps topics.schema.json at the repository root equal
// to JSONSchema(), which is generated from the config table Parse uses.
func TestSchemaUpToDate(t *testing.T) {
	path := filepath.Join("..", "topics.schema.json")
	got := JSONSchema()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./topology -run TestSchema -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go test ./topology -run TestSchema -update", path)
	}
	var m map[string]any
	if err := json.Unmarshal(got, &m); err != nil {
		t.Fatal(err)
	}
	props := m["definitions"].(map[string]any)["config"].(map[string]any)["properties"].(map[string]any)
	for _, s := range KnownConfigs() {
		if _, ok := props[s.Name]; !ok {
			t.Errorf("schema lacks config %s", s.Name)
		}
	}
}
