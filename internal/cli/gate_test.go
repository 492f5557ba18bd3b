package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Every path that changes a cluster goes through provision.Gate: Apply and
// Executor.Run refuse anything else (provision's TestOnlyGatedPlansAreCarriedOut).
// This test lists the code outside provision that calls provision.Apply or
// builds a provision.Executor, so that a new entry point cannot appear
// without being added here, with a test that it refuses a risky change
// without the allowance.
func TestEveryEntryPointIsGated(t *testing.T) {
	want := map[string]string{
		// apply (and a saved plan): TestApplyRiskyChanges, testscripts provision, gate and saved_plan
		"internal/cli/apply.go": "provision.Apply provision.Executor",
		// rebalance --execute/--cancel: TestRebalance*, rf_guard_test.go, provision's TestGateMarkers
		"internal/cli/rebalance.go": "provision.Executor",
		// reassignments --cancel (undoes a recorded rebalance; starts nothing)
		"internal/cli/reassignments.go": "provision.Executor",
		// kctl topic create|delete|set-config|add-partitions: testscript topic
		// (a shorter retention and partitions added to a compacted topic are
		// refused without --allow-risky and change nothing)
		"internal/cli/topic.go": "provision.Apply",
		// smoke's topics step: testscript gate
		"smoke/topics.go": "provision.Apply",
	}
	root := filepath.Join("..", "..")
	got := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (rel == "provision" || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		var uses []string
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "provision" && (sel.Sel.Name == "Apply" || sel.Sel.Name == "Executor") {
				if u := "provision." + sel.Sel.Name; !slices.Contains(uses, u) {
					uses = append(uses, u)
				}
			}
			return true
		})
		if len(uses) > 0 {
			slices.Sort(uses)
			got[rel] = strings.Join(uses, " ")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for file, uses := range got {
		if want[file] != uses {
			t.Errorf("%s uses %s: a path that changes a cluster must take a provision.Decision of provision.Gate; add it to this test with a test that it refuses a risky change without the allowance", file, uses)
		}
	}
	for file := range want {
		if _, ok := got[file]; !ok {
			t.Errorf("%s no longer uses %s: update this test", file, want[file])
		}
	}
}
