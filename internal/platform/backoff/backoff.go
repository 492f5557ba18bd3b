// Package backoff is kctl's one retry policy: waits that start at Initial,
// grow by Multiplier after each failure, stop growing at Max, and — when
// Jitter is set — are drawn at random from [d/2, d] so that many clients
// failing together do not retry together. Every retry loop in kctl (apply's
// wait for leaders, the users relay, the email service's sends, dead letters
// and database writes, smoke's reads, franz-go's RetryBackoffFn) takes its
// waits from here.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy describes a sequence of waits. The zero Multiplier means 2; a Max
// below Initial means Initial (no growth).
type Policy struct {
	Initial    time.Duration
	Max        time.Duration
	Multiplier float64
	Jitter     bool
}

// Delay returns the wait after the n-th failed attempt (n from 1):
// Initial·Multiplier^(n-1), capped at Max, jittered when the policy says so.
// n below 1 is taken as 1.
func (p Policy) Delay(n int) time.Duration {
	d := p.Initial
	limit := max(p.Max, p.Initial)
	m := p.Multiplier
	if m == 0 {
		m = 2
	}
	for i := 1; i < n && d < limit; i++ {
		next := time.Duration(float64(d) * m)
		if next <= d { // a multiplier of 1, or an overflow
			break
		}
		d = next
	}
	d = min(d, limit)
	if p.Jitter && d > 0 {
		return d/2 + rand.N(d/2+1)
	}
	return d
}

// Func adapts the policy to franz-go's kgo.RetryBackoffFn, whose argument
// is the number of tries so far (from 1).
func (p Policy) Func() func(int) time.Duration { return p.Delay }

// Backoff walks a policy's waits: Next after each failure, Reset after a
// success. The zero Backoff of a Policy starts at its first wait. A Backoff
// is not safe for concurrent use.
type Backoff struct {
	p Policy
	n int
}

// New returns a Backoff at the start of p.
func New(p Policy) *Backoff { return &Backoff{p: p} }

// Next returns the wait after one more failure.
func (b *Backoff) Next() time.Duration {
	b.n++
	return b.p.Delay(b.n)
}

// Failures is how many times Next was called since the last Reset.
func (b *Backoff) Failures() int { return b.n }

// Reset starts the sequence again, for the next failure after a success.
func (b *Backoff) Reset() { b.n = 0 }

// Sleep waits d, or until ctx is done. It returns false when ctx ended first.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Retry calls fn until it returns nil, until final(err) says the error will
// not go away by trying again (nil final: every error is retried), or until
// ctx is done, waiting the policy's delays in between. It returns nil on
// success and otherwise fn's last error; a ctx that ends first does not
// replace that error (ctx.Err() is returned only when fn never ran).
func Retry(ctx context.Context, p Policy, final func(error) bool, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b := New(p)
	for {
		err := fn()
		if err == nil || (final != nil && final(err)) || ctx.Err() != nil {
			return err
		}
		if !Sleep(ctx, b.Next()) {
			return err
		}
	}
}
