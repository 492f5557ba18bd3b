package email

import (
	"github.com/kctl/kctl/services/internal/svc"
	"github.com/prometheus/client_golang/prometheus"
)

const namespace = "kctl_email"

type metrics struct {
	consumed     *prometheus.CounterVec
	sent         prometheus.Counter
	retries      prometheus.Counter
	sendErrors   prometheus.Counter
	deadLettered *prometheus.CounterVec
	duplicates   prometheus.Counter
	resent       prometheus.Counter
	dltReceived  prometheus.Counter
	processing   prometheus.Histogram
	endToEnd     prometheus.Histogram
	http         *svc.HTTPMetrics
}

func newMetrics(reg *prometheus.Registry) *metrics {
	latency := []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}
	m := &metrics{
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "records_consumed_total",
			Help: "Records taken from Kafka, by topic.",
		}, []string{"topic"}),
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "emails_sent_total",
			Help: "Welcome emails sent and logged.",
		}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "send_retries_total",
			Help: "Send attempts retried after a failure.",
		}),
		sendErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "send_errors_total",
			Help: "Send attempts that failed.",
		}),
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "dead_lettered_total",
			Help: "Records this service published to the dead-letter topic, by reason (unparseable, policy_violation, send_failed).",
		}, []string{"reason"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "duplicates_skipped_total",
			Help: "Redelivered events already logged: neither sent nor logged again.",
		}),
		resent: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "resent_after_crash_total",
			Help: "Emails re-sent because their send was in progress when the service last died (maybe sent twice; same event ID and Message-ID).",
		}),
		dltReceived: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "dead_letters_received_total",
			Help: "Records read from the dead-letter topic by the dead-letter listener.",
		}),
		processing: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "processing_seconds",
			Help:    "Time to handle one event: sending (with retries) or dead-lettering it.",
			Buckets: latency,
		}),
		endToEnd: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "event_to_email_seconds",
			Help:    "Time from the event's occurredAt (the sign-up) to its email being sent.",
			Buckets: latency,
		}),
		http: svc.NewHTTPMetrics(reg, namespace),
	}
	for _, r := range []string{reasonUnparseable, reasonPolicy, reasonSendFailed} {
		m.deadLettered.WithLabelValues(r)
	}
	reg.MustRegister(m.consumed, m.sent, m.retries, m.sendErrors, m.deadLettered, m.duplicates, m.resent, m.dltReceived, m.processing, m.endToEnd)
	return m
}

const (
	reasonUnparseable = "unparseable"
	reasonSendFailed  = "send_failed"
	reasonPolicy      = "policy_violation"
)
