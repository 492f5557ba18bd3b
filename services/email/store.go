package email

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kctl/kctl/services/internal/svc"
)

// schema is the email database. email_log has one row per event, unique on
// event_id, holding the email's outcome (sent or failed). Before a batch's
// emails are sent, the batch is recorded in email_inflight (one row listing
// its events in the order they will be sent); then each outcome is appended
// to the batch's outcome journal (see journalSuffix) as soon as it is known,
// before the partition's next send starts and before the send's concurrency
// slot is freed; when the batch ends its outcomes go into email_log and the
// in-flight row is deleted, in one fsynced commit, before its offset is
// marked. So a redelivered event finds its log row and is neither sent nor
// logged again, and after a crash the only events whose fate is unknown are
// the sends that were in progress — at most one per partition and at most
// --concurrency in all: the first event of each unfinished batch without an
// outcome in its journal. Those are recorded in email_resend at the next
// start (which also logs the journals' outcomes) and sent again (at least
// once: the same event ID, so the same SMTP Message-ID) when their records
// are redelivered — they were never committed. The batch's later events
// were never started and are sent normally. Only a "failed" row
// (dead-lettered) can be sent again otherwise, when the event is replayed.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS email_log (
		id          INTEGER PRIMARY KEY AUTOINCREMENT,
		event_id    TEXT    NOT NULL UNIQUE,
		user_id     INTEGER NOT NULL,
		recipient   TEXT    NOT NULL,
		subject     TEXT    NOT NULL,
		status      TEXT    NOT NULL,           -- sent | failed (| unknown: written by kctl before 0.x, never now)
		attempts    INTEGER NOT NULL,
		error       TEXT,
		topic       TEXT    NOT NULL,
		partition   INTEGER NOT NULL,
		"offset"    INTEGER NOT NULL,
		occurred_at TEXT    NOT NULL,
		sent_at     INTEGER,                    -- unix nanoseconds
		logged_at   INTEGER NOT NULL            -- unix nanoseconds
	)`,
	`CREATE INDEX IF NOT EXISTS email_log_user ON email_log(user_id)`,
	`CREATE TABLE IF NOT EXISTS email_resend (
		event_id   TEXT    PRIMARY KEY,         -- in progress when the service died: maybe sent
		user_id    INTEGER NOT NULL,
		recipient  TEXT    NOT NULL,
		created_at INTEGER NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS email_inflight (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		events     TEXT    NOT NULL,            -- JSON array of logRow
		created_at INTEGER NOT NULL
	)`,
}

// Log statuses.
const (
	StatusSent   = "sent"
	StatusFailed = "failed"
	// StatusUnknown was written by earlier versions for every event of a
	// batch in flight when the service died (never sent again). Rows of it
	// may remain in old databases; it is no longer written.
	StatusUnknown = "unknown"
)

// logRow is one email_log row.
type logRow struct {
	EventID    string
	UserID     int64
	Recipient  string
	Subject    string
	Topic      string
	Partition  int32
	Offset     int64
	OccurredAt string
	status     string
	attempts   int
	err        string
	sentAt     int64 // 0: not sent
	resend     bool  // marked for re-sending after a crash
}

func (r *logRow) args(loggedAt int64) []any {
	var errText, sentAt any
	if r.err != "" {
		errText = r.err
	}
	if r.sentAt != 0 {
		sentAt = r.sentAt
	}
	return []any{r.EventID, r.UserID, r.Recipient, r.Subject, r.status, r.attempts, errText,
		r.Topic, r.Partition, r.Offset, r.OccurredAt, sentAt, loggedAt}
}

// rowsPerStatement bounds the rows of one multi-row statement: SQLite
// allows 32766 bound parameters.
const rowsPerStatement = 1000

// values returns "(?,?,…),(?,?,…)…": rows groups of cols placeholders.
func values(rows, cols int) string {
	one := "(" + strings.Repeat("?,", cols-1) + "?)"
	return strings.Repeat(one+",", rows-1) + one
}

// insertSQL writes log rows (%s is the VALUES list). An existing row is
// replaced only if it is "failed": the event was dead-lettered and replayed.
const (
	insertSQL = `
		INSERT INTO email_log (event_id, user_id, recipient, subject, status, attempts, error, topic, partition, "offset", occurred_at, sent_at, logged_at)
		VALUES %s
		ON CONFLICT(event_id) DO UPDATE SET
			status = excluded.status, attempts = excluded.attempts, error = excluded.error,
			topic = excluded.topic, partition = excluded.partition, "offset" = excluded."offset",
			sent_at = excluded.sent_at, logged_at = excluded.logged_at
		WHERE email_log.status = 'failed'`
	insertCols = 13
	lookupSQL  = `SELECT event_id, status FROM email_log WHERE event_id IN %s`
)

// stmts are the full-size multi-row statements, prepared once: parsing a
// statement of thousands of placeholders costs as much as running it. They
// are prepared before any transaction, as the writer pool has one
// connection.
type stmts struct {
	insert, lookup *sql.Stmt
}

func prepareStmts(ctx context.Context, db *svc.DB) (stmts, error) {
	var st stmts
	var err error
	if st.insert, err = db.W.PrepareContext(ctx, fmt.Sprintf(insertSQL, values(rowsPerStatement, insertCols))); err != nil {
		return st, fmt.Errorf("prepare insert statement: %w", err)
	}
	if st.lookup, err = db.R.PrepareContext(ctx, fmt.Sprintf(lookupSQL, values(1, rowsPerStatement))); err != nil {
		st.insert.Close()
		return st, fmt.Errorf("prepare lookup statement: %w", err)
	}
	return st, nil
}

func (st stmts) close() {
	st.insert.Close()
	st.lookup.Close()
}

// logged returns the status of each of ids already in the email log.
func (s *Service) logged(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), rowsPerStatement)]
		ids = ids[len(chunk):]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		var rows *sql.Rows
		var err error
		if len(chunk) == rowsPerStatement {
			rows, err = s.stmts.lookup.QueryContext(ctx, args...)
		} else {
			rows, err = s.db.R.QueryContext(ctx, fmt.Sprintf(lookupSQL, values(1, len(chunk))), args...)
		}
		if err != nil {
			return nil, fmt.Errorf("read email log: %w", err)
		}
		for rows.Next() {
			var id, st string
			if err := rows.Scan(&id, &st); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read email log: %w", err)
			}
			out[id] = st
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("read email log: %w", err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read email log: %w", err)
		}
	}
	return out, nil
}

// begin records a batch about to be sent and returns its id. The record is
// compact — event ID, user, address and offset of each event — as it is
// written for every batch and read only after a crash.
func (s *Service) begin(ctx context.Context, rows []logRow, now time.Time) (int64, error) {
	res, err := s.db.W.ExecContext(ctx, `INSERT INTO email_inflight (events, created_at) VALUES (?, ?)`, string(encodeInflight(rows)), now.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("record in-flight batch: %w", err)
	}
	return res.LastInsertId()
}

// finishBatch writes a batch's outcomes into email_log, clears their
// re-send marks and deletes the batch's in-flight row, in one fsynced
// transaction: when it returns nil the outcomes are on disk and the batch's
// offsets may be committed. It then removes the batch's journal. It returns
// the database's error (nothing is then written).
func (s *Service) finishBatch(ctx context.Context, inflight int64, rows []logRow, now time.Time) error {
	err := s.db.DurableTx(ctx, func(tx *sql.Tx) error {
		if err := s.insertRows(ctx, tx, rows, now); err != nil {
			return err
		}
		for i := range rows {
			if !rows[i].resend {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM email_resend WHERE event_id = ?`, rows[i].EventID); err != nil {
				return fmt.Errorf("clear re-send mark: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM email_inflight WHERE id = ?`, inflight); err != nil {
			return fmt.Errorf("forget in-flight batch: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write email log: %w", err)
	}
	if err := os.Remove(s.journalPath(inflight)); err != nil && !errors.Is(err, os.ErrNotExist) {
		// Harmless: the next start ignores the journal of a batch that
		// is no longer in flight, and removes it.
		s.log.Warn("remove outcome journal", "err", err)
	}
	return nil
}

func (s *Service) insertRows(ctx context.Context, tx *sql.Tx, rows []logRow, now time.Time) error {
	loggedAt := now.UnixNano()
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), rowsPerStatement)]
		rows = rows[len(chunk):]
		args := make([]any, 0, insertCols*len(chunk))
		for i := range chunk {
			args = append(args, chunk[i].args(loggedAt)...)
		}
		var err error
		if len(chunk) == rowsPerStatement {
			_, err = tx.StmtContext(ctx, s.stmts.insert).ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, fmt.Sprintf(insertSQL, values(len(chunk), insertCols)), args...)
		}
		if err != nil {
			return fmt.Errorf("write %d email log rows: %w", len(chunk), err)
		}
	}
	return nil
}

// recoverInflight handles the batches a previous run left unfinished (it
// died while sending them). Their events were sent in order, each outcome
// appended to the batch's journal before the next send, so the first event
// of a batch without an outcome was the send in progress: maybe sent. The
// journal's outcomes are written into email_log and that event is marked
// for re-sending (email_resend), in one fsynced transaction per batch; the
// events after it were never started. Then every journal file left beside
// the database is removed. It returns how many events it marked.
func (s *Service) recoverInflight(ctx context.Context) (int, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, events FROM email_inflight ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("read in-flight batches: %w", err)
	}
	type batch struct {
		id   int64
		rows []logRow
	}
	var bs []batch
	for rows.Next() {
		var b batch
		var events string
		if err := rows.Scan(&b.id, &events); err != nil {
			rows.Close()
			return 0, fmt.Errorf("read in-flight batches: %w", err)
		}
		if b.rows, err = decodeInflight([]byte(events)); err != nil {
			rows.Close()
			return 0, fmt.Errorf("in-flight batch %d: %w", b.id, err)
		}
		bs = append(bs, b)
	}
	rows.Close()
	n := 0
	for _, b := range bs {
		outcomes, err := readJournal(s.journalPath(b.id))
		if err != nil {
			return n, err
		}
		decided := make(map[string]bool, len(outcomes))
		for i := range outcomes {
			decided[outcomes[i].EventID] = true
		}
		var ambiguous *logRow
		for i := range b.rows {
			if !decided[b.rows[i].EventID] {
				ambiguous = &b.rows[i]
				break
			}
		}
		err = s.db.DurableTx(ctx, func(tx *sql.Tx) error {
			if err := s.insertRows(ctx, tx, outcomes, s.cfg.Now()); err != nil {
				return err
			}
			for i := range outcomes {
				if !outcomes[i].resend {
					continue
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM email_resend WHERE event_id = ?`, outcomes[i].EventID); err != nil {
					return fmt.Errorf("clear re-send mark: %w", err)
				}
			}
			if ambiguous != nil {
				if _, err := tx.ExecContext(ctx, `INSERT INTO email_resend (event_id, user_id, recipient, created_at) VALUES (?, ?, ?, ?)
					ON CONFLICT(event_id) DO NOTHING`, ambiguous.EventID, ambiguous.UserID, ambiguous.Recipient, s.cfg.Now().UnixNano()); err != nil {
					return fmt.Errorf("mark event %s for re-sending: %w", ambiguous.EventID, err)
				}
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM email_inflight WHERE id = ?`, b.id)
			return err
		})
		if err != nil {
			return n, fmt.Errorf("recover in-flight batch %d: %w", b.id, err)
		}
		if ambiguous != nil {
			n++
		}
	}
	return n, s.removeJournals()
}

// toResend returns which of ids are marked for re-sending after a crash.
func (s *Service) toResend(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	var n int
	if err := s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM email_resend`).Scan(&n); err != nil {
		return nil, fmt.Errorf("read re-send marks: %w", err)
	}
	if n == 0 {
		return out, nil // the usual case: no query per event
	}
	for _, id := range ids {
		var one int
		err := s.db.R.QueryRowContext(ctx, `SELECT 1 FROM email_resend WHERE event_id = ?`, id).Scan(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, fmt.Errorf("read re-send marks: %w", err)
		default:
			out[id] = true
		}
	}
	return out, nil
}
