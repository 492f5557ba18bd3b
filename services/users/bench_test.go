package users

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/services/event"
	"golang.org/x/crypto/bcrypt"
)

// fillOutbox writes n pending outbox rows (users n·k+1…) in one transaction.
func fillOutbox(b *testing.B, s *Service, n int, base int64) {
	b.Helper()
	ctx := context.Background()
	tx, err := s.db.W.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO outbox (event_id, topic, msg_key, payload, created_at) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for i := 0; i < n; i++ {
		id := base + int64(i) + 1
		ev, err := event.New(id, fmt.Sprintf("user%d@test.com", id), fmt.Sprintf("user %d", id), now)
		if err != nil {
			b.Fatal(err)
		}
		payload, _ := ev.Marshal()
		if _, err := st.ExecContext(ctx, ev.EventID, s.cfg.Topic, ev.Key(), payload, now.UnixNano()); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOutboxRelay publishes a backlog of 100,000 outbox rows to a
// 3-partition topic of the in-process cluster (acks=all, idempotent) and
// marks them sent. One op is one whole backlog.
func BenchmarkOutboxRelay(b *testing.B) {
	const backlog = 100_000
	c := newCluster(b)
	devclustertest.CreateTopic(b, devclustertest.Admin(b, c), event.Topic, 3, nil)
	s, err := New(context.Background(), Config{DBPath: filepath.Join(b.TempDir(), "users.db"), Brokers: c.Brokers()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var total time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		fillOutbox(b, s, backlog, int64(i*backlog))
		r := newRelay(s)
		close(r.stopping) // drain: publish everything pending, then return
		b.StartTimer()
		start := time.Now()
		r.run(context.Background())
		total += time.Since(start)
		b.StopTimer()
		st, err := s.Outbox(context.Background())
		if err != nil || st.Pending != 0 {
			b.Fatalf("after the drain: %+v, %v; want nothing pending", st, err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(backlog*b.N)/total.Seconds(), "events/s")
}

// BenchmarkBcryptCeiling is the password hash's own ceiling on this machine:
// hashes/s at the default cost, on all cores.
func BenchmarkBcryptCeiling(b *testing.B) {
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := bcrypt.GenerateFromPassword([]byte("pw-benchmark"), bcrypt.DefaultCost); err != nil {
				b.Error(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "hashes/s")
}

// hashRate measures bcrypt hashes/s at the default cost on all cores for
// about d.
func hashRate(d time.Duration) float64 {
	var n atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < d {
				bcrypt.GenerateFromPassword([]byte("pw-benchmark"), bcrypt.DefaultCost) //nolint:errcheck
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

// BenchmarkSignUp posts b.N sign-ups over HTTP from 32 concurrent clients
// to a running users service (default bcrypt cost, outbox relay publishing
// to the in-process cluster) and reports requests/s and the p99 latency,
// next to the bcrypt ceiling measured just before and after (hashes/s on all cores)
// and the share of it reached: on a shared machine both move together.
func BenchmarkSignUp(b *testing.B) {
	const concurrency = 32
	before := hashRate(2 * time.Second)
	c := newCluster(b)
	devclustertest.CreateTopic(b, devclustertest.Admin(b, c), event.Topic, 3, nil)
	r := start(b, Config{DBPath: filepath.Join(b.TempDir(), "users.db"), Brokers: c.Brokers(), Logger: slog.New(slog.DiscardHandler)})
	tr := &http.Transport{MaxIdleConnsPerHost: concurrency}
	cl := &http.Client{Transport: tr}
	var next atomic.Int64
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	var failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				body := fmt.Sprintf(`{"email":"bench%d@test.com","name":"user %d","password":"pw-%d"}`, i, i, i)
				t0 := time.Now()
				resp, err := cl.Post(r.url+"/api/users", "application/json", strings.NewReader(body))
				if err != nil || resp.StatusCode != http.StatusCreated {
					failed.Add(1)
				}
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d sign-ups failed", n)
	}
	slices.Sort(lat)
	ceiling := (before + hashRate(2*time.Second)) / 2 // before and after: load on a shared machine moves both
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "req/s")
	b.ReportMetric(ceiling, "bcrypt-hashes/s")
	b.ReportMetric(100*rate/ceiling, "%-of-ceiling")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
	tr.CloseIdleConnections()
}
