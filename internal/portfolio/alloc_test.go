package portfolio

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestAllocationDrift(t *testing.T) {
	classify := func(s string) Classification {
		if s == "BND" {
			return Classification{AssetClass: "bond", Sector: "Bonds", Region: "US"}
		}
		return Classification{AssetClass: "us_equity", Sector: "Equity", Region: "US"}
	}
	v := Valuation{Lots: []LotValue{
		{Lot: Lot{AccountID: "a", Symbol: "VTI", Quantity: adec("10")}, MarketValue: decimal.NewNullDecimal(adec("7000"))},
		{Lot: Lot{AccountID: "b", Symbol: "BND", Quantity: adec("10")}, MarketValue: decimal.NewNullDecimal(adec("2000"))},
	}, Cash: map[string]decimal.Decimal{"a": adec("1000")}}
	tg, err := ParseTargets(map[string]string{"VTI": "0.6", "BND": "30%", "bond": "0.4", "VXUS": "0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if !tg.Symbols["BND"].Equal(adec("0.3")) || !tg.Classes["bond"].Equal(adec("0.4")) {
		t.Fatalf("targets %+v", tg)
	}
	rows := Allocation(v, AllocSymbol, classify, nil, tg)
	got := map[string]AllocRow{}
	for _, r := range rows {
		got[r.Key] = r
	}
	// VTI: 70% vs 60% → +10pp, +1,000; BND 20% vs 30% → −10pp, −1,000; VXUS not held: −10pp, −1,000.
	for k, want := range map[string][2]string{"VTI": {"10", "1000"}, "BND": {"-10", "-1000"}, "VXUS": {"-10", "-1000"}} {
		r := got[k]
		if !r.DriftPP.Valid || !r.DriftPP.Decimal.Equal(adec(want[0])) || !r.DriftValue.Decimal.Equal(adec(want[1])) {
			t.Errorf("%s drift %v pp %v, want %s pp %s", k, r.DriftPP, r.DriftValue, want[0], want[1])
		}
	}
	if got["CASH"].Target.Valid {
		t.Error("cash has no target here")
	}
	rows = Allocation(v, AllocAssetClass, classify, nil, tg)
	for _, r := range rows {
		if r.Key == "bond" && !r.DriftPP.Decimal.Equal(adec("-20")) {
			t.Errorf("bond drift %v, want -20pp", r.DriftPP)
		}
	}
	if _, err := ParseTargets(map[string]string{"A": "0.7", "B": "0.5"}); err == nil {
		t.Error("symbol targets adding to 1.2: want an error")
	}
	st, err := SymbolTargets(Targets{Classes: map[string]decimal.Decimal{"us_equity": adec("0.8")}},
		map[string]decimal.Decimal{"VTI": adec("300"), "VOO": adec("100")}, classify)
	if err != nil || !st["VTI"].Equal(adec("0.6")) || !st["VOO"].Equal(adec("0.2")) {
		t.Errorf("SymbolTargets = %v, %v", st, err)
	}
}
