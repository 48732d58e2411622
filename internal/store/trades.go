package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ids"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

var insertTrades = newBatch(`INSERT INTO trades (user_id, created_at, updated_at, status, id, portfolio_id,
	account_id, trade_date, action, symbol, quantity, split_from, price, fees, amount, currency, lots, note, trade_key) VALUES `,
	`($1,$2,$2,'filled',?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, "", 2)

// byPortfolio selects the rows of portfolio $1 of a tenant table. Their
// portfolio indexes lead with user_id (so they double as the user_id index),
// so the condition names the portfolio's user, looked up once, to use them.
const byPortfolio = `user_id = (SELECT user_id FROM portfolios WHERE id = $1) AND portfolio_id = $1`

// InsertTrades stores trades of userID's accounts, all or none, in
// multi-row INSERTs. A trade without an ID gets a new one and a trade
// without a Key uses its ID as Key; both are written back into trades.
//
// IDs and Keys are unique per portfolio: another portfolio (of any user) may
// use the same ones. A Key or ID already stored in the trade's portfolio (or
// repeated in trades) is ErrConflict, so filter with TradeKeys first to make
// re-imports add only what is new. An account that is not userID's is
// ErrConstraint, as is a SplitFrom on a trade that is not a SPLIT, or a value
// with more places than its column keeps (ErrPrecision) or too large for it
// (ErrOverflow).
func (q *Queries) InsertTrades(ctx context.Context, userID string, trades []portfolio.Trade) error {
	if len(trades) == 0 {
		return nil
	}
	err := q.atomic(ctx, func(q *Queries) error {
		accounts, err := q.accountPortfolios(ctx, userID)
		if err != nil {
			return wrapErr("load accounts", err)
		}
		_, err = insertTrades.exec(ctx, q, len(trades), []any{userID, now()}, func(args []any, i int) ([]any, error) {
			t := &trades[i]
			if t.ID == "" {
				t.ID = ids.New()
			}
			if t.Key == "" {
				t.Key = t.ID
			}
			pid, ok := accounts[t.AccountID]
			if !ok {
				return nil, fmt.Errorf("trade %s: account %q is not one of user %s's: %w", t.ID, t.AccountID, userID, ErrConstraint)
			}
			lots, err := encodeLotPicks(t.Lots)
			if err != nil {
				return nil, fmt.Errorf("trade %s: %w", t.ID, err)
			}
			var c converter
			args = append(args, t.ID, pid, t.AccountID, t.Date.String(), string(t.Action), t.Symbol,
				c.scaled("quantity", t.Quantity, qtyPlaces),
				c.scaled("split from", t.SplitFrom, qtyPlaces),
				c.scaled("price", t.Price, moneyPlaces),
				c.scaled("fees", t.Fees, moneyPlaces),
				c.scaled("amount", t.Amount, moneyPlaces),
				t.Currency, lots, t.Note, t.Key)
			if c.err != nil {
				return nil, fmt.Errorf("trade %s: %s: %w", t.ID, c.field, c.err)
			}
			return args, nil
		})
		return wrapErr("insert", err)
	})
	if err != nil {
		return fmt.Errorf("store %d trades: %w", len(trades), err)
	}
	return nil
}

// TradeKeys returns the Key of every trade stored in the portfolio.
func (q *Queries) TradeKeys(ctx context.Context, portfolioID string) (map[string]struct{}, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT trade_key FROM trades WHERE `+byPortfolio, portfolioID)
	if err != nil {
		return nil, wrapErr("list trade keys", err)
	}
	defer rows.Close()
	keys := map[string]struct{}{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, wrapErr("list trade keys", err)
		}
		keys[k] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("list trade keys", err)
	}
	return keys, nil
}

// Trades returns every trade of the portfolio, by date and then ID ([]
// when there are none). Apply them in portfolio.Trade.Before order.
func (q *Queries) Trades(ctx context.Context, portfolioID string) ([]portfolio.Trade, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT id, account_id, trade_date, action, symbol,
		quantity, split_from, price, fees, amount, currency, lots, note, trade_key
		FROM trades WHERE `+byPortfolio+` ORDER BY trade_date, id`, portfolioID)
	if err != nil {
		return nil, wrapErr("list trades", err)
	}
	defer rows.Close()
	out := []portfolio.Trade{}
	for rows.Next() {
		var (
			t                              portfolio.Trade
			date, action, lots             string
			qty, from, price, fees, amount int64
		)
		if err := rows.Scan(&t.ID, &t.AccountID, &date, &action, &t.Symbol,
			&qty, &from, &price, &fees, &amount, &t.Currency, &lots, &t.Note, &t.Key); err != nil {
			return nil, wrapErr("list trades", err)
		}
		if t.Date, err = portfolio.ParseDate(date); err != nil {
			return nil, fmt.Errorf("list trades: trade %s: %w", t.ID, err)
		}
		if t.Lots, err = decodeLotPicks(lots); err != nil {
			return nil, fmt.Errorf("list trades: trade %s: %w", t.ID, err)
		}
		t.Action = portfolio.Action(action)
		t.Quantity, t.Price, t.Fees, t.Amount = qtyFromDB(qty), moneyFromDB(price), moneyFromDB(fees), moneyFromDB(amount)
		if from != 0 {
			t.SplitFrom = qtyFromDB(from)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("list trades", err)
	}
	return out, nil
}

// encodeLotPicks writes picks as "LOTID:QTY;LOTID" (a zero quantity is
// left out: "as many as needed").
func encodeLotPicks(picks []portfolio.LotPick) (string, error) {
	if len(picks) == 0 {
		return "", nil
	}
	var sb strings.Builder
	for i, p := range picks {
		if p.LotID == "" || strings.ContainsAny(p.LotID, ":;") {
			return "", fmt.Errorf("lot pick %q: a lot id must be non-empty without ':' or ';': %w", p.LotID, ErrConstraint)
		}
		if _, err := toScaled(p.Quantity, qtyPlaces); err != nil {
			return "", fmt.Errorf("lot pick %s: quantity: %w", p.LotID, err)
		}
		if i > 0 {
			sb.WriteByte(';')
		}
		sb.WriteString(p.LotID)
		if !p.Quantity.IsZero() {
			sb.WriteByte(':')
			sb.WriteString(p.Quantity.String())
		}
	}
	return sb.String(), nil
}

func decodeLotPicks(s string) ([]portfolio.LotPick, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ";")
	picks := make([]portfolio.LotPick, 0, len(parts))
	for _, part := range parts {
		id, qty, ok := strings.Cut(part, ":")
		p := portfolio.LotPick{LotID: id}
		if ok {
			d, err := decimal.NewFromString(qty)
			if err != nil {
				return nil, fmt.Errorf("stored lot pick %q: %w", part, err)
			}
			p.Quantity = d
		}
		picks = append(picks, p)
	}
	return picks, nil
}
