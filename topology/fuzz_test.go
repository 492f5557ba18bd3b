package topology

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse, seeded with the repository's
// topics.yaml and every broken file in testdata/bad. No input may panic,
// every diagnostic has a real position, and a file without errors obeys
// the rules validate promises.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/bad/*.yaml")
	seeds = append(seeds, filepath.Join("..", "topics.yaml"))
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("topics: [{name: a, partitions: 1, replicationFactor: 1, config: {retention.ms: 7d}}]"))
	f.Add([]byte("a: &a [*a]\ntopics: *a"))
	f.Add([]byte("topics:\n  - &t {name: a, partitions: 1, replicationFactor: 1}\n  - *t\n"))
	f.Add([]byte("defaults: {partitions: &p 3, replicationFactor: 1}\ntopics:\n  - name: a\n    config: &c {retention.ms: 7d}\n  - {name: b, partitions: *p, config: *c}\nenvironments: {local: {defaults: {partitions: *p}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, diags := Parse("f.yaml", data)
		for _, d := range diags {
			if d.Pos.Line < 1 || d.Pos.Col < 1 || d.Pos.File != "f.yaml" || d.Message == "" {
				t.Fatalf("bad diagnostic %#v", d)
			}
			if d.Severity != SeverityError && d.Severity != SeverityWarning {
				t.Fatalf("bad severity %#v", d)
			}
		}
		if diags.HasErrors() {
			return
		}
		if file == nil {
			t.Fatal("no errors but no file")
		}
		seen := map[string]bool{}
		for _, tp := range file.Topics {
			if msg := CheckTopicName(tp.Name); msg != "" {
				t.Fatalf("accepted bad name: %s", msg)
			}
			if seen[tp.Name] {
				t.Fatalf("accepted duplicate %q", tp.Name)
			}
			seen[tp.Name] = true
			if tp.Partitions < 1 || tp.ReplicationFactor < 1 {
				t.Fatalf("accepted counts %+v", tp)
			}
			for k, v := range tp.Config {
				if _, known := LookupConfig(k); !known && !strings.Contains(k, ".") {
					t.Fatalf("accepted unknown config %q", k)
				}
				if spec, known := LookupConfig(k); known {
					if _, msg := spec.normalize(rawValue{scalar: v}); msg != "" {
						t.Fatalf("normalised value %s=%q does not re-validate: %s", k, v, msg)
					}
				}
			}
		}
	})
}
