package users

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kctl/kctl/services/event"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// schema is the users database: users, and the outbox of events to publish.
// users.email_key (emailKey of the address, unique) is added by
// migrateEmailKey, for databases of every version alike.
// An outbox row is pending until sent_at is set, which the relay does only
// after the broker acknowledged the record (acks=all).
var schema = []string{
	`CREATE TABLE IF NOT EXISTS users (
		id            INTEGER PRIMARY KEY AUTOINCREMENT,
		email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
		name          TEXT    NOT NULL,
		password_hash TEXT    NOT NULL,
		created_at    TEXT    NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS outbox (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		event_id   TEXT    NOT NULL UNIQUE,
		topic      TEXT    NOT NULL,
		msg_key    BLOB    NOT NULL,
		payload    BLOB    NOT NULL,
		created_at INTEGER NOT NULL, -- unix nanoseconds
		sent_at    INTEGER           -- unix nanoseconds; NULL while pending
	)`,
	`CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(id) WHERE sent_at IS NULL`,
}

// User is a stored user, without its password hash.
type User struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// errDuplicateEmail says the email is already registered.
var errDuplicateEmail = errors.New("email already registered")

// emailTaken reports whether email is registered, compared as emailKey:
// Unicode-normalised and case-folded.
func (s *Service) emailTaken(ctx context.Context, email string) (bool, error) {
	var one int
	err := s.db.R.QueryRowContext(ctx, `SELECT 1 FROM users WHERE email_key = ? OR email = ?`, emailKey(email), email).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// createUser writes the user and its UserSignedUp outbox row in one
// transaction and returns the user and event. It returns errDuplicateEmail
// when the email is taken; nothing is written on any error.
func (s *Service) createUser(ctx context.Context, email, name, hash string) (User, event.UserSignedUp, error) {
	now := s.cfg.Now().UTC()
	tx, err := s.db.W.BeginTx(ctx, nil)
	if err != nil {
		return User{}, event.UserSignedUp{}, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	res, err := tx.ExecContext(ctx, `INSERT INTO users (email, email_key, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
		email, emailKey(email), name, hash, now.Format(time.RFC3339Nano))
	if err != nil {
		var se *sqlite.Error
		if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
			return User{}, event.UserSignedUp{}, errDuplicateEmail
		}
		return User{}, event.UserSignedUp{}, fmt.Errorf("insert user: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return User{}, event.UserSignedUp{}, fmt.Errorf("insert user: %w", err)
	}
	ev, err := event.New(id, email, name, now)
	if err != nil {
		return User{}, event.UserSignedUp{}, err
	}
	payload, err := ev.Marshal()
	if err != nil {
		return User{}, event.UserSignedUp{}, fmt.Errorf("encode event: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (event_id, topic, msg_key, payload, created_at) VALUES (?, ?, ?, ?, ?)`,
		ev.EventID, s.cfg.Topic, ev.Key(), payload, now.UnixNano()); err != nil {
		return User{}, event.UserSignedUp{}, fmt.Errorf("insert outbox row: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return User{}, event.UserSignedUp{}, fmt.Errorf("commit: %w", err)
	}
	return User{ID: id, Email: email, Name: name, CreatedAt: now}, ev, nil
}

// userByID returns the user, sql.ErrNoRows when there is none.
func (s *Service) userByID(ctx context.Context, id int64) (User, error) {
	var u User
	var created string
	err := s.db.R.QueryRowContext(ctx, `SELECT id, email, name, created_at FROM users WHERE id = ?`, id).
		Scan(&u.ID, &u.Email, &u.Name, &created)
	if err != nil {
		return u, err
	}
	u.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	return u, nil
}

// OutboxStats is the outbox's backlog.
type OutboxStats struct {
	Pending int64 // rows not yet acknowledged by Kafka
	// OldestPending is when the oldest pending row was written; zero when
	// nothing is pending.
	OldestPending time.Time
}

// Outbox returns the outbox's backlog. It returns the database's error when
// it cannot be read.
func (s *Service) Outbox(ctx context.Context) (OutboxStats, error) {
	var st OutboxStats
	var oldest sql.NullInt64
	err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM outbox WHERE sent_at IS NULL`).Scan(&st.Pending, &oldest)
	if err != nil {
		return st, fmt.Errorf("read outbox: %w", err)
	}
	if oldest.Valid {
		st.OldestPending = time.Unix(0, oldest.Int64)
	}
	return st, nil
}

type outboxRow struct {
	id        int64
	eventID   string
	topic     string
	key       []byte
	payload   []byte
	createdAt int64
}

// pendingRows returns up to limit pending outbox rows, oldest first.
func (s *Service) pendingRows(ctx context.Context, limit int) ([]outboxRow, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, event_id, topic, msg_key, payload, created_at FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read pending outbox rows: %w", err)
	}
	defer rows.Close()
	out := make([]outboxRow, 0, limit)
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.id, &r.eventID, &r.topic, &r.key, &r.payload, &r.createdAt); err != nil {
			return nil, fmt.Errorf("read pending outbox rows: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read pending outbox rows: %w", err)
	}
	return out, nil
}

// markSent marks the outbox rows sent at now, in one statement.
func (s *Service) markSent(ctx context.Context, ids []int64, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	if _, err := s.db.W.ExecContext(ctx, `UPDATE outbox SET sent_at = ? WHERE id IN (SELECT value FROM json_each(?))`, now.UnixNano(), string(list)); err != nil {
		return fmt.Errorf("mark %d outbox rows sent: %w", len(ids), err)
	}
	return nil
}

// pruneBatch bounds one DELETE, so that sign-ups never wait long for the
// single writer connection.
const pruneBatch = 5000

// pruneOutbox deletes outbox rows Kafka acknowledged before now minus
// OutboxRetention, pruneBatch rows per statement; pending rows are never
// touched. It returns how many rows it deleted and the database's error, if
// any (rows deleted before it stay deleted).
func (s *Service) pruneOutbox(ctx context.Context, now time.Time) (int64, error) {
	if s.cfg.OutboxRetention < 0 {
		return 0, nil
	}
	cutoff := now.Add(-s.cfg.OutboxRetention).UnixNano()
	var total int64
	for {
		res, err := s.db.W.ExecContext(ctx, `DELETE FROM outbox WHERE id IN (
			SELECT id FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ? ORDER BY id LIMIT ?)`, cutoff, pruneBatch)
		if err != nil {
			return total, fmt.Errorf("prune sent outbox rows: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}

// pruneLoop prunes the outbox every PruneInterval until ctx is done.
func (s *Service) pruneLoop(ctx context.Context) {
	if s.cfg.OutboxRetention < 0 {
		return
	}
	t := time.NewTicker(s.cfg.PruneInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.pruneOutbox(ctx, s.cfg.Now())
		if n > 0 {
			s.m.pruned.Add(float64(n))
			s.log.Debug("outbox: deleted sent rows past the retention", "rows", n, "retention", s.cfg.OutboxRetention)
		}
		if err != nil && ctx.Err() == nil {
			s.log.Warn("outbox: cannot delete sent rows; retried at the next interval", "err", err)
		}
	}
}
