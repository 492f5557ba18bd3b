package kafka

import (
	"context"
	"errors"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Sticky is a kmsg.Requestor that sends every request over one broker
// connection: the first seed broker, in the order given, that answers. It is
// for short commands whose requests any broker can answer (Metadata,
// DescribeConfigs of topics): the client's own routing sends each of those to
// a random broker, so a describe opened three connections (three TCP and
// ApiVersions handshakes) after a separate ping; with Sticky the first real
// request is the ping and everything shares its connection.
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

// Request sends req to the sticky broker; the first call tries each seed in
// turn until one answers. Each call is bounded by the settings' timeout. On
// failure it returns an *AuthError when credentials are refused, an
// *UnreachableError naming the brokers when no seed answered (or the chosen
// one stopped answering), and the broker's error otherwise.
func (r *Sticky) Request(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	if r.s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.s.Timeout)
		defer cancel()
	}
	r.mu.Lock()
	b := r.b
	r.mu.Unlock()
	if b != nil {
		resp, err := b.Request(ctx, req)
		return resp, Classify(err, r.s)
	}
	var last error
	for _, seed := range r.cl.SeedBrokers() {
		resp, err := seed.Request(ctx, req)
		if err == nil {
			r.mu.Lock()
			r.b = seed
			r.mu.Unlock()
			return resp, nil
		}
		last = Classify(err, r.s)
		var ae *AuthError
		if errors.As(last, &ae) || ctx.Err() != nil {
			break // the same credentials fail everywhere; no time is left
		}
	}
	if last == nil {
		last = Classify(kgo.ErrClientClosed, r.s)
	}
	return nil, last
}

// TopicConfigsRequest is a DescribeConfigs request for the named topics'
// configs (all keys), with the synonyms of each value when synonyms is set.
func TopicConfigsRequest(names []string, synonyms bool) *kmsg.DescribeConfigsRequest {
	req := kmsg.NewPtrDescribeConfigsRequest()
	req.IncludeSynonyms = synonyms
	for _, n := range names {
		r := kmsg.NewDescribeConfigsRequestResource()
		r.ResourceType = kmsg.ConfigResourceTypeTopic
		r.ResourceName = n
		req.Resources = append(req.Resources, r)
	}
	return req
}
