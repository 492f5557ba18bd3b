package cli

import (
	"errors"
	"io"
	"os"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"
)

// A reader of kctl's stdout that goes away (kctl groups list | head -1)
// must not kill kctl with SIGPIPE (exit 141, which is not one of kctl's
// exit codes and fails `set -o pipefail` scripts). Main therefore catches
// SIGPIPE for the whole process: a write to the closed stdout then fails
// with EPIPE, and this file decides, in one place, what that means:
//
//   - a command that only reads and prints stops at its next write and
//     kctl exits 0 quietly, as consume always did;
//   - a command that changes things (annotated keepGoingAnnotation) is not
//     interrupted by it: its writes to the closed stdout are dropped, it
//     finishes its work and kctl exits with that work's code.

// keepGoingAnnotation marks the commands a closed stdout must not
// interrupt: stopping them at a print could leave half a change, or none
// at all after the plan was printed. Every command annotated
// mutatesAnnotation (addChangeFlags) is one of them; keepGoingOnClosedStdout
// marks the others (produce, config use-context, set-context).
const keepGoingAnnotation = "kctl/keeps-going-on-closed-stdout"

// keepGoingOnClosedStdout marks cmd as one a closed stdout must not
// interrupt.
func keepGoingOnClosedStdout(cmd *cobra.Command) { annotate(cmd, keepGoingAnnotation) }

// keepsGoing reports whether cmd or a parent is marked keepGoingAnnotation.
func keepsGoing(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		if c.Annotations[keepGoingAnnotation] == "true" {
			return true
		}
	}
	return false
}

// Stdout is the process's standard output as kctl writes it: it notes a
// write that failed because the reader went away (EPIPE) and, once told
// the command changes things (keepGoing), drops further writes instead of
// failing them.
type Stdout struct {
	f         *os.File
	closed    atomic.Bool
	keepGoing atomic.Bool
}

// NewStdout wraps f (os.Stdout; a pipe in tests).
func NewStdout(f *os.File) *Stdout { return &Stdout{f: f} }

// Write writes p to the file. After the reader went away it returns the
// EPIPE error, or, for a command that changes things, len(p) and nil.
func (s *Stdout) Write(p []byte) (int, error) {
	if s.closed.Load() && s.keepGoing.Load() {
		return len(p), nil
	}
	n, err := s.f.Write(p)
	if err != nil && errors.Is(err, syscall.EPIPE) {
		s.closed.Store(true)
		if s.keepGoing.Load() {
			return len(p), nil
		}
	}
	return n, err
}

// File returns the wrapped file (for the terminal test).
func (s *Stdout) File() *os.File { return s.f }

// Closed reports whether a write found the reader gone.
func (s *Stdout) Closed() bool { return s.closed.Load() }

// prepareStdout tells out, when it is a *Stdout, whether the command args
// name changes things.
func prepareStdout(root *cobra.Command, out io.Writer, args []string) {
	s, ok := out.(*Stdout)
	if !ok {
		return
	}
	if cmd, _, err := root.Find(args); err == nil && cmd != nil {
		s.keepGoing.Store(keepsGoing(cmd))
	}
}

// closedStdout reports whether err is a write to out that found the reader
// gone: the command then ends quietly with exit 0.
func closedStdout(out io.Writer, err error) bool {
	s, ok := out.(*Stdout)
	return ok && s.Closed() && errors.Is(err, syscall.EPIPE)
}
