package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// ReplaceBrokerSnapshot stores the broker's positions and balances for the
// given accounts, replacing what the last sync stored for them.
func (q *Queries) ReplaceBrokerSnapshot(ctx context.Context, userID, portfolioID string, accountIDs []string,
	positions []portfolio.BrokerPosition, balances []portfolio.BrokerBalance, at time.Time) error {
	return q.atomic(ctx, func(q *Queries) error {
		for _, a := range accountIDs {
			for _, table := range []string{"broker_positions", "broker_balances"} {
				if _, err := q.db.ExecContext(ctx, `DELETE FROM `+table+` WHERE user_id = $1 AND portfolio_id = $2 AND account_id = $3`,
					userID, portfolioID, a); err != nil {
					return wrapErr("clear "+table, err)
				}
			}
		}
		at := at.UTC().Truncate(time.Microsecond)
		for _, p := range positions {
			var c converter
			qty := c.scaled("quantity", p.Quantity, qtyPlaces)
			cost := c.scaled("average cost", p.AvgCost, moneyPlaces)
			if c.err != nil {
				return fmt.Errorf("broker position %s: %s: %w", p.Symbol, c.field, c.err)
			}
			if _, err := q.db.ExecContext(ctx, `INSERT INTO broker_positions (user_id, portfolio_id, account_id, symbol,
				con_id, quantity, avg_cost, synced_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
				userID, portfolioID, p.AccountID, p.Symbol, p.ConID, qty, cost, at); err != nil {
				return wrapErr("store broker position "+p.Symbol, err)
			}
		}
		for _, b := range balances {
			var c converter
			amt := c.scaled(b.Tag, b.Amount, moneyPlaces)
			if c.err != nil {
				return fmt.Errorf("broker balance %s: %w", b.Tag, c.err)
			}
			if _, err := q.db.ExecContext(ctx, `INSERT INTO broker_balances (user_id, portfolio_id, account_id, tag,
				currency, amount, synced_at) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
				userID, portfolioID, b.AccountID, b.Tag, b.Currency, amt, at); err != nil {
				return wrapErr("store broker balance "+b.Tag, err)
			}
		}
		return nil
	})
}

// BrokerPositions returns the positions the last sync stored, by account
// and symbol.
func (q *Queries) BrokerPositions(ctx context.Context, userID, portfolioID string) ([]portfolio.BrokerPosition, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT account_id, symbol, con_id, quantity, avg_cost FROM broker_positions
		WHERE user_id = $1 AND portfolio_id = $2 ORDER BY account_id, symbol`, userID, portfolioID)
	if err != nil {
		return nil, wrapErr("query broker positions", err)
	}
	defer rows.Close()
	out := []portfolio.BrokerPosition{}
	for rows.Next() {
		var p portfolio.BrokerPosition
		var qty, cost int64
		if err := rows.Scan(&p.AccountID, &p.Symbol, &p.ConID, &qty, &cost); err != nil {
			return nil, wrapErr("query broker positions", err)
		}
		p.Quantity, p.AvgCost = qtyFromDB(qty), moneyFromDB(cost)
		out = append(out, p)
	}
	return out, wrapErr("query broker positions", rows.Err())
}

// BrokerBalances returns the balances the last sync stored.
func (q *Queries) BrokerBalances(ctx context.Context, userID, portfolioID string) ([]portfolio.BrokerBalance, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT account_id, tag, currency, amount FROM broker_balances
		WHERE user_id = $1 AND portfolio_id = $2 ORDER BY account_id, tag, currency`, userID, portfolioID)
	if err != nil {
		return nil, wrapErr("query broker balances", err)
	}
	defer rows.Close()
	out := []portfolio.BrokerBalance{}
	for rows.Next() {
		var b portfolio.BrokerBalance
		var amt int64
		if err := rows.Scan(&b.AccountID, &b.Tag, &b.Currency, &amt); err != nil {
			return nil, wrapErr("query broker balances", err)
		}
		b.Amount = moneyFromDB(amt)
		out = append(out, b)
	}
	return out, wrapErr("query broker balances", rows.Err())
}

// UpsertQuotes caches quotes, replacing older ones of the same symbol.
func (q *Queries) UpsertQuotes(ctx context.Context, quotes []portfolio.Quote) error {
	return q.atomic(ctx, func(q *Queries) error {
		for _, qt := range quotes {
			var c converter
			args := []any{qt.Symbol,
				c.null("bid", qt.Bid, moneyPlaces), c.null("ask", qt.Ask, moneyPlaces),
				c.null("last", qt.Last, moneyPlaces), c.null("close", qt.Close, moneyPlaces),
				c.null("bid size", qt.BidSize, qtyPlaces), c.null("ask size", qt.AskSize, qtyPlaces),
				c.null("last size", qt.LastSize, qtyPlaces),
				qt.Delayed, qt.Time.UTC().Truncate(time.Microsecond), qt.Fetched.UTC().Truncate(time.Microsecond)}
			if c.err != nil {
				return fmt.Errorf("quote %s: %s: %w", qt.Symbol, c.field, c.err)
			}
			if _, err := q.db.ExecContext(ctx, `INSERT INTO quotes (symbol, bid, ask, last, close, bid_size, ask_size,
				last_size, delayed, quote_time, fetched_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
				ON CONFLICT (symbol) DO UPDATE SET bid = excluded.bid, ask = excluded.ask, last = excluded.last,
				close = excluded.close, bid_size = excluded.bid_size, ask_size = excluded.ask_size,
				last_size = excluded.last_size, delayed = excluded.delayed, quote_time = excluded.quote_time,
				fetched_at = excluded.fetched_at`, args...); err != nil {
				return wrapErr("store quote "+qt.Symbol, err)
			}
		}
		return nil
	})
}

// Quotes returns the cached quotes of the symbols that have one.
func (q *Queries) Quotes(ctx context.Context, symbols []string) (map[string]portfolio.Quote, error) {
	out := make(map[string]portfolio.Quote, len(symbols))
	for _, sym := range symbols {
		var (
			qt                              portfolio.Quote
			bid, ask, last, cls, bs, as, ls sql.NullInt64
		)
		err := q.db.QueryRowContext(ctx, `SELECT symbol, bid, ask, last, close, bid_size, ask_size, last_size,
			delayed, quote_time, fetched_at FROM quotes WHERE symbol = $1`, sym).Scan(&qt.Symbol, &bid, &ask, &last, &cls,
			&bs, &as, &ls, &qt.Delayed, &qt.Time, &qt.Fetched)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return nil, wrapErr("query quote "+sym, err)
		}
		qt.Bid, qt.Ask, qt.Last, qt.Close = nullFromDB(bid, moneyPlaces), nullFromDB(ask, moneyPlaces),
			nullFromDB(last, moneyPlaces), nullFromDB(cls, moneyPlaces)
		qt.BidSize, qt.AskSize, qt.LastSize = nullFromDB(bs, qtyPlaces), nullFromDB(as, qtyPlaces), nullFromDB(ls, qtyPlaces)
		qt.Time, qt.Fetched = qt.Time.UTC(), qt.Fetched.UTC()
		out[sym] = qt
	}
	return out, nil
}
