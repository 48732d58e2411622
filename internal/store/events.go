package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/ids"
)

// Event is one entry of the append-only audit log.
type Event struct {
	ID          string // set by AppendEvent
	UserID      string // "" for a system event
	PortfolioID string // "" when no portfolio is concerned
	Kind        string // e.g. "trades.imported"
	Subject     string // what the event is about, e.g. an account or trade ID
	// Data is stored as JSON. AppendEvent encodes it; Events returns it as
	// a json.RawMessage (nil when none was given).
	Data any
	At   time.Time // UTC, set by AppendEvent
}

// AppendEvent adds e to the audit log with a new ID and the current time.
func (q *Queries) AppendEvent(ctx context.Context, e Event) error {
	var data any
	if e.Data != nil {
		b, err := json.Marshal(e.Data)
		if err != nil {
			return fmt.Errorf("append event %s: encode data: %w", e.Kind, err)
		}
		data = string(b)
	}
	id := ids.New()
	err := q.atomic(ctx, func(q *Queries) error {
		_, err := q.db.ExecContext(ctx, `INSERT INTO events (id, user_id, portfolio_id, kind, subject, data, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			id, nullString(e.UserID), nullString(e.PortfolioID), e.Kind, e.Subject, data, now())
		return err
	})
	return wrapErr("append event "+e.Kind, err)
}

// Events returns the portfolio's events, newest first, at most limit of
// them (all when limit <= 0).
func (q *Queries) Events(ctx context.Context, portfolioID string, limit int) ([]Event, error) {
	query := `SELECT id, user_id, portfolio_id, kind, subject, data, created_at FROM events
		WHERE portfolio_id = $1 ORDER BY created_at DESC, id DESC`
	args := []any{portfolioID}
	if limit > 0 {
		query += ` LIMIT $2`
		args = append(args, int64(limit))
	}
	rows, err := q.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrapErr("list events", err)
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var (
			e        Event
			user, pf sql.NullString
			data     []byte
		)
		if err := rows.Scan(&e.ID, &user, &pf, &e.Kind, &e.Subject, &data, &e.At); err != nil {
			return nil, wrapErr("list events", err)
		}
		e.UserID, e.PortfolioID, e.At = user.String, pf.String, e.At.UTC()
		if data != nil {
			e.Data = json.RawMessage(data)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("list events", err)
	}
	return out, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
