package svc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/backoff"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ErrorBody is every 4xx/5xx answer: {"error": "...", "field": "..."}.
type ErrorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// WriteJSON answers code with v as JSON.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// WriteError answers code with {"error": msg, "field": field}.
func WriteError(w http.ResponseWriter, code int, field, msg string) {
	WriteJSON(w, code, ErrorBody{Error: msg, Field: field})
}

// Check is one readiness check; it returns nil when the dependency is usable.
type Check struct {
	Name string
	Fn   func(context.Context) error
}

// ReadyBody is GET /readyz.
type ReadyBody struct {
	Status string            `json:"status"` // "ready" or "unready"
	Checks map[string]string `json:"checks"` // name → "ok" or the error
}

// Healthz answers 200 {"status":"ok"} while the process serves HTTP.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Readyz runs the checks (each bounded by 2s) and answers 200 when all pass,
// 503 otherwise, naming each check's result.
func Readyz(checks ...Check) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body := ReadyBody{Status: "ready", Checks: map[string]string{}}
		for _, c := range checks {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			err := c.Fn(ctx)
			cancel()
			if err != nil {
				body.Status = "unready"
				body.Checks[c.Name] = err.Error()
				continue
			}
			body.Checks[c.Name] = "ok"
		}
		code := http.StatusOK
		if body.Status != "ready" {
			code = http.StatusServiceUnavailable
		}
		WriteJSON(w, code, body)
	}
}

// NewRegistry returns a Prometheus registry with the Go runtime and process
// collectors. Each service has its own, so two services run in one process
// (kctl smoke) without clashing.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// MetricsHandler serves reg in the Prometheus text format.
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// HTTPMetrics counts requests by route and code and times them.
type HTTPMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewHTTPMetrics registers <namespace>_http_requests_total{route,code} and
// <namespace>_http_request_duration_seconds{route} on reg.
func NewHTTPMetrics(reg prometheus.Registerer, namespace string) *HTTPMetrics {
	m := &HTTPMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests answered, by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

// Unwrap lets http.ResponseController reach the connection (read
// deadlines, flushing).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Wrap instruments h as route and logs each request at debug level.
func (m *HTTPMetrics) Wrap(route string, log *slog.Logger, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		d := time.Since(start)
		m.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		m.duration.WithLabelValues(route).Observe(d.Seconds())
		log.Debug("http request", "method", r.Method, "path", r.URL.Path, "status", sw.code, "duration", d)
	}
}

// Server is an HTTP server running on a listener.
type Server struct {
	srv  *http.Server
	errc chan error
}

// StartServer serves h on ln in the background.
func StartServer(ln net.Listener, h http.Handler, log *slog.Logger) *Server {
	s := &Server{
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
		errc: make(chan error, 1),
	}
	go func() { s.errc <- s.srv.Serve(ln) }()
	return s
}

// Failed yields the error that made the server stop serving on its own
// (a failing listener); nothing is sent after Shutdown.
func (s *Server) Failed() <-chan error { return s.errc }

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx is done. It returns ctx's error if requests were still running.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	select {
	case serr := <-s.errc:
		if serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	default:
	}
	return err
}

// ClientBackoff is the franz-go client retry policy both services use
// (kgo.RetryBackoffFn): from 100ms, doubling, capped at 1s, jittered.
var ClientBackoff = backoff.Policy{Initial: 100 * time.Millisecond, Max: time.Second, Jitter: true}

// URL returns the http:// URL a listener serves, with "localhost" for a
// wildcard host.
func URL(ln net.Listener) string {
	host, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		return "http://" + ln.Addr().String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// OpsRoutes adds the routes every service has to mux: GET /healthz, GET
// /readyz (the database and Kafka checks) and GET /metrics.
func OpsRoutes(mux *http.ServeMux, m *HTTPMetrics, log *slog.Logger, reg *prometheus.Registry, db *DB, cl *kgo.Client, brokers []string) {
	mux.HandleFunc("GET /healthz", m.Wrap("GET /healthz", log, Healthz))
	mux.HandleFunc("GET /readyz", m.Wrap("GET /readyz", log, Readyz(
		Check{Name: "database", Fn: db.Ping},
		Check{Name: "kafka", Fn: func(ctx context.Context) error {
			if err := cl.Ping(ctx); err != nil {
				return fmt.Errorf("no broker of %s answers: %w", strings.Join(brokers, ","), err)
			}
			return nil
		}},
	)))
	mux.Handle("GET /metrics", MetricsHandler(reg))
}

// JSONErrors serves mux, answering the requests mux itself refuses (no route:
// 404; a route without this method: 405 with its Allow header) with the same
// JSON error body as every other refusal instead of net/http's plain text.
func JSONErrors(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		rec := &headerRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		switch rec.code {
		case http.StatusNotFound:
			WriteError(w, rec.code, "", fmt.Sprintf("no such route: %s %s", r.Method, r.URL.Path))
		case http.StatusMethodNotAllowed:
			allow := rec.header.Get("Allow")
			w.Header().Set("Allow", allow)
			WriteError(w, rec.code, "", fmt.Sprintf("method %s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allow))
		default: // redirects to the clean path and the like: as mux answers
			mux.ServeHTTP(w, r)
		}
	})
}

// headerRecorder keeps the status and headers a handler writes, and drops
// its body.
type headerRecorder struct {
	header http.Header
	code   int
}

func (h *headerRecorder) Header() http.Header { return h.header }
func (h *headerRecorder) WriteHeader(code int) {
	if h.code == 0 {
		h.code = code
	}
}
func (h *headerRecorder) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return len(b), nil
}
