package records

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// blackholeProduce makes the cluster read every Produce request and never
// answer it (as a cluster that went away mid-request); the returned channel
// is closed at the first one.
func blackholeProduce(c *devcluster.Cluster) <-chan struct{} {
	seen := make(chan struct{})
	var once sync.Once
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		once.Do(func() { close(seen) })
		return nil, nil, true
	})
	return seen
}

// produceStalled runs Produce of an endless input against a cluster that
// never answers Produce; stop is called once the first request arrived.
func produceStalled(t *testing.T, o ProduceOptions, stop func(cancel context.CancelFunc)) (ProduceResult, error, time.Duration) {
	t.Helper()
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "stall", 1, nil)
	seen := blackholeProduce(c)
	o.Topic, o.Partition = "stall", 0
	opts, err := o.ClientOptions("none")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Brokers()...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() { // an endless stream of lines, as seq 1 3000000
		line := []byte(strings.Repeat("x", 100) + "\n")
		for {
			if _, err := pw.Write(line); err != nil {
				return
			}
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-seen:
			stop(cancel)
		case <-time.After(time.Minute):
			t.Error("no Produce request reached the cluster")
			cancel()
		}
	}()
	start := time.Now()
	type out struct {
		res ProduceResult
		err error
	}
	ch := make(chan out, 1)
	go func() {
		res, err := Produce(ctx, cl, pr, o)
		ch <- out{res, err}
	}()
	select {
	case o := <-ch:
		return o.res, o.err, time.Since(start)
	case <-time.After(2 * time.Minute):
		t.Fatal("Produce did not return within 2 minutes against a cluster that does not answer")
	}
	panic("unreachable")
}

func checkUnknown(t *testing.T, res ProduceResult) {
	t.Helper()
	if res.Lines == 0 || res.Sent != 0 || res.Unknown == 0 || res.Sent+res.Failed+res.Unknown != res.Lines {
		t.Fatalf("result %+v: want lines handed over, none acknowledged, some unknown, sent+failed+unknown = lines", res)
	}
}

func TestProduceCtrlCWithUnansweredRequestsIsBounded(t *testing.T) {
	res, err, _ := produceStalled(t, ProduceOptions{StopTimeout: time.Second}, func(cancel context.CancelFunc) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	checkUnknown(t, res)
}

func TestProduceSecondCtrlCAbortsTheWait(t *testing.T) {
	abort := make(chan struct{})
	// No StopTimeout and no StallTimeout: only Abort can end the wait for
	// the unanswered requests (without it Produce would not return and
	// produceStalled fails after 2 minutes). The second Ctrl-C follows the
	// first at once: Produce must honour it whether it arrives before or
	// while it waits, so no sleep pretends to order the two.
	res, err, _ := produceStalled(t, ProduceOptions{Abort: abort}, func(cancel context.CancelFunc) {
		cancel()
		close(abort)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	checkUnknown(t, res)
}

func TestProduceGivesUpWhenTheClusterStopsAnswering(t *testing.T) {
	res, err, took := produceStalled(t, ProduceOptions{StallTimeout: 2 * time.Second}, func(context.CancelFunc) {})
	var se *StalledError
	if !errors.As(err, &se) || se.Outstanding == 0 {
		t.Fatalf("err %v, want a *StalledError with records outstanding", err)
	}
	if took < 2*time.Second {
		t.Errorf("gave up after %s, before the 2s stall bound", took)
	}
	checkUnknown(t, res)
}
