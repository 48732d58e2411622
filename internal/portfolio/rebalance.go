package portfolio

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
)

// RebalanceConventions states what a plan does and does not assume.
const RebalanceConventions = "whole shares at the last close, no commissions or slippage; total value (securities + cash) is unchanged by trades; " +
	"band is in percentage points around each target; symbols without a target are left alone; the cash target is CASH if given, else what targets and untargeted holdings leave; " +
	"out-of-band weights are traded only to the nearest band edge (least turnover); buys use cash first, then sales of holdings above target in the same account; " +
	"cash never goes below zero in any account; tax = short-term gain x (short + state) + long-term gain x (long + state) in taxable accounts, 0 in IRAs; " +
	"long-term means sold more than one year after the adjusted acquisition date; a wash sale is a loss sale in a taxable account within 30 days after a purchase of a substantially identical symbol in any account, " +
	"or a purchase within 30 days after such a loss sale (only the history up to as-of and the plan itself are known); " +
	"tax aware, purchases go first to accounts not holding the symbol (or anything identical) at a loss in a taxable account, and one still made there is flagged (it would wash that loss if the lot were sold within 30 days)"

// TaxRates are marginal rates as fractions; invalid (unset) rates leave the
// tax estimate unknown.
type TaxRates struct {
	Short, Long, State decimal.NullDecimal
}

// RebalanceInput is the state a plan starts from.
type RebalanceInput struct {
	AsOf      Date
	Accounts  []Account
	Lots      []Lot                      // open lots
	Cash      map[string]decimal.Decimal // by account ID
	Prices    map[string]decimal.Decimal // last close by symbol
	Targets   map[string]decimal.Decimal // by symbol; CASH for cash (see SymbolTargets)
	Band      decimal.Decimal            // fraction: 0.05 is ±5 percentage points
	MinTrade  decimal.Decimal            // smallest trade worth making, in money
	CashOnly  bool                       // no sales
	TaxAware  bool
	Rates     TaxRates
	Identical func(a, b string) bool // substantially identical; nil means same symbol
	History   []Trade                // past trades (for purchases in the last 30 days)
	Disposals []Disposal             // past disposals (for loss sales in the last 30 days)
}

// PlannedTrade is one whole-share trade of a plan, with its estimated
// realised gain and tax (sales).
type PlannedTrade struct {
	AccountID string
	Symbol    string
	Action    Action // BUY or SELL
	Quantity  decimal.Decimal
	Price     decimal.Decimal
	Amount    decimal.Decimal // quantity × price
	Lots      []LotPick       // the lots a sale takes, in order
	ShortGain decimal.Decimal
	LongGain  decimal.Decimal
	Gain      decimal.Decimal     // ShortGain + LongGain
	Tax       decimal.NullDecimal // estimated; negative is a saving
	Note      string
}

// PlanRow is one target's weight before and after the plan.
type PlanRow struct {
	Symbol         string
	Target         decimal.Decimal
	Low, High      decimal.Decimal // band edges
	Before, After  decimal.Decimal // weights, 6 places
	ValueBefore    decimal.Decimal
	ValueAfter     decimal.Decimal
	InBandBefore   bool
	InBandAfter    bool
	TargetedAmount decimal.Decimal // value − target × total after the plan
}

// Plan is the result of Rebalance: trades to make, never made here.
type Plan struct {
	Total     decimal.Decimal
	Trades    []PlannedTrade
	Rows      []PlanRow
	CashAfter map[string]decimal.Decimal
	Turnover  decimal.Decimal // Σ |amount|
	Gain      decimal.Decimal
	Tax       decimal.NullDecimal
	Feasible  bool     // every targeted weight ends inside its band
	Problems  []string // why not, one line each
	Blocked   []string // trades left out to avoid a wash sale
	Notes     []string // trades left out under --min-trade
}

type rbLot struct {
	lot    Lot
	units  int64 // open quantity units
	taken  int64
	basisU int64 // adjusted basis in money micro-units
}

type rbState struct {
	in       *RebalanceInput
	accts    []Account
	acct     map[string]Account
	price    map[string]int64
	qty      map[string]map[string]int64 // account → symbol → units
	lots     map[string][]*rbLot         // account/symbol → lots
	cash     map[string]int64
	total    int64
	same     func(a, b string) bool
	boughtG  []string // symbols bought in the last 30 days
	lossG    []string // symbols sold at a loss in taxable accounts in the last 30 days
	planBuy  []string
	planLoss []string
	trades   []PlannedTrade
	blocked  []string
	notes    []string
}

const shareUnits = 100_000_000 // one share in quantity units

// Rebalance plans whole-share trades that bring every targeted weight
// within its band (see RebalanceConventions).
func Rebalance(in RebalanceInput) (*Plan, error) {
	st := &rbState{in: &in, acct: map[string]Account{}, price: map[string]int64{}, qty: map[string]map[string]int64{},
		lots: map[string][]*rbLot{}, cash: map[string]int64{}, same: in.Identical}
	if st.same == nil {
		st.same = func(a, b string) bool { return strings.EqualFold(a, b) }
	}
	st.accts = append(st.accts, in.Accounts...)
	sort.SliceStable(st.accts, func(i, j int) bool { return st.accts[i].Name < st.accts[j].Name })
	for _, a := range in.Accounts {
		st.acct[a.ID] = a
		st.qty[a.ID] = map[string]int64{}
	}
	for sym, p := range in.Prices {
		u, ok := units(p, MoneyPlaces)
		if !ok || u <= 0 {
			return nil, fmt.Errorf("price of %s: %s is not a usable price", sym, p)
		}
		st.price[sym] = u
	}
	for a, c := range in.Cash {
		u, _ := units(c, MoneyPlaces)
		st.cash[a] = u
	}
	for _, l := range in.Lots {
		if !l.Open() {
			continue
		}
		if _, ok := st.acct[l.AccountID]; !ok {
			return nil, fmt.Errorf("lot %s: unknown account %s", l.ID, l.AccountID)
		}
		if _, ok := st.price[l.Symbol]; !ok {
			return nil, fmt.Errorf("no price for %s: run \"wealthalloc import prices\" or \"wealthalloc history\" first", l.Symbol)
		}
		u, _ := units(l.Quantity, QuantityPlaces)
		b, _ := units(l.AdjustedBasis, MoneyPlaces)
		st.qty[l.AccountID][l.Symbol] += u
		k := l.AccountID + "/" + l.Symbol
		st.lots[k] = append(st.lots[k], &rbLot{lot: l, units: u, basisU: b})
	}
	for sym := range in.Targets {
		if sym == CashSymbol {
			continue
		}
		if _, ok := st.price[sym]; !ok {
			return nil, fmt.Errorf("target %s has no price: import its prices first", sym)
		}
	}
	from := in.AsOf.AddDays(-30)
	for _, t := range in.History {
		if (t.Action == Buy || t.Action == Reinvest) && t.Date >= from && t.Date <= in.AsOf {
			st.boughtG = append(st.boughtG, t.Symbol)
		}
	}
	for _, d := range in.Disposals {
		if a, ok := st.acct[d.AccountID]; ok && !a.TaxType.TaxDeferred() && d.DateSold >= from && d.DateSold <= in.AsOf && d.Gain().IsNegative() {
			st.lossG = append(st.lossG, d.Symbol)
		}
	}
	st.total = st.totalValue()
	if st.total <= 0 {
		return nil, fmt.Errorf("nothing to rebalance: the portfolio's value is zero")
	}

	// Targets and bands in money micro-units.
	syms := st.symbols()
	band, _ := units(in.Band, MoneyPlaces) // fraction × 1e6
	tgt := map[string]int64{}
	var sumT, untargeted int64
	for _, s := range syms {
		if w, ok := in.Targets[s]; ok {
			u, _ := units(w, MoneyPlaces)
			tgt[s] = u
			sumT += u
		} else {
			untargeted += st.value(s)
		}
	}
	cashTarget, explicitCash := in.Targets[CashSymbol]
	var cashT int64
	if explicitCash {
		cashT, _ = units(cashTarget, MoneyPlaces)
	} else {
		cashT = max(0, 1_000_000-sumT-frac(untargeted, st.total))
	}
	lo := func(t int64) int64 { return max(0, frac2(t-band, st.total)) }
	hi := func(t int64) int64 { return frac2(t+band, st.total) }
	targeted := make([]string, 0, len(tgt))
	for _, s := range syms {
		if _, ok := tgt[s]; ok {
			targeted = append(targeted, s)
		}
	}
	before := map[string]int64{}
	for _, s := range targeted {
		before[s] = st.value(s)
	}
	cashBefore := st.cashTotal()

	// 1. Sell what is above its band, to the band's upper edge.
	if !in.CashOnly {
		for _, s := range byDrift(targeted, st, tgt, true) {
			if v, h := st.value(s), hi(tgt[s]); v > h {
				k := ceilDiv(v-h, st.price[s])
				st.sell(s, k, "above band", "")
			}
		}
	}
	// 2. Buy what is below its band, to the lower edge, cash first, then
	// from sales of holdings above target in the same account.
	for _, s := range byDrift(targeted, st, tgt, false) {
		v, l, h := st.value(s), lo(tgt[s]), hi(tgt[s])
		if v >= l {
			continue
		}
		need := ceilDiv(l-v, st.price[s])
		room := (h - v) / st.price[s]
		k := min(need, room)
		if k <= 0 {
			continue
		}
		got := st.buy(s, k, "below band")
		if got < k && !in.CashOnly {
			st.fund(s, k-got, targeted, tgt, func(x string) int64 { return lo(tgt[x]) })
		}
	}
	// 3. Cash above its band: invest the excess in the holdings furthest
	// below target, within their bands.
	if h := hi(cashT); st.cashTotal() > h {
		for _, s := range byDrift(targeted, st, tgt, false) {
			excess := st.cashTotal() - h
			if excess <= 0 {
				break
			}
			v := st.value(s)
			t := frac2(tgt[s], st.total)
			if v >= t {
				continue
			}
			k := min(ceilDiv(excess, st.price[s]), (hi(tgt[s])-v)/st.price[s])
			if k > 0 {
				st.buy(s, k, "invest cash above its band")
			}
		}
	}
	// 4. Cash below its band: sell holdings above target.
	if l := lo(cashT); st.cashTotal() < l && !in.CashOnly {
		for _, s := range byDrift(targeted, st, tgt, true) {
			short := l - st.cashTotal()
			if short <= 0 {
				break
			}
			v, t := st.value(s), frac2(tgt[s], st.total)
			if v <= t {
				continue
			}
			k := min(ceilDiv(short, st.price[s]), (v-lo(tgt[s]))/st.price[s])
			if k > 0 {
				st.sell(s, k, "raise cash to its band", "")
			}
		}
	}

	plan := st.finish()
	plan.Total = Money(st.total)
	for _, s := range append(targeted, CashSymbol) {
		var vb, va, t int64
		if s == CashSymbol {
			vb, va, t = cashBefore, st.cashTotal(), cashT
		} else {
			vb, va, t = before[s], st.value(s), tgt[s]
		}
		r := PlanRow{Symbol: s, Target: Money(t), Low: Money(max(0, t-band)), High: Money(t + band),
			ValueBefore: Money(vb), ValueAfter: Money(va),
			Before: Money(frac(vb, st.total)), After: Money(frac(va, st.total)),
			InBandBefore: vb >= lo(t) && vb <= hi(t), InBandAfter: va >= lo(t) && va <= hi(t),
			TargetedAmount: Money(va - frac2(t, st.total))}
		plan.Rows = append(plan.Rows, r)
		if !r.InBandAfter {
			plan.Problems = append(plan.Problems, st.why(s, va, lo(t), hi(t)))
		}
	}
	plan.Feasible = len(plan.Problems) == 0
	return plan, nil
}

// why explains a weight left outside its band.
func (st *rbState) why(s string, v, l, h int64) string {
	w := float64(v) / float64(st.total) * 100
	edge := fmt.Sprintf("%.2f%%–%.2f%%", float64(l)/float64(st.total)*100, float64(h)/float64(st.total)*100)
	switch {
	case s == CashSymbol && v > h:
		return fmt.Sprintf("cash stays at %.2f%%, outside %s: no targeted holding has room below its band to absorb it; widen --band or raise targets", w, edge)
	case s == CashSymbol:
		return fmt.Sprintf("cash stays at %.2f%%, outside %s: not enough can be sold%s", w, edge, cond(st.in.CashOnly, " (--cash-only)", ""))
	case v < l && st.in.CashOnly:
		return fmt.Sprintf("%s stays at %.2f%%, below %s: not enough cash for whole shares and --cash-only forbids sales", s, w, edge)
	case v < l && st.blockNote(s) != "":
		return fmt.Sprintf("%s stays at %.2f%%, below %s: buying it now would create a wash sale (see the notes); wait 31 days after the loss sale", s, w, edge)
	case v < l:
		p := st.price[s]
		if p > h-l {
			return fmt.Sprintf("%s stays at %.2f%%, outside %s: one share (%s) is wider than the band; widen --band", s, w, edge, Money(p).StringFixed(2))
		}
		return fmt.Sprintf("%s stays at %.2f%%, below %s: not enough cash in the accounts that could buy it, and no sale could fund it%s", s, w, edge, st.blockNote(s))
	default:
		p := st.price[s]
		if p > h-l {
			return fmt.Sprintf("%s stays at %.2f%%, outside %s: one share (%s) is wider than the band; widen --band", s, w, edge, Money(p).StringFixed(2))
		}
		if st.in.CashOnly {
			return fmt.Sprintf("%s stays at %.2f%%, above %s: --cash-only forbids sales", s, w, edge)
		}
		return fmt.Sprintf("%s stays at %.2f%%, above %s: the shares that could be sold are fractional or blocked%s", s, w, edge, st.blockNote(s))
	}
}

func (st *rbState) blockNote(s string) string {
	for _, b := range st.blocked {
		if strings.HasPrefix(b, s+" ") || strings.Contains(b, " "+s+" ") {
			return " (a wash sale blocked a trade)"
		}
	}
	return ""
}

func cond(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

// frac is v / total as a fraction in micro-units (10^-6).
func frac(v, total int64) int64 {
	if total == 0 {
		return 0
	}
	return int64(float64(v) / float64(total) * 1e6)
}

// frac2 is a fraction (micro-units) of the total, in money micro-units,
// exact to the micro-unit.
func frac2(f, total int64) int64 {
	return Money(f).Mul(Money(total)).Shift(MoneyPlaces).Round(0).IntPart()
}

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

func (st *rbState) symbols() []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range st.qty {
		for s, q := range m {
			if q != 0 && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	for s := range st.in.Targets {
		if s != CashSymbol && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func (st *rbState) value(s string) int64 {
	var v int64
	for _, m := range st.qty {
		if q := m[s]; q != 0 {
			v += mulQtyPrice(q, st.price[s])
		}
	}
	return v
}

func (st *rbState) cashTotal() int64 {
	var c int64
	for _, v := range st.cash {
		c += v
	}
	return c
}

func (st *rbState) totalValue() int64 {
	t := st.cashTotal()
	for _, m := range st.qty {
		for s, q := range m {
			t += mulQtyPrice(q, st.price[s])
		}
	}
	return t
}

// byDrift orders symbols by drift from target: most above first (over) or
// most below first.
func byDrift(syms []string, st *rbState, tgt map[string]int64, over bool) []string {
	out := append([]string(nil), syms...)
	d := map[string]int64{}
	for _, s := range out {
		d[s] = st.value(s) - frac2(tgt[s], st.total)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if over {
			return d[out[i]] > d[out[j]]
		}
		return d[out[i]] < d[out[j]]
	})
	return out
}

// block records a trade left out, once.
func (st *rbState) block(msg string) {
	for _, b := range st.blocked {
		if b == msg {
			return
		}
	}
	st.blocked = append(st.blocked, msg)
}

// planned reports whether the plan already trades s on the given side.
func (st *rbState) planned(s string, side Action) bool {
	for _, t := range st.trades {
		if t.Symbol == s && t.Action == side {
			return true
		}
	}
	return false
}

func (st *rbState) blockedBuy(s string) string {
	for _, x := range st.lossG {
		if st.same(s, x) {
			return fmt.Sprintf("%s was sold at a loss in the last 30 days", x)
		}
	}
	for _, x := range st.planLoss {
		if st.same(s, x) {
			return fmt.Sprintf("this plan sells %s at a loss", x)
		}
	}
	return ""
}

func (st *rbState) lossBlocked(s string) string {
	for _, x := range st.boughtG {
		if st.same(s, x) {
			return fmt.Sprintf("%s was bought in the last 30 days", x)
		}
	}
	for _, x := range st.planBuy {
		if st.same(s, x) {
			return fmt.Sprintf("this plan buys %s", x)
		}
	}
	return ""
}

// buy buys up to k shares of s, in the accounts with the most cash first,
// never spending more cash than an account has. It returns shares bought.
func (st *rbState) buy(s string, k int64, why string) int64 {
	if st.planned(s, Sell) {
		return 0 // never buy back what the plan sells
	}
	if st.in.TaxAware {
		if reason := st.blockedBuy(s); reason != "" {
			st.block(fmt.Sprintf("buy %s blocked: %s (wash sale)", s, reason))
			return 0
		}
	}
	p := st.price[s]
	accts := append([]Account(nil), st.accts...)
	sort.SliceStable(accts, func(i, j int) bool { return st.cash[accts[i].ID] > st.cash[accts[j].ID] })
	if st.in.TaxAware {
		// Accounts holding s (or anything identical) at a loss in a taxable
		// account buy last: a purchase there would wash that loss if the
		// lot were harvested in the next 30 days.
		sort.SliceStable(accts, func(i, j int) bool {
			return st.lossLotIn(accts[i], s) == "" && st.lossLotIn(accts[j], s) != ""
		})
	}
	var done int64
	for _, a := range accts {
		if done == k {
			break
		}
		n := min(k-done, st.cash[a.ID]/p)
		if n <= 0 {
			continue
		}
		if amt := n * p; st.in.MinTrade.IsPositive() && Money(amt).LessThan(st.in.MinTrade) {
			st.notes = append(st.notes, fmt.Sprintf("buy %d %s in %s skipped: under --min-trade", n, s, a.Name))
			continue
		}
		st.cash[a.ID] -= n * p
		st.qty[a.ID][s] += n * shareUnits
		st.planBuy = append(st.planBuy, s)
		st.trades = append(st.trades, PlannedTrade{AccountID: a.ID, Symbol: s, Action: Buy,
			Quantity: decimal.NewFromInt(n), Price: Money(p), Amount: Money(n * p), Note: st.lossLotWarning(a, s, why)})
		done += n
	}
	return done
}

// fund sells holdings above target (never below their lower band edge) in
// accounts that then buy the remaining k shares of s.
func (st *rbState) fund(s string, k int64, targeted []string, tgt map[string]int64, lower func(string) int64) {
	if st.in.TaxAware && st.blockedBuy(s) != "" {
		return // selling to fund a purchase that may not happen would only churn
	}
	p := st.price[s]
	for _, a := range st.sellOrder("") {
		if k <= 0 {
			return
		}
		for _, x := range byDrift(targeted, st, tgt, true) {
			if x == s || k <= 0 {
				continue
			}
			v := st.value(x)
			if v <= frac2(tgt[x], st.total) {
				continue
			}
			have := st.qty[a.ID][x] / shareUnits
			if have <= 0 {
				continue
			}
			short := k*p - st.cash[a.ID]
			if short <= 0 {
				break
			}
			n := min(ceilDiv(short, st.price[x]), (v-lower(x))/st.price[x], have)
			if n <= 0 {
				continue
			}
			st.sell(x, n, "fund the purchase of "+s, a.ID)
		}
		n := min(k, st.cash[a.ID]/p)
		if n > 0 {
			k -= st.buyIn(a, s, n, "below band")
		}
	}
}

func (st *rbState) buyIn(a Account, s string, n int64, why string) int64 {
	if st.in.TaxAware {
		if reason := st.blockedBuy(s); reason != "" {
			st.block(fmt.Sprintf("buy %s blocked: %s (wash sale)", s, reason))
			return 0
		}
	}
	p := st.price[s]
	if amt := n * p; st.in.MinTrade.IsPositive() && Money(amt).LessThan(st.in.MinTrade) {
		st.notes = append(st.notes, fmt.Sprintf("buy %d %s in %s skipped: under --min-trade", n, s, a.Name))
		return 0
	}
	st.cash[a.ID] -= n * p
	st.qty[a.ID][s] += n * shareUnits
	st.planBuy = append(st.planBuy, s)
	st.trades = append(st.trades, PlannedTrade{AccountID: a.ID, Symbol: s, Action: Buy,
		Quantity: decimal.NewFromInt(n), Price: Money(p), Amount: Money(n * p), Note: st.lossLotWarning(a, s, why)})
	return n
}

// lossLotIn names a symbol substantially identical to s that taxable
// account a holds a lot of below its adjusted basis at the last close
// (the first in symbol order), or "" for none or when not tax aware.
func (st *rbState) lossLotIn(a Account, s string) string {
	if !st.in.TaxAware || a.TaxType.TaxDeferred() {
		return ""
	}
	var found []string
	for k, ls := range st.lots {
		x, ok := strings.CutPrefix(k, a.ID+"/")
		if !ok || !st.same(s, x) {
			continue
		}
		for _, l := range ls {
			if l.units-l.taken > 0 && float64(l.basisU)*shareUnits > float64(st.price[x])*float64(l.units) {
				found = append(found, x)
				break
			}
		}
	}
	if len(found) == 0 {
		return ""
	}
	sort.Strings(found)
	return found[0]
}

// lossLotWarning is the note of a purchase of s in a: why, plus a warning
// when a holds s (or anything identical) at a loss, which the purchase
// would wash if that lot were sold in the next 30 days. The warning also
// goes to the plan's notes.
func (st *rbState) lossLotWarning(a Account, s, why string) string {
	x := st.lossLotIn(a, s)
	if x == "" {
		return why
	}
	w := fmt.Sprintf("wash-sale risk: buy %s in %s: %s holds %s at a loss; selling that lot within 30 days after this purchase would be a wash sale", s, a.Name, a.Name, x)
	st.notes = append(st.notes, w)
	return why + "; " + w
}

// sellOrder is the order accounts sell s in. Tax aware: taxable accounts
// holding a loss lot of s that may be sold (the loss is deductible) first,
// then tax-deferred accounts (no tax), then the other taxable accounts.
// Otherwise by name.
func (st *rbState) sellOrder(s string) []Account {
	accts := append([]Account(nil), st.accts...)
	if !st.in.TaxAware {
		return accts
	}
	rank := func(a Account) int {
		if a.TaxType.TaxDeferred() {
			return 1
		}
		if s != "" && st.lossBlocked(s) == "" {
			for _, l := range st.lots[a.ID+"/"+s] {
				if l.units-l.taken > 0 && float64(l.basisU)*shareUnits > float64(st.price[s])*float64(l.units) {
					return 0
				}
			}
		}
		return 2
	}
	sort.SliceStable(accts, func(i, j int) bool { return rank(accts[i]) < rank(accts[j]) })
	return accts
}

// sell sells up to k whole shares of s (only in account only, when given),
// choosing lots and estimating gains. It returns the shares sold.
func (st *rbState) sell(s string, k int64, why, only string) int64 {
	if st.planned(s, Buy) {
		return 0 // never sell what the plan buys
	}
	var done int64
	for _, a := range st.sellOrder(s) {
		if done == k {
			break
		}
		if only != "" && a.ID != only {
			continue
		}
		have := st.qty[a.ID][s] / shareUnits
		n := min(k-done, have)
		if n <= 0 {
			continue
		}
		if amt := n * st.price[s]; st.in.MinTrade.IsPositive() && Money(amt).LessThan(st.in.MinTrade) {
			st.notes = append(st.notes, fmt.Sprintf("sell %d %s in %s skipped: under --min-trade", n, s, a.Name))
			continue
		}
		t, ok := st.pickLots(a, s, n)
		if !ok {
			continue
		}
		t.Note = why
		st.trades = append(st.trades, t)
		done += t.Quantity.IntPart()
	}
	return done
}

// pickLots chooses the lots for selling n shares of s in a and books the
// sale into the state. With tax awareness in a taxable account: loss lots
// first (largest loss per share), then long-term lots, then short-term,
// each by smallest gain per share, and no loss lot when a loss would be a
// wash sale. Otherwise the account's lot method.
func (st *rbState) pickLots(a Account, s string, n int64) (PlannedTrade, bool) {
	p := st.price[s]
	key := a.ID + "/" + s
	lots := make([]*rbLot, 0, len(st.lots[key]))
	for _, l := range st.lots[key] {
		if l.units-l.taken > 0 {
			lots = append(lots, l)
		}
	}
	unitGain := func(l *rbLot) float64 {
		return float64(p) - float64(l.basisU)*float64(shareUnits)/float64(l.units)
	}
	long := func(l *rbLot) bool { return st.in.AsOf > l.lot.AdjustedDateAcquired.AddYears(1) }
	taxable := !a.TaxType.TaxDeferred()
	lossBlock := ""
	if taxable {
		lossBlock = st.lossBlocked(s)
	}
	if st.in.TaxAware && taxable {
		rank := func(l *rbLot) int {
			switch {
			case unitGain(l) < 0:
				return 0
			case long(l):
				return 1
			}
			return 2
		}
		sort.SliceStable(lots, func(i, j int) bool {
			ri, rj := rank(lots[i]), rank(lots[j])
			if ri != rj {
				return ri < rj
			}
			return unitGain(lots[i]) < unitGain(lots[j])
		})
		if lossBlock != "" {
			kept := lots[:0]
			for _, l := range lots {
				if unitGain(l) >= 0 {
					kept = append(kept, l)
				}
			}
			if len(kept) < len(lots) {
				st.block(fmt.Sprintf("sell %s loss lots in %s skipped: %s (wash sale)", s, a.Name, lossBlock))
			}
			lots = kept
		}
	} else {
		method := a.LotMethod
		sort.SliceStable(lots, func(i, j int) bool {
			li, lj := lots[i].lot, lots[j].lot
			switch method {
			case LIFO:
				return li.DateAcquired > lj.DateAcquired
			case HIFO:
				return float64(lots[i].basisU)*float64(lots[j].units) > float64(lots[j].basisU)*float64(lots[i].units)
			}
			return li.DateAcquired < lj.DateAcquired
		})
	}
	t := PlannedTrade{AccountID: a.ID, Symbol: s, Action: Sell, Price: Money(p)}
	want := n * shareUnits
	var sold int64
	var short, longG decimal.Decimal
	type take struct {
		l *rbLot
		u int64
	}
	var takes []take
	loss := false
	for _, l := range lots {
		if sold == want {
			break
		}
		u := min(want-sold, l.units-l.taken)
		takes = append(takes, take{l, u})
		sold += u
	}
	sold -= sold % shareUnits // whole shares only
	if sold == 0 {
		return t, false
	}
	if amt := (sold / shareUnits) * p; st.in.MinTrade.IsPositive() && Money(amt).LessThan(st.in.MinTrade) {
		st.notes = append(st.notes, fmt.Sprintf("sell %d %s in %s skipped: under --min-trade", sold/shareUnits, s, a.Name))
		return t, false
	}
	rem := sold
	for _, tk := range takes {
		u := min(tk.u, rem)
		if u == 0 {
			break
		}
		rem -= u
		basis := Money(tk.l.basisU).Mul(decimal.New(u, 0)).Div(decimal.New(tk.l.units, 0))
		proceeds := Money(mulQtyPrice(u, p))
		g := RoundMoney(proceeds.Sub(basis))
		if g.IsNegative() {
			loss = true
		}
		if long(tk.l) {
			longG = longG.Add(g)
		} else {
			short = short.Add(g)
		}
		tk.l.taken += u
		t.Lots = append(t.Lots, LotPick{LotID: tk.l.lot.ID, Quantity: fromUnits(u, QuantityPlaces)})
	}
	if loss && taxable && lossBlock != "" && !st.in.TaxAware {
		t.Note = "warning: wash sale (" + lossBlock + ")"
	}
	if loss && taxable {
		st.planLoss = append(st.planLoss, s)
	}
	st.qty[a.ID][s] -= sold
	st.cash[a.ID] += (sold / shareUnits) * p
	t.Quantity = decimal.NewFromInt(sold / shareUnits)
	t.Amount = Money((sold / shareUnits) * p)
	t.ShortGain, t.LongGain, t.Gain = short, longG, short.Add(longG)
	if !taxable {
		t.Tax = decimal.NewNullDecimal(decimal.Zero)
	} else if r := st.in.Rates; r.Short.Valid && r.Long.Valid {
		state := decimal.Zero
		if r.State.Valid {
			state = r.State.Decimal
		}
		t.Tax = decimal.NewNullDecimal(RoundMoney(short.Mul(r.Short.Decimal.Add(state)).Add(longG.Mul(r.Long.Decimal.Add(state)))))
	}
	return t, true
}

// finish merges trades of one account, symbol and side and totals the plan.
func (st *rbState) finish() *Plan {
	plan := &Plan{CashAfter: map[string]decimal.Decimal{}, Blocked: st.blocked, Tax: decimal.NewNullDecimal(decimal.Zero)}
	index := map[string]int{}
	for _, t := range st.trades {
		k := t.AccountID + "/" + t.Symbol + "/" + string(t.Action)
		if i, ok := index[k]; ok {
			m := &plan.Trades[i]
			m.Quantity = m.Quantity.Add(t.Quantity)
			m.Amount = m.Amount.Add(t.Amount)
			m.Lots = append(m.Lots, t.Lots...)
			m.ShortGain, m.LongGain, m.Gain = m.ShortGain.Add(t.ShortGain), m.LongGain.Add(t.LongGain), m.Gain.Add(t.Gain)
			if m.Tax.Valid && t.Tax.Valid {
				m.Tax.Decimal = m.Tax.Decimal.Add(t.Tax.Decimal)
			} else {
				m.Tax = decimal.NullDecimal{}
			}
			continue
		}
		index[k] = len(plan.Trades)
		plan.Trades = append(plan.Trades, t)
	}
	sort.SliceStable(plan.Trades, func(i, j int) bool {
		a, b := plan.Trades[i], plan.Trades[j]
		if a.Action != b.Action {
			return a.Action == Sell // sales first: they raise the cash
		}
		if a.AccountID != b.AccountID {
			return st.acct[a.AccountID].Name < st.acct[b.AccountID].Name
		}
		return a.Symbol < b.Symbol
	})
	for _, t := range plan.Trades {
		plan.Turnover = plan.Turnover.Add(t.Amount)
		plan.Gain = plan.Gain.Add(t.Gain)
		if t.Action == Sell {
			if t.Tax.Valid && plan.Tax.Valid {
				plan.Tax.Decimal = plan.Tax.Decimal.Add(t.Tax.Decimal)
			} else {
				plan.Tax = decimal.NullDecimal{}
			}
		}
	}
	for a, c := range st.cash {
		plan.CashAfter[a] = Money(c)
	}
	plan.Notes = st.notes
	return plan
}
