package users

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/kctl/kctl/services/internal/svc"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// emailKey is the form in which two addresses are the same account: NFC,
// then Unicode full case folding (ß → ss, the Kelvin sign → k, Ÿ → ÿ), then
// NFC again (folding can denormalise). The address itself is stored and
// used for sending as given.
func emailKey(email string) string {
	return norm.NFC.String(cases.Fold().String(norm.NFC.String(email)))
}

// migrateEmailKey adds users.email_key (the emailKey of each address) with a
// unique index, backfilling the rows of databases made by earlier versions.
// Two old rows with the same key (accepted before, when only ASCII case was
// ignored) both stay; the later one gets no key — it can still sign in, and
// no new address with that key is accepted — and a warning names both. It
// returns the database's error.
func migrateEmailKey(ctx context.Context, db *svc.DB, log *slog.Logger) error {
	tx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("database %s: migrate users.email_key: %w", db.Path, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var has int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('users') WHERE name = 'email_key'`).Scan(&has); err != nil {
		return fmt.Errorf("database %s: migrate users.email_key: %w", db.Path, err)
	}
	if has == 0 {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE users ADD COLUMN email_key TEXT`); err != nil {
			return fmt.Errorf("database %s: add users.email_key: %w", db.Path, err)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, email FROM users WHERE email_key IS NULL ORDER BY id`)
	if err != nil {
		return fmt.Errorf("database %s: backfill users.email_key: %w", db.Path, err)
	}
	type row struct {
		id    int64
		email string
	}
	var todo []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.email); err != nil {
			rows.Close()
			return fmt.Errorf("database %s: backfill users.email_key: %w", db.Path, err)
		}
		todo = append(todo, r)
	}
	rows.Close()
	for _, r := range todo {
		key := emailKey(r.email)
		var other int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE email_key = ?`, key).Scan(&other)
		if err == nil {
			if log != nil {
				log.Warn("users: two accounts have the same address once Unicode-normalised; the later keeps no key",
					"id", r.id, "email", r.email, "same_as_id", other)
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email_key = ? WHERE id = ?`, key, r.id); err != nil {
			return fmt.Errorf("database %s: backfill users.email_key: %w", db.Path, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE UNIQUE INDEX IF NOT EXISTS users_email_key ON users(email_key)`); err != nil {
		return fmt.Errorf("database %s: index users.email_key: %w", db.Path, err)
	}
	return tx.Commit()
}

// validEmailDomain reports whether the domain of addr (after its last '@')
// has a dot between two labels: "a@b" and "a@localhost" are refused, since
// no public mail is delivered there and they are usually typos.
func validEmailDomain(addr string) bool {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return false
	}
	d := addr[at+1:]
	if strings.HasPrefix(d, "[") {
		return false // an address literal: not for sign-ups
	}
	dot := strings.IndexByte(d, '.')
	return dot > 0 && !strings.HasSuffix(d, ".") && !strings.Contains(d, "..")
}
