package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// Derived is what the ledger derives from a portfolio's trades. It is
// stored and replaced as a whole (ReplaceDerived).
type Derived struct {
	Lots      []portfolio.Lot // open and closed
	Disposals []portfolio.Disposal
	Holdings  []portfolio.Holding
	Cash      map[string]decimal.Decimal // by account ID
	// Through is the date of the last trade the books include; nil for a
	// portfolio with no trades. Reports at earlier dates replay instead.
	Through *portfolio.Date
}

// portfolioAccounts returns the ids of the accounts of userID's portfolio
// portfolioID, or ErrNotFound when there is no such portfolio.
func (q *Queries) portfolioAccounts(ctx context.Context, userID, portfolioID string) (map[string]struct{}, error) {
	var one int
	err := q.db.QueryRowContext(ctx, `SELECT 1 FROM portfolios WHERE id = $1 AND user_id = $2`, portfolioID, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("portfolio %s of user %s: %w", portfolioID, userID, ErrNotFound)
	}
	if err != nil {
		return nil, wrapErr("find portfolio", err)
	}
	rows, err := q.db.QueryContext(ctx, `SELECT id FROM external_accounts WHERE portfolio_id = $1`, portfolioID)
	if err != nil {
		return nil, wrapErr("list accounts", err)
	}
	defer rows.Close()
	m := map[string]struct{}{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrapErr("list accounts", err)
		}
		m[id] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("list accounts", err)
	}
	return m, nil
}

// Lots returns the portfolio's lots (only those with shares left when
// openOnly) by account ID, symbol, acquisition date and ID.
func (q *Queries) Lots(ctx context.Context, portfolioID string, openOnly bool) ([]portfolio.Lot, error) {
	query := `SELECT id, account_id, symbol, open_trade_id, date_acquired, adjusted_date_acquired,
		original_quantity, quantity, original_basis, cost_basis, adjusted_basis, closed_date
		FROM lots WHERE ` + byPortfolio
	if openOnly {
		query += ` AND quantity > 0`
	}
	query += ` ORDER BY account_id, symbol, date_acquired, id`
	rows, err := q.db.QueryContext(ctx, query, portfolioID)
	if err != nil {
		return nil, wrapErr("list lots", err)
	}
	defer rows.Close()
	out := []portfolio.Lot{}
	for rows.Next() {
		var (
			l                   portfolio.Lot
			acq, adjAcq         string
			closed              sql.NullString
			oq, qty, ob, cb, ab int64
		)
		if err := rows.Scan(&l.ID, &l.AccountID, &l.Symbol, &l.OpenTradeID, &acq, &adjAcq,
			&oq, &qty, &ob, &cb, &ab, &closed); err != nil {
			return nil, wrapErr("list lots", err)
		}
		var d dates
		l.DateAcquired, l.AdjustedDateAcquired = d.parse(acq), d.parse(adjAcq)
		if closed.Valid {
			c := d.parse(closed.String)
			l.ClosedDate = &c
		}
		if d.err != nil {
			return nil, fmt.Errorf("list lots: lot %s: %w", l.ID, d.err)
		}
		l.OriginalQuantity, l.Quantity = qtyFromDB(oq), qtyFromDB(qty)
		l.OriginalBasis, l.CostBasis, l.AdjustedBasis = moneyFromDB(ob), moneyFromDB(cb), moneyFromDB(ab)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("list lots", err)
	}
	return out, nil
}

// Disposals returns the portfolio's disposals in the order they were
// stored (the ledger's booking order).
func (q *Queries) Disposals(ctx context.Context, portfolioID string) ([]portfolio.Disposal, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT sell_trade_id, lot_id, account_id, symbol, quantity,
		date_acquired, adjusted_date_acquired, date_sold, proceeds, cost_basis, adjusted_basis,
		wash_disallowed, permanently_disallowed
		FROM lot_disposals WHERE `+byPortfolio+` ORDER BY seq`, portfolioID)
	if err != nil {
		return nil, wrapErr("list disposals", err)
	}
	defer rows.Close()
	out := []portfolio.Disposal{}
	for rows.Next() {
		var (
			x                 portfolio.Disposal
			acq, adjAcq, sold string
			qty, pr, cb, ab   int64
			wash              int64
		)
		if err := rows.Scan(&x.SellTradeID, &x.LotID, &x.AccountID, &x.Symbol, &qty,
			&acq, &adjAcq, &sold, &pr, &cb, &ab, &wash, &x.PermanentlyDisallowed); err != nil {
			return nil, wrapErr("list disposals", err)
		}
		var d dates
		x.DateAcquired, x.AdjustedDateAcquired, x.DateSold = d.parse(acq), d.parse(adjAcq), d.parse(sold)
		if d.err != nil {
			return nil, fmt.Errorf("list disposals: lot %s: %w", x.LotID, d.err)
		}
		x.Quantity = qtyFromDB(qty)
		x.Proceeds, x.CostBasis, x.AdjustedBasis = moneyFromDB(pr), moneyFromDB(cb), moneyFromDB(ab)
		x.WashDisallowed = moneyFromDB(wash)
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("list disposals", err)
	}
	return out, nil
}

// Holdings returns the portfolio's stored holdings by account ID and symbol.
func (q *Queries) Holdings(ctx context.Context, portfolioID string) ([]portfolio.Holding, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT account_id, symbol, quantity, cost_basis, adjusted_basis,
		lot_count, first_acquired FROM holdings WHERE `+byPortfolio+` ORDER BY account_id, symbol`, portfolioID)
	if err != nil {
		return nil, wrapErr("list holdings", err)
	}
	defer rows.Close()
	out := []portfolio.Holding{}
	for rows.Next() {
		var (
			h           portfolio.Holding
			qty, cb, ab int64
			lots        int64
			first       string
		)
		if err := rows.Scan(&h.AccountID, &h.Symbol, &qty, &cb, &ab, &lots, &first); err != nil {
			return nil, wrapErr("list holdings", err)
		}
		var d dates
		h.FirstAcquired = d.parse(first)
		if d.err != nil {
			return nil, fmt.Errorf("list holdings: %s: %w", h.Symbol, d.err)
		}
		h.Quantity, h.CostBasis, h.AdjustedBasis, h.Lots = qtyFromDB(qty), moneyFromDB(cb), moneyFromDB(ab), int(lots)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("list holdings", err)
	}
	return out, nil
}

// Cash returns the portfolio's stored cash balances by account ID.
func (q *Queries) Cash(ctx context.Context, portfolioID string) (map[string]decimal.Decimal, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT account_id, amount FROM cash_balances WHERE `+byPortfolio, portfolioID)
	if err != nil {
		return nil, wrapErr("list cash balances", err)
	}
	defer rows.Close()
	out := map[string]decimal.Decimal{}
	for rows.Next() {
		var (
			id string
			v  int64
		)
		if err := rows.Scan(&id, &v); err != nil {
			return nil, wrapErr("list cash balances", err)
		}
		out[id] = moneyFromDB(v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("list cash balances", err)
	}
	return out, nil
}

// dates parses stored civil dates, keeping the first error.
type dates struct{ err error }

func (d *dates) parse(s string) portfolio.Date {
	v, err := portfolio.ParseDate(s)
	if err != nil && d.err == nil {
		d.err = fmt.Errorf("stored date: %w", err)
	}
	return v
}
