package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// Order finds one of the portfolio's orders by id or reference (or a
// unique prefix of either).
func (p *Portfolio) Order(ctx context.Context, ref string) (store.Order, error) {
	o, err := p.Store.Order(ctx, p.PortfolioID, ref)
	if errors.Is(err, store.ErrNotFound) {
		return o, fmt.Errorf("no order %q (see \"wealthalloc trade list\")", ref)
	}
	return o, err
}

// Orders lists the portfolio's orders.
func (p *Portfolio) Orders(ctx context.Context, f store.OrderFilter) ([]store.Order, error) {
	os, err := p.Store.Orders(ctx, p.PortfolioID, f)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return os, nil
}

// RefreshOrder asks the broker where an order that is not final stands,
// by its reference (open orders and today's executions), records what it
// finds — new executions as trades — and returns the order. An order
// nothing at the broker carries is failed when the broker never
// acknowledged it (safe to place again), else cancelled: it ended while
// nobody watched (unless its executions were already booked, by sync for
// instance, which makes it filled).
func (p *Portfolio) RefreshOrder(ctx context.Context, b TradeBroker, o store.Order) (store.Order, error) {
	if o.Status.Final() {
		return o, nil
	}
	st, found, err := b.Reconcile(ctx, o.OrderRef)
	if err != nil {
		return o, &StepError{Op: "trade status", Step: "reconcile " + o.OrderRef, Err: err}
	}
	if found {
		_, err := p.applyState(ctx, &o, reconciled(*st, o), true)
		return o, err
	}
	booked, err := p.bookedShares(ctx, o)
	if err != nil {
		return o, err
	}
	switch {
	case booked.GreaterThanOrEqual(o.Quantity):
		o.Status, o.Filled = store.OrderFilled, booked
	case o.Status == store.OrderPending && booked.IsZero():
		o.Status, o.Reason = store.OrderFailed, "the gateway has no order or execution with its reference: it never arrived, and is safe to place again"
	default:
		o.Status, o.Reason = store.OrderCancelled, ibkr.ErrOrderGone.Error()
		if booked.IsPositive() {
			o.Filled = booked
		}
	}
	return o, p.saveOrder(ctx, &o, nil, "order."+string(o.Status))
}

// bookedShares counts the shares of o's executions already in the books
// (their trades carry its reference in the note).
func (p *Portfolio) bookedShares(ctx context.Context, o store.Order) (decimal.Decimal, error) {
	trades, err := p.Store.Trades(ctx, p.PortfolioID)
	if err != nil {
		return decimal.Zero, fmt.Errorf("load trades: %w", err)
	}
	n := decimal.Zero
	for _, t := range trades {
		if strings.HasSuffix(t.Note, " "+o.OrderRef) && strings.HasPrefix(t.Key, "ib:exec:") {
			n = n.Add(t.Quantity)
		}
	}
	return n, nil
}

// reconciled corrects a state Reconcile built from executions alone (the
// order no longer open): short of the order's quantity it was cancelled
// after a partial fill, not filled.
func reconciled(st ibkr.OrderState, o store.Order) ibkr.OrderState {
	if st.Status == "" {
		st.Status = ibkr.StatusSubmitted
	}
	if st.Status == ibkr.StatusFilled && st.Filled.LessThan(o.Quantity) {
		st.Status = ibkr.StatusCancelled
	}
	return st
}

// CancelOrder asks the broker to cancel a working order, then records
// where it ended (it may have filled, in part or whole, meanwhile).
func (p *Portfolio) CancelOrder(ctx context.Context, b TradeBroker, o store.Order) (store.Order, error) {
	o, err := p.RefreshOrder(ctx, b, o)
	if err != nil {
		return o, err
	}
	if o.Status.Final() {
		return o, fmt.Errorf("order %s is already %s: nothing to cancel", o.ID, o.Status)
	}
	if o.BrokerOrderID == 0 {
		return o, fmt.Errorf("order %s has no broker order id: it was never sent", o.ID)
	}
	if o.BrokerClientID != 0 && o.BrokerClientID != int64(b.ClientID()) {
		return o, fmt.Errorf("order %s was placed by API client id %d: IB lets only that client cancel it; connect with --client-id %d",
			o.ID, o.BrokerClientID, o.BrokerClientID)
	}
	if err := p.Store.AppendEvent(ctx, p.orderEvent("order.cancel_requested", &o, map[string]any{"broker_order_id": o.BrokerOrderID})); err != nil {
		return o, err
	}
	if err := b.CancelOrder(ctx, o.BrokerOrderID); err != nil {
		return o, &StepError{Op: "trade cancel", Step: "cancel order", Err: err}
	}
	st, found, err := b.Reconcile(ctx, o.OrderRef)
	if err != nil {
		return o, &StepError{Op: "trade cancel", Step: "reconcile " + o.OrderRef, Err: err}
	}
	if found {
		if _, err := p.applyState(ctx, &o, reconciled(*st, o), true); err != nil {
			return o, err
		}
	}
	if !o.Status.Final() {
		o.Status, o.Reason = store.OrderCancelled, "cancelled by the user"
		if err := p.saveOrder(ctx, &o, nil, "order.cancelled"); err != nil {
			return o, err
		}
	}
	return o, nil
}

// OrderAccountName names an order's account.
func OrderAccountName(accts []portfolio.Account, id string) string {
	for _, a := range accts {
		if a.ID == id {
			return a.Name
		}
	}
	return id
}
