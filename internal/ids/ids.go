// Package ids makes the identifiers of every stored row: UUIDv7 strings,
// generated in Go so SQLite, PostgreSQL and CockroachDB see the same thing
// (no SERIAL, no sequences), and time-ordered so new rows append to indexes.
package ids

import "github.com/google/uuid"

// New returns a new UUIDv7 in its canonical 36-character form.
func New() string {
	return uuid.Must(uuid.NewV7()).String()
}
