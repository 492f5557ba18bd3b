package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/aws"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// ClientID is the client ID of kctl's Kafka clients.
const ClientID = "kctl"

// Options returns the franz-go options for s: client ID "kctl" (what
// kctl groups describe shows for kctl's own consumers; an option after it
// may replace it), seeds, dial timeout, TLS and SASL. It returns an error naming the file when a TLS file cannot be read
// and when a SASL mechanism lacks its user or secret.
func (s Settings) Options(getenv func(string) string) ([]kgo.Opt, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	opts := []kgo.Opt{
		kgo.ClientID(ClientID),
		kgo.SeedBrokers(s.seeds()...),
		kgo.DialTimeout(min(s.Timeout, 5*time.Second)),
		// The handshake (ApiVersions, SASL) and every read wait at most
		// --timeout beyond a request's own timeout; kgo's default is 10s,
		// which a silent listener would otherwise hold us to.
		kgo.RequestTimeoutOverhead(s.Timeout),
		kgo.RetryTimeout(s.Timeout),
		kgo.MetadataMinAge(250 * time.Millisecond),
	}
	if s.TLS.Enabled {
		tc, err := s.TLS.Config()
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	if s.SASL.Mechanism != "" {
		m, err := s.SASL.mechanism(getenv)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

// Config builds a *tls.Config. It returns an error naming the file that
// cannot be read or parsed.
func (t TLS) Config() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // opt-in flag
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read TLS CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS CA file %s: no PEM certificate found", t.CAFile)
		}
		tc.RootCAs = pool
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, errors.New("a TLS client certificate and key go together (--tls-cert and --tls-key): give both or neither")
	}
	if t.CertFile != "" {
		c, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load TLS client certificate and key: %w", err)
		}
		tc.Certificates = []tls.Certificate{c}
	}
	return tc, nil
}

func (s SASL) mechanism(getenv func(string) string) (sasl.Mechanism, error) {
	needSecret := func() error {
		if s.Password == "" {
			return fmt.Errorf("SASL %s needs a secret: set KCTL_SASL_PASSWORD or --sasl-password-file", s.Mechanism)
		}
		return nil
	}
	needUser := func() error {
		if s.User == "" {
			return fmt.Errorf("SASL %s needs --sasl-user", s.Mechanism)
		}
		return needSecret()
	}
	switch s.Mechanism {
	case "PLAIN":
		if err := needUser(); err != nil {
			return nil, err
		}
		return plain.Auth{User: s.User, Pass: s.Password}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		if err := needUser(); err != nil {
			return nil, err
		}
		return scram.Auth{User: s.User, Pass: s.Password}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		if err := needUser(); err != nil {
			return nil, err
		}
		return scram.Auth{User: s.User, Pass: s.Password}.AsSha512Mechanism(), nil
	case "OAUTHBEARER":
		if err := needSecret(); err != nil {
			return nil, err
		}
		return oauth.Auth{Token: s.Password}.AsMechanism(), nil
	case "AWS_MSK_IAM":
		key, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
		if key == "" || secret == "" {
			return nil, errors.New("SASL AWS_MSK_IAM needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment")
		}
		return aws.Auth{AccessKey: key, SecretKey: secret, SessionToken: getenv("AWS_SESSION_TOKEN"), UserAgent: "kctl"}.AsManagedStreamingIAMMechanism(), nil
	}
	return nil, fmt.Errorf("unknown SASL mechanism %q", s.Mechanism)
}

// NewClient builds a client for s with extra options. It does not connect;
// use Ping to fail fast on an unreachable cluster.
func NewClient(s Settings, logger *slog.Logger, extra ...kgo.Opt) (*kgo.Client, error) {
	opts, err := s.Options(nil)
	if err != nil {
		return nil, err
	}
	if logger != nil && logger.Enabled(context.Background(), slog.LevelDebug) {
		opts = append(opts, kgo.WithLogger(slogAdapter{logger}))
	}
	opts = append(opts, extra...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka client for %s: %w", strings.Join(s.Brokers, ","), err)
	}
	return cl, nil
}

// UnreachableError says no broker answered within the timeout.
type UnreachableError struct {
	Brokers []string
	From    string // where the brokers came from (--brokers, $KCTL_BROKERS, …)
	Timeout time.Duration
	Cause   error
	Hint    string // what to check, when the cause suggests it
	NoSASL  bool   // the client used no SASL
}

func (e *UnreachableError) Error() string {
	from := ""
	if e.From != "" {
		from = " (from " + e.From + ")"
	}
	msg := fmt.Sprintf("cannot reach Kafka at %s%s within %s: %v", strings.Join(e.Brokers, ","), from, e.Timeout, e.Cause)
	if e.NoSASL && hungUp(e.Cause) {
		// Said as soon as the last seed hung up: no wait was involved.
		return fmt.Sprintf("cannot reach Kafka at %s%s: every broker closed the connection right after the first request, "+
			"so SASL is probably missing: add --sasl-mechanism (plain, scram-sha-256, scram-sha-512, …) with --sasl-user",
			strings.Join(e.Brokers, ","), from)
	}
	if refused(e.Cause) {
		// Said at once: no wait was involved, and it is no timing problem.
		msg = fmt.Sprintf("cannot reach Kafka at %s%s: connection refused by every broker: %v", strings.Join(e.Brokers, ","), from, e.Cause)
	}
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

func (e *UnreachableError) Unwrap() error { return e.Cause }

// refused reports whether err is a refused connection and, for errors
// joined from several brokers, whether every one of them is.
func refused(err error) bool {
	if se, ok := err.(seedErrors); ok && slices.Contains(se.errs, nil) {
		return false // a seed was never tried
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs := j.Unwrap()
		for _, e := range errs {
			if !refused(e) {
				return false
			}
		}
		return len(errs) > 0
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// hungUp reports whether err is a broker closing the connection right
// after the first request past the version handshake — kgo's
// *ErrFirstReadEOF of the SASL kind, which a TLS listener (closing during
// the handshake) does not give — and, for errors joined from several seeds,
// whether every seed did so.
func hungUp(err error) bool {
	if se, ok := err.(seedErrors); ok {
		if slices.Contains(se.errs, nil) {
			return false // a seed was never tried
		}
		for _, e := range se.errs {
			if !hungUp(e) {
				return false
			}
		}
		return true
	}
	var fe *kgo.ErrFirstReadEOF
	return errors.As(err, &fe) && strings.Contains(fe.Error(), "SASL is required")
}

// AuthError says the cluster refused our credentials.
type AuthError struct {
	Mechanism, User string
	Cause           error
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("authentication failed (SASL %s, user %q): %v; check --sasl-user and the password in KCTL_SASL_PASSWORD or --sasl-password-file", e.Mechanism, e.User, e.Cause)
}

func (e *AuthError) Unwrap() error { return e.Cause }

// seeds are the brokers a client bootstraps from: Seeds when Ping found
// them, Brokers otherwise.
func (s Settings) seeds() []string {
	if len(s.Seeds) > 0 {
		return s.Seeds
	}
	return s.Brokers
}

// Ping checks that a broker answers within s.Timeout. See Preflight.
func Ping(ctx context.Context, cl *kgo.Client, s Settings) error {
	_, err := Preflight(ctx, cl, s)
	return err
}

// Preflight asks every seed broker of cl at once for the cluster's metadata
// and waits, at most s.Timeout, for the first answer. It then makes the
// seed that answered cl's only seed, and returns s with Seeds set to it, for
// the other clients of the command: kgo sends its first request to a seed
// picked at random and waits for it, so a seed that accepts connections and
// never answers would otherwise hold a command for its whole timeout
// although another seed is fine.
//
// When no seed answers it returns an *AuthError when credentials are
// refused and an *UnreachableError naming each seed's cause otherwise (a
// seed that hung reads "no answer within TIMEOUT").
func Preflight(ctx context.Context, cl *kgo.Client, s Settings) (Settings, error) {
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the requests still waiting when one seed answered
	seeds := cl.SeedBrokers()
	addrs := s.seeds()
	if len(seeds) == 0 || len(seeds) != len(addrs) {
		return s, Classify(cl.Ping(ctx), s) // not ours to reorder
	}
	type result struct {
		i   int
		err error
	}
	results := make(chan result, len(seeds))
	for i, b := range seeds {
		go func() {
			req := kmsg.NewPtrMetadataRequest()
			req.Topics = []kmsg.MetadataRequestTopic{}
			_, err := b.Request(ctx, req)
			results <- result{i, err}
		}()
	}
	errs := make([]error, len(seeds))
	for range seeds {
		res := <-results
		if res.err == nil {
			live := []string{addrs[res.i]}
			if len(addrs) > 1 {
				if err := cl.UpdateSeedBrokers(live...); err != nil {
					return s, fmt.Errorf("kafka client: use seed %s: %w", live[0], err)
				}
			}
			s.Seeds = live
			return s, nil
		}
		errs[res.i] = res.err
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) && isTimeout(res.err) {
			// Still connecting or waiting for the answer when the time was
			// up: kgo says "context deadline exceeded" or "dial tcp: i/o
			// timeout", whichever saw the deadline first (the dialer's timer
			// may fire before the context's).
			errs[res.i] = noAnswer{s.Timeout}
		}
		var ae *AuthError
		if err := Classify(res.err, s); errors.As(err, &ae) {
			return s, ae // the same credentials fail everywhere
		}
	}
	return s, Classify(seedErrors{brokers: addrs, errs: errs}, s)
}

// Classify turns a client error into an *AuthError or *UnreachableError when
// it is one of those, and returns it unchanged otherwise.
func Classify(err error, s Settings) error {
	if err == nil {
		return nil
	}
	var ae *AuthError
	var ue *UnreachableError
	if errors.As(err, &ae) || errors.As(err, &ue) {
		return err
	}
	if errors.Is(err, kerr.SaslAuthenticationFailed) || errors.Is(err, kerr.IllegalSaslState) || errors.Is(err, kerr.UnsupportedSaslMechanism) || strings.Contains(err.Error(), "SASL_AUTHENTICATION_FAILED") {
		return &AuthError{Mechanism: s.SASL.Mechanism, User: s.SASL.User, Cause: err}
	}
	// Some brokers (the embedded one among them) close the connection on a
	// failed login instead of answering SASL_AUTHENTICATION_FAILED.
	if s.SASL.Mechanism != "" && errors.Is(err, io.EOF) {
		return &AuthError{Mechanism: s.SASL.Mechanism, User: s.SASL.User,
			Cause: fmt.Errorf("the broker closed the connection during login (%w); if the cluster needs TLS, add --tls", err)}
	}
	// io.EOF also covers kgo's *ErrFirstReadEOF: a TLS or SASL listener
	// that hangs up on a plaintext client.
	if errors.Is(err, context.DeadlineExceeded) || isNetErr(err) || errors.Is(err, kgo.ErrClientClosed) || errors.Is(err, io.EOF) {
		ue := &UnreachableError{Brokers: s.Brokers, From: s.BrokersFrom, Timeout: s.Timeout, Cause: err, NoSASL: s.SASL.Mechanism == ""}
		msg := err.Error()
		switch {
		case strings.Contains(msg, "i/o timeout") || errors.Is(err, context.DeadlineExceeded):
			ue.Hint = "no answer in time: check the host and port"
			if s.TLS.Enabled {
				ue.Hint += ", and whether the listener really speaks TLS"
			} else {
				ue.Hint += ", and whether the listener needs --tls"
			}
		case (strings.Contains(msg, "EOF") || errors.Is(err, io.EOF)) && s.SASL.Mechanism == "":
			ue.Hint = "the broker closed the connection: does the listener need --tls or SASL (--sasl-mechanism)?"
		}
		return ue
	}
	return err
}

// noAnswer is a seed that was still connecting or had not answered when the
// timeout was up: a hung broker, or a port that is no Kafka listener.
type noAnswer struct{ timeout time.Duration }

func (e noAnswer) Error() string { return fmt.Sprintf("no answer within %s", e.timeout) }
func (e noAnswer) Unwrap() error { return context.DeadlineExceeded }

// isTimeout reports whether err is a context deadline or a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func isNetErr(err error) bool {
	msg := err.Error()
	for _, s := range []string{"connection refused", "no such host", "i/o timeout", "unable to dial", "EOF", "tls:", "network is unreachable"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Level() kgo.LogLevel { return kgo.LogLevelDebug }
func (a slogAdapter) Log(level kgo.LogLevel, msg string, kv ...any) {
	lvl := slog.LevelDebug
	switch level {
	case kgo.LogLevelError:
		lvl = slog.LevelError
	case kgo.LogLevelWarn:
		lvl = slog.LevelWarn
	}
	a.l.Log(context.Background(), lvl, "kgo: "+msg, kv...)
}
