package tax

import (
	"math"
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// Helpers are prefixed hv so they cannot collide with other test files of
// this package.

func hvDec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func hvDate(s string) portfolio.Date { return portfolio.MustDate(s) }

var hvAccounts = []portfolio.Account{
	{ID: "t", Name: "taxable", TaxType: portfolio.Taxable},
	{ID: "s", Name: "spouse", TaxType: portfolio.SpouseTaxable},
	{ID: "i", Name: "ira", TaxType: portfolio.TraditionalIRA},
	{ID: "r", Name: "roth", TaxType: portfolio.RothIRA},
}

// hvPolicy is the default policy at 35% short-term and 20% long-term.
func hvPolicy() HarvestPolicy {
	p := DefaultHarvestPolicy()
	p.ShortRate, p.LongRate = hvDec("0.35"), hvDec("0.20")
	return p
}

func hvLot(id, acct, sym, acquired, qty, basis string) portfolio.Lot {
	return portfolio.Lot{ID: id, AccountID: acct, Symbol: sym, OpenTradeID: id,
		DateAcquired: hvDate(acquired), AdjustedDateAcquired: hvDate(acquired),
		OriginalQuantity: hvDec(qty), Quantity: hvDec(qty),
		OriginalBasis: hvDec(basis), CostBasis: hvDec(basis), AdjustedBasis: hvDec(basis)}
}

func hvBuy(id, acct, sym, date, qty string) portfolio.Trade {
	return portfolio.Trade{ID: id, AccountID: acct, Symbol: sym, Date: hvDate(date), Action: portfolio.Buy, Quantity: hvDec(qty), Price: hvDec("1")}
}

func hvInput(asOf string, lots []portfolio.Lot, prices map[string]string, trades ...portfolio.Trade) HarvestInput {
	id, err := NewIdentical(DefaultIdentical)
	if err != nil {
		panic(err)
	}
	bars := map[string]portfolio.Bar{}
	for s, p := range prices {
		bars[s] = portfolio.Bar{Symbol: s, Date: hvDate(asOf), Close: hvDec(p)}
	}
	return HarvestInput{AsOf: hvDate(asOf), Accounts: hvAccounts, Lots: lots, Prices: bars, Trades: trades, Identical: id}
}

func TestCommission(t *testing.T) {
	for _, c := range []struct{ qty, price, want string }{
		{"100", "40", "1"},     // 100 × 0.005 = 0.50, raised to the $1 minimum
		{"1000", "50", "5"},    // 1000 × 0.005 = 5.00; 1% of 50,000 does not bind
		{"10000", "0.4", "40"}, // 50.00 capped at 1% of 4,000
		{"50", "1", "0.5"},     // the 0.50 cap (1% of 50) wins over the $1 minimum
		{"0.5", "400", "1"},    // a fractional share still pays the minimum
	} {
		if got := IBKRFixed.Of(hvDec(c.qty), hvDec(c.price)); !got.Equal(hvDec(c.want)) {
			t.Errorf("IBKRFixed.Of(%s, %s) = %s, want %s", c.qty, c.price, got, c.want)
		}
	}
}

// TestHeldLongTerm: long-term only when sold after the one-year anniversary
// (Pub 544: bought 2023-06-15, sold 2024-06-15 is short-term, 2024-06-16
// long-term); a Feb 29 anniversary falls on Feb 28.
func TestHeldLongTerm(t *testing.T) {
	for _, c := range []struct {
		acq, sale string
		want      bool
	}{
		{"2023-06-15", "2024-06-15", false},
		{"2023-06-15", "2024-06-16", true},
		{"2016-02-28", "2017-02-28", false}, // 366 days, still short-term
		{"2020-02-29", "2021-02-28", false},
		{"2020-02-29", "2021-03-01", true}, // AddDate would say Mar 1 is the anniversary
		{"2024-02-29", "2028-02-29", true},
	} {
		if got := heldLongTerm(hvDate(c.acq), hvDate(c.sale)); got != c.want {
			t.Errorf("heldLongTerm(%s, %s) = %v, want %v", c.acq, c.sale, got, c.want)
		}
	}
}

func TestScanHarvestNumbers(t *testing.T) {
	// 100 shares bought for $5,000.00, now $40: market value 4,000.00, loss
	// 1,000.00 = 20% of basis, short-term at 35% → saving 350.00.
	// Commission 1.00 a leg (0.50 raised to the minimum) → 2.00; spread
	// 4,000 × 0.0005 = 2.00 a leg → 4.00; costs 6.00; net 344.00.
	in := hvInput("2024-06-14", []portfolio.Lot{hvLot("b1", "t", "XYZ", "2024-01-10", "100", "5000")}, map[string]string{"XYZ": "40"})
	got := ScanHarvest(in, hvPolicy())
	if len(got.Opportunities) != 1 {
		t.Fatalf("opportunities = %d, want 1", len(got.Opportunities))
	}
	o := got.Opportunities[0]
	for _, c := range []struct {
		name string
		got  decimal.Decimal
		want string
	}{
		{"market value", o.MarketValue, "4000"}, {"loss", o.Loss, "1000"}, {"loss pct", o.LossPct, "0.2"},
		{"rate", o.Rate, "0.35"}, {"saving", o.Saving, "350"}, {"commissions", o.Commissions, "2"},
		{"spread", o.SpreadCost, "4"}, {"costs", o.Costs, "6"}, {"net", o.NetBenefit, "344"},
	} {
		if !c.got.Equal(hvDec(c.want)) {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
	if o.LongTerm || !o.WashSafe || o.LockoutUntil != hvDate("2024-07-15") {
		t.Errorf("long=%v safe=%v lockout=%s, want short, safe, 2024-07-15 (sale + 31 days)", o.LongTerm, o.WashSafe, o.LockoutUntil)
	}
	if !slices.Equal(o.LockoutSymbols, []string{"XYZ"}) {
		t.Errorf("lockout symbols = %v", o.LockoutSymbols)
	}

	// Held more than a year: the long-term rate, 1,000 × 0.20 = 200.00, net 194.00.
	in.Lots[0] = hvLot("b1", "t", "XYZ", "2023-06-13", "100", "5000")
	o = ScanHarvest(in, hvPolicy()).Opportunities[0]
	if !o.LongTerm || !o.Saving.Equal(hvDec("200")) || !o.NetBenefit.Equal(hvDec("194")) {
		t.Errorf("long-term lot: long=%v saving=%s net=%s, want true 200 194", o.LongTerm, o.Saving, o.NetBenefit)
	}
	// One day less: acquired 2023-06-14, sold on the anniversary → short-term.
	in.Lots[0] = hvLot("b1", "t", "XYZ", "2023-06-14", "100", "5000")
	if o = ScanHarvest(in, hvPolicy()).Opportunities[0]; o.LongTerm || !o.Saving.Equal(hvDec("350")) {
		t.Errorf("sold on the anniversary: long=%v saving=%s, want short-term 350", o.LongTerm, o.Saving)
	}
	// The adjusted acquisition date decides, not the trade date (§1223(3)).
	l := hvLot("b1", "t", "XYZ", "2024-05-01", "100", "5000")
	l.AdjustedDateAcquired = hvDate("2023-01-02")
	in.Lots[0] = l
	if o = ScanHarvest(in, hvPolicy()).Opportunities[0]; !o.LongTerm {
		t.Error("a replacement lot with a carried-over holding period is long-term")
	}
}

func TestScanHarvestThresholds(t *testing.T) {
	for _, c := range []struct {
		name         string
		qty, basis   string
		price        string
		policy       func(*HarvestPolicy)
		want         bool
		notWorthCost int
	}{
		// $100 minimum: 10 × 100.001 = 1,000.01 against 1,100 is a 99.99 loss.
		{name: "below min loss", qty: "10", basis: "1100", price: "100.001", want: false},
		{name: "at min loss", qty: "10", basis: "1100", price: "100", want: true}, // 100.00, 9.09%
		// 5% minimum: 100 × 95.0001 = 9,500.01 against 10,000 is 4.9999%.
		{name: "below min pct", qty: "100", basis: "10000", price: "95.0001", want: false},
		{name: "at min pct", qty: "100", basis: "10000", price: "95", want: true}, // 500.00 = 5%
		{name: "a gain", qty: "100", basis: "1000", price: "11", want: false},
		// With no percentage threshold a 2% loss qualifies: 200 × 0.35 = 70
		// against 2.00 + 2 × 4.90 = 11.80.
		{name: "pct off, small pct", qty: "10", basis: "10000", price: "980", policy: func(p *HarvestPolicy) { p.MinLossPct = decimal.Zero }, want: true},
		// ... but on a large lot the spread eats it: 200 loss saves 70 while
		// the spread on 99,800 costs 49.90 a leg.
		{name: "pct off, spread dominates", qty: "100", basis: "100000", price: "998", policy: func(p *HarvestPolicy) { p.MinLossPct = decimal.Zero }, want: false, notWorthCost: 1},
		// 1,000 loss saves 350; a 5% half-spread costs 200 a leg, with
		// 2.00 commission 402 in all: not worth it.
		{name: "costs exceed saving", qty: "100", basis: "5000", price: "40", policy: func(p *HarvestPolicy) { p.HalfSpread = hvDec("0.05") }, want: false, notWorthCost: 1},
		// 100 loss at 35% = 35.00 against 2.00 + 2 × (1000 × 0.0005) = 3.00: worth it.
		{name: "small but worth it", qty: "10", basis: "1100", price: "100", want: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := hvPolicy()
			if c.policy != nil {
				c.policy(&p)
			}
			got := ScanHarvest(hvInput("2024-06-14", []portfolio.Lot{hvLot("b1", "t", "XYZ", "2024-01-10", c.qty, c.basis)},
				map[string]string{"XYZ": c.price}), p)
			if (len(got.Opportunities) == 1) != c.want || got.NotWorthCost != c.notWorthCost {
				t.Errorf("opportunities = %d, not worth cost = %d; want found=%v, %d", len(got.Opportunities), got.NotWorthCost, c.want, c.notWorthCost)
			}
		})
	}
}

func TestScanHarvestAccounts(t *testing.T) {
	lots := []portfolio.Lot{
		hvLot("t1", "t", "XYZ", "2024-01-10", "100", "5000"),
		hvLot("s1", "s", "XYZ", "2024-01-10", "100", "5000"),
		hvLot("i1", "i", "XYZ", "2024-01-10", "100", "5000"),
		hvLot("r1", "r", "XYZ", "2024-01-10", "100", "5000"),
		hvLot("u1", "t", "NOPRICE", "2024-01-10", "100", "5000"),
	}
	in := hvInput("2024-06-14", lots, map[string]string{"XYZ": "40"})
	got := ScanHarvest(in, hvPolicy())
	var ids []string
	for _, o := range got.Opportunities {
		ids = append(ids, o.LotID)
	}
	// IRA and Roth losses are not deductible: only taxable and spouse lots.
	if !slices.Equal(ids, []string{"s1", "t1"}) {
		t.Errorf("lots = %v, want [s1 t1]", ids)
	}
	if !slices.Equal(got.Unpriced, []string{"NOPRICE"}) {
		t.Errorf("unpriced = %v", got.Unpriced)
	}
	in.Only = []string{"t"}
	if got = ScanHarvest(in, hvPolicy()); len(got.Opportunities) != 1 || got.Opportunities[0].LotID != "t1" {
		t.Errorf("--account taxable: %+v", got.Opportunities)
	}
	// A price dated after the scan is no price at all.
	in = hvInput("2024-06-14", lots[:1], nil)
	in.Prices = map[string]portfolio.Bar{"XYZ": {Symbol: "XYZ", Date: hvDate("2024-06-15"), Close: hvDec("40")}}
	if got = ScanHarvest(in, hvPolicy()); len(got.Opportunities) != 0 {
		t.Errorf("priced from the future: %+v", got.Opportunities)
	}
}

func TestScanHarvestWashSafety(t *testing.T) {
	asOf := "2024-06-14"
	lot := hvLot("b1", "t", "VOO", "2024-06-04", "100", "50000") // bought 200, 100 sold since
	prices := map[string]string{"VOO": "400"}
	for _, c := range []struct {
		name        string
		trades      []portfolio.Trade
		safe        bool
		blocking    []string
		reinvesting []string
		sold        map[string]string // trade ID → shares sold since; all: no lot left
	}{
		{name: "no purchases", safe: true},
		// Rev. Rul. 56-602: shares of the same purchase are no replacement.
		{name: "same purchase", trades: []portfolio.Trade{hvBuy("b1", "t", "VOO", "2024-06-04", "200")}, safe: true},
		// Another purchase of the symbol in the same account, 10 days ago.
		{name: "other lot", trades: []portfolio.Trade{hvBuy("b2", "t", "VOO", "2024-06-04", "5")}, blocking: []string{"b2"}},
		// Rev. Rul. 2008-5: a purchase in an IRA counts; day 30 before is in the window.
		{name: "IRA day 30", trades: []portfolio.Trade{hvBuy("ira1", "i", "VOO", "2024-05-15", "10")}, blocking: []string{"ira1"}},
		{name: "IRA day 31", trades: []portfolio.Trade{hvBuy("ira1", "i", "VOO", "2024-05-14", "10")}, safe: true},
		// Substantially identical (same index) in a Roth, and a spouse's purchase.
		{name: "Roth IVV", trades: []portfolio.Trade{hvBuy("roth1", "r", "IVV", "2024-06-13", "1")}, blocking: []string{"roth1"}},
		{name: "spouse SPY", trades: []portfolio.Trade{hvBuy("sp1", "s", "SPY", "2024-06-14", "1")}, blocking: []string{"sp1"}},
		{name: "different index", trades: []portfolio.Trade{hvBuy("x", "i", "VTI", "2024-06-13", "1")}, safe: true},
		{name: "after the scan date", trades: []portfolio.Trade{hvBuy("x", "i", "VOO", "2024-06-15", "1")}, safe: true},
		// Bought and sold entirely before today: no replacement, as in the
		// engine (REPLACEMENT-SOLD-BEFORE-THE-LOSS); partly sold still blocks.
		{name: "sold since", trades: []portfolio.Trade{hvBuy("b2", "t", "VOO", "2024-06-04", "5")}, sold: map[string]string{"b2": "all"}, safe: true},
		{name: "partly sold", trades: []portfolio.Trade{hvBuy("b2", "t", "VOO", "2024-06-04", "5")}, sold: map[string]string{"b2": "3"}, blocking: []string{"b2"}},
		// A dividend reinvested 20 days ago blocks and warns; one 100 days ago only warns.
		{name: "recent reinvest", trades: []portfolio.Trade{{ID: "dr1", AccountID: "t", Symbol: "VOO", Date: hvDate("2024-05-25"), Action: portfolio.Reinvest, Quantity: hvDec("0.123")}},
			blocking: []string{"dr1"}, reinvesting: []string{"dr1"}},
		{name: "older reinvests", trades: []portfolio.Trade{
			{ID: "dr0", AccountID: "t", Symbol: "VOO", Date: hvDate("2023-12-20"), Action: portfolio.Reinvest, Quantity: hvDec("0.1")},
			{ID: "dr1", AccountID: "t", Symbol: "VOO", Date: hvDate("2024-03-20"), Action: portfolio.Reinvest, Quantity: hvDec("0.1")},
			{ID: "dri", AccountID: "i", Symbol: "IVV", Date: hvDate("2024-03-21"), Action: portfolio.Reinvest, Quantity: hvDec("0.1")},
			{ID: "old", AccountID: "i", Symbol: "IVV", Date: hvDate("2023-06-14"), Action: portfolio.Reinvest, Quantity: hvDec("0.1")},
		}, safe: true, reinvesting: []string{"dr1", "dri"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Every purchase's shares are still held unless sold says otherwise
			// (at 400 a share: no loss, so no opportunity of their own).
			lots := []portfolio.Lot{lot}
			held := map[string]string{}
			for _, tr := range c.trades {
				q := tr.Quantity
				if c.sold[tr.ID] == "all" || tr.ID == lot.ID {
					continue
				} else if c.sold[tr.ID] != "" {
					q = q.Sub(hvDec(c.sold[tr.ID]))
				}
				held[tr.ID] = q.String()
				lots = append(lots, hvLot(tr.ID, tr.AccountID, tr.Symbol, tr.Date.String(), q.String(), q.Mul(hvDec("400")).String()))
			}
			got := ScanHarvest(hvInput(asOf, lots, prices, c.trades...), hvPolicy())
			if len(got.Opportunities) != 1 {
				t.Fatalf("opportunities = %d, want 1", len(got.Opportunities))
			}
			o := got.Opportunities[0]
			var blocking, reinvesting []string
			for _, p := range o.Blocking {
				blocking = append(blocking, p.TradeID)
				if p.Held.String() != held[p.TradeID] {
					t.Errorf("%s: held %s, want %s", p.TradeID, p.Held, held[p.TradeID])
				}
			}
			for _, p := range o.Reinvesting {
				reinvesting = append(reinvesting, p.TradeID)
			}
			if o.WashSafe != c.safe || !slices.Equal(blocking, c.blocking) || !slices.Equal(reinvesting, c.reinvesting) {
				t.Errorf("safe=%v blocking=%v reinvesting=%v; want %v %v %v", o.WashSafe, blocking, reinvesting, c.safe, c.blocking, c.reinvesting)
			}
			if !slices.Contains(o.LockoutSymbols, "IVV") || !slices.Contains(o.LockoutSymbols, "VOO") {
				t.Errorf("lockout symbols %v miss the S&P 500 group", o.LockoutSymbols)
			}
		})
	}
}

// hvSeries makes n daily bars from 2024-01-01 whose log returns are f(i).
func hvSeries(sym string, n int, f func(i int) float64) []portfolio.Bar {
	out := make([]portfolio.Bar, n)
	p := 100.0
	for i := range n {
		if i > 0 {
			p *= math.Exp(f(i))
		}
		out[i] = portfolio.Bar{Symbol: sym, Date: hvDate("2024-01-01").AddDays(i), Close: decimal.NewFromFloat(p).Round(6)}
	}
	return out
}

func TestScanHarvestReplacements(t *testing.T) {
	base := func(i int) float64 { return 0.02 * math.Sin(float64(i)*1.3) }
	noise := func(i int) float64 { return 0.02 * math.Cos(float64(i)*2.9) }
	hist := map[string][]portfolio.Bar{
		"VOO":   hvSeries("VOO", 200, base),
		"IVV":   hvSeries("IVV", 200, base), // identical: never suggested
		"A":     hvSeries("A", 200, base),
		"B":     hvSeries("B", 200, func(i int) float64 { return base(i) + noise(i) }),
		"BOND":  hvSeries("BOND", 200, base), // perfectly correlated, other asset class
		"IDX":   hvSeries("IDX", 200, base),  // an index cannot be bought
		"SHORT": hvSeries("SHORT", 30, base), // too little overlap for a figure
	}
	class := map[string]portfolio.Classification{
		"VOO": {AssetClass: "us_equity", Sector: "US Large Cap"}, "A": {AssetClass: "us_equity", Sector: "Tech"},
		"B": {AssetClass: "us_equity", Sector: "US Large Cap"}, "BOND": {AssetClass: "bond", Sector: "Bonds"},
		"IDX": {AssetClass: "index"}, "SHORT": {AssetClass: "us_equity", Sector: "US Large Cap"},
		"VTI": {AssetClass: "us_equity", Sector: "US Total Market"}, "SCHX": {AssetClass: "us_equity", Sector: "US Large Cap"},
	}
	asOf := hvDate("2024-01-01").AddDays(199)
	in := hvInput(asOf.String(), []portfolio.Lot{hvLot("b1", "t", "VOO", "2023-01-03", "100", "50000")}, map[string]string{"VOO": "400"})
	in.History = hist
	in.Classify = func(s string) portfolio.Classification { return class[s] }
	p := hvPolicy()
	p.Replacements = 10
	rs := ScanHarvest(in, p).Opportunities[0].Replacements
	var syms []string
	for _, r := range rs {
		syms = append(syms, r.Symbol)
	}
	// Same asset class first: A (r = 1), B (r < 1), then without a figure
	// SCHX (same sector, a partner), SHORT (same sector), VTI (partner);
	// then the bond fund despite r = 1. Never IVV (identical) or IDX.
	want := []string{"A", "B", "SCHX", "SHORT", "VTI", "BOND"}
	if !slices.Equal(syms, want) {
		t.Fatalf("replacements = %v, want %v", syms, want)
	}
	if !rs[0].HasCorrelation || math.Abs(rs[0].Correlation-1) > 1e-9 || rs[0].Overlap != 199 {
		t.Errorf("A: %+v, want r = 1 over 199 returns", rs[0])
	}
	if !rs[1].HasCorrelation || rs[1].Correlation > 0.9 || rs[1].Correlation < 0.3 || !rs[1].SameSector {
		t.Errorf("B: %+v, want a partial correlation in the same sector", rs[1])
	}
	if rs[3].HasCorrelation || rs[3].Overlap != 29 {
		t.Errorf("SHORT: %+v, want no figure from 29 returns", rs[3])
	}
	if !rs[4].Partner || rs[4].Overlap != 0 {
		t.Errorf("VTI: %+v, want a partner with no history", rs[4])
	}
	p.Replacements = 2
	if rs = ScanHarvest(in, p).Opportunities[0].Replacements; len(rs) != 2 {
		t.Errorf("limit 2: %d replacements", len(rs))
	}
}

func TestCorrelation(t *testing.T) {
	bars := func(sym string, start string, closes ...string) []portfolio.Bar {
		var out []portfolio.Bar
		for i, c := range closes {
			if c == "" {
				continue
			}
			out = append(out, portfolio.Bar{Symbol: sym, Date: hvDate(start).AddDays(i), Close: hvDec(c)})
		}
		return out
	}
	from, to := hvDate("2024-01-01"), hvDate("2024-12-31")
	a := bars("A", "2024-01-01", "100", "110", "99", "108.9", "100")
	// The same returns at another price level: r = 1.
	if got := Correlation(a, bars("B", "2024-01-01", "50", "55", "49.5", "54.45", "50"), from, to); !got.OK || math.Abs(got.R-1) > 1e-12 || got.Overlap != 4 {
		t.Errorf("same returns: %+v", got)
	}
	// Exactly opposite log returns: r = −1.
	if got := Correlation(a, bars("C", "2024-01-01", "100", "90.9090909091", "101.0101010101", "91.8273645546", "100"), from, to); !got.OK || got.R > -0.99 {
		t.Errorf("opposite returns: %+v", got)
	}
	// B missing day 3: returns are taken over the common dates only, so
	// the pairs are 1→2, 2→4, 4→5 and still match exactly.
	if got := Correlation(a, bars("B", "2024-01-01", "50", "55", "", "54.45", "50"), from, to); !got.OK || math.Abs(got.R-1) > 1e-12 || got.Overlap != 3 {
		t.Errorf("gap: %+v", got)
	}
	// The window cuts the series.
	if got := Correlation(a, a, hvDate("2024-01-02"), hvDate("2024-01-04")); got.Overlap != 2 {
		t.Errorf("window: overlap %d, want 2", got.Overlap)
	}
	// A constant series has no correlation.
	if got := Correlation(a, bars("K", "2024-01-01", "5", "5", "5", "5", "5"), from, to); got.OK {
		t.Errorf("constant: %+v", got)
	}
	if got := Correlation(a, nil, from, to); got.OK || got.Overlap != 0 {
		t.Errorf("no data: %+v", got)
	}
	// Hand-computed: xs 1,2,3 and ys 1,3,2 → sxy 1, sxx 2, syy 2 → r = 0.5.
	if r, ok := pearson([]float64{1, 2, 3}, []float64{1, 3, 2}); !ok || math.Abs(r-0.5) > 1e-15 {
		t.Errorf("pearson = %v %v, want 0.5", r, ok)
	}
	// Adjusted closes are used when every bar has one.
	adj := bars("D", "2024-01-01", "1", "1", "1", "1", "1")
	for i := range adj {
		adj[i].AdjClose = decimal.NewNullDecimal(a[i].Close)
	}
	if got := Correlation(a, adj, from, to); !got.OK || math.Abs(got.R-1) > 1e-12 {
		t.Errorf("adjusted closes: %+v", got)
	}
}

// TestScanHarvestReplacementsAvoidOtherLosses: a replacement must not wash
// another loss — neither another opportunity of the same scan (IBM and
// MSFT must not suggest each other) nor a loss sold in the last 30 days in
// any account (a symbol sold at a loss in the IRA counts too); a loss sold
// 31 days ago and a gain sold yesterday do not matter.
func TestScanHarvestReplacementsAvoidOtherLosses(t *testing.T) {
	base := func(i int) float64 { return 0.02 * math.Sin(float64(i)*1.3) }
	hist := map[string][]portfolio.Bar{}
	for _, s := range []string{"IBM", "MSFT", "AAPL", "SBUX", "ORCL", "HPQ", "DELL"} {
		hist[s] = hvSeries(s, 200, base)
	}
	asOf := hvDate("2024-01-01").AddDays(199)
	in := hvInput(asOf.String(), []portfolio.Lot{
		hvLot("l1", "t", "IBM", "2023-01-03", "100", "20000"),
		hvLot("l2", "t", "MSFT", "2023-01-03", "100", "20000"),
	}, map[string]string{"IBM": "100", "MSFT": "100"})
	in.History = hist
	in.Disposals = []portfolio.Disposal{
		{Symbol: "AAPL", AccountID: "t", DateSold: asOf.AddDays(-30), Proceeds: hvDec("900"), AdjustedBasis: hvDec("1000")},
		{Symbol: "SBUX", AccountID: "i", DateSold: asOf.AddDays(-2), Proceeds: hvDec("900"), AdjustedBasis: hvDec("1000")},
		{Symbol: "ORCL", AccountID: "t", DateSold: asOf.AddDays(-31), Proceeds: hvDec("900"), AdjustedBasis: hvDec("1000")},
		{Symbol: "HPQ", AccountID: "t", DateSold: asOf.AddDays(-1), Proceeds: hvDec("1100"), AdjustedBasis: hvDec("1000")},
	}
	p := hvPolicy()
	p.Replacements = 10
	scan := ScanHarvest(in, p)
	if len(scan.Opportunities) != 2 {
		t.Fatalf("%d opportunities, want 2", len(scan.Opportunities))
	}
	for _, o := range scan.Opportunities {
		var syms []string
		for _, r := range o.Replacements {
			syms = append(syms, r.Symbol)
		}
		slices.Sort(syms)
		if want := []string{"DELL", "HPQ", "ORCL"}; !slices.Equal(syms, want) {
			t.Errorf("%s: replacements %v, want %v", o.Symbol, syms, want)
		}
	}
}
