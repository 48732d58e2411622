package store

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// TestOrdersContract runs the orders table's contract on every engine.
func TestOrdersContract(t *testing.T) {
	for _, leg := range legs {
		t.Run(leg.name, func(t *testing.T) {
			t.Parallel()
			t.Run("lifecycle", func(t *testing.T) { t.Parallel(); testOrderLifecycle(t, leg.open(t)) })
			t.Run("harvest-execution", func(t *testing.T) { t.Parallel(); testHarvestExecution(t, leg.open(t)) })
		})
	}
}

func testOrderLifecycle(t *testing.T, s *Store) {
	ctx := t.Context()
	f := newFixture(t, s, "orders")
	q := s.Queries
	day := portfolio.MustDate("2008-11-20")
	o := &Order{AccountID: f.taxable.ID, OrderRef: "wa-ref-1", Symbol: "IBM", Action: portfolio.Sell, Quantity: d("150"),
		Type: "LMT", LimitPrice: nd("70.25"), TIF: "GTC", Lots: []portfolio.LotPick{{LotID: "b1", Quantity: d("100")}, {LotID: "b2", Quantity: d("50")}},
		Gateway: "127.0.0.1:4002", TradeDate: day}
	must(t, "InsertOrder", q.InsertOrder(ctx, f.user, o))
	if o.ID == "" || o.Status != OrderPending {
		t.Fatalf("inserted order: id %q status %q, want an id and pending", o.ID, o.Status)
	}
	// The reference is the idempotency key: a second order with it is refused.
	dup := &Order{AccountID: f.taxable.ID, OrderRef: "wa-ref-1", Symbol: "IBM", Action: portfolio.Buy, Quantity: d("1"), Type: "MKT", TIF: "DAY", TradeDate: day}
	wantErr(t, "duplicate order ref", q.InsertOrder(ctx, f.user, dup), ErrConflict)
	other, err := s.EnsureUser(ctx, "mallory")
	must(t, "EnsureUser", err)
	wantErr(t, "another user's account", q.InsertOrder(ctx, other, &Order{AccountID: f.taxable.ID, OrderRef: "x", Symbol: "IBM",
		Action: portfolio.Buy, Quantity: d("1"), Type: "MKT", TIF: "DAY", TradeDate: day}), ErrConstraint)

	got, err := q.Order(ctx, f.pf, o.ID)
	must(t, "Order by id", err)
	if got.OrderRef != "wa-ref-1" || !got.Quantity.Equal(d("150")) || !got.LimitPrice.Decimal.Equal(d("70.25")) || got.StopPrice.Valid ||
		len(got.Lots) != 2 || got.Lots[1].LotID != "b2" || got.TradeDate != day || got.TIF != "GTC" {
		t.Errorf("Order(%s) = %+v", o.ID, got)
	}
	byRef, err := q.Order(ctx, f.pf, "wa-ref-1")
	must(t, "Order by ref", err)
	if byRef.ID != o.ID {
		t.Errorf("Order(ref) = %s, want %s", byRef.ID, o.ID)
	}
	byPrefix, err := q.Order(ctx, f.pf, o.ID[:len(o.ID)-4])
	must(t, "Order by prefix", err)
	if byPrefix.ID != o.ID {
		t.Errorf("Order(prefix) = %s, want %s", byPrefix.ID, o.ID)
	}
	_, err = q.Order(ctx, f.pf, "nosuch")
	wantErr(t, "unknown order", err, ErrNotFound)

	o.Status, o.BrokerStatus, o.BrokerOrderID, o.BrokerPermID, o.BrokerClientID = OrderPartiallyFilled, "Submitted", 7, 1234, 17
	o.Filled, o.AvgFillPrice, o.Commission = d("100"), d("70.25"), d("1")
	must(t, "UpdateOrder", q.UpdateOrder(ctx, f.pf, o))
	if o.SubmittedAt == nil || o.FinishedAt != nil {
		t.Errorf("after a partial fill: submitted %v finished %v, want submitted only", o.SubmittedAt, o.FinishedAt)
	}
	open, err := q.Orders(ctx, f.pf, OrderFilter{Open: true})
	must(t, "Orders open", err)
	if len(open) != 1 || open[0].Status != OrderPartiallyFilled || open[0].BrokerOrderID != 7 || !open[0].Filled.Equal(d("100")) {
		t.Errorf("open orders = %+v", open)
	}
	o.Status, o.Reason = OrderCancelled, "cancelled by the user"
	must(t, "UpdateOrder final", q.UpdateOrder(ctx, f.pf, o))
	if o.FinishedAt == nil {
		t.Error("a final status set no FinishedAt")
	}
	open, err = q.Orders(ctx, f.pf, OrderFilter{Open: true})
	must(t, "Orders open", err)
	if len(open) != 0 {
		t.Errorf("open orders after cancel = %+v", open)
	}
	b := &Order{AccountID: f.ira.ID, OrderRef: "wa-ref-2", Symbol: "VTI", Action: portfolio.Buy, Quantity: d("3"), Type: "MKT", TIF: "DAY",
		TradeDate: day.AddDays(1)}
	must(t, "InsertOrder 2", q.InsertOrder(ctx, f.user, b))
	for _, tc := range []struct {
		name string
		f    OrderFilter
		want int
	}{
		{"all", OrderFilter{}, 2}, {"symbol", OrderFilter{Symbol: "vti"}, 1}, {"account", OrderFilter{AccountID: f.taxable.ID}, 1},
		{"from", OrderFilter{From: day.AddDays(1)}, 1}, {"to", OrderFilter{To: day}, 1}, {"none", OrderFilter{From: day.AddDays(5)}, 0},
	} {
		got, err := q.Orders(ctx, f.pf, tc.f)
		must(t, "Orders "+tc.name, err)
		if len(got) != tc.want {
			t.Errorf("Orders(%s) = %d orders, want %d", tc.name, len(got), tc.want)
		}
	}
	missing := &Order{ID: "nosuch", Status: OrderFilled, Filled: decimal.Zero}
	wantErr(t, "update missing", q.UpdateOrder(ctx, f.pf, missing), ErrNotFound)
}

func testHarvestExecution(t *testing.T, s *Store) {
	ctx := t.Context()
	f := newFixture(t, s, "harvest-exec")
	q := s.Queries
	day := portfolio.MustDate("2008-11-20")
	until := day.AddDays(31)
	rec, err := q.RecordHarvestScan(ctx, f.user, f.pf, day, nil, []Harvest{{AccountID: f.taxable.ID, Symbol: "IBM", LotID: "b1",
		Quantity: d("200"), AdjustedBasis: d("21193"), Price: d("61.27"), PriceDate: day, UnrealizedLoss: d("8939"),
		EstimatedSaving: d("2145"), Costs: d("14"), WashSafe: true, ReplacementSymbol: "MSFT", WashSaleUntil: &until}})
	must(t, "RecordHarvestScan", err)
	id := rec.Found[0].ID
	h, err := q.Harvest(ctx, f.pf, id[:len(id)-3])
	must(t, "Harvest by prefix", err)
	if h.ID != id {
		t.Fatalf("Harvest(prefix) = %s, want %s", h.ID, id)
	}
	x := HarvestExecution{ExecutedOn: day, SellTradeID: "ib-s1", BuyTradeID: "ib-b1", Replacement: "SBUX",
		RealizedLoss: nd("8216"), SafeAfter: day.AddDays(31)}
	must(t, "RecordHarvestExecution", q.RecordHarvestExecution(ctx, f.pf, id, x))
	h, err = q.Harvest(ctx, f.pf, id)
	must(t, "Harvest", err)
	if h.Status != HarvestExecuted || h.ExecutedOn == nil || *h.ExecutedOn != day || h.SellTradeID != "ib-s1" || h.BuyTradeID != "ib-b1" ||
		h.ReplacementSymbol != "SBUX" || !h.RealizedLoss.Decimal.Equal(d("8216")) || h.WashSaleUntil == nil || *h.WashSaleUntil != day.AddDays(31) {
		t.Errorf("executed harvest = %+v", h)
	}
	wantErr(t, "missing harvest", q.RecordHarvestExecution(ctx, f.pf, "nosuch", x), ErrNotFound)
	_, err = q.Harvest(ctx, f.pf, "nosuch")
	wantErr(t, "unknown harvest", err, ErrNotFound)
}
