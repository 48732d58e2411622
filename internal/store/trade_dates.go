package store

import (
	"context"
	"database/sql"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// BooksThrough is the date of the last trade included in the stored lots,
// holdings and cash (Derived.Through at the last ReplaceDerived), or nil
// when the portfolio has none. Reports at an earlier date replay history
// instead of reading the stored books, which describe them after every trade.
// It reads one row, so reports need not scan the trades.
func (q *Queries) BooksThrough(ctx context.Context, portfolioID string) (*portfolio.Date, error) {
	var s sql.NullString
	err := q.db.QueryRowContext(ctx, `SELECT books_through FROM portfolios WHERE id = $1`, portfolioID).Scan(&s)
	if err != nil {
		return nil, wrapErr("books date", err)
	}
	if !s.Valid {
		return nil, nil
	}
	d, err := portfolio.ParseDate(s.String)
	if err != nil {
		return nil, wrapErr("books date", err)
	}
	return &d, nil
}
