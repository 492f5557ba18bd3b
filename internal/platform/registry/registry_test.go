package registry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/kctl/kctl/internal/platform/registryd"
	"github.com/twmb/franz-go/pkg/sr"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestResolvePrecedence(t *testing.T) {
	ctx := &kafka.Registry{URL: "http://ctx:8081", User: "ctxuser"}
	cases := []struct {
		name     string
		in       Inputs
		url, src string
		user     string
	}{
		{"flag wins", Inputs{Flags: kafka.Registry{URL: "http://flag:1"}, Getenv: env(map[string]string{"KCTL_REGISTRY": "http://env:1"}), Context: ctx, ContextName: "c"}, "http://flag:1", "--registry", ""},
		{"KCTL_REGISTRY before SCHEMA_REGISTRY_URL", Inputs{Getenv: env(map[string]string{"KCTL_REGISTRY": "http://a:1", "SCHEMA_REGISTRY_URL": "http://b:1"})}, "http://a:1", "$KCTL_REGISTRY", ""},
		{"SCHEMA_REGISTRY_URL", Inputs{Getenv: env(map[string]string{"SCHEMA_REGISTRY_URL": "http://b:1/"})}, "http://b:1", "$SCHEMA_REGISTRY_URL", ""},
		{"context, with its login", Inputs{Getenv: env(map[string]string{"KCTL_REGISTRY_PASSWORD": "pw"}), Context: ctx, ContextName: "c"}, "http://ctx:8081", `context "c"`, "ctxuser"},
		{"the context's login never goes to another registry", Inputs{Getenv: env(map[string]string{"KCTL_REGISTRY": "http://other:1"}), Context: ctx, ContextName: "c"}, "http://other:1", "$KCTL_REGISTRY", ""},
	}
	for _, c := range cases {
		s, ok, err := Resolve(c.in)
		if err != nil || !ok || s.URL != c.url || s.From != c.src || s.User != c.user {
			t.Errorf("%s: got %+v ok=%v err=%v; want %s from %s user %q", c.name, s, ok, err, c.url, c.src, c.user)
		}
	}
	if _, ok, err := Resolve(Inputs{Getenv: env(nil)}); ok || err != nil {
		t.Errorf("nothing configured: ok=%v err=%v", ok, err)
	}
	for _, bad := range []string{"localhost:8081", "ftp://x", "http://u:p@h:1"} {
		if _, _, err := Resolve(Inputs{Flags: kafka.Registry{URL: bad}, Getenv: env(nil)}); err == nil || strings.Contains(err.Error(), ":p@") {
			t.Errorf("URL %q: err %v; want an error that does not print the password", bad, err)
		}
	}
	if _, _, err := Resolve(Inputs{Flags: kafka.Registry{URL: "http://h:1", User: "u"}, Getenv: env(nil)}); err == nil || !strings.Contains(err.Error(), "KCTL_REGISTRY_PASSWORD") {
		t.Errorf("a user without a password: %v", err)
	}
	pf := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pf, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _, err := Resolve(Inputs{Flags: kafka.Registry{URL: "http://h:1", User: "u", PasswordFile: pf}, Getenv: env(nil)})
	if err != nil || s.Password != "s3cret" || strings.Contains(s.String(), "s3cret") {
		t.Errorf("password file: %+v %v (String %q must not show it)", s, err, s.String())
	}
}

// TestOneRequestPerSchemaID: lookups are cached for the run, errors too.
func TestOneRequestPerSchemaID(t *testing.T) {
	rd, err := registryd.New("")
	if err != nil {
		t.Fatal(err)
	}
	var byID atomic.Int64
	var auth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/schemas/ids/") {
			byID.Add(1)
		}
		auth.Store(r.Header.Get("Authorization"))
		rd.Handler().ServeHTTP(w, r)
	}))
	defer srv.Close()
	s, _, err := Resolve(Inputs{Flags: kafka.Registry{URL: srv.URL}, Getenv: env(map[string]string{"KCTL_REGISTRY_TOKEN": "tok"})})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ss, err := c.SR.CreateSchema(ctx, "s", sr.Schema{Schema: `"string"`})
	if err != nil {
		t.Fatal(err)
	}
	if got := auth.Load(); got != "Bearer tok" {
		t.Errorf("Authorization %q; want the bearer token", got)
	}
	byID.Store(0)
	for range 5 {
		if _, err := c.SchemaByID(ctx, ss.ID); err != nil {
			t.Fatal(err)
		}
		var nf *NotFoundError
		if _, err := c.SchemaByID(ctx, 99); !errors.As(err, &nf) {
			t.Fatalf("unknown ID: %v", err)
		}
	}
	if n := byID.Load(); n != 2 {
		t.Errorf("%d requests for 2 schema IDs asked 5 times each; want 2", n)
	}
}

func TestUnreachableNamesURLSourceAndCause(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error_code":401,"message":"Unauthorized"}`, http.StatusUnauthorized)
	}))
	defer srv.Close()
	c, err := New(Settings{URL: srv.URL, From: "$KCTL_REGISTRY", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Ping(context.Background())
	var re *Error
	if !errors.As(err, &re) || !strings.Contains(err.Error(), srv.URL+" (from $KCTL_REGISTRY): refused (HTTP 401)") {
		t.Fatalf("refusing registry: %v", err)
	}
}
