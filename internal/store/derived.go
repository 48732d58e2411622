package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"

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

var (
	insertLots = newBatch(`INSERT INTO lots (user_id, portfolio_id, updated_at, id, account_id, symbol,
	open_trade_id, date_acquired, adjusted_date_acquired, original_quantity, quantity, original_basis,
	cost_basis, adjusted_basis, closed_date) VALUES `,
		`($1,$2,$3,?,?,?,?,?,?,?,?,?,?,?,?)`, "", 3)
	insertDisposals = newBatch(`INSERT INTO lot_disposals (user_id, portfolio_id, updated_at, seq,
	sell_trade_id, lot_id, account_id, symbol, quantity, date_acquired, adjusted_date_acquired, date_sold,
	proceeds, cost_basis, adjusted_basis, wash_disallowed, permanently_disallowed) VALUES `,
		`($1,$2,$3,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, "", 3)
	insertHoldings = newBatch(`INSERT INTO holdings (user_id, portfolio_id, updated_at, account_id, symbol,
	quantity, cost_basis, adjusted_basis, lot_count, first_acquired) VALUES `,
		`($1,$2,$3,?,?,?,?,?,?,?)`, "", 3)
	insertCash = newBatch(`INSERT INTO cash_balances (user_id, portfolio_id, updated_at, account_id, amount) VALUES `,
		`($1,$2,$3,?,?)`, "", 3)
)

// ReplaceDerived replaces the lots, disposals, holdings and cash balances of
// userID's portfolio portfolioID with d, all or none. A portfolio that is
// not userID's is ErrNotFound; a row naming an account outside the
// portfolio is ErrConstraint.
func (q *Queries) ReplaceDerived(ctx context.Context, userID, portfolioID string, d Derived) error {
	err := q.atomic(ctx, func(q *Queries) error {
		accts, err := q.portfolioAccounts(ctx, userID, portfolioID)
		if err != nil {
			return err
		}
		for _, table := range []string{"lot_disposals", "lots", "holdings", "cash_balances"} {
			if _, err := q.db.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+byPortfolio, portfolioID); err != nil {
				return wrapErr("delete "+table, err)
			}
		}
		var through any
		if d.Through != nil {
			through = d.Through.String()
		}
		if _, err := q.db.ExecContext(ctx, `UPDATE portfolios SET books_through = $1 WHERE id = $2`, through, portfolioID); err != nil {
			return wrapErr("update books date", err)
		}
		checkAcct := func(what, id, acct string) error {
			if _, ok := accts[acct]; !ok {
				return fmt.Errorf("%s %s: account %q is not in portfolio %s: %w", what, id, acct, portfolioID, ErrConstraint)
			}
			return nil
		}
		shared := []any{userID, portfolioID, now()}

		lots, lotIDs, err := lotsInKeyOrder(d.Lots)
		if err != nil {
			return err
		}
		_, err = insertLots.exec(ctx, q, len(lots), shared, func(args []any, i int) ([]any, error) {
			l := &d.Lots[lots[i]]
			if err := checkAcct("lot", l.ID, l.AccountID); err != nil {
				return nil, err
			}
			var closed any
			if l.ClosedDate != nil {
				closed = l.ClosedDate.String()
			}
			var c converter
			args = append(args, l.ID, l.AccountID, l.Symbol, l.OpenTradeID,
				l.DateAcquired.String(), l.AdjustedDateAcquired.String(),
				c.scaled("original quantity", l.OriginalQuantity, qtyPlaces),
				c.scaled("quantity", l.Quantity, qtyPlaces),
				c.scaled("original basis", l.OriginalBasis, moneyPlaces),
				c.scaled("cost basis", l.CostBasis, moneyPlaces),
				c.scaled("adjusted basis", l.AdjustedBasis, moneyPlaces),
				closed)
			if c.err != nil {
				return nil, fmt.Errorf("lot %s: %s: %w", l.ID, c.field, c.err)
			}
			return args, nil
		})
		if err != nil {
			return wrapErr("insert lots", err)
		}

		_, err = insertDisposals.exec(ctx, q, len(d.Disposals), shared, func(args []any, i int) ([]any, error) {
			x := &d.Disposals[i]
			if err := checkAcct("disposal of lot", x.LotID, x.AccountID); err != nil {
				return nil, err
			}
			if _, ok := lotIDs[x.LotID]; !ok {
				return nil, fmt.Errorf("disposal by %s: lot %q is not among the lots stored: %w", x.SellTradeID, x.LotID, ErrConstraint)
			}
			var c converter
			args = append(args, int64(i), x.SellTradeID, x.LotID, x.AccountID, x.Symbol,
				c.scaled("quantity", x.Quantity, qtyPlaces),
				x.DateAcquired.String(), x.AdjustedDateAcquired.String(), x.DateSold.String(),
				c.scaled("proceeds", x.Proceeds, moneyPlaces),
				c.scaled("cost basis", x.CostBasis, moneyPlaces),
				c.scaled("adjusted basis", x.AdjustedBasis, moneyPlaces),
				c.scaled("wash-sale disallowed loss", x.WashDisallowed, moneyPlaces),
				x.PermanentlyDisallowed)
			if c.err != nil {
				return nil, fmt.Errorf("disposal of lot %s by %s: %s: %w", x.LotID, x.SellTradeID, c.field, c.err)
			}
			return args, nil
		})
		if err != nil {
			return wrapErr("insert disposals", err)
		}

		holdings := make([]int, len(d.Holdings))
		for i := range holdings {
			holdings[i] = i
		}
		sort.Slice(holdings, func(i, j int) bool {
			a, b := &d.Holdings[holdings[i]], &d.Holdings[holdings[j]]
			return a.AccountID < b.AccountID || a.AccountID == b.AccountID && a.Symbol < b.Symbol
		})
		_, err = insertHoldings.exec(ctx, q, len(holdings), shared, func(args []any, i int) ([]any, error) {
			h := &d.Holdings[holdings[i]]
			if err := checkAcct("holding", h.Symbol, h.AccountID); err != nil {
				return nil, err
			}
			var c converter
			args = append(args, h.AccountID, h.Symbol,
				c.scaled("quantity", h.Quantity, qtyPlaces),
				c.scaled("cost basis", h.CostBasis, moneyPlaces),
				c.scaled("adjusted basis", h.AdjustedBasis, moneyPlaces),
				int64(h.Lots), h.FirstAcquired.String())
			if c.err != nil {
				return nil, fmt.Errorf("holding %s in %s: %s: %w", h.Symbol, h.AccountID, c.field, c.err)
			}
			return args, nil
		})
		if err != nil {
			return wrapErr("insert holdings", err)
		}

		cashIDs := make([]string, 0, len(d.Cash))
		for id := range d.Cash {
			cashIDs = append(cashIDs, id)
		}
		sort.Strings(cashIDs)
		_, err = insertCash.exec(ctx, q, len(cashIDs), shared, func(args []any, i int) ([]any, error) {
			id := cashIDs[i]
			if err := checkAcct("cash balance", "", id); err != nil {
				return nil, err
			}
			v, err := moneyToDB(d.Cash[id])
			if err != nil {
				return nil, fmt.Errorf("cash of account %s: %w", id, err)
			}
			return append(args, id, v), nil
		})
		return wrapErr("insert cash balances", err)
	})
	if err != nil {
		return fmt.Errorf("replace derived data of portfolio %s: %w", portfolioID, err)
	}
	return nil
}

// lotsInKeyOrder returns the indexes of lots in the order of the lots
// table's key (account, symbol, acquisition date, id; Go's string order is
// SQLite's BINARY collation), so every row is appended after the one
// before instead of landing at a random place in the b-tree: a tenth of
// the page splits and key comparisons. It also checks that no lot id
// repeats (ErrConflict), the uniqueness the table no longer enforces with
// an index, and returns the set of ids for the disposals to be checked
// against.
func lotsInKeyOrder(lots []portfolio.Lot) ([]int, map[string]struct{}, error) {
	order := make([]int, len(lots))
	seen := make(map[string]struct{}, len(lots))
	for i := range lots {
		order[i] = i
		if _, dup := seen[lots[i].ID]; dup {
			return nil, nil, fmt.Errorf("lot %s appears twice: %w", lots[i].ID, ErrConflict)
		}
		seen[lots[i].ID] = struct{}{}
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := &lots[order[i]], &lots[order[j]]
		if a.AccountID != b.AccountID {
			return a.AccountID < b.AccountID
		}
		if a.Symbol != b.Symbol {
			return a.Symbol < b.Symbol
		}
		if a.DateAcquired != b.DateAcquired {
			return a.DateAcquired < b.DateAcquired
		}
		return a.ID < b.ID
	})
	return order, seen, nil
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
