package portfolio

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestRebalanceHandComputed(t *testing.T) {
	// $10,000: A 70 shares at $100 = 70%, B 20 at $100 = 20%, cash $1,000.
	// Targets 50/50, band 5pp: sell A to 55% (15 shares), buy B to 45%
	// (25 shares) from cash 1,000 + 1,500.
	acct := Account{ID: "t", Name: "taxable", TaxType: Taxable, LotMethod: FIFO}
	asOf := MustDate("2024-06-03")
	in := RebalanceInput{AsOf: asOf, Accounts: []Account{acct},
		Lots: []Lot{
			{ID: "a1", AccountID: "t", Symbol: "A", Quantity: adec("70"), AdjustedBasis: adec("5600"), DateAcquired: MustDate("2020-01-02"), AdjustedDateAcquired: MustDate("2020-01-02")},
			{ID: "b1", AccountID: "t", Symbol: "B", Quantity: adec("20"), AdjustedBasis: adec("2400"), DateAcquired: MustDate("2024-01-02"), AdjustedDateAcquired: MustDate("2024-01-02")},
		},
		Cash:    map[string]decimal.Decimal{"t": adec("1000")},
		Prices:  map[string]decimal.Decimal{"A": adec("100"), "B": adec("100")},
		Targets: map[string]decimal.Decimal{"A": adec("0.5"), "B": adec("0.5")},
		Band:    adec("0.05"),
		Rates:   TaxRates{Short: decimal.NewNullDecimal(adec("0.32")), Long: decimal.NewNullDecimal(adec("0.15")), State: decimal.NewNullDecimal(adec("0.05"))},
	}
	plan, err := Rebalance(in)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Feasible {
		t.Fatalf("not feasible: %v", plan.Problems)
	}
	got := []string{}
	for _, tr := range plan.Trades {
		got = append(got, fmt.Sprintf("%s %s %s gain=%s tax=%s", tr.Action, tr.Quantity, tr.Symbol, tr.Gain, tr.Tax.Decimal))
	}
	want := []string{"SELL 15 A gain=300 tax=60", "BUY 25 B gain=0 tax=0"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("plan = %v, want %v", got, want)
	}
	// Gain: 15 × (100 − 80) = 300, long-term: 300 × (0.15 + 0.05) = 60.

	// --cash-only: buy 10 B with the $1,000; A stays above its band.
	in.CashOnly = true
	plan, err = Rebalance(in)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Feasible || len(plan.Trades) != 1 || plan.Trades[0].Quantity.String() != "10" {
		t.Errorf("cash-only plan: %+v", plan)
	}
	if len(plan.Problems) == 0 || !strings.Contains(strings.Join(plan.Problems, "\n"), "--cash-only") {
		t.Errorf("cash-only problems %v: want the reason", plan.Problems)
	}
}

func TestRebalanceTaxAwareWash(t *testing.T) {
	tx := Account{ID: "t", Name: "taxable", TaxType: Taxable, LotMethod: FIFO}
	ira := Account{ID: "i", Name: "ira", TaxType: TraditionalIRA, LotMethod: FIFO}
	asOf := MustDate("2024-06-03")
	same := func(a, b string) bool {
		g := map[string]string{"VOO": "sp", "IVV": "sp", "SPY": "sp"}
		if g[a] != "" && g[a] == g[b] {
			return true
		}
		return a == b
	}
	in := RebalanceInput{AsOf: asOf, Accounts: []Account{tx, ira},
		Lots: []Lot{
			// VOO at a loss in taxable: IVV was bought in the IRA 10 days ago.
			{ID: "v1", AccountID: "t", Symbol: "VOO", Quantity: adec("80"), AdjustedBasis: adec("9600"), AdjustedDateAcquired: MustDate("2023-01-03"), DateAcquired: MustDate("2023-01-03")},
			{ID: "v2", AccountID: "t", Symbol: "VOO", Quantity: adec("10"), AdjustedBasis: adec("500"), AdjustedDateAcquired: MustDate("2020-01-03"), DateAcquired: MustDate("2020-01-03")},
			{ID: "i1", AccountID: "i", Symbol: "IVV", Quantity: adec("1"), AdjustedBasis: adec("100"), AdjustedDateAcquired: asOf.AddDays(-10), DateAcquired: asOf.AddDays(-10)},
		},
		Cash:     map[string]decimal.Decimal{"t": adec("0"), "i": adec("0")},
		Prices:   map[string]decimal.Decimal{"VOO": adec("100"), "IVV": adec("100"), "BND": adec("100")},
		Targets:  map[string]decimal.Decimal{"VOO": adec("0.5"), "BND": adec("0.5")},
		Band:     adec("0.05"),
		TaxAware: true, Identical: same,
		History: []Trade{{ID: "i1", AccountID: "i", Date: asOf.AddDays(-10), Action: Buy, Symbol: "IVV", Quantity: adec("1"), Price: adec("100")}},
	}
	plan, err := Rebalance(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range plan.Trades {
		if tr.Action == Sell && tr.Symbol == "VOO" {
			for _, l := range tr.Lots {
				if l.LotID == "v1" {
					t.Errorf("sold loss lot v1 within 30 days of an IVV purchase: %+v", tr)
				}
			}
		}
	}
	if len(plan.Blocked) == 0 {
		t.Errorf("want a note about the blocked loss lots")
	}
	checkNoWash(t, in, plan)
}

// checkNoWash fails if a plan sells at a loss in a taxable account a symbol
// identical to one bought in the last 30 days or in the plan, or buys one
// identical to a loss sale in the last 30 days or in the plan.
func checkNoWash(t *testing.T, in RebalanceInput, plan *Plan) {
	t.Helper()
	same := in.Identical
	if same == nil {
		same = func(a, b string) bool { return a == b }
	}
	taxable := map[string]bool{}
	for _, a := range in.Accounts {
		taxable[a.ID] = !a.TaxType.TaxDeferred()
	}
	var bought, lossSold []string
	for _, h := range in.History {
		if (h.Action == Buy || h.Action == Reinvest) && h.Date >= in.AsOf.AddDays(-30) {
			bought = append(bought, h.Symbol)
		}
	}
	for _, d := range in.Disposals {
		if taxable[d.AccountID] && d.DateSold >= in.AsOf.AddDays(-30) && d.Gain().IsNegative() {
			lossSold = append(lossSold, d.Symbol)
		}
	}
	for _, tr := range plan.Trades {
		if tr.Action == Buy {
			bought = append(bought, tr.Symbol)
		} else if taxable[tr.AccountID] && tr.Gain.IsNegative() {
			lossSold = append(lossSold, tr.Symbol)
		}
	}
	for _, tr := range plan.Trades {
		if tr.Action == Sell && taxable[tr.AccountID] && tr.Gain.IsNegative() {
			for _, b := range bought {
				if same(tr.Symbol, b) {
					t.Errorf("wash sale: loss sale of %s with %s bought within 30 days", tr.Symbol, b)
				}
			}
		}
		if tr.Action == Buy {
			for _, s := range lossSold {
				if same(tr.Symbol, s) {
					t.Errorf("wash sale: buy of %s after a loss sale of %s", tr.Symbol, s)
				}
			}
		}
	}
}

// TestRebalanceInvariants runs seeded random portfolios through every mode
// and checks the plan's invariants.
func TestRebalanceInvariants(t *testing.T) {
	syms := []string{"VOO", "IVV", "VTI", "BND", "VXUS", "GLD"}
	same := func(a, b string) bool {
		return a == b || (a == "VOO" && b == "IVV") || (a == "IVV" && b == "VOO")
	}
	asOf := MustDate("2024-06-03")
	feasible := 0
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 99))
		accts := []Account{{ID: "t", Name: "taxable", TaxType: Taxable, LotMethod: FIFO}, {ID: "i", Name: "ira", TaxType: RothIRA, LotMethod: HIFO}}
		in := RebalanceInput{AsOf: asOf, Accounts: accts, Cash: map[string]decimal.Decimal{}, Prices: map[string]decimal.Decimal{},
			Targets: map[string]decimal.Decimal{}, Band: decimal.New(int64(1+rng.IntN(8)), -2), Identical: same,
			CashOnly: rng.IntN(4) == 0, TaxAware: rng.IntN(2) == 0, MinTrade: decimal.NewFromInt(int64(rng.IntN(3) * 50)),
			Rates: TaxRates{Short: decimal.NewNullDecimal(adec("0.3")), Long: decimal.NewNullDecimal(adec("0.15"))}}
		for _, s := range syms {
			in.Prices[s] = decimal.NewFromFloat(5 + rng.Float64()*400).Round(2)
		}
		for _, a := range accts {
			in.Cash[a.ID] = decimal.NewFromInt(int64(rng.IntN(20000)))
			for k := range 1 + rng.IntN(5) {
				s := syms[rng.IntN(len(syms))]
				q := decimal.NewFromInt(int64(1 + rng.IntN(300)))
				if rng.IntN(5) == 0 {
					q = q.Add(adec("0.375"))
				}
				basis := q.Mul(in.Prices[s]).Mul(decimal.NewFromFloat(0.6 + rng.Float64()*0.8)).Round(2)
				acq := asOf.AddDays(-1 - rng.IntN(800))
				in.Lots = append(in.Lots, Lot{ID: fmt.Sprintf("%s-%d", a.ID, k), AccountID: a.ID, Symbol: s, Quantity: q,
					AdjustedBasis: basis, CostBasis: basis, DateAcquired: acq, AdjustedDateAcquired: acq})
				if acq >= asOf.AddDays(-30) {
					in.History = append(in.History, Trade{ID: "h", AccountID: a.ID, Date: acq, Action: Buy, Symbol: s, Quantity: q})
				}
			}
		}
		if rng.IntN(3) == 0 {
			in.Disposals = append(in.Disposals, Disposal{AccountID: "t", Symbol: syms[rng.IntN(len(syms))], DateSold: asOf.AddDays(-5),
				Proceeds: adec("100"), AdjustedBasis: adec("150")})
		}
		left := 100
		for _, s := range syms[:2+rng.IntN(4)] {
			w := rng.IntN(left + 1)
			left -= w
			in.Targets[s] = decimal.New(int64(w), -2)
		}
		plan, err := Rebalance(in)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		checkPlan(t, seed, in, plan)
		if plan.Feasible {
			feasible++
		}
	}
	if feasible < 50 {
		t.Errorf("only %d of 300 random plans feasible: the generator or the planner is off", feasible)
	}
}

func checkPlan(t *testing.T, seed uint64, in RebalanceInput, plan *Plan) {
	t.Helper()
	qty := map[string]decimal.Decimal{}
	cash := map[string]decimal.Decimal{}
	for a, c := range in.Cash {
		cash[a] = c
	}
	for _, l := range in.Lots {
		qty[l.AccountID+"/"+l.Symbol] = qty[l.AccountID+"/"+l.Symbol].Add(l.Quantity)
	}
	for _, tr := range plan.Trades {
		if !tr.Quantity.Equal(tr.Quantity.Truncate(0)) || !tr.Quantity.IsPositive() {
			t.Errorf("seed %d: not a whole positive share count: %+v", seed, tr)
		}
		if in.CashOnly && tr.Action == Sell {
			t.Errorf("seed %d: a sale under --cash-only", seed)
		}
		if in.MinTrade.IsPositive() && tr.Amount.LessThan(in.MinTrade) {
			t.Errorf("seed %d: trade %s under min-trade %s", seed, tr.Amount, in.MinTrade)
		}
		k := tr.AccountID + "/" + tr.Symbol
		amt := tr.Quantity.Mul(in.Prices[tr.Symbol])
		if tr.Action == Buy {
			qty[k] = qty[k].Add(tr.Quantity)
			cash[tr.AccountID] = cash[tr.AccountID].Sub(amt)
		} else {
			qty[k] = qty[k].Sub(tr.Quantity)
			cash[tr.AccountID] = cash[tr.AccountID].Add(amt)
		}
	}
	for k, q := range qty {
		if q.IsNegative() {
			t.Errorf("seed %d: negative position %s %s", seed, k, q)
		}
	}
	for a, c := range cash {
		if c.IsNegative() {
			t.Errorf("seed %d: cash of %s below zero: %s", seed, a, c)
		}
		if !c.Equal(plan.CashAfter[a]) {
			t.Errorf("seed %d: cash after of %s %s, plan says %s", seed, a, c, plan.CashAfter[a])
		}
	}
	total := decimal.Zero
	val := map[string]decimal.Decimal{}
	for k, q := range qty {
		s := k[strings.IndexByte(k, '/')+1:]
		v := RoundMoney(q.Mul(in.Prices[s]))
		val[s] = val[s].Add(v)
		total = total.Add(v)
	}
	for _, c := range cash {
		total = total.Add(c)
	}
	if plan.Feasible {
		for s, w := range in.Targets {
			wt := val[s].Div(total)
			if wt.LessThan(w.Sub(in.Band).Sub(adec("0.000001"))) || wt.GreaterThan(w.Add(in.Band).Add(adec("0.000001"))) {
				t.Errorf("seed %d: feasible plan leaves %s at %s, target %s ± %s", seed, s, wt.StringFixed(4), w, in.Band)
			}
		}
	} else if len(plan.Problems) == 0 {
		t.Errorf("seed %d: infeasible plan without a message", seed)
	}
	if in.TaxAware {
		checkNoWash(t, in, plan)
	}
}

// TestRebalanceTaxAwareLossLots: tax aware, a purchase goes first to
// accounts that do not hold the symbol at a loss in a taxable account
// (buying there would wash that loss if the lot were harvested within 30
// days); what is still bought there carries a warning.
func TestRebalanceTaxAwareLossLots(t *testing.T) {
	tx := Account{ID: "t", Name: "taxable", TaxType: Taxable, LotMethod: FIFO}
	ira := Account{ID: "i", Name: "ira", TaxType: TraditionalIRA, LotMethod: FIFO}
	in := RebalanceInput{AsOf: MustDate("2024-06-03"), Accounts: []Account{tx, ira},
		Lots: []Lot{
			{ID: "a1", AccountID: "t", Symbol: "A", Quantity: adec("50"), AdjustedBasis: adec("5000"), DateAcquired: MustDate("2020-01-02"), AdjustedDateAcquired: MustDate("2020-01-02")},
			{ID: "b1", AccountID: "t", Symbol: "B", Quantity: adec("10"), AdjustedBasis: adec("2000"), DateAcquired: MustDate("2024-01-02"), AdjustedDateAcquired: MustDate("2024-01-02")},
		},
		Cash:     map[string]decimal.Decimal{"t": adec("3000"), "i": adec("1000")},
		Prices:   map[string]decimal.Decimal{"A": adec("100"), "B": adec("100")},
		Targets:  map[string]decimal.Decimal{"A": adec("0.5"), "B": adec("0.5")},
		Band:     adec("0.05"),
		TaxAware: true,
	}
	plan, err := Rebalance(in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range plan.Trades {
		got = append(got, fmt.Sprintf("%s %s %s %s", tr.AccountID, tr.Action, tr.Quantity, tr.Symbol))
	}
	if len(plan.Trades) != 2 || got[0] != "i BUY 10 B" || got[1] != "t BUY 25 B" {
		t.Fatalf("trades %v, want the IRA's 10 B first, then 25 in taxable", got)
	}
	if !strings.Contains(plan.Trades[1].Note, "wash-sale risk: buy B in taxable: taxable holds B at a loss") {
		t.Errorf("taxable buy note %q: want the loss-lot warning", plan.Trades[1].Note)
	}
	if strings.Contains(plan.Trades[0].Note, "wash-sale risk") {
		t.Errorf("IRA buy note %q: want no warning", plan.Trades[0].Note)
	}
	if !strings.Contains(strings.Join(plan.Notes, "\n"), "taxable holds B at a loss") {
		t.Errorf("notes %v: want the warning", plan.Notes)
	}
	in.TaxAware = false
	if plan, err = Rebalance(in); err != nil {
		t.Fatal(err)
	}
	for _, tr := range plan.Trades {
		if strings.Contains(tr.Note, "wash-sale risk") {
			t.Errorf("not tax aware: note %q", tr.Note)
		}
	}
}
