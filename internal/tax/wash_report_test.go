package tax

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// withSplits adds a 2-for-1 split of A and a 1-for-3 split of C in every
// account to a history, a third and two thirds of the way through, and
// leaves out what Replay then refuses.
func withSplits(trades []portfolio.Trade) []portfolio.Trade {
	if len(trades) < 3 {
		return trades
	}
	out := slices.Clone(trades)
	for _, a := range wsFuzzAccounts {
		out = append(out,
			portfolio.Trade{ID: "SA" + a.ID, AccountID: a.ID, Date: trades[len(trades)/3].Date, Action: portfolio.Split, Symbol: "A", Quantity: decimal.NewFromInt(2)},
			portfolio.Trade{ID: "SC" + a.ID, AccountID: a.ID, Date: trades[2*len(trades)/3].Date, Action: portfolio.Split, Symbol: "C", Quantity: decimal.NewFromInt(1), SplitFrom: decimal.NewFromInt(3)})
	}
	for {
		_, err := portfolio.Replay(wsFuzzAccounts, out)
		var be *portfolio.BookingError
		if err == nil || !errors.As(err, &be) {
			return out
		}
		n := slices.IndexFunc(out, func(t portfolio.Trade) bool { return t.ID == be.TradeID })
		if n < 0 {
			return out
		}
		out = slices.Delete(out, n, n+1)
	}
}

// TestApplyBookedMatchesApply: ApplyBooked on the ledger's integer records
// gives exactly what Apply gives on Ledger.Lots and Ledger.Disposals, gain
// by gain and lot by lot, and Report.Net is Net on its gains.
func TestApplyBookedMatchesApply(t *testing.T) {
	r := rand.New(rand.NewPCG(1091, 56602))
	for i := range 80 {
		b := make([]byte, 1200)
		for j := range b {
			b[j] = byte(r.UintN(256))
		}
		trades := wsValidHistory(b)
		if i%2 == 1 {
			trades = withSplits(trades)
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkApplyBooked(t, trades) })
	}
}

func FuzzApplyBooked(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x01\x00\x00\x04\x05\x00\x00\x00\x20\x01\x00\x00\x02"), false)
	f.Add([]byte("\x00\x00\x08\x80\x00\x00\x05\xf0\x02\x01\x00\x03\x03\x00\x00\x01\x00\x00\x0e\x10\x01\x01\x02\x02"), true)
	f.Fuzz(func(t *testing.T, data []byte, split bool) {
		trades := wsValidHistory(data)
		if split {
			trades = withSplits(trades)
		}
		checkApplyBooked(t, trades)
	})
}

func checkApplyBooked(t *testing.T, trades []portfolio.Trade) {
	ident, err := NewIdentical([][]string{{"A", "B"}})
	if err != nil {
		t.Fatal(err)
	}
	led, err := portfolio.Replay(wsFuzzAccounts, trades)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Apply(Input{Accounts: wsFuzzAccounts, Trades: trades, Lots: led.Lots(), Disposals: led.Disposals(), Identical: ident})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ApplyBooked(wsFuzzAccounts, trades, led.Booked(), ident)
	if err != nil {
		t.Fatal(err)
	}
	got := rep.Result()
	if w, g := wsCanon(want), wsCanon(got); w != g {
		t.Fatalf("ApplyBooked differs from Apply:\n%s\n---\n%s", w, g)
	}
	if rep.Len() != len(want.Gains) {
		t.Fatalf("Len %d, want %d", rep.Len(), len(want.Gains))
	}
	for n := range want.Gains {
		g, u := rep.Gain(n), rep.GainUnits(n)
		if wsCanon(Result{Gains: []Gain{g}}) != wsCanon(Result{Gains: want.Gains[n : n+1]}) {
			t.Fatalf("Gain(%d) = %+v, want %+v", n, g, want.Gains[n])
		}
		id := u.LotID
		if u.SubLot > 0 {
			id = SubLotID(id, u.SubLot)
		}
		if id != g.LotID || !fromUnits(u.GainLoss, portfolio.MoneyPlaces).Equal(g.GainLoss) ||
			!fromUnits(u.Quantity, portfolio.QuantityPlaces).Equal(g.Quantity) || u.Term != g.Term {
			t.Fatalf("GainUnits(%d) = %+v, Gain %+v", n, u, g)
		}
	}
	carry := Carryover{Short: decimal.Zero, Long: decimal.Zero}
	for y := 2022; y <= 2025; y++ {
		w, g := Net(want.Gains, y, carry, FilingSingle), rep.Net(y, carry, FilingSingle)
		if fmt.Sprintf("%+v", w) != fmt.Sprintf("%+v", g) {
			t.Fatalf("Report.Net(%d) = %+v, want %+v", y, g, w)
		}
		carry = w.CarryOut
	}
}

// TestHoldingTermCalendar checks the day-count shortcut of HoldingTerm
// against the calendar over every acquisition date of 2015–2025.
func TestHoldingTermCalendar(t *testing.T) {
	for d := portfolio.MustDate("2015-01-01"); d < portfolio.MustDate("2026-01-01"); d++ {
		anniv := d.AddYears(1)
		for s := d + 360; s < d+372; s++ {
			want := Short
			if s > anniv {
				want = Long
			}
			if got := HoldingTerm(d, s); got != want {
				t.Fatalf("HoldingTerm(%s, %s) = %s, want %s", d, s, got, want)
			}
		}
	}
}

func TestUnitSum(t *testing.T) {
	var s unitSum
	want := decimal.Zero
	for _, x := range []int64{maxUnits, maxUnits, 7, maxUnits, -3, maxUnits, maxUnits, maxUnits, maxUnits, maxUnits, maxUnits, maxUnits, maxUnits, maxUnits, maxUnits} {
		s.add(x)
		want = want.Add(fromUnits(x, portfolio.MoneyPlaces))
	}
	if !s.value().Equal(want) {
		t.Fatalf("sum %s, want %s", s.value(), want)
	}
}
