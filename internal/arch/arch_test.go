package arch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/kctl/kctl"

// pkg is one package of the module as `go list -json` reports it, its
// path relative to the module ("topology", "internal/cli").
type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Deps         []string
}

// The layers, lowest first.
const (
	layerNone     = "unplaced"
	layerPlatform = "platform"
	layerModel    = "model"
	layerFeature  = "feature"
	layerApp      = "app"
	layerCmd      = "cmd"
	layerTool     = "tool"
)

// layerOf places a package (relative path) in its layer and, for a
// feature, names its family: the subtree it may import freely.
func layerOf(p string) (layer, family string) {
	under := func(root string) bool { return p == root || strings.HasPrefix(p, root+"/") }
	switch {
	case under("internal/platform"):
		return layerPlatform, ""
	case p == "topology":
		return layerModel, ""
	case under("provision"):
		return layerFeature, "provision"
	case under("services"):
		return layerFeature, "services"
	case strings.HasPrefix(p, "internal/feature/"):
		name, _, _ := strings.Cut(strings.TrimPrefix(p, "internal/feature/"), "/")
		return layerFeature, "internal/feature/" + name
	case p == "internal/cli" || under("smoke"):
		return layerApp, ""
	case under("cmd"):
		return layerCmd, ""
	case under("scripts") || p == "internal/arch":
		return layerTool, ""
	}
	return layerNone, ""
}

func rel(path string) (string, bool) {
	if path == module {
		return ".", true
	}
	r, ok := strings.CutPrefix(path, module+"/")
	return r, ok
}

func has(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }

// check returns every broken rule of the graph, one line each, sorted.
func check(pkgs []pkg) []string {
	var out []string
	bad := func(from, to, why string) { out = append(out, fmt.Sprintf("%s imports %s: %s", from, to, why)) }
	for _, p := range pkgs {
		from, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		layer, family := layerOf(from)
		if layer == layerNone {
			out = append(out, fmt.Sprintf("%s is in no layer: put it under internal/platform (shared, low), internal/feature (a command's job) or next to the feature it belongs to", from))
			continue
		}
		edges := func(imports []string, test bool) {
			for _, imp := range imports {
				if has(imp, "github.com/spf13/cobra") || has(imp, "github.com/spf13/pflag") {
					if from != "internal/cli" {
						bad(from, imp, "only internal/cli imports cobra/pflag; return options and views, the command layer parses flags")
					}
					continue
				}
				if has(imp, "github.com/charmbracelet/bubbletea") || has(imp, "github.com/charmbracelet/bubbles") {
					if !has(from, "internal/platform/ui") && from != "internal/cli" {
						bad(from, imp, "only internal/platform/ui (the terminal's models) and internal/cli (which runs them) import bubbletea/bubbles")
					}
					continue
				}
				if has(imp, "github.com/charmbracelet/lipgloss") {
					if !has(from, "internal/platform/ui") {
						bad(from, imp, "only internal/platform/ui imports lipgloss; print with internal/platform/view and take a view.Styles")
					}
					continue
				}
				if has(imp, "github.com/twmb/franz-go") && layer == layerModel {
					bad(from, imp, "topology is the model of topics.yaml and imports no Kafka package; observe the cluster in internal/platform/observe or provision")
					continue
				}
				to, ok := rel(imp)
				if !ok || to == from {
					continue
				}
				toLayer, toFamily := layerOf(to)
				if has(to, "internal/platform/ui") && from != "internal/cli" && !has(from, "internal/platform/ui") {
					bad(from, to, "only internal/cli imports internal/platform/ui; print with internal/platform/view and take a view.Styles")
					continue
				}
				switch {
				case toLayer == layerNone:
					// reported once, as a package in no layer
				case toLayer == layerTool || toLayer == layerCmd:
					bad(from, to, "a tool or main package is imported by nothing")
				case layer == layerCmd && !test && to != "internal/cli":
					bad(from, to, "cmd/kctl imports only internal/cli; put the code in internal/cli or below")
				case layer == layerPlatform && toLayer != layerPlatform && !(from == "internal/platform/observe" && toLayer == layerModel):
					bad(from, to, "a platform package imports only other platform packages; move the code it needs into internal/platform")
				case layer == layerModel && toLayer != layerPlatform:
					bad(from, to, "topology imports only platform packages")
				case layer == layerFeature && toLayer == layerApp:
					bad(from, to, "a feature imports no app package (internal/cli, smoke); return a view or an error to the command")
				case layer == layerFeature && toLayer == layerFeature && toFamily != family && !test:
					bad(from, to, "a feature imports another feature's internals; move what both need to internal/platform")
				case from != "internal/cli" && !has(from, "internal/cli") && to == "internal/cli" && layer != layerCmd:
					bad(from, to, "nothing but cmd/kctl imports internal/cli")
				}
			}
		}
		edges(p.Imports, false)
		edges(append(slices.Clone(p.TestImports), p.XTestImports...), true)
		if layer == layerModel || from == "internal/platform/view" {
			for _, d := range p.Deps {
				switch {
				case layer == layerModel && has(d, "github.com/twmb/franz-go"):
					out = append(out, fmt.Sprintf("%s depends on %s: topology must not reach a Kafka package, not even through a platform package", from, d))
				case from == "internal/platform/view" && strings.HasPrefix(d, "github.com/charmbracelet/"):
					out = append(out, fmt.Sprintf("%s depends on %s: view is the leaf features print with; terminal styles live in internal/platform/ui", from, d))
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// goList returns the module's packages as `go list -json ./...` reports them.
func goList(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports,Deps", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages of %s; run the test inside the module", len(pkgs), module)
	}
	return pkgs
}

// pending are violations known and fixed elsewhere, each with where; the
// test fails when one no longer occurs, so that it is removed from here.
var pending = map[string]string{}

// The module's real import graph keeps every rule.
func TestLayers(t *testing.T) {
	pkgs := goList(t)
	seen := map[string]bool{}
	for _, p := range pkgs {
		seen[p.ImportPath] = true
	}
	// The graph is the real one: the packages the rules talk about are there.
	for _, p := range []string{"internal/cli", "topology", "provision", "internal/platform/view", "internal/platform/ui", "internal/feature/groups", "cmd/kctl"} {
		if !seen[module+"/"+p] {
			t.Errorf("go list did not report %s", p)
		}
	}
	seenPending := map[string]bool{}
	for _, v := range check(pkgs) {
		if k, ok := pendingKey(v); ok {
			seenPending[k] = true
			t.Logf("pending (fixed by %s): %s", pending[k], v)
			continue
		}
		t.Error(v)
	}
	for k, by := range pending {
		if !seenPending[k] {
			t.Errorf("%q (fixed by %s) no longer occurs: remove it from pending", k, by)
		}
	}
}

func pendingKey(v string) (string, bool) {
	for k := range pending {
		if strings.HasPrefix(v, k) {
			return k, true
		}
	}
	return "", false
}

// Each rule fails on a graph that breaks it, with a message naming both
// packages and the fix; a graph keeping the rules passes.
func TestCheckFindsViolations(t *testing.T) {
	m := func(p string) string { return module + "/" + p }
	ok := []pkg{
		{ImportPath: m("cmd/kctl"), Imports: []string{m("internal/cli")}},
		{ImportPath: m("internal/cli"), Imports: []string{"github.com/spf13/cobra", m("internal/platform/ui"), m("provision"), m("smoke"), m("internal/feature/groups")}},
		{ImportPath: m("smoke"), Imports: []string{m("provision"), m("internal/platform/view")}},
		{ImportPath: m("internal/platform/ui"), Imports: []string{"github.com/charmbracelet/lipgloss", m("internal/platform/view")}},
		{ImportPath: m("internal/platform/view"), Deps: []string{"gopkg.in/yaml.v3"}},
		{ImportPath: m("internal/platform/observe"), Imports: []string{m("topology"), "github.com/twmb/franz-go/pkg/kmsg"}},
		{ImportPath: m("topology"), Imports: []string{m("internal/platform/human")}, Deps: []string{m("internal/platform/human")}},
		{ImportPath: m("provision"), Imports: []string{m("provision/reassign"), m("topology"), m("internal/platform/observe")}},
		{ImportPath: m("internal/feature/groups"), Imports: []string{m("internal/feature/groups/lag"), m("internal/platform/view")}, TestImports: []string{m("services/dlt")}},
		{ImportPath: m("services/email"), Imports: []string{m("services/dlt"), m("services/internal/svc")}},
		{ImportPath: m("scripts/seedtopics"), Imports: []string{"github.com/twmb/franz-go/pkg/kgo"}},
	}
	if v := check(ok); len(v) != 0 {
		t.Fatalf("a graph keeping the rules: %q", v)
	}
	for _, c := range []struct {
		name string
		p    pkg
		want string
	}{
		{"feature imports feature", pkg{ImportPath: m("internal/feature/groups"), Imports: []string{m("internal/feature/lag")}},
			"internal/feature/groups imports internal/feature/lag: a feature imports another feature's internals; move what both need to internal/platform"},
		{"services imports a feature", pkg{ImportPath: m("services/dlt"), Imports: []string{m("internal/feature/records")}},
			"services/dlt imports internal/feature/records: a feature imports another feature's internals"},
		{"inspect imports provision", pkg{ImportPath: m("internal/feature/inspect"), Imports: []string{m("provision")}},
			"internal/feature/inspect imports provision: a feature imports another feature's internals"},
		{"topology imports franz-go", pkg{ImportPath: m("topology"), Imports: []string{"github.com/twmb/franz-go/pkg/kmsg"}},
			"topology imports github.com/twmb/franz-go/pkg/kmsg: topology is the model of topics.yaml and imports no Kafka package"},
		{"topology reaches franz-go", pkg{ImportPath: m("topology"), Imports: []string{m("internal/platform/kafka")}, Deps: []string{"github.com/twmb/franz-go/pkg/kgo"}},
			"topology depends on github.com/twmb/franz-go/pkg/kgo: topology must not reach a Kafka package"},
		{"topology imports a feature", pkg{ImportPath: m("topology"), Imports: []string{m("provision")}},
			"topology imports provision: topology imports only platform packages"},
		{"cobra below cli", pkg{ImportPath: m("provision"), Imports: []string{"github.com/spf13/cobra"}},
			"provision imports github.com/spf13/cobra: only internal/cli imports cobra/pflag"},
		{"pflag in a test", pkg{ImportPath: m("internal/platform/kafka"), TestImports: []string{"github.com/spf13/pflag"}},
			"internal/platform/kafka imports github.com/spf13/pflag: only internal/cli imports cobra/pflag"},
		{"lipgloss in a feature", pkg{ImportPath: m("internal/feature/groups/lag"), Imports: []string{"github.com/charmbracelet/lipgloss"}},
			"internal/feature/groups/lag imports github.com/charmbracelet/lipgloss: only internal/platform/ui imports lipgloss"},
		{"ui in a feature", pkg{ImportPath: m("provision"), Imports: []string{m("internal/platform/ui")}},
			"provision imports internal/platform/ui: only internal/cli imports internal/platform/ui"},
		{"ui in smoke", pkg{ImportPath: m("smoke"), Imports: []string{m("internal/platform/ui")}},
			"smoke imports internal/platform/ui: only internal/cli imports internal/platform/ui"},
		{"view reaches lipgloss", pkg{ImportPath: m("internal/platform/view"), Deps: []string{"github.com/charmbracelet/x/ansi"}},
			"internal/platform/view depends on github.com/charmbracelet/x/ansi: view is the leaf"},
		{"platform imports the model", pkg{ImportPath: m("internal/platform/kafka"), Imports: []string{m("topology")}},
			"internal/platform/kafka imports topology: a platform package imports only other platform packages"},
		{"platform imports a feature", pkg{ImportPath: m("internal/platform/human"), Imports: []string{m("internal/feature/records")}},
			"internal/platform/human imports internal/feature/records: a platform package imports only other platform packages"},
		{"feature imports the app", pkg{ImportPath: m("services/users"), Imports: []string{m("smoke")}},
			"services/users imports smoke: a feature imports no app package"},
		{"feature test imports the app", pkg{ImportPath: m("provision"), XTestImports: []string{m("internal/cli")}},
			"provision imports internal/cli: a feature imports no app package"},
		{"smoke imports cli", pkg{ImportPath: m("smoke"), Imports: []string{m("internal/cli")}},
			"smoke imports internal/cli: nothing but cmd/kctl imports internal/cli"},
		{"main imports below cli", pkg{ImportPath: m("cmd/kctl"), Imports: []string{m("provision")}},
			"cmd/kctl imports provision: cmd/kctl imports only internal/cli"},
		{"a tool imported", pkg{ImportPath: m("internal/cli"), Imports: []string{m("scripts/seedtopics")}},
			"internal/cli imports scripts/seedtopics: a tool or main package is imported by nothing"},
		{"a package in no layer", pkg{ImportPath: m("internal/newpkg")},
			"internal/newpkg is in no layer: put it under internal/platform"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := check(append(slices.Clone(ok), c.p))
			if len(v) != 1 || !strings.HasPrefix(v[0], c.want) {
				t.Errorf("check = %q\nwant one violation starting %q", v, c.want)
			}
		})
	}
}
