package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kctl/kctl/internal/cli"
	"github.com/rogpeppe/go-internal/testscript"
)

// regenerate is the hint every documentation test gives on a mismatch.
const regenerate = "run `make docs` (KCTL_UPDATE_DOCS=1 go test -run 'TestDocExamples|TestReferenceCurrent' ./cmd/kctl) to regenerate"

// updateDocs is set by `make docs`: the tests rewrite the documentation
// instead of comparing it.
var updateDocs = os.Getenv("KCTL_UPDATE_DOCS") == "1"

// docFiles are the Markdown files whose console examples are checked:
// README.md and docs/*.md (docs/reference is generated whole, see
// TestReferenceCurrent).
func docFiles(t *testing.T) []string {
	t.Helper()
	root := filepath.Join("..", "..")
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{filepath.Join(root, "README.md")}, files...)
}

// Examples recorded by the `doc` command of the scripts in testdata/docs.
type docExamples struct {
	mu    sync.Mutex
	norms map[*testscript.TestScript][]docNorm // docnorm rules per script
	uuids map[string]map[string]string         // docuuids examples: UUID → its stand-in
	text  map[string]*strings.Builder
	from  map[string]string // example name → script that produced it
}

// TestDocExamples checks every console example of README.md and docs/*.md
// against the real binary. In the Markdown an example is
//
//	<!-- example: NAME -->
//	```console
//	$ kctl ...
//	output
//	```
//
// and its text is what the scripts in testdata/docs/*.txtar record under
// NAME with the command
//
//	[!] doc NAME [VAR=VALUE...] kctl ARGS... ['#' COMMENT...]
//	[!] doc NAME 'SHELL LINE'
//
// The first runs kctl (with the VAR=VALUE settings, shown in the example)
// like exec, with stderr on stdout (one stream, in the order written, as on
// a terminal), then appends "$ [VAR=VALUE ]kctl ARGS" and that output to
// NAME (several doc commands with one NAME make one block); a
// '#' argument starts a comment, shown and not passed on. The second runs a
// shell line (kctl in a pipe or with a redirection, or `cat` of a file kctl
// wrote) with sh -c and shows it as written. `docfile NAME FILE LINE` shows LINE and FILE's content: the
// log of a long-running command the script started in the background.
// `docnorm NAME REGEXP REPLACEMENT` adds a normalisation of the script's
// own to NAME's later commands (what only that example varies by, such as
// a time lag measured against the clock), visible in the script: what the
// REGEXP's first group matched becomes REPLACEMENT (padded to the group's
// width when the group ends in spaces inside a line: a table column),
// before the rules below. Scripts run with TestScripts' setup and commands
// (kfake start, mktopic, ...): NO_COLOR, HOME=$WORK, and $REPO is the
// repository (cp $REPO/topics.yaml topics.yaml shows the real file).
//
// What varies from run to run is normalised, in command lines and output:
//
//   - CRLF line ends (HTTP headers from curl -i) are LF;
//   - the script's work directory $WORK is shown as /home/me (it is $HOME);
//   - the brokers of `kfake start` ($BROKER0..2) are 127.0.0.1:9092,
//     127.0.0.1:19092, 127.0.0.1:29092 (cluster up's default ports), and
//     $REGISTRY (a script sets it to cluster up's registry) is
//     127.0.0.1:18081, its default;
//     any other 127.0.0.1 port of five digits (one the kernel picked) is
//     127.0.0.1:PORT (a script can name one with docnorm, e.g. as
//     127.0.0.1:9999); in a column (two spaces
//     or more after it) the address and the spaces keep their width;
//   - a duration measured by the run, below a second (12ms, 559µs, 1.5ms) or
//     in seconds with a fraction (0.18s, 1.05s: how human.Elapsed writes a
//     second or more), is 1ms, whatever the machine's speed; whole seconds
//     (10s, a setting) are kept; in a
//     right-aligned column (two spaces or more before it) the spaces and the
//     duration keep their width, so the table stays aligned;
//   - an RFC 3339 time of the run (within a day of now: a record's
//     timestamp, when a plan was made) is 2026-01-02T15:04:05Z;
//   - in the examples a script names with `docuuids NAME...`, a UUID (an
//     event ID) is 00000000-0000-4000-8000-00000000000N, N counting the
//     distinct UUIDs of the example in order of appearance (elsewhere a
//     UUID is kept: one in a message is part of the message);
//   - a 22-character Kafka ID (cluster or topic ID, base64: a word of
//     letters of both cases, digits, - and _) is m3EornJ5TVeOzE7pOjk4tg.
//
// A block marked <!-- file: PATH --> (a ```yaml block showing a file of the
// repository, such as topics.yaml) is that file, as it is.
//
// Every ```console block must be such an example, and every example a
// script records must be used by a block. With KCTL_UPDATE_DOCS=1 (make
// docs) the blocks are rewritten in place instead.
func TestDocExamples(t *testing.T) {
	ex := &docExamples{text: map[string]*strings.Builder{}, from: map[string]string{}}
	t.Run("scripts", func(t *testing.T) {
		p := scriptParams(filepath.Join("testdata", "docs"))
		p.Cmds["doc"] = ex.cmdDoc
		p.Cmds["docfile"] = ex.cmdDocfile
		p.Cmds["docnorm"] = ex.cmdDocnorm
		p.Cmds["docuuids"] = ex.cmdDocuuids
		repo, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			t.Fatal(err)
		}
		setup := p.Setup
		p.Setup = func(env *testscript.Env) error {
			env.Setenv("REPO", repo) // the repository: cp $REPO/topics.yaml .
			return setup(env)
		}
		testscript.Run(t, p)
	})
	if t.Failed() {
		return
	}
	used := map[string]bool{}
	for _, file := range docFiles(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		out, errs := rewriteExamples(string(b), !recordDocs[filepath.Base(file)], func(name string) (string, bool) {
			used[name] = true
			s, ok := ex.text[name]
			if !ok {
				return "", false
			}
			return s.String(), true
		})
		rel := strings.TrimPrefix(file, filepath.Join("..", "..")+string(filepath.Separator))
		for _, e := range errs {
			t.Errorf("%s: %s", rel, e)
		}
		if out == string(b) {
			continue
		}
		if updateDocs {
			if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: examples regenerated", rel)
			continue
		}
		t.Errorf("%s: generated blocks differ (console examples from what the binary prints now, <!-- file: --> blocks from the file):\n%s\n%s", rel, firstDiff(string(b), out), regenerate)
	}
	var unused []string
	for name := range ex.text {
		if !used[name] {
			unused = append(unused, name+" ("+ex.from[name]+")")
		}
	}
	sort.Strings(unused)
	for _, u := range unused {
		t.Errorf("example %s is recorded by a script but shown by no <!-- example: --> block in README.md or docs/*.md: use it or drop it", u)
	}
}

// recordDocs are records of measurements and runs, kept as written (their
// transcripts are not reproducible by a test): in them only unmarked
// ```console blocks are refused.
var recordDocs = map[string]bool{"design.md": true, "testing.md": true, "benchmarks.md": true, "faults.md": true}

var (
	exampleMarker = regexp.MustCompile(`^( *)<!-- example: ([A-Za-z0-9_.-]+) -->$`)
	fileMarker    = regexp.MustCompile(`^( *)<!-- file: ([A-Za-z0-9_./-]+) -->$`)
	fence         = regexp.MustCompile("^( *)```(\\S*)")
	promptLine    = regexp.MustCompile(`^\$ `)
)

// rewriteExamples returns doc with each marked console block replaced by
// text(NAME), and the errors: a ```console block without a marker, a marker
// not followed by one, an unknown example, a fence without a language, and
// a block of another language that shows a "$ " prompt (console output
// must be checked, command-only blocks are ```sh without prompts). Only the
// first two apply unless strict (see recordDocs).
func rewriteExamples(doc string, strict bool, text func(name string) (string, bool)) (string, []string) {
	lines := strings.SplitAfter(doc, "\n")
	var out strings.Builder
	var errs []string
	errorf := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\n")
		out.WriteString(lines[i])
		if m := fileMarker.FindStringSubmatch(line); m != nil {
			indent, path := m[1], m[2]
			if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], indent+"```") {
				errorf("line %d: <!-- file: %s --> is not followed by a ``` fence", i+1, path)
				continue
			}
			i++
			out.WriteString(lines[i])
			start := i + 1
			for i++; i < len(lines) && strings.TrimRight(lines[i], "\n") != indent+"```"; i++ {
			}
			b, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(path)))
			if err != nil {
				errorf("line %d: <!-- file: %s -->: %v", start-1, path, err)
				out.WriteString(strings.Join(lines[start:i], ""))
			} else {
				out.WriteString(indentLines(string(b), indent))
			}
			if i < len(lines) {
				out.WriteString(lines[i])
			}
			continue
		}
		if m := exampleMarker.FindStringSubmatch(line); m != nil {
			indent, name := m[1], m[2]
			if i+1 >= len(lines) || strings.TrimRight(lines[i+1], "\n") != indent+"```console" {
				errorf("line %d: <!-- example: %s --> is not followed by a ```console fence (indented as the marker)", i+1, name)
				continue
			}
			i++
			out.WriteString(lines[i])
			start := i + 1
			for i++; i < len(lines) && strings.TrimRight(lines[i], "\n") != indent+"```"; i++ {
			}
			body, ok := text(name)
			if !ok {
				errorf("line %d: no script in cmd/kctl/testdata/docs records example %s (doc %s kctl ...)", start-1, name, name)
				body = strings.Join(lines[start:i], "")
			} else if indent != "" {
				body = indentLines(body, indent)
			}
			out.WriteString(body)
			if i < len(lines) {
				out.WriteString(lines[i])
			}
			continue
		}
		f := fence.FindStringSubmatch(line)
		if f == nil {
			continue
		}
		indent, lang := f[1], f[2]
		switch {
		case lang == "console":
			errorf("line %d: a ```console block without <!-- example: NAME --> above it: every console example comes from a script in cmd/kctl/testdata/docs", i+1)
		case lang == "" && strict:
			errorf("line %d: a ``` fence without a language: say console (a checked example), sh (commands only), yaml, json, text...", i+1)
		}
		for i++; i < len(lines) && strings.TrimRight(lines[i], "\n") != indent+"```"; i++ {
			out.WriteString(lines[i])
			if !strict || !promptLine.MatchString(strings.TrimPrefix(lines[i], indent)) {
				continue
			}
			if lang == "sh" {
				errorf("line %d: a ```sh block shows a \"$ \" prompt: sh blocks hold commands only (no prompt, no output); output goes in a checked ```console example", i+1)
			} else if lang != "console" {
				errorf("line %d: a ```%s block shows a \"$ \" prompt: make it a checked ```console example or a ```sh block of commands", i+1, lang)
			}
		}
		if i < len(lines) {
			out.WriteString(lines[i])
		}
	}
	return out.String(), errs
}

// indentLines puts indent before every line of s that is not empty.
func indentLines(s, indent string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" && l != "\n" {
			lines[i] = indent + l
		}
	}
	return strings.Join(lines, "")
}

// firstDiff shows the first differing line of two texts.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  doc:    %q\n  binary: %q", i+1, x, y)
		}
	}
	return ""
}

// cmdDoc is the scripts' `doc NAME [VAR=VALUE...] kctl ARGS... [# COMMENT]`.
func (ex *docExamples) cmdDoc(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: doc NAME [VAR=VALUE...] kctl ARGS... [# COMMENT]")
	}
	name, args := args[0], args[1:]
	if len(args) == 1 {
		ex.shellLine(ts, neg, name, args[0])
		return
	}
	var shown []string
	type saved struct{ k, v string }
	var restore []saved
	for len(args) > 0 && strings.Contains(args[0], "=") && !strings.HasPrefix(args[0], "-") {
		k, v, _ := strings.Cut(args[0], "=")
		restore = append(restore, saved{k, ts.Getenv(k)})
		ts.Setenv(k, v)
		shown = append(shown, k+"="+shellQuote(v))
		args = args[1:]
	}
	defer func() {
		for _, r := range restore {
			ts.Setenv(r.k, r.v)
		}
	}()
	if len(args) == 0 || args[0] != "kctl" {
		ts.Fatalf("doc %s: the command must be kctl", name)
	}
	comment := ""
	for i, a := range args {
		if a == "#" {
			comment = "   # " + strings.Join(args[i+1:], " ")
			args = args[:i]
			break
		}
	}
	for _, a := range args {
		shown = append(shown, shellQuote(a))
	}
	// One stream, as on a terminal: stderr lines stay where they were written.
	err := ts.Exec("sh", append([]string{"-c", `exec "$0" "$@" 2>&1`}, args...)...)
	if err != nil && !neg {
		ts.Fatalf("doc %s: %v", name, err)
	}
	if err == nil && neg {
		ts.Fatalf("doc %s: unexpected success", name)
	}
	ex.record(ts, name, strings.Join(shown, " ")+comment)
}

// shellLine runs `doc NAME 'LINE'`: LINE, a shell command line (kctl in a
// pipe or with a redirection, or `cat` of a file kctl wrote), with sh -c;
// shown as written.
func (ex *docExamples) shellLine(ts *testscript.TestScript, neg bool, name, line string) {
	err := ts.Exec("sh", "-c", "exec 2>&1\n"+line)
	if err != nil && !neg {
		ts.Fatalf("doc %s: %v", name, err)
	}
	if err == nil && neg {
		ts.Fatalf("doc %s: unexpected success", name)
	}
	ex.record(ts, name, line)
}

// record appends "$ LINE", stdout and stderr of the last command to NAME.
func (ex *docExamples) record(ts *testscript.TestScript, name, line string) {
	text := "$ " + line + "\n" + ts.ReadFile("stdout") + ts.ReadFile("stderr")
	if !strings.HasSuffix(text, "\n") {
		text += "\n" // a shell prompt would start on the next line too
	}
	ex.add(ts, name, normaliseDoc(ts, ex.applyNorms(ts, name, text)))
}

// applyNorms applies the script's docnorm rules for NAME to text.
func (ex *docExamples) applyNorms(ts *testscript.TestScript, name, text string) string {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	for _, n := range ex.norms[ts] {
		if n.name == name {
			text = n.apply(text)
		}
	}
	return text
}

func (ex *docExamples) add(ts *testscript.TestScript, name, text string) {
	script := filepath.Base(ts.Getenv("WORK"))
	ex.mu.Lock()
	defer ex.mu.Unlock()

	if from, ok := ex.from[name]; ok && from != script {
		ts.Fatalf("doc %s: example already recorded by another script (%s)", name, from)
	}
	ex.from[name] = script
	if ex.text[name] == nil {
		ex.text[name] = &strings.Builder{}
	}
	if seen := ex.uuids[name]; seen != nil {
		text = uuidRE.ReplaceAllStringFunc(text, func(u string) string {
			if _, ok := seen[u]; !ok {
				seen[u] = fmt.Sprintf("00000000-0000-4000-8000-%012x", len(seen)+1)
			}
			return seen[u]
		})
	}
	ex.text[name].WriteString(text)
}

type docNorm struct {
	name string
	re   *regexp.Regexp
	repl string
}

// apply replaces what the first group of each match of n.re matched by
// n.repl; when the group ends in spaces followed by more text on the line
// (a column of a table), padded with spaces to the group's width.
func (n docNorm) apply(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range n.re.FindAllStringSubmatchIndex(s, -1) {
		if len(m) < 4 || m[2] < 0 {
			continue
		}
		start, end := m[2], m[3]
		repl := n.repl
		group := s[start:end]
		if strings.HasSuffix(group, " ") && end < len(s) && s[end] != '\n' {
			repl += strings.Repeat(" ", max(utf8.RuneCountInString(group)-utf8.RuneCountInString(repl), 1))
		}
		b.WriteString(s[last:start])
		b.WriteString(repl)
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

// cmdDocnorm is the scripts' `docnorm NAME REGEXP REPLACEMENT`.
func (ex *docExamples) cmdDocnorm(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: docnorm NAME REGEXP REPLACEMENT")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if ex.norms == nil {
		ex.norms = map[*testscript.TestScript][]docNorm{}
	}
	ex.norms[ts] = append(ex.norms[ts], docNorm{args[0], re, args[2]})
}

// cmdDocuuids is the scripts' `docuuids NAME...`.
func (ex *docExamples) cmdDocuuids(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: docuuids NAME...")
	}
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if ex.uuids == nil {
		ex.uuids = map[string]map[string]string{}
	}
	for _, name := range args {
		if ex.uuids[name] == nil {
			ex.uuids[name] = map[string]string{}
		}
	}
}

// cmdDocfile is the scripts' `docfile NAME FILE LINE`.
func (ex *docExamples) cmdDocfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: docfile NAME FILE 'COMMAND LINE'")
	}
	text := normaliseDoc(ts, ex.applyNorms(ts, args[0], "$ "+args[2]+"\n"+ts.ReadFile(args[1])))
	ex.add(ts, args[0], text)
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"$*?[]{}()<>|&;\\`~!#") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

var (
	loopbackPort = regexp.MustCompile(`127\.0\.0\.1:\d+ *`)
	subSecond    = regexp.MustCompile(`( *)\b\d+(\.\d+)?(ns|µs|ms)\b`)
	fracSeconds  = regexp.MustCompile(`( *)\b\d+\.\d+s\b`)
	rfc3339      = regexp.MustCompile(`\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	uuidRE       = regexp.MustCompile(`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
	kafkaID      = regexp.MustCompile(`\b[A-Za-z0-9_-]{22}\b`)
	hasLower     = regexp.MustCompile(`[a-z]`)
	hasUpper     = regexp.MustCompile(`[A-Z]`)
)

// normaliseDoc applies TestDocExamples' rules.
func normaliseDoc(ts *testscript.TestScript, s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n") // HTTP headers (curl -i)
	if w := ts.Getenv("WORK"); w != "" {
		s = strings.ReplaceAll(s, w, "/home/me")
	}
	fixed := map[string]string{}
	for i, port := range []string{"9092", "19092", "29092"} {
		if b := ts.Getenv("BROKER" + strconv.Itoa(i)); b != "" {
			fixed[b] = "127.0.0.1:" + port
		}
	}
	if r := ts.Getenv("REGISTRY"); r != "" {
		fixed[r] = "127.0.0.1:18081"
	}
	s = loopbackPort.ReplaceAllStringFunc(s, func(m string) string {
		a := strings.TrimRight(m, " ")
		f, ok := fixed[a]
		if !ok && len(a) < len("127.0.0.1:10000") {
			return m // a port the script chose (docnorm), not the kernel
		}
		if !ok {
			f = "127.0.0.1:PORT"
		}
		if spaces := len(m) - len(a); spaces >= 2 {
			return f + strings.Repeat(" ", max(len(m)-len(f), 2))
		}
		return f + m[len(a):]
	})
	s = replaceAligned(s, subSecond, "1ms")
	s = replaceAligned(s, fracSeconds, "1ms")
	s = rfc3339.ReplaceAllStringFunc(s, func(m string) string {
		t, err := time.Parse(time.RFC3339Nano, m)
		if err != nil || time.Since(t).Abs() > 24*time.Hour {
			return m // a time in a message, such as an example of a flag's forms
		}
		return "2026-01-02T15:04:05Z"
	})
	s = kafkaID.ReplaceAllStringFunc(s, func(id string) string {
		if hasLower.MatchString(id) && hasUpper.MatchString(id) {
			return "m3EornJ5TVeOzE7pOjk4tg"
		}
		return id
	})
	return s
}

// replaceAligned replaces each match of re (whose first group is the spaces
// before it) by repl; after two spaces or more, right-aligned to the width
// of the spaces and the match.
func replaceAligned(s string, re *regexp.Regexp, repl string) string {
	return re.ReplaceAllStringFunc(s, func(m string) string {
		spaces := len(m) - len(strings.TrimLeft(m, " "))
		if spaces < 2 {
			return m[:spaces] + repl
		}
		width := utf8.RuneCountInString(m)
		return strings.Repeat(" ", max(width-len(repl), 1)) + repl
	})
}

// TestReferenceCurrent checks docs/reference (Markdown) and docs/man (man
// pages), generated from the cobra command tree by cli.GenDocs, against a
// fresh generation; with KCTL_UPDATE_DOCS=1 (make docs) it rewrites them.
func TestReferenceCurrent(t *testing.T) {
	docs := filepath.Join("..", "..", "docs")
	dir := t.TempDir()
	if err := cli.GenDocs(dir); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"reference", "man"} {
		want := readDir(t, filepath.Join(dir, sub))
		have := readDir(t, filepath.Join(docs, sub))
		if updateDocs {
			if err := os.RemoveAll(filepath.Join(docs, sub)); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(docs, sub), 0o755); err != nil {
				t.Fatal(err)
			}
			for name, b := range want {
				if err := os.WriteFile(filepath.Join(docs, sub, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			continue
		}
		for name, b := range want {
			if h, ok := have[name]; !ok {
				t.Errorf("docs/%s/%s is missing: %s", sub, name, regenerate)
			} else if !bytes.Equal(h, b) {
				t.Errorf("docs/%s/%s differs from the command tree (%s): %s", sub, name, firstDiff(string(h), string(b)), regenerate)
			}
		}
		for name := range have {
			if _, ok := want[name]; !ok {
				t.Errorf("docs/%s/%s is for no command any more: %s", sub, name, regenerate)
			}
		}
	}
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return m
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = b
	}
	return m
}

// TestDocLinks checks the relative links of README.md and docs/*.md: the
// file exists, and a #anchor names a heading of that Markdown file (as
// GitHub makes anchors: lower case, punctuation dropped, spaces as -).
func TestDocLinks(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	anchors := map[string]map[string]bool{}
	headingsOf := func(file string) map[string]bool {
		if a, ok := anchors[file]; ok {
			return a
		}
		a := map[string]bool{}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		fence := false
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "```") {
				fence = !fence
			}
			if fence || !strings.HasPrefix(l, "#") {
				continue
			}
			a[githubAnchor(strings.TrimLeft(l, "#"))] = true
		}
		anchors[file] = a
		return a
	}
	checked := 0
	for _, file := range docFiles(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		fence := false
		for i, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "```") {
				fence = !fence
			}
			if fence {
				continue
			}
			for _, m := range link.FindAllStringSubmatch(l, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				checked++
				path, anchor, _ := strings.Cut(target, "#")
				dest := file
				if path != "" {
					dest = filepath.Join(filepath.Dir(file), path)
					if _, err := os.Stat(dest); err != nil {
						t.Errorf("%s:%d: link %s: no such file", file, i+1, target)
						continue
					}
				}
				if anchor != "" && strings.HasSuffix(dest, ".md") && !headingsOf(dest)[anchor] {
					t.Errorf("%s:%d: link %s: %s has no heading with the anchor #%s", file, i+1, target, dest, anchor)
				}
			}
		}
	}
	if checked == 0 {
		t.Error("no relative link found: the check is broken")
	}
}

var anchorDrop = regexp.MustCompile(`[^\p{L}\p{N}_\- ]`)

func githubAnchor(heading string) string {
	return strings.ReplaceAll(anchorDrop.ReplaceAllString(strings.ToLower(strings.TrimSpace(heading)), ""), " ", "-")
}
