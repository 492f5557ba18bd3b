package email

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/kctl/kctl/services/internal/svc"
)

// BenchmarkEmailLogBatch is the database's share of a 5000-event batch:
// look the events up, record the batch in flight, write the outcomes and
// forget the batch (one fsynced transaction). The outcome journal's
// writes are not in it.
func BenchmarkEmailLogBatch(b *testing.B) {
	ctx := context.Background()
	db, err := svc.OpenDBSync(ctx, filepath.Join(b.TempDir(), "email.db"), schema, svc.SyncOS)
	if err != nil {
		b.Fatal(err)
	}
	st, err := prepareStmts(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	s := &Service{db: db, stmts: st, cfg: Config{Now: time.Now, DBPath: db.Path, Logger: slog.New(slog.DiscardHandler)}}
	s.log = s.cfg.Logger
	const n = 5000
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		rows := make([]logRow, n)
		ids := make([]string, n)
		for j := range rows {
			ids[j] = uuid.NewString()
			rows[j] = logRow{EventID: ids[j], UserID: int64(i*n + j), Recipient: fmt.Sprintf("user%d@test.com", j),
				Subject: "이름님, 회원 가입을 축하드립니다!", Topic: "user.signed-up", Partition: 1, Offset: int64(j),
				OccurredAt: time.Now().Format(time.RFC3339Nano)}
		}
		b.StartTimer()
		logged, err := s.logged(ctx, ids)
		if err != nil || len(logged) != 0 {
			b.Fatal(err, len(logged))
		}
		id, err := s.begin(ctx, rows, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		for j := range rows {
			rows[j].status, rows[j].attempts, rows[j].sentAt = StatusSent, 1, time.Now().UnixNano()
		}
		if err := s.finishBatch(ctx, id, rows, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/event")
}
