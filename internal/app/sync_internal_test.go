package app

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr"
)

// IB's tiered commissions carry more places than the books keep: a fill
// must round once instead of failing the whole sync.
func TestExecutionTradeRoundsCommission(t *testing.T) {
	comm := decimal.RequireFromString("1.00534675")
	e := ibkr.Execution{ExecID: "0001.01", Account: "DU1", Contract: ibkr.Contract{Symbol: "AAPL"}, Side: "BOT",
		Shares: decimal.NewFromInt(7), Price: decimal.RequireFromString("187.1234567"), Commission: &comm,
		Time: time.Date(2024, 3, 28, 20, 30, 0, 0, time.UTC)}
	tr, err := executionTrade(e, "acct")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Fees.String() != "1.005347" || tr.Price.String() != "187.123457" {
		t.Errorf("fees %s price %s, want 1.005347 and 187.123457", tr.Fees, tr.Price)
	}
	if tr.Date.String() != "2024-03-28" || tr.Key != "ib:exec:0001.01" {
		t.Errorf("date %s key %s", tr.Date, tr.Key)
	}
	// 20:30 UTC on a March evening is 16:30 in New York: still that day;
	// 02:00 UTC the next morning is the evening before in New York.
	e.Time = time.Date(2024, 3, 29, 2, 0, 0, 0, time.UTC)
	if tr, _ = executionTrade(e, "acct"); tr.Date.String() != "2024-03-28" {
		t.Errorf("an after-hours fill at 22:00 New York time dated %s, want 2024-03-28", tr.Date)
	}
}
