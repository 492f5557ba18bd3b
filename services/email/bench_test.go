package email

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/services/event"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kgo"
)

// countingSender is the zero-delay logging sender with a discarding logger,
// counting sends.
type countingSender struct {
	LogSender
	n atomic.Int64
}

func (c *countingSender) Send(ctx context.Context, m Message) error {
	c.n.Add(1)
	return c.LogSender.Send(ctx, m)
}

// BenchmarkEmailDrain drains a backlog of 100,000 UserSignedUp events on a
// 3-partition topic with a zero-delay sender: each op is a fresh group and
// email database consuming the whole backlog until every event is logged
// as sent. It fails if any event is sent or logged other than once.
func BenchmarkEmailDrain(b *testing.B) {
	const backlog = 100_000
	c := newFlowCluster(b)
	cl := devclustertest.Client(b, c, kgo.DefaultProduceTopic(event.Topic), kgo.MaxBufferedRecords(backlog))
	now := time.Now()
	recs := make([]*kgo.Record, 0, backlog)
	for i := 1; i <= backlog; i++ {
		ev, err := event.New(int64(i), fmt.Sprintf("user%d@test.com", i), fmt.Sprintf("이름%d", i), now)
		if err != nil {
			b.Fatal(err)
		}
		v, _ := ev.Marshal()
		recs = append(recs, &kgo.Record{Key: ev.Key(), Value: v})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
	recs = nil

	var total, cpu time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		sender := &countingSender{LogSender: LogSender{Logger: slog.New(slog.DiscardHandler)}}
		cfg := Config{
			DBPath: filepath.Join(b.TempDir(), "email.db"), Brokers: c.Brokers(),
			Group: fmt.Sprintf("bench-%d", i), Sender: sender, ShutdownTimeout: time.Minute,
		}
		if os.Getenv("KCTL_BENCH_LOG") != "" {
			cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
		s, err := New(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		r := runService(b, s)
		for {
			// The sent counter moves only after an outcome transaction
			// committed: reading it is cheap, unlike counting rows.
			var m dto.Metric
			if err := s.m.sent.Write(&m); err != nil {
				b.Fatal(err)
			}
			n := int(m.GetCounter().GetValue())
			if n == backlog {
				break
			}
			if time.Since(start) > 2*time.Minute {
				b.Fatalf("only %d of %d logged after 2 minutes", n, backlog)
			}
			time.Sleep(5 * time.Millisecond)
		}
		total += time.Since(start)
		cpu += cpuTime() - cpu0
		b.StopTimer()
		var rows, distinct int
		if err := s.db.R.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT event_id) FROM email_log`).Scan(&rows, &distinct); err != nil {
			b.Fatal(err)
		}
		if rows != backlog || distinct != backlog || sender.n.Load() != backlog {
			b.Fatalf("%d log rows (%d distinct), %d sends; want %d of each", rows, distinct, sender.n.Load(), backlog)
		}
		r.stop(b)
		b.StartTimer()
	}
	b.ReportMetric(float64(backlog*b.N)/total.Seconds(), "events/s")
	// CPU time of the whole process (service, kfake's brokers, the
	// benchmark) per event drained: unlike events/s, it hardly moves with
	// the load of other work on the machine.
	b.ReportMetric(float64(cpu.Microseconds())/float64(backlog*b.N), "cpu-µs/event")
}

// runService runs s on a loopback port until stop.
func runService(b *testing.B, s *Service) *running {
	b.Helper()
	ln, err := newListener()
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{s: s, url: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan struct{})}
	go func() { r.err = s.Run(ctx, ln); close(r.done) }()
	return r
}

func newListener() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
