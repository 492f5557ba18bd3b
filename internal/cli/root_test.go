package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// TuneGC is told which commands are long-running: servers, the embedded
// cluster and smoke keep Go's default collector, one-shot commands do not.
func TestTuneGCLongRunning(t *testing.T) {
	for args, want := range map[string]bool{
		"version": false,
		"describe cluster -b 127.0.0.1:1 --timeout 100ms":                           false,
		"validate -f /nonexistent.yaml":                                             false,
		"serve users --help-not-a-flag":                                             false, // a flag error stops before the hook
		"cluster up --ports 1,2":                                                    true,  // refused after the hook: not 3 ports
		"serve users --db /nonexistent/dir/users.db -b 127.0.0.1:1 --timeout 100ms": true,
		"smoke --users-url http://127.0.0.1:1 -b 127.0.0.1:1 --timeout 100ms":       true,
	} {
		var out, errOut bytes.Buffer
		f := NewFactory(IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, func(string) string { return "" })
		var calls []bool
		f.TuneGC = func(long bool) { calls = append(calls, long) }
		Run(context.Background(), f, strings.Fields(args))
		if strings.Contains(args, "--help-not-a-flag") {
			if len(calls) != 0 {
				t.Errorf("%s: TuneGC called %v on a flag error", args, calls)
			}
			continue
		}
		if len(calls) != 1 || calls[0] != want {
			t.Errorf("kctl %s: TuneGC calls = %v, want [%v] (stderr %q)", args, calls, want, errOut.String())
		}
	}
}

// Every kind of usage error reaches Run as a *FlagError (typed at its
// source, never recognised by cobra's wording) and prints the --help hint;
// an error that is not about usage prints none.
func TestUsageErrorsAreTyped(t *testing.T) {
	for args, hint := range map[string]string{
		"describe topics --bogus":         "kctl describe topics",    // unknown flag
		"describe topics -Z":              "kctl describe topics",    // unknown shorthand
		"describe cluster extra":          "kctl describe cluster",   // NoArgs
		"describe cluster --timeout":      "kctl describe cluster",   // flag needs an argument
		"describe cluster --timeout soon": "kctl describe cluster",   // invalid argument
		"config use-context":              "kctl config use-context", // ExactArgs
		"plan a.yaml b.yaml":              "kctl plan",               // MaximumNArgs
		"config nosuch":                   "kctl config",             // unknown subcommand
		"nosuch":                          "kctl",                    // unknown command
	} {
		var out, errOut bytes.Buffer
		f := NewFactory(IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, func(string) string { return "" })
		root := NewCmdRoot(f)
		root.SetArgs(strings.Fields(args))
		root.SetOut(&out)
		root.SetErr(&errOut)
		_, err := root.ExecuteC()
		var fe *FlagError
		if !errors.As(err, &fe) {
			t.Errorf("kctl %s: error %v (%T) is not a *FlagError", args, err, err)
			continue
		}
		errOut.Reset()
		if code := Run(context.Background(), f, strings.Fields(args)); code != ExitError {
			t.Errorf("kctl %s: exit %d, want %d", args, code, ExitError)
		}
		if want := "Run '" + hint + " --help' for usage.\n"; !strings.HasSuffix(errOut.String(), want) {
			t.Errorf("kctl %s: stderr %q, want it to end with %q", args, errOut.String(), want)
		}
	}
	var out, errOut bytes.Buffer
	f := NewFactory(IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, func(string) string { return "" })
	Run(context.Background(), f, []string{"validate", "-f", "/nonexistent/topics.yaml"})
	if strings.Contains(errOut.String(), "for usage") {
		t.Errorf("a missing file is not a usage error, yet stderr says %q", errOut.String())
	}
}
