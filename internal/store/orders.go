package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ids"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// OrderStatus is where an order placed through the broker stands.
type OrderStatus string

// The order statuses. Pending is written before the order is sent; the
// rest follow the broker.
const (
	OrderPending         OrderStatus = "pending"          // stored, not yet acknowledged by the broker
	OrderSubmitted       OrderStatus = "submitted"        // working at the broker
	OrderPartiallyFilled OrderStatus = "partially_filled" // some shares executed, the rest working
	OrderFilled          OrderStatus = "filled"
	OrderCancelled       OrderStatus = "cancelled" // by the user, the broker or expiry; Filled may be > 0
	OrderRejected        OrderStatus = "rejected"  // Reason holds the broker's text
	OrderFailed          OrderStatus = "failed"    // never reached the broker: safe to place again
)

// Final reports whether no more changes follow the status.
func (s OrderStatus) Final() bool {
	switch s {
	case OrderFilled, OrderCancelled, OrderRejected, OrderFailed:
		return true
	}
	return false
}

// Order is one row of orders: an order placed (or about to be placed)
// through the broker. It is not a trade: the executions the broker
// confirms become trades.
type Order struct {
	ID             string // set by InsertOrder
	AccountID      string
	OrderRef       string // the idempotency key the broker carries
	PlanID         string // groups the orders of one harvest or rebalance plan
	HarvestID      string
	Symbol         string
	Action         portfolio.Action // BUY or SELL
	Quantity       decimal.Decimal
	Type           string // MKT, LMT, STP, STP LMT
	LimitPrice     decimal.NullDecimal
	StopPrice      decimal.NullDecimal
	TIF            string // DAY or GTC
	OutsideRTH     bool
	Lots           []portfolio.LotPick // a sale's lots, resolved before sending
	Status         OrderStatus
	BrokerStatus   string // IB's word: PreSubmitted, Submitted, Filled, Inactive, …
	BrokerOrderID  int64  // 0 until sent
	BrokerPermID   int64
	BrokerClientID int64
	Filled         decimal.Decimal
	AvgFillPrice   decimal.Decimal
	Commission     decimal.Decimal
	Reason         string // why it was rejected, failed or cancelled
	Gateway        string
	TradeDate      portfolio.Date // the day it was placed (exchange time)
	CreatedAt      time.Time
	UpdatedAt      time.Time
	SubmittedAt    *time.Time
	FinishedAt     *time.Time
}

// OrderFilter narrows Orders. Zero fields match everything.
type OrderFilter struct {
	Open      bool // only orders not final (pending, submitted, partially filled)
	From, To  portfolio.Date
	Symbol    string
	AccountID string
	PlanID    string
}

const orderColumns = `id, account_id, order_ref, plan_id, harvest_id, symbol, action, quantity, order_type,
	limit_price, stop_price, tif, outside_rth, lots, status, broker_status, broker_order_id, broker_perm_id,
	broker_client_id, filled, avg_fill_price, commission, reason, gateway, trade_date, created_at, updated_at,
	submitted_at, finished_at`

// InsertOrder stores a new order of userID in o.AccountID's portfolio with a
// new ID (written back into o). Its OrderRef must be new in the portfolio
// (else ErrConflict); an account that is not userID's is ErrConstraint.
func (q *Queries) InsertOrder(ctx context.Context, userID string, o *Order) error {
	o.ID = ids.New()
	o.CreatedAt = now()
	o.UpdatedAt = o.CreatedAt
	if o.Status == "" {
		o.Status = OrderPending
	}
	lots, err := encodeLotPicks(o.Lots)
	if err != nil {
		return fmt.Errorf("insert order: %w", err)
	}
	var c converter
	qty := c.scaled("quantity", o.Quantity, qtyPlaces)
	lmt := c.null("limit price", o.LimitPrice, moneyPlaces)
	stp := c.null("stop price", o.StopPrice, moneyPlaces)
	if c.err != nil {
		return fmt.Errorf("insert order: %s: %w", c.field, c.err)
	}
	var pid string
	err = q.db.QueryRowContext(ctx, `SELECT portfolio_id FROM external_accounts WHERE user_id = $1 AND id = $2`,
		userID, o.AccountID).Scan(&pid)
	if classify(err) == classNotFound {
		return fmt.Errorf("insert order %s: account %q is not one of user %s's: %w", o.OrderRef, o.AccountID, userID, ErrConstraint)
	}
	if err != nil {
		return wrapErr("insert order "+o.OrderRef, err)
	}
	_, err = q.db.ExecContext(ctx, `INSERT INTO orders (id, user_id, portfolio_id, account_id, order_ref, plan_id,
		harvest_id, symbol, action, quantity, order_type, limit_price, stop_price, tif, outside_rth, lots, status,
		gateway, trade_date, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20)`,
		o.ID, userID, pid, o.AccountID, o.OrderRef, o.PlanID, o.HarvestID, o.Symbol, string(o.Action), qty, o.Type,
		lmt, stp, o.TIF, o.OutsideRTH, lots, string(o.Status), o.Gateway, o.TradeDate.String(), o.CreatedAt)
	if err != nil {
		return wrapErr("insert order "+o.OrderRef, err)
	}
	return nil
}

// UpdateOrder writes o's broker state (status, broker ids, fills, reason,
// times); the order's terms never change. The first update to submitted or
// beyond sets SubmittedAt, the first to a final status FinishedAt (both
// written back into o). A missing order is ErrNotFound.
func (q *Queries) UpdateOrder(ctx context.Context, portfolioID string, o *Order) error {
	t := now()
	if o.SubmittedAt == nil && o.Status != OrderPending && o.Status != OrderFailed && o.BrokerStatus != "" {
		o.SubmittedAt = &t
	}
	if o.FinishedAt == nil && o.Status.Final() {
		o.FinishedAt = &t
	}
	o.UpdatedAt = t
	var c converter
	filled := c.scaled("filled", o.Filled, qtyPlaces)
	avg := c.scaled("average fill price", o.AvgFillPrice, moneyPlaces)
	comm := c.scaled("commission", o.Commission, moneyPlaces)
	if c.err != nil {
		return fmt.Errorf("update order %s: %s: %w", o.ID, c.field, c.err)
	}
	res, err := q.db.ExecContext(ctx, `UPDATE orders SET status = $1, broker_status = $2, broker_order_id = $3,
		broker_perm_id = $4, broker_client_id = $5, filled = $6, avg_fill_price = $7, commission = $8, reason = $9,
		submitted_at = $10, finished_at = $11, updated_at = $12 WHERE portfolio_id = $13 AND id = $14`,
		string(o.Status), o.BrokerStatus, nullInt(o.BrokerOrderID), nullInt(o.BrokerPermID), nullInt(o.BrokerClientID),
		filled, avg, comm, o.Reason, o.SubmittedAt, o.FinishedAt, t, portfolioID, o.ID)
	if err != nil {
		return wrapErr("update order "+o.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrapErr("update order "+o.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("update order %s: %w", o.ID, ErrNotFound)
	}
	return nil
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// Order finds one of the portfolio's orders by its ID or order reference,
// or by a prefix of either at least 6 characters long that only one order
// has. None is ErrNotFound; several is ErrConflict.
func (q *Queries) Order(ctx context.Context, portfolioID, ref string) (Order, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return Order{}, fmt.Errorf("order: no id given: %w", ErrNotFound)
	}
	find := func(where string, args ...any) ([]Order, error) {
		return q.orders(ctx, `SELECT `+orderColumns+` FROM orders WHERE portfolio_id = $1 AND (`+where+`) ORDER BY created_at, id LIMIT 2`,
			append([]any{portfolioID}, args...)...)
	}
	os, err := find(`id = $2 OR order_ref = $2`, ref)
	if err == nil && len(os) == 0 && len(ref) >= 6 && !strings.ContainsAny(ref, `%_\`) {
		os, err = find(`id LIKE $2 OR order_ref LIKE $2`, ref+"%")
	}
	switch {
	case err != nil:
		return Order{}, err
	case len(os) == 0:
		return Order{}, fmt.Errorf("order %s: %w", ref, ErrNotFound)
	case len(os) > 1:
		return Order{}, fmt.Errorf("order %s: several orders start with it; give more of the id: %w", ref, ErrConflict)
	}
	return os[0], nil
}

// Orders lists the portfolio's orders matching f, oldest first ([] when
// none).
func (q *Queries) Orders(ctx context.Context, portfolioID string, f OrderFilter) ([]Order, error) {
	query := `SELECT ` + orderColumns + ` FROM orders WHERE portfolio_id = $1`
	args := []any{portfolioID}
	add := func(cond string, v any) {
		args = append(args, v)
		query += fmt.Sprintf(" AND "+cond, len(args))
	}
	if f.Open {
		query += ` AND status IN ('pending', 'submitted', 'partially_filled')`
	}
	if f.From != 0 {
		add("trade_date >= $%d", f.From.String())
	}
	if f.To != 0 {
		add("trade_date <= $%d", f.To.String())
	}
	if f.Symbol != "" {
		add("symbol = $%d", strings.ToUpper(f.Symbol))
	}
	if f.AccountID != "" {
		add("account_id = $%d", f.AccountID)
	}
	if f.PlanID != "" {
		add("plan_id = $%d", f.PlanID)
	}
	return q.orders(ctx, query+` ORDER BY created_at, id`, args...)
}

func (q *Queries) orders(ctx context.Context, query string, args ...any) ([]Order, error) {
	rows, err := q.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrapErr("list orders", err)
	}
	defer rows.Close()
	out := []Order{}
	for rows.Next() {
		var (
			o                       Order
			action, lots, status    string
			date                    string
			qty, filled, avg, comm  int64
			lmt, stp                sql.NullInt64
			orderID, permID, client sql.NullInt64
			submitted, finished     sql.NullTime
			created, updated        time.Time
		)
		if err := rows.Scan(&o.ID, &o.AccountID, &o.OrderRef, &o.PlanID, &o.HarvestID, &o.Symbol, &action, &qty, &o.Type,
			&lmt, &stp, &o.TIF, &o.OutsideRTH, &lots, &status, &o.BrokerStatus, &orderID, &permID, &client,
			&filled, &avg, &comm, &o.Reason, &o.Gateway, &date, &created, &updated, &submitted, &finished); err != nil {
			return nil, wrapErr("list orders", err)
		}
		o.Action, o.Status = portfolio.Action(action), OrderStatus(status)
		o.Quantity, o.Filled = qtyFromDB(qty), qtyFromDB(filled)
		o.AvgFillPrice, o.Commission = moneyFromDB(avg), moneyFromDB(comm)
		o.LimitPrice, o.StopPrice = nullFromDB(lmt, moneyPlaces), nullFromDB(stp, moneyPlaces)
		o.BrokerOrderID, o.BrokerPermID, o.BrokerClientID = orderID.Int64, permID.Int64, client.Int64
		o.CreatedAt, o.UpdatedAt = created.UTC(), updated.UTC()
		if submitted.Valid {
			t := submitted.Time.UTC()
			o.SubmittedAt = &t
		}
		if finished.Valid {
			t := finished.Time.UTC()
			o.FinishedAt = &t
		}
		d, err := portfolio.ParseDate(date)
		if err != nil {
			return nil, fmt.Errorf("list orders: order %s: trade date %q: %w", o.ID, date, err)
		}
		o.TradeDate = d
		if o.Lots, err = decodeLotPicks(lots); err != nil {
			return nil, fmt.Errorf("list orders: order %s: %w", o.ID, err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("list orders", err)
	}
	return out, nil
}

// SetTradeBroker records the broker's ids on the portfolio's trade with
// key (an execution booked from an order): the order and permanent ids and
// the execution id. A missing trade is ErrNotFound.
func (q *Queries) SetTradeBroker(ctx context.Context, portfolioID, key string, orderID, permID int64, execID string) error {
	r, err := q.db.ExecContext(ctx, `UPDATE trades SET broker_order_id = $2, broker_perm_id = $3, broker_exec_id = $4,
		updated_at = $5 WHERE `+byPortfolio+` AND trade_key = $6`,
		portfolioID, fmt.Sprint(orderID), fmt.Sprint(permID), execID, now(), key)
	if err != nil {
		return wrapErr("set broker ids of "+key, err)
	}
	if c, err := r.RowsAffected(); err != nil {
		return wrapErr("set broker ids of "+key, err)
	} else if c == 0 {
		return fmt.Errorf("set broker ids of %s: %w", key, ErrNotFound)
	}
	return nil
}
