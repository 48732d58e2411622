package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// fastRetries makes InTx back off briefly so retry tests stay quick.
func fastRetries(s *Store, attempts int) {
	s.maxAttempts, s.baseDelay, s.maxDelay = attempts, time.Millisecond, 20*time.Millisecond
}

func countEvents(t *testing.T, s *Store, kind string) int {
	t.Helper()
	var n int
	must(t, "count events", s.db.QueryRowContext(t.Context(), `SELECT count(*) FROM events WHERE kind = $1`, kind).Scan(&n))
	return n
}

// testRetryAtCommit: a serialization failure reported by COMMIT rolls the
// attempt back and reruns fn, and the write lands exactly once.
func testRetryAtCommit(t *testing.T, s *Store) {
	ctx := t.Context()
	fastRetries(s, 5)
	var commits, calls atomic.Int32
	var stages []string
	s.beforeCommit = func() error {
		if commits.Add(1) == 1 {
			return &pgconn.PgError{Severity: "ERROR", Code: "40001", Message: "injected: could not serialize access"}
		}
		return nil
	}
	s.onRetry = func(stage string, _ error) { stages = append(stages, stage) }
	t.Cleanup(func() { s.beforeCommit, s.onRetry = nil, nil })
	before := s.Retries()
	err := s.InTx(ctx, func(q *Queries) error {
		calls.Add(1)
		return q.AppendEvent(ctx, Event{Kind: "once"})
	})
	must(t, "InTx", err)
	if c := calls.Load(); c != 2 {
		t.Errorf("fn ran %d times, want 2", c)
	}
	if n := countEvents(t, s, "once"); n != 1 {
		t.Errorf("the write landed %d times, want exactly once", n)
	}
	if r := s.Retries() - before; r != 1 {
		t.Errorf("Retries() grew by %d, want 1", r)
	}
	if len(stages) != 1 || stages[0] != "commit" {
		t.Errorf("retried at stages %v, want [commit]", stages)
	}

	// A deadlock (40P01) in fn is retried the same way.
	calls.Store(0)
	err = s.InTx(ctx, func(q *Queries) error {
		if calls.Add(1) == 1 {
			return fmt.Errorf("wrapped by fn: %w", wrapErr("update", &pgconn.PgError{Code: "40P01"}))
		}
		return q.AppendEvent(ctx, Event{Kind: "after-deadlock"})
	})
	must(t, "InTx(deadlock)", err)
	if c, n := calls.Load(), countEvents(t, s, "after-deadlock"); c != 2 || n != 1 {
		t.Errorf("after a deadlock fn ran %d times and wrote %d events; want 2 and 1", c, n)
	}
}

// testRetryExhausted: InTx gives up after maxAttempts, and a cancelled
// context stops it early.
func testRetryExhausted(t *testing.T, s *Store) {
	ctx := t.Context()
	fastRetries(s, 3)
	var calls atomic.Int32
	s.beforeCommit = func() error { return &pgconn.PgError{Code: "40001"} }
	t.Cleanup(func() { s.beforeCommit = nil })
	err := s.InTx(ctx, func(q *Queries) error {
		calls.Add(1)
		return q.AppendEvent(ctx, Event{Kind: "never"})
	})
	wantErr(t, "InTx(always failing)", err, ErrRetryExhausted)
	if c := calls.Load(); c != 3 {
		t.Errorf("fn ran %d times, want 3", c)
	}
	if n := countEvents(t, s, "never"); n != 0 {
		t.Errorf("%d events written by failed attempts", n)
	}

	// A non-retryable error is returned at once.
	calls.Store(0)
	boom := errors.New("boom")
	err = s.InTx(ctx, func(*Queries) error { calls.Add(1); return boom })
	if !errors.Is(err, boom) || calls.Load() != 1 {
		t.Errorf("InTx(boom) = %v after %d calls, want boom after 1", err, calls.Load())
	}

	// Cancellation during the backoff ends the loop.
	s.maxAttempts, s.baseDelay, s.maxDelay = 100, time.Second, time.Second
	cctx, cancel := context.WithCancel(ctx)
	calls.Store(0)
	done := make(chan error, 1)
	go func() {
		done <- s.InTx(cctx, func(*Queries) error { calls.Add(1); return nil })
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		wantErr(t, "InTx(cancelled)", err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("InTx did not stop after its context was cancelled")
	}
}

// TestCounterSerializable is a read-modify-write race on PostgreSQL at
// SERIALIZABLE: every worker reads the counter before any of them writes,
// so all but one hit a serialization failure and must retry. With whole
// transaction retries no increment is lost.
func TestCounterSerializable(t *testing.T) {
	s := openPostgresTest(t, true)
	ctx := t.Context()
	fastRetries(s, 30)
	_, err := s.db.ExecContext(ctx, `CREATE TABLE test_counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)`)
	must(t, "create counter", err)
	_, err = s.db.ExecContext(ctx, `INSERT INTO test_counter VALUES (1, 0)`)
	must(t, "init counter", err)

	const workers = 8
	var (
		readAll sync.WaitGroup // first attempts wait here until every worker has read
		calls   atomic.Int32
	)
	readAll.Add(workers)
	errs := make(chan error, workers)
	for range workers {
		go func() {
			first := true
			errs <- s.InTx(ctx, func(q *Queries) error {
				calls.Add(1)
				var n int64
				if err := q.db.QueryRowContext(ctx, `SELECT n FROM test_counter WHERE id = 1`).Scan(&n); err != nil {
					return wrapErr("read counter", err)
				}
				if first {
					first = false
					readAll.Done()
					readAll.Wait()
				}
				_, err := q.db.ExecContext(ctx, `UPDATE test_counter SET n = $1 WHERE id = 1`, n+1)
				return wrapErr("write counter", err)
			})
		}()
	}
	for range workers {
		must(t, "InTx increment", <-errs)
	}
	var n int64
	must(t, "read counter", s.db.QueryRowContext(ctx, `SELECT n FROM test_counter WHERE id = 1`).Scan(&n))
	if n != workers {
		t.Fatalf("counter = %d after %d increments: updates were lost", n, workers)
	}
	if s.Retries() < workers-1 {
		t.Fatalf("Retries() = %d, want at least %d", s.Retries(), workers-1)
	}
	t.Logf("%d increments took %d calls of fn, %d retries", workers, calls.Load(), s.Retries())
}

// TestWriteSkewAtCommit provokes a real serialization failure that
// PostgreSQL reports at COMMIT (SSI write skew: T1 and T2 each read what the
// other writes; T1 commits first, so T2's COMMIT fails). InTx must retry T2,
// which then sees T1's row; this is the case where crdb.ExecuteTx loses the
// write on PostgreSQL.
func TestWriteSkewAtCommit(t *testing.T) {
	s := openPostgresTest(t, true)
	ctx := t.Context()
	fastRetries(s, 5)
	_, err := s.db.ExecContext(ctx, `CREATE TABLE test_oncall (doctor TEXT PRIMARY KEY, on_call BOOLEAN NOT NULL)`)
	must(t, "create table", err)
	_, err = s.db.ExecContext(ctx, `INSERT INTO test_oncall VALUES ('alice', true), ('bob', true)`)
	must(t, "fill table", err)

	var stages []string
	var mu sync.Mutex
	s.onRetry = func(stage string, _ error) { mu.Lock(); stages = append(stages, stage); mu.Unlock() }

	// Invariant: at least one doctor stays on call. Each transaction takes
	// one doctor off call if another is still on call.
	goOff := func(q *Queries, who string) error {
		var on int
		if err := q.db.QueryRowContext(ctx, `SELECT count(*) FROM test_oncall WHERE on_call`).Scan(&on); err != nil {
			return wrapErr("count", err)
		}
		if on < 2 {
			return nil // would leave nobody on call
		}
		_, err := q.db.ExecContext(ctx, `UPDATE test_oncall SET on_call = false WHERE doctor = $1`, who)
		return wrapErr("update", err)
	}

	t2Wrote, t1Committed := make(chan struct{}), make(chan struct{})
	t2done := make(chan error, 1)
	var t2calls atomic.Int32
	go func() {
		t2done <- s.InTx(ctx, func(q *Queries) error {
			first := t2calls.Add(1) == 1
			if err := goOff(q, "bob"); err != nil {
				return err
			}
			if first {
				close(t2Wrote)
				<-t1Committed // T2 now commits after T1
			}
			return nil
		})
	}()
	<-t2Wrote
	// T1: a plain transaction on its own connection, reads then writes.
	tx, err := s.db.BeginTx(ctx, nil)
	must(t, "T1 begin", err)
	var on int
	must(t, "T1 read", tx.QueryRowContext(ctx, `SELECT count(*) FROM test_oncall WHERE on_call`).Scan(&on))
	_, err = tx.ExecContext(ctx, `UPDATE test_oncall SET on_call = false WHERE doctor = 'alice'`)
	must(t, "T1 write", err)
	must(t, "T1 commit", tx.Commit())
	close(t1Committed)
	must(t, "T2 InTx", <-t2done)

	if c := t2calls.Load(); c != 2 {
		t.Errorf("T2's fn ran %d times, want 2", c)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(stages) != 1 || stages[0] != "commit" {
		t.Errorf("T2 retried at stages %v, want [commit]", stages)
	}
	var stillOn int
	must(t, "count on call", s.db.QueryRowContext(ctx, `SELECT count(*) FROM test_oncall WHERE on_call`).Scan(&stillOn))
	if stillOn != 1 {
		t.Errorf("%d doctors on call, want 1 (T1's write kept, T2 saw it on retry)", stillOn)
	}
}

// TestSQLiteConcurrentStores: two Stores on one file write at the same time
// (read-modify-write in InTx and plain appends); busy handling makes every
// write land.
func TestSQLiteConcurrentStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	a := openSQLiteAt(t, path)
	b := openSQLiteAt(t, path)
	ctx := t.Context()
	_, err := a.db.ExecContext(ctx, `CREATE TABLE test_counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`)
	must(t, "create counter", err)
	_, err = a.db.ExecContext(ctx, `INSERT INTO test_counter VALUES (1, 0)`)
	must(t, "init counter", err)

	const perWorker, workersPerStore = 15, 3
	var wg sync.WaitGroup
	errs := make(chan error, 2*workersPerStore*perWorker*2)
	for _, s := range []*Store{a, b} {
		for w := range workersPerStore {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWorker {
					errs <- s.InTx(ctx, func(q *Queries) error {
						var n int64
						if err := q.db.QueryRowContext(ctx, `SELECT n FROM test_counter WHERE id = 1`).Scan(&n); err != nil {
							return wrapErr("read", err)
						}
						_, err := q.db.ExecContext(ctx, `UPDATE test_counter SET n = $1 WHERE id = 1`, n+1)
						return wrapErr("write", err)
					})
					errs <- s.AppendEvent(ctx, Event{Kind: "tick", Subject: fmt.Sprintf("%d-%d", w, i)})
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, "concurrent write", err)
	}
	var n int64
	must(t, "read counter", b.db.QueryRowContext(ctx, `SELECT n FROM test_counter WHERE id = 1`).Scan(&n))
	if want := int64(2 * workersPerStore * perWorker); n != want {
		t.Fatalf("counter = %d, want %d", n, want)
	}
	if got, want := countEvents(t, a, "tick"), 2*workersPerStore*perWorker; got != want {
		t.Fatalf("%d events, want %d", got, want)
	}
}

// TestSQLiteBusyRetried: with no busy timeout a second writer gets a real
// SQLITE_BUSY, which InTx treats as retryable and outlasts.
func TestSQLiteBusyRetried(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	openSQLiteAt(t, path) // create and migrate
	ctx := t.Context()
	raw := func() *sql.DB {
		db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(0)&_pragma=foreign_keys(1)&_txlock=immediate&_time_format=sqlite")
		must(t, "open", err)
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	holder := raw()
	tx, err := holder.BeginTx(ctx, nil) // BEGIN IMMEDIATE: holds the write lock
	must(t, "begin holder", err)

	impatient := newStore(raw(), SQLite)
	fastRetries(impatient, 50)
	var stages []string
	impatient.onRetry = func(stage string, err error) { stages = append(stages, stage) }
	done := make(chan error, 1)
	go func() { done <- impatient.AppendEvent(ctx, Event{Kind: "eventually"}) }()
	time.Sleep(100 * time.Millisecond)
	must(t, "release lock", tx.Rollback())
	must(t, "AppendEvent while locked", <-done)
	if impatient.Retries() == 0 || len(stages) == 0 || stages[0] != "begin" {
		t.Fatalf("Retries() = %d, stages %v; want retries starting at begin (SQLITE_BUSY)", impatient.Retries(), stages)
	}
	if n := countEvents(t, impatient, "eventually"); n != 1 {
		t.Fatalf("%d events, want 1", n)
	}
}
