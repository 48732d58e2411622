package app_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/ibkr/sim"
	"github.com/wealthalloc/wealthalloc/internal/importer"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// gateway starts a simulator with one account holding 10 AAPL at 100 and
// 10,000 cash, trading AAPL whose daily closes are 100…129.
func gateway(t *testing.T) (*sim.Server, *ibkr.Client) {
	t.Helper()
	var dates []string
	var closes []decimal.Decimal
	d := portfolio.MustDate("2024-03-01")
	for i := range 30 {
		dates = append(dates, d.AddDays(i).String())
		closes = append(closes, decimal.NewFromInt(int64(100+i)))
	}
	srv, err := sim.New(sim.Config{
		Prices:   map[string][]sim.Bar{"AAPL": sim.BarsFromCloses(dates, closes)},
		AsOf:     "2024-03-28",
		Accounts: []sim.Account{{ID: "DU1111111", Cash: dec("10000"), Positions: []sim.Position{{Symbol: "AAPL", Quantity: dec("10"), AvgCost: dec("100")}}}},
		Seed:     7,
	})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := ibkr.Dial(t.Context(), ibkr.Config{Addr: addr, ClientID: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c
}

func openPortfolio(t *testing.T) *app.Portfolio {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p, err := app.OpenPortfolio(t.Context(), st, "local", "default")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func buy(t *testing.T, c *ibkr.Client, qty int64, ref string) ibkr.OrderState {
	t.Helper()
	tr, err := c.PlaceOrder(t.Context(), ibkr.Order{Account: "DU1111111", Contract: ibkr.Contract{Symbol: "AAPL"}, Action: "BUY",
		Quantity: decimal.NewFromInt(qty), Type: ibkr.Market, OrderRef: ref})
	if err != nil {
		t.Fatal(err)
	}
	st, err := tr.Wait(t.Context(), ibkr.StatusFilled)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestSyncAdoptsBooksExecutionsAndIsIdempotent(t *testing.T) {
	_, c := gateway(t)
	p := openPortfolio(t)
	filled := buy(t, c, 5, "sync-test-1")

	res, err := p.Sync(t.Context(), c, app.SyncOptions{Gateway: "sim"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Accounts) != 1 || !res.Accounts[0].Created || res.Accounts[0].Broker != "DU1111111" {
		t.Fatalf("accounts %+v: want DU1111111 created", res.Accounts)
	}
	if res.Executions.Added != 1 {
		t.Fatalf("executions %+v: want the one fill added", res.Executions)
	}
	// 15 held at IB, 5 explained by the fill: 10 adopted, dated before it.
	if len(res.Adopted) != 1 || !res.Adopted[0].Quantity.Equal(dec("10")) || !res.Adopted[0].AvgCost.Equal(dec("100")) {
		t.Fatalf("adopted %+v: want 10 AAPL at 100", res.Adopted)
	}
	if len(res.Differences) != 0 {
		t.Fatalf("differences after adopting: %+v", res.Differences)
	}
	v, _, err := p.Valuation(t.Context(), portfolio.MustDate("2024-03-28"), false)
	if err != nil {
		t.Fatal(err)
	}
	var qty decimal.Decimal
	for _, l := range v.Lots {
		if l.Symbol == "AAPL" {
			qty = qty.Add(l.Quantity)
		}
	}
	if !qty.Equal(dec("15")) {
		t.Errorf("books hold %s AAPL, want 15", qty)
	}
	trades, err := p.Store.Trades(t.Context(), p.PortfolioID)
	if err != nil {
		t.Fatal(err)
	}
	var execTrade *portfolio.Trade
	for i := range trades {
		if strings.HasPrefix(trades[i].Key, "ib:exec:") {
			execTrade = &trades[i]
		}
	}
	if execTrade == nil || !execTrade.Price.Equal(filled.AvgFillPrice) || !execTrade.Fees.IsPositive() {
		t.Fatalf("stored execution %+v: want the fill at %s with its commission", execTrade, filled.AvgFillPrice)
	}

	again, err := p.Sync(t.Context(), c, app.SyncOptions{Gateway: "sim"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Executions.Added != 0 || again.Executions.Skipped != 1 || len(again.Adopted) != 0 || len(again.Differences) != 0 {
		t.Errorf("second sync %+v: want nothing new", again)
	}
}

func TestSyncReportsDisagreementsWithHistory(t *testing.T) {
	_, c := gateway(t)
	p := openPortfolio(t)
	if _, err := p.AddAccount(t.Context(), portfolio.Account{Name: "brokerage", Broker: "ibkr", Number: "DU1111111", TaxType: portfolio.Taxable}); err != nil {
		t.Fatal(err)
	}
	accts, err := p.Accounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	csv := "date,account,action,symbol,quantity,price,fees,amount\n" +
		"2024-01-02,brokerage,DEPOSIT,,,,,20000\n" +
		"2024-01-03,brokerage,BUY,AAPL,12,90,1,\n"
	rows, err := importer.ParseTradesCSV(strings.NewReader(csv), "h.csv", app.AccountResolver(accts))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.ImportTrades(t.Context(), "h.csv", rows, nil, false); err != nil {
		t.Fatal(err)
	}
	res, err := p.Sync(t.Context(), c, app.SyncOptions{Gateway: "sim", Today: portfolio.MustDate("2024-03-28")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accounts[0].Created || res.Accounts[0].Name != "brokerage" {
		t.Errorf("the account with number DU1111111 was not used: %+v", res.Accounts)
	}
	if len(res.Adopted) != 0 {
		t.Errorf("adopted %+v although the account has AAPL history", res.Adopted)
	}
	want := map[string][2]string{"AAPL": {"10", "12"}, "": {"10000", "18919"}}
	if len(res.Differences) != len(want) {
		t.Fatalf("differences %+v, want AAPL and cash", res.Differences)
	}
	for _, d := range res.Differences {
		w := want[d.Symbol]
		if !d.Broker.Equal(dec(w[0])) || !d.Books.Equal(dec(w[1])) {
			t.Errorf("difference %+v: want IB %s, books %s", d, w[0], w[1])
		}
	}
}

// A gateway that fails half-way leaves the store as it was.
func TestSyncWritesNothingWhenTheGatewayDrops(t *testing.T) {
	srv, c := gateway(t)
	p := openPortfolio(t)
	srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, err := p.Sync(ctx, c, app.SyncOptions{Gateway: "sim", Today: portfolio.MustDate("2024-03-28")})
	var se *app.StepError
	if !asStep(err, &se) || se.Step != "positions" || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("sync against a closed gateway: %v; want a positions StepError", err)
	}
	accts, err := p.Accounts(t.Context())
	if err != nil || len(accts) != 0 {
		t.Errorf("accounts after the failed sync: %v %v", accts, err)
	}
}

func asStep(err error, target **app.StepError) bool {
	for err != nil {
		if se, ok := err.(*app.StepError); ok {
			*target = se
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// History imported after a sync replaces what the sync had adopted for the
// same account and symbol, instead of counting twice.
func TestImportAfterSyncReplacesAdoptions(t *testing.T) {
	_, c := gateway(t)
	p := openPortfolio(t)
	res, err := p.Sync(t.Context(), c, app.SyncOptions{Gateway: "sim", Today: portfolio.MustDate("2024-03-28")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Adopted) != 1 {
		t.Fatalf("adopted %+v", res.Adopted)
	}
	accts, err := p.Accounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	csv := "date,account,action,symbol,quantity,price,fees,amount\n" +
		"2024-01-02,DU1111111,DEPOSIT,,,,,11000\n" +
		"2024-01-10,DU1111111,BUY,AAPL,10,100,0,\n"
	rows, err := importer.ParseTradesCSV(strings.NewReader(csv), "history.csv", app.AccountResolver(accts))
	if err != nil {
		t.Fatal(err)
	}
	imp, err := p.ImportTrades(t.Context(), "history.csv", rows, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if imp.ReplacedAdoptions != 2 {
		t.Errorf("replaced %d adoptions, want the AAPL lot and the opening deposit", imp.ReplacedAdoptions)
	}
	again, err := p.Sync(t.Context(), c, app.SyncOptions{Gateway: "sim", Today: portfolio.MustDate("2024-03-28")})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Adopted) != 0 || len(again.Differences) != 0 {
		t.Errorf("after importing the history: adopted %+v, differences %+v; want none", again.Adopted, again.Differences)
	}
}
