package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The store's errors. Every method wraps them with context
// ("create account: %w"), so test them with errors.Is. Driver errors
// (sql.ErrNoRows, *pgconn.PgError, *sqlite.Error) are translated here, once.
var (
	// ErrNotFound: the row asked for does not exist (or belongs to another user).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique key is already taken (an account name in a
	// portfolio, a trade key, ...).
	ErrConflict = errors.New("already exists")
	// ErrConstraint: a foreign-key, check or not-null rule was violated,
	// e.g. a trade that names an account that does not exist.
	ErrConstraint = errors.New("constraint violated")
	// ErrRetryExhausted: InTx gave up after repeated serialization failures
	// or a database that stayed locked.
	ErrRetryExhausted = errors.New("transaction retries exhausted")
	// ErrOverflow: a decimal is too large for its scaled BIGINT column.
	ErrOverflow = errors.New("value out of range")
	// ErrPrecision: a decimal has more places than its column keeps
	// (8 for quantities, 6 for money); the store never rounds silently.
	ErrPrecision = errors.New("too many decimal places")
)

// errClass is what classify makes of a driver error.
type errClass int

const (
	classOther      errClass = iota
	classNotFound            // sql.ErrNoRows
	classConflict            // unique violation
	classConstraint          // foreign key, check, not null
	classRetry               // serialization failure, deadlock, SQLITE_BUSY/LOCKED
)

// classify is the one place that knows the drivers' error codes.
func classify(err error) errClass {
	if err == nil {
		return classOther
	}
	if errors.Is(err, sql.ErrNoRows) {
		return classNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return classConflict
		case "23503", "23514", "23502": // foreign_key, check, not_null
			return classConstraint
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return classRetry
		}
		return classOther
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		code := se.Code()
		switch code {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return classConflict
		}
		switch code & 0xff { // primary result code
		case sqlite3.SQLITE_CONSTRAINT:
			return classConstraint
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return classRetry
		}
	}
	return classOther
}

// retryable reports whether err (from any step of a transaction, including
// COMMIT) means the whole transaction should run again.
func retryable(err error) bool { return classify(err) == classRetry }

// wrapErr adds op as context and translates driver errors to the store's
// sentinels. sql.ErrNoRows is replaced, never wrapped; other driver errors
// stay in the chain (after the sentinel) so InTx can recognise a
// serialization failure that fn wrapped again.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	switch classify(err) {
	case classNotFound:
		return fmt.Errorf("%s: %w", op, ErrNotFound)
	case classConflict:
		return fmt.Errorf("%s: %w: %w", op, ErrConflict, err)
	case classConstraint:
		return fmt.Errorf("%s: %w: %w", op, ErrConstraint, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
