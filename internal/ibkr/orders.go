package ibkr

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// ErrDuplicateOrderRef refuses a second order with an orderRef this client
// already placed, unless the first is known not to have reached the
// Gateway (StatusUnknown after reconciliation) or was rejected unfilled.
var ErrDuplicateOrderRef = errors.New("an order with this orderRef was already placed")

// ErrOrderUnknown is Trade.Wait's error for an order whose placeOrder may
// have been lost in a drop and that no open order or execution matches:
// retrying it is safe.
var ErrOrderUnknown = errors.New("the connection dropped before the Gateway confirmed the order, and no open order or execution carries its orderRef")

// ErrOrderGone is the Err of an order the Gateway had confirmed but that,
// after a reconnect (or in Reconcile), is neither open nor executed: it
// was cancelled, or expired (a DAY order at the close), while the
// connection was down, and the client missed the final orderStatus. The
// order takes status Cancelled so that Trade.Wait ends.
var ErrOrderGone = errors.New("the Gateway had confirmed the order, but it is no longer open and has no executions: it was cancelled or expired (a DAY order at the close) while the connection was down")

// Trade follows one placed order.
type Trade struct {
	c        *Client
	clientID int
	qty      decimal.Decimal

	mu      sync.Mutex
	state   OrderState
	acked   bool // the Gateway said something about it
	inDoubt bool // a drop hid whether it arrived; reconciliation pending
	changed chan struct{}
	done    chan struct{}
}

func newTrade(c *Client, clientID int, id int64, o Order) *Trade {
	t := &Trade{c: c, clientID: clientID, qty: o.Quantity, changed: make(chan struct{}), done: make(chan struct{})}
	t.state = OrderState{
		OrderID: id, OrderRef: o.OrderRef, Account: o.Account, Contract: o.Contract, Action: o.Action,
		Quantity: o.Quantity, Type: o.Type, Remaining: o.Quantity,
	}
	if o.Type == Limit || o.Type == StopLimit {
		t.state.LimitPrice = decimal.NullDecimal{Decimal: o.LimitPrice, Valid: true}
	}
	if o.Type == Stop || o.Type == StopLimit {
		t.state.StopPrice = decimal.NullDecimal{Decimal: o.StopPrice, Valid: true}
	}
	return t
}

// State is a copy of what is known about the order now.
func (t *Trade) State() OrderState {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.copyLocked()
}

func (t *Trade) copyLocked() OrderState {
	s := t.state
	s.Executions = slices.Clone(s.Executions)
	return s
}

// Done is closed when the order reaches a terminal status (Filled,
// Cancelled, ApiCancelled, Inactive, Unknown).
func (t *Trade) Done() <-chan struct{} { return t.done }

// Wait blocks until the order's status is one of statuses (any terminal
// status when none are given) and returns its state. An order the Gateway
// confirmed that is gone after a reconnect (cancelled or expired while the
// connection was down) ends Cancelled with Err ErrOrderGone. An order that ends in
// another terminal status returns an error, as does StatusUnknown
// (ErrOrderUnknown) and a rejection (the *APIError).
func (t *Trade) Wait(ctx context.Context, statuses ...string) (OrderState, error) {
	for {
		t.mu.Lock()
		st := t.copyLocked()
		ch := t.changed
		t.mu.Unlock()
		switch {
		case len(statuses) > 0 && slices.Contains(statuses, st.Status):
			return st, nil
		case st.Status == StatusUnknown:
			return st, fmt.Errorf("order %s: %w", st.OrderRef, ErrOrderUnknown)
		case terminal(st.Status) && st.Status == StatusInactive && st.Err != nil:
			return st, st.Err
		case terminal(st.Status) && len(statuses) == 0:
			return st, nil
		case terminal(st.Status) && st.Err != nil:
			return st, fmt.Errorf("order %d (%s) ended %s, not %s: %w", st.OrderID, st.OrderRef, st.Status, strings.Join(statuses, "/"), st.Err)
		case terminal(st.Status):
			return st, fmt.Errorf("order %d (%s) ended %s, not %s", st.OrderID, st.OrderRef, st.Status, strings.Join(statuses, "/"))
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return st, context.Cause(ctx)
		}
	}
}

// update changes the state under the lock and wakes waiters.
func (t *Trade) update(f func(s *OrderState)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := terminal(t.state.Status)
	f(&t.state)
	close(t.changed)
	t.changed = make(chan struct{})
	if !was && terminal(t.state.Status) {
		close(t.done)
	}
}

// retryable says whether a new order may reuse this trade's orderRef.
func (t *Trade) retryable() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.state
	return s.Status == StatusUnknown || (s.Status == StatusInactive && s.Err != nil && s.Filled.IsZero())
}

// PlaceOrder sends an order and returns at once; follow it with the
// Trade. Orders on accounts not starting with "DU" need Config.AllowLive.
// The order id comes from the Gateway's nextValidId sequence. A send that
// fails part way returns the Trade with the error: after a reconnect the
// client reconciles it by orderRef (see Reconcile) and never resends it.
func (c *Client) PlaceOrder(ctx context.Context, o Order) (*Trade, error) {
	o, err := o.validate()
	if err != nil {
		return nil, fmt.Errorf("ibkr: %w", err)
	}
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	cn, err := c.current(ctx)
	if err != nil {
		return nil, c.stepErr("placeOrder", err)
	}
	c.mu.Lock()
	if o.Account == "" {
		if len(c.accounts) != 1 {
			n := len(c.accounts)
			c.mu.Unlock()
			return nil, fmt.Errorf("ibkr: the order names no account and the Gateway manages %d", n)
		}
		o.Account = c.accounts[0]
	}
	if !slices.Contains(c.accounts, o.Account) {
		accts := strings.Join(c.accounts, ", ")
		c.mu.Unlock()
		return nil, fmt.Errorf("ibkr: account %s is not managed by this Gateway login (%s)", o.Account, accts)
	}
	if !c.cfg.AllowLive && !strings.HasPrefix(o.Account, "DU") {
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: account %s", ErrLiveAccount, o.Account)
	}
	if prev := c.refs[o.OrderRef]; prev != nil && !prev.retryable() {
		st := prev.State()
		c.mu.Unlock()
		return nil, fmt.Errorf("ibkr: orderRef %q: %w (order %d, status %q); call Reconcile", o.OrderRef, ErrDuplicateOrderRef, st.OrderID, st.Status)
	}
	id := c.seq
	c.seq++
	t := newTrade(c, cn.clientID, id, o)
	c.trades[id] = t
	c.refs[o.OrderRef] = t
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.trades, id)
		if c.refs[o.OrderRef] == t {
			delete(c.refs, o.OrderRef)
		}
		c.mu.Unlock()
	}
	frame, err := encPlaceOrder(id, o)
	if err != nil {
		forget()
		return nil, err
	}
	if err := c.write(ctx, cn, frame); err != nil {
		var se *StepError
		if !errors.As(err, &se) {
			forget() // never left the rate limiter: nothing was sent
			return nil, c.stepErr("placeOrder", err)
		}
		t.mu.Lock()
		t.inDoubt = true
		t.mu.Unlock()
		return t, c.stepErr("placeOrder", err)
	}
	c.log.Info("ibkr order placed", "orderId", id, "orderRef", o.OrderRef, "account", o.Account,
		"action", o.Action, "qty", o.Quantity.String(), "symbol", o.Contract.Symbol, "type", string(o.Type))
	return t, nil
}

// CancelOrder asks the Gateway to cancel an order and waits for its
// confirmation (202, or status Cancelled).
func (c *Client) CancelOrder(ctx context.Context, orderID int64) error {
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	cn, err := c.current(ctx)
	if err != nil {
		return c.stepErr("cancelOrder", err)
	}
	r := newRequest("cancelOrder")
	r.id = orderID
	c.mu.Lock()
	if cn.dropped {
		err := cn.dropErr
		c.mu.Unlock()
		return c.stepErr("cancelOrder", err)
	}
	c.cancels[orderID] = r
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		if c.cancels[orderID] == r {
			delete(c.cancels, orderID)
		}
		c.mu.Unlock()
	}()
	f, err := encCancelOrder(orderID)
	if err != nil {
		return err
	}
	if err := c.write(ctx, cn, f); err != nil {
		return c.stepErr("cancelOrder", err)
	}
	select {
	case <-r.done:
		if r.err != nil {
			if _, ok := r.err.(*APIError); ok {
				return r.err
			}
			return c.stepErr("cancelOrder", r.err)
		}
		return nil
	case <-ctx.Done():
		return c.stepErr("cancelOrder", fmt.Errorf("no confirmation: %w", context.Cause(ctx)))
	}
}

// GlobalCancel cancels every open order of every client (reqGlobalCancel).
func (c *Client) GlobalCancel(ctx context.Context) error {
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	f, err := encReqGlobalCancel()
	if err != nil {
		return err
	}
	if err := c.send(ctx, f); err != nil {
		return c.stepErr("globalCancel", err)
	}
	return nil
}

// OpenOrders lists the open orders of all API clients and TWS
// (reqAllOpenOrders).
func (c *Client) OpenOrders(ctx context.Context) ([]OrderState, error) {
	if err := acquire(ctx, c.semOpenOrders); err != nil {
		return nil, c.stepErr("openOrders", err)
	}
	defer func() { <-c.semOpenOrders }()
	out := []OrderState{}
	r := newRequest("openOrders")
	r.key = "openOrders"
	r.handle = func(m wire.Msg) bool {
		switch m.Layout {
		case wire.OpenOrderEnd:
			return true
		case wire.OpenOrder:
			st := openOrderState(m)
			for i := range out {
				if sameOrder(out[i], st) {
					st.Filled, st.Remaining, st.AvgFillPrice = out[i].Filled, out[i].Remaining, out[i].AvgFillPrice
					out[i] = st
					return false
				}
			}
			out = append(out, st)
		case wire.OrderStatus:
			id, perm := integer(m, "orderId"), integer(m, "permId")
			for i := range out {
				if (perm != 0 && out[i].PermID == perm) || (perm == 0 && out[i].OrderID == id) {
					applyOrderStatus(&out[i], m)
				}
			}
		}
		return false
	}
	err := c.run(ctx, r, func(int64) ([]byte, error) { return encReqAllOpenOrders() }, nil)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func sameOrder(a, b OrderState) bool {
	if a.PermID != 0 || b.PermID != 0 {
		return a.PermID == b.PermID
	}
	return a.OrderID == b.OrderID
}

func openOrderState(m wire.Msg) OrderState {
	return OrderState{
		OrderID: integer(m, "orderId"), PermID: integer(m, "permId"), OrderRef: m.Get("orderRef"),
		Account: m.Get("account"),
		Contract: Contract{ConID: integer(m, "conId"), Symbol: m.Get("symbol"), SecType: m.Get("secType"),
			Exchange: m.Get("exchange"), Currency: m.Get("currency")},
		Action: m.Get("action"), Quantity: dec(num(m, "totalQuantity")), Type: OrderType(m.Get("orderType")),
		LimitPrice: nullDec(num(m, "lmtPrice")), StopPrice: nullDec(num(m, "auxPrice")),
		Status: m.Get("status"), Remaining: dec(num(m, "totalQuantity")),
	}
}

func applyOrderStatus(s *OrderState, m wire.Msg) {
	if st := m.Get("status"); st != "" {
		s.Status = st
	}
	s.Filled = dec(num(m, "filled"))
	s.Remaining = dec(num(m, "remaining"))
	s.AvgFillPrice = dec(num(m, "avgFillPrice"))
	if p := integer(m, "permId"); p != 0 {
		s.PermID = p
	}
}

// tradeFor finds the trade an order message is about: same order id, and
// the same client id when the message names one.
func (c *Client) tradeFor(orderID int64, clientID int64, hasClient bool) *Trade {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.trades[orderID]
	if t == nil || (hasClient && clientID != int64(t.clientID)) {
		return nil
	}
	return t
}

func (c *Client) onOpenOrder(m wire.Msg) {
	if m.Layout == wire.OpenOrder {
		st := openOrderState(m)
		if t := c.tradeFor(st.OrderID, integer(m, "clientId"), true); t != nil {
			t.update(func(s *OrderState) {
				s.PermID = st.PermID
				// A terminal status is taken from orderStatus, which carries
				// the filled quantity and price; openOrder may say Filled
				// first (the order of the two is not fixed).
				if st.Status != "" && !terminal(s.Status) && !terminal(st.Status) {
					s.Status = st.Status
				}
			})
			t.mu.Lock()
			t.acked, t.inDoubt = true, false
			t.mu.Unlock()
		}
	}
	c.toSingle("openOrders", m)
}

func (c *Client) onOrderStatus(m wire.Msg) {
	id := integer(m, "orderId")
	status := m.Get("status")
	if t := c.tradeFor(id, integer(m, "clientId"), true); t != nil {
		t.update(func(s *OrderState) { applyOrderStatus(s, m) })
		t.mu.Lock()
		t.acked, t.inDoubt = true, false
		t.mu.Unlock()
	}
	if status == StatusCancelled || status == StatusApiCancelled {
		c.mu.Lock()
		r := c.cancels[id]
		c.mu.Unlock()
		if r != nil {
			r.finish(nil)
		}
	}
	c.toSingle("openOrders", m)
}

// orderError handles an error about an order: the answer to a pending
// cancel, or a notice or rejection of a placed order.
func (c *Client) orderError(e *APIError, cancel *request, t *Trade) {
	if cancel != nil {
		switch e.Class {
		case OrderNotice:
			cancel.finish(nil)
		case RequestFailed:
			cancel.finish(e)
			return
		}
	}
	if t == nil {
		return
	}
	if e.Class == Info {
		c.log.Debug("ibkr order notice", "orderId", e.ReqID, "code", e.Code, "msg", e.Message)
		return
	}
	c.log.Warn("ibkr order error", "orderId", e.ReqID, "code", e.Code, "msg", e.Message)
	t.update(func(s *OrderState) {
		s.Err = e
		if e.Class == RequestFailed && !terminal(s.Status) {
			s.Status = StatusInactive
		}
	})
	t.mu.Lock()
	t.acked, t.inDoubt = true, false
	t.mu.Unlock()
}

// parseExecution reads an execDetails. An execution time that does not
// parse is an error naming the execId (the execution comes back with a
// zero Time).
func parseExecution(m wire.Msg) (Execution, error) {
	x := Execution{
		ExecID: m.Get("execId"), OrderID: integer(m, "orderId"), PermID: integer(m, "permId"),
		ClientID: int(integer(m, "clientId")), Account: m.Get("acctNumber"),
		Contract: Contract{ConID: integer(m, "conId"), Symbol: m.Get("symbol"), SecType: m.Get("secType"),
			Exchange: m.Get("exchange"), Currency: m.Get("currency")},
		Side: m.Get("side"), Shares: dec(num(m, "shares")), Price: dec(num(m, "price")), OrderRef: m.Get("orderRef"),
	}
	t, err := parseIBTime(m.Get("time"))
	if err != nil {
		return x, fmt.Errorf("execution %s: %w", x.ExecID, err)
	}
	x.Time = t
	return x, nil
}

// IB corrects an execution by sending it again with the last dot-separated
// segment of its execId incremented ("0000e0d5.6569f2a1.01.01" becomes
// "….01.02"); the correction replaces the original.

// execBase splits an execId into the part shared by its corrections and
// its revision.
func execBase(id string) (base, rev string) {
	if i := strings.LastIndexByte(id, '.'); i >= 0 {
		return id[:i], id[i+1:]
	}
	return id, ""
}

// supersedes reports whether execution id b replaces a: the same
// execution, at the same or a later revision (the later arrival wins a
// tie).
func supersedes(b, a string) bool {
	ba, ra := execBase(a)
	bb, rb := execBase(b)
	if ba != bb {
		return false
	}
	na, ea := strconv.ParseUint(ra, 16, 64)
	nb, eb := strconv.ParseUint(rb, 16, 64)
	if ea != nil || eb != nil {
		return len(rb) > len(ra) || len(rb) == len(ra) && rb >= ra
	}
	return nb >= na
}

// sameExec reports whether two execIds are revisions of one execution.
func sameExec(a, b string) bool {
	ba, _ := execBase(a)
	bb, _ := execBase(b)
	return ba == bb
}

// mergeExec adds x to xs, replacing an earlier revision of it; an older
// revision than the one held is dropped.
func mergeExec(xs []Execution, x Execution) []Execution {
	for i := range xs {
		if sameExec(xs[i].ExecID, x.ExecID) {
			if supersedes(x.ExecID, xs[i].ExecID) {
				xs[i] = x
			}
			return xs
		}
	}
	return append(xs, x)
}

func (c *Client) onExecDetails(m wire.Msg) {
	x, err := parseExecution(m)
	if err != nil {
		c.log.Warn("ibkr execution time unreadable", "err", err)
	}
	c.mu.Lock()
	r := c.reqs[integer(m, "reqId")]
	cm, hasCm := c.commissions[x.ExecID]
	c.mu.Unlock()
	if hasCm {
		cm.apply(&x)
	}
	if r != nil && r.handle != nil {
		r.handle(m)
	}
	if t := c.tradeFor(x.OrderID, int64(x.ClientID), true); t != nil {
		t.update(func(s *OrderState) { s.Executions = mergeExec(s.Executions, x) })
	}
}

type commission struct {
	amount   decimal.Decimal
	currency string
	pnl      *decimal.Decimal
}

func (cm commission) apply(x *Execution) {
	a := cm.amount
	x.Commission, x.CommissionCurrency = &a, cm.currency
	if cm.pnl != nil {
		p := *cm.pnl
		x.RealizedPNL = &p
	}
}

// onCommission records a commission report (matched to executions by
// execId, whichever arrives first) and attaches it to a trade's execution.
func (c *Client) onCommission(m wire.Msg) {
	id := m.Get("execId")
	cm := commission{amount: dec(num(m, "commission")), currency: m.Get("currency")}
	if p := num(m, "realizedPNL"); p.Set {
		d := dec(p)
		cm.pnl = &d
	}
	c.mu.Lock()
	c.commissions[id] = cm
	close(c.commissionsCh)
	c.commissionsCh = make(chan struct{})
	var ts []*Trade
	for _, t := range c.trades {
		ts = append(ts, t)
	}
	c.mu.Unlock()
	for _, t := range ts {
		t.mu.Lock()
		hit := false
		for i := range t.state.Executions {
			if t.state.Executions[i].ExecID == id {
				cm.apply(&t.state.Executions[i])
				hit = true
			}
		}
		t.mu.Unlock()
		if hit {
			t.update(func(*OrderState) {})
		}
	}
}

// Executions lists executions (today's; the Gateway keeps no more) with
// their commissions. Commission reports are matched by execId whichever
// comes first, and late ones are awaited for Config.CommissionWait after
// execDetailsEnd. A corrected execution appears once, as its latest
// revision. An execution whose time cannot be read fails the call with an
// error naming its execId and the text.
func (c *Client) Executions(ctx context.Context, f ExecFilter) ([]Execution, error) {
	out := []Execution{}
	var perr error
	r := newRequest("executions")
	r.handle = func(m wire.Msg) bool {
		switch m.Layout {
		case wire.ExecDetailsEnd:
			return true
		case wire.ExecDetails:
			x, err := parseExecution(m)
			if err != nil {
				perr = cmp.Or(perr, err)
			}
			out = mergeExec(out, x)
		}
		return false
	}
	if err := c.run(ctx, r, func(id int64) ([]byte, error) { return encReqExecutions(id, f) }, nil); err != nil {
		return nil, err
	}
	if perr != nil {
		return nil, fmt.Errorf("ibkr: executions: %w", perr)
	}
	// Corrections replaced the executions they correct as they arrived
	// (mergeExec). The client-side filter repeats the Gateway's, whose time
	// filter is coarse.
	kept := out[:0]
	for _, x := range out {
		if (f.Symbol == "" || strings.EqualFold(x.Contract.Symbol, f.Symbol)) &&
			(f.Account == "" || x.Account == f.Account) &&
			(f.Since.IsZero() || x.Time.IsZero() || !x.Time.Before(f.Since)) {
			kept = append(kept, x)
		}
	}
	out = kept
	timer := time.NewTimer(c.cfg.CommissionWait)
	defer timer.Stop()
	for {
		c.mu.Lock()
		missing := 0
		for i := range out {
			if out[i].Commission != nil {
				continue
			}
			if cm, ok := c.commissions[out[i].ExecID]; ok {
				cm.apply(&out[i])
			} else {
				missing++
			}
		}
		ch := c.commissionsCh
		c.mu.Unlock()
		if missing == 0 {
			return out, nil
		}
		select {
		case <-ch:
		case <-timer.C:
			c.log.Debug("ibkr executions without commission report", "missing", missing)
			return out, nil
		case <-ctx.Done():
			return out, nil
		}
	}
}

// Reconcile looks for the order carrying orderRef among the Gateway's open
// orders and today's executions. found=false means nothing at the Gateway
// carries it, so placing it again does not duplicate it. The trading layer
// calls this before any retry; a Trade of this client that was in doubt
// takes the state found (or StatusUnknown).
func (c *Client) Reconcile(ctx context.Context, orderRef string) (*OrderState, bool, error) {
	open, err := c.OpenOrders(ctx)
	if err != nil {
		return nil, false, err
	}
	execs, err := c.Executions(ctx, ExecFilter{})
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	t := c.refs[orderRef]
	c.mu.Unlock()
	st, found := c.adopt(t, orderRef, open, execs)
	return st, found, nil
}

// adopt matches orderRef in open orders and executions and brings the
// local trade, if any, up to date.
func (c *Client) adopt(t *Trade, ref string, open []OrderState, execs []Execution) (*OrderState, bool) {
	var ex []Execution
	for _, x := range execs {
		if x.OrderRef == ref {
			ex = append(ex, x)
		}
	}
	var st *OrderState
	for i := range open {
		if open[i].OrderRef == ref {
			s := open[i]
			s.Executions = ex
			st = &s
			break
		}
	}
	if st == nil && len(ex) > 0 {
		x := ex[0]
		filled := decimal.Zero
		for _, e := range ex {
			filled = filled.Add(e.Shares)
		}
		action := "BUY"
		if x.Side == "SLD" {
			action = "SELL"
		}
		s := OrderState{OrderID: x.OrderID, PermID: x.PermID, OrderRef: ref, Account: x.Account, Contract: x.Contract,
			Action: action, Status: StatusFilled, Filled: filled, Executions: ex}
		if t != nil && filled.LessThan(t.qty) {
			s.Status = StatusCancelled // partly filled and no longer open
		}
		st = &s
	}
	if t == nil {
		return st, st != nil
	}
	t.mu.Lock()
	inDoubt, acked := t.inDoubt, t.acked
	t.mu.Unlock()
	if st == nil {
		if inDoubt || !acked {
			t.update(func(s *OrderState) { s.Status = StatusUnknown })
			t.mu.Lock()
			t.inDoubt = false
			t.mu.Unlock()
		} else {
			// Confirmed, yet gone: its final orderStatus was lost with the
			// connection. Without a final status Wait would block forever.
			t.update(func(s *OrderState) {
				if !terminal(s.Status) {
					s.Status, s.Err = StatusCancelled, ErrOrderGone
				}
			})
		}
		return nil, false
	}
	found := *st
	t.update(func(s *OrderState) {
		s.PermID = found.PermID
		if found.Status != "" && !terminal(s.Status) {
			s.Status = found.Status
		}
		if found.Filled.GreaterThan(s.Filled) {
			s.Filled = found.Filled
			s.Remaining = t.qty.Sub(found.Filled)
		}
		for _, x := range found.Executions {
			s.Executions = mergeExec(s.Executions, x)
		}
	})
	t.mu.Lock()
	t.inDoubt, t.acked = false, true
	t.mu.Unlock()
	return st, true
}

// reconcileInFlight runs after a reconnect: every order not yet terminal is
// looked up by orderRef, so one whose placeOrder was lost is marked
// StatusUnknown (safe to retry), one that arrived is followed again, and
// one the Gateway had confirmed that is neither open nor executed any more
// ends Cancelled with ErrOrderGone.
func (c *Client) reconcileInFlight(ctx context.Context) {
	c.mu.Lock()
	var ts []*Trade
	for _, t := range c.trades {
		if !terminal(t.State().Status) {
			ts = append(ts, t)
		}
	}
	c.mu.Unlock()
	if len(ts) == 0 {
		return
	}
	open, err := c.OpenOrders(ctx)
	if err != nil {
		c.log.Warn("ibkr reconcile after reconnect: open orders", "err", err)
		return
	}
	execs, err := c.Executions(ctx, ExecFilter{})
	if err != nil {
		c.log.Warn("ibkr reconcile after reconnect: executions", "err", err)
		return
	}
	for _, t := range ts {
		st, found := c.adopt(t, t.State().OrderRef, open, execs)
		status := StatusUnknown
		if found {
			status = st.Status
		}
		c.log.Info("ibkr order reconciled after reconnect", "orderRef", t.State().OrderRef, "found", found, "status", status)
	}
}
