package tax

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// The wash-sale cases. Each cites its source; where a source gives no dates
// or prices the case says which numbers are illustrative, and the published
// numbers are the ones asserted. Accounts: tx (taxable, FIFO), ira
// (traditional IRA), roth (Roth IRA), sp (spouse, taxable), and lifo, hifo,
// spec for the lot-method cases.

func wsDec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

var wsAccounts = []portfolio.Account{
	{ID: "tx", Name: "taxable", TaxType: portfolio.Taxable, LotMethod: portfolio.FIFO},
	{ID: "ira", Name: "ira", TaxType: portfolio.TraditionalIRA},
	{ID: "roth", Name: "roth", TaxType: portfolio.RothIRA},
	{ID: "sp", Name: "spouse", TaxType: portfolio.SpouseTaxable},
	{ID: "lifo", Name: "lifo", TaxType: portfolio.Taxable, LotMethod: portfolio.LIFO},
	{ID: "hifo", Name: "hifo", TaxType: portfolio.Taxable, LotMethod: portfolio.HIFO},
}

// wsBuy is a BUY of qty shares costing amount in total (fees included).
func wsBuy(id, acct, date, sym, qty, amount string) portfolio.Trade {
	return portfolio.Trade{ID: id, AccountID: acct, Date: portfolio.MustDate(date), Action: portfolio.Buy,
		Symbol: sym, Quantity: wsDec(qty), Amount: wsDec(amount)}
}

// wsDrip is a REINVEST of a dividend of amount into qty shares.
func wsDrip(id, acct, date, sym, qty, amount string) portfolio.Trade {
	t := wsBuy(id, acct, date, sym, qty, amount)
	t.Action = portfolio.Reinvest
	return t
}

// wsSell is a SELL of qty shares for amount net proceeds; picks are
// "lotID:qty" or "lotID".
func wsSell(id, acct, date, sym, qty, amount string, picks ...string) portfolio.Trade {
	t := portfolio.Trade{ID: id, AccountID: acct, Date: portfolio.MustDate(date), Action: portfolio.Sell,
		Symbol: sym, Quantity: wsDec(qty), Amount: wsDec(amount)}
	for _, p := range picks {
		lot, q, _ := strings.Cut(p, ":")
		pk := portfolio.LotPick{LotID: lot}
		if q != "" {
			pk.Quantity = wsDec(q)
		}
		t.Lots = append(t.Lots, pk)
	}
	return t
}

// wsGain is what a case expects of the gain of sale sell on lot (a lot or
// sub-lot ID). Empty strings are not checked.
type wsGain struct {
	sell, lot                 string
	qty, proceeds, basis, dis string
	gl                        string
	adjDate                   string
	term                      string // "short", "long" or ""
	perm                      bool
	notTaxable                bool
}

// wsLot is what a case expects of a result lot.
type wsLot struct {
	id                     string
	origQty, qty, adjBasis string
	adjDate                string
}

type wsCase struct {
	name   string
	source string
	ident  *Identical
	trades []portfolio.Trade
	gains  []wsGain
	lots   []wsLot
	nGains int // when > 0, the exact number of gains
}

func wsRun(t *testing.T, trades []portfolio.Trade, ident *Identical) Result {
	t.Helper()
	led, err := portfolio.Replay(wsAccounts, trades)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	res, err := Apply(Input{Accounts: wsAccounts, Trades: trades, Lots: led.Lots(), Disposals: led.Disposals(), Identical: ident})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res
}

func wsEq(t *testing.T, what, got string, want string) {
	t.Helper()
	if want == "" {
		return
	}
	if g, w := decimal.RequireFromString(got), decimal.RequireFromString(want); !g.Equal(w) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func wsCheck(t *testing.T, c wsCase, res Result) {
	t.Helper()
	if c.nGains > 0 && len(res.Gains) != c.nGains {
		t.Errorf("%d gains, want %d:\n%s", len(res.Gains), c.nGains, wsDump(res))
	}
	for _, w := range c.gains {
		var found *Gain
		for i := range res.Gains {
			if g := &res.Gains[i]; g.SellID == w.sell && g.LotID == w.lot {
				if found != nil {
					t.Fatalf("two gains for sale %s lot %s", w.sell, w.lot)
				}
				found = g
			}
		}
		if found == nil {
			t.Errorf("no gain for sale %s lot %s in:\n%s", w.sell, w.lot, wsDump(res))
			continue
		}
		g := found
		p := fmt.Sprintf("gain %s/%s: ", w.sell, w.lot)
		wsEq(t, p+"quantity", g.Quantity.String(), w.qty)
		wsEq(t, p+"proceeds", g.Proceeds.String(), w.proceeds)
		wsEq(t, p+"cost basis", g.CostBasis.String(), w.basis)
		wsEq(t, p+"wash disallowed", g.WashDisallowed.String(), w.dis)
		wsEq(t, p+"gain/loss", g.GainLoss.String(), w.gl)
		if w.adjDate != "" && g.AdjustedDateAcquired.String() != w.adjDate {
			t.Errorf("%sadjusted date acquired = %s, want %s", p, g.AdjustedDateAcquired, w.adjDate)
		}
		if w.term != "" && g.Term.String() != w.term {
			t.Errorf("%sterm = %s, want %s", p, g.Term, w.term)
		}
		if g.PermanentlyDisallowed != w.perm {
			t.Errorf("%spermanently disallowed = %v, want %v", p, g.PermanentlyDisallowed, w.perm)
		}
		if g.Taxable == w.notTaxable {
			t.Errorf("%staxable = %v, want %v", p, g.Taxable, !w.notTaxable)
		}
		if want := g.Proceeds.Sub(g.CostBasis).Add(g.WashDisallowed); !g.GainLoss.Equal(want) {
			t.Errorf("%sgain/loss %s is not proceeds − basis + disallowed = %s", p, g.GainLoss, want)
		}
	}
	for _, w := range c.lots {
		var found *portfolio.Lot
		for i := range res.Lots {
			if res.Lots[i].ID == w.id {
				found = &res.Lots[i]
			}
		}
		if found == nil {
			t.Errorf("no lot %s in:\n%s", w.id, wsDump(res))
			continue
		}
		l := found
		p := "lot " + w.id + ": "
		wsEq(t, p+"original quantity", l.OriginalQuantity.String(), w.origQty)
		wsEq(t, p+"quantity", l.Quantity.String(), w.qty)
		wsEq(t, p+"adjusted basis", l.AdjustedBasis.String(), w.adjBasis)
		if w.adjDate != "" && l.AdjustedDateAcquired.String() != w.adjDate {
			t.Errorf("%sadjusted date acquired = %s, want %s", p, l.AdjustedDateAcquired, w.adjDate)
		}
	}
}

func wsDump(res Result) string {
	var b strings.Builder
	for _, g := range res.Gains {
		fmt.Fprintf(&b, "  gain %s %s %s qty=%s proc=%s basis=%s dis=%s perm=%v(%s) gl=%s adj=%s %s taxable=%v\n",
			g.SellID, g.LotID, g.Symbol, g.Quantity, g.Proceeds, g.CostBasis, g.WashDisallowed,
			g.PermanentlyDisallowed, g.PermanentAmount, g.GainLoss, g.AdjustedDateAcquired, g.Term, g.Taxable)
	}
	for _, l := range res.Lots {
		fmt.Fprintf(&b, "  lot %s %s %s orig=%s qty=%s basis=%s adj=%s adjdate=%s\n",
			l.ID, l.AccountID, l.Symbol, l.OriginalQuantity, l.Quantity, l.CostBasis, l.AdjustedBasis, l.AdjustedDateAcquired)
	}
	return b.String()
}

func TestWashSales(t *testing.T) {
	ident, err := NewIdentical(DefaultIdentical)
	if err != nil {
		t.Fatal(err)
	}
	cases := []wsCase{
		{
			name:   "PUB550-BASIS-1050",
			source: "Pub 550, Wash Sales: 100 shares bought for $1,000, sold for $750, 100 bought within 30 days for $800: the $250 loss is disallowed and the new basis is $1,050 (dates illustrative)",
			trades: []portfolio.Trade{
				wsBuy("B1", "tx", "2023-01-03", "X", "100", "1000"),
				wsSell("S1", "tx", "2023-06-01", "X", "100", "750"),
				wsBuy("B2", "tx", "2023-06-15", "X", "100", "800"),
			},
			gains: []wsGain{{sell: "S1", lot: "B1", proceeds: "750", basis: "1000", dis: "250", gl: "0", term: "short"}},
			// §1223(3): 149 days held before the sale carry over: 2023-06-15 − 149 days.
			lots: []wsLot{{id: "B2", adjBasis: "1050", adjDate: "2023-01-17"}},
		},
		{
			name:   "PUB550-MORE-OR-LESS-EX1-FEWER-BOUGHT",
			source: "Pub 550, More or less stock bought than sold, Example 1 (2018–19): 100 M bought 2018-09-24 for $5,000; 50 bought 2018-12-21 for $2,750; 25 bought 2018-12-28 for $1,125; the 100 sold 2019-01-04 for $4,000: $750 of the $1,000 loss disallowed, $250 deductible; bases $3,250 and $1,375",
			trades: []portfolio.Trade{
				wsBuy("B1", "tx", "2018-09-24", "M", "100", "5000"),
				wsBuy("B2", "tx", "2018-12-21", "M", "50", "2750"),
				wsBuy("B3", "tx", "2018-12-28", "M", "25", "1125"),
				wsSell("S1", "tx", "2019-01-04", "M", "100", "4000"),
			},
			nGains: 1,
			gains:  []wsGain{{sell: "S1", lot: "B1", qty: "100", proceeds: "4000", basis: "5000", dis: "750", gl: "-250"}},
			lots: []wsLot{
				// A replacement bought before the sale is still back-dated
				// by the 102 days the sold shares were held.
				{id: "B2", adjBasis: "3250", adjDate: "2018-09-10"},
				{id: "B3", adjBasis: "1375", adjDate: "2018-09-17"},
			},
		},
		{
			name:   "PUB550-MORE-OR-LESS-EX2-MORE-BOUGHT",
			source: "Pub 550, More or less stock bought than sold, Example 2: 100 M sold 2019-02-01 at a $1,000 loss; 50 bought on each of 2019-02-12..15: half the loss ($500) to the Feb 12 shares, half to the Feb 13 shares (prices illustrative)",
			trades: []portfolio.Trade{
				wsBuy("B0", "tx", "2018-09-24", "M", "100", "5000"),
				wsSell("S1", "tx", "2019-02-01", "M", "100", "4000"),
				wsBuy("B12", "tx", "2019-02-12", "M", "50", "2000"),
				wsBuy("B13", "tx", "2019-02-13", "M", "50", "2000"),
				wsBuy("B14", "tx", "2019-02-14", "M", "50", "2000"),
				wsBuy("B15", "tx", "2019-02-15", "M", "50", "2000"),
			},
			gains: []wsGain{{sell: "S1", lot: "B0", dis: "1000", gl: "0"}},
			lots: []wsLot{
				{id: "B12", adjBasis: "2500"}, {id: "B13", adjBasis: "2500"},
				{id: "B14", adjBasis: "2000", adjDate: "2019-02-14"}, {id: "B15", adjBasis: "2000", adjDate: "2019-02-15"},
			},
		},
		{
			name:   "PUB550-SAME-DAY-LOSS-AND-GAIN",
			source: "Pub 550, Loss and gain on same day: blocks of 100 at $158, $100, $95; all 300 sold 2018-12-21 at $125; 250 identical bought 2019-01-04: the $3,300 loss on the first block is disallowed and cannot reduce the $2,500 and $3,000 gains (purchase dates and the $120 repurchase price illustrative)",
			trades: []portfolio.Trade{
				wsBuy("B1", "tx", "2018-02-01", "X", "100", "15800"),
				wsBuy("B2", "tx", "2018-04-02", "X", "100", "10000"),
				wsBuy("B3", "tx", "2018-06-01", "X", "100", "9500"),
				wsSell("S1", "tx", "2018-12-21", "X", "300", "37500"),
				wsBuy("R", "tx", "2019-01-04", "X", "250", "30000"),
			},
			gains: []wsGain{
				{sell: "S1", lot: "B1", proceeds: "12500", basis: "15800", dis: "3300", gl: "0"},
				{sell: "S1", lot: "B2", gl: "2500", dis: "0"},
				{sell: "S1", lot: "B3", gl: "3000", dis: "0"},
			},
			// The first 100 of the 250 shares replace the block: a sub-lot.
			lots: []wsLot{
				{id: "R/w1", origQty: "100", adjBasis: "15300", adjDate: "2018-02-15"},
				{id: "R/w2", origQty: "150", adjBasis: "18000", adjDate: "2019-01-04"},
			},
		},
		{
			name:   "REG-1.1091-1-EX1-BOUGHT-BEFORE",
			source: "Treas. Reg. §1.1091-1(h) Example 1: 100 shares bought for $10,000; 100 more bought for $9,000 before the first 100 are sold for $9,000 within 30 days: no loss allowed (days illustrative)",
			trades: []portfolio.Trade{
				wsBuy("B1", "tx", "1954-06-01", "XYZ", "100", "10000"),
				wsBuy("B2", "tx", "1954-12-15", "XYZ", "100", "9000"),
				wsSell("S1", "tx", "1954-12-21", "XYZ", "100", "9000"),
			},
			gains: []wsGain{{sell: "S1", lot: "B1", dis: "1000", gl: "0"}},
			lots:  []wsLot{{id: "B2", adjBasis: "10000"}},
		},
		{
			name:   "REG-1.1091-1-EX2-FEWER-ACQUIRED",
			source: "Treas. Reg. §1.1091-1(c) and (h) Example 2: 100 shares sold at a $1,000 loss, 75 acquired in the 61-day period: $750 disallowed, $250 allowed; 50 shares carry $500, 25 carry $250 (reference/tax-rules.md §1.4; dates and prices illustrative)",
			trades: []portfolio.Trade{
				wsBuy("B1", "tx", "1954-09-15", "M", "100", "5000"),
				wsSell("S1", "tx", "1954-12-21", "M", "100", "4000"),
				wsBuy("B2", "tx", "1954-12-27", "M", "50", "2000"),
				wsBuy("B3", "tx", "1954-12-28", "M", "25", "1000"),
			},
			gains: []wsGain{{sell: "S1", lot: "B1", dis: "750", gl: "-250"}},
			lots:  []wsLot{{id: "B2", adjBasis: "2500"}, {id: "B3", adjBasis: "1250"}},
		},
		{
			name:   "REG-1.1091-1-EX3-MORE-ACQUIRED-LT",
			source: "Treas. Reg. §1.1091-1(d) and (h) Example 3: 100 shares sold at a $1,000 loss, then 50 acquired on each of four days from Feb 15: only the Feb 15 and Feb 16 lots take $500 each (prices illustrative); sale S2 (derived) is long-term 15 days after purchase because the sold shares' holding period carries over, and its $300 loss on the adjusted basis is washed again into the unused Feb 17 lot",
			trades: []portfolio.Trade{
				wsBuy("B0", "tx", "1953-06-01", "M", "100", "10000"),
				wsSell("S1", "tx", "1955-02-10", "M", "100", "9000"),
				wsBuy("B15", "tx", "1955-02-15", "M", "50", "4600"),
				wsBuy("B16", "tx", "1955-02-16", "M", "50", "4600"),
				wsBuy("B17", "tx", "1955-02-17", "M", "50", "4600"),
				wsBuy("B18", "tx", "1955-02-18", "M", "50", "4600"),
				wsSell("S2", "tx", "1955-03-02", "M", "50", "4800"),
			},
			gains: []wsGain{
				{sell: "S1", lot: "B0", dis: "1000", gl: "0", term: "long"},
				{sell: "S2", lot: "B15", basis: "5100", gl: "0", dis: "300", term: "long", adjDate: "1953-06-06"},
			},
			lots: []wsLot{{id: "B16", adjBasis: "5100"}, {id: "B17", adjBasis: "4900"}, {id: "B18", adjBasis: "4600"}},
		},
		{
			name:   "REG-1.1091-2-EX1-BASIS-UP",
			source: "Treas. Reg. §1.1091-2(a) Example 1: a share bought for $100 in 1935, sold 1955-01-15 for $80, another bought 1955-02-01 for $90: basis $110",
			trades: []portfolio.Trade{
				wsBuy("B1", "tx", "1935-06-01", "X", "1", "100"),
				wsSell("S1", "tx", "1955-01-15", "X", "1", "80"),
				wsBuy("B2", "tx", "1955-02-01", "X", "1", "90"),
			},
			gains: []wsGain{{sell: "S1", lot: "B1", dis: "20", gl: "0", term: "long"}},
			lots:  []wsLot{{id: "B2", adjBasis: "110"}},
		},
		{
			name:   "REG-1.1091-2-EX2-BASIS-DOWN",
			source: "Treas. Reg. §1.1091-2(a) Example 2: bought for $100 in 1935, sold 1955-01-15 for $80, bought 1955-02-01 for $70: basis $90",
			trades: []portfolio.Trade{
				wsBuy("B1", "tx", "1935-06-01", "Y", "1", "100"),
				wsSell("S1", "tx", "1955-01-15", "Y", "1", "80"),
				wsBuy("B2", "tx", "1955-02-01", "Y", "1", "70"),
			},
			gains: []wsGain{{sell: "S1", lot: "B1", dis: "20", gl: "0"}},
			lots:  []wsLot{{id: "B2", adjBasis: "90"}},
		},
		{
			name:   "REV-RUL-2008-5-IRA",
			source: "Rev. Rul. 2008-5: basis $1,000 sold for $600, the IRA buys identical stock the next day: the $400 loss is disallowed and the IRA's basis is not increased",
			trades: []portfolio.Trade{
				wsBuy("B1", "tx", "2007-03-01", "X", "100", "1000"),
				wsSell("S1", "tx", "2007-12-14", "X", "100", "600"),
				wsBuy("I1", "ira", "2007-12-15", "X", "100", "610"),
			},
			gains: []wsGain{{sell: "S1", lot: "B1", dis: "400", gl: "0", perm: true}},
			lots:  []wsLot{{id: "I1", adjBasis: "610", adjDate: "2007-12-15"}},
		},
		{
			name:   "REV-RUL-2008-5-ROTH-PARTIAL",
			source: "Rev. Rul. 2008-5 (Roth IRA likewise), with a partial replacement (§1091(b)): 50 of 100 shares replaced in a Roth: $200 of the $400 loss lost for good, $200 allowed",
			trades: []portfolio.Trade{
				wsBuy("B1", "tx", "2007-03-01", "X", "100", "1000"),
				wsSell("S1", "tx", "2007-12-14", "X", "100", "600"),
				wsBuy("R1", "roth", "2007-12-20", "X", "50", "300"),
			},
			gains: []wsGain{{sell: "S1", lot: "B1", dis: "200", gl: "-200", perm: true}},
			lots:  []wsLot{{id: "R1", adjBasis: "300"}},
		},
		{
			name:   "REV-RUL-56-602-SAME-PURCHASE",
			source: "Rev. Rul. 56-602 (fairmark, Selling Half): 200 shares bought in one purchase, 100 sold at a loss 11 days later: the other 100 are no replacement",
			trades: []portfolio.Trade{
				wsBuy("B1", "tx", "2023-05-01", "X", "200", "2000"),
				wsSell("S1", "tx", "2023-05-12", "X", "100", "900"),
			},
			gains: []wsGain{{sell: "S1", lot: "B1", dis: "0", gl: "-100"}},
			lots:  []wsLot{{id: "B1", qty: "100", adjBasis: "1000", adjDate: "2023-05-01"}},
		},
		{
			name:   "WINDOW-30-DAYS-BEFORE",
			source: "IRC §1091(a), Reg. §1.1091-1(a) 61-day period: sale 2012-06-01, purchase 2012-05-02 (day 30 before) washes",
			trades: []portfolio.Trade{
				wsBuy("B1", "tx", "2012-01-03", "X", "10", "1000"),
				wsBuy("B2", "tx", "2012-05-02", "X", "10", "800"),
				wsSell("S1", "tx", "2012-06-01", "X", "10", "700"),
			},
			gains: []wsGain{{sell: "S1", lot: "B1", dis: "300"}},
		},
		{
			name:   "WINDOW-31-DAYS-BEFORE",
			source: "IRC §1091(a): sale 2012-06-01, purchase 2012-05-01 (day 31 before) does not wash",
			trades: []portfolio.Trade{
				wsBuy("B1", "tx", "2012-01-03", "X", "10", "1000"),
				wsBuy("B2", "tx", "2012-05-01", "X", "10", "800"),
				wsSell("S1", "tx", "2012-06-01", "X", "10", "700"),
			},
			gains: []wsGain{{sell: "S1", lot: "B1", dis: "0", gl: "-300"}},
		},
		{
			name:   "WINDOW-30-DAYS-AFTER",
			source: "IRC §1091(a): sale 2012-06-01, purchase 2012-07-01 (day 30 after) washes",
			trades: []portfolio.Trade{
				wsBuy("B1", "tx", "2012-01-03", "X", "10", "1000"),
				wsSell("S1", "tx", "2012-06-01", "X", "10", "700"),
				wsBuy("B2", "tx", "2012-07-01", "X", "10", "800"),
			},
			gains: []wsGain{{sell: "S1", lot: "B1", dis: "300"}},
			lots:  []wsLot{{id: "B2", adjBasis: "1100"}},
		},
		{
			name:   "WINDOW-31-DAYS-AFTER",
			source: "IRC §1091(a): sale 2012-06-01, purchase 2012-07-02 (day 31 after) does not wash",
			trades: []portfolio.Trade{
				wsBuy("B1", "tx", "2012-01-03", "X", "10", "1000"),
				wsSell("S1", "tx", "2012-06-01", "X", "10", "700"),
				wsBuy("B2", "tx", "2012-07-02", "X", "10", "800"),
			},
			gains: []wsGain{{sell: "S1", lot: "B1", dis: "0", gl: "-300"}},
			lots:  []wsLot{{id: "B2", adjBasis: "800"}},
		},
		{
			name:   "TEXTBOOK-LARGER-REPLACEMENT-SPLIT-BY-COST",
			source: "Textbook (reference/tax-rules.md §1.5): 300 shares, basis $6,000, sold for $4,800 less $300 commission; 500 bought 18 days later for $5,300 plus $400 commission ($11.40 a share): 300 shares $4,920, 200 shares $2,280",
			trades: []portfolio.Trade{
				wsBuy("B1", "tx", "2022-06-01", "C", "300", "6000"),
				wsSell("S1", "tx", "2023-02-01", "C", "300", "4500"),
				wsBuy("R", "tx", "2023-02-19", "C", "500", "5700"),
			},
			gains: []wsGain{{sell: "S1", lot: "B1", dis: "1500", gl: "0"}},
			lots: []wsLot{
				{id: "R/w1", origQty: "300", qty: "300", adjBasis: "4920", adjDate: "2022-06-19"},
				{id: "R/w2", origQty: "200", qty: "200", adjBasis: "2280", adjDate: "2023-02-19"},
			},
		},
		{
			name:   "SUBLOT-CONSUMPTION-WASHED-FIRST",
			source: "Convention (Apply documentation): a later sale of a partly washed lot sells its sub-lots in order, the washed shares first; textbook case above, then 350 of the 500 sold (derived)",
			trades: []portfolio.Trade{
				wsBuy("B1", "tx", "2022-06-01", "C", "300", "6000"),
				wsSell("S1", "tx", "2023-02-01", "C", "300", "4500"),
				wsBuy("R", "tx", "2023-02-19", "C", "500", "5700"),
				wsSell("S2", "tx", "2023-08-01", "C", "350", "5250"),
			},
			gains: []wsGain{
				// 300 of 350 shares: proceeds 4,500; basis 4,920; held since 2022-06-19: long.
				{sell: "S2", lot: "R/w1", qty: "300", proceeds: "4500", basis: "4920", gl: "-420", term: "long"},
				{sell: "S2", lot: "R/w2", qty: "50", proceeds: "750", basis: "570", gl: "180", term: "short"},
			},
			lots: []wsLot{
				{id: "R/w1", qty: "0", adjBasis: "0"},
				{id: "R/w2", qty: "150", adjBasis: "1710"},
			},
		},
		{
			name:   "CHAIN-TWO-WASH-SALES",
			source: "Chained wash sales (reference/tax-rules.md §1.9; derived numbers): A $1,000 sold for $800, B bought for $700 (basis $900) sold for $600, C bought for $650 (basis $950)",
			trades: []portfolio.Trade{
				wsBuy("A", "tx", "2023-01-03", "X", "100", "1000"),
				wsSell("S1", "tx", "2023-03-01", "X", "100", "800"),
				wsBuy("B", "tx", "2023-03-10", "X", "100", "700"),
				wsSell("S2", "tx", "2023-04-01", "X", "100", "600"),
				wsBuy("C", "tx", "2023-04-15", "X", "100", "650"),
			},
			gains: []wsGain{
				{sell: "S1", lot: "A", dis: "200", gl: "0"},
				{sell: "S2", lot: "B", basis: "900", dis: "300", gl: "0", adjDate: "2023-01-12"},
			},
			// 57 + 22 days of holding period carried: 2023-04-15 − 79 days.
			lots: []wsLot{{id: "C", adjBasis: "950", adjDate: "2023-01-26"}},
		},
		{
			name:   "CHAIN-GAIN-BECOMES-LOSS-REWASH",
			source: "washsales.org Gain-for-Loss Scenario (reference/tax-rules.md §1.9; derived numbers): B's sale at $900 is a gain on its $800 cost but a $200 loss on its $1,100 adjusted basis, washed again into C",
			trades: []portfolio.Trade{
				wsBuy("A", "tx", "2023-01-03", "X", "100", "1000"),
				wsSell("S1", "tx", "2023-03-01", "X", "100", "700"),
				wsBuy("B", "tx", "2023-03-10", "X", "100", "800"),
				wsSell("S2", "tx", "2023-04-01", "X", "100", "900"),
				wsBuy("C", "tx", "2023-04-20", "X", "100", "850"),
			},
			gains: []wsGain{
				{sell: "S1", lot: "A", dis: "300", gl: "0"},
				{sell: "S2", lot: "B", proceeds: "900", basis: "1100", dis: "200", gl: "0"},
			},
			lots: []wsLot{{id: "C", adjBasis: "1050"}},
		},
		{
			name:   "DRIP-FRACTIONAL-PARTIAL-WASH",
			source: "Pub 550 (a dividend reinvestment is a purchase; reference/tax-rules.md §1.9; derived): 0.523 shares reinvested 16 days before 100 are sold at a $1,200 loss: $6.276 disallowed into the DRIP lot",
			trades: []portfolio.Trade{
				wsBuy("B1", "tx", "2022-01-03", "V", "100", "5000"),
				wsDrip("D1", "tx", "2023-03-15", "V", "0.523", "20.92"),
				wsSell("S1", "tx", "2023-03-31", "V", "100", "3800"),
			},
			gains: []wsGain{{sell: "S1", lot: "B1", dis: "6.276", gl: "-1193.724", term: "long"}},
			// 452 days carried: 2023-03-15 − 452 days; long-term at once.
			lots: []wsLot{{id: "D1", adjBasis: "27.196", adjDate: "2021-12-18"}},
		},
		{
			name:   "REPLACEMENT-ALREADY-USED",
			source: "Treas. Reg. §1.1091-1(e): a share whose acquisition disallowed one loss cannot disallow another; losses in sale order (§1.1091-1(b))",
			trades: []portfolio.Trade{
				wsBuy("A", "tx", "2023-01-03", "X", "100", "1000"),
				wsBuy("B", "sp", "2023-01-04", "X", "100", "1000"),
				wsSell("S1", "tx", "2023-03-01", "X", "100", "800"),
				wsSell("S2", "sp", "2023-03-02", "X", "100", "800"),
				wsBuy("R", "tx", "2023-03-10", "X", "100", "800"),
			},
			gains: []wsGain{
				{sell: "S1", lot: "A", dis: "200"},
				{sell: "S2", lot: "B", dis: "0", gl: "-200"},
			},
			lots: []wsLot{{id: "R", adjBasis: "1000"}},
		},
		{
			name:   "SPOUSE-REPLACEMENT",
			source: "Pub 550: if you sell stock and your spouse buys substantially identical stock, you have a wash sale",
			trades: []portfolio.Trade{
				wsBuy("A", "tx", "2023-01-03", "X", "100", "1000"),
				wsSell("S1", "tx", "2023-03-01", "X", "100", "800"),
				wsBuy("R", "sp", "2023-03-05", "X", "100", "820"),
			},
			gains: []wsGain{{sell: "S1", lot: "A", dis: "200"}},
			lots:  []wsLot{{id: "R", adjBasis: "1020"}},
		},
		{
			name:   "IRA-LOSS-IS-NOT-A-WASH-SALE",
			source: "Rev. Rul. 2008-5 concerns losses in taxable accounts; a loss inside an IRA is not deductible and not reported, so a taxable purchase does not absorb it (reference/tax-rules.md §1)",
			trades: []portfolio.Trade{
				wsBuy("I1", "ira", "2023-01-03", "X", "100", "1000"),
				wsSell("S1", "ira", "2023-03-01", "X", "100", "800"),
				wsBuy("T1", "tx", "2023-03-05", "X", "100", "820"),
			},
			gains: []wsGain{{sell: "S1", lot: "I1", dis: "0", gl: "-200", notTaxable: true}},
			lots:  []wsLot{{id: "T1", adjBasis: "820"}},
		},
		{
			name:   "SUBSTANTIALLY-IDENTICAL-GROUP",
			source: "Pub 550 (facts and circumstances) and the conservative policy of reference/tax-rules.md §4: VOO sold at a loss, IVV (same index) bought: wash",
			ident:  ident,
			trades: []portfolio.Trade{
				wsBuy("A", "tx", "2023-01-03", "VOO", "10", "4000"),
				wsSell("S1", "tx", "2023-03-01", "VOO", "10", "3600"),
				wsBuy("R", "tx", "2023-03-02", "IVV", "9", "3800"),
			},
			gains: []wsGain{{sell: "S1", lot: "A", dis: "360", gl: "-40"}},
			lots:  []wsLot{{id: "R", adjBasis: "4160"}},
		},
		{
			name:   "DIFFERENT-INDEX-PARTNER",
			source: "reference/tax-rules.md §4: VTI (CRSP) and ITOT (S&P Total Market) are harvest partners, not identical",
			ident:  ident,
			trades: []portfolio.Trade{
				wsBuy("A", "tx", "2023-01-03", "VTI", "10", "2000"),
				wsSell("S1", "tx", "2023-03-01", "VTI", "10", "1800"),
				wsBuy("R", "tx", "2023-03-02", "ITOT", "10", "1000"),
			},
			gains: []wsGain{{sell: "S1", lot: "A", dis: "0", gl: "-200"}},
		},
		{
			name:   "REPLACEMENT-SOLD-BEFORE-THE-LOSS",
			source: "Tracker convention (bbreslauer/wash-sale-tracker, reference/tax-rules.md §1.9): a lot bought and sold entirely before the loss sale is no replacement",
			trades: []portfolio.Trade{
				wsBuy("A", "tx", "2023-01-03", "X", "100", "1000"),
				wsBuy("B", "sp", "2023-02-20", "X", "100", "850"),
				wsSell("SB", "sp", "2023-02-25", "X", "100", "900"),
				wsSell("S1", "tx", "2023-03-01", "X", "100", "800"),
			},
			gains: []wsGain{
				{sell: "SB", lot: "B", gl: "50", dis: "0"},
				{sell: "S1", lot: "A", dis: "0", gl: "-200"},
			},
		},
		{
			name:   "YEAR-END-DECEMBER-LOSS-JANUARY-BUY",
			source: "reference/tax-rules.md §1.9 Year-end: a December loss with a January repurchase is disallowed in December's year and moves into the January lot",
			trades: []portfolio.Trade{
				wsBuy("A", "tx", "2023-05-01", "X", "100", "1000"),
				wsSell("S1", "tx", "2023-12-20", "X", "100", "700"),
				wsBuy("R", "tx", "2024-01-10", "X", "100", "750"),
			},
			gains: []wsGain{{sell: "S1", lot: "A", dis: "300", gl: "0"}},
			lots:  []wsLot{{id: "R", adjBasis: "1050"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Log(c.source)
			wsCheck(t, c, wsRun(t, c.trades, c.ident))
		})
	}
}

// TestWashLotMethods: one history, four ways to pick the lot sold. Lots:
// L1 100 @ $50 (Jan 3), L2 100 @ $60 (Feb 1), L3 100 @ $40 (Mar 1); 100
// sold 2023-04-03 for $4,500; 100 bought 2023-04-20 for $4,500 (in the
// window; L1–L3 are not). Reg. §1.1012-1(c): FIFO is the default; LIFO,
// HIFO and naming lots are standing specific identifications.
func TestWashLotMethods(t *testing.T) {
	hist := func(acct string, picks ...string) []portfolio.Trade {
		return []portfolio.Trade{
			wsBuy("L1", acct, "2023-01-03", "X", "100", "5000"),
			wsBuy("L2", acct, "2023-02-01", "X", "100", "6000"),
			wsBuy("L3", acct, "2023-03-01", "X", "100", "4000"),
			wsSell("S", acct, "2023-04-03", "X", "100", "4500", picks...),
			wsBuy("L4", acct, "2023-04-20", "X", "100", "4500"),
		}
	}
	cases := []wsCase{
		{name: "fifo", trades: hist("tx"), nGains: 1,
			gains: []wsGain{{sell: "S", lot: "L1", dis: "500", gl: "0"}},
			lots:  []wsLot{{id: "L4", adjBasis: "5000", adjDate: "2023-01-20"}}},
		{name: "lifo", trades: hist("lifo"), nGains: 1,
			gains: []wsGain{{sell: "S", lot: "L3", gl: "500", dis: "0"}},
			lots:  []wsLot{{id: "L4", adjBasis: "4500"}}},
		{name: "hifo", trades: hist("hifo"), nGains: 1,
			gains: []wsGain{{sell: "S", lot: "L2", dis: "1500", gl: "0"}},
			lots:  []wsLot{{id: "L4", adjBasis: "6000", adjDate: "2023-02-18"}}},
		{
			// 50 from L1 and 50 from L2: two losses, processed in the order
			// the lots were acquired (Reg. §1.1091-1(b)); L4's first 50
			// shares replace L1's, the next 50 L2's, so L4 splits in two
			// sub-lots with their own basis and holding period.
			name: "specific", trades: hist("tx", "L2:50", "L1:50"), nGains: 2,
			gains: []wsGain{
				{sell: "S", lot: "L1", qty: "50", dis: "250", gl: "0"},
				{sell: "S", lot: "L2", qty: "50", dis: "750", gl: "0"},
			},
			lots: []wsLot{
				{id: "L4/w1", origQty: "50", adjBasis: "2500", adjDate: "2023-01-20"},
				{id: "L4/w2", origQty: "50", adjBasis: "3000", adjDate: "2023-02-18"},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wsCheck(t, c, wsRun(t, c.trades, nil)) })
	}
}

func TestHoldingTerm(t *testing.T) {
	for _, c := range []struct {
		acq, sold string
		want      Term
		source    string
	}{
		{"2023-06-15", "2024-06-15", Short, "Pub 544: bought 2023-06-15, sold 2024-06-15 is not more than one year"},
		{"2023-06-15", "2024-06-16", Long, "Pub 544: the day after the anniversary is long-term"},
		{"2023-06-15", "2024-06-17", Long, "Pub 544 example: sold 2024-06-17 is long-term"},
		{"2016-02-28", "2017-02-28", Short, "beancount_reds_plugins test_leap_year: 366 days, still short"},
		{"2014-02-01", "2015-03-01", Long, "beancount_reds_plugins test_long_exactly_one_year_and_month"},
		{"2016-02-29", "2017-02-28", Short, "Feb 29: the anniversary is Feb 28 (month-end rule, J.K. Lasser)"},
		{"2016-02-29", "2017-03-01", Long, "Feb 29: a sale on Mar 1 is long-term (time.AddDate would say short)"},
		{"2019-02-28", "2020-02-29", Long, "acquired Feb 28 of a common year: the anniversary is Feb 28, so Feb 29 is after it"},
		{"2023-01-10", "2023-01-10", Short, "same day"},
	} {
		if got := HoldingTerm(portfolio.MustDate(c.acq), portfolio.MustDate(c.sold)); got != c.want {
			t.Errorf("HoldingTerm(%s, %s) = %s, want %s (%s)", c.acq, c.sold, got, c.want, c.source)
		}
	}
}

func TestBaseLotID(t *testing.T) {
	for in, want := range map[string]string{
		"abc": "abc", "abc/w1": "abc", "abc/w12": "abc", "a/wb": "a/wb", "a/w": "a/w", "a/w1/w2": "a/w1",
	} {
		if got := BaseLotID(in); got != want {
			t.Errorf("BaseLotID(%q) = %q, want %q", in, got, want)
		}
	}
	if got := SubLotID("x", 3); got != "x/w3" {
		t.Errorf("SubLotID = %q", got)
	}
}
