package cli

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Stdout keeps kctl's colour: on a terminal, the wrapped stdout still gets
// coloured styles (the terminal test and lipgloss see the file).
func TestStdoutOnTerminalKeepsColour(t *testing.T) {
	t.Setenv("TERM", "xterm-256color")
	t.Setenv("COLORTERM", "truecolor")
	t.Setenv("CI", "") // termenv takes any $CI for "not a terminal"
	t.Setenv("NO_COLOR", "")
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer m.Close()
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("pty number: %v", err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pty: %v", err)
	}
	defer tty.Close()
	f := NewFactory(IOStreams{Out: NewStdout(tty), ErrOut: tty}, os.Getenv)
	if !f.IsTerminal(f.IO.Out) {
		t.Error("the wrapped stdout on a terminal is not a terminal")
	}
	if st := f.Styles(); !st.Color() || st.Bold("x") == "x" {
		t.Errorf("the wrapped stdout on a terminal has no colour: %+v", st)
	}
}
