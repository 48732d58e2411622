package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/ids"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// PlaceOptions tune PlaceTrade.
type PlaceOptions struct {
	// Wait follows the order to a final status; otherwise PlaceTrade
	// returns once the broker acknowledged it.
	Wait bool
	// AckTimeout bounds the wait for the acknowledgement (default 15s);
	// Wait has no bound but ctx.
	AckTimeout time.Duration
	// AllowLive permits orders on live (non-DU) accounts: the config and
	// the command both said live.
	AllowLive bool
	// OnUpdate, if set, hears every change of the order (a status line).
	OnUpdate  func(store.Order)
	PlanID    string
	HarvestID string
	Gateway   string
}

// ErrAckTimeout: the broker did not acknowledge an order in time. Whether
// it arrived is unknown until it is reconciled by its reference.
var ErrAckTimeout = errors.New("no acknowledgement from the gateway")

// PlaceTrade sends the order of a preview. Its order row, with a new
// orderRef (the idempotency key the broker carries), is stored before
// anything is sent; the broker's statuses, executions and commissions are
// recorded as they come (executions as trades keyed ib:exec:<execId>, the
// same key sync uses, with the preview's lots), and every change is an
// event. A send cut by a dropped connection is never repeated: after a
// reconnect the client reconciles the order by its reference.
func (p *Portfolio) PlaceTrade(ctx context.Context, b TradeBroker, pv *TradePreview, opt PlaceOptions) (*store.Order, error) {
	if err := pv.Refused(); err != nil {
		return nil, err
	}
	r := pv.Request
	if pv.Live && !opt.AllowLive {
		return nil, fmt.Errorf("%w: account %s (%s) is not a paper (DU) account; to trade it, set \"trading:\\n  live: true\" in the config and pass --live",
			ibkr.ErrLiveAccount, pv.Account.Name, pv.Account.Number)
	}
	o := &store.Order{AccountID: pv.Account.ID, OrderRef: "wa-" + ids.New(), PlanID: opt.PlanID, HarvestID: opt.HarvestID,
		Symbol: r.Symbol, Action: r.Action, Quantity: r.Quantity, Type: string(r.Type), TIF: r.TIF, OutsideRTH: r.OutsideRTH,
		Lots: pv.Picks, Status: store.OrderPending, Gateway: opt.Gateway, TradeDate: pv.TradeDate}
	if r.Type == ibkr.Limit || r.Type == ibkr.StopLimit {
		o.LimitPrice = decimal.NewNullDecimal(r.Limit)
	}
	if r.Type == ibkr.Stop || r.Type == ibkr.StopLimit {
		o.StopPrice = decimal.NewNullDecimal(r.Stop)
	}
	err := p.Store.InTx(ctx, func(q *store.Queries) error {
		if err := q.InsertOrder(ctx, p.UserID, o); err != nil {
			return err
		}
		return q.AppendEvent(ctx, p.orderEvent("order.created", o, map[string]any{"type": o.Type, "quantity": o.Quantity.String(),
			"action": string(o.Action), "symbol": o.Symbol, "limit": o.LimitPrice, "stop": o.StopPrice, "tif": o.TIF,
			"lots": lotsText(o.Lots), "estimated_total": pv.Total.String()}))
	})
	if err != nil {
		return nil, fmt.Errorf("store the order before sending it: %w", err)
	}
	t, err := b.PlaceOrder(ctx, ibkr.Order{Account: pv.Account.Number,
		Contract: ibkr.Contract{ConID: pv.Contract.Contract.ConID, Symbol: r.Symbol, SecType: "STK", Exchange: "SMART", Currency: "USD"},
		Action:   string(r.Action), Quantity: r.Quantity, Type: r.Type, LimitPrice: r.Limit, StopPrice: r.Stop, TIF: r.TIF,
		OutsideRTH: r.OutsideRTH, OrderRef: o.OrderRef})
	if t == nil {
		// Nothing left this process: the order is safe to place again.
		o.Status, o.Reason = store.OrderFailed, "not sent: "+err.Error()
		if uerr := p.saveOrder(ctx, o, nil, "order.failed"); uerr != nil {
			return o, errors.Join(err, uerr)
		}
		return o, &StepError{Op: "trade", Step: "place order", Err: err}
	}
	st := t.State()
	o.BrokerOrderID, o.BrokerClientID = st.OrderID, int64(b.ClientID())
	kind := "order.sent"
	if err != nil {
		kind = "order.in_doubt" // the send was cut: reconciled by orderRef after the reconnect
		p.Logger.Warn("order send cut by a drop; following it by its reference", "orderRef", o.OrderRef, "err", err)
	}
	if err := p.saveOrder(ctx, o, nil, kind); err != nil {
		return o, err
	}
	return o, p.follow(ctx, t, o, opt)
}

// follow records the order's changes until it is acknowledged (or final,
// with Wait).
func (p *Portfolio) follow(ctx context.Context, t *ibkr.Trade, o *store.Order, opt PlaceOptions) error {
	ackBy := time.Now().Add(cmpDuration(opt.AckTimeout, 15*time.Second))
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		st := t.State()
		changed, err := p.applyState(ctx, o, st, false)
		if err != nil {
			return err
		}
		if changed && opt.OnUpdate != nil {
			opt.OnUpdate(*o)
		}
		if o.Status.Final() {
			break
		}
		if !opt.Wait && o.Status != store.OrderPending {
			return nil
		}
		if o.Status == store.OrderPending && time.Now().After(ackBy) {
			return fmt.Errorf("order %s (%s): %w within %s: it may or may not have arrived; \"wealthalloc trade status %s\" reconciles it by its reference (never place it again before that)",
				o.ID, o.OrderRef, ErrAckTimeout, cmpDuration(opt.AckTimeout, 15*time.Second), o.ID)
		}
		select {
		case <-t.Done():
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("order %s: stopped following it (%w); it stays %s at the broker: \"wealthalloc trade status %s\" shows where it stands",
				o.ID, context.Cause(ctx), o.Status, o.ID)
		}
	}
	// Commission reports may trail the final status: give them a moment.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) && missingCommission(t.State()) {
		time.Sleep(20 * time.Millisecond)
	}
	_, err := p.applyState(ctx, o, t.State(), true)
	return err
}

func cmpDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func missingCommission(st ibkr.OrderState) bool {
	for _, x := range st.Executions {
		if x.Commission == nil {
			return true
		}
	}
	return false
}

// brokerStatus maps the client's view of an order to the stored status.
func brokerStatus(st ibkr.OrderState, prev store.OrderStatus) (store.OrderStatus, string) {
	reason := ""
	if st.Err != nil {
		var api *ibkr.APIError
		if errors.As(st.Err, &api) {
			reason = fmt.Sprintf("IB error %d: %s", api.Code, api.Message)
		} else {
			reason = st.Err.Error()
		}
	}
	switch st.Status {
	case ibkr.StatusFilled:
		return store.OrderFilled, ""
	case ibkr.StatusCancelled, ibkr.StatusApiCancelled:
		return store.OrderCancelled, reason
	case ibkr.StatusInactive:
		if reason == "" {
			reason = "the broker made the order inactive"
		}
		return store.OrderRejected, reason
	case ibkr.StatusUnknown:
		return store.OrderFailed, "the connection dropped before the gateway confirmed the order, and nothing at the gateway carries its reference: it never arrived, and is safe to place again"
	case ibkr.StatusPendingSubmit, ibkr.StatusPreSubmitted, ibkr.StatusSubmitted:
		if st.Filled.IsPositive() {
			return store.OrderPartiallyFilled, reason
		}
		return store.OrderSubmitted, reason
	}
	return prev, ""
}

// applyState brings o up to st: status, fills and the executions the
// broker confirmed (those with a commission report, or all when final).
// It reports whether o changed.
func (p *Portfolio) applyState(ctx context.Context, o *store.Order, st ibkr.OrderState, final bool) (bool, error) {
	status, reason := brokerStatus(st, o.Status)
	var execs []ibkr.Execution
	for _, x := range st.Executions {
		if x.Commission != nil || final {
			execs = append(execs, x)
		}
	}
	commission := decimal.Zero
	for _, x := range st.Executions {
		if x.Commission != nil {
			commission = commission.Add(x.Commission.Abs())
		}
	}
	changed := status != o.Status || st.Status != o.BrokerStatus || !st.Filled.Equal(o.Filled) ||
		(st.PermID != 0 && st.PermID != o.BrokerPermID) || !commission.Equal(o.Commission) || reason != o.Reason && reason != ""
	if !changed && len(execs) == 0 {
		return false, nil
	}
	if status == store.OrderFilled && len(st.Executions) == 0 && !final {
		// Filled without its executions yet: wait for them rather than
		// record a fill the books cannot show.
		status = o.Status
	}
	prevStatus := o.Status
	o.Status, o.BrokerStatus = status, st.Status
	if reason != "" {
		o.Reason = reason
	}
	if st.PermID != 0 {
		o.BrokerPermID = st.PermID
	}
	if st.OrderID != 0 {
		o.BrokerOrderID = st.OrderID
	}
	if st.Filled.IsPositive() {
		o.Filled, o.AvgFillPrice = st.Filled, portfolio.RoundMoney(st.AvgFillPrice)
	}
	o.Commission = commission
	kind := ""
	if prevStatus != o.Status {
		kind = "order." + string(o.Status)
	} else if changed {
		kind = "order.updated"
	}
	return changed, p.saveOrder(ctx, o, execs, kind)
}

// saveOrder writes o and books execs (skipping those already stored) in
// one transaction, with an event of kind (none when empty).
func (p *Portfolio) saveOrder(ctx context.Context, o *store.Order, execs []ibkr.Execution, kind string) error {
	err := p.Store.InTx(ctx, func(q *store.Queries) error {
		added, err := p.recordFills(ctx, q, o, execs)
		if err != nil {
			return err
		}
		if err := q.UpdateOrder(ctx, p.PortfolioID, o); err != nil {
			return err
		}
		if kind == "" && added == 0 {
			return nil
		}
		if kind == "" {
			kind = "order.executions"
		}
		return q.AppendEvent(ctx, p.orderEvent(kind, o, map[string]any{"status": string(o.Status), "broker_status": o.BrokerStatus,
			"broker_order_id": o.BrokerOrderID, "perm_id": o.BrokerPermID, "filled": o.Filled.String(),
			"avg_fill_price": o.AvgFillPrice.String(), "commission": o.Commission.String(), "reason": o.Reason,
			"executions_recorded": added}))
	})
	if err != nil {
		return fmt.Errorf("record order %s: %w", o.ID, err)
	}
	return nil
}

func (p *Portfolio) orderEvent(kind string, o *store.Order, data map[string]any) store.Event {
	data["order_ref"] = o.OrderRef
	data["account_id"] = o.AccountID
	if o.PlanID != "" {
		data["plan_id"] = o.PlanID
	}
	return store.Event{UserID: p.UserID, PortfolioID: p.PortfolioID, Kind: kind, Subject: o.ID, Data: data}
}

// recordFills books executions of o as trades keyed by execution id, the
// key sync and the Flex import use, so a fill is never booked twice. A
// sale's executions take the order's lot picks in order: the first
// executed shares the first picks. The books are re-derived.
func (p *Portfolio) recordFills(ctx context.Context, q *store.Queries, o *store.Order, execs []ibkr.Execution) (int, error) {
	if len(execs) == 0 {
		return 0, nil
	}
	accts, err := q.Accounts(ctx, p.PortfolioID)
	if err != nil {
		return 0, fmt.Errorf("load accounts: %w", err)
	}
	stored, err := q.Trades(ctx, p.PortfolioID)
	if err != nil {
		return 0, fmt.Errorf("load trades: %w", err)
	}
	keys := map[string]bool{}
	done := decimal.Zero // shares of this order already booked
	for _, t := range stored {
		keys[t.Key] = true
		if strings.HasSuffix(t.Note, " "+o.OrderRef) {
			done = done.Add(t.Quantity)
		}
	}
	var fresh []portfolio.Trade
	for _, x := range execs {
		t, err := executionTrade(x, o.AccountID)
		if err != nil {
			return 0, err
		}
		if keys[t.Key] {
			continue
		}
		if x.OrderRef == "" {
			t.Note = strings.TrimSpace(t.Note + " " + o.OrderRef)
		}
		keys[t.Key] = true
		if o.Action == portfolio.Sell && len(o.Lots) > 0 {
			t.Lots = slicePicks(o.Lots, done, t.Quantity)
		}
		done = done.Add(t.Quantity)
		fresh = append(fresh, t)
	}
	if len(fresh) == 0 {
		return 0, nil
	}
	all := append(stored, fresh...)
	ledger, err := portfolio.Replay(accts, all)
	if err != nil {
		return 0, syncBookingFailure(err)
	}
	if err := q.InsertTrades(ctx, p.UserID, fresh); err != nil {
		return 0, fmt.Errorf("store executions: %w", err)
	}
	for i, t := range fresh {
		x := execs[0]
		for _, e := range execs {
			if "ib:exec:"+e.ExecID == t.Key {
				x = e
			}
		}
		if err := q.SetTradeBroker(ctx, p.PortfolioID, fresh[i].Key, x.OrderID, x.PermID, x.ExecID); err != nil {
			return 0, err
		}
	}
	return len(fresh), p.rebuild(ctx, q, accts, all, ledger)
}

// slicePicks returns the picks covering shares [from, from+n) of the
// order, in pick order.
func slicePicks(picks []portfolio.LotPick, from, n decimal.Decimal) []portfolio.LotPick {
	var out []portfolio.LotPick
	pos := decimal.Zero
	end := from.Add(n)
	for _, pk := range picks {
		lo, hi := pos, pos.Add(pk.Quantity)
		pos = hi
		a, b := decimal.Max(lo, from), decimal.Min(hi, end)
		if b.GreaterThan(a) {
			out = append(out, portfolio.LotPick{LotID: pk.LotID, Quantity: b.Sub(a)})
		}
	}
	return out
}

func lotsText(picks []portfolio.LotPick) string {
	parts := make([]string, len(picks))
	for i, p := range picks {
		parts[i] = p.LotID + ":" + p.Quantity.String()
	}
	return strings.Join(parts, ";")
}
