package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

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

// churnLimit: when more than 1/churnLimit of the stored rows of a table
// would change or go, the table's rows are deleted and all written again
// (a back-dated import shifts everything); below it only the differences
// are written, each change a statement of its own.
const churnLimit = 4

// ReplaceDerived replaces the lots, disposals, holdings and cash balances of
// userID's portfolio portfolioID with d, all or none. A portfolio that is
// not userID's is ErrNotFound; a row naming an account outside the
// portfolio, or a disposal of a lot not in d, is ErrConstraint; a lot id
// given twice is ErrConflict.
//
// Only what differs from the stored rows is written: an import that adds a
// week to a long history leaves the lots and disposals it did not change
// as they were (updated_at included), instead of rewriting every row.
func (q *Queries) ReplaceDerived(ctx context.Context, userID, portfolioID string, d Derived) error {
	err := q.atomic(ctx, func(q *Queries) error {
		accts, err := q.portfolioAccounts(ctx, userID, portfolioID)
		if err != nil {
			return err
		}
		// The portfolio row is written first: on PostgreSQL that locks it
		// until commit, so a concurrent ReplaceDerived of the same portfolio
		// waits here, before reading the rows it compares with, instead of
		// comparing with rows the first one is about to change (which, at
		// READ COMMITTED, would store a mixture of the two).
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
		lots, err := newLotRows(d.Lots, checkAcct)
		if err != nil {
			return err
		}
		disposals, err := newDisposalRows(d.Disposals, lots, checkAcct)
		if err != nil {
			return err
		}
		w := derivedWriter{q: q, user: userID, portfolio: portfolioID, now: now()}
		if err := w.lots(ctx, lots); err != nil {
			return err
		}
		if err := w.disposals(ctx, disposals); err != nil {
			return err
		}
		return w.holdingsAndCash(ctx, d, checkAcct)
	})
	if err != nil {
		return fmt.Errorf("replace derived data of portfolio %s: %w", portfolioID, err)
	}
	return nil
}

// lotRow is a lots row as stored, less its tenant columns and updated_at:
// comparable, so a stored row and a new one are equal exactly when writing
// the new one would change nothing.
type lotRow struct {
	id, account, symbol, openTrade, acquired, adjAcquired string
	origQty, qty, origBasis, costBasis, adjBasis          int64
	closed                                                sql.NullString
}

// sameKey reports whether r and o have the same primary key, so that one
// can be updated into the other.
func (r lotRow) sameKey(o lotRow) bool {
	return r.id == o.id && r.account == o.account && r.symbol == o.symbol && r.acquired == o.acquired
}

func (r lotRow) keyLess(o lotRow) bool {
	if r.account != o.account {
		return r.account < o.account
	}
	if r.symbol != o.symbol {
		return r.symbol < o.symbol
	}
	if r.acquired != o.acquired {
		return r.acquired < o.acquired
	}
	return r.id < o.id
}

func (r lotRow) closedArg() any {
	if r.closed.Valid {
		return r.closed.String
	}
	return nil
}

// newLotRows converts lots to rows, checking accounts, precision and that
// no id repeats (the uniqueness the table leaves to this check), and sorts
// them in the table's key order (Go's string order is SQLite's BINARY
// collation) so that they append to the b-tree instead of landing at
// random places in it.
func newLotRows(lots []portfolio.Lot, checkAcct func(what, id, acct string) error) ([]lotRow, error) {
	rows := make([]lotRow, len(lots))
	seen := make(map[string]struct{}, len(lots))
	for i := range lots {
		l := &lots[i]
		if _, dup := seen[l.ID]; dup {
			return nil, fmt.Errorf("lot %s appears twice: %w", l.ID, ErrConflict)
		}
		seen[l.ID] = struct{}{}
		if err := checkAcct("lot", l.ID, l.AccountID); err != nil {
			return nil, err
		}
		var c converter
		r := lotRow{id: l.ID, account: l.AccountID, symbol: l.Symbol, openTrade: l.OpenTradeID,
			acquired: l.DateAcquired.String(), adjAcquired: l.AdjustedDateAcquired.String(),
			origQty:   c.scaled("original quantity", l.OriginalQuantity, qtyPlaces),
			qty:       c.scaled("quantity", l.Quantity, qtyPlaces),
			origBasis: c.scaled("original basis", l.OriginalBasis, moneyPlaces),
			costBasis: c.scaled("cost basis", l.CostBasis, moneyPlaces),
			adjBasis:  c.scaled("adjusted basis", l.AdjustedBasis, moneyPlaces)}
		if c.err != nil {
			return nil, fmt.Errorf("lot %s: %s: %w", l.ID, c.field, c.err)
		}
		if l.ClosedDate != nil {
			r.closed = sql.NullString{String: l.ClosedDate.String(), Valid: true}
		}
		rows[i] = r
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].keyLess(rows[j]) })
	return rows, nil
}

// disposalRow is a lot_disposals row as stored, less its tenant columns,
// seq (its index) and updated_at.
type disposalRow struct {
	sellTrade, lot, account, symbol string
	qty                             int64
	acquired, adjAcquired, sold     string
	proceeds, costBasis, adjBasis   int64
	washDisallowed                  int64
	permanentlyDisallowed           bool
}

func newDisposalRows(ds []portfolio.Disposal, lots []lotRow, checkAcct func(what, id, acct string) error) ([]disposalRow, error) {
	ids := make(map[string]struct{}, len(lots))
	for i := range lots {
		ids[lots[i].id] = struct{}{}
	}
	rows := make([]disposalRow, len(ds))
	for i := range ds {
		x := &ds[i]
		if err := checkAcct("disposal of lot", x.LotID, x.AccountID); err != nil {
			return nil, err
		}
		if _, ok := ids[x.LotID]; !ok {
			return nil, fmt.Errorf("disposal by %s: lot %q is not among the lots stored: %w", x.SellTradeID, x.LotID, ErrConstraint)
		}
		var c converter
		rows[i] = disposalRow{sellTrade: x.SellTradeID, lot: x.LotID, account: x.AccountID, symbol: x.Symbol,
			qty:      c.scaled("quantity", x.Quantity, qtyPlaces),
			acquired: x.DateAcquired.String(), adjAcquired: x.AdjustedDateAcquired.String(), sold: x.DateSold.String(),
			proceeds:              c.scaled("proceeds", x.Proceeds, moneyPlaces),
			costBasis:             c.scaled("cost basis", x.CostBasis, moneyPlaces),
			adjBasis:              c.scaled("adjusted basis", x.AdjustedBasis, moneyPlaces),
			washDisallowed:        c.scaled("wash-sale disallowed loss", x.WashDisallowed, moneyPlaces),
			permanentlyDisallowed: x.PermanentlyDisallowed}
		if c.err != nil {
			return nil, fmt.Errorf("disposal of lot %s by %s: %s: %w", x.LotID, x.SellTradeID, c.field, c.err)
		}
	}
	return rows, nil
}

// derivedWriter writes one portfolio's derived rows in a transaction.
type derivedWriter struct {
	q               *Queries
	user, portfolio string
	now             time.Time
}

func (w derivedWriter) shared() []any { return []any{w.user, w.portfolio, w.now} }

// lots brings the stored lots to rows (in key order).
func (w derivedWriter) lots(ctx context.Context, rows []lotRow) error {
	stored, err := w.storedLots(ctx)
	if err != nil {
		return err
	}
	var (
		inserts, updates []int
		deletes          []lotRow
	)
	for i := range rows {
		old, ok := stored[rows[i].id]
		delete(stored, rows[i].id)
		switch {
		case ok && old == rows[i]:
		case ok && old.sameKey(rows[i]):
			updates = append(updates, i)
		default:
			if ok {
				deletes = append(deletes, old)
			}
			inserts = append(inserts, i)
		}
	}
	for _, old := range stored {
		deletes = append(deletes, old)
	}
	if changes := len(deletes) + len(updates); changes*churnLimit > len(rows)+len(deletes) {
		// Rewriting everything is cheaper than this many single-row statements.
		if _, err := w.q.db.ExecContext(ctx, `DELETE FROM lots WHERE `+byPortfolio, w.portfolio); err != nil {
			return wrapErr("delete lots", err)
		}
		inserts, updates, deletes = all(len(rows)), nil, nil
	}
	sort.Slice(deletes, func(i, j int) bool { return deletes[i].keyLess(deletes[j]) })
	err = w.each(ctx, len(deletes), `DELETE FROM lots WHERE user_id = $1 AND portfolio_id = $2 AND account_id = $3
		AND symbol = $4 AND date_acquired = $5 AND id = $6`, func(i int) []any {
		r := &deletes[i]
		return []any{w.user, w.portfolio, r.account, r.symbol, r.acquired, r.id}
	})
	if err != nil {
		return wrapErr("delete lots", err)
	}
	err = w.each(ctx, len(updates), `UPDATE lots SET open_trade_id = $7, adjusted_date_acquired = $8,
		original_quantity = $9, quantity = $10, original_basis = $11, cost_basis = $12, adjusted_basis = $13,
		closed_date = $14, updated_at = $15
		WHERE user_id = $1 AND portfolio_id = $2 AND account_id = $3 AND symbol = $4 AND date_acquired = $5 AND id = $6`,
		func(i int) []any {
			r := &rows[updates[i]]
			return []any{w.user, w.portfolio, r.account, r.symbol, r.acquired, r.id, r.openTrade, r.adjAcquired,
				r.origQty, r.qty, r.origBasis, r.costBasis, r.adjBasis, r.closedArg(), w.now}
		})
	if err != nil {
		return wrapErr("update lots", err)
	}
	_, err = insertLots.exec(ctx, w.q, len(inserts), w.shared(), func(args []any, i int) ([]any, error) {
		r := &rows[inserts[i]]
		return append(args, r.id, r.account, r.symbol, r.openTrade, r.acquired, r.adjAcquired,
			r.origQty, r.qty, r.origBasis, r.costBasis, r.adjBasis, r.closedArg()), nil
	})
	return wrapErr("insert lots", err)
}

func (w derivedWriter) storedLots(ctx context.Context) (map[string]lotRow, error) {
	rows, err := w.q.db.QueryContext(ctx, `SELECT id, account_id, symbol, open_trade_id, date_acquired,
		adjusted_date_acquired, original_quantity, quantity, original_basis, cost_basis, adjusted_basis, closed_date
		FROM lots WHERE `+byPortfolio, w.portfolio)
	if err != nil {
		return nil, wrapErr("read stored lots", err)
	}
	defer rows.Close()
	out := map[string]lotRow{}
	for rows.Next() {
		var r lotRow
		if err := rows.Scan(&r.id, &r.account, &r.symbol, &r.openTrade, &r.acquired, &r.adjAcquired,
			&r.origQty, &r.qty, &r.origBasis, &r.costBasis, &r.adjBasis, &r.closed); err != nil {
			return nil, wrapErr("read stored lots", err)
		}
		out[r.id] = r
	}
	return out, wrapErr("read stored lots", rows.Err())
}

// disposals brings the stored disposals to rows; a disposal's seq is its
// index, so rows appended to the history append here too.
func (w derivedWriter) disposals(ctx context.Context, rows []disposalRow) error {
	stored, err := w.storedDisposals(ctx)
	if err != nil {
		return err
	}
	var updates []int
	for i := range min(len(rows), len(stored)) {
		if rows[i] != stored[i] {
			updates = append(updates, i)
		}
	}
	from := len(stored) // the first seq to insert
	stale := max(0, len(stored)-len(rows))
	if (len(updates)+stale)*churnLimit > max(len(rows), len(stored)) {
		updates, from, stale = nil, 0, len(stored)
	}
	if stale > 0 {
		if _, err := w.q.db.ExecContext(ctx, `DELETE FROM lot_disposals WHERE `+byPortfolio+` AND seq >= $2`,
			w.portfolio, int64(len(stored)-stale)); err != nil {
			return wrapErr("delete disposals", err)
		}
	}
	err = w.each(ctx, len(updates), `UPDATE lot_disposals SET sell_trade_id = $4, lot_id = $5, account_id = $6,
		symbol = $7, quantity = $8, date_acquired = $9, adjusted_date_acquired = $10, date_sold = $11,
		proceeds = $12, cost_basis = $13, adjusted_basis = $14, wash_disallowed = $15, permanently_disallowed = $16,
		updated_at = $17 WHERE user_id = $1 AND portfolio_id = $2 AND seq = $3`, func(i int) []any {
		x := &rows[updates[i]]
		return []any{w.user, w.portfolio, int64(updates[i]), x.sellTrade, x.lot, x.account, x.symbol, x.qty,
			x.acquired, x.adjAcquired, x.sold, x.proceeds, x.costBasis, x.adjBasis, x.washDisallowed,
			x.permanentlyDisallowed, w.now}
	})
	if err != nil {
		return wrapErr("update disposals", err)
	}
	from = min(from, len(rows))
	_, err = insertDisposals.exec(ctx, w.q, len(rows)-from, w.shared(), func(args []any, i int) ([]any, error) {
		x := &rows[from+i]
		return append(args, int64(from+i), x.sellTrade, x.lot, x.account, x.symbol, x.qty,
			x.acquired, x.adjAcquired, x.sold, x.proceeds, x.costBasis, x.adjBasis, x.washDisallowed,
			x.permanentlyDisallowed), nil
	})
	return wrapErr("insert disposals", err)
}

func (w derivedWriter) storedDisposals(ctx context.Context) ([]disposalRow, error) {
	rows, err := w.q.db.QueryContext(ctx, `SELECT sell_trade_id, lot_id, account_id, symbol, quantity,
		date_acquired, adjusted_date_acquired, date_sold, proceeds, cost_basis, adjusted_basis,
		wash_disallowed, permanently_disallowed
		FROM lot_disposals WHERE `+byPortfolio+` ORDER BY seq`, w.portfolio)
	if err != nil {
		return nil, wrapErr("read stored disposals", err)
	}
	defer rows.Close()
	var out []disposalRow
	for rows.Next() {
		var x disposalRow
		if err := rows.Scan(&x.sellTrade, &x.lot, &x.account, &x.symbol, &x.qty, &x.acquired, &x.adjAcquired,
			&x.sold, &x.proceeds, &x.costBasis, &x.adjBasis, &x.washDisallowed, &x.permanentlyDisallowed); err != nil {
			return nil, wrapErr("read stored disposals", err)
		}
		out = append(out, x)
	}
	return out, wrapErr("read stored disposals", rows.Err())
}

// holdingsAndCash replaces the holdings and cash balances: a row per
// account and symbol, and per account, few enough to rewrite.
func (w derivedWriter) holdingsAndCash(ctx context.Context, d Derived, checkAcct func(what, id, acct string) error) error {
	for _, table := range []string{"holdings", "cash_balances"} {
		if _, err := w.q.db.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+byPortfolio, w.portfolio); err != nil {
			return wrapErr("delete "+table, err)
		}
	}
	holdings := all(len(d.Holdings))
	sort.Slice(holdings, func(i, j int) bool {
		a, b := &d.Holdings[holdings[i]], &d.Holdings[holdings[j]]
		return a.AccountID < b.AccountID || a.AccountID == b.AccountID && a.Symbol < b.Symbol
	})
	_, err := insertHoldings.exec(ctx, w.q, len(holdings), w.shared(), func(args []any, i int) ([]any, error) {
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
	_, err = insertCash.exec(ctx, w.q, len(cashIDs), w.shared(), func(args []any, i int) ([]any, error) {
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
}

// each runs the single-row statement query n times, with args(i), through
// one prepared statement.
func (w derivedWriter) each(ctx context.Context, n int, query string, args func(i int) []any) error {
	if n == 0 {
		return nil
	}
	stmt, err := w.q.db.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := range n {
		if _, err := stmt.ExecContext(ctx, args(i)...); err != nil {
			return err
		}
	}
	return nil
}

// all is 0..n-1.
func all(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
