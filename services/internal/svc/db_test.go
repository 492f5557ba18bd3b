package svc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestDurableTxFsyncsOnlyItsCommit: a SyncOS database's connections run at
// synchronous=NORMAL (1); inside DurableTx the writer runs at FULL (2), and
// afterwards at NORMAL again; a SyncFull database stays at FULL.
func TestDurableTxFsyncsOnlyItsCommit(t *testing.T) {
	ctx := context.Background()
	level := func(t *testing.T, q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) int {
		t.Helper()
		var n int
		if err := q.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, c := range []struct {
		name        string
		sync        Sync
		outside, in int
	}{{"os", SyncOS, 1, 2}, {"full", SyncFull, 2, 2}} {
		t.Run(c.name, func(t *testing.T) {
			db, err := OpenDBSync(ctx, filepath.Join(t.TempDir(), "x.db"), []string{`CREATE TABLE t (v INTEGER)`}, c.sync)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if got := level(t, db.W); got != c.outside {
				t.Errorf("writer synchronous = %d before, want %d", got, c.outside)
			}
			if got := level(t, db.R); got != c.outside {
				t.Errorf("reader synchronous = %d, want %d", got, c.outside)
			}
			var inside int
			if err := db.DurableTx(ctx, func(tx *sql.Tx) error {
				inside = level(t, tx)
				_, err := tx.ExecContext(ctx, `INSERT INTO t (v) VALUES (1)`)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if inside != c.in {
				t.Errorf("synchronous = %d inside DurableTx, want %d", inside, c.in)
			}
			if got := level(t, db.W); got != c.outside {
				t.Errorf("writer synchronous = %d after, want %d", got, c.outside)
			}
			var n int
			if err := db.R.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil || n != 1 {
				t.Errorf("rows after DurableTx: %d, %v; want 1", n, err)
			}
		})
	}
}

// One process owns a database: a second OpenDB fails naming the owner's pid
// and, once set, its address; Close gives it up; a failed start that
// created the database leaves no file behind, not even the lock file.
func TestDBOwnedByOne(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	a, err := OpenDB(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetOwner("http://127.0.0.1:8080"); err != nil {
		t.Fatal(err)
	}
	_, err = OpenDB(ctx, path, nil)
	var inUse *InUseError
	want := fmt.Sprintf("database %s is in use by another running service (pid %d, http://127.0.0.1:8080): stop it first, or give this one another --db", path, os.Getpid())
	if !errors.As(err, &inUse) || err.Error() != want {
		t.Fatalf("second OpenDB: %v\nwant %s", err, want)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := OpenDB(ctx, path, nil)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	b.Close()

	fresh := filepath.Join(t.TempDir(), "y.db")
	c, err := OpenDB(ctx, fresh, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Discard(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(fresh + "*"); len(left) != 0 {
		t.Fatalf("a discarded new database left %v", left)
	}
}
