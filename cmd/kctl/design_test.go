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
// repository and every section cited exists in it. docs/design.md is the
// contract itself (the copy that once lived in ../shared is retired).
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
			t.Errorf("%s cites DESIGN.md: cite docs/design.md", path)
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
}
