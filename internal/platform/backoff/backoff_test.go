package backoff

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

func TestDelayGrowsAndCaps(t *testing.T) {
	p := Policy{Initial: 100 * time.Millisecond, Max: time.Second}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got := p.Delay(i + 1); got != w*time.Millisecond {
			t.Errorf("Delay(%d) = %v, want %v", i+1, got, w*time.Millisecond)
		}
	}
	if got := p.Delay(0); got != 100*time.Millisecond {
		t.Errorf("Delay(0) = %v, want the first wait", got)
	}
	p3 := Policy{Initial: time.Second, Max: 30 * time.Second, Multiplier: 3}
	if got := p3.Delay(3); got != 9*time.Second {
		t.Errorf("multiplier 3: Delay(3) = %v, want 9s", got)
	}
	if got := p3.Delay(10); got != 30*time.Second {
		t.Errorf("multiplier 3: Delay(10) = %v, want the 30s cap", got)
	}
}

func TestDelayEdgeCases(t *testing.T) {
	if got := (Policy{Initial: time.Second, Max: time.Hour, Multiplier: 1}).Delay(50); got != time.Second {
		t.Errorf("multiplier 1: Delay(50) = %v, want 1s", got)
	}
	if got := (Policy{Initial: time.Second}).Delay(5); got != time.Second {
		t.Errorf("no Max: Delay(5) = %v, want Initial", got)
	}
	huge := Policy{Initial: time.Hour, Max: math.MaxInt64}
	for n := 1; n < 200; n++ {
		if d := huge.Delay(n); d < time.Hour {
			t.Fatalf("Delay(%d) = %v: overflowed below Initial", n, d)
		}
	}
}

func TestJitterStaysInHalfToFull(t *testing.T) {
	p := Policy{Initial: 100 * time.Millisecond, Max: 400 * time.Millisecond, Jitter: true}
	for n := 1; n <= 5; n++ {
		full := Policy{Initial: p.Initial, Max: p.Max}.Delay(n)
		seen := map[time.Duration]bool{}
		for range 200 {
			d := p.Delay(n)
			if d < full/2 || d > full {
				t.Fatalf("Delay(%d) = %v, outside [%v, %v]", n, d, full/2, full)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("Delay(%d): only %d distinct waits in 200: not jittered", n, len(seen))
		}
	}
}

func TestBackoffNextReset(t *testing.T) {
	b := New(Policy{Initial: time.Millisecond, Max: 4 * time.Millisecond})
	for _, w := range []time.Duration{1, 2, 4, 4} {
		if got := b.Next(); got != w*time.Millisecond {
			t.Fatalf("Next = %v, want %v", got, w*time.Millisecond)
		}
	}
	if b.Failures() != 4 {
		t.Errorf("Failures = %d, want 4", b.Failures())
	}
	b.Reset()
	if got := b.Next(); got != time.Millisecond {
		t.Errorf("after Reset, Next = %v, want the first wait", got)
	}
}

func TestRetry(t *testing.T) {
	p := Policy{Initial: time.Millisecond, Max: 2 * time.Millisecond}
	calls := 0
	err := Retry(context.Background(), p, nil, func() error {
		calls++
		if calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("Retry = %v after %d calls, want nil after 3", err, calls)
	}

	permanent := errors.New("permanent")
	calls = 0
	err = Retry(context.Background(), p, func(err error) bool { return errors.Is(err, permanent) }, func() error {
		calls++
		return permanent
	})
	if !errors.Is(err, permanent) || calls != 1 {
		t.Errorf("final error: Retry = %v after %d calls, want permanent after 1", err, calls)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	last := errors.New("still down")
	err = Retry(ctx, p, nil, func() error { return last })
	if !errors.Is(err, last) {
		t.Errorf("ctx ended: Retry = %v, want fn's last error", err)
	}

	done, stop := context.WithCancel(context.Background())
	stop()
	if err := Retry(done, p, nil, func() error { t.Fatal("fn ran on a done ctx"); return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("done ctx: Retry = %v, want context.Canceled", err)
	}
}

func TestSleep(t *testing.T) {
	if !Sleep(context.Background(), time.Millisecond) {
		t.Error("Sleep on a live ctx returned false")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour) {
		t.Error("Sleep on a done ctx returned true")
	}
}
