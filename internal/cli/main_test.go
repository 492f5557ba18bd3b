package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestWatchInterrupts: the first interrupt cancels the context, the second
// closes StopNow, a third is ignored.
func TestWatchInterrupts(t *testing.T) {
	sigs := make(chan os.Signal)
	ctx, stopNow, release := watchInterrupts(sigs)
	defer release()
	select {
	case <-ctx.Done():
		t.Fatal("cancelled before any signal")
	case <-stopNow:
		t.Fatal("StopNow closed before any signal")
	default:
	}
	sigs <- os.Interrupt
	<-ctx.Done()
	select {
	case <-stopNow:
		t.Fatal("StopNow closed at the first signal")
	default:
	}
	sigs <- syscall.SIGTERM
	<-stopNow
	sigs <- os.Interrupt // a third: received, nothing to do
}

// A second interrupt (StopNow, closed by Main) ends produce's wait for the
// acknowledgements of a cluster that never answers at once, not after
// --timeout.
func TestProduceSecondInterruptStopsTheWait(t *testing.T) {
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), "stall", 1, nil)
	seen := make(chan struct{})
	var once sync.Once
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		once.Do(func() { close(seen) })
		return nil, nil, true // never answered
	})
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() { // endless lines, as seq 1 3000000
		line := []byte(strings.Repeat("x", 100) + "\n")
		for {
			if _, err := pw.Write(line); err != nil {
				return
			}
		}
	}()
	var errOut bytes.Buffer
	env := map[string]string{"KCTL_BROKERS": c.Bootstrap(), "NO_COLOR": "1", "XDG_CONFIG_HOME": t.TempDir()}
	f := NewFactory(IOStreams{In: pr, Out: io.Discard, ErrOut: &errOut}, func(k string) string { return env[k] })
	stopNow := make(chan struct{})
	f.StopNow = stopNow
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-seen
		cancel()
		close(stopNow)
	}()
	done := make(chan int, 1)
	// --timeout 2m: without StopNow, produce would wait 2 minutes.
	go func() { done <- Run(ctx, f, []string{"produce", "stall", "--timeout", "2m"}) }()
	select {
	case code := <-done:
		if code != ExitInterrupted || !strings.Contains(errOut.String(), "stopping: no more lines are read") {
			t.Fatalf("exit %d, stderr %q; want 130 after the stopping note", code, errOut.String())
		}
	case <-time.After(45 * time.Second):
		t.Fatal("produce still waiting 45s after the second interrupt")
	}
}
