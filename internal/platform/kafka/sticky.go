package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Sticky is a kmsg.Requestor that sends every request over one broker
// connection: the seed broker that answers the first request first. It is
// for short commands whose requests any broker can answer (Metadata,
// DescribeConfigs of topics): the client's own routing sends each of those to
// a random broker, so a describe opened three connections (three TCP and
// ApiVersions handshakes) after a separate ping; with Sticky the first real
// request is the ping and everything shares its connection.
//
// The first request goes to the seeds in the order given, one more every
// Timeout/len(seeds) while none has answered (at once when one fails), so a
// seed that accepts connections and never answers costs a fraction of the
// timeout, and a slow one keeps its chance until the whole timeout. It may
// therefore reach several brokers and must be read-only.
//
// Requests that must reach a partition leader or group coordinator do not
// belong here; use the client.
type Sticky struct {
	cl *kgo.Client
	s  Settings

	mu sync.Mutex
	b  *kgo.Broker // the seed that answered; nil until one has
}

// NewSticky returns a Sticky over cl's seed brokers; s names them in errors
// and bounds each request by s.Timeout.
func NewSticky(cl *kgo.Client, s Settings) *Sticky { return &Sticky{cl: cl, s: s} }

// Request sends req to the sticky broker, choosing it on the first call (see
// Sticky). When the chosen broker fails to answer a later request and time is
// left, the request goes through the client's own routing to another broker.
// Each call is bounded by the settings' timeout. On failure it returns an
// *AuthError when credentials are refused, an *UnreachableError naming the
// brokers and each seed's cause when no seed answered, and the client's
// error otherwise.
func (r *Sticky) Request(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	if r.s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.s.Timeout)
		defer cancel()
	}
	r.mu.Lock()
	b := r.b
	r.mu.Unlock()
	if b == nil {
		return r.first(ctx, req)
	}
	resp, err := b.Request(ctx, req)
	if err != nil && ctx.Err() == nil {
		resp, err = r.cl.Request(ctx, req) // the connection broke: any other broker
	}
	return resp, Classify(err, r.s)
}

// first races the seeds for req, as Sticky describes, and keeps the winner.
func (r *Sticky) first(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	seeds := r.cl.SeedBrokers()
	if len(seeds) == 0 {
		return nil, Classify(kgo.ErrClientClosed, r.s)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the losers' requests
	type result struct {
		i    int
		resp kmsg.Response
		err  error
	}
	results := make(chan result, len(seeds))
	launched := 0
	launch := func() {
		i := launched
		launched++
		go func() {
			resp, err := seeds[i].Request(ctx, req)
			results <- result{i, resp, err}
		}()
	}
	stagger := time.Second
	if r.s.Timeout > 0 {
		stagger = r.s.Timeout / time.Duration(len(seeds))
	}
	next := time.NewTimer(stagger)
	defer next.Stop()
	launch()
	errs := make([]error, len(seeds))
	for done := 0; done < launched; {
		select {
		case res := <-results:
			done++
			if res.err == nil {
				r.mu.Lock()
				r.b = seeds[res.i]
				r.mu.Unlock()
				return res.resp, nil
			}
			errs[res.i] = res.err
			var ae *AuthError
			if errors.As(Classify(res.err, r.s), &ae) {
				return nil, ae // the same credentials fail everywhere
			}
			if launched < len(seeds) && ctx.Err() == nil {
				launch()
				next.Reset(stagger)
			}
		case <-next.C:
			if launched < len(seeds) {
				launch()
				next.Reset(stagger)
			}
		}
	}
	return nil, Classify(seedErrors{brokers: r.s.Brokers, errs: errs}, r.s)
}

// seedErrors is why each seed failed the first request: one cause when all
// are alike, otherwise each seed's own.
type seedErrors struct {
	brokers []string // as given; kgo keeps the seeds in this order
	errs    []error  // per seed; nil when never tried
}

func (e seedErrors) Error() string {
	var parts []string
	seen := map[string]bool{}
	for i, err := range e.errs {
		if err == nil {
			continue
		}
		msg := err.Error()
		name := fmt.Sprintf("seed %d", i+1)
		if i < len(e.brokers) {
			name = e.brokers[i]
		}
		parts = append(parts, name+": "+msg)
		seen[msg] = true
	}
	if len(seen) == 1 {
		for msg := range seen {
			return msg
		}
	}
	return strings.Join(parts, "; ")
}

func (e seedErrors) Unwrap() []error {
	var out []error
	for _, err := range e.errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}
