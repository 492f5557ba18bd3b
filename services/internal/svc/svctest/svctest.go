// Package svctest holds test checks shared by the users and email services.
package svctest

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/kctl/kctl/services/internal/svc"
)

// FailedStartLeavesNoDatabase checks the start-up rule of both services:
// start, which must fail, leaves no database file at path (nor its -wal and
// -shm files) when it created it, and a database that was there before a
// second failed start is kept.
func FailedStartLeavesNoDatabase(t testing.TB, path string, start func() error) {
	t.Helper()
	if start() == nil {
		t.Fatal("the start-up was expected to fail")
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("failed start left %s behind (stat: %v)", p, err)
		}
	}
	db, err := svc.OpenDB(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if start() == nil {
		t.Fatal("the second start-up was expected to fail")
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("failed start removed the existing database: %v", err)
	}
}
