package smoke

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/kctl/kctl/services/email"
	"github.com/kctl/kctl/services/users"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/crypto/bcrypt"
)

// InProcess configures StartInProcess.
type InProcess struct {
	Brokers   []string
	KafkaOpts []kgo.Opt // TLS, SASL, …
	// UsersKafkaOpts and EmailKafkaOpts, when set, replace KafkaOpts for
	// one service: each then connects with its own credentials.
	UsersKafkaOpts, EmailKafkaOpts []kgo.Opt
	Logger                         *slog.Logger
	// ConnectTimeout bounds each service's start-up check of Kafka.
	ConnectTimeout time.Duration
	// Email adjusts the email service's config (tests: a failing sender,
	// short backoffs).
	Email func(*email.Config)
}

// StartInProcess starts the users and email services on free loopback
// ports with throwaway SQLite files. Stop shuts both down gracefully and
// removes the files. It returns an error naming the service that could not
// start; nothing is left running then.
func StartInProcess(ctx context.Context, c InProcess) (svc Services, err error) {
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, err := os.MkdirTemp("", "kctl-smoke-")
	if err != nil {
		return svc, fmt.Errorf("temp dir for the services' databases: %w", err)
	}
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
		os.RemoveAll(dir)
	}
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	usersOpts, emailOpts := c.KafkaOpts, c.KafkaOpts
	if c.UsersKafkaOpts != nil {
		usersOpts = c.UsersKafkaOpts
	}
	if c.EmailKafkaOpts != nil {
		emailOpts = c.EmailKafkaOpts
	}
	us, err := users.New(ctx, users.Config{DBPath: filepath.Join(dir, "users.db"), Brokers: c.Brokers, KafkaOpts: usersOpts, Logger: log, ConnectTimeout: c.ConnectTimeout,
		// Smoke checks the Kafka path, not the password hash: the minimum
		// bcrypt cost keeps --count 1000 from measuring bcrypt.
		BcryptCost: bcrypt.MinCost,
		// The databases are thrown away at Stop: nothing to wait for.
		ShutdownTimeout: time.Second})
	if err != nil {
		return svc, fmt.Errorf("users service: %w", err)
	}
	cleanups = append(cleanups, func() { us.Close() })
	ecfg := email.Config{DBPath: filepath.Join(dir, "email.db"), Brokers: c.Brokers, KafkaOpts: emailOpts, Logger: log, ConnectTimeout: c.ConnectTimeout, ShutdownTimeout: time.Second,
		// Smoke waits for the group's lag to reach 0: commit promptly.
		CommitInterval: 100 * time.Millisecond}
	if c.Email != nil {
		c.Email(&ecfg)
	}
	es, err := email.New(ctx, ecfg)
	if err != nil {
		return svc, fmt.Errorf("email service: %w", err)
	}
	cleanups = append(cleanups, func() { es.Close() })
	uln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return svc, fmt.Errorf("users service: %w", err)
	}
	eln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		uln.Close()
		return svc, fmt.Errorf("email service: %w", err)
	}
	// The services outlive the step that starts them: they run until Stop.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 2)
	go func() { done <- us.Run(runCtx, uln) }()
	go func() { done <- es.Run(runCtx, eln) }()
	stop := func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				log.Warn("in-process service stopped with an error", "err", err)
			}
		}
		cleanup()
	}
	return Services{UsersURL: "http://" + uln.Addr().String(), EmailURL: "http://" + eln.Addr().String(), Stop: stop}, nil
}
