// Package registryd is the embedded Schema Registry that `kctl cluster up`
// serves beside the embedded cluster. It speaks the Confluent REST API
// (franz-go's srfake answers the routes), checks compatibility for real
// (compat.go) and persists every change in a journal in the data dir that is
// replayed at start, so subjects, versions and schema IDs survive a restart.
package registryd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// JournalFile is the file in the data dir that holds the registry's changes.
const JournalFile = "schema-registry.jsonl"

// Server is a running embedded registry.
type Server struct {
	reg     *srfake.Registry
	handler http.Handler
	srv     *http.Server
	ln      net.Listener
	mu      sync.Mutex // serialises changes and their journal lines
	journal *os.File
}

// entry is one journal line: a change request that succeeded.
type entry struct {
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Query  string          `json:"query,omitempty"`
	Body   json.RawMessage `json:"body,omitempty"`
}

// New builds a registry; with dataDir non-empty it replays and appends to
// dataDir/schema-registry.jsonl. It does not listen (see Listen).
func New(dataDir string) (*Server, error) {
	s := &Server{reg: srfake.NewRegistry()}
	s.handler = s.checked(s.reg.Handler())
	if dataDir == "" {
		return s, nil
	}
	path := filepath.Join(dataDir, JournalFile)
	if err := s.replay(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("schema registry: open %s: %w", path, err)
	}
	s.journal = f
	return s, nil
}

func (s *Server) replay(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("schema registry: read %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return fmt.Errorf("schema registry: %s line %d: %w (move the file away to start with an empty registry)", path, n, err)
		}
		req := httptest.NewRequest(e.Method, e.Path, bytes.NewReader(e.Body))
		req.URL.RawQuery = e.Query
		if len(e.Body) > 0 {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		s.reg.Handler().ServeHTTP(rec, req)
	}
	return sc.Err()
}

// Handler serves the REST API (and journals changes).
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

func (s *Server) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodGet || req.Method == http.MethodHead || isCheckOnly(req) {
		s.handler.ServeHTTP(w, req)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, 8<<20))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, 413, err.Error())
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	if rec.Code < 300 && s.journal != nil {
		line, _ := json.Marshal(entry{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery, Body: compact(body)})
		if _, err := s.journal.Write(append(line, '\n')); err != nil {
			writeError(w, http.StatusInternalServerError, 50001, "persist the change: "+err.Error())
			return
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// isCheckOnly: POST /subjects/{s} (is this schema registered?) and the
// compatibility endpoint change nothing.
func isCheckOnly(req *http.Request) bool {
	if req.Method != http.MethodPost {
		return false
	}
	p := req.URL.Path
	if len(p) > len("/compatibility/") && p[:len("/compatibility/")] == "/compatibility/" {
		return true
	}
	return len(p) > len("/subjects/") && p[:len("/subjects/")] == "/subjects/" && !hasSuffix(p, "/versions")
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

func compact(b []byte) json.RawMessage {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return nil
	}
	return buf.Bytes()
}

// Listen serves on addr (host:port; port 0 picks one) until Close.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("schema registry: listen on %s: %w (choose another with --registry-addr, or --no-registry)", addr, err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return nil
}

// URL is http://host:port of a listening registry.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// Close stops serving and closes the journal.
func (s *Server) Close() {
	if s.srv != nil {
		_ = s.srv.Close()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.journal != nil {
		_ = s.journal.Close()
		s.journal = nil
	}
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error_code": code, "message": msg})
}
