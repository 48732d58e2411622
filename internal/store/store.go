// Package store keeps WealthAlloc's data in SQLite (modernc.org/sqlite, the
// local default) or PostgreSQL (pgx; the SQL also stays inside what
// CockroachDB runs) behind one Store.
//
// One SQL text serves both engines: placeholders are $1, $2, ... (modernc
// binds them by number), ids are UUIDv7 strings made in Go, money and
// quantities are scaled BIGINTs (see scaled.go), civil dates are TEXT
// 'YYYY-MM-DD'. Only DDL differs per dialect (migrations/<dialect>/). The
// embedded migrations run on Open.
//
// Driver errors never escape untranslated: test results with errors.Is
// against ErrNotFound, ErrConflict, ErrConstraint, ErrRetryExhausted,
// ErrOverflow and ErrPrecision.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers driver "pgx"
	_ "modernc.org/sqlite"             // registers driver "sqlite"
)

// Dialect names the SQL engine behind a Store.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DBTX is what Queries needs from a connection: *sql.DB and *sql.Tx both
// satisfy it.
type DBTX interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

var (
	_ DBTX = (*sql.DB)(nil)
	_ DBTX = (*sql.Tx)(nil)
)

// Queries holds every query method. Store embeds one bound to the
// connection pool; InTx hands fn one bound to the transaction. Methods that
// write several statements (InsertTrades, ReplaceDerived, UpsertPrices) run
// in a transaction of their own when called outside InTx, so they are
// all-or-nothing either way.
type Queries struct {
	db      DBTX
	store   *Store
	inTx    bool
	dialect Dialect
}

// Store is an open database. It is safe for concurrent use.
type Store struct {
	*Queries

	db      *sql.DB
	dialect Dialect

	retries atomic.Int64 // transactions re-run by InTx, for tests and metrics

	// Retry policy of InTx.
	maxAttempts int
	baseDelay   time.Duration
	maxDelay    time.Duration

	// Test hooks, nil in production: beforeCommit runs before each COMMIT
	// and may fail it; onRetry sees each error that made InTx run again.
	beforeCommit func() error
	onRetry      func(stage string, err error)
}

// Open opens the database named by dsn and brings its schema up to date.
//
// A dsn starting with postgres:// or postgresql:// selects PostgreSQL.
// Anything else is a SQLite file path, optionally prefixed with "sqlite:" or
// "file:" and followed by "?key=value" driver parameters. A SQLite file is
// created with mode 0600 (its directory 0700) and opened in WAL mode with
// foreign keys on, a 5 s busy timeout and IMMEDIATE write transactions.
func Open(ctx context.Context, dsn string) (*Store, error) {
	var (
		s   *Store
		err error
	)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s, err = openPostgres(dsn)
	} else {
		s, err = openSQLite(dsn)
	}
	if err != nil {
		return nil, err
	}
	if err := s.db.PingContext(ctx); err != nil {
		_ = s.db.Close()
		return nil, fmt.Errorf("open %s database: %w", s.dialect, err)
	}
	if err := migrate(ctx, s.db, s.dialect); err != nil {
		_ = s.db.Close()
		return nil, err
	}
	return s, nil
}

func newStore(db *sql.DB, d Dialect) *Store {
	s := &Store{
		db:          db,
		dialect:     d,
		maxAttempts: 10,
		baseDelay:   5 * time.Millisecond,
		maxDelay:    time.Second,
	}
	s.Queries = &Queries{db: db, store: s, dialect: d}
	return s
}

func openPostgres(dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres database: %w", err)
	}
	return newStore(db, Postgres), nil
}

// sqliteParams are always set; the caller's parameters come after them.
//
// The page size stays SQLite's 4096. (A page_size pragma here never took
// effect: the driver sorts the _pragma list by name, so journal_mode(WAL)
// ran first and fixed the new file's page size. Applied for real, 16 KiB
// pages made a 100k-trade import about 1 s slower, all of it system time
// (madvise calls went from 11k to 40k).)
const sqliteParams = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
	"&_pragma=synchronous(NORMAL)&_pragma=cache_size(-131072)&_pragma=temp_store(MEMORY)&_txlock=immediate&_time_format=sqlite"

func openSQLite(dsn string) (*Store, error) {
	path, query, err := sqlitePath(dsn)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	// Create the file 0600 before SQLite does (it would use 0644 less umask).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("create database file: %w", err)
	}
	params := sqliteParams
	if query != "" {
		params += "&" + query
	}
	db, err := sql.Open("sqlite", path+"?"+params)
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	db.SetMaxIdleConns(4)
	return newStore(db, SQLite), nil
}

// sqlitePath splits a SQLite dsn into the file path and extra driver
// parameters.
// SQLiteFile is the file a SQLite DSN names (prefixes such as "file:" and
// any "?parameters" removed), so callers can check or remove it without
// parsing DSNs themselves.
func SQLiteFile(dsn string) (string, error) {
	path, _, err := sqlitePath(dsn)
	return path, err
}

func sqlitePath(dsn string) (path, query string, err error) {
	s := dsn
	for _, p := range []string{"sqlite://", "sqlite:", "file://", "file:"} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			s = rest
			break
		}
	}
	s, query, _ = strings.Cut(s, "?")
	if strings.HasPrefix(dsn, "file:") {
		s = strings.TrimPrefix(s, "localhost/")
		if strings.HasPrefix(dsn, "file://") && !strings.HasPrefix(s, "/") {
			s = "/" + s
		}
		if s, err = url.PathUnescape(s); err != nil {
			return "", "", fmt.Errorf("sqlite dsn %q: %w", dsn, err)
		}
	}
	if _, err := url.ParseQuery(query); err != nil {
		return "", "", fmt.Errorf("sqlite dsn %q: bad parameters: %w", dsn, err)
	}
	switch {
	case s == "":
		return "", "", errors.New("sqlite dsn: empty file path")
	case s == ":memory:" || strings.Contains(s, "mode=memory"):
		return "", "", errors.New("sqlite dsn: in-memory databases are not supported; give a file path")
	}
	return s, query, nil
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// Dialect reports which engine the Store talks to.
func (s *Store) Dialect() Dialect { return s.dialect }

// Retries reports how many times InTx has re-run a transaction since Open.
func (s *Store) Retries() int64 { return s.retries.Load() }

// atomic runs fn in a transaction: the current one when q is bound to a
// transaction, otherwise a new one through InTx.
func (q *Queries) atomic(ctx context.Context, fn func(q *Queries) error) error {
	if q.inTx {
		return fn(q)
	}
	return q.store.InTx(ctx, fn)
}

// now is the timestamp written to created_at/updated_at columns: UTC,
// truncated to the microseconds both engines keep.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
