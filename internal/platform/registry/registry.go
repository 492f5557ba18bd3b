// Package registry connects to a Confluent-compatible Schema Registry: it
// resolves where the registry is (flag, environment, context) and how to log
// in, and builds a franz-go pkg/sr client whose schema lookups are cached for
// the run (one request per schema ID).
package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/twmb/franz-go/pkg/sr"
)

// Env lists the variables naming a registry, in precedence order.
var Env = []string{"KCTL_REGISTRY", "SCHEMA_REGISTRY_URL"}

// Inputs are the sources Resolve chooses from.
type Inputs struct {
	Flags       kafka.Registry // --registry, --registry-user, …; Flags.URL wins
	Getenv      func(string) string
	Context     *kafka.Registry // the selected context's registry, if any
	ContextName string
	Timeout     time.Duration
}

// Settings is a resolved registry connection. Password and Token are secrets:
// never printed (String masks them).
type Settings struct {
	URL      string
	From     string // "--registry", "$KCTL_REGISTRY", `context "prod"`
	User     string
	Password string
	Token    string
	CAFile   string
	CertFile string
	KeyFile  string
	Timeout  time.Duration
}

// Resolve returns the registry settings; ok is false when no registry is
// configured anywhere. A bad URL or an unreadable secret file is an error
// naming the input.
func Resolve(in Inputs) (s Settings, ok bool, err error) {
	getenv := in.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	s.Timeout = in.Timeout
	if s.Timeout <= 0 {
		s.Timeout = kafka.DefaultTimeout
	}
	var base kafka.Registry
	switch {
	case in.Flags.URL != "":
		s.URL, s.From = in.Flags.URL, "--registry"
	default:
		for _, k := range Env {
			if v := strings.TrimSpace(getenv(k)); v != "" {
				s.URL, s.From = v, "$"+k
				break
			}
		}
	}
	if in.Context != nil && (s.URL == "" || s.URL == in.Context.URL) && in.Context.URL != "" {
		base = *in.Context
		if s.URL == "" {
			s.URL, s.From = base.URL, fmt.Sprintf("context %q", in.ContextName)
		}
	}
	if s.URL == "" {
		return s, false, nil
	}
	u, perr := url.Parse(s.URL)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return s, false, fmt.Errorf("schema registry URL %q (from %s): want http://host:port or https://host:port, e.g. http://127.0.0.1:8081", s.URL, s.From)
	}
	if u.User != nil {
		return s, false, fmt.Errorf("schema registry URL (from %s) carries credentials: remove them and use --registry-user with $KCTL_REGISTRY_PASSWORD or --registry-password-file", s.From)
	}
	s.URL = strings.TrimRight(s.URL, "/")
	pick := func(flag, ctx string) string {
		if flag != "" {
			return flag
		}
		return ctx
	}
	s.User = pick(in.Flags.User, base.User)
	s.CAFile = pick(in.Flags.CAFile, base.CAFile)
	s.CertFile = pick(in.Flags.CertFile, base.CertFile)
	s.KeyFile = pick(in.Flags.KeyFile, base.KeyFile)
	if s.User != "" {
		s.Password = getenv("KCTL_REGISTRY_PASSWORD")
		if pf := pick(in.Flags.PasswordFile, base.PasswordFile); pf != "" && (in.Flags.PasswordFile != "" || s.Password == "") {
			b, err := os.ReadFile(pf)
			if err != nil {
				return s, false, fmt.Errorf("read the registry password file: %w", err)
			}
			s.Password = strings.TrimRight(string(b), "\r\n")
		}
		if s.Password == "" {
			return s, false, fmt.Errorf("registry user %q has no password: set $KCTL_REGISTRY_PASSWORD or --registry-password-file", s.User)
		}
	}
	s.Token = getenv("KCTL_REGISTRY_TOKEN")
	if tf := pick(in.Flags.TokenFile, base.TokenFile); tf != "" && (in.Flags.TokenFile != "" || s.Token == "") {
		b, err := os.ReadFile(tf)
		if err != nil {
			return s, false, fmt.Errorf("read the registry token file: %w", err)
		}
		s.Token = strings.TrimSpace(string(b))
	}
	if s.User != "" && s.Token != "" {
		return s, false, errors.New("the registry login is ambiguous: give a user and password or a bearer token, not both")
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		return s, false, errors.New("--registry-cert and --registry-key go together")
	}
	return s, true, nil
}

// String describes the settings without secrets.
func (s Settings) String() string {
	auth := "no auth"
	switch {
	case s.User != "":
		auth = fmt.Sprintf("basic auth as %q", s.User)
	case s.Token != "":
		auth = "bearer token"
	}
	return fmt.Sprintf("%s (from %s, %s)", s.URL, s.From, auth)
}

// Error is a registry that could not be used: it names the URL, where it
// came from, and the cause.
type Error struct {
	URL  string
	From string
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("schema registry %s (from %s): %v", e.URL, e.From, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Client is a registry client whose lookups are cached for the run.
type Client struct {
	S  Settings
	SR *sr.Client

	mu       sync.Mutex
	byID     map[int]*lookup
	versions map[int]*lookup
	subjects map[string]*lookup
}

type lookup struct {
	done   chan struct{}
	schema sr.Schema
	sv     sr.SubjectSchema
	err    error
}

// New builds a client; it does not connect (see Ping).
func New(s Settings) (*Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if s.CAFile != "" || s.CertFile != "" {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if s.CAFile != "" {
			pem, err := os.ReadFile(s.CAFile)
			if err != nil {
				return nil, fmt.Errorf("read the registry CA file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("registry CA file %s holds no PEM certificate", s.CAFile)
			}
			tc.RootCAs = pool
		}
		if s.CertFile != "" {
			cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
			if err != nil {
				return nil, fmt.Errorf("load the registry client certificate: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		tr.TLSClientConfig = tc
	}
	opts := []sr.ClientOpt{sr.URLs(s.URL), sr.HTTPClient(&http.Client{Timeout: s.Timeout, Transport: tr}), sr.UserAgent("kctl")}
	switch {
	case s.User != "":
		opts = append(opts, sr.BasicAuth(s.User, s.Password))
	case s.Token != "":
		opts = append(opts, sr.BearerToken(s.Token))
	}
	cl, err := sr.NewClient(opts...)
	if err != nil {
		return nil, &Error{URL: s.URL, From: s.From, Err: err}
	}
	return &Client{S: s, SR: cl, byID: map[int]*lookup{}, versions: map[int]*lookup{}, subjects: map[string]*lookup{}}, nil
}

// Ping asks the registry for its global compatibility level, within the
// timeout, so that an unreachable or refusing registry fails before anything
// is read or written.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.S.Timeout)
	defer cancel()
	var into map[string]any
	if err := c.SR.Do(ctx, http.MethodGet, "/config", nil, &into); err != nil {
		return c.wrap(err)
	}
	return nil
}

func (c *Client) wrap(err error) error {
	var re *sr.ResponseError
	if errors.As(err, &re) && (re.StatusCode == http.StatusUnauthorized || re.StatusCode == http.StatusForbidden) {
		err = fmt.Errorf("refused (HTTP %d): check --registry-user and $KCTL_REGISTRY_PASSWORD, or the bearer token: %w", re.StatusCode, err)
	} else if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within %s (--timeout): %w", c.S.Timeout, err)
	}
	return &Error{URL: c.S.URL, From: c.S.From, Err: err}
}

func (c *Client) once(m map[string]*lookup, key string, fill func(*lookup)) *lookup {
	c.mu.Lock()
	l, ok := m[key]
	if !ok {
		l = &lookup{done: make(chan struct{})}
		m[key] = l
	}
	c.mu.Unlock()
	if !ok {
		fill(l)
		close(l.done)
	}
	<-l.done
	return l
}

// SchemaByID returns schema id; each ID is asked for once per run.
func (c *Client) SchemaByID(ctx context.Context, id int) (sr.Schema, error) {
	l := c.onceInt(c.byID, id, func(l *lookup) {
		ctx, cancel := context.WithTimeout(ctx, c.S.Timeout)
		defer cancel()
		l.schema, l.err = c.SR.SchemaByID(ctx, id)
		if l.err != nil {
			l.err = c.lookupErr(fmt.Sprintf("schema ID %d", id), l.err)
		}
	})
	return l.schema, l.err
}

// SubjectVersion returns the first subject and version that use schema id
// (cached; "" and 0 when the registry knows none).
func (c *Client) SubjectVersion(ctx context.Context, id int) (string, int) {
	l := c.onceInt(c.versions, id, func(l *lookup) {
		ctx, cancel := context.WithTimeout(ctx, c.S.Timeout)
		defer cancel()
		svs, err := c.SR.SchemaVersionsByID(ctx, id)
		if err == nil && len(svs) > 0 {
			l.sv.Subject, l.sv.Version = svs[0].Subject, svs[0].Version
		}
	})
	return l.sv.Subject, l.sv.Version
}

// SchemaByVersion returns subject's version (-1: the latest), cached.
func (c *Client) SchemaByVersion(ctx context.Context, subject string, version int) (sr.SubjectSchema, error) {
	l := c.once(c.subjects, fmt.Sprintf("%s\x00%d", subject, version), func(l *lookup) {
		ctx, cancel := context.WithTimeout(ctx, c.S.Timeout)
		defer cancel()
		l.sv, l.err = c.SR.SchemaByVersion(ctx, subject, version)
		if l.err != nil {
			what := fmt.Sprintf("subject %q version %d", subject, version)
			if version == -1 {
				what = fmt.Sprintf("subject %q (latest)", subject)
			}
			l.err = c.lookupErr(what, l.err)
		}
	})
	return l.sv, l.err
}

func (c *Client) onceInt(m map[int]*lookup, id int, fill func(*lookup)) *lookup {
	c.mu.Lock()
	l, ok := m[id]
	if !ok {
		l = &lookup{done: make(chan struct{})}
		m[id] = l
	}
	c.mu.Unlock()
	if !ok {
		fill(l)
		close(l.done)
	}
	<-l.done
	return l
}

// NotFoundError is a schema or subject the registry does not have.
type NotFoundError struct{ What string }

func (e *NotFoundError) Error() string { return e.What + " is not in the registry" }

func (c *Client) lookupErr(what string, err error) error {
	var re *sr.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
		return &NotFoundError{What: what}
	}
	return c.wrap(fmt.Errorf("%s: %w", what, err))
}
