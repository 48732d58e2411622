package store

import (
	"context"
	"database/sql"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// LastTradeDate is the date of the portfolio's latest trade, or nil when it
// has none. Reports at an earlier date replay history instead of reading the
// stored lots, which describe the books after every trade.
func (q *Queries) LastTradeDate(ctx context.Context, portfolioID string) (*portfolio.Date, error) {
	var s sql.NullString
	err := q.db.QueryRowContext(ctx, `SELECT MAX(trade_date) FROM trades WHERE `+byPortfolio, portfolioID).Scan(&s)
	if err != nil {
		return nil, wrapErr("last trade date", err)
	}
	if !s.Valid {
		return nil, nil
	}
	d, err := portfolio.ParseDate(s.String)
	if err != nil {
		return nil, wrapErr("last trade date", err)
	}
	return &d, nil
}
