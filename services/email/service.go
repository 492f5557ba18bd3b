// Package email is the email service of `kctl serve email` (docs/design.md §5):
// it consumes UserSignedUp events in group "email-service", sends each user
// a welcome email, and logs it in its own SQLite database, unique on the
// event ID, so a redelivered event is never sent or logged twice. A failing
// send is retried with exponential backoff without holding up other
// partitions; after the last attempt, or at once for a record that does not
// parse, the record goes to the dead-letter topic with Spring Kafka's
// kafka_dlt-* headers. A dead-letter listener in the same service logs and
// counts what lands there.
//
// kctl smoke runs it in-process:
//
//	s, err := email.New(ctx, email.Config{DBPath: dir + "/email.db", Brokers: brokers})
//	ln, _ := net.Listen("tcp", "127.0.0.1:0")
//	go s.Run(ctx, ln) // serves http://<ln.Addr()> until ctx is done
package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/kctl/kctl/services/event"
	"github.com/kctl/kctl/services/internal/svc"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Config configures the email service. Zero values take the defaults named.
type Config struct {
	// DBPath is the SQLite file of the email log (created if missing). Required.
	DBPath string
	// Brokers are the bootstrap brokers. Required.
	Brokers []string
	// KafkaOpts are extra client options: TLS, SASL, timeouts (for example
	// from kafka.Settings.Options).
	KafkaOpts []kgo.Opt
	// Topic is consumed. Default "user.signed-up".
	Topic string
	// DLTTopic receives what cannot be handled. Default Topic + ".dlt".
	DLTTopic string
	// Group is the consumer group. Default "email-service".
	Group string
	// Concurrency is how many emails are sent at once (default 3). Each
	// partition is handled in order by its own goroutine; a record waiting
	// for a retry holds up only its own partition.
	Concurrency int
	// MaxAttempts is how many times a send is tried before the record is
	// dead-lettered (default 5).
	MaxAttempts int
	// Backoff is the wait after the first failed attempt (default 1s); each
	// next wait is BackoffMultiplier (default 2) times longer, capped at
	// MaxBackoff (default 30s).
	Backoff           time.Duration
	BackoffMultiplier float64
	MaxBackoff        time.Duration
	// Sender delivers emails. Default: a LogSender logging to Logger.
	Sender Sender
	// SubjectTemplate is the subject, with {name}, {email}, {userId}.
	// Default "{name}님, 회원 가입을 축하드립니다!".
	SubjectTemplate string
	// Logger receives structured logs. Default: discard.
	Logger *slog.Logger
	// ConnectTimeout bounds the start-up check that Kafka answers. Default 10s.
	ConnectTimeout time.Duration
	// CommitInterval is how often handled offsets are committed (default
	// 1s). A record is committed only after it is handled, whatever this is.
	CommitInterval time.Duration
	// ShutdownTimeout bounds the graceful stop: finishing the emails being
	// sent, committing offsets. Default 15s.
	ShutdownTimeout time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// InstanceID is the consumer's static group membership id (KIP-345).
	// Default: one generated at the database's first use and kept in it,
	// so a restart on the same --db rejoins as the same member and takes
	// its partitions back at once, even when the last run was killed and
	// the group still counts it (instead of waiting out its 45s session).
	// Two running services must not share one (nor one database).
	InstanceID string
}

func (c *Config) defaults() error {
	if c.DBPath == "" {
		return errors.New("email service: no database path; give one, e.g. --db email.db")
	}
	if len(c.Brokers) == 0 {
		return errors.New("email service: no Kafka brokers; give them with -b host:port or KCTL_BROKERS")
	}
	if c.Topic == "" {
		c.Topic = event.Topic
	}
	if c.DLTTopic == "" {
		c.DLTTopic = event.DLTTopic(c.Topic)
	}
	if c.DLTTopic == c.Topic {
		return fmt.Errorf("the dead-letter topic must differ from the topic %q", c.Topic)
	}
	if c.Group == "" {
		c.Group = event.ConsumerGroup
	}
	switch {
	case c.Concurrency == 0:
		c.Concurrency = 3
	case c.Concurrency < 0:
		return fmt.Errorf("--concurrency %d: must be at least 1", c.Concurrency)
	}
	switch {
	case c.MaxAttempts == 0:
		c.MaxAttempts = 5
	case c.MaxAttempts < 0:
		return fmt.Errorf("--max-attempts %d: must be at least 1", c.MaxAttempts)
	}
	switch {
	case c.Backoff == 0:
		c.Backoff = time.Second
	case c.Backoff < 0:
		return fmt.Errorf("--backoff %s: must not be negative", c.Backoff)
	}
	switch {
	case c.BackoffMultiplier == 0:
		c.BackoffMultiplier = 2
	case c.BackoffMultiplier < 1:
		return fmt.Errorf("--backoff-multiplier %g: must be at least 1", c.BackoffMultiplier)
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.MaxBackoff < c.Backoff {
		return fmt.Errorf("--max-backoff %s is below --backoff %s", c.MaxBackoff, c.Backoff)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Sender == nil {
		c.Sender = LogSender{Logger: c.Logger}
	}
	if c.SubjectTemplate == "" {
		c.SubjectTemplate = DefaultSubject
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	if c.CommitInterval <= 0 {
		c.CommitInterval = time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 15 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Service is a ready email service.
type Service struct {
	cfg     Config
	log     *slog.Logger
	db      *svc.DB
	cl      *kgo.Client // producer: dead letters; also answers /readyz
	reg     *prometheus.Registry
	m       *metrics
	subject Template
	body    Template
	sem     chan struct{}
	handler http.Handler

	consumer *kgo.Client // the group member, made by Run
	hard     context.Context
	hardStop context.CancelFunc

	stmts stmts

	resMu    sync.Mutex
	reserved map[string]struct{} // events being handled by a worker

	mu      sync.Mutex
	workers map[tp]*worker
	ran     bool
}

// New opens the email log database (creating the schema), connects to
// Kafka and checks a broker answers within ConnectTimeout. It returns an
// error naming the database path when the file cannot be written, a
// *kafka.UnreachableError naming the brokers when none answers, and an
// error naming the bad setting for an invalid Config. Nothing is consumed
// until Run.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	subject, err := ParseTemplate(cfg.SubjectTemplate)
	if err != nil {
		return nil, fmt.Errorf("--subject-template: %w", err)
	}
	body, _ := ParseTemplate(defaultBody)
	// Commits reach the OS, not the disk (survive kill -9); handleEvents
	// fsyncs once per batch, before the batch's offsets may be committed.
	db, err := svc.OpenDBSync(ctx, cfg.DBPath, schema, svc.SyncOS)
	if err != nil {
		return nil, err
	}
	if cfg.InstanceID == "" {
		if cfg.InstanceID, err = svc.InstanceID(ctx, db, "kctl-email-"); err != nil {
			db.Discard()
			return nil, err
		}
	}
	st, err := prepareStmts(ctx, db)
	if err != nil {
		db.Discard()
		return nil, err
	}
	cl, err := kgo.NewClient(append(baseOpts(cfg),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
	)...)
	if err != nil {
		st.close()
		db.Discard()
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	err = cl.Ping(pctx)
	cancel()
	if err != nil {
		cl.Close()
		st.close()
		db.Discard()
		return nil, &kafka.UnreachableError{Brokers: cfg.Brokers, Timeout: cfg.ConnectTimeout, Cause: err}
	}
	s := &Service{
		cfg: cfg, log: cfg.Logger, db: db, cl: cl, reg: svc.NewRegistry(),
		subject: subject, body: body, stmts: st,
		sem:      make(chan struct{}, cfg.Concurrency),
		workers:  map[tp]*worker{},
		reserved: map[string]struct{}{},
	}
	s.m = newMetrics(s.reg)
	s.handler = s.routes()
	return s, nil
}

func baseOpts(cfg Config) []kgo.Opt {
	return append(append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.RetryBackoffFn(svc.ClientBackoff.Func()),
		kgo.MetadataMinAge(250 * time.Millisecond),
	}, cfg.KafkaOpts...),
		// After KafkaOpts, whose client ID (kctl's) it replaces: the
		// group's members show as the email service.
		kgo.ClientID(ClientID))
}

// ClientID is the email service's Kafka client ID.
const ClientID = "kctl-email"

// Handler returns the service's HTTP handler: GET /api/email-logs,
// /healthz, /readyz, /metrics.
func (s *Service) Handler() http.Handler { return s.handler }

// Registry returns the service's Prometheus registry.
func (s *Service) Registry() *prometheus.Registry { return s.reg }

// Run joins the consumer group, handles events and serves HTTP on ln until
// ctx is done, then stops gracefully within ShutdownTimeout: it stops
// accepting connections and fetching, lets each partition finish the email
// in hand (a record waiting for a retry is left for redelivery), commits the
// offsets of what was handled, leaves the group and closes the database. It
// returns nil after a clean stop and the server's error if serving failed.
// Run may be called once; it closes ln.
func (s *Service) Run(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	if s.ran {
		s.mu.Unlock()
		return errors.New("email service: Run called twice")
	}
	s.ran = true
	s.mu.Unlock()
	s.hard, s.hardStop = context.WithCancel(context.Background())
	defer s.hardStop()
	if n, err := s.recoverInflight(ctx); err != nil {
		s.cl.Close()
		s.stmts.close()
		s.db.Close()
		return fmt.Errorf("email service: %w", err)
	} else if n > 0 {
		s.log.Warn("the last run died while sending: the emails in progress then will be re-sent (same event ID and Message-ID) when their records are redelivered", "events", n)
	}

	consumer, err := kgo.NewClient(append(baseOpts(s.cfg),
		kgo.ConsumerGroup(s.cfg.Group),
		kgo.InstanceID(s.cfg.InstanceID),
		kgo.ConsumeTopics(s.cfg.Topic, s.cfg.DLTTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		// kctl dlt replay republishes in transactions: only committed
		// records are events (kgo's default is read_uncommitted).
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// A paused partition resumes only with the broker's next fetch;
		// Kafka's 500ms (not kgo's 5s) bounds that wait.
		kgo.FetchMaxWait(500*time.Millisecond),
		kgo.AutoCommitMarks(),
		kgo.AutoCommitInterval(s.cfg.CommitInterval),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(s.assigned),
		kgo.OnPartitionsRevoked(s.revoked),
		kgo.OnPartitionsLost(s.lost),
	)...)
	if err != nil {
		s.cl.Close()
		s.stmts.close()
		s.db.Close()
		return fmt.Errorf("kafka consumer: %w", err)
	}
	s.consumer = consumer
	s.warnMissingTopics(ctx)

	pollCtx, stopPoll := context.WithCancel(context.Background())
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		s.poll(pollCtx)
	}()
	srv := svc.StartServer(ln, s.handler, s.log)
	if err := s.db.SetOwner(svc.URL(ln)); err != nil { // a second start on the database names it
		s.log.Warn("email service: could not record its address in the database's lock file", "err", err)
	}
	s.log.Info("email service started", "url", svc.URL(ln), "db", s.cfg.DBPath, "topic", s.cfg.Topic,
		"dlt", s.cfg.DLTTopic, "group", s.cfg.Group, "concurrency", s.cfg.Concurrency, "max_attempts", s.cfg.MaxAttempts,
		"backoff", s.cfg.Backoff, "backoff_multiplier", s.cfg.BackoffMultiplier, "instance_id", s.cfg.InstanceID, "brokers", strings.Join(s.cfg.Brokers, ","))

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-srv.Failed():
		s.log.Error("email service: HTTP server failed", "err", serveErr)
	}

	s.log.Info("email service stopping: finishing emails in hand and committing offsets", "timeout", s.cfg.ShutdownTimeout)
	stopCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(stopCtx); err != nil {
		s.log.Warn("email service: requests still running at the shutdown deadline", "err", err)
	}
	stopPoll()
	<-pollDone
	s.stopWorkers(stopCtx, nil)
	cctx, ccancel := context.WithTimeout(context.WithoutCancel(stopCtx), 5*time.Second)
	if err := consumer.CommitMarkedOffsets(cctx); err != nil {
		s.log.Error("email service: commit offsets at shutdown; handled records will be redelivered and skipped as duplicates", "err", err)
	}
	ccancel()
	consumer.CloseAllowingRebalance()
	// A static member does not leave the group when it closes (so a
	// crashed one is replaced at once by its restart). A clean stop leaves
	// explicitly: the other members take its partitions now, not after
	// its session times out.
	lctx, lcancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := svc.LeaveGroup(lctx, s.cl, s.cfg.Group, s.cfg.InstanceID); err != nil {
		s.log.Warn("email service: leave the consumer group; the other members take its partitions after its session times out (45s)", "err", err)
	}
	lcancel()
	s.cl.Close()
	s.stmts.close()
	if err := s.db.Close(); err != nil {
		s.log.Error("email service: close database", "err", err)
	}
	s.log.Info("email service stopped")
	return serveErr
}

// Close releases the database and the Kafka client of a service that was
// never Run.
func (s *Service) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ran {
		return nil
	}
	s.ran = true
	s.cl.Close()
	s.stmts.close()
	return s.db.Close()
}

// warnMissingTopics logs a warning for each of the topic and dead-letter
// topic that does not exist: the service waits for them rather than create
// them with the wrong settings.
func (s *Service) warnMissingTopics(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	missing, err := svc.MissingTopics(ctx, s.cl, s.cfg.Topic, s.cfg.DLTTopic)
	if err != nil {
		s.log.Debug("email service: cannot check topics", "err", err)
		return
	}
	for _, t := range missing {
		s.log.Warn("topic does not exist yet; waiting for it (create it with kctl apply)", "topic", t)
	}
}

func (s *Service) routes() http.Handler {
	mux := http.NewServeMux()
	h := s.m.http
	mux.HandleFunc("GET /api/email-logs", h.Wrap("GET /api/email-logs", s.log, s.handleLogs))
	svc.OpsRoutes(mux, h, s.log, s.reg, s.db, s.cl, s.cfg.Brokers)
	return svc.JSONErrors(mux)
}
