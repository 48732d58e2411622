package store

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"
)

// DeleteTrades removes the portfolio's trades with the given keys (those
// it does not have are ignored) and returns how many went. Only the
// provisional trades sync adopts are ever deleted: imported history is
// never changed silently.
func (q *Queries) DeleteTrades(ctx context.Context, portfolioID string, keys []string) (int, error) {
	n := 0
	err := q.atomic(ctx, func(q *Queries) error {
		for _, k := range keys {
			r, err := q.db.ExecContext(ctx, `DELETE FROM trades WHERE `+byPortfolio+` AND trade_key = $2`, portfolioID, k)
			if err != nil {
				return wrapErr("delete trade "+k, err)
			}
			c, err := r.RowsAffected()
			if err != nil {
				return wrapErr("delete trade "+k, err)
			}
			n += int(c)
		}
		return nil
	})
	return n, err
}

// SetTradeFees sets the fees of the portfolio's trade with key (a broker
// commission that arrived after the fill was stored). A missing trade is
// ErrNotFound.
func (q *Queries) SetTradeFees(ctx context.Context, portfolioID, key string, fees decimal.Decimal) error {
	v, err := toScaled(fees, moneyPlaces)
	if err != nil {
		return fmt.Errorf("fees of %s: %w", key, err)
	}
	r, err := q.db.ExecContext(ctx, `UPDATE trades SET fees = $2, updated_at = $3 WHERE `+byPortfolio+` AND trade_key = $4`,
		portfolioID, v, now(), key)
	if err != nil {
		return wrapErr("set fees of "+key, err)
	}
	if c, err := r.RowsAffected(); err != nil {
		return wrapErr("set fees of "+key, err)
	} else if c == 0 {
		return fmt.Errorf("set fees of %s: %w", key, ErrNotFound)
	}
	return nil
}
