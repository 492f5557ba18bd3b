// Package kafka turns flags, environment and contexts into franz-go client
// options. It is the only place that knows the broker precedence of docs/design.md §2.
package kafka

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultBrokers is the last fallback: the embedded cluster's ports.
var DefaultBrokers = []string{"localhost:9092", "localhost:19092", "localhost:29092"}

// DefaultTimeout bounds every cluster call unless --timeout says otherwise.
const DefaultTimeout = 10 * time.Second

// TLS holds the TLS settings of a connection.
type TLS struct {
	Enabled            bool   `json:"enabled,omitempty" yaml:"enabled,omitempty"`
	CAFile             string `json:"ca,omitempty" yaml:"ca,omitempty"`
	CertFile           string `json:"cert,omitempty" yaml:"cert,omitempty"`
	KeyFile            string `json:"key,omitempty" yaml:"key,omitempty"`
	ServerName         string `json:"serverName,omitempty" yaml:"serverName,omitempty"`
	InsecureSkipVerify bool   `json:"insecureSkipVerify,omitempty" yaml:"insecureSkipVerify,omitempty"`
}

// SASL holds the SASL settings of a connection. Password is a secret: it is
// never taken from a flag value and never printed (see Masked).
type SASL struct {
	Mechanism    string `json:"mechanism,omitempty" yaml:"mechanism,omitempty"`
	User         string `json:"user,omitempty" yaml:"user,omitempty"`
	Password     string `json:"password,omitempty" yaml:"password,omitempty"`
	PasswordFile string `json:"passwordFile,omitempty" yaml:"passwordFile,omitempty"`
}

// Settings is a fully resolved connection: where to connect and how.
type Settings struct {
	Brokers []string `json:"brokers" yaml:"brokers"`
	// BrokersFrom names where Brokers came from (a flag, a variable, a context, …).
	BrokersFrom string        `json:"brokersFrom" yaml:"brokersFrom"`
	TLS         TLS           `json:"tls" yaml:"tls"`
	SASL        SASL          `json:"sasl" yaml:"sasl"`
	Timeout     time.Duration `json:"timeout" yaml:"timeout"`
	// Seeds, when set, are the seed brokers clients bootstrap from instead
	// of Brokers: the ones that answered Ping, first to answer first, so
	// that a seed that accepts connections and never answers is not asked
	// again. Errors still name Brokers.
	Seeds []string `json:"-" yaml:"-"`
}

// Inputs are the raw sources Resolve chooses from, highest precedence first.
type Inputs struct {
	FlagBrokers []string // -b/--brokers/--bootstrap-server
	// FlagBrokersSet says -b was given, even if empty: an empty value is an
	// error, never a silent fall back to another cluster.
	FlagBrokersSet bool
	Getenv         func(string) string // environment lookup; nil means os.Getenv
	Context        *Context            // the selected context, if any
	ContextName    string
	// ContextFromFlag says --context named it: a context typed on the
	// command line wins over the broker variables.
	ContextFromFlag bool
	// ContextNamed says --context or $KCTL_CONTEXT named the context. Its
	// TLS and SASL settings then apply whatever the brokers' source; the
	// current context's apply only to its own brokers, so credentials are
	// never sent to brokers that came from somewhere else.
	ContextNamed bool
	FileBrokers  []string // cluster.brokers from topics.yaml
	FileName     string
	// LoadFileBrokers, when FileName is empty, reads a topics file's
	// cluster.brokers. It is called only when no earlier source names
	// brokers, so a large file is not parsed for nothing.
	LoadFileBrokers func() (brokers []string, fileName string)

	TLS  TLS  // flag values; zero fields fall back to the context
	SASL SASL // flag values; Password must be empty (flags never carry secrets)

	Timeout time.Duration
}

// brokerEnv lists the environment variables consulted, in order.
var brokerEnv = []string{"KCTL_BROKERS", "KAFKA_BROKERS", "KAFKA_BOOTSTRAP_SERVERS"}

// Resolve applies the precedence of docs/design.md §2. It returns an error naming
// the bad input when a broker address, SASL mechanism or secret file is wrong.
func Resolve(in Inputs) (Settings, error) {
	getenv := in.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var s Settings
	s.Timeout = in.Timeout
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}

	ctxBrokers := in.Context != nil && len(in.Context.Brokers) > 0
	switch {
	case in.FlagBrokersSet || len(in.FlagBrokers) > 0:
		s.Brokers, s.BrokersFrom = SplitList(strings.Join(in.FlagBrokers, ",")), "--brokers"
		if len(s.Brokers) == 0 {
			return s, errors.New("--brokers is empty: give host:port[,host:port…], e.g. -b localhost:9092")
		}
	case in.ContextFromFlag && ctxBrokers:
		s.Brokers, s.BrokersFrom = in.Context.Brokers, fmt.Sprintf("context %q", in.ContextName)
	default:
		for _, k := range brokerEnv {
			raw := getenv(k)
			if raw == "" {
				continue // unset or empty: the next source
			}
			s.Brokers, s.BrokersFrom = SplitList(raw), "$"+k
			if len(s.Brokers) == 0 {
				return s, fmt.Errorf("$%s is blank (%q): set it to host:port[,host:port…] or unset it", k, raw)
			}
			break
		}
	}
	if len(s.Brokers) == 0 && ctxBrokers {
		s.Brokers, s.BrokersFrom = in.Context.Brokers, fmt.Sprintf("context %q", in.ContextName)
	}
	if len(s.Brokers) == 0 && in.FileName == "" && in.LoadFileBrokers != nil {
		in.FileBrokers, in.FileName = in.LoadFileBrokers()
	}
	if len(s.Brokers) == 0 && len(in.FileBrokers) > 0 {
		s.Brokers, s.BrokersFrom = in.FileBrokers, in.FileName+" cluster.brokers"
	}
	if len(s.Brokers) == 0 {
		s.Brokers, s.BrokersFrom = DefaultBrokers, "default"
	}
	for _, b := range s.Brokers {
		if err := checkHostPort(b); err != nil {
			return s, fmt.Errorf("broker address %q (from %s): %w", b, s.BrokersFrom, err)
		}
	}

	if in.Context != nil && (in.ContextNamed || in.ContextFromFlag || s.BrokersFrom == fmt.Sprintf("context %q", in.ContextName)) {
		s.TLS = in.Context.TLS
		s.SASL = in.Context.SASL
	}
	mergeTLS(&s.TLS, in.TLS)
	if in.SASL.Password != "" {
		return s, errors.New("a SASL password is never taken from a flag: set KCTL_SASL_PASSWORD or use --sasl-password-file")
	}
	if in.SASL.Mechanism != "" {
		s.SASL.Mechanism = in.SASL.Mechanism
	}
	if in.SASL.User != "" {
		s.SASL.User = in.SASL.User
	}
	if in.SASL.PasswordFile != "" {
		s.SASL.PasswordFile = in.SASL.PasswordFile
		s.SASL.Password = ""
	}
	if s.SASL.Mechanism != "" {
		m, err := NormalizeMechanism(s.SASL.Mechanism)
		if err != nil {
			return s, err
		}
		s.SASL.Mechanism = m
		if p := getenv("KCTL_SASL_PASSWORD"); p != "" && in.SASL.PasswordFile == "" {
			s.SASL.Password = p
		}
		if s.SASL.Password == "" && s.SASL.PasswordFile != "" {
			b, err := os.ReadFile(s.SASL.PasswordFile)
			if err != nil {
				return s, fmt.Errorf("read the SASL password file: %w", err)
			}
			s.SASL.Password = strings.TrimRight(string(b), "\r\n")
		}
	}
	return s, nil
}

func mergeTLS(dst *TLS, flags TLS) {
	if flags.Enabled {
		dst.Enabled = true
	}
	for _, p := range []struct {
		d *string
		v string
	}{
		{&dst.CAFile, flags.CAFile}, {&dst.CertFile, flags.CertFile},
		{&dst.KeyFile, flags.KeyFile}, {&dst.ServerName, flags.ServerName},
	} {
		if p.v != "" {
			*p.d = p.v
			dst.Enabled = true
		}
	}
	if flags.InsecureSkipVerify {
		dst.InsecureSkipVerify, dst.Enabled = true, true
	}
}

// Mechanisms are the SASL mechanisms kctl speaks, in their canonical spelling.
var Mechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "AWS_MSK_IAM"}

// NormalizeMechanism accepts any case and '-'/'_' spelling of a mechanism and
// returns its canonical name, or an error listing the accepted names.
func NormalizeMechanism(m string) (string, error) {
	key := strings.ToUpper(strings.NewReplacer("-", "", "_", "").Replace(strings.TrimSpace(m)))
	for _, c := range Mechanisms {
		if strings.NewReplacer("-", "", "_", "").Replace(c) == key {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown SASL mechanism %q: use one of plain, scram-sha-256, scram-sha-512, oauthbearer, aws-msk-iam", m)
}

// SplitList splits a comma- or space-separated list, dropping empties.
func SplitList(v string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		out = append(out, strings.TrimSpace(f))
	}
	return out
}

func checkHostPort(hp string) error {
	i := strings.LastIndexByte(hp, ':')
	if i <= 0 || i == len(hp)-1 {
		return errors.New("want host:port, e.g. localhost:9092")
	}
	for _, c := range hp[i+1:] {
		if c < '0' || c > '9' {
			return errors.New("the port must be a number, e.g. localhost:9092")
		}
	}
	if n, err := strconv.Atoi(hp[i+1:]); err != nil || n < 1 || n > 65535 {
		return errors.New("the port must be 1-65535, e.g. localhost:9092")
	}
	return nil
}

// Masked returns a copy of s that is safe to print: secrets replaced.
func (s Settings) Masked() Settings {
	if s.SASL.Password != "" {
		s.SASL.Password = "********"
	}
	return s
}
