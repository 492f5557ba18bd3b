package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The code cites the design as "docs/design.md §N": that file is in the
// repository, every section cited exists in it, and it is the team's
// contract (../shared/DESIGN.md, where a checkout has it beside) word for
// word below its header comment.
func TestDesignDocCurrent(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "design.md"))
	if err != nil {
		t.Fatalf("the code cites docs/design.md: %v", err)
	}
	sections := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^## (\d+)\.`).FindAllSubmatch(doc, -1) {
		sections[string(m[1])] = true
	}
	cite := regexp.MustCompile(`docs/design\.md((?:,? ?§\d+)+)`)
	num := regexp.MustCompile(`§(\d+)`)
	cited := 0
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte("DESIGN.md")) && !strings.HasSuffix(path, "design_test.go") {
			t.Errorf("%s cites DESIGN.md, which is not in the repository: cite docs/design.md", path)
		}
		for _, m := range cite.FindAllSubmatch(b, -1) {
			for _, n := range num.FindAllSubmatch(m[1], -1) {
				cited++
				if !sections[string(n[1])] {
					t.Errorf("%s cites docs/design.md §%s, which has no such section", path, n[1])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cited == 0 {
		t.Error("no citation of docs/design.md found: the walk is broken")
	}
	shared, err := os.ReadFile(filepath.Join(root, "..", "shared", "DESIGN.md"))
	if err != nil {
		t.Logf("no ../shared/DESIGN.md beside this checkout (%v): the copy is not compared", err)
		return
	}
	body := doc
	if i := bytes.Index(doc, []byte("-->\n\n")); bytes.HasPrefix(doc, []byte("<!--")) && i >= 0 {
		body = doc[i+len("-->\n\n"):]
	}
	if !bytes.Equal(body, shared) {
		t.Error("docs/design.md differs from ../shared/DESIGN.md: the contract changed; copy it (keeping the header comment) and change the README and tests with it")
	}
}
