package email

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// schema is the email database: one row per event, unique on event_id.
// A row is claimed (status "sending") in one transaction before its email
// is sent, and finished ("sent" or "failed") in another after. A redelivered
// event finds its row and is neither sent nor logged again; only a "failed"
// row (dead-lettered earlier) can be claimed again, when the event is
// replayed.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS email_log (
		id          INTEGER PRIMARY KEY AUTOINCREMENT,
		event_id    TEXT    NOT NULL UNIQUE,
		user_id     INTEGER NOT NULL,
		recipient   TEXT    NOT NULL,
		subject     TEXT    NOT NULL,
		status      TEXT    NOT NULL,           -- sending | sent | failed
		attempts    INTEGER NOT NULL DEFAULT 0,
		error       TEXT,
		topic       TEXT    NOT NULL,
		partition   INTEGER NOT NULL,
		"offset"    INTEGER NOT NULL,
		occurred_at TEXT    NOT NULL,
		claimed_at  INTEGER NOT NULL,           -- unix nanoseconds
		sent_at     INTEGER                     -- unix nanoseconds
	)`,
	`CREATE INDEX IF NOT EXISTS email_log_user ON email_log(user_id)`,
}

// Log statuses.
const (
	StatusSending = "sending"
	StatusSent    = "sent"
	StatusFailed  = "failed"
)

// claimRow is one event to claim.
type claimRow struct {
	E  string `json:"e"` // event id
	U  int64  `json:"u"`
	R  string `json:"r"` // recipient
	S  string `json:"s"` // subject
	T  string `json:"t"` // topic
	P  int32  `json:"p"`
	O  int64  `json:"o"`
	At string `json:"at"` // occurredAt
}

// claim inserts a "sending" row for each event not logged yet (or logged as
// failed) in one transaction and returns the event IDs it claimed. Events
// already sending or sent are left alone: they are duplicates.
func (s *Service) claim(ctx context.Context, rows []claimRow, now time.Time) (map[string]bool, error) {
	claimed := make(map[string]bool, len(rows))
	if len(rows) == 0 {
		return claimed, nil
	}
	payload, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	q, err := s.db.W.QueryContext(ctx, `
		INSERT INTO email_log (event_id, user_id, recipient, subject, status, topic, partition, "offset", occurred_at, claimed_at)
		SELECT json_extract(value, '$.e'), json_extract(value, '$.u'), json_extract(value, '$.r'), json_extract(value, '$.s'),
		       'sending', json_extract(value, '$.t'), json_extract(value, '$.p'), json_extract(value, '$.o'),
		       json_extract(value, '$.at'), ?
		FROM json_each(?) WHERE true
		ON CONFLICT(event_id) DO UPDATE SET
			status = 'sending', attempts = 0, error = NULL, sent_at = NULL, claimed_at = excluded.claimed_at,
			topic = excluded.topic, partition = excluded.partition, "offset" = excluded."offset"
		WHERE email_log.status = 'failed'
		RETURNING event_id`, now.UnixNano(), string(payload))
	if err != nil {
		return nil, fmt.Errorf("claim %d email log rows: %w", len(rows), err)
	}
	defer q.Close()
	for q.Next() {
		var id string
		if err := q.Scan(&id); err != nil {
			return nil, fmt.Errorf("claim email log rows: %w", err)
		}
		claimed[id] = true
	}
	if err := q.Err(); err != nil {
		return nil, fmt.Errorf("claim %d email log rows: %w", len(rows), err)
	}
	return claimed, nil
}

// outcome is how a claimed event ended.
type outcome struct {
	E   string `json:"e"`
	S   string `json:"s"` // sent | failed
	A   int    `json:"a"` // attempts
	At  *int64 `json:"at,omitempty"`
	Err string `json:"err,omitempty"`
}

// finish records outcomes and releases claims of events that were not
// attempted (the worker stopped first), in one transaction.
func (s *Service) finish(ctx context.Context, done []outcome, release []string) error {
	if len(done) == 0 && len(release) == 0 {
		return nil
	}
	tx, err := s.db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("finish email log rows: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if len(done) > 0 {
		payload, err := json.Marshal(done)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE email_log SET status = j.s, attempts = j.a, sent_at = j.at, error = j.err
			FROM (SELECT json_extract(value, '$.e') AS e, json_extract(value, '$.s') AS s, json_extract(value, '$.a') AS a,
			             json_extract(value, '$.at') AS at, json_extract(value, '$.err') AS err
			      FROM json_each(?)) AS j
			WHERE email_log.event_id = j.e`, string(payload)); err != nil {
			return fmt.Errorf("finish %d email log rows: %w", len(done), err)
		}
	}
	if len(release) > 0 {
		payload, err := json.Marshal(release)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM email_log WHERE status = 'sending' AND event_id IN (SELECT value FROM json_each(?))`, string(payload)); err != nil {
			return fmt.Errorf("release %d email log rows: %w", len(release), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("finish email log rows: %w", err)
	}
	return nil
}

// LogEntry is one row of GET /api/email-logs.
type LogEntry struct {
	ID         int64      `json:"id"`
	EventID    string     `json:"eventId"`
	UserID     int64      `json:"userId"`
	Email      string     `json:"email"`
	Subject    string     `json:"subject"`
	Status     string     `json:"status"`
	Attempts   int        `json:"attempts"`
	Error      string     `json:"error,omitempty"`
	Topic      string     `json:"topic"`
	Partition  int32      `json:"partition"`
	Offset     int64      `json:"offset"`
	OccurredAt string     `json:"occurredAt"`
	SentAt     *time.Time `json:"sentAt,omitempty"`
}

// LogFilter selects email log rows; zero fields match everything.
type LogFilter struct {
	UserID  int64
	EventID string
	Status  string
	Limit   int // default and max 10000
}

// Logs returns the email log rows matching f, oldest first. It returns the
// database's error when it cannot be read.
func (s *Service) Logs(ctx context.Context, f LogFilter) ([]LogEntry, error) {
	var where []string
	var args []any
	if f.UserID != 0 {
		where, args = append(where, "user_id = ?"), append(args, f.UserID)
	}
	if f.EventID != "" {
		where, args = append(where, "event_id = ?"), append(args, f.EventID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Limit <= 0 || f.Limit > maxLogLimit {
		f.Limit = maxLogLimit
	}
	q := `SELECT id, event_id, user_id, recipient, subject, status, attempts, COALESCE(error, ''), topic, partition, "offset", occurred_at, sent_at FROM email_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id LIMIT ?"
	args = append(args, f.Limit)
	rows, err := s.db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read email log: %w", err)
	}
	defer rows.Close()
	out := []LogEntry{}
	for rows.Next() {
		var e LogEntry
		var sent sql.NullInt64
		if err := rows.Scan(&e.ID, &e.EventID, &e.UserID, &e.Email, &e.Subject, &e.Status, &e.Attempts, &e.Error,
			&e.Topic, &e.Partition, &e.Offset, &e.OccurredAt, &sent); err != nil {
			return nil, fmt.Errorf("read email log: %w", err)
		}
		if sent.Valid {
			t := time.Unix(0, sent.Int64).UTC()
			e.SentAt = &t
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

const maxLogLimit = 10000
