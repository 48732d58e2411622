package ibkr_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr"
)

// TestOrderGoneAfterReconnect: an order the Gateway confirmed is cancelled
// while the connection is down (here by another client's global cancel;
// a DAY order expiring at the close is the same), so its final status never
// reaches this client. After the reconnect it ends Cancelled with
// ErrOrderGone instead of leaving Wait blocked.
func TestOrderGoneAfterReconnect(t *testing.T) {
	t.Parallel()
	srv, addr := startSim(t)
	cfg := clientConfig(addr)
	cfg.Reconnect = true
	cfg.ReconnectBackoff = time.Second
	c := dial(t, cfg)
	ctx := t.Context()
	tr, err := c.PlaceOrder(ctx, ibkr.Order{Contract: ibkr.Contract{Symbol: "VTI"}, Action: "BUY", Quantity: decimal.NewFromInt(1),
		Type: ibkr.Limit, LimitPrice: decimal.RequireFromString("100"), OrderRef: "gone"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Wait(ctx, ibkr.StatusSubmitted); err != nil {
		t.Fatal(err)
	}
	srv.DropConnections()
	other := clientConfig(addr)
	other.ClientID = 50
	c2 := dial(t, other)
	if err := c2.GlobalCancel(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the order cancelled at the simulator", func() bool {
		for _, o := range srv.Orders() {
			if o.OrderRef == "gone" {
				return o.Status == "Cancelled"
			}
		}
		return false
	})
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := tr.Wait(wctx)
	if err != nil || st.Status != ibkr.StatusCancelled || !errors.Is(st.Err, ibkr.ErrOrderGone) {
		t.Errorf("Wait = %+v, %v; want Cancelled with ErrOrderGone", st, err)
	}
	if _, err := tr.Wait(wctx, ibkr.StatusFilled); !errors.Is(err, ibkr.ErrOrderGone) {
		t.Errorf("Wait(Filled) = %v, want it to explain with ErrOrderGone", err)
	}
}
