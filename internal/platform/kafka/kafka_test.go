package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/internal/platform/testnet"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestResolveBrokerPrecedence(t *testing.T) {
	ctx := &Context{Brokers: []string{"ctx:1"}}
	file := []string{"file:1"}
	all := map[string]string{"KCTL_BROKERS": "kctl:1", "KAFKA_BROKERS": "kb:1", "KAFKA_BOOTSTRAP_SERVERS": "kbs:1,kbs:2"}
	for _, tc := range []struct {
		name string
		in   Inputs
		want string
		from string
	}{
		{"flag wins", Inputs{FlagBrokers: []string{"flag:1"}, Getenv: env(all), Context: ctx, FileBrokers: file}, "flag:1", "--brokers"},
		{"KCTL_BROKERS", Inputs{Getenv: env(all), Context: ctx, FileBrokers: file}, "kctl:1", "$KCTL_BROKERS"},
		{"KAFKA_BROKERS", Inputs{Getenv: env(map[string]string{"KAFKA_BROKERS": "kb:1", "KAFKA_BOOTSTRAP_SERVERS": "x:1"})}, "kb:1", "$KAFKA_BROKERS"},
		{"KAFKA_BOOTSTRAP_SERVERS", Inputs{Getenv: env(map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "kbs:1, kbs:2"}), Context: ctx}, "kbs:1,kbs:2", "$KAFKA_BOOTSTRAP_SERVERS"},
		{"context", Inputs{Getenv: env(nil), Context: ctx, ContextName: "prod", FileBrokers: file}, "ctx:1", `context "prod"`},
		{"topics.yaml", Inputs{Getenv: env(nil), FileBrokers: file, FileName: "topics.yaml"}, "file:1", "topics.yaml cluster.brokers"},
		{"default", Inputs{Getenv: env(nil)}, "localhost:9092,localhost:19092,localhost:29092", "default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Resolve(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(s.Brokers, ","); got != tc.want || s.BrokersFrom != tc.from {
				t.Errorf("brokers %q from %q, want %q from %q", got, s.BrokersFrom, tc.want, tc.from)
			}
			if s.Timeout != DefaultTimeout {
				t.Errorf("timeout %v, want default %v", s.Timeout, DefaultTimeout)
			}
		})
	}
}

func TestResolveSASLAndErrors(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("from-file\n"), 0o600)
	for _, tc := range []struct {
		name    string
		in      Inputs
		wantErr string
		check   func(Settings) bool
	}{
		{"mechanism spelling", Inputs{Getenv: env(map[string]string{"KCTL_SASL_PASSWORD": "s"}), SASL: SASL{Mechanism: "scram_sha_512", User: "u"}},
			"", func(s Settings) bool { return s.SASL.Mechanism == "SCRAM-SHA-512" && s.SASL.Password == "s" }},
		{"aws spelling", Inputs{Getenv: env(nil), SASL: SASL{Mechanism: "AWS-MSK-IAM"}}, "", func(s Settings) bool { return s.SASL.Mechanism == "AWS_MSK_IAM" }},
		{"password file", Inputs{Getenv: env(map[string]string{"KCTL_SASL_PASSWORD": "env"}), SASL: SASL{Mechanism: "plain", User: "u", PasswordFile: pw}},
			"", func(s Settings) bool { return s.SASL.Password == "from-file" && s.Masked().SASL.Password == "********" }},
		{"context SASL, flag user wins", Inputs{Getenv: env(map[string]string{"KCTL_SASL_PASSWORD": "p"}), Context: &Context{SASL: SASL{Mechanism: "PLAIN", User: "ctxuser"}}, ContextNamed: true, SASL: SASL{User: "flaguser"}},
			"", func(s Settings) bool { return s.SASL.User == "flaguser" && s.SASL.Mechanism == "PLAIN" }},
		{"current context's security goes with its brokers", Inputs{Getenv: env(nil), Context: &Context{Brokers: []string{"ctx:1"}, TLS: TLS{Enabled: true}, SASL: SASL{Mechanism: "PLAIN", User: "u"}}, ContextName: "prod"},
			"", func(s Settings) bool {
				return s.BrokersFrom == `context "prod"` && s.SASL.Mechanism == "PLAIN" && s.TLS.Enabled
			}},
		{"current context's security is not sent to -b brokers", Inputs{Getenv: env(nil), FlagBrokers: []string{"other:1"}, Context: &Context{Brokers: []string{"ctx:1"}, TLS: TLS{Enabled: true}, SASL: SASL{Mechanism: "PLAIN", User: "u"}}, ContextName: "prod"},
			"", func(s Settings) bool { return s.Brokers[0] == "other:1" && s.SASL.Mechanism == "" && !s.TLS.Enabled }},
		{"nor to brokers from a variable", Inputs{Getenv: env(map[string]string{"KCTL_BROKERS": "env:1"}), Context: &Context{Brokers: []string{"ctx:1"}, SASL: SASL{Mechanism: "PLAIN", User: "u"}}, ContextName: "prod"},
			"", func(s Settings) bool { return s.Brokers[0] == "env:1" && s.SASL.Mechanism == "" }},
		{"a named context lends its security to -b brokers", Inputs{Getenv: env(nil), FlagBrokers: []string{"broker-2:1"}, Context: &Context{Brokers: []string{"ctx:1"}, SASL: SASL{Mechanism: "PLAIN", User: "u"}}, ContextName: "prod", ContextNamed: true},
			"", func(s Settings) bool { return s.Brokers[0] == "broker-2:1" && s.SASL.Mechanism == "PLAIN" }},
		{"tls from ca flag", Inputs{Getenv: env(nil), TLS: TLS{CAFile: "ca.pem"}}, "", func(s Settings) bool { return s.TLS.Enabled }},
		{"unknown mechanism", Inputs{Getenv: env(nil), SASL: SASL{Mechanism: "gssapi"}}, `unknown SASL mechanism "gssapi"`, nil},
		{"password flag refused", Inputs{Getenv: env(nil), SASL: SASL{Mechanism: "plain", Password: "x"}}, "never taken from a flag", nil},
		{"empty -b", Inputs{FlagBrokersSet: true, FlagBrokers: []string{""}, Getenv: env(map[string]string{"KCTL_BROKERS": "k:1"})}, "--brokers is empty", nil},
		{"blank variable", Inputs{Getenv: env(map[string]string{"KCTL_BROKERS": " , "})}, `$KCTL_BROKERS is blank (" , ")`, nil},
		{"empty variable is unset", Inputs{Getenv: env(map[string]string{"KCTL_BROKERS": "", "KAFKA_BROKERS": "kb:1"})}, "", func(s Settings) bool { return s.BrokersFrom == "$KAFKA_BROKERS" }},
		{"--context beats the variables", Inputs{Getenv: env(map[string]string{"KCTL_BROKERS": "env:1"}), Context: &Context{Brokers: []string{"ctx:1"}}, ContextName: "prod", ContextFromFlag: true}, "",
			func(s Settings) bool { return s.Brokers[0] == "ctx:1" && s.BrokersFrom == `context "prod"` }},
		{"-b beats --context", Inputs{FlagBrokers: []string{"flag:1"}, Context: &Context{Brokers: []string{"ctx:1"}}, ContextFromFlag: true}, "",
			func(s Settings) bool { return s.Brokers[0] == "flag:1" }},
		{"current context loses to the variables", Inputs{Getenv: env(map[string]string{"KCTL_BROKERS": "env:1"}), Context: &Context{Brokers: []string{"ctx:1"}}}, "",
			func(s Settings) bool { return s.Brokers[0] == "env:1" }},
		{"bad broker", Inputs{FlagBrokers: []string{"kafka"}}, `broker address "kafka" (from --brokers): want host:port`, nil},
		{"bad port", Inputs{FlagBrokers: []string{"kafka:x"}}, "port must be a number", nil},
		{"missing password file", Inputs{Getenv: env(nil), SASL: SASL{Mechanism: "plain", PasswordFile: filepath.Join(dir, "nope")}}, "read the SASL password file", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Resolve(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !tc.check(s) {
				t.Fatalf("settings %+v err %v", s, err)
			}
		})
	}
}

func TestContextsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kctl", "config.yaml")
	c, err := LoadConfig(path)
	if err != nil || len(c.Contexts) != 0 {
		t.Fatalf("missing file should be empty config, got %+v %v", c, err)
	}
	c.Contexts["prod"] = &Context{Brokers: []string{"k:9093"}, SASL: SASL{Mechanism: "PLAIN", User: "u", Password: "hunter2"}}
	c.CurrentContext = "prod"
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v, want 0600", fi.Mode().Perm())
	}
	c2, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, name, err := c2.Select("")
	if err != nil || name != "prod" || ctx.Brokers[0] != "k:9093" {
		t.Fatalf("select current = %v %q %v", ctx, name, err)
	}
	if c2.Masked().Contexts["prod"].SASL.Password != "********" || c2.Contexts["prod"].SASL.Password != "hunter2" {
		t.Error("Masked must mask a copy and leave the original")
	}
	if _, _, err := c2.Select("staging"); err == nil || !strings.Contains(err.Error(), `no context "staging"`) {
		t.Errorf("unknown context err = %v", err)
	}
	os.WriteFile(path, []byte("contexts: [oops"), 0o600)
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), "parse config") {
		t.Errorf("broken config err = %v", err)
	}
}

// connect pings the cluster with s, and checks that a Sticky's first request
// (what describe sends instead of a ping) fails or succeeds the same way.
func connect(t *testing.T, s Settings) error {
	t.Helper()
	s.Timeout = 5 * time.Second
	cl, err := NewClient(s, nil)
	if err != nil {
		return err
	}
	defer cl.Close()
	pingErr := Ping(context.Background(), cl, s)

	cl2, err := NewClient(s, nil)
	if err != nil {
		return err
	}
	defer cl2.Close()
	_, stickyErr := kmsg.NewPtrMetadataRequest().RequestWith(context.Background(), NewSticky(cl2, s))
	if kind(pingErr) != kind(stickyErr) {
		t.Errorf("Ping err = %v (%s) but Sticky err = %v (%s)", pingErr, kind(pingErr), stickyErr, kind(stickyErr))
	}
	return pingErr
}

func kind(err error) string {
	var ae *AuthError
	var ue *UnreachableError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &ae):
		return "auth"
	case errors.As(err, &ue):
		return "unreachable"
	}
	return "other"
}

// Sticky sends everything over one connection to the first seed that
// answers: a dead seed is skipped, and no other broker is dialled.
func TestStickyOneConnection(t *testing.T) {
	c := devclustertest.New(t)
	var handshakes, requests atomic.Int32
	// Observers per key: they run before the embedded cluster's own
	// corrections (Control for every key), which answer DescribeConfigs
	// of brokers themselves.
	for _, key := range []kmsg.Key{kmsg.ApiVersions, kmsg.Metadata, kmsg.DescribeConfigs} {
		c.ControlKey(int16(key), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
			c.KeepControl()
			requests.Add(1)
			if kreq.Key() == int16(kmsg.ApiVersions) {
				handshakes.Add(1)
			}
			return nil, nil, false
		})
	}
	deadAddr := testnet.RefusedAddr(t) // connection refused

	s := Settings{Brokers: append([]string{deadAddr}, c.Brokers()...), Timeout: 5 * time.Second}
	cl, err := NewClient(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	r := NewSticky(cl, s)
	ctx := context.Background()
	meta, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, r)
	if err != nil || len(meta.Brokers) != 3 {
		t.Fatalf("metadata through Sticky: %v, %d brokers", err, len(meta.Brokers))
	}
	for range 3 {
		creq := kmsg.NewPtrDescribeConfigsRequest()
		rr := kmsg.NewDescribeConfigsRequestResource()
		rr.ResourceType = kmsg.ConfigResourceTypeBroker
		rr.ResourceName = "0"
		creq.Resources = append(creq.Resources, rr)
		if _, err := creq.RequestWith(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if h, n := handshakes.Load(), requests.Load(); h != 1 || n != 5 {
		t.Errorf("%d connections (ApiVersions) and %d requests; want 1 connection carrying all 5", h, n)
	}

	// Nothing answers: an *UnreachableError naming every broker.
	s = Settings{Brokers: []string{deadAddr}, BrokersFrom: "--brokers", Timeout: 2 * time.Second}
	cl2, err := NewClient(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl2.Close()
	_, err = kmsg.NewPtrMetadataRequest().RequestWith(ctx, NewSticky(cl2, s))
	var ue *UnreachableError
	if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "cannot reach Kafka at "+deadAddr+" (from --brokers): connection refused by every broker: ") || strings.Contains(err.Error(), "within") {
		t.Errorf("err = %v, want an *UnreachableError naming %s and saying at once that it refused", err, deadAddr)
	}

	// Two seeds, both refusing: said at once, each named.
	dead2Addr := testnet.RefusedAddr(t)
	s = Settings{Brokers: []string{deadAddr, dead2Addr}, BrokersFrom: "--brokers", Timeout: 10 * time.Second}
	cl3, err := NewClient(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl3.Close()
	_, err = kmsg.NewPtrMetadataRequest().RequestWith(ctx, NewSticky(cl3, s))
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "connection refused by every broker") || strings.Contains(err.Error(), "within") {
		t.Errorf("two refusing seeds: err = %v, want 'connection refused by every broker'", err)
	}
}

func TestSCRAMAndPlain(t *testing.T) {
	c, err := devcluster.Start(devcluster.Options{SASLUser: "admin", SASLPassword: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, m := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"} {
		t.Run(m, func(t *testing.T) {
			ok := Settings{Brokers: c.Brokers(), SASL: SASL{Mechanism: m, User: "admin", Password: "s3cret"}}
			if err := connect(t, ok); err != nil {
				t.Fatalf("right password: %v", err)
			}
			bad := ok
			bad.SASL.Password = "wrong"
			err := connect(t, bad)
			var ae *AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("wrong password: err = %v (%T), want *AuthError", err, err)
			}
			if !strings.Contains(err.Error(), "authentication failed (SASL "+m+`, user "admin")`) {
				t.Errorf("message = %q", err)
			}
		})
	}
	// A broker that answers SASL_AUTHENTICATION_FAILED, as Apache Kafka does.
	c.ControlKey(int16(kmsg.SASLAuthenticate), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		resp := kreq.(*kmsg.SASLAuthenticateRequest).ResponseKind().(*kmsg.SASLAuthenticateResponse)
		resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
		msg := "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256"
		resp.ErrorMessage = &msg
		return resp, nil, true
	})
	err = connect(t, Settings{Brokers: c.Brokers(), SASL: SASL{Mechanism: "SCRAM-SHA-256", User: "admin", Password: "wrong"}})
	var ae *AuthError
	if !errors.As(err, &ae) || !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("SASL_AUTHENTICATION_FAILED: err = %v, want *AuthError wrapping it", err)
	}
	// No SASL at all against a SASL cluster fails.
	if err := connect(t, Settings{Brokers: c.Brokers()}); err == nil {
		t.Error("plaintext client reached a SASL-only cluster")
	}
}

func TestTLS(t *testing.T) {
	certs, err := devclustertest.WriteCerts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(certs.Cert, certs.Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := devcluster.Start(devcluster.Options{TLS: &tls.Config{Certificates: []tls.Certificate{pair}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := connect(t, Settings{Brokers: c.Brokers(), TLS: TLS{Enabled: true, CAFile: certs.CA}}); err != nil {
		t.Fatalf("TLS with the CA: %v", err)
	}
	// A plaintext client on a TLS listener: unreachable, with the hint.
	err = connect(t, Settings{Brokers: c.Brokers(), BrokersFrom: "--brokers"})
	if ue := (*UnreachableError)(nil); !errors.As(err, &ue) || !strings.Contains(err.Error(), "does the listener need --tls") || !strings.Contains(err.Error(), "(from --brokers)") {
		t.Errorf("plaintext on TLS: err = %v, want an unreachable error naming the brokers with a --tls hint", err)
	}
	err = connect(t, Settings{Brokers: c.Brokers(), TLS: TLS{Enabled: true}})
	var ue *UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("TLS without the CA: err = %v, want an unreachable error about the certificate", err)
	}
	if _, err := (TLS{Enabled: true, CAFile: certs.Key}).Config(); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("a key as CA: err = %v", err)
	}
	if _, err := (TLS{CertFile: certs.Cert}).Config(); err == nil || !strings.Contains(err.Error(), "go together") {
		t.Errorf("cert without key: err = %v", err)
	}
}

// A listener that accepts and never answers (a wrong port, a hung broker)
// fails within the timeout, not kgo's 10s default, with a hint.
func TestPingSilentListener(t *testing.T) {
	s := Settings{Brokers: []string{silentListener(t)}, Timeout: 300 * time.Millisecond}
	cl, err := NewClient(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for name, first := range map[string]func() error{
		"Ping": func() error { return Ping(context.Background(), cl, s) },
		"Sticky": func() error {
			_, err := kmsg.NewPtrMetadataRequest().RequestWith(context.Background(), NewSticky(cl, s))
			return err
		},
	} {
		start := time.Now()
		err := first()
		var ue *UnreachableError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "whether the listener needs --tls") {
			t.Fatalf("%s: err = %v, want an *UnreachableError with a hint", name, err)
		}
		// Bounded by the timeout, far below kgo's 10s default.
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %s with a 300ms timeout", name, d)
		}
	}
}

// The topics file is read only when no earlier source names brokers.
func TestResolveLoadsFileBrokersLazily(t *testing.T) {
	calls := 0
	load := func() ([]string, string) { calls++; return []string{"file:1"}, "topics.yaml" }
	s, err := Resolve(Inputs{Getenv: env(map[string]string{"KCTL_BROKERS": "env:1"}), LoadFileBrokers: load})
	if err != nil || s.Brokers[0] != "env:1" || calls != 0 {
		t.Fatalf("with $KCTL_BROKERS: brokers %v, err %v, file read %d times; want env:1 and no read", s.Brokers, err, calls)
	}
	s, err = Resolve(Inputs{Getenv: env(nil), LoadFileBrokers: load})
	if err != nil || s.Brokers[0] != "file:1" || s.BrokersFrom != "topics.yaml cluster.brokers" || calls != 1 {
		t.Fatalf("nothing else: brokers %v from %q, err %v, file read %d times; want file:1 from the file, read once", s.Brokers, s.BrokersFrom, err, calls)
	}
}

// silentListener accepts connections and never answers, like a hung broker
// or a load balancer in front of a dead one. It is closed with the test.
func silentListener(t *testing.T) string { return testnet.SilentAddr(t) }

// A first seed that never answers costs a share of the timeout, not all of
// it: the next seed is tried and answers.
func TestStickySilentFirstSeed(t *testing.T) {
	c := devclustertest.New(t)
	silent := silentListener(t)
	s := Settings{Brokers: append([]string{silent}, c.Brokers()...), BrokersFrom: "--brokers", Timeout: 16 * time.Second}
	cl, err := NewClient(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	start := time.Now()
	meta, err := kmsg.NewPtrMetadataRequest().RequestWith(context.Background(), NewSticky(cl, s))
	if err != nil || len(meta.Brokers) != 3 {
		t.Fatalf("metadata with a silent first seed: %v", err)
	}
	// The second seed starts after Timeout/4 = 4s, and answers in
	// milliseconds; 12s leaves a busy machine room and is still well
	// before the 16s timeout that a silent seed holding the request would
	// cost.
	if d := time.Since(start); d > 12*time.Second {
		t.Errorf("took %s; the silent seed should cost about a quarter of the 16s timeout", d)
	}

	// Nothing answers: each seed is named with its own cause.
	deadAddr := testnet.RefusedAddr(t)
	s = Settings{Brokers: []string{silent, deadAddr}, BrokersFrom: "--brokers", Timeout: time.Second}
	cl2, err := NewClient(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl2.Close()
	_, err = kmsg.NewPtrMetadataRequest().RequestWith(context.Background(), NewSticky(cl2, s))
	var ue *UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), silent+": ") || !strings.Contains(err.Error(), deadAddr+": unable to dial") ||
		!strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "(from --brokers) within 1s") {
		t.Errorf("err = %v; want an *UnreachableError naming each seed with its cause", err)
	}
}

// When the chosen broker's connection breaks, a later request still gets
// through, over the client's own routing.
func TestStickyFallsBackWhenItsConnectionBreaks(t *testing.T) {
	c := devclustertest.New(t)
	s := Settings{Brokers: c.Brokers(), Timeout: 5 * time.Second}
	cl, err := NewClient(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	r := NewSticky(cl, s)
	ctx := context.Background()
	if _, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, r); err != nil {
		t.Fatal(err)
	}
	var broke atomic.Bool
	c.ControlKey(int16(kmsg.Metadata), func(kmsg.Request) (kmsg.Response, error, bool) {
		broke.Store(true)
		return nil, errors.New("connection broken by the test"), true // kfake closes the connection
	})
	meta, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, r)
	if !broke.Load() {
		t.Fatal("the hook never broke the connection")
	}
	if err != nil || len(meta.Brokers) != 3 {
		t.Fatalf("metadata after the sticky connection broke: %v", err)
	}
}

// A first seed that accepts connections and never answers costs nothing:
// the seeds are asked at once, the one that answers becomes the client's
// only seed, and the settings name it for the command's other clients. With
// the old Ping (kgo's: seeds one after the other) the silent seed held the
// whole timeout and the ping failed.
func TestPreflightSilentFirstSeed(t *testing.T) {
	c := devclustertest.New(t)
	silent := silentListener(t)
	s := Settings{Brokers: []string{silent, c.Brokers()[1]}, BrokersFrom: "--brokers", Timeout: 3 * time.Second}
	cl, err := NewClient(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	live, err := Preflight(context.Background(), cl, s)
	if err != nil {
		t.Fatalf("preflight with a silent first seed: %v", err)
	}
	if want := []string{c.Brokers()[1]}; !slices.Equal(live.Seeds, want) || !slices.Equal(live.Brokers, s.Brokers) {
		t.Fatalf("seeds %v brokers %v; want seeds %v and the brokers as given", live.Seeds, live.Brokers, want)
	}
	// Every later bootstrap request, of this client and of one built from
	// the returned settings, goes to the seed that answered.
	cl2, err := NewClient(live, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl2.Close()
	for name, k := range map[string]*kgo.Client{"pinged client": cl, "client from the settings": cl2} {
		for i := range 5 {
			ctx, cancel := context.WithTimeout(context.Background(), s.Timeout)
			_, err := kadm.NewClient(k).ListTopics(ctx)
			cancel()
			if err != nil {
				t.Fatalf("%s: list topics #%d: %v", name, i, err)
			}
			k.PurgeTopicsFromClient() // nothing cached: ask again
		}
	}
}

// When no seed answers, the error names the seed that hung and each other
// seed with its own cause.
func TestPreflightNamesTheSeedThatHung(t *testing.T) {
	silent := silentListener(t)
	dead := testnet.RefusedAddr(t)
	for _, brokers := range [][]string{{silent}, {dead, silent}, {silent, dead}} {
		s := Settings{Brokers: brokers, BrokersFrom: "--brokers", Timeout: 500 * time.Millisecond}
		cl, err := NewClient(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Preflight(context.Background(), cl, s)
		cl.Close()
		var ue *UnreachableError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "cannot reach Kafka at "+strings.Join(brokers, ",")+" (from --brokers) within 500ms") ||
			!strings.Contains(err.Error(), "no answer within 500ms") || !strings.Contains(err.Error(), "no answer in time") {
			t.Fatalf("%v: err = %v; want an *UnreachableError naming the brokers, with the hint", brokers, err)
		}
		if len(brokers) > 1 && (!strings.Contains(err.Error(), silent+": no answer within 500ms") || !strings.Contains(err.Error(), dead+": unable to dial")) {
			t.Errorf("%v: err = %v; want each seed with its cause", brokers, err)
		}
	}
}
