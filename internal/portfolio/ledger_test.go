package portfolio

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

// decEqual compares decimals by value, so 5 and 5.00000000 are equal.
var decEqual = cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

var testAccounts = []Account{
	{ID: "fifo", Name: "Taxable", TaxType: Taxable},
	{ID: "lifo", Name: "LIFO", TaxType: Taxable, LotMethod: LIFO},
	{ID: "hifo", Name: "HIFO", TaxType: Taxable, LotMethod: HIFO},
	{ID: "ira", Name: "IRA", TaxType: TraditionalIRA, LotMethod: FIFO},
}

func buy(id, acct, sym, date, qty, price string) Trade {
	return Trade{ID: id, AccountID: acct, Date: MustDate(date), Action: Buy, Symbol: sym, Quantity: dec(qty), Price: dec(price)}
}

func sell(id, acct, sym, date, qty, price string, picks ...LotPick) Trade {
	return Trade{ID: id, AccountID: acct, Date: MustDate(date), Action: Sell, Symbol: sym, Quantity: dec(qty), Price: dec(price), Lots: picks}
}

func pick(id, qty string) LotPick { return LotPick{LotID: id, Quantity: dec(qty)} }

func cash(id, acct string, a Action, date, amount string) Trade {
	return Trade{ID: id, AccountID: acct, Date: MustDate(date), Action: a, Amount: dec(amount)}
}

func split(id, acct, sym, date, ratio string) Trade {
	return Trade{ID: id, AccountID: acct, Date: MustDate(date), Action: Split, Symbol: sym, Quantity: dec(ratio)}
}

// splitNM is an N-for-M split with the ratio kept as two numbers.
func splitNM(id, acct, sym, date, n, m string) Trade {
	tr := split(id, acct, sym, date, n)
	tr.SplitFrom = dec(m)
	return tr
}

// mustApply applies trades in the order given and fails the test on an error.
func mustApply(t *testing.T, l *Ledger, trades ...Trade) {
	t.Helper()
	for _, tr := range trades {
		if err := l.Apply(tr); err != nil {
			t.Fatalf("Apply(%s): %v", tr.ID, err)
		}
	}
}

// brief renders disposals as "lot qty basis proceeds" for compact comparison.
func brief(ds []Disposal) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s %s %s %s", d.LotID, d.Quantity, d.CostBasis, d.Proceeds))
	}
	return out
}

// briefLots renders open lots as "id qty basis".
func briefLots(lots []Lot) []string {
	out := []string{}
	for _, l := range lots {
		out = append(out, fmt.Sprintf("%s %s %s", l.ID, l.Quantity, l.CostBasis))
	}
	return out
}

func TestLotMethods(t *testing.T) {
	// Three lots bought at 100, 150 and 120; the sale of 15 at 200 nets 3000.
	three := func(acct string) []Trade {
		return []Trade{
			buy("a1", acct, "AAPL", "2024-01-02", "10", "100"),
			buy("a2", acct, "AAPL", "2024-02-01", "10", "150"),
			buy("a3", acct, "AAPL", "2024-03-01", "10", "120"),
		}
	}
	tests := []struct {
		name     string
		buys     []Trade
		sell     Trade
		want     []string // disposals
		wantOpen []string
	}{
		{
			name:     "fifo is the default",
			buys:     three("fifo"),
			sell:     sell("s", "fifo", "AAPL", "2024-06-03", "15", "200"),
			want:     []string{"a1 10 1000 2000", "a2 5 750 1000"},
			wantOpen: []string{"a2 5 750", "a3 10 1200"},
		},
		{
			name:     "fifo explicit",
			buys:     three("ira"),
			sell:     sell("s", "ira", "AAPL", "2024-06-03", "15", "200"),
			want:     []string{"a1 10 1000 2000", "a2 5 750 1000"},
			wantOpen: []string{"a2 5 750", "a3 10 1200"},
		},
		{
			name:     "lifo",
			buys:     three("lifo"),
			sell:     sell("s", "lifo", "AAPL", "2024-06-03", "15", "200"),
			want:     []string{"a3 10 1200 2000", "a2 5 750 1000"},
			wantOpen: []string{"a1 10 1000", "a2 5 750"},
		},
		{
			name:     "hifo",
			buys:     three("hifo"),
			sell:     sell("s", "hifo", "AAPL", "2024-06-03", "15", "200"),
			want:     []string{"a2 10 1500 2000", "a3 5 600 1000"},
			wantOpen: []string{"a1 10 1000", "a3 5 600"},
		},
		{
			name: "fifo orders by date, not by booking order",
			buys: []Trade{
				buy("x2", "fifo", "AAPL", "2024-03-01", "10", "100"),
				buy("x1", "fifo", "AAPL", "2024-01-02", "10", "100"),
			},
			sell:     sell("s", "fifo", "AAPL", "2024-06-03", "4", "200"),
			want:     []string{"x1 4 400 800"},
			wantOpen: []string{"x1 6 600", "x2 10 1000"},
		},
		{
			name: "fifo tie on date goes by id ascending",
			buys: []Trade{
				buy("b", "fifo", "AAPL", "2024-01-02", "10", "100"),
				buy("a", "fifo", "AAPL", "2024-01-02", "10", "110"),
			},
			sell:     sell("s", "fifo", "AAPL", "2024-06-03", "10", "200"),
			want:     []string{"a 10 1100 2000"},
			wantOpen: []string{"b 10 1000"},
		},
		{
			name: "lifo tie on date goes by id descending",
			buys: []Trade{
				buy("a", "lifo", "AAPL", "2024-01-02", "10", "110"),
				buy("b", "lifo", "AAPL", "2024-01-02", "10", "100"),
			},
			sell:     sell("s", "lifo", "AAPL", "2024-06-03", "10", "200"),
			want:     []string{"b 10 1000 2000"},
			wantOpen: []string{"a 10 1100"},
		},
		{
			name: "hifo tie on unit cost goes oldest first",
			buys: []Trade{
				buy("a", "hifo", "AAPL", "2024-02-01", "5", "100"),
				buy("b", "hifo", "AAPL", "2024-01-02", "10", "100"),
				buy("c", "hifo", "AAPL", "2024-01-03", "10", "90"),
			},
			sell:     sell("s", "hifo", "AAPL", "2024-06-03", "12", "200"),
			want:     []string{"b 10 1000 2000", "a 2 200 400"},
			wantOpen: []string{"c 10 900", "a 3 300"},
		},
		{
			name: "hifo tie on unit cost and date goes by id",
			buys: []Trade{
				buy("b", "hifo", "AAPL", "2024-01-02", "10", "100"),
				buy("a", "hifo", "AAPL", "2024-01-02", "4", "100"),
			},
			sell:     sell("s", "hifo", "AAPL", "2024-06-03", "5", "200"),
			want:     []string{"a 4 400 800", "b 1 100 200"},
			wantOpen: []string{"b 9 900"},
		},
		{
			name: "hifo counts fees in the unit cost",
			buys: []Trade{
				buy("a", "hifo", "AAPL", "2024-01-02", "10", "100"),
				{ID: "b", AccountID: "hifo", Date: MustDate("2024-01-03"), Action: Buy, Symbol: "AAPL", Quantity: dec("10"), Price: dec("99.99"), Fees: dec("1")},
			},
			sell:     sell("s", "hifo", "AAPL", "2024-06-03", "10", "200"),
			want:     []string{"b 10 1000.9 2000"},
			wantOpen: []string{"a 10 1000"},
		},
		{
			name: "hifo ignores other symbols and accounts",
			buys: []Trade{
				buy("a", "hifo", "AAPL", "2024-01-02", "10", "100"),
				buy("m", "hifo", "MSFT", "2024-01-02", "10", "400"),
				buy("f", "fifo", "AAPL", "2024-01-02", "10", "300"),
			},
			sell:     sell("s", "hifo", "AAPL", "2024-06-03", "10", "200"),
			want:     []string{"a 10 1000 2000"},
			wantOpen: []string{},
		},
		{
			name: "sale of everything closes every lot",
			buys: three("fifo"),
			sell: sell("s", "fifo", "AAPL", "2024-06-03", "30", "100"),
			want: []string{"a1 10 1000 1000", "a2 10 1500 1000", "a3 10 1200 1000"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLedger(testAccounts)
			mustApply(t, l, tt.buys...)
			mustApply(t, l, tt.sell)
			if diff := cmp.Diff(tt.want, brief(l.Disposals())); diff != "" {
				t.Errorf("disposals (-want +got):\n%s", diff)
			}
			var open []Lot
			for _, lot := range l.OpenLots() {
				if lot.AccountID == tt.sell.AccountID && lot.Symbol == tt.sell.Symbol {
					open = append(open, lot)
				}
			}
			if diff := cmp.Diff(tt.wantOpen, briefLots(open)); tt.wantOpen != nil && diff != "" {
				t.Errorf("open lots (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHIFOAfterPartialSaleAndBuys(t *testing.T) {
	// HIFO must keep ordering by unit cost as lots are partly sold and more
	// are bought in between.
	l := NewLedger(testAccounts)
	mustApply(t, l,
		buy("a", "hifo", "X", "2024-01-02", "10", "10"),
		buy("b", "hifo", "X", "2024-01-03", "10", "30"),
		buy("c", "hifo", "X", "2024-01-04", "10", "20"),
		sell("s1", "hifo", "X", "2024-02-01", "5", "25"), // b: 5 left at 30
		buy("d", "hifo", "X", "2024-02-02", "10", "25"),
		sell("s2", "hifo", "X", "2024-03-01", "12", "25"), // b 5, d 7
		sell("s3", "hifo", "X", "2024-03-02", "10", "25"), // d 3, c 7
	)
	want := []string{
		"b 5 150 125",
		"b 5 150 125", "d 7 175 175",
		"d 3 75 75", "c 7 140 175",
	}
	if diff := cmp.Diff(want, brief(l.Disposals())); diff != "" {
		t.Errorf("disposals (-want +got):\n%s", diff)
	}
}

func TestSpecificLots(t *testing.T) {
	buys := []Trade{
		buy("a1", "fifo", "AAPL", "2024-01-02", "10", "100"),
		buy("a2", "fifo", "AAPL", "2024-02-01", "10", "150"),
		buy("a3", "fifo", "AAPL", "2024-03-01", "10", "120"),
	}
	tests := []struct {
		name     string
		picks    []LotPick
		qty      string
		want     []string
		wantOpen []string
	}{
		{
			name:     "one lot, all of the sale",
			picks:    []LotPick{pick("a3", "0")},
			qty:      "4",
			want:     []string{"a3 4 480 800"},
			wantOpen: []string{"a1 10 1000", "a2 10 1500", "a3 6 720"},
		},
		{
			name:     "quantities in the order given",
			picks:    []LotPick{pick("a3", "2"), pick("a1", "3")},
			qty:      "5",
			want:     []string{"a3 2 240 400", "a1 3 300 600"},
			wantOpen: []string{"a1 7 700", "a2 10 1500", "a3 8 960"},
		},
		{
			name:     "zero quantities fill up in order",
			picks:    []LotPick{pick("a2", "0"), pick("a1", "0"), pick("a3", "0")},
			qty:      "15",
			want:     []string{"a2 10 1500 2000", "a1 5 500 1000"},
			wantOpen: []string{"a1 5 500", "a3 10 1200"},
		},
		{
			name:     "explicit then zero takes the rest",
			picks:    []LotPick{pick("a1", "4"), pick("a2", "0")},
			qty:      "10",
			want:     []string{"a1 4 400 800", "a2 6 900 1200"},
			wantOpen: []string{"a1 6 600", "a2 4 600", "a3 10 1200"},
		},
		{
			name:     "the same lot twice",
			picks:    []LotPick{pick("a1", "4"), pick("a1", "6")},
			qty:      "10",
			want:     []string{"a1 4 400 800", "a1 6 600 1200"},
			wantOpen: []string{"a2 10 1500", "a3 10 1200"},
		},
		{
			name:     "a pick without a quantity fills around a later pick with one",
			picks:    []LotPick{pick("a1", "0"), pick("a2", "5")},
			qty:      "6",
			want:     []string{"a1 1 100 200", "a2 5 750 1000"},
			wantOpen: []string{"a1 9 900", "a2 5 750", "a3 10 1200"},
		},
		{
			name:     "fills take what the stated picks of the same lot leave",
			picks:    []LotPick{pick("a1", "0"), pick("a2", "0"), pick("a1", "8")},
			qty:      "13",
			want:     []string{"a1 2 200 400", "a2 3 450 600", "a1 8 800 1600"},
			wantOpen: []string{"a2 7 1050", "a3 10 1200"},
		},
		{
			name:     "a zero pick after the sale is covered is skipped",
			picks:    []LotPick{pick("a1", "2"), pick("a2", "0")},
			qty:      "2",
			want:     []string{"a1 2 200 400"},
			wantOpen: []string{"a1 8 800", "a2 10 1500", "a3 10 1200"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLedger(testAccounts)
			mustApply(t, l, buys...)
			mustApply(t, l, sell("s", "fifo", "AAPL", "2024-06-03", tt.qty, "200", tt.picks...))
			if diff := cmp.Diff(tt.want, brief(l.Disposals())); diff != "" {
				t.Errorf("disposals (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantOpen, briefLots(l.OpenLots())); diff != "" {
				t.Errorf("open lots (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBookingErrors(t *testing.T) {
	setup := []Trade{
		buy("a1", "fifo", "AAPL", "2024-01-02", "10", "100"),
		buy("a2", "fifo", "AAPL", "2024-02-01", "5", "110"),
		buy("m1", "fifo", "MSFT", "2024-01-02", "10", "300"),
		buy("i1", "ira", "AAPL", "2024-01-02", "10", "100"),
		buy("c1", "fifo", "CSCO", "2024-01-02", "10", "50"),
		sell("cs", "fifo", "CSCO", "2024-01-05", "10", "55"),
		buy("tiny", "fifo", "TINY", "2024-01-02", "0.4", "1"),
	}
	day := "2024-06-03"
	withID := func(tr Trade, id string) Trade { tr.ID = id; return tr }
	tests := []struct {
		name  string
		trade Trade
		field string
		msg   string // the inner error, exactly
	}{
		{"unknown account", buy("x", "nope", "AAPL", day, "1", "1"), "account", `unknown account "nope"`},
		{"no account", buy("x", "", "AAPL", day, "1", "1"), "account", "the trade names no account"},
		{"unknown action", Trade{ID: "x", AccountID: "fifo", Action: "GIFT", Symbol: "AAPL"}, "action", `unknown action "GIFT": want one of BUY, SELL, DIVIDEND, REINVEST, SPLIT, DEPOSIT, WITHDRAWAL, FEE, INTEREST`},
		{"buy without symbol", buy("x", "fifo", "", day, "1", "1"), "symbol", "a BUY needs a symbol"},
		{"sell without symbol", sell("x", "fifo", "", day, "1", "1"), "symbol", "a SELL needs a symbol"},
		{"dividend without symbol", cash("x", "fifo", Dividend, day, "5"), "symbol", "a DIVIDEND needs a symbol"},
		{"split without symbol", split("x", "fifo", "", day, "2"), "symbol", "a SPLIT needs a symbol"},
		{"zero quantity", buy("x", "fifo", "AAPL", day, "0", "1"), "quantity", "quantity must be positive, got 0"},
		{"negative quantity", sell("x", "fifo", "AAPL", day, "-3", "1"), "quantity", "quantity must be positive, got -3"},
		{"quantity rounds to zero", buy("x", "fifo", "AAPL", day, "0.000000004", "1"), "quantity", "quantity 0.000000004 rounds to zero at 8 decimal places"},
		{"zero split ratio", split("x", "fifo", "AAPL", day, "0"), "quantity", "split ratio must be positive, got 0"},
		{"split ratio rounding to zero", split("x", "fifo", "AAPL", day, "0.0000000001"), "quantity", "split ratio 0.0000000001 rounds to zero at 8 decimal places"},
		{"split rounding a lot to nothing", split("x", "fifo", "TINY", day, "0.00000001"), "quantity", `split ratio 0.00000001 would leave lot "tiny" with no shares (it holds 0.4)`},
		{"negative amount", Trade{ID: "x", AccountID: "fifo", Date: MustDate(day), Action: Buy, Symbol: "AAPL", Quantity: dec("1"), Price: dec("1"), Amount: dec("-1")}, "amount", "amount must not be negative, got -1"},
		{"negative price", buy("x", "fifo", "AAPL", day, "1", "-1"), "price", "price must not be negative, got -1"},
		{"negative fees", Trade{ID: "x", AccountID: "fifo", Date: MustDate(day), Action: Buy, Symbol: "AAPL", Quantity: dec("1"), Price: dec("1"), Fees: dec("-0.5")}, "fees", "fees must not be negative, got -0.5"},
		{"buy without price or amount", buy("x", "fifo", "AAPL", day, "1", "0"), "price", "a BUY needs a positive price or amount"},
		{"sell without price or amount", sell("x", "fifo", "AAPL", day, "1", "0"), "price", "a SELL needs a positive price or amount"},
		{"reinvest without price or amount", Trade{ID: "x", AccountID: "fifo", Date: MustDate(day), Action: Reinvest, Symbol: "AAPL", Quantity: dec("1")}, "price", "a REINVEST needs a positive price or amount"},
		{"dividend of zero", Trade{ID: "x", AccountID: "fifo", Date: MustDate(day), Action: Dividend, Symbol: "AAPL"}, "amount", "a DIVIDEND needs a positive amount, got 0"},
		{"deposit of zero", cash("x", "fifo", Deposit, day, "0"), "amount", "a DEPOSIT needs a positive amount, got 0"},
		{"withdrawal of zero", cash("x", "fifo", Withdrawal, day, "0"), "amount", "a WITHDRAWAL needs a positive amount, got 0"},
		{"fee of zero", cash("x", "fifo", Fee, day, "0"), "amount", "a FEE needs a positive amount, got 0"},
		{"negative interest", cash("x", "fifo", Interest, day, "-2"), "amount", "amount must not be negative, got -2"},
		{"duplicate lot id", buy("a1", "ira", "MSFT", day, "1", "1"), "id", `lot id "a1" is already taken by the lot of AAPL bought on 2024-01-02 in account fifo`},
		{"buy without id", buy("", "fifo", "AAPL", day, "1", "1"), "id", "a BUY needs an id: it becomes the id of the lot it opens"},
		{"over-sell", sell("x", "fifo", "AAPL", day, "15.5", "1"), "quantity", "sell of 15.5 AAPL exceeds the 15 held in account fifo"},
		{"sell of nothing held", sell("x", "lifo", "AAPL", day, "1", "1"), "quantity", "sell of 1 AAPL exceeds the 0 held in account lifo"},
		{"sell of a closed position", sell("x", "fifo", "CSCO", day, "1", "1"), "quantity", "sell of 1 CSCO exceeds the 0 held in account fifo"},
		{"over-sell with picks", sell("x", "fifo", "AAPL", day, "16", "1", pick("a1", "0")), "quantity", "sell of 16 AAPL exceeds the 15 held in account fifo"},
		{"unknown lot", sell("x", "fifo", "AAPL", day, "1", "1", pick("zz", "1")), "lots", `lot "zz" not found`},
		{"pick without id", sell("x", "fifo", "AAPL", day, "1", "1", pick("", "1")), "lots", "a picked lot has no id"},
		{"lot of another symbol", sell("x", "fifo", "AAPL", day, "1", "1", pick("m1", "1")), "lots", `lot "m1" holds MSFT, not AAPL`},
		{"lot of another account", sell("x", "fifo", "AAPL", day, "1", "1", pick("i1", "1")), "lots", `lot "i1" is in account ira, not fifo`},
		{"pick exceeds the lot", sell("x", "fifo", "AAPL", day, "6", "1", pick("a2", "6")), "lots", `lot "a2" holds 5 shares, fewer than the 6 picked`},
		{"second pick exceeds what is left", sell("x", "fifo", "AAPL", day, "6", "1", pick("a2", "3"), pick("a2", "3")), "lots", `lot "a2" holds 2 shares after the earlier picks of this sale, fewer than the 3 picked`},
		{"zero pick of an exhausted lot", sell("x", "fifo", "AAPL", day, "6", "1", pick("a2", "5"), pick("a2", "0")), "lots", `lot "a2" has no shares left after the other picks of this sale`},
		{"picks fall short", sell("x", "fifo", "AAPL", day, "8", "1", pick("a1", "3"), pick("a2", "4")), "lots", "the picked lots cover 7 shares but the sale is of 8"},
		{"zero picks fall short", sell("x", "fifo", "AAPL", day, "12", "1", pick("a1", "0")), "lots", "the picked lots cover 10 shares but the sale is of 12"},
		{"picks exceed the sale", sell("x", "fifo", "AAPL", day, "5", "1", pick("a1", "3"), pick("a2", "4")), "lots", "the picked lots cover 7 shares but the sale is of 5"},
		{"stated picks alone exceed the sale", sell("x", "fifo", "AAPL", day, "5", "1", pick("a1", "0"), pick("a1", "3"), pick("a2", "4")), "lots", "the picked lots cover 7 shares but the sale is of 5"},
		{"stated and filled picks fall short", sell("x", "fifo", "AAPL", day, "14", "1", pick("a2", "0"), pick("a1", "3")), "lots", "the picked lots cover 8 shares but the sale is of 14"},
		{"negative split denominator", splitNM("x", "fifo", "AAPL", day, "1", "-3"), "quantity", "split ratio must be positive, got 1:-3"},
		{"split denominator rounding to zero", splitNM("x", "fifo", "AAPL", day, "1", "0.000000001"), "quantity", "split ratio 1:0.000000001: the M of N-for-M must be between 0.00000001 and 9999999999.99999999"},
		{"split denominator on a buy", Trade{ID: "x", AccountID: "fifo", Date: MustDate(day), Action: Buy, Symbol: "AAPL", Quantity: dec("1"), Price: dec("1"), SplitFrom: dec("3")}, "quantity", "a BUY has no split ratio: SplitFrom must be zero, got 3"},
		{"N-for-M split rounding a lot to nothing", splitNM("x", "fifo", "TINY", day, "1", "100000000"), "quantity", `split ratio 1:100000000 would leave lot "tiny" with no shares (it holds 0.4)`},
		{"negative pick", sell("x", "fifo", "AAPL", day, "1", "1", pick("a1", "-1")), "lots", `the pick of lot "a1" has a negative quantity -1`},
		{"pick rounds to zero", sell("x", "fifo", "AAPL", day, "1", "1", pick("a1", "0.000000001")), "lots", `the pick of lot "a1", 0.000000001 shares, rounds to zero at 8 decimal places`},
		{"reused trade id is fine for a sale", withID(sell("x", "fifo", "AAPL", day, "99", "1"), "a1"), "quantity", "sell of 99 AAPL exceeds the 15 held in account fifo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLedger(testAccounts)
			mustApply(t, l, setup...)
			beforeLots, beforeDisp, beforeCash := l.Lots(), l.Disposals(), l.Cash()

			err := l.Apply(tt.trade)
			var be *BookingError
			if !errors.As(err, &be) {
				t.Fatalf("Apply = %v, want a *BookingError", err)
			}
			if be.TradeID != tt.trade.ID || be.Field != tt.field {
				t.Errorf("BookingError{TradeID: %q, Field: %q}, want {%q, %q}", be.TradeID, be.Field, tt.trade.ID, tt.field)
			}
			if got := be.Err.Error(); got != tt.msg {
				t.Errorf("message:\n got %s\nwant %s", got, tt.msg)
			}
			if want := fmt.Sprintf("trade %s: %s: %s", tt.trade.ID, tt.field, tt.msg); err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
			if diff := cmp.Diff(beforeLots, l.Lots(), decEqual); diff != "" {
				t.Errorf("failed Apply changed the lots (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(beforeDisp, l.Disposals(), decEqual); diff != "" {
				t.Errorf("failed Apply changed the disposals (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(beforeCash, l.Cash(), decEqual); diff != "" {
				t.Errorf("failed Apply changed the cash (-before +after):\n%s", diff)
			}
		})
	}
}

func TestClosedLotPick(t *testing.T) {
	l := NewLedger(testAccounts)
	mustApply(t, l,
		buy("a1", "fifo", "AAPL", "2024-01-02", "10", "100"),
		buy("a2", "fifo", "AAPL", "2024-01-03", "10", "100"),
		sell("s1", "fifo", "AAPL", "2024-02-01", "10", "120"),
	)
	err := l.Apply(sell("s2", "fifo", "AAPL", "2024-03-01", "1", "120", pick("a1", "1")))
	var be *BookingError
	if !errors.As(err, &be) || be.Field != "lots" || be.Err.Error() != `lot "a1" was closed on 2024-02-01` {
		t.Fatalf("Apply = %v, want lots: lot \"a1\" was closed on 2024-02-01", err)
	}
}

func TestUnknownLotMethod(t *testing.T) {
	l := NewLedger([]Account{{ID: "odd", LotMethod: "average"}, {ID: "upper", LotMethod: "LIFO"}})
	mustApply(t, l,
		buy("a", "odd", "X", "2024-01-02", "10", "1"),
		buy("u1", "upper", "X", "2024-01-02", "10", "1"),
		buy("u2", "upper", "X", "2024-01-03", "10", "1"),
		sell("su", "upper", "X", "2024-01-04", "1", "1"),
	)
	if got := brief(l.Disposals()); got[0] != "u2 1 1 1" {
		t.Errorf("upper-case LIFO sold %v, want lot u2", got)
	}
	err := l.Apply(sell("s", "odd", "X", "2024-02-01", "1", "1"))
	var be *BookingError
	if !errors.As(err, &be) || be.Field != "account" || !strings.Contains(be.Err.Error(), `unknown lot method "average"`) {
		t.Errorf("Apply = %v, want an account error naming the lot method", err)
	}
	// Naming the lots works whatever the method.
	mustApply(t, l, sell("s2", "odd", "X", "2024-02-01", "1", "1", pick("a", "0")))
}

func TestPartialSaleBasisRounding(t *testing.T) {
	l := NewLedger(testAccounts)
	mustApply(t, l, Trade{ID: "b", AccountID: "fifo", Date: MustDate("2024-01-02"), Action: Buy, Symbol: "X", Quantity: dec("3"), Amount: dec("100")})
	steps := []struct {
		sold, wantBasis, wantLeft string
	}{
		{"1", "33.333333", "66.666667"},
		{"1", "33.333334", "33.333333"}, // 66.666667 / 2 = 33.3333335, half away from zero
		{"1", "33.333333", "0"},         // the last share takes what is left: no dust
	}
	for i, s := range steps {
		mustApply(t, l, sell(fmt.Sprintf("s%d", i), "fifo", "X", "2024-02-01", s.sold, "50"))
		d := l.Disposals()[i]
		lot := l.Lots()[0]
		if !d.CostBasis.Equal(dec(s.wantBasis)) || !d.AdjustedBasis.Equal(dec(s.wantBasis)) {
			t.Errorf("sale %d: disposal basis %s / adjusted %s, want %s", i, d.CostBasis, d.AdjustedBasis, s.wantBasis)
		}
		if !lot.CostBasis.Equal(dec(s.wantLeft)) || !lot.AdjustedBasis.Equal(dec(s.wantLeft)) {
			t.Errorf("sale %d: lot basis %s / adjusted %s, want %s", i, lot.CostBasis, lot.AdjustedBasis, s.wantLeft)
		}
	}
	lot := l.Lots()[0]
	if lot.Open() || lot.ClosedDate == nil || *lot.ClosedDate != MustDate("2024-02-01") {
		t.Errorf("lot after selling every share: %+v, want closed on 2024-02-01", lot)
	}
	if !lot.OriginalBasis.Equal(dec("100")) || !lot.OriginalQuantity.Equal(dec("3")) {
		t.Errorf("original basis/quantity changed: %s / %s", lot.OriginalBasis, lot.OriginalQuantity)
	}
}

func TestDisposalFields(t *testing.T) {
	l := NewLedger(testAccounts)
	mustApply(t, l,
		buy("b1", "ira", "VTI", "2023-05-01", "4", "200"),
		Trade{ID: "s1", AccountID: "ira", Date: MustDate("2024-05-02"), Action: Sell, Symbol: "VTI", Quantity: dec("1.5"), Price: dec("250"), Fees: dec("1.25")},
	)
	want := []Disposal{{
		SellTradeID:          "s1",
		LotID:                "b1",
		AccountID:            "ira",
		Symbol:               "VTI",
		Quantity:             dec("1.5"),
		DateAcquired:         MustDate("2023-05-01"),
		AdjustedDateAcquired: MustDate("2023-05-01"),
		DateSold:             MustDate("2024-05-02"),
		Proceeds:             dec("373.75"),
		CostBasis:            dec("300"),
		AdjustedBasis:        dec("300"),
	}}
	if diff := cmp.Diff(want, l.Disposals(), decEqual); diff != "" {
		t.Errorf("disposals (-want +got):\n%s", diff)
	}
	wantLot := Lot{
		ID: "b1", AccountID: "ira", Symbol: "VTI", OpenTradeID: "b1",
		DateAcquired: MustDate("2023-05-01"), AdjustedDateAcquired: MustDate("2023-05-01"),
		OriginalQuantity: dec("4"), Quantity: dec("2.5"),
		OriginalBasis: dec("800"), CostBasis: dec("500"), AdjustedBasis: dec("500"),
	}
	if diff := cmp.Diff([]Lot{wantLot}, l.Lots(), decEqual); diff != "" {
		t.Errorf("lots (-want +got):\n%s", diff)
	}
}

func TestProceedsRemainder(t *testing.T) {
	tests := []struct {
		name  string
		buys  []string // quantities of one-share-price lots, oldest first
		qty   string
		sell  Trade
		wantP []string
	}{
		{
			name:  "thirds",
			buys:  []string{"1", "1", "1"},
			qty:   "3",
			sell:  Trade{Amount: dec("100")},
			wantP: []string{"33.333333", "33.333333", "33.333334"},
		},
		{
			name:  "uneven portions",
			buys:  []string{"1", "2", "4"},
			qty:   "7",
			sell:  Trade{Amount: dec("10")},
			wantP: []string{"1.428571", "2.857143", "5.714286"},
		},
		{
			name:  "net of fees",
			buys:  []string{"2", "1"},
			qty:   "3",
			sell:  Trade{Price: dec("10"), Fees: dec("1")},
			wantP: []string{"19.333333", "9.666667"},
		},
		{
			name:  "fees above the gross make negative proceeds",
			buys:  []string{"1", "2"},
			qty:   "3",
			sell:  Trade{Price: dec("0.01"), Fees: dec("1")},
			wantP: []string{"-0.323333", "-0.646667"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLedger(testAccounts)
			for i, q := range tt.buys {
				mustApply(t, l, buy(fmt.Sprintf("b%d", i), "fifo", "X", MustDate("2024-01-01").AddDays(i).String(), q, "1"))
			}
			s := tt.sell
			s.ID, s.AccountID, s.Date, s.Action, s.Symbol, s.Quantity = "s", "fifo", MustDate("2024-06-03"), Sell, "X", dec(tt.qty)
			mustApply(t, l, s)
			var got []string
			sum := decimal.Zero
			for _, d := range l.Disposals() {
				got = append(got, d.Proceeds.String())
				sum = sum.Add(d.Proceeds)
			}
			if diff := cmp.Diff(tt.wantP, got); diff != "" {
				t.Errorf("proceeds (-want +got):\n%s", diff)
			}
			if !sum.Equal(s.NetCash()) {
				t.Errorf("proceeds sum to %s, want the sale's net cash %s", sum, s.NetCash())
			}
		})
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name     string
		trades   []Trade
		wantLots []string // every lot of account fifo, symbol X: "id qty origQty basis"
	}{
		{
			name: "2 for 1",
			trades: []Trade{
				buy("a", "fifo", "X", "2024-01-02", "10", "100"),
				buy("b", "fifo", "X", "2024-01-03", "5", "90"),
				split("sp", "fifo", "X", "2024-02-01", "2"),
			},
			wantLots: []string{"a 20 20 1000", "b 10 10 450"},
		},
		{
			name: "1 for 10 reverse",
			trades: []Trade{
				buy("a", "fifo", "X", "2024-01-02", "15", "2"),
				split("sp", "fifo", "X", "2024-02-01", "0.1"),
			},
			wantLots: []string{"a 1.5 1.5 30"},
		},
		{
			name: "3 for 2",
			trades: []Trade{
				buy("a", "fifo", "X", "2024-01-02", "7", "10"),
				split("sp", "fifo", "X", "2024-02-01", "1.5"),
			},
			wantLots: []string{"a 10.5 10.5 70"},
		},
		{
			name: "ratio that rounds each lot",
			trades: []Trade{
				buy("a", "fifo", "X", "2024-01-02", "1", "10"),
				buy("b", "fifo", "X", "2024-01-03", "2", "10"),
				split("sp", "fifo", "X", "2024-02-01", "0.333333333"),
			},
			wantLots: []string{"a 0.33333333 0.33333333 10", "b 0.66666667 0.66666667 20"},
		},
		{
			name: "after a partial sale the original quantity scales too",
			trades: []Trade{
				buy("a", "fifo", "X", "2024-01-02", "10", "10"),
				sell("s", "fifo", "X", "2024-01-05", "4", "12"),
				split("sp", "fifo", "X", "2024-02-01", "2"),
			},
			wantLots: []string{"a 12 20 60"},
		},
		{
			name: "closed lots and other accounts and symbols are untouched",
			trades: []Trade{
				buy("a", "fifo", "X", "2024-01-02", "10", "10"),
				buy("b", "fifo", "X", "2024-01-03", "10", "10"),
				buy("c", "ira", "X", "2024-01-03", "10", "10"),
				buy("d", "fifo", "Y", "2024-01-03", "10", "10"),
				sell("s", "fifo", "X", "2024-01-05", "10", "12"),
				split("sp", "fifo", "X", "2024-02-01", "2"),
			},
			wantLots: []string{"a 0 10 0", "b 20 20 100", "d 10 10 100", "c 10 10 100"},
		},
		{
			name: "1 for 3 is exact",
			trades: []Trade{
				buy("a", "fifo", "X", "2024-01-02", "300", "10"),
				splitNM("sp", "fifo", "X", "2024-02-01", "1", "3"),
			},
			wantLots: []string{"a 100 100 3000"},
		},
		{
			name: "N for M rounds each lot once",
			trades: []Trade{
				buy("a", "fifo", "X", "2024-01-02", "1", "10"),
				buy("b", "fifo", "X", "2024-01-03", "2", "10"),
				buy("c", "fifo", "X", "2024-01-04", "7", "10"),
				splitNM("sp", "fifo", "X", "2024-02-01", "2", "3"),
			},
			wantLots: []string{"a 0.66666667 0.66666667 10", "b 1.33333333 1.33333333 20", "c 4.66666667 4.66666667 70"},
		},
		{
			name: "3 for 7 after a partial sale scales the original quantity once",
			trades: []Trade{
				buy("a", "fifo", "X", "2024-01-02", "10", "10"),
				sell("s", "fifo", "X", "2024-01-05", "3", "12"),
				splitNM("sp", "fifo", "X", "2024-02-01", "3", "7"),
			},
			wantLots: []string{"a 3 4.28571429 70"},
		},
		{
			name: "3 for 2 given as N and M",
			trades: []Trade{
				buy("a", "fifo", "X", "2024-01-02", "7", "10"),
				splitNM("sp", "fifo", "X", "2024-02-01", "3", "2"),
			},
			wantLots: []string{"a 10.5 10.5 70"},
		},
		{
			name: "a split of nothing held is a no-op",
			trades: []Trade{
				split("sp", "fifo", "X", "2024-02-01", "2"),
				buy("a", "fifo", "X", "2024-03-01", "10", "10"),
			},
			wantLots: []string{"a 10 10 100"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLedger(testAccounts)
			mustApply(t, l, tt.trades...)
			var got []string
			for _, lot := range l.Lots() {
				got = append(got, fmt.Sprintf("%s %s %s %s", lot.ID, lot.Quantity, lot.OriginalQuantity, lot.CostBasis))
			}
			if diff := cmp.Diff(tt.wantLots, got); diff != "" {
				t.Errorf("lots (-want +got):\n%s", diff)
			}
			for id, c := range l.Cash() {
				want := decimal.Zero
				for _, tr := range tt.trades {
					if tr.AccountID == id {
						want = want.Add(tr.NetCash())
					}
				}
				if !c.Equal(want) {
					t.Errorf("cash of %s = %s, want %s", id, c, want)
				}
			}
		})
	}
}

func TestSplitThenSell(t *testing.T) {
	// After a split the sold shares are post-split shares, and HIFO sees the
	// new unit costs.
	l := NewLedger(testAccounts)
	mustApply(t, l,
		buy("a", "hifo", "X", "2024-01-02", "10", "100"),
		buy("b", "hifo", "X", "2024-01-03", "10", "120"),
		split("sp", "hifo", "X", "2024-02-01", "4"),
		sell("s", "hifo", "X", "2024-03-01", "50", "35"),
	)
	want := []string{"b 40 1200 1400", "a 10 250 350"}
	if diff := cmp.Diff(want, brief(l.Disposals())); diff != "" {
		t.Errorf("disposals (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a 30 750"}, briefLots(l.OpenLots())); diff != "" {
		t.Errorf("open lots (-want +got):\n%s", diff)
	}
}

func TestReinvest(t *testing.T) {
	l := NewLedger(testAccounts)
	mustApply(t, l,
		Trade{ID: "d", AccountID: "fifo", Date: MustDate("2024-03-15"), Action: Dividend, Symbol: "VTI", Amount: dec("12.34")},
		Trade{ID: "r", AccountID: "fifo", Date: MustDate("2024-03-15"), Action: Reinvest, Symbol: "VTI", Quantity: dec("0.0512"), Amount: dec("12.34")},
		Trade{ID: "r2", AccountID: "fifo", Date: MustDate("2024-06-15"), Action: Reinvest, Symbol: "VTI", Quantity: dec("0.05"), Price: dec("250.1")},
	)
	want := []string{"r 0.0512 12.34", "r2 0.05 12.505"}
	if diff := cmp.Diff(want, briefLots(l.OpenLots())); diff != "" {
		t.Errorf("lots (-want +got):\n%s", diff)
	}
	if got := l.Cash()["fifo"]; !got.Equal(dec("12.34")) {
		t.Errorf("cash = %s, want only the dividend, 12.34", got)
	}
	lot := l.Lots()[0]
	if lot.OpenTradeID != "r" || lot.DateAcquired != MustDate("2024-03-15") {
		t.Errorf("reinvested lot %+v", lot)
	}
}

func TestCash(t *testing.T) {
	held := buy("h", "fifo", "X", "2024-01-02", "10", "10") // cash -100
	day := "2024-02-01"
	tests := []struct {
		name  string
		trade Trade
		delta string
	}{
		{"buy", Trade{ID: "t", AccountID: "fifo", Date: MustDate(day), Action: Buy, Symbol: "X", Quantity: dec("10"), Price: dec("12.5"), Fees: dec("1")}, "-126"},
		{"buy by amount", Trade{ID: "t", AccountID: "fifo", Date: MustDate(day), Action: Buy, Symbol: "X", Quantity: dec("10"), Price: dec("12.5"), Amount: dec("130")}, "-130"},
		{"buy rounds once", Trade{ID: "t", AccountID: "fifo", Date: MustDate(day), Action: Buy, Symbol: "X", Quantity: dec("0.333"), Price: dec("0.0000016")}, "-0.000001"},
		{"sell", Trade{ID: "t", AccountID: "fifo", Date: MustDate(day), Action: Sell, Symbol: "X", Quantity: dec("5"), Price: dec("20"), Fees: dec("1")}, "99"},
		{"sell by amount", Trade{ID: "t", AccountID: "fifo", Date: MustDate(day), Action: Sell, Symbol: "X", Quantity: dec("5"), Amount: dec("98.5")}, "98.5"},
		{"dividend", Trade{ID: "t", AccountID: "fifo", Date: MustDate(day), Action: Dividend, Symbol: "X", Amount: dec("12.34")}, "12.34"},
		{"reinvest", Trade{ID: "t", AccountID: "fifo", Date: MustDate(day), Action: Reinvest, Symbol: "X", Quantity: dec("1"), Amount: dec("12.34")}, "0"},
		{"split", split("t", "fifo", "X", day, "2"), "0"},
		{"deposit", cash("t", "fifo", Deposit, day, "1000"), "1000"},
		{"withdrawal", cash("t", "fifo", Withdrawal, day, "200"), "-200"},
		{"withdrawal into margin", cash("t", "fifo", Withdrawal, day, "1000000"), "-1000000"},
		{"fee", cash("t", "fifo", Fee, day, "5"), "-5"},
		{"interest", cash("t", "fifo", Interest, day, "1.23"), "1.23"},
		{"interest rounds", cash("t", "fifo", Interest, day, "0.0000005"), "0.000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLedger(testAccounts)
			mustApply(t, l, held)
			before := l.Cash()
			mustApply(t, l, tt.trade)
			after := l.Cash()
			if got := after["fifo"].Sub(before["fifo"]); !got.Equal(dec(tt.delta)) {
				t.Errorf("cash moved by %s, want %s", got, tt.delta)
			}
			for _, a := range testAccounts[1:] {
				if !after[a.ID].IsZero() {
					t.Errorf("cash of untouched account %s = %s", a.ID, after[a.ID])
				}
			}
		})
	}
}

func TestCashHasEveryAccount(t *testing.T) {
	got := NewLedger(testAccounts).Cash()
	want := map[string]decimal.Decimal{"fifo": {}, "lifo": {}, "hifo": {}, "ira": {}}
	if diff := cmp.Diff(want, got, decEqual); diff != "" {
		t.Errorf("Cash of a new ledger (-want +got):\n%s", diff)
	}
	got["fifo"] = dec("1")
	if c := NewLedger(testAccounts).Cash()["fifo"]; !c.IsZero() {
		t.Errorf("Cash returned the ledger's own map")
	}
}

func TestReturnedValuesAreCopies(t *testing.T) {
	l := NewLedger(testAccounts)
	mustApply(t, l,
		buy("a", "fifo", "X", "2024-01-02", "10", "10"),
		sell("s", "fifo", "X", "2024-01-03", "10", "11"),
	)
	lots, ds, c := l.Lots(), l.Disposals(), l.Cash()
	*lots[0].ClosedDate = 0
	lots[0].ID = "changed"
	ds[0].LotID = "changed"
	c["fifo"] = dec("5")
	if diff := cmp.Diff([]string{"a 0 0"}, briefLots(l.Lots())); diff != "" {
		t.Errorf("Lots changed through a returned value: %s", diff)
	}
	if *l.Lots()[0].ClosedDate != MustDate("2024-01-03") {
		t.Errorf("ClosedDate changed through a returned pointer")
	}
	if l.Disposals()[0].LotID != "a" || !l.Cash()["fifo"].Equal(dec("10")) {
		t.Errorf("Disposals or Cash changed through a returned value")
	}
	if got := NewLedger(nil).OpenLots(); got == nil || len(got) != 0 {
		t.Errorf("OpenLots of an empty ledger = %#v, want an empty slice", got)
	}
}

func TestLotsOrder(t *testing.T) {
	l := NewLedger(testAccounts)
	mustApply(t, l,
		buy("z", "lifo", "B", "2024-01-01", "1", "1"),
		buy("y", "fifo", "B", "2024-01-05", "1", "1"),
		buy("x", "fifo", "B", "2024-01-02", "1", "1"),
		buy("w", "fifo", "A", "2024-01-09", "1", "1"),
		buy("v", "fifo", "B", "2024-01-02", "1", "1"),
		sell("s", "fifo", "B", "2024-02-01", "1", "1"),
	)
	var ids []string
	for _, lot := range l.Lots() {
		ids = append(ids, lot.ID)
	}
	if diff := cmp.Diff([]string{"w", "v", "x", "y", "z"}, ids); diff != "" {
		t.Errorf("Lots order (-want +got):\n%s", diff)
	}
	ids = nil
	for _, lot := range l.OpenLots() {
		ids = append(ids, lot.ID)
	}
	if diff := cmp.Diff([]string{"w", "x", "y", "z"}, ids); diff != "" {
		t.Errorf("OpenLots order (-want +got):\n%s", diff)
	}
}

func TestHoldings(t *testing.T) {
	l := NewLedger(testAccounts)
	mustApply(t, l,
		buy("a1", "fifo", "AAPL", "2024-01-05", "10", "100"),
		buy("a2", "fifo", "AAPL", "2024-01-02", "5", "110"),
		buy("m1", "fifo", "MSFT", "2024-01-02", "2", "300"),
		buy("i1", "ira", "AAPL", "2024-01-02", "1", "100"),
		buy("c1", "fifo", "CSCO", "2024-01-02", "10", "50"),
		sell("cs", "fifo", "CSCO", "2024-01-05", "10", "55"),
		sell("as", "fifo", "AAPL", "2024-02-01", "1", "120"),
	)
	want := []Holding{
		{AccountID: "fifo", Symbol: "AAPL", Quantity: dec("14"), CostBasis: dec("1440"), AdjustedBasis: dec("1440"), Lots: 2, FirstAcquired: MustDate("2024-01-02")},
		{AccountID: "fifo", Symbol: "MSFT", Quantity: dec("2"), CostBasis: dec("600"), AdjustedBasis: dec("600"), Lots: 1, FirstAcquired: MustDate("2024-01-02")},
		{AccountID: "ira", Symbol: "AAPL", Quantity: dec("1"), CostBasis: dec("100"), AdjustedBasis: dec("100"), Lots: 1, FirstAcquired: MustDate("2024-01-02")},
	}
	if diff := cmp.Diff(want, Holdings(l.Lots()), decEqual); diff != "" {
		t.Errorf("Holdings(Lots) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, Holdings(l.OpenLots()), decEqual); diff != "" {
		t.Errorf("Holdings(OpenLots) (-want +got):\n%s", diff)
	}
	if got := Holdings(nil); got == nil || len(got) != 0 {
		t.Errorf("Holdings(nil) = %#v, want an empty slice", got)
	}
}

func TestReplayOrderIndependence(t *testing.T) {
	accounts, trades := genHistory(rand.New(rand.NewPCG(1, 2)), 3000, 20)
	want, err := Replay(accounts, trades)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Disposals()) == 0 {
		t.Fatal("the generated history sells nothing")
	}
	for seed := range uint64(8) {
		shuffled := append([]Trade(nil), trades...)
		rand.New(rand.NewPCG(seed, 99)).Shuffle(len(shuffled), func(i, j int) {
			shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
		})
		keep := append([]Trade(nil), shuffled...)
		got, err := Replay(accounts, shuffled)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		// cmp.Diff only to explain a difference: on thousands of lots it is slow.
		if !slices.EqualFunc(keep, shuffled, func(a, b Trade) bool { return a.ID == b.ID }) {
			t.Fatalf("Replay modified its input")
		}
		if w, g := want.Lots(), got.Lots(); !slices.EqualFunc(w, g, lotEqual) {
			t.Errorf("seed %d: lots differ (-sorted +shuffled):\n%s", seed, cmp.Diff(w, g, decEqual))
		}
		if w, g := want.Disposals(), got.Disposals(); !slices.EqualFunc(w, g, disposalEqual) {
			t.Errorf("seed %d: disposals differ (-sorted +shuffled):\n%s", seed, cmp.Diff(w, g, decEqual))
		}
		if diff := cmp.Diff(want.Cash(), got.Cash(), decEqual); diff != "" {
			t.Errorf("seed %d: cash differs (-sorted +shuffled):\n%s", seed, diff)
		}
	}
}

func TestReplaySameDay(t *testing.T) {
	// The sale is listed first and its ID sorts first, but on one day
	// purchases come before sales, and a split before both.
	trades := []Trade{
		sell("a-sell", "fifo", "X", "2024-01-03", "12", "11"),
		buy("z-buy", "fifo", "X", "2024-01-03", "10", "10"),
		split("m-split", "fifo", "X", "2024-01-03", "2"),
		buy("old", "fifo", "X", "2024-01-02", "1", "10"),
		cash("a-fee", "fifo", Fee, "2024-01-03", "1"),
		cash("z-dep", "fifo", Deposit, "2024-01-03", "500"),
	}
	l, err := Replay(testAccounts, trades)
	if err != nil {
		t.Fatal(err)
	}
	// old: 1 share split to 2; z-buy: 10 unsplit; the sale takes 2 + 10.
	if diff := cmp.Diff([]string{"old 2 10 22", "z-buy 10 100 110"}, brief(l.Disposals())); diff != "" {
		t.Errorf("disposals (-want +got):\n%s", diff)
	}
	if got := l.Cash()["fifo"]; !got.Equal(dec("521")) {
		t.Errorf("cash = %s, want 500 - 10 - 100 + 132 - 1 = 521", got)
	}

	// Applied in the listed order, the sale comes before the purchase and fails.
	if err := NewLedger(testAccounts).Apply(trades[0]); err == nil {
		t.Error("a sale before any purchase booked")
	}
}

func TestReplayStopsAtFirstError(t *testing.T) {
	trades := []Trade{
		buy("b1", "fifo", "X", "2024-01-02", "10", "10"),
		sell("s1", "fifo", "X", "2024-01-03", "11", "10"),
		buy("b2", "fifo", "X", "2024-01-04", "10", "10"),
		buy("b3", "nope", "X", "2024-01-05", "10", "10"),
	}
	l, err := Replay(testAccounts, trades)
	var be *BookingError
	if !errors.As(err, &be) || be.TradeID != "s1" || be.Field != "quantity" {
		t.Fatalf("Replay error = %v, want the over-sell of s1", err)
	}
	if l == nil || len(l.Lots()) != 1 || !l.Cash()["fifo"].Equal(dec("-100")) {
		t.Errorf("Replay should return the ledger as it stood before s1")
	}
}

// genHistory makes a valid, date-ordered history of n trades over the given
// number of symbols in a FIFO, a LIFO and a HIFO account.
func genHistory(rng *rand.Rand, n, symbols int) ([]Account, []Trade) {
	accounts := []Account{
		{ID: "acct-fifo", TaxType: Taxable},
		{ID: "acct-lifo", TaxType: TraditionalIRA, LotMethod: LIFO},
		{ID: "acct-hifo", TaxType: Taxable, LotMethod: HIFO},
	}
	syms := make([]string, symbols)
	for i := range syms {
		syms[i] = fmt.Sprintf("S%03d", i)
	}
	held := make(map[positionKey]decimal.Decimal)
	day := MustDate("2015-01-02")
	trades := make([]Trade, 0, n)
	hundredth := decimal.New(1, -2)
	for i := range n {
		if i%30 == 29 {
			day++
		}
		id := fmt.Sprintf("t%07d", i)
		acct := accounts[rng.IntN(len(accounts))].ID
		sym := syms[rng.IntN(len(syms))]
		k := positionKey{acct, sym}
		price := decimal.New(int64(100+rng.IntN(50000)), -2)
		tr := Trade{ID: id, AccountID: acct, Date: day, Symbol: sym, Price: price}
		switch x := rng.IntN(1000); {
		case x < 2: // a split, on a day of its own
			day++
			tr.Date = day
			tr.Action = Split
			tr.Price = decimal.Zero
			tr.Quantity = decimal.NewFromInt(int64(2 + rng.IntN(2)))
			held[k] = held[k].Mul(tr.Quantity)
			day++
		case x < 330 && held[k].IsPositive():
			tr.Action = Sell
			switch h := held[k]; {
			case rng.IntN(5) == 0:
				tr.Quantity = h
			default:
				q := h.Mul(decimal.New(int64(1+rng.IntN(99)), -2)).Truncate(2)
				tr.Quantity = decimal.Max(q, decimal.Min(hundredth, h))
			}
			if rng.IntN(4) == 0 {
				tr.Fees = decimal.New(int64(rng.IntN(200)), -2)
			}
			held[k] = held[k].Sub(tr.Quantity)
		case x < 800:
			tr.Action = Buy
			tr.Quantity = decimal.New(int64(1+rng.IntN(20000)), -2)
			if rng.IntN(4) == 0 {
				tr.Fees = decimal.New(int64(rng.IntN(200)), -2)
			}
			held[k] = held[k].Add(tr.Quantity)
		case x < 850:
			tr.Action = Reinvest
			tr.Quantity = decimal.New(int64(1+rng.IntN(1000)), -4)
			tr.Amount = tr.Quantity.Mul(price).Round(2)
			if !tr.Amount.IsPositive() {
				tr.Amount = hundredth
			}
			held[k] = held[k].Add(tr.Quantity)
		default:
			tr.Price = decimal.Zero
			tr.Action = []Action{Dividend, Deposit, Withdrawal, Fee, Interest}[rng.IntN(5)]
			if !tr.Action.NeedsSymbol() {
				tr.Symbol = ""
			}
			tr.Amount = decimal.New(int64(1+rng.IntN(100000)), -2)
		}
		trades = append(trades, tr)
	}
	return accounts, trades
}

// BenchmarkReplay100k replays 100,000 trades over 300 symbols in three
// accounts (FIFO, LIFO, HIFO), given in date order (as a store returns them
// with ORDER BY) and in random order. Each trade's values are allocated
// together, as when rows are loaded.
func BenchmarkReplay100k(b *testing.B) {
	accounts, history := genHistory(rand.New(rand.NewPCG(7, 11)), 100_000, 300)
	shuffled := slices.Clone(history)
	rand.New(rand.NewPCG(3, 5)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	load := func(trades []Trade) []Trade {
		fresh := func(d decimal.Decimal) decimal.Decimal { return decimal.NewFromBigInt(d.Coefficient(), d.Exponent()) }
		out := make([]Trade, len(trades))
		for i, t := range trades {
			t.ID = strings.Clone(t.ID)
			t.Quantity, t.Price, t.Fees, t.Amount = fresh(t.Quantity), fresh(t.Price), fresh(t.Fees), fresh(t.Amount)
			out[i] = t
		}
		return out
	}
	for _, bc := range []struct {
		name   string
		trades []Trade
	}{{"date-order", history}, {"random-order", shuffled}} {
		b.Run(bc.name, func(b *testing.B) {
			trades := load(bc.trades)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Replay(accounts, trades); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestUnits(t *testing.T) {
	tests := []struct {
		in     string
		places int32
		want   int64
		ok     bool
	}{
		{"0", 8, 0, true},
		{"10", 8, 1_000_000_000, true},
		{"1.5", 6, 1_500_000, true},
		{"0.123456785", 8, 12_345_679, true}, // half away from zero
		{"-0.123456785", 8, -12_345_679, true},
		{"0.123456784999", 8, 12_345_678, true},
		{"-0.0000005", 6, -1, true},
		{"0.0000004999", 6, 0, true},
		{"1e-30", 8, 0, true},
		{"9999999999.99999999", 8, 999_999_999_999_999_999, true},
		{"9999999999.999999994", 8, 999_999_999_999_999_999, true},
		{"9999999999.999999995", 8, 0, false}, // rounds up past 18 digits
		{"10000000000", 8, 0, false},
		{"1e30", 6, 0, false},
		{"0.1234567890123456789012345", 8, 12_345_679, true}, // more than 18 digits in, few out
		{"123456789012345678901234567890", 0, 0, false},
	}
	for _, tt := range tests {
		got, ok := units(dec(tt.in), tt.places)
		if got != tt.want || ok != tt.ok {
			t.Errorf("units(%s, %d) = %d, %v; want %d, %v", tt.in, tt.places, got, ok, tt.want, tt.ok)
		}
		if ok && !fromUnits(got, tt.places).Equal(dec(tt.in).Round(tt.places)) {
			t.Errorf("units(%s, %d) = %d, but Round gives %s", tt.in, tt.places, got, dec(tt.in).Round(tt.places))
		}
	}
}

// TestNetCashInUnits checks the ledger's own cash arithmetic against
// Trade.NetCash and Trade.CostBasis, on numbers with up to 10 decimals (more
// than 8 take the decimal path) and fees that may exceed the gross.
func TestNetCashInUnits(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	num := func(maxDigits int) decimal.Decimal {
		return decimal.New(rng.Int64N(int64(pow10[maxDigits])), -int32(rng.IntN(11)))
	}
	for n := range 20000 {
		tr := Trade{
			ID: fmt.Sprint(n), AccountID: "fifo", Symbol: "X", Date: MustDate("2024-01-02"),
			Action:   []Action{Buy, Sell, Reinvest}[rng.IntN(3)],
			Quantity: num(10).Add(decimal.New(1, -8)),
			Price:    num(10).Add(decimal.New(1, -10)),
		}
		if rng.IntN(3) == 0 {
			tr.Fees = num(6)
		}
		if rng.IntN(5) == 0 {
			tr.Amount = num(12)
		}
		want := tr.NetCash()
		if tr.Action != Sell {
			want = tr.CostBasis()
		}
		wantUnits, wantOK := units(want, MoneyPlaces)
		got, ok := grossUnits(&tr, tr.Action == Sell)
		if ok && (!wantOK || got != wantUnits) {
			t.Fatalf("%+v: grossUnits = %d, want %s", tr, got, want)
		}
		l := NewLedger(testAccounts)
		if tr.Action == Sell {
			mustApply(t, l, Trade{ID: "b", AccountID: "fifo", Symbol: "X", Date: MustDate("2024-01-01"), Action: Buy, Quantity: tr.Quantity, Amount: dec("1")})
		}
		if err := l.Apply(tr); err != nil {
			if !wantOK {
				continue
			}
			t.Fatalf("%+v: %v", tr, err)
		}
		wantCash := tr.NetCash()
		if tr.Action == Sell {
			wantCash = wantCash.Sub(dec("1"))
		}
		if got := l.Cash()["fifo"]; !got.Equal(wantCash) {
			t.Fatalf("%+v: cash %s, want %s", tr, got, wantCash)
		}
		if tr.Action != Sell {
			if got := l.Lots()[0].CostBasis; !got.Equal(tr.CostBasis()) {
				t.Fatalf("%+v: basis %s, want %s", tr, got, tr.CostBasis())
			}
		}
	}
}

func TestRangeErrors(t *testing.T) {
	day := "2024-06-03"
	tests := []struct {
		name   string
		setup  []Trade
		trade  Trade
		field  string
		substr string
	}{
		{"quantity", nil, buy("x", "fifo", "X", day, "20000000000", "1"), "quantity", "quantity 20000000000 is too large: at most 9999999999.99999999"},
		{"cost", nil, buy("x", "fifo", "X", day, "1000000000", "10000"), "price", "cost 10000000000000 is too large: at most 999999999999.999999"},
		{"amount", nil, cash("x", "fifo", Deposit, day, "1e12"), "amount", "amount 1000000000000 is too large"},
		{"cash", []Trade{cash("d", "fifo", Deposit, day, "900000000000")}, cash("x", "fifo", Interest, day, "100000000000"), "amount", "it would take the cash of account fifo beyond"},
		{"holding", []Trade{buy("b", "fifo", "X", day, "9000000000", "0.000001")}, buy("x", "fifo", "X", day, "1000000000", "0.000001"), "quantity", "it would take the holding of X in account fifo beyond"},
		{"split", []Trade{buy("b", "fifo", "X", day, "1000000000", "0.000001")}, split("x", "fifo", "X", day, "10"), "quantity", `split ratio 10 would give lot "b" more than`},
		{"pick", []Trade{buy("b", "fifo", "X", day, "10", "1")}, sell("x", "fifo", "X", day, "1", "1", pick("b", "1e11")), "lots", `the pick of lot "b", 100000000000 shares, is too large`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLedger(testAccounts)
			mustApply(t, l, tt.setup...)
			before := l.Cash()
			err := l.Apply(tt.trade)
			var be *BookingError
			if !errors.As(err, &be) || be.Field != tt.field || !strings.Contains(be.Err.Error(), tt.substr) {
				t.Fatalf("Apply = %v, want a %s error containing %q", err, tt.field, tt.substr)
			}
			if diff := cmp.Diff(before, l.Cash(), decEqual); diff != "" {
				t.Errorf("cash changed: %s", diff)
			}
		})
	}
}

func TestLotIndexCollisions(t *testing.T) {
	x := newLotIndex(0)
	lots := []lotRecord{{id: "a"}, {id: "b"}, {id: "c"}}
	x.add("a", 7, 0)
	x.add("b", 7, 1) // same hash as "a"
	x.add("c", 8, 2)
	for i, id := range []string{"a", "b"} {
		if got, ok := x.find(lots, id, 7); !ok || got != i {
			t.Errorf("find(%q) = %d, %v; want %d", id, got, ok, i)
		}
	}
	if _, ok := x.find(lots, "z", 7); ok {
		t.Error("found an ID that shares a hash but was never added")
	}
	if got, ok := x.find(lots, "c", 8); !ok || got != 2 {
		t.Errorf("find(c) = %d, %v", got, ok)
	}
}

func TestReplayOrderWideDateRange(t *testing.T) {
	// Far apart dates take the plain sort; the result is the same order.
	trades := []Trade{
		sell("s", "fifo", "X", "2200-01-02", "5", "1"),
		buy("b2", "fifo", "X", "1900-01-02", "5", "1"),
		buy("b1", "fifo", "X", "1900-01-02", "5", "2"),
		cash("d", "fifo", Deposit, "1900-01-02", "5"),
	}
	l, err := Replay(testAccounts, trades)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"b1 5 10 5"}, brief(l.Disposals())); diff != "" {
		t.Errorf("disposals (-want +got):\n%s", diff)
	}
}

// TestReplayLotIndex: Replay books a history of distinct lot IDs without
// indexing them as it goes; the index is filled in when a sale names lots
// or a later Apply needs it, and a history with a repeated ID still fails
// on its second use.
func TestReplayLotIndex(t *testing.T) {
	trades := []Trade{
		buy("a1", "fifo", "AAPL", "2024-01-02", "5", "10"),
		buy("a2", "fifo", "AAPL", "2024-01-03", "5", "11"),
		sell("s1", "fifo", "AAPL", "2024-01-04", "2", "12", pick("a2", "2")),
		buy("a3", "fifo", "AAPL", "2024-01-05", "5", "9"),
		sell("s2", "fifo", "AAPL", "2024-01-06", "1", "12", pick("a3", "1")),
	}
	l, err := Replay(testAccounts, trades)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Apply(buy("a3", "ira", "MSFT", "2024-02-01", "1", "1")); err == nil || !strings.Contains(err.Error(), `lot id "a3" is already taken`) {
		t.Fatalf("Apply of a taken lot ID after Replay: %v", err)
	}
	mustApply(t, l, buy("a4", "fifo", "AAPL", "2024-02-01", "1", "1"), sell("s3", "fifo", "AAPL", "2024-02-02", "1", "2", pick("a4", "1")))
	if err := l.Apply(sell("s4", "fifo", "AAPL", "2024-02-03", "1", "2", pick("a1", "1"))); err != nil {
		t.Fatal(err)
	}

	dup := append(slices.Clone(trades), buy("a1", "ira", "MSFT", "2024-01-07", "1", "1"))
	_, err = Replay(testAccounts, dup)
	var be *BookingError
	if !errors.As(err, &be) || be.Field != "id" || !strings.Contains(err.Error(), `lot id "a1" is already taken`) {
		t.Fatalf("Replay with a repeated lot ID: %v", err)
	}
}
