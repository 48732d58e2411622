// Package ids makes the identifiers of every stored row: UUIDv7 strings,
// generated in Go so SQLite, PostgreSQL and CockroachDB see the same thing
// (no SERIAL, no sequences), and time-ordered so new rows append to indexes.
package ids

import "github.com/google/uuid"

// The random bits come from uuid's pool, one read of crypto/rand per 16 ids
// instead of one per id: an import of 100,000 trades makes 100,000 ids.
// They stay crypto/rand bytes; ids are not secrets either way. Enabling the
// pool is not safe while ids are made, so it happens before any can be.
func init() { uuid.EnableRandPool() }

// New returns a new UUIDv7 in its canonical 36-character form.
func New() string {
	return uuid.Must(uuid.NewV7()).String()
}
