package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// InTx runs fn in a transaction and commits it. When any step fails with a
// serialization failure or deadlock (SQLSTATE 40001, 40P01) — including
// COMMIT itself, where PostgreSQL and CockroachDB report most of them — or
// with SQLITE_BUSY/SQLITE_LOCKED, the transaction is rolled back and the
// whole of fn runs again in a new one, after a capped exponential backoff
// with jitter. fn must therefore be re-runnable: it may only touch the
// database through q and must not keep state from a failed attempt.
//
// InTx gives up with ErrRetryExhausted after 10 attempts (about 2.5 s of
// backoff in all), and stops when ctx is done. Any other error from fn rolls
// back and is returned as is. Store.Retries counts the re-runs.
//
// This is deliberately not crdb.ExecuteTx, whose savepoint protocol loses
// writes on PostgreSQL when the failure surfaces at COMMIT.
func (s *Store) InTx(ctx context.Context, fn func(q *Queries) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		var stage string
		stage, err = s.runTx(ctx, fn)
		if err == nil || !retryable(err) {
			return err
		}
		if s.onRetry != nil {
			s.onRetry(stage, err)
		}
		if attempt >= s.maxAttempts {
			return fmt.Errorf("transaction failed %d times: %w: %w", attempt, ErrRetryExhausted, err)
		}
		s.retries.Add(1)
		t := time.NewTimer(s.backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("transaction retry: %w (last error: %w)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// backoff is the pause before attempt+1: base×2^(attempt-1), capped, then
// scaled by a random factor in [0.5, 1.5) so that colliding transactions
// spread out.
func (s *Store) backoff(attempt int) time.Duration {
	d := s.baseDelay << min(attempt-1, 20)
	if d > s.maxDelay || d <= 0 {
		d = s.maxDelay
	}
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

// runTx makes one attempt: BEGIN, fn, COMMIT. stage says which step failed.
func (s *Store) runTx(ctx context.Context, fn func(q *Queries) error) (stage string, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "begin", wrapErr("begin transaction", err)
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) && ctx.Err() == nil {
			err = errors.Join(err, fmt.Errorf("roll back: %w", rbErr))
		}
	}()
	if err := fn(&Queries{db: tx, store: s, inTx: true, dialect: s.dialect}); err != nil {
		return "fn", err
	}
	if s.beforeCommit != nil {
		if err := s.beforeCommit(); err != nil {
			return "commit", wrapErr("commit", err)
		}
	}
	if err := tx.Commit(); err != nil {
		committed = true // Commit always ends the transaction, even when it fails
		return "commit", wrapErr("commit", err)
	}
	committed = true
	return "", nil
}
