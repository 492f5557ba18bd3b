// Package svc holds what the users and email services share: the embedded
// SQLite database, JSON answers, health endpoints and the HTTP server's
// graceful lifecycle.
package svc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kctl/kctl/internal/platform/lockfile"
	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

// DB is an embedded SQLite database in WAL mode: one writer connection (SQLite
// allows one writer at a time; a pool of one avoids SQLITE_BUSY between our
// own goroutines) and a small pool of read-only connections that WAL lets
// run beside the writer.
type DB struct {
	Path string
	W    *sql.DB // the single writer
	R    *sql.DB // readers

	created bool // OpenDB created the file: Discard may remove it
	sync    Sync
	lock    *lockfile.Lock // Path+".lock": this process owns the database
}

// InUseError says another running service owns the database: a database
// is owned by one process (two services on one file would publish its
// outbox twice, or take the same consumer identity).
type InUseError struct {
	Path   string
	Holder lockfile.Holder
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("database %s is in use by another running service (%s): stop it first, or give this one another --db", e.Path, e.Holder)
}

// SetOwner records the address the owning service serves on in the lock
// file, so that a second start on the database names it.
func (d *DB) SetOwner(addr string) error { return d.lock.SetAddr(addr) }

// Sync says how far a commit goes before it returns.
type Sync int

const (
	// SyncFull: every commit is fsynced (synchronous=FULL): a committed
	// row survives a process crash and a power loss.
	SyncFull Sync = iota
	// SyncOS: a commit is written to the operating system (the WAL append)
	// but not fsynced (synchronous=NORMAL in WAL mode): a committed row
	// survives the process's crash (kill -9), not a power loss or an OS
	// crash, which may roll back the commits made since the last fsync
	// (never corrupting the database: the WAL's frames are checksummed in
	// a chain, so what survives is a prefix of the commits). DB.DurableTx
	// makes every earlier commit durable.
	SyncOS
)

// OpenDB opens (creating if needed) the SQLite database at path, applies the
// schema statements in one write transaction, and so proves the file is
// writable. Every commit is durable (synchronous=FULL): an answered request's
// row survives a crash or power loss. It returns an error naming the path and
// the likely fix when the directory does not exist or the file cannot be
// written.
func OpenDB(ctx context.Context, path string, schema []string) (*DB, error) {
	return OpenDBSync(ctx, path, schema, SyncFull)
}

// OpenDBSync is OpenDB with the commits' durability given by sync. It
// returns OpenDB's errors.
func OpenDBSync(ctx context.Context, path string, schema []string, sync Sync) (*DB, error) {
	if path == "" {
		return nil, errors.New("database path is empty: give a file, e.g. --db users.db")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("database path %q: '?' and '#' are not allowed in the file name", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if st, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("database %s: directory %s does not exist: create it or pick another --db", path, dir)
		} else if !st.IsDir() {
			return nil, fmt.Errorf("database %s: %s is not a directory", path, dir)
		}
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("database %s is a directory: give a file, e.g. --db %s", path, filepath.Join(path, "kctl.db"))
	}
	// One process owns the database: the lock on path.lock is taken first
	// and held until Close; the kernel drops it if the process dies.
	lock, err := lockfile.Acquire(path + ".lock")
	var inUse *lockfile.InUseError
	if errors.As(err, &inUse) {
		return nil, &InUseError{Path: path, Holder: inUse.Holder}
	}
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	fail := func() {
		if created {
			removeFiles(path)
			lock.Remove()
			return
		}
		lock.Release()
	}
	level := "FULL"
	if sync == SyncOS {
		level = "NORMAL"
	}
	// Pragmas are per connection: the DSN applies them to every connection
	// the pools open.
	base := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(" + level + ")&_pragma=foreign_keys(1)"
	w, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		fail()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w, schema); err != nil {
		w.Close()
		fail()
		return nil, fmt.Errorf("database %s is not writable: %w; check the file's and directory's permissions or pick another --db", path, err)
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		fail()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		fail()
		return nil, fmt.Errorf("open database %s for reading: %w", path, err)
	}
	return &DB{Path: path, W: w, R: r, created: created, sync: sync, lock: lock}, nil
}

// DurableTx runs fn in a write transaction on the writer connection and
// commits it fsynced (synchronous=FULL for this one commit): when it returns
// nil, the transaction and every commit before it are on disk — the fsync
// of the WAL covers all the frames written before it. On a SyncFull
// database every commit is so anyway. It returns fn's error (the
// transaction is then rolled back), the commit's, or the error of switching
// the connection's synchronous setting.
func (d *DB) DurableTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	// The writer pool has one connection; holding it makes sure the
	// pragma, the transaction and the restore run on the same one.
	conn, err := d.W.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if d.sync != SyncFull {
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous=FULL"); err != nil {
			return fmt.Errorf("set synchronous=FULL: %w", err)
		}
		defer func() {
			// Restored even when ctx is done: a connection left at FULL
			// would only be slower; every commit would still be durable.
			if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous=NORMAL"); rerr != nil && err == nil {
				err = fmt.Errorf("restore synchronous=NORMAL: %w", rerr)
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback() //nolint:errcheck // fn's error is the one to report
		return err
	}
	return tx.Commit()
}

func migrate(ctx context.Context, db *sql.DB, schema []string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	for _, s := range schema {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("apply schema (%s): %w", firstLine(s), err)
		}
	}
	// A schema already in place changes nothing above; this write proves
	// the file accepts writes before any request is taken.
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS kctl_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO kctl_meta (k, v) VALUES ('opened', datetime('now')) ON CONFLICT(k) DO UPDATE SET v = excluded.v`); err != nil {
		return err
	}
	return tx.Commit()
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// Ping checks both pools answer.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.R.PingContext(ctx); err != nil {
		return err
	}
	var one int
	return d.R.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Discard closes the database after a failed start-up and, when OpenDB
// created the file, removes it with its WAL and shared-memory files, so that
// a service that never served leaves nothing behind. A database that existed
// before is only closed. It returns the first error of closing or removing.
func (d *DB) Discard() error {
	err := d.closePools()
	if d.created {
		return errors.Join(err, removeFiles(d.Path), d.lock.Remove())
	}
	return errors.Join(err, d.lock.Release())
}

// removeFiles removes an SQLite database and its -wal and -shm files; files
// that do not exist are not an error.
func removeFiles(path string) error {
	var errs []error
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close closes both pools, checkpointing the WAL into the main file, and
// then gives up the ownership of the database.
func (d *DB) Close() error {
	return errors.Join(d.closePools(), d.lock.Release())
}

func (d *DB) closePools() error {
	errR := d.R.Close()
	_, _ = d.W.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return errors.Join(errR, d.W.Close())
}
