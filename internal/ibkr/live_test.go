//go:build ibkrlive

package ibkr_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr"
)

// TestLiveGateway is an opt-in smoke test against a real IB Gateway or TWS:
//
//	IBKR_LIVE_ADDR=127.0.0.1:4002 go test -tags ibkrlive -run TestLiveGateway -v ./internal/ibkr/
//
// It prints the accounts, positions and a quote. It places an order only
// when every managed account is a paper account ("DU…"): a limit buy of one
// share far below the market, which it cancels at once.
// IBKR_LIVE_CLIENT_ID picks the client id (default 97), IBKR_LIVE_SYMBOL
// the symbol (default SPY).
func TestLiveGateway(t *testing.T) {
	addr := os.Getenv("IBKR_LIVE_ADDR")
	if addr == "" {
		t.Skip("IBKR_LIVE_ADDR not set")
	}
	clientID := 97
	if v := os.Getenv("IBKR_LIVE_CLIENT_ID"); v != "" {
		fmt.Sscan(v, &clientID)
	}
	symbol := os.Getenv("IBKR_LIVE_SYMBOL")
	if symbol == "" {
		symbol = "SPY"
	}
	ctx := t.Context()
	c, err := ibkr.Dial(ctx, ibkr.Config{Addr: addr, ClientID: clientID})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Logf("connected: server version %d, conn time %q, client id %d", c.ServerVersion(), c.ConnTime(), c.ClientID())
	t.Logf("accounts: %s", strings.Join(c.Accounts(), ", "))
	for _, f := range c.FarmStatus() {
		t.Logf("farm: %d %s", f.Code, f.Message)
	}
	if rtt, err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	} else {
		t.Logf("ping: %v", rtt)
	}
	pos, err := c.Positions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pos {
		t.Logf("position: %s %s %s @ %s", p.Account, p.Contract.Symbol, p.Quantity, p.AvgCost)
	}
	q, err := c.Quote(ctx, ibkr.Contract{Symbol: symbol})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("quote %s: bid %v ask %v last %v close %v delayed %v type %d", symbol, q.Bid, q.Ask, q.Last, q.Close, q.Delayed, q.MarketDataType)

	for _, a := range c.Accounts() {
		if !strings.HasPrefix(a, "DU") {
			t.Logf("account %s is not a paper account: no order placed", a)
			return
		}
	}
	ref := fmt.Sprintf("wa-live-smoke-%d", time.Now().Unix())
	ref0 := q.Close
	if !ref0.Valid {
		ref0 = q.Last
	}
	if !ref0.Valid {
		t.Log("no reference price: no order placed")
		return
	}
	limit := ref0.Decimal.Mul(decimal.RequireFromString("0.5")).Round(2)
	tr, err := c.PlaceOrder(ctx, ibkr.Order{Account: c.Accounts()[0], Contract: ibkr.Contract{Symbol: symbol}, Action: "BUY",
		Quantity: decimal.NewFromInt(1), Type: ibkr.Limit, LimitPrice: limit, OrderRef: ref})
	if err != nil {
		t.Fatal(err)
	}
	st, err := tr.Wait(ctx, ibkr.StatusSubmitted, ibkr.StatusPreSubmitted)
	t.Logf("placed %s: order %d status %s err %v", ref, st.OrderID, st.Status, err)
	if st2, found, err := c.Reconcile(ctx, ref); err != nil || !found {
		t.Errorf("Reconcile(%s) = %+v, %v, %v", ref, st2, found, err)
	}
	if err := c.CancelOrder(ctx, st.OrderID); err != nil {
		t.Fatal(err)
	}
	st, err = tr.Wait(ctx)
	t.Logf("after cancel: status %s err %v", st.Status, err)
}
