package portfolio

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

func gd(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func gLot(id, acct, sym, date, qty, basis string) Lot {
	d := MustDate(date)
	return Lot{ID: id, AccountID: acct, Symbol: sym, DateAcquired: d, AdjustedDateAcquired: d,
		OriginalQuantity: gd(qty), Quantity: gd(qty), OriginalBasis: gd(basis), CostBasis: gd(basis), AdjustedBasis: gd(basis)}
}

func gBar(sym, date, close string) Bar {
	return Bar{Symbol: sym, Date: MustDate(date), Close: gd(close)}
}

// groupFixture: two accounts, AAPL in both, MSFT without a price, cash in one.
func groupFixture() Valuation {
	lots := []Lot{
		gLot("a1", "tx", "AAPL", "2024-01-02", "10", "1000"),
		gLot("a2", "ira", "AAPL", "2024-02-01", "5", "600"),
		gLot("m1", "tx", "MSFT", "2024-03-01", "2", "700"),
		{ID: "closed", AccountID: "tx", Symbol: "AAPL", Quantity: decimal.Zero},
	}
	cash := map[string]decimal.Decimal{"tx": gd("500"), "ira": decimal.Zero}
	prices := map[string]Bar{"AAPL": gBar("AAPL", "2024-06-28", "150"), "MSFT": gBar("MSFT", "2024-07-01", "400")}
	return Value(MustDate("2024-06-30"), lots, cash, prices)
}

func TestValue(t *testing.T) {
	v := groupFixture()
	if len(v.Lots) != 3 {
		t.Fatalf("Value kept %d lots; want the 3 open ones", len(v.Lots))
	}
	// MSFT's only bar is after the valuation date: unpriced, listed, not zero.
	if diff := cmp.Diff([]string{"MSFT"}, v.Missing); diff != "" {
		t.Errorf("Missing (-want +got):\n%s", diff)
	}
	if got, want := v.Total(), gd("2750"); !got.Equal(want) { // 15×150 + 500
		t.Errorf("Total() = %s; want %s", got, want)
	}
}

func TestGroup(t *testing.T) {
	v := groupFixture()
	type row struct {
		Key, MV, PL string
		Weight      string // "" when null
		Lots        int
		Priced      bool
	}
	view := func(ps []Position) []row {
		out := make([]row, len(ps))
		for i, p := range ps {
			w := ""
			if p.Weight.Valid {
				w = p.Weight.Decimal.String()
			}
			out[i] = row{p.Key, p.MarketValue.String(), p.Unrealized.String(), w, p.Lots, p.Priced}
		}
		return out
	}
	tests := []struct {
		by   GroupBy
		want []row
	}{
		{BySymbol, []row{{"AAPL", "2250", "650", "0.818182", 2, true}, {"CASH", "500", "0", "0.181818", 0, true}, {"MSFT", "0", "0", "", 1, false}}},
		{ByAccount, []row{{"tx", "2000", "500", "0.727273", 2, true}, {"ira", "750", "150", "0.272727", 1, true}}},
		{ByLot, []row{{"a2", "750", "150", "0.272727", 1, true}, {"a1", "1500", "500", "0.545455", 1, true}, {"m1", "0", "0", "", 1, false}}},
		{BySector, []row{{"Tech", "2250", "650", "0.818182", 3, true}, {"Cash", "500", "0", "0.181818", 0, true}}},
	}
	classify := func(string) Classification { return Classification{AssetClass: "us_equity", Sector: "Tech"} }
	for _, tt := range tests {
		t.Run(string(tt.by), func(t *testing.T) {
			got := v.Group(tt.by, classify)
			if diff := cmp.Diff(tt.want, view(got)); diff != "" {
				t.Errorf("Group(%s) (-want +got):\n%s", tt.by, diff)
			}
			want := v.Total()
			if tt.by == ByLot { // lots only: cash has no lot
				want = want.Sub(v.CashTotal())
			}
			if total := Sum(got); !total.MarketValue.Equal(want) {
				t.Errorf("Sum(Group(%s)).MarketValue = %s; want %s", tt.by, total.MarketValue, want)
			}
		})
	}
}

func TestGroupUnrealizedPctUsesPricedBasisOnly(t *testing.T) {
	// The tx account holds priced AAPL (basis 1000, P&L +500) and unpriced
	// MSFT (basis 700): the percentage is over the 1000 that has a price.
	for _, p := range groupFixture().Group(ByAccount, nil) {
		if p.Key == "tx" && !p.UnrealizedPct.Decimal.Equal(gd("0.5")) {
			t.Errorf("tx unrealized pct = %s; want 0.5", p.UnrealizedPct.Decimal)
		}
	}
}

func TestValueHoldingsMatchesLots(t *testing.T) {
	v := groupFixture()
	hv := ValueHoldings(v.AsOf, Holdings(v.lotsOnly()), v.Cash,
		map[string]Bar{"AAPL": gBar("AAPL", "2024-06-28", "150"), "MSFT": gBar("MSFT", "2024-07-01", "400")})
	a, b := Sum(v.Group(BySymbol, nil)), Sum(hv.Group(BySymbol, nil))
	if !a.MarketValue.Equal(b.MarketValue) || !a.CostBasis.Equal(b.CostBasis) || a.Lots != b.Lots {
		t.Errorf("by holdings %s/%s/%d; by lots %s/%s/%d", b.MarketValue, b.CostBasis, b.Lots, a.MarketValue, a.CostBasis, a.Lots)
	}
}

func (v Valuation) lotsOnly() []Lot {
	out := make([]Lot, len(v.Lots))
	for i, l := range v.Lots {
		out[i] = l.Lot
	}
	return out
}
