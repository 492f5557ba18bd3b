package users

import (
	"context"
	"time"

	"github.com/kctl/kctl/services/internal/svc"
	"github.com/prometheus/client_golang/prometheus"
)

const namespace = "kctl_users"

type metrics struct {
	signups        prometheus.Counter
	rejected       *prometheus.CounterVec
	published      prometheus.Counter
	publishErrors  prometheus.Counter
	publishLatency prometheus.Histogram
	pruned         prometheus.Counter
	http           *svc.HTTPMetrics
}

func newMetrics(reg *prometheus.Registry, s *Service) *metrics {
	m := &metrics{
		signups: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "signups_total",
			Help: "Sign-ups accepted (201): user and outbox row committed.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "signups_rejected_total",
			Help: "Sign-ups refused, by reason (invalid, duplicate, too_large, unsupported_media_type, overloaded, error).",
		}, []string{"reason"}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "outbox_published_total",
			Help: "Outbox events acknowledged by Kafka and marked sent.",
		}),
		publishErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "outbox_publish_errors_total",
			Help: "Outbox events whose publish attempt failed (they stay pending and are retried).",
		}),
		publishLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "outbox_publish_latency_seconds",
			Help:    "Time from a sign-up's commit to Kafka's acknowledgement of its event.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
		pruned: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "outbox_pruned_total",
			Help: "Sent outbox rows deleted after --outbox-retention.",
		}),
		http: svc.NewHTTPMetrics(reg, namespace),
	}
	for _, r := range []string{"invalid", "duplicate", "too_large", "unsupported_media_type", "overloaded", "error"} {
		m.rejected.WithLabelValues(r)
	}
	reg.MustRegister(m.signups, m.rejected, m.published, m.publishErrors, m.publishLatency, m.pruned, &outboxCollector{s: s})
	return m
}

// outboxCollector reads the outbox backlog from the database at scrape time.
type outboxCollector struct{ s *Service }

var (
	pendingDesc = prometheus.NewDesc(namespace+"_outbox_pending",
		"Outbox events not yet acknowledged by Kafka.", nil, nil)
	oldestDesc = prometheus.NewDesc(namespace+"_outbox_oldest_pending_age_seconds",
		"Age of the oldest pending outbox event (0 when none is pending).", nil, nil)
)

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- pendingDesc
	ch <- oldestDesc
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.s.Outbox(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(pendingDesc, err)
		return
	}
	age := 0.0
	if !st.OldestPending.IsZero() {
		age = c.s.cfg.Now().Sub(st.OldestPending).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age)
}
