package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// initLine is one line of GODEBUG=inittrace=1:
// "init PKG @T ms, C ms clock, B bytes, A allocs".
var initLine = regexp.MustCompile(`^init (\S+) @\S+ ms, \S+ ms clock, (\d+) bytes, (\d+) allocs$`)

// kctl's own packages do (almost) nothing at init: no regexp compiled, no
// large table built — that is done on first use. The budget is per package
// and in total, over every kctl package this test binary links (those of
// the kctl binary and the test helpers; not this package, whose test files
// have their own variables). Before issue 21 topology alone
// took 121 allocations (two regexps).
func TestInitBudget(t *testing.T) {
	if os.Getenv("KCTL_INITTRACE_CHILD") != "" {
		return
	}
	// The child is this test binary running no test: TestMain's
	// testscript.RunMain runs m.Run when not started as kctl.
	cmd := exec.Command(os.Args[0], "-test.run=^TestInitBudget$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1", "KCTL_INITTRACE_CHILD=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, stderr.String())
	}
	const perPkgAllocs, perPkgBytes, totalAllocs, totalBytes = 64, 8 << 10, 128, 12 << 10
	var allocs, size, pkgs int
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		m := initLine.FindStringSubmatch(sc.Text())
		if m == nil || !strings.HasPrefix(m[1], "github.com/kctl/kctl/") || m[1] == "github.com/kctl/kctl/cmd/kctl" {
			continue
		}
		pkgs++
		b, _ := strconv.Atoi(m[2])
		a, _ := strconv.Atoi(m[3])
		size += b
		allocs += a
		if a > perPkgAllocs || b > perPkgBytes {
			t.Errorf("%s allocates %d bytes in %d allocations at init; budget %d bytes, %d allocations: defer the work to first use (sync.OnceValue)", m[1], b, a, perPkgBytes, perPkgAllocs)
		}
	}
	if pkgs == 0 {
		t.Fatalf("no kctl package in the init trace:\n%s", stderr.String())
	}
	t.Logf("%d kctl packages with init work: %d bytes, %d allocations", pkgs, size, allocs)
	if allocs > totalAllocs || size > totalBytes {
		t.Errorf("kctl's packages allocate %d bytes in %d allocations at init; budget %d bytes, %d allocations", size, allocs, totalBytes, totalAllocs)
	}
}
