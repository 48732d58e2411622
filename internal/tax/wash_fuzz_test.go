package tax

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

var wsFuzzAccounts = []portfolio.Account{
	{ID: "tx", TaxType: portfolio.Taxable, LotMethod: portfolio.FIFO},
	{ID: "hi", TaxType: portfolio.Taxable, LotMethod: portfolio.HIFO},
	{ID: "sp", TaxType: portfolio.SpouseTaxable, LotMethod: portfolio.LIFO},
	{ID: "ira", TaxType: portfolio.TraditionalIRA},
	{ID: "roth", TaxType: portfolio.RothIRA},
}

// wsHistory turns fuzz bytes into a valid trade history: 4 bytes a trade
// (account, symbol, action and size, day step and price) over symbols A and
// B (substantially identical) and C, with buys, fractional reinvestments,
// sales by lot method and sales naming lots, all within a few months so
// that windows overlap and chains form. Each trade is booked on a ledger as
// it is made; one the ledger refuses is left out.
func wsHistory(data []byte) []portfolio.Trade {
	led := portfolio.NewLedger(wsFuzzAccounts)
	var out []portfolio.Trade
	day := portfolio.MustDate("2023-01-02")
	for i := 0; i+4 <= len(data) && len(out) < 300; i += 4 {
		b := data[i : i+4]
		acct := wsFuzzAccounts[int(b[0])%len(wsFuzzAccounts)].ID
		sym := []string{"A", "B", "C"}[int(b[1])%3]
		day = day.AddDays(int(b[3]) % 6)
		price := decimal.NewFromInt(int64(5 + int(b[3])/8)) // 5..36: gains and losses both common
		id := fmt.Sprintf("T%03d", i/4)
		kind := int(b[2]) % 8
		qty := decimal.NewFromInt(int64(1 + int(b[2])/8%12))
		if int(b[1])/3%3 == 0 {
			qty = qty.Add(decimal.New(25, -2)) // fractional shares
		}
		var t portfolio.Trade
		switch {
		case kind <= 2:
			t = portfolio.Trade{ID: id, AccountID: acct, Date: day, Action: portfolio.Buy, Symbol: sym,
				Quantity: qty, Price: price, Fees: decimal.New(int64(b[0])%3, -1)}
		case kind == 3: // a dividend reinvested in a fraction of a share
			q := decimal.New(int64(1+int(b[2])%97), -3)
			t = portfolio.Trade{ID: id, AccountID: acct, Date: day, Action: portfolio.Reinvest, Symbol: sym,
				Quantity: q, Amount: portfolio.RoundMoney(q.Mul(price))}
		default:
			var lots []portfolio.Lot
			held := decimal.Zero
			for _, l := range led.OpenLots() {
				if l.AccountID == acct && l.Symbol == sym {
					lots = append(lots, l)
					held = held.Add(l.Quantity)
				}
			}
			if !held.IsPositive() {
				continue
			}
			q := decimal.Min(qty, held)
			t = portfolio.Trade{ID: id, AccountID: acct, Date: day, Action: portfolio.Sell, Symbol: sym,
				Quantity: q, Price: price, Fees: decimal.New(int64(b[1])%2, 0)}
			if t.Fees.GreaterThanOrEqual(q.Mul(price)) {
				t.Fees = decimal.Zero
			}
			if kind == 6 {
				// Name the lots, last listed first, with quantities.
				left := q
				for n := len(lots) - 1; n >= 0 && left.IsPositive(); n-- {
					x := decimal.Min(left, lots[n].Quantity)
					t.Lots = append(t.Lots, portfolio.LotPick{LotID: lots[n].ID, Quantity: x})
					left = left.Sub(x)
				}
			}
		}
		if led.Apply(t) == nil {
			out = append(out, t)
		}
	}
	return out
}

func FuzzWash(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x01\x00\x00\x04\x05\x00\x00\x00\x20\x01\x00\x00\x02"))
	f.Add([]byte("\x00\x00\x08\x80\x00\x00\x05\xf0\x02\x01\x00\x03\x03\x00\x00\x01\x00\x00\x0e\x10\x01\x01\x02\x02"))
	r := rand.New(rand.NewPCG(7, 11))
	for range 4 {
		b := make([]byte, 400)
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		trades := wsValidHistory(data)
		wsProperties(t, trades)
	})
}

// wsValidHistory is wsHistory with what Replay refuses left out: Replay
// books a day's purchases before its sales, so a sale generated between two
// same-day purchases may book differently and make a later pick invalid.
func wsValidHistory(data []byte) []portfolio.Trade {
	trades := wsHistory(data)
	for {
		_, err := portfolio.Replay(wsFuzzAccounts, trades)
		var be *portfolio.BookingError
		if err == nil || !errors.As(err, &be) {
			return trades
		}
		n := slices.IndexFunc(trades, func(t portfolio.Trade) bool { return t.ID == be.TradeID })
		if n < 0 {
			return trades
		}
		trades = slices.Delete(trades, n, n+1)
	}
}

func wsProperties(t *testing.T, trades []portfolio.Trade) {
	ident, err := NewIdentical([][]string{{"A", "B"}})
	if err != nil {
		t.Fatal(err)
	}
	led, err := portfolio.Replay(wsFuzzAccounts, trades)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	in := Input{Accounts: wsFuzzAccounts, Trades: trades, Lots: led.Lots(), Disposals: led.Disposals(), Identical: ident}
	res, carves, err := apply(in, true)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}

	// Basis is conserved: what the sold shares carried plus what the open
	// lots carry is what was paid plus the losses carried into replacements
	// (permanently disallowed losses go nowhere).
	paid, carried, sold, open := decimal.Zero, decimal.Zero, decimal.Zero, decimal.Zero
	for _, l := range in.Lots {
		paid = paid.Add(l.OriginalBasis)
	}
	for _, g := range res.Gains {
		sold = sold.Add(g.CostBasis)
		carried = carried.Add(g.WashDisallowed.Sub(g.PermanentAmount))
		loss := decimal.Max(g.CostBasis.Sub(g.Proceeds), decimal.Zero)
		switch {
		case !g.GainLoss.Equal(g.Proceeds.Sub(g.CostBasis).Add(g.WashDisallowed)):
			t.Errorf("gain %s/%s: gain/loss %s ≠ proceeds − basis + disallowed", g.SellID, g.LotID, g.GainLoss)
		case g.WashDisallowed.IsNegative() || g.WashDisallowed.GreaterThan(loss):
			t.Errorf("gain %s/%s: disallowed %s outside [0, loss %s]", g.SellID, g.LotID, g.WashDisallowed, loss)
		case !g.Taxable && !g.WashDisallowed.IsZero():
			t.Errorf("gain %s/%s in an IRA has a wash adjustment", g.SellID, g.LotID)
		case g.PermanentAmount.GreaterThan(g.WashDisallowed) || g.PermanentAmount.IsNegative():
			t.Errorf("gain %s/%s: permanent %s outside [0, disallowed]", g.SellID, g.LotID, g.PermanentAmount)
		case g.Term != HoldingTerm(g.AdjustedDateAcquired, g.DateSold) || g.AdjustedDateAcquired > g.DateAcquired:
			t.Errorf("gain %s/%s: term or adjusted date wrong", g.SellID, g.LotID)
		}
	}
	var sumCarves int64
	for _, c := range carves {
		if !c.permanent {
			sumCarves += c.amount
		}
	}
	if !carried.Equal(fromUnits(sumCarves, portfolio.MoneyPlaces)) {
		t.Errorf("disallowed less permanent %s ≠ carried into replacement lots %s", carried, fromUnits(sumCarves, portfolio.MoneyPlaces))
	}
	for _, l := range res.Lots {
		open = open.Add(l.AdjustedBasis)
	}
	if !sold.Add(open).Equal(paid.Add(carried)) {
		t.Errorf("basis not conserved: sold %s + open %s ≠ paid %s + carried %s", sold, open, paid, carried)
	}

	// Sub-lots add up to their lot.
	type sums struct{ oq, q, ob, cb decimal.Decimal }
	subs := map[string]*sums{}
	for _, l := range res.Lots {
		k := BaseLotID(l.ID)
		s := subs[k]
		if s == nil {
			s = &sums{decimal.Zero, decimal.Zero, decimal.Zero, decimal.Zero}
			subs[k] = s
		}
		s.oq, s.q = s.oq.Add(l.OriginalQuantity), s.q.Add(l.Quantity)
		s.ob, s.cb = s.ob.Add(l.OriginalBasis), s.cb.Add(l.CostBasis)
	}
	for _, l := range in.Lots {
		s := subs[l.ID]
		if s == nil || !s.oq.Equal(l.OriginalQuantity) || !s.q.Equal(l.Quantity) || !s.ob.Equal(l.OriginalBasis) || !s.cb.Equal(l.CostBasis) {
			t.Errorf("sub-lots of %s do not add up to it", l.ID)
		}
	}

	// No share replaces twice; replacements are other purchases of
	// identical stock within 30 days of the sale, never in the same lot.
	byLot := map[int32][]carve{}
	for _, c := range carves {
		byLot[c.lot] = append(byLot[c.lot], c)
		rl, d := &in.Lots[c.lot], &in.Disposals[c.disp]
		if rl.ID == d.LotID || !ident.Same(rl.Symbol, d.Symbol) ||
			rl.DateAcquired < d.DateSold.AddDays(-30) || rl.DateAcquired > d.DateSold.AddDays(30) {
			t.Errorf("lot %s cannot replace the sale %s of lot %s", rl.ID, d.SellTradeID, d.LotID)
		}
	}
	for li, cs := range byLot {
		slices.SortFunc(cs, func(a, b carve) int { return int(a.start - b.start) })
		for n := 1; n < len(cs); n++ {
			if cs[n].start < cs[n-1].end {
				t.Errorf("shares of lot %s replace twice", in.Lots[li].ID)
			}
		}
	}

	// The result depends only on the history, not on the order of the input.
	want := wsCanon(res)
	r := rand.New(rand.NewPCG(uint64(len(trades)), 3))
	shuffled := slices.Clone(trades)
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	led2, err := portfolio.Replay(wsFuzzAccounts, shuffled)
	if err != nil {
		t.Fatalf("Replay of shuffled trades: %v", err)
	}
	lots, disps := led2.Lots(), led2.Disposals()
	r.Shuffle(len(lots), func(i, j int) { lots[i], lots[j] = lots[j], lots[i] })
	r.Shuffle(len(disps), func(i, j int) { disps[i], disps[j] = disps[j], disps[i] })
	res2, err := Apply(Input{Accounts: wsFuzzAccounts, Trades: shuffled, Lots: lots, Disposals: disps, Identical: ident})
	if err != nil {
		t.Fatalf("Apply on shuffled input: %v", err)
	}
	if got := wsCanon(res2); got != want {
		t.Errorf("result depends on input order:\n%s\n---\n%s", want, got)
	}
}

// wsCanon prints a result completely and canonically.
func wsCanon(r Result) string {
	var b strings.Builder
	for _, l := range r.Lots {
		closed := "-"
		if l.ClosedDate != nil {
			closed = l.ClosedDate.String()
		}
		fmt.Fprintf(&b, "L %s %s %s %s %s %s %s %s %s %s %s\n", l.ID, l.AccountID, l.Symbol, l.DateAcquired, l.AdjustedDateAcquired,
			l.OriginalQuantity, l.Quantity, l.OriginalBasis, l.CostBasis, l.AdjustedBasis, closed)
	}
	for _, g := range r.Gains {
		fmt.Fprintf(&b, "G %s %s %s %s %s %s %s %s %s %s %s %v %s %s %s %v\n", g.SellID, g.LotID, g.AccountID, g.Symbol, g.Quantity,
			g.DateAcquired, g.AdjustedDateAcquired, g.DateSold, g.Proceeds, g.CostBasis, g.WashDisallowed,
			g.PermanentlyDisallowed, g.PermanentAmount, g.GainLoss, g.Term, g.Taxable)
	}
	return b.String()
}

// TestWashRandomHistories runs the properties over longer seeded histories
// than the fuzz seeds, in every test run.
func TestWashRandomHistories(t *testing.T) {
	r := rand.New(rand.NewPCG(2024, 1091))
	for i := range 60 {
		b := make([]byte, 1200)
		for j := range b {
			b[j] = byte(r.UintN(256))
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) { wsProperties(t, wsValidHistory(b)) })
	}
}
