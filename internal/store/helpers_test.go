package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// pgEnv names the superuser DSN of a throwaway PostgreSQL cluster
// (scripts/test starts one and sets it).
const pgEnv = "WEALTHALLOC_TEST_PG_DSN"

// openSQLiteTest opens a Store on a new file in t.TempDir().
func openSQLiteTest(t testing.TB) *Store {
	t.Helper()
	return openSQLiteAt(t, filepath.Join(t.TempDir(), "wealthalloc.db"))
}

func openSQLiteAt(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// pgAdminDSN returns the cluster DSN, skipping the test when there is none
// (failing it in CI, where PostgreSQL is required).
func pgAdminDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(pgEnv)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL required in CI: %s unset (run scripts/test)", pgEnv)
		}
		t.Skipf("PostgreSQL tests skipped: %s unset (scripts/test starts a throwaway cluster and sets it)", pgEnv)
	}
	return dsn
}

// openPostgresTest creates a fresh database t_<random> on the test cluster,
// at SERIALIZABLE by default when serializable is set, opens a Store on it,
// and drops the database when the test ends.
func openPostgresTest(t testing.TB, serializable bool) *Store {
	t.Helper()
	dsn := createPostgresDB(t, serializable)
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open(postgres): %v", err)
	}
	t.Cleanup(func() { _ = s.Close() }) // runs before the DROP registered earlier
	return s
}

// createPostgresDB creates the database and returns a DSN for it.
func createPostgresDB(t testing.TB, serializable bool) string {
	t.Helper()
	admin := pgAdminDSN(t)
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("connect to test cluster: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	if serializable {
		if _, err := db.ExecContext(ctx, "ALTER DATABASE "+name+" SET default_transaction_isolation = 'serializable'"); err != nil {
			t.Fatalf("make test database serializable: %v", err)
		}
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", pgEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

// legs are the engines every contract test runs on.
var legs = []struct {
	name string
	open func(t testing.TB) *Store
}{
	{"sqlite", openSQLiteTest},
	{"postgres", func(t testing.TB) *Store { return openPostgresTest(t, false) }},
	{"postgres-serializable", func(t testing.TB) *Store { return openPostgresTest(t, true) }},
}
