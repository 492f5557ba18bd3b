package email

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

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
	LoggedAt   time.Time  `json:"loggedAt"`
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
	q := `SELECT id, event_id, user_id, recipient, subject, status, attempts, COALESCE(error, ''), topic, partition, "offset", occurred_at, sent_at, logged_at FROM email_log`
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
		var logged int64
		if err := rows.Scan(&e.ID, &e.EventID, &e.UserID, &e.Email, &e.Subject, &e.Status, &e.Attempts, &e.Error,
			&e.Topic, &e.Partition, &e.Offset, &e.OccurredAt, &sent, &logged); err != nil {
			return nil, fmt.Errorf("read email log: %w", err)
		}
		if sent.Valid {
			t := time.Unix(0, sent.Int64).UTC()
			e.SentAt = &t
		}
		e.LoggedAt = time.Unix(0, logged).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

const maxLogLimit = 10000
