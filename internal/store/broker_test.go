package store

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// TestBrokerContract runs the broker-sync tables' contract on every engine.
func TestBrokerContract(t *testing.T) {
	for _, leg := range legs {
		t.Run(leg.name, func(t *testing.T) {
			t.Parallel()
			t.Run("broker-snapshot", func(t *testing.T) { t.Parallel(); testBrokerSnapshot(t, leg.open(t)) })
			t.Run("quotes", func(t *testing.T) { t.Parallel(); testQuotes(t, leg.open(t)) })
		})
	}
}

func testBrokerSnapshot(t *testing.T, s *Store) {
	ctx := t.Context()
	f := newFixture(t, s, "sync")
	q := s.Queries
	at := time.Date(2008, 11, 20, 21, 0, 0, 0, time.UTC)
	pos := []portfolio.BrokerPosition{
		{AccountID: f.taxable.ID, Symbol: "AAPL", ConID: 265598, Quantity: d("150.5"), AvgCost: d("98.123456")},
		{AccountID: f.ira.ID, Symbol: "VTI", ConID: 12345, Quantity: d("-3"), AvgCost: d("45")},
	}
	bal := []portfolio.BrokerBalance{{AccountID: f.taxable.ID, Tag: "TotalCashValue", Currency: "USD", Amount: d("1234.56")}}
	must(t, "ReplaceBrokerSnapshot", q.ReplaceBrokerSnapshot(ctx, f.user, f.pf, []string{f.taxable.ID, f.ira.ID}, pos, bal, at))
	gotPos, err := q.BrokerPositions(ctx, f.user, f.pf)
	must(t, "BrokerPositions", err)
	if diff := cmp.Diff(pos, gotPos, cmp.Comparer(decimal.Decimal.Equal)); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
	// A second sync of one account replaces that account only.
	must(t, "ReplaceBrokerSnapshot again", q.ReplaceBrokerSnapshot(ctx, f.user, f.pf, []string{f.taxable.ID}, nil, nil, at))
	gotPos, err = q.BrokerPositions(ctx, f.user, f.pf)
	must(t, "BrokerPositions", err)
	if len(gotPos) != 1 || gotPos[0].Symbol != "VTI" {
		t.Errorf("after replacing the taxable account: %+v, want only the IRA's VTI", gotPos)
	}
	gotBal, err := q.BrokerBalances(ctx, f.user, f.pf)
	must(t, "BrokerBalances", err)
	if len(gotBal) != 0 {
		t.Errorf("balances of the replaced account survived: %+v", gotBal)
	}
	// Quantities beyond the scale are refused, not rounded.
	bad := []portfolio.BrokerPosition{{AccountID: f.taxable.ID, Symbol: "X", Quantity: d("0.000000001"), AvgCost: d("1")}}
	wantErr(t, "sub-scale quantity", q.ReplaceBrokerSnapshot(ctx, f.user, f.pf, []string{f.taxable.ID}, bad, nil, at), ErrPrecision)
}

func testQuotes(t *testing.T, s *Store) {
	ctx := t.Context()
	q := s.Queries
	at := time.Date(2008, 11, 20, 20, 59, 1, 0, time.UTC)
	in := []portfolio.Quote{
		{Symbol: "AAPL", Bid: nd("80.49"), Ask: nd("80.51"), Last: nd("80.5"), Close: nd("82.58"), BidSize: nd("300"),
			Time: at, Fetched: at.Add(time.Second)},
		{Symbol: "HALT", Close: nd("10"), Delayed: true, Time: at, Fetched: at},
	}
	must(t, "UpsertQuotes", q.UpsertQuotes(ctx, in))
	got, err := q.Quotes(ctx, []string{"AAPL", "HALT", "NONE"})
	must(t, "Quotes", err)
	want := map[string]portfolio.Quote{"AAPL": in[0], "HALT": in[1]}
	if diff := cmp.Diff(want, got, cmp.Comparer(decimal.Decimal.Equal)); diff != "" {
		t.Errorf("quotes (-want +got):\n%s", diff)
	}
	in[0].Last = nd("81")
	must(t, "UpsertQuotes again", q.UpsertQuotes(ctx, in[:1]))
	got, err = q.Quotes(ctx, []string{"AAPL"})
	must(t, "Quotes", err)
	if !got["AAPL"].Last.Decimal.Equal(d("81")) {
		t.Errorf("upsert kept the old last: %v", got["AAPL"].Last)
	}
}
