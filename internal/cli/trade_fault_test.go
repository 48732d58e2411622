package cli_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/gateway"
	"github.com/wealthalloc/wealthalloc/internal/demo"
	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/ibkr/sim"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// hearLog is a slog handler that passes each message to on.
type hearLog struct {
	on func(msg string, attrs map[string]string)
}

func (h hearLog) Enabled(context.Context, slog.Level) bool { return true }
func (h hearLog) Handle(_ context.Context, r slog.Record) error {
	attrs := map[string]string{}
	r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
	h.on(r.Message, attrs)
	return nil
}
func (h hearLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h hearLog) WithGroup(string) slog.Handler      { return h }

// TestTradeDropAfterPlaceOrder: the simulator drops the connection right
// after the order's first message (its openOrder) and before any
// orderStatus, execution or commission. The client reconnects and
// reconciles the order by its reference instead of sending it again: the
// simulator holds one order, and the store one filled order and one
// execution, with the lots booked.
func TestTradeDropAfterPlaceOrder(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "trade.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := app.OpenPortfolio(ctx, st, "local", "default")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.BuildDemo(ctx); err != nil {
		t.Fatal(err)
	}
	cfg, err := gateway.DemoConfig(demo.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	var (
		srv   *sim.Server
		mu    sync.Mutex
		drops []string
	)
	cfg.Logger = slog.New(hearLog{on: func(msg string, attrs map[string]string) {
		if msg != "fault: disconnect" {
			return
		}
		mu.Lock()
		drops = append(drops, attrs["after"])
		mu.Unlock()
		// Once is enough: the reconnection must be able to reconcile.
		go srv.SetFaults()
	}})
	if srv, err = sim.New(cfg); err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	// Preview on a connection of its own.
	c1, err := ibkr.Dial(ctx, ibkr.Config{Addr: addr, ClientID: 1})
	if err != nil {
		t.Fatal(err)
	}
	pv, err := p.PreviewTrade(ctx, c1, app.TradeRequest{Action: portfolio.Buy, Symbol: "AAPL", Quantity: decimal.NewFromInt(10),
		Type: ibkr.Market, Account: "taxable"})
	c1.Close()
	if err != nil {
		t.Fatal(err)
	}

	// The placing connection: its bootstrap is 5 messages (managed
	// accounts, next id, three farm notices), so the 6th is the order's
	// openOrder, after which the simulator closes the socket.
	srv.SetFaults(sim.Fault{Name: sim.FaultDisconnectAfter, Arg: "6"})
	c2, err := ibkr.Dial(ctx, ibkr.Config{Addr: addr, ClientID: 2, Reconnect: true, ReconnectBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	o, err := p.PlaceTrade(ctx, c2, pv, app.PlaceOptions{Wait: true})
	if err != nil {
		t.Fatalf("PlaceTrade: %v", err)
	}
	mu.Lock()
	if len(drops) != 1 || drops[0] != "6" {
		t.Errorf("drops = %v, want one after message 6", drops)
	}
	mu.Unlock()

	orders := srv.Orders()
	if len(orders) != 1 {
		t.Fatalf("the simulator received %d orders, want 1 (no resend): %+v", len(orders), orders)
	}
	if orders[0].OrderRef != o.OrderRef || orders[0].Status != "Filled" {
		t.Errorf("simulator order = %+v, want ref %s Filled", orders[0], o.OrderRef)
	}
	check := func(when string, filledEvents int) {
		t.Helper()
		got, err := p.Order(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.OrderFilled || !got.Filled.Equal(decimal.NewFromInt(10)) || got.BrokerOrderID == 0 ||
			!got.Commission.Equal(decimal.NewFromInt(1)) {
			t.Errorf("%s: stored order = %+v, want filled 10 with commission 1", when, got)
		}
		trades, err := st.Trades(ctx, p.PortfolioID)
		if err != nil {
			t.Fatal(err)
		}
		var fills []portfolio.Trade
		for _, tr := range trades {
			if strings.HasPrefix(tr.Key, "ib:exec:") {
				fills = append(fills, tr)
			}
		}
		if len(fills) != 1 || !fills[0].Quantity.Equal(decimal.NewFromInt(10)) || fills[0].Date != demo.AsOf ||
			!fills[0].Fees.Equal(decimal.NewFromInt(1)) {
			t.Errorf("%s: executions booked = %+v, want one BUY 10 AAPL on %s with fee 1", when, fills, demo.AsOf)
		}
		events, err := st.Events(ctx, p.PortfolioID, 0)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, e := range events {
			if e.Subject == o.ID {
				kinds[e.Kind]++
			}
		}
		if kinds["order.created"] != 1 || kinds["order.filled"] != filledEvents {
			t.Errorf("%s: order events = %v, want one order.created and %d order.filled", when, kinds, filledEvents)
		}
	}
	check("after the reconnect", 1)

	// A later status check by another process reconciles to the same
	// state and books nothing twice.
	c3, err := ibkr.Dial(ctx, ibkr.Config{Addr: addr, ClientID: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	stored, err := p.Order(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored.Status = store.OrderSubmitted // as if the process had died before the fill
	if _, err := p.RefreshOrder(ctx, c3, stored); err != nil {
		t.Fatal(err)
	}
	check("after trade status", 2)
	if n := len(srv.Orders()); n != 1 {
		t.Errorf("the simulator holds %d orders after the status check, want 1", n)
	}
}
