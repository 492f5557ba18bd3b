package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// Main runs kctl with args and returns the process exit code. It is the
// one place that handles signals: the first SIGINT/SIGTERM cancels the
// command's context (a cancelled command exits 130), a second closes the
// factory's StopNow (produce then stops waiting for acknowledgements), and
// later ones are ignored. SIGPIPE is caught for the whole run, so a closed
// stdout is a write error (EPIPE) that Run handles (pipe.go), not death by
// signal (exit 141).
func Main(args []string) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	sigpipe := make(chan os.Signal, 1)
	signal.Notify(sigpipe, syscall.SIGPIPE)
	defer signal.Stop(sigpipe)
	ctx, stopNow, release := watchInterrupts(sigs)
	defer release()
	f := NewFactory(IOStreams{In: os.Stdin, Out: NewStdout(os.Stdout), ErrOut: os.Stderr}, os.Getenv)
	f.TuneGC = tuneGC
	f.StopNow = stopNow
	return Run(ctx, f, args)
}

// watchInterrupts turns the interrupts received on sigs into a context
// cancelled at the first and a channel closed at the second; release stops
// watching.
func watchInterrupts(sigs <-chan os.Signal) (ctx context.Context, stopNow <-chan struct{}, release func()) {
	ctx, cancel := context.WithCancel(context.Background())
	now := make(chan struct{})
	done := make(chan struct{})
	go func() {
		for n := 1; ; n++ {
			select {
			case <-done:
				return
			case <-sigs:
				switch n {
				case 1:
					cancel()
				case 2:
					close(now)
				}
			}
		}
	}()
	return ctx, now, func() { close(done); cancel() }
}

// Run executes the root command with args against f and returns the exit
// code. When f.IO.Out is a *Stdout whose reader went away, a command that
// stops on that write exits 0 quietly; one that changes things is not
// stopped by it (see pipe.go).
func Run(ctx context.Context, f *Factory, args []string) int {
	f.Args = args
	root := newCmdRootFor(f, args)
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	prepareStdout(root, f.IO.Out, args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil || closedStdout(f.IO.Out, err) {
		return ExitOK
	}
	code := ExitCode(err, ctx)
	if code == ExitInterrupted {
		fmt.Fprintln(f.IO.ErrOut, "interrupted")
		return code
	}
	if isSilent(err) {
		return code
	}
	fmt.Fprintln(f.IO.ErrOut, "Error: "+err.Error())
	var fe *FlagError
	if errors.As(err, &fe) {
		name := "kctl"
		if cmd != nil {
			name = cmd.CommandPath()
		}
		fmt.Fprintf(f.IO.ErrOut, "Run '%s --help' for usage.\n", name)
	}
	return code
}

// tuneGC lets one-shot commands (describe, lag, plan, apply, …) run with
// GOGC=400: they live for milliseconds and allocate a few MiB, and with the
// default GOGC=100 the collector ran during nearly every describe and took
// about a tenth of its CPU (perf profile in docs/benchmarks.md). The heap
// still stays within five times the live data. Servers, the embedded cluster
// and smoke keep Go's default. An explicit GOGC in the environment wins.
func tuneGC(longRunning bool) {
	if longRunning || os.Getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(400)
}
