package cli

import (
	"context"
	"errors"
	"fmt"
)

// The exit codes of docs/design.md §2. They are decided only in ExitCode.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitChanges     = 2
	ExitInterrupted = 130
)

// ExitError carries an exit code and, optionally, a message already printed.
type exitError struct {
	code   int
	err    error
	silent bool // the command already reported it
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// ErrChangesPending makes kctl exit 2 (plan --detailed-exitcode).
var ErrChangesPending = &exitError{code: ExitChanges, silent: true}

// ErrSilentFailure exits 1 without printing anything more: the command has
// already printed what failed (a failed check, a refused plan).
var ErrSilentFailure = &exitError{code: ExitError, silent: true}

// FlagError is a usage error: it is printed with a hint to see --help.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// ExitCode maps a command's error to the process exit code. This is the
// only place exit codes are decided.
func ExitCode(err error, ctx context.Context) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) || errors.Is(err, errInterrupted) {
		return ExitInterrupted
	}
	if ctx.Err() != nil {
		return ExitInterrupted
	}
	return ExitError
}

var errInterrupted = errors.New("interrupted")

// isSilent reports whether err was already reported by its command.
func isSilent(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.silent
}
