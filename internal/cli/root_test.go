package cli

import (
	"bytes"
	"context"
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
