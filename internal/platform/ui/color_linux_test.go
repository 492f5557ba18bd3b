package ui

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY returns the terminal end of a new pseudo-terminal.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("pty number: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pty: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Colour is decided from the writer the text goes to, not from stdout:
// under go test stdout is no terminal, yet a terminal writer gets colour,
// and a buffer never does.
func TestColourFollowsTheWriter(t *testing.T) {
	t.Setenv("TERM", "xterm-256color")
	t.Setenv("COLORTERM", "truecolor")
	t.Setenv("CI", "") // termenv takes any $CI for "not a terminal"
	env := func(k string) string { return os.Getenv(k) }
	tty := openPTY(t)
	if !IsTerminal(tty) {
		t.Fatal("the pty is not seen as a terminal")
	}
	if st := StylesFor(tty, IsTerminal(tty), false, env); !st.Color() || !strings.Contains(st.Bad("x"), "\x1b[") {
		t.Errorf("a terminal writer: Color=%v, Bad(x)=%q; want colour", st.Color(), st.Bad("x"))
	}
	if st := StylesFor(tty, true, true, env); st.Color() || st.Bad("x") != "x" {
		t.Errorf("--no-color on a terminal: Bad(x)=%q, want plain", st.Bad("x"))
	}
	t.Setenv("NO_COLOR", "1")
	if st := StylesFor(tty, true, false, env); st.Color() {
		t.Error("NO_COLOR on a terminal: colour on")
	}
	t.Setenv("NO_COLOR", "")
	var buf bytes.Buffer
	if st := StylesFor(&buf, IsTerminal(&buf), false, env); st.Color() || st.Bad("x") != "x" {
		t.Errorf("a buffer: Bad(x)=%q, want plain", st.Bad("x"))
	}
}
