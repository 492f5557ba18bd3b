// Package users is the users service of `kctl serve users` (docs/design.md §5):
// sign-ups over HTTP, stored in an embedded SQLite database together with an
// outbox row holding the UserSignedUp event, which a relay publishes to Kafka.
// The HTTP answer never waits for Kafka, and no accepted sign-up is lost
// while Kafka is down: its outbox row stays pending until a broker has
// acknowledged it.
//
// kctl smoke runs it in-process:
//
//	s, err := users.New(ctx, users.Config{DBPath: dir + "/users.db", Brokers: brokers})
//	ln, _ := net.Listen("tcp", "127.0.0.1:0")
//	go s.Run(ctx, ln) // serves http://<ln.Addr()> until ctx is done
package users

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/kctl/kctl/services/event"
	"github.com/kctl/kctl/services/internal/svc"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/crypto/bcrypt"
)

// Config configures the users service. Zero values take the defaults named.
type Config struct {
	// DBPath is the SQLite file (created if missing). Required.
	DBPath string
	// Brokers are the bootstrap brokers. Required.
	Brokers []string
	// KafkaOpts are extra client options: TLS, SASL, timeouts (for example
	// from kafka.Settings.Options). The service adds the seed brokers, the
	// default topic and acks=all with the idempotent producer.
	KafkaOpts []kgo.Opt
	// Topic is where events are published. Default "user.signed-up".
	Topic string
	// BcryptCost is the password hash's cost (4..31). Default 10.
	BcryptCost int
	// Logger receives structured logs. Default: discard.
	Logger *slog.Logger
	// ConnectTimeout bounds the start-up check that Kafka answers. Default 10s.
	ConnectTimeout time.Duration
	// ShutdownTimeout bounds the graceful stop: finishing in-flight requests
	// and publishing every pending outbox row. Default 15s.
	ShutdownTimeout time.Duration
	// RelayBatch is how many outbox rows the relay publishes at once. Default 5000.
	RelayBatch int
	// RelayMinBackoff and RelayMaxBackoff bound the relay's retry backoff
	// while Kafka fails. Defaults 100ms and 5s.
	RelayMinBackoff, RelayMaxBackoff time.Duration
	// RelayPollInterval is how often the relay looks for rows written by
	// another process. Default 1s.
	RelayPollInterval time.Duration
	// OutboxRetention is how long rows Kafka acknowledged stay in the outbox
	// (for inspection) before they are deleted; pending rows are never
	// deleted. Default 24h; negative keeps them forever.
	OutboxRetention time.Duration
	// PruneInterval is how often sent rows past OutboxRetention are
	// deleted. Default 1m.
	PruneInterval time.Duration
	// BodyTimeout bounds how long a request body may take to arrive; a
	// slower one is refused with 400. Default 10s.
	BodyTimeout time.Duration
	// MaxInFlight bounds the sign-ups handled at once; one more is answered
	// 503 with Retry-After at once, before its body is read. Default
	// DefaultMaxInFlight.
	MaxInFlight int
	// QueueTimeout bounds how long an accepted sign-up waits for a password
	// hash slot; past it the sign-up is answered 503 with Retry-After and
	// nothing is stored. Default 20s.
	QueueTimeout time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// DefaultMaxInFlight is the default of Config.MaxInFlight (--max-in-flight).
const DefaultMaxInFlight = 256

// retryAfter is the Retry-After of a 503, in seconds.
const retryAfter = 1

func (c *Config) defaults() error {
	if c.DBPath == "" {
		return errors.New("users service: no database path; give one, e.g. --db users.db")
	}
	if len(c.Brokers) == 0 {
		return errors.New("users service: no Kafka brokers; give them with -b host:port or KCTL_BROKERS")
	}
	if c.Topic == "" {
		c.Topic = event.Topic
	}
	if c.BcryptCost == 0 {
		c.BcryptCost = bcrypt.DefaultCost
	}
	if c.BcryptCost < bcrypt.MinCost || c.BcryptCost > bcrypt.MaxCost {
		return fmt.Errorf("bcrypt cost %d is out of range: use %d..%d (default %d)", c.BcryptCost, bcrypt.MinCost, bcrypt.MaxCost, bcrypt.DefaultCost)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 15 * time.Second
	}
	if c.RelayBatch <= 0 {
		c.RelayBatch = 5000
	}
	if c.RelayMinBackoff <= 0 {
		c.RelayMinBackoff = 100 * time.Millisecond
	}
	if c.RelayMaxBackoff < c.RelayMinBackoff {
		c.RelayMaxBackoff = max(5*time.Second, c.RelayMinBackoff)
	}
	if c.RelayPollInterval <= 0 {
		c.RelayPollInterval = time.Second
	}
	if c.OutboxRetention == 0 {
		c.OutboxRetention = 24 * time.Hour
	}
	if c.PruneInterval <= 0 {
		c.PruneInterval = time.Minute
	}
	if c.BodyTimeout <= 0 {
		c.BodyTimeout = 10 * time.Second
	}
	if c.MaxInFlight < 0 {
		return fmt.Errorf("max in-flight sign-ups %d: use a positive number (default %d)", c.MaxInFlight, DefaultMaxInFlight)
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.QueueTimeout <= 0 {
		c.QueueTimeout = 20 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Service is a running-ready users service.
type Service struct {
	cfg     Config
	log     *slog.Logger
	db      *svc.DB
	cl      *kgo.Client
	reg     *prometheus.Registry
	m       *metrics
	relay   *relay
	handler http.Handler
	ran     bool
	// hashSlots bounds concurrent password hashes to GOMAXPROCS.
	hashSlots chan struct{}
	// inFlight bounds the sign-ups handled at once (Config.MaxInFlight).
	inFlight chan struct{}
	// beforeStore, when set (by tests), runs before a sign-up is stored.
	beforeStore func()
}

// New opens the database (creating the schema), connects to Kafka and checks
// a broker answers within ConnectTimeout. It returns an error naming the
// database path when the file cannot be written, and a
// *kafka.UnreachableError naming the brokers when none answers. Nothing is
// served until Run.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	db, err := svc.OpenDB(ctx, cfg.DBPath, schema)
	if err != nil {
		return nil, err
	}
	if err := migrateEmailKey(ctx, db, cfg.Logger); err != nil {
		db.Discard()
		return nil, err
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		// Retry quickly after an outage: 100ms doubling to 1s, jittered.
		kgo.RetryBackoffFn(svc.ClientBackoff.Func()),
		// A produce retry waits for fresh metadata; the 5s default would
		// hold every retry that long.
		kgo.MetadataMinAge(250 * time.Millisecond),
	}, cfg.KafkaOpts...)
	opts = append(opts,
		kgo.ClientID(ClientID), // after KafkaOpts, whose client ID (kctl's) it replaces
		kgo.DefaultProduceTopic(cfg.Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()), // idempotence is on by default and needs acks=all
		kgo.ProducerLinger(time.Millisecond),
		kgo.MaxBufferedRecords(max(cfg.RelayBatch, 10000)),
		kgo.UnknownTopicRetries(-1), // a missing topic is retried, never dropped: the rows stay pending
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		db.Discard()
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	err = cl.Ping(pctx)
	cancel()
	if err != nil {
		cl.Close()
		db.Discard()
		return nil, &kafka.UnreachableError{Brokers: cfg.Brokers, Timeout: cfg.ConnectTimeout, Cause: err}
	}
	s := &Service{cfg: cfg, log: cfg.Logger, db: db, cl: cl, reg: svc.NewRegistry(),
		hashSlots: make(chan struct{}, runtime.GOMAXPROCS(0)), inFlight: make(chan struct{}, cfg.MaxInFlight)}
	s.m = newMetrics(s.reg, s)
	s.relay = newRelay(s)
	s.handler = s.routes()
	return s, nil
}

// Handler returns the service's HTTP handler (the routes of docs/design.md §5 and
// /healthz, /readyz, /metrics). Sign-ups it accepts are published only while
// Run is running.
func (s *Service) Handler() http.Handler { return s.handler }

// Registry returns the service's Prometheus registry.
func (s *Service) Registry() *prometheus.Registry { return s.reg }

// Run serves HTTP on ln and runs the outbox relay until ctx is done, then
// stops gracefully within ShutdownTimeout: it stops accepting connections,
// finishes in-flight requests, publishes every pending outbox row, and
// closes the Kafka client and the database. It returns nil after a clean
// stop (rows Kafka could not take in time stay pending for the next start and
// are logged), and the server's error if serving failed. Run may be called
// once; it closes ln.
func (s *Service) Run(ctx context.Context, ln net.Listener) error {
	if s.ran {
		return errors.New("users service: Run called twice")
	}
	s.ran = true
	hard, hardStop := context.WithCancel(context.Background())
	defer hardStop()
	go s.relay.run(hard)
	pruneDone := make(chan struct{})
	go func() { defer close(pruneDone); s.pruneLoop(hard) }()
	s.warnMissingTopic(ctx)
	srv := svc.StartServer(ln, s.handler, s.log)
	if err := s.db.SetOwner(svc.URL(ln)); err != nil { // a second start on the database names it
		s.log.Warn("users service: could not record its address in the database's lock file", "err", err)
	}
	s.log.Info("users service started", "url", svc.URL(ln), "db", s.cfg.DBPath, "topic", s.cfg.Topic,
		"brokers", strings.Join(s.cfg.Brokers, ","), "bcrypt_cost", s.cfg.BcryptCost)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-srv.Failed():
		s.log.Error("users service: HTTP server failed", "err", serveErr)
	}

	s.log.Info("users service stopping: finishing requests and publishing the outbox", "timeout", s.cfg.ShutdownTimeout)
	stopCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(stopCtx); err != nil && serveErr == nil {
		s.log.Warn("users service: requests still running at the shutdown deadline", "err", err)
	}
	close(s.relay.stopping)
	select {
	case <-s.relay.done:
	case <-stopCtx.Done():
		hardStop() // fails what is still buffered; those rows stay pending
		<-s.relay.done
	}
	st, err := s.Outbox(context.Background())
	switch {
	case err != nil:
		s.log.Error("users service: cannot read the outbox at shutdown", "err", err)
	case st.Pending > 0:
		s.log.Warn("users service: outbox rows still pending at shutdown; they are kept and published on the next start",
			"pending", st.Pending)
	default:
		s.log.Info("users service: outbox flushed")
	}
	hardStop()
	<-pruneDone
	s.cl.Close()
	if err := s.db.Close(); err != nil {
		s.log.Error("users service: close database", "err", err)
	}
	s.log.Info("users service stopped")
	return serveErr
}

// warnMissingTopic logs a warning when the topic does not exist: sign-ups
// are still accepted and their events wait in the outbox until it does.
func (s *Service) warnMissingTopic(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	missing, err := svc.MissingTopics(ctx, s.cl, s.cfg.Topic)
	if err != nil {
		s.log.Debug("users service: cannot check the topic", "err", err)
		return
	}
	for _, t := range missing {
		s.log.Warn("topic does not exist yet; events wait in the outbox until it does (create it with kctl apply)", "topic", t)
	}
}

// Close releases the database and the Kafka client of a service that was
// never Run.
func (s *Service) Close() error {
	if s.ran {
		return nil
	}
	s.ran = true
	s.cl.Close()
	return s.db.Close()
}

// routes builds the HTTP handler.
func (s *Service) routes() http.Handler {
	mux := http.NewServeMux()
	h := s.m.http
	mux.HandleFunc("POST /api/users", h.Wrap("POST /api/users", s.log, s.limit(s.handleSignUp)))
	mux.HandleFunc("GET /api/users/{id}", h.Wrap("GET /api/users/{id}", s.log, s.handleGetUser))
	svc.OpsRoutes(mux, h, s.log, s.reg, s.db, s.cl, s.cfg.Brokers)
	return svc.JSONErrors(mux)
}

var _ io.Closer = (*Service)(nil)

// ClientID is the users service's Kafka client ID.
const ClientID = "kctl-users"
