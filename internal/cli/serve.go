package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/kctl/kctl/services/email"
	"github.com/kctl/kctl/services/event"
	"github.com/kctl/kctl/services/users"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/crypto/bcrypt"
)

// NewCmdServe is `kctl serve`: the built-in sign-up services.
func NewCmdServe(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:         "serve",
		Annotations: longRunning,
		Short:       "Run a built-in service of the sign-up flow (users, email)",
		Long: `Run the reference workload kctl smoke drives: the users service takes sign-ups and publishes
UserSignedUp events through a transactional outbox; the email service consumes them, sends a
welcome email, retries with backoff and dead-letters what it cannot handle.

Both serve /healthz, /readyz, /metrics (Prometheus), log to stderr, and stop gracefully on
Ctrl-C or SIGTERM (exit 0).`,
		Args: noArgs,
	}
	cmd.AddCommand(NewCmdServeUsers(f, nil), NewCmdServeEmail(f, nil))
	return cmd
}

// ServeUsersOptions is `kctl serve users`: the listen address and the
// service's Config as the flags give it (the connection is added when it
// runs).
type ServeUsersOptions struct {
	serviceDeps
	Addr   string
	Config users.Config
}

// NewCmdServeUsers builds `kctl serve users`.
func NewCmdServeUsers(f *Factory, runF func(context.Context, *ServeUsersOptions) error) *cobra.Command {
	opts := &ServeUsersOptions{serviceDeps: f.serviceDeps()}
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Serve sign-ups: POST /api/users, GET /api/users/{id}",
		Long: `Serve sign-ups over HTTP. POST /api/users {"email","name","password"} stores the user (the
password only as a bcrypt hash) and an outbox row with its UserSignedUp event in one SQLite
transaction, and answers 201 without waiting for Kafka. A relay publishes the outbox to --topic
(acks=all, idempotent, key = user id), retrying while Kafka is down: no accepted sign-up is lost.

Answers: 201 {"id","email","name"}; 400 {"error","field"} for invalid JSON, unknown fields, a field
given twice, a bad email, an empty name or password; 409 duplicate email; 413 body over 64 KiB;
415 not JSON; 503 {"error"} with Retry-After when --max-in-flight sign-ups are already being handled
or one waited 20s for a password hash (nothing is stored; retry); 404 {"error"} for an unknown path
and 405 {"error"} (with Allow) for a wrong method.`,
		Example: `  kctl serve users
  kctl serve users --addr :18080 --db /var/lib/kctl/users.db -b kafka-1:9092
  curl -s localhost:8080/api/users -H 'Content-Type: application/json' \
    -d '{"email":"sender@test.com","name":"김이름","password":"1234"}'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runServeUsers(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Addr, "addr", ":8080", "HTTP listen address")
	fl.StringVar(&opts.Config.DBPath, "db", "users.db", "SQLite database file (created if missing)")
	fl.StringVar(&opts.Config.Topic, "topic", event.Topic, "topic the UserSignedUp events are published to")
	fl.IntVar(&opts.Config.BcryptCost, "bcrypt-cost", bcrypt.DefaultCost, fmt.Sprintf("bcrypt cost of the password hash (%d..%d)", bcrypt.MinCost, bcrypt.MaxCost))
	fl.DurationVar(&opts.Config.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "bound for finishing requests and publishing the outbox on shutdown")
	fl.IntVar(&opts.Config.MaxInFlight, "max-in-flight", users.DefaultMaxInFlight, "sign-ups handled at once; one more is answered 503 with Retry-After at once")
	fl.DurationVar(&opts.Config.OutboxRetention, "outbox-retention", 24*time.Hour, "how long published outbox rows are kept before deletion (0 keeps them forever; pending rows are never deleted)")
	return cmd
}

func runServeUsers(ctx context.Context, o *ServeUsersOptions) error {
	cfg := o.Config
	if cfg.BcryptCost < bcrypt.MinCost || cfg.BcryptCost > bcrypt.MaxCost {
		return &FlagError{Err: fmt.Errorf("--bcrypt-cost %d: use %d..%d (default %d)", cfg.BcryptCost, bcrypt.MinCost, bcrypt.MaxCost, bcrypt.DefaultCost)}
	}
	if cfg.ShutdownTimeout <= 0 {
		return &FlagError{Err: errors.New("--shutdown-timeout must be positive, e.g. 15s")}
	}
	if cfg.MaxInFlight < 1 {
		return &FlagError{Err: fmt.Errorf("--max-in-flight %d: use at least 1 (default %d)", cfg.MaxInFlight, users.DefaultMaxInFlight)}
	}
	if cfg.OutboxRetention < 0 {
		return &FlagError{Err: errors.New("--outbox-retention must not be negative: e.g. 24h, or 0 to keep published rows forever")}
	}
	if cfg.OutboxRetention == 0 {
		cfg.OutboxRetention = -1 // users.Config: negative keeps them forever
	}
	s, ln, err := o.setup(o.Addr)
	if err != nil {
		return err
	}
	cfg.Brokers, cfg.KafkaOpts, cfg.ConnectTimeout, cfg.Logger = s.Brokers, s.opts, s.Timeout, o.Logger()
	svc, err := users.New(ctx, cfg)
	if err != nil {
		ln.Close()
		return startError(err, s.Settings)
	}
	return svc.Run(ctx, ln)
}

// ServeEmailOptions is `kctl serve email`: the listen address, the
// sender's flags and the service's Config as the flags give it (the
// connection, sender and logger are added when it runs).
type ServeEmailOptions struct {
	serviceDeps
	Addr      string
	SendDelay time.Duration
	SMTPAddr  string
	SMTPFrom  string
	SMTPUser  string
	Config    email.Config
}

// NewCmdServeEmail builds `kctl serve email`.
func NewCmdServeEmail(f *Factory, runF func(context.Context, *ServeEmailOptions) error) *cobra.Command {
	opts := &ServeEmailOptions{serviceDeps: f.serviceDeps()}
	cmd := &cobra.Command{
		Use:   "email",
		Short: "Send welcome emails for UserSignedUp events; GET /api/email-logs",
		Long: `Consume UserSignedUp events in group email-service (offsets committed only after a record is
handled) and send each user a welcome email: logged by default (--send-delay simulates a slow
provider), through SMTP with --smtp-addr. Each email is logged in a SQLite database unique on the
event ID, so a redelivered event is never sent or logged twice.

A failing send is retried --max-attempts times with exponential backoff (--backoff, doubling by
--backoff-multiplier, capped at --max-backoff); only its own partition waits. Then the record goes
to the dead-letter topic (<topic>.dlt) with Spring Kafka's kafka_dlt-* headers; a record that does
not parse goes there at once. A dead-letter listener logs and counts what lands there.

The SMTP password comes from KCTL_SMTP_PASSWORD, never a flag.`,
		Example: `  kctl serve email
  kctl serve email --concurrency 6 --max-attempts 3 --backoff 500ms
  kctl serve email --smtp-addr localhost:1025 --smtp-from 'Welcome <no-reply@example.com>'
  curl -s 'localhost:8081/api/email-logs?userId=1'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runServeEmail(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Addr, "addr", ":8081", "HTTP listen address")
	fl.StringVar(&opts.Config.DBPath, "db", "email.db", "SQLite database file of the email log (created if missing)")
	fl.StringVar(&opts.Config.Topic, "topic", event.Topic, "topic of the UserSignedUp events")
	fl.StringVar(&opts.Config.DLTTopic, "dlt-topic", "", "dead-letter topic (default <topic>.dlt)")
	fl.StringVar(&opts.Config.Group, "group", event.ConsumerGroup, "consumer group")
	fl.IntVar(&opts.Config.Concurrency, "concurrency", 3, "emails sent at once; each partition is handled in order")
	fl.IntVar(&opts.Config.MaxAttempts, "max-attempts", 5, "send attempts before a record is dead-lettered")
	fl.DurationVar(&opts.Config.Backoff, "backoff", time.Second, "wait after the first failed attempt")
	fl.Float64Var(&opts.Config.BackoffMultiplier, "backoff-multiplier", 2, "factor between successive waits")
	fl.DurationVar(&opts.Config.MaxBackoff, "max-backoff", 30*time.Second, "cap of a wait between attempts")
	fl.DurationVar(&opts.SendDelay, "send-delay", 0, "simulated provider latency of the logging sender")
	fl.StringVar(&opts.SMTPAddr, "smtp-addr", "", "send through this SMTP server (host:port) instead of logging")
	fl.StringVar(&opts.SMTPFrom, "smtp-from", "kctl <no-reply@localhost>", "From address of SMTP emails")
	fl.StringVar(&opts.SMTPUser, "smtp-user", "", "SMTP user for PLAIN auth (password from KCTL_SMTP_PASSWORD)")
	fl.StringVar(&opts.Config.SubjectTemplate, "subject-template", email.DefaultSubject, "subject, with {name}, {email}, {userId}")
	fl.DurationVar(&opts.Config.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "bound for finishing emails in hand and committing on shutdown")
	return cmd
}

func (o *ServeEmailOptions) check() error {
	switch {
	case o.Config.Concurrency < 1:
		return fmt.Errorf("--concurrency %d: must be at least 1", o.Config.Concurrency)
	case o.Config.MaxAttempts < 1:
		return fmt.Errorf("--max-attempts %d: must be at least 1", o.Config.MaxAttempts)
	case o.Config.Backoff <= 0:
		return fmt.Errorf("--backoff %s: must be positive, e.g. 1s", o.Config.Backoff)
	case o.Config.BackoffMultiplier < 1:
		return fmt.Errorf("--backoff-multiplier %g: must be at least 1", o.Config.BackoffMultiplier)
	case o.Config.MaxBackoff < o.Config.Backoff:
		return fmt.Errorf("--max-backoff %s is below --backoff %s", o.Config.MaxBackoff, o.Config.Backoff)
	case o.SendDelay < 0:
		return fmt.Errorf("--send-delay %s: must not be negative", o.SendDelay)
	case o.Config.ShutdownTimeout <= 0:
		return errors.New("--shutdown-timeout must be positive, e.g. 15s")
	case o.SMTPAddr == "" && o.SMTPUser != "":
		return errors.New("--smtp-user needs --smtp-addr")
	}
	if _, err := email.ParseTemplate(o.Config.SubjectTemplate); err != nil {
		return fmt.Errorf("--subject-template: %w", err)
	}
	return nil
}

func runServeEmail(ctx context.Context, o *ServeEmailOptions) error {
	if err := o.check(); err != nil {
		return &FlagError{Err: err}
	}
	cfg := o.Config
	cfg.Logger = o.Logger()
	cfg.Sender = email.LogSender{Logger: cfg.Logger, Delay: o.SendDelay}
	if o.SMTPAddr != "" {
		ss := &email.SMTPSender{Addr: o.SMTPAddr, From: o.SMTPFrom, Username: o.SMTPUser, Password: o.Getenv("KCTL_SMTP_PASSWORD")}
		if err := ss.Check(); err != nil {
			return &FlagError{Err: err}
		}
		if o.SMTPUser != "" && ss.Password == "" {
			return &FlagError{Err: errors.New("--smtp-user needs a password: set KCTL_SMTP_PASSWORD")}
		}
		cfg.Sender = ss
	}
	s, ln, err := o.setup(o.Addr)
	if err != nil {
		return err
	}
	cfg.Brokers, cfg.KafkaOpts, cfg.ConnectTimeout = s.Brokers, s.opts, s.Timeout
	svc, err := email.New(ctx, cfg)
	if err != nil {
		ln.Close()
		return startError(err, s.Settings)
	}
	return svc.Run(ctx, ln)
}

// listen opens the HTTP listener. It returns an error naming the address
// and a fix when the port is taken or the address is malformed.
func listen(addr string) (net.Listener, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, &FlagError{Err: fmt.Errorf("--addr %q: want [host]:port, e.g. :8080 or 127.0.0.1:8080", addr)}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("--addr %s: the port is already in use (another kctl serve?); pick another, e.g. --addr %s", addr, suggestAddr(addr))
		}
		return nil, fmt.Errorf("--addr %s: %w", addr, err)
	}
	return ln, nil
}

func suggestAddr(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if p, err := strconv.Atoi(port); err == nil && p > 0 && p < 65000 {
		return net.JoinHostPort(host, strconv.Itoa(p+100))
	}
	return net.JoinHostPort(host, "0")
}

// serviceDeps are what kctl serve's commands use: the connection
// settings, the environment (TLS and SASL secrets, the SMTP password) and
// the logger.
type serviceDeps struct {
	Settings func(fileBrokers []string, fileName string) (kafka.Settings, error)
	Getenv   func(string) string
	Logger   func() *slog.Logger
}

func (f *Factory) serviceDeps() serviceDeps {
	return serviceDeps{Settings: f.Settings, Getenv: f.Getenv, Logger: f.Logger}
}

// serviceConn is a service's connection: the settings and their client
// options.
type serviceConn struct {
	kafka.Settings
	opts []kgo.Opt
}

// setup resolves the connection, its client options and the service's
// listener on addr, what both services need before they start. It returns
// the first error; no listener is left open then.
func (d serviceDeps) setup(addr string) (serviceConn, net.Listener, error) {
	s, err := d.Settings(nil, "")
	if err != nil {
		return serviceConn{Settings: s}, nil, err
	}
	kopts, err := s.Options(d.Getenv)
	if err != nil {
		return serviceConn{Settings: s}, nil, err
	}
	ln, err := listen(addr)
	return serviceConn{Settings: s, opts: kopts}, ln, err
}

// startError gives a service's failed Kafka check the same words as every
// other command: where the brokers came from, a hint, and an *kafka.AuthError
// when the credentials were refused. Other errors are returned unchanged.
func startError(err error, s kafka.Settings) error {
	var ue *kafka.UnreachableError
	if !errors.As(err, &ue) {
		return err
	}
	if c := kafka.Classify(ue.Cause, s); c != ue.Cause {
		return c
	}
	ue.From = s.BrokersFrom
	return ue
}
