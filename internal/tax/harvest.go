package tax

import (
	"cmp"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// Tax-loss harvesting candidates (reference/tax-rules.md §4, "Recommended
// engine policy"): open lots in taxable accounts whose unrealized loss, at
// the latest price on or before the scan date, clears both thresholds and
// whose estimated tax saving exceeds the round-trip trading cost. Each one
// says whether selling it today would be a wash sale, until when buying it
// back is unsafe, and which securities could replace it.

// Commission is a per-order commission schedule: PerShare × shares, at
// least Min, and at most MaxPct of the order's value when MaxPct is set.
type Commission struct {
	PerShare decimal.Decimal
	Min      decimal.Decimal
	MaxPct   decimal.Decimal
}

// IBKRFixed is Interactive Brokers' Fixed pricing for US stocks and ETFs:
// USD 0.005 a share, at least USD 1.00 an order, at most 1% of the order's
// value (the cap wins when it is below the minimum). Exchange, regulatory
// and clearing pass-through fees are small and left out.
var IBKRFixed = Commission{
	PerShare: decimal.RequireFromString("0.005"),
	Min:      decimal.NewFromInt(1),
	MaxPct:   decimal.RequireFromString("0.01"),
}

// Of is the commission of one order of qty shares at price.
func (c Commission) Of(qty, price decimal.Decimal) decimal.Decimal {
	fee := decimal.Max(qty.Mul(c.PerShare), c.Min)
	if c.MaxPct.IsPositive() {
		fee = decimal.Min(fee, qty.Mul(price).Mul(c.MaxPct))
	}
	return portfolio.RoundMoney(fee)
}

// HarvestPolicy holds the thresholds and cost assumptions of a scan.
type HarvestPolicy struct {
	// MinLoss is the smallest unrealized loss worth harvesting, in dollars.
	MinLoss decimal.Decimal
	// MinLossPct is the smallest loss as a fraction of the lot's adjusted
	// basis (0.05 = 5%). A lot must clear both thresholds.
	MinLossPct decimal.Decimal
	// ShortRate and LongRate are the marginal rates a harvested short- or
	// long-term loss saves: the federal capital-gains rate plus any state
	// rate, as fractions.
	ShortRate, LongRate decimal.Decimal
	// Commission is charged on both legs: selling the lot, and buying the
	// replacement (estimated as the same number of shares at the same price).
	Commission Commission
	// HalfSpread is the estimated cost of crossing the bid-ask spread, as a
	// fraction of the trade's value per leg: half the quoted spread, paid on
	// the sale and again on the purchase.
	HalfSpread decimal.Decimal
	// Replacements is how many replacement suggestions to give per lot.
	Replacements int
	// MinOverlap is the fewest daily returns two symbols must share for
	// their correlation to be reported and ranked.
	MinOverlap int
	// ReinvestLookback is how many days back a REINVEST of the security (in
	// any account) makes the scan warn that dividends appear to reinvest.
	ReinvestLookback int
}

// DefaultRates are the marginal rates assumed wherever the config sets no
// tax.rates (tax summary, harvest scan and execute, trade previews,
// rebalance): 24% short-term (the federal bracket of a typical professional
// income), 15% long-term, and no state tax. Whatever assumes them says so
// with DefaultRatesNote on stderr.
var DefaultRates = Rates{
	Short: decimal.RequireFromString("0.24"),
	Long:  decimal.RequireFromString("0.15"),
	State: decimal.Zero,
}

// DefaultRatesNote is the note printed (on stderr, after "note: ") when
// tax.rates.short or tax.rates.long is unset and DefaultRates are assumed.
const DefaultRatesNote = "tax.rates not set: assuming 24% short-term, 15% long-term; set them in the config"

// DefaultHarvestPolicy is the policy when nothing is configured: losses of
// at least $100 and 5% of basis; DefaultRates (24% short-term, 15%
// long-term, no state tax; set tax.rates in the config for your own); IBKR Fixed
// commissions; a half-spread of 5 basis points a leg, about right for
// liquid large-cap stocks and ETFs (thinly traded securities cost more);
// three replacements; correlations over at least 60 shared trading days;
// a year's look-back for dividend reinvestment.
func DefaultHarvestPolicy() HarvestPolicy {
	return HarvestPolicy{
		MinLoss:          decimal.NewFromInt(100),
		MinLossPct:       decimal.RequireFromString("0.05"),
		ShortRate:        DefaultRates.Short,
		LongRate:         DefaultRates.Long,
		Commission:       IBKRFixed,
		HalfSpread:       decimal.RequireFromString("0.0005"),
		Replacements:     3,
		MinOverlap:       60,
		ReinvestLookback: 365,
	}
}

// DefaultPartners are replacement candidates offered even without stored
// prices: funds in the same asset class that track a different index, as
// robo-advisors pair them (reference/tax-rules.md §4: Wealthfront's
// primary/secondary table and the usually accepted pairs). Keys are any
// member of a substantially identical group; the partners of every member
// of a lot's group are offered. None is in its key's default group, and
// the scan drops any that a user's config makes identical.
var DefaultPartners = map[string][]string{
	"VTI":  {"ITOT", "SCHB"},
	"ITOT": {"VTI", "SCHB"},
	"SCHB": {"VTI", "ITOT"},
	"VOO":  {"SCHX", "VTI"}, // S&P 500 → large caps on another index, or the total market
	"QQQ":  {"VUG"},
	"VXUS": {"IXUS"},
	"IXUS": {"VXUS"},
	"VEA":  {"IEFA", "SCHF"},
	"IEFA": {"VEA", "SCHF"},
	"VWO":  {"IEMG"},
	"IEMG": {"VWO"},
	"VNQ":  {"SCHH"},
	"SCHH": {"VNQ"},
	"XLE":  {"VDE"},
	"BND":  {"BIV"},
	"AGG":  {"BIV"},
	"SCHP": {"VTIP"},
	"VTIP": {"SCHP"},
	"VTEB": {"MUB"},
	"MUB":  {"VTEB"},
	"VIG":  {"SCHD"},
	"SCHD": {"VIG"},
}

// HarvestInput is what a scan looks at. Only Lots in the accounts to scan
// become candidates, but Trades of every account (IRA, Roth and spouse
// included) count for wash-sale safety.
type HarvestInput struct {
	AsOf     portfolio.Date
	Accounts []portfolio.Account // every account of the household
	// Only restricts the scan to these account IDs; empty scans every
	// account that is not tax-deferred.
	Only []string
	// Lots are the open lots at AsOf, with wash-adjusted basis and
	// acquisition date.
	Lots []portfolio.Lot
	// Prices holds the latest bar on or before AsOf by symbol.
	Prices map[string]portfolio.Bar
	// Trades are trades of every account up to AsOf; only purchases
	// (BUY, REINVEST) are looked at.
	Trades []portfolio.Trade
	// Identical says which securities are substantially identical.
	Identical *Identical
	// History holds daily bars over the correlation window (the year to
	// AsOf) by symbol. Its symbols, with DefaultPartners, are the
	// replacement candidates.
	History map[string][]portfolio.Bar
	// Classify gives a symbol's asset class and sector (refdata.Classify).
	Classify func(string) portfolio.Classification
	// Disposals are the realized sales of every account up to AsOf. Those
	// at a loss in the 30 days up to AsOf are losses that buying a
	// substantially identical security now would wash, so nothing
	// identical to them is suggested as a replacement.
	Disposals []portfolio.Disposal
}

// HarvestPurchase is a purchase that matters to a harvest: one that would
// make the sale a wash sale, or a dividend reinvestment.
type HarvestPurchase struct {
	TradeID   string
	AccountID string
	Symbol    string
	Date      portfolio.Date
	Action    portfolio.Action
	Quantity  decimal.Decimal
	// Held is how many of the purchase's shares are still held at AsOf
	// (in Lots): what makes it a replacement. Zero for a dividend
	// reinvestment listed only as a sign that dividends reinvest.
	Held decimal.Decimal
}

// Replacement is a security suggested to hold instead of the one sold.
type Replacement struct {
	Symbol string
	// Correlation of daily log returns with the sold security over the year
	// to AsOf; valid only when Overlap ≥ MinOverlap.
	Correlation    float64
	HasCorrelation bool
	Overlap        int // daily returns the two share in the window
	AssetClass     string
	Sector         string
	SameAssetClass bool
	SameSector     bool
	Partner        bool // from DefaultPartners
}

// HarvestOpportunity is one lot worth harvesting at AsOf. Money is rounded
// to portfolio.MoneyPlaces; Loss is positive.
type HarvestOpportunity struct {
	AccountID            string
	Symbol               string
	LotID                string
	Quantity             decimal.Decimal
	AdjustedBasis        decimal.Decimal
	AdjustedDateAcquired portfolio.Date
	Price                decimal.Decimal
	PriceDate            portfolio.Date
	MarketValue          decimal.Decimal
	Loss                 decimal.Decimal
	LossPct              decimal.Decimal // Loss / AdjustedBasis, 6 places
	LongTerm             bool
	Rate                 decimal.Decimal // the marginal rate applied
	Saving               decimal.Decimal // Loss × Rate
	Commissions          decimal.Decimal // both legs
	SpreadCost           decimal.Decimal // both legs
	Costs                decimal.Decimal // Commissions + SpreadCost
	NetBenefit           decimal.Decimal // Saving − Costs, positive
	// WashSafe is false when a substantially identical security was bought
	// in the 30 days up to AsOf in any account; Blocking lists those
	// purchases.
	WashSafe bool
	Blocking []HarvestPurchase
	// Reinvesting lists the latest dividend reinvestment of the security
	// in each account within ReinvestLookback days: a sign that dividends
	// reinvest, and the next one within 30 days of the sale would wash
	// part of the loss.
	Reinvesting []HarvestPurchase
	// LockoutUntil is the first day buying the security (or anything
	// substantially identical, LockoutSymbols) back is safe if the lot is
	// sold on AsOf: AsOf + 31 days.
	LockoutUntil   portfolio.Date
	LockoutSymbols []string
	Replacements   []Replacement
}

// HarvestScan is the result of ScanHarvest.
type HarvestScan struct {
	AsOf portfolio.Date
	// Opportunities are ordered by net benefit, largest first.
	Opportunities []HarvestOpportunity
	// NotWorthCost counts lots past both loss thresholds whose saving does
	// not exceed the estimated costs.
	NotWorthCost int
	// Unpriced lists symbols held in scanned accounts with no price on or
	// before AsOf, sorted.
	Unpriced []string
}

// washLookback is the part of the 61-day window before a sale on AsOf:
// a purchase 30 days before the sale is inside it, 31 days before is not
// (IRC §1091(a); Treas. Reg. §1.1091-1(a)).
const washLookback = 30

// ScanHarvest finds the harvest opportunities of in under policy. It is
// deterministic: the same input gives the same output in the same order.
func ScanHarvest(in HarvestInput, policy HarvestPolicy) HarvestScan {
	out := HarvestScan{AsOf: in.AsOf, Opportunities: []HarvestOpportunity{}, Unpriced: []string{}}
	accts := make(map[string]portfolio.Account, len(in.Accounts))
	for _, a := range in.Accounts {
		accts[a.ID] = a
	}
	only := map[string]bool{}
	for _, id := range in.Only {
		only[id] = true
	}
	purchases := recentPurchases(in.Trades, in.AsOf, max(washLookback, policy.ReinvestLookback))
	replacements := map[string][]Replacement{} // by the sold symbol
	unpriced := map[string]bool{}
	for _, l := range in.Lots {
		a, ok := accts[l.AccountID]
		if !ok || a.TaxType.TaxDeferred() || len(only) > 0 && !only[a.ID] || !l.Open() {
			continue
		}
		bar, ok := in.Prices[l.Symbol]
		if !ok || bar.Date > in.AsOf {
			unpriced[l.Symbol] = true
			continue
		}
		o, ok := evaluateLot(l, bar, in.AsOf, policy)
		if !ok {
			continue
		}
		if !o.NetBenefit.IsPositive() {
			out.NotWorthCost++
			continue
		}
		o.WashSafe, o.Blocking, o.Reinvesting = washCheck(l, in, purchases, policy)
		o.LockoutUntil = in.AsOf.AddDays(washLookback + 1)
		o.LockoutSymbols = in.Identical.Group(l.Symbol)
		out.Opportunities = append(out.Opportunities, o)
	}
	// Replacements must not wash another loss: neither a loss sold in the
	// last 30 days (in any account) nor another loss this scan suggests
	// harvesting (buying MSFT to replace IBM while harvesting MSFT washes
	// the MSFT loss).
	avoid := recentLossSymbols(in.Disposals, in.AsOf)
	for _, o := range out.Opportunities {
		avoid = append(avoid, o.Symbol)
	}
	for i, o := range out.Opportunities {
		rs, ok := replacements[o.Symbol]
		if !ok {
			rs = suggest(o.Symbol, avoid, in, policy)
			replacements[o.Symbol] = rs
		}
		out.Opportunities[i].Replacements = slices.Clone(rs)
	}
	slices.SortStableFunc(out.Opportunities, func(a, b HarvestOpportunity) int {
		if c := b.NetBenefit.Cmp(a.NetBenefit); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.AccountID, b.AccountID), cmp.Compare(a.Symbol, b.Symbol), cmp.Compare(a.LotID, b.LotID))
	})
	for s := range unpriced {
		out.Unpriced = append(out.Unpriced, s)
	}
	slices.Sort(out.Unpriced)
	return out
}

// evaluateLot prices l and applies the thresholds and the cost check. It
// reports false when the lot has no loss past both thresholds.
func evaluateLot(l portfolio.Lot, bar portfolio.Bar, asOf portfolio.Date, p HarvestPolicy) (HarvestOpportunity, bool) {
	mv := portfolio.RoundMoney(l.Quantity.Mul(bar.Close))
	loss := l.AdjustedBasis.Sub(mv)
	if !loss.IsPositive() || !l.AdjustedBasis.IsPositive() ||
		loss.LessThan(p.MinLoss) || loss.LessThan(l.AdjustedBasis.Mul(p.MinLossPct)) {
		return HarvestOpportunity{}, false
	}
	long := heldLongTerm(l.AdjustedDateAcquired, asOf)
	rate := p.ShortRate
	if long {
		rate = p.LongRate
	}
	commissions := p.Commission.Of(l.Quantity, bar.Close).Mul(decimal.NewFromInt(2))
	spread := portfolio.RoundMoney(mv.Mul(p.HalfSpread)).Mul(decimal.NewFromInt(2))
	saving := portfolio.RoundMoney(loss.Mul(rate))
	costs := commissions.Add(spread)
	return HarvestOpportunity{
		AccountID:            l.AccountID,
		Symbol:               l.Symbol,
		LotID:                l.ID,
		Quantity:             l.Quantity,
		AdjustedBasis:        l.AdjustedBasis,
		AdjustedDateAcquired: l.AdjustedDateAcquired,
		Price:                bar.Close,
		PriceDate:            bar.Date,
		MarketValue:          mv,
		Loss:                 loss,
		LossPct:              loss.Div(l.AdjustedBasis).Round(6),
		LongTerm:             long,
		Rate:                 rate,
		Saving:               saving,
		Commissions:          commissions,
		SpreadCost:           spread,
		Costs:                costs,
		NetBenefit:           saving.Sub(costs),
	}, true
}

// heldLongTerm reports whether shares acquired on acq and sold on sale
// were held more than one year (IRC §1222): the holding period starts the
// day after acquisition, so a sale is long-term only after the one-year
// anniversary (Pub 544; Rev. Rul. 66-97). A Feb 29 anniversary falls on
// Feb 28 (portfolio.Date.AddYears), not Mar 1.
func heldLongTerm(acq, sale portfolio.Date) bool { return sale > acq.AddYears(1) }

// recentPurchases keeps the BUY and REINVEST trades dated in the days
// days up to asOf, by date then ID.
func recentPurchases(trades []portfolio.Trade, asOf portfolio.Date, days int) []portfolio.Trade {
	var out []portfolio.Trade
	from := asOf.AddDays(-days)
	for _, t := range trades {
		if (t.Action == portfolio.Buy || t.Action == portfolio.Reinvest) && t.Date >= from && t.Date <= asOf {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b portfolio.Trade) int {
		return cmp.Or(cmp.Compare(a.Date, b.Date), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// washCheck looks for purchases that would make selling l on AsOf a wash
// sale: substantially identical securities bought in any account — IRA and
// Roth IRA (Rev. Rul. 2008-5) and a spouse's (Pub 550) included — on or
// after AsOf − 30 days. Dividend reinvestments are purchases (Pub 550).
// Shares from the same purchase as the lot are not replacements (Rev. Rul.
// 56-602), so the lot's own opening trade never blocks it.
//
// A purchase already sold entirely by AsOf is not a replacement, as in the
// wash-sale engine (wash.go: a lot bought and sold before the loss sale is
// not a replacement, REPLACEMENT-SOLD-BEFORE-THE-LOSS): the scan's sale is
// today, after every trade up to AsOf. Only purchases with shares still
// open in Lots block; Held says how many.
func washCheck(l portfolio.Lot, in HarvestInput, recent []portfolio.Trade, p HarvestPolicy) (safe bool, blocking, reinvesting []HarvestPurchase) {
	own := l.OpenTradeID
	if own == "" {
		own = l.ID
	}
	from := in.AsOf.AddDays(-washLookback)
	lastReinvest := map[string]int{} // account → index in reinvesting
	for _, t := range recent {
		if !in.Identical.Same(l.Symbol, t.Symbol) {
			continue
		}
		hp := HarvestPurchase{TradeID: t.ID, AccountID: t.AccountID, Symbol: t.Symbol, Date: t.Date, Action: t.Action, Quantity: t.Quantity}
		if t.Date >= from && t.ID != own {
			if hp.Held = heldOf(t.ID, in.Lots); hp.Held.IsPositive() {
				blocking = append(blocking, hp)
			}
		}
		if t.Action == portfolio.Reinvest && t.Date >= in.AsOf.AddDays(-p.ReinvestLookback) {
			if i, ok := lastReinvest[t.AccountID]; ok {
				reinvesting[i] = hp // recent is by date: keep the latest
			} else {
				lastReinvest[t.AccountID] = len(reinvesting)
				reinvesting = append(reinvesting, hp)
			}
		}
	}
	return len(blocking) == 0, blocking, reinvesting
}

// recentLossSymbols lists the symbols sold at a loss in the 30 days up to
// asOf, in any account: buying anything substantially identical to them
// on asOf would wash those losses.
func recentLossSymbols(ds []portfolio.Disposal, asOf portfolio.Date) []string {
	var out []string
	from := asOf.AddDays(-washLookback)
	for _, d := range ds {
		if d.DateSold >= from && d.DateSold <= asOf && d.Gain().IsNegative() && !slices.Contains(out, d.Symbol) {
			out = append(out, d.Symbol)
		}
	}
	slices.Sort(out)
	return out
}

// heldOf is the open quantity of the lots trade id opened (sub-lots
// "id/w1"… of a wash-sale split included).
func heldOf(id string, lots []portfolio.Lot) decimal.Decimal {
	held := decimal.Zero
	for _, l := range lots {
		open := l.OpenTradeID
		if open == "" {
			open, _, _ = strings.Cut(l.ID, "/")
		}
		if open == id && l.Open() {
			held = held.Add(l.Quantity)
		}
	}
	return held
}

// suggest ranks the replacement candidates for sym: symbols with price
// history and sym's DefaultPartners, less anything substantially identical
// to it or to any symbol of avoid (losses sold in the last 30 days and the
// other losses of the same scan, which buying the candidate would wash)
// and indexes (which cannot be bought). Candidates in sym's asset
// class come first; within each, those with a correlation by correlation
// (highest first), then those without; ties go to the same sector, then
// to the symbol.
func suggest(sym string, avoid []string, in HarvestInput, p HarvestPolicy) []Replacement {
	if p.Replacements <= 0 {
		return []Replacement{}
	}
	classify := in.Classify
	if classify == nil {
		classify = func(string) portfolio.Classification { return portfolio.Classification{} }
	}
	own := classify(sym)
	partners := map[string]bool{}
	for _, m := range in.Identical.Group(sym) {
		for _, s := range DefaultPartners[m] {
			partners[norm(s)] = true
		}
	}
	hist := make(map[string][]portfolio.Bar, len(in.History))
	for s, bars := range in.History {
		hist[norm(s)] = bars
	}
	cands := map[string]bool{}
	for s := range hist {
		cands[s] = true
	}
	for s := range partners {
		cands[s] = true
	}
	from, to := in.AsOf.AddYears(-1), in.AsOf
	soldHist := hist[norm(sym)]
	var out []Replacement
	for c := range cands {
		if in.Identical.Same(sym, c) || slices.ContainsFunc(avoid, func(a string) bool { return in.Identical.Same(a, c) }) {
			continue
		}
		cl := classify(c)
		if cl.AssetClass == "index" {
			continue
		}
		r := Replacement{Symbol: c, AssetClass: cl.AssetClass, Sector: cl.Sector, Partner: partners[c],
			SameAssetClass: classKnown(cl.AssetClass) && cl.AssetClass == own.AssetClass,
			SameSector:     classKnown(cl.Sector) && cl.Sector == own.Sector}
		if h, ok := hist[c]; ok && len(soldHist) > 0 {
			cr := Correlation(soldHist, h, from, to)
			r.Overlap = cr.Overlap
			if cr.OK && cr.Overlap >= p.MinOverlap {
				r.Correlation, r.HasCorrelation = cr.R, true
			}
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Replacement) int {
		if c := trueFirst(a.SameAssetClass, b.SameAssetClass); c != 0 {
			return c
		}
		if c := trueFirst(a.HasCorrelation, b.HasCorrelation); c != 0 {
			return c
		}
		if a.HasCorrelation && a.Correlation != b.Correlation {
			return cmp.Compare(b.Correlation, a.Correlation)
		}
		if c := trueFirst(a.SameSector, b.SameSector); c != 0 {
			return c
		}
		if c := trueFirst(a.Partner, b.Partner); c != 0 {
			return c
		}
		return strings.Compare(a.Symbol, b.Symbol)
	})
	if len(out) > p.Replacements {
		out = out[:p.Replacements]
	}
	if out == nil {
		out = []Replacement{}
	}
	return out
}

// trueFirst orders true before false.
func trueFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// classKnown reports whether a classification value says something.
func classKnown(s string) bool { return s != "" && s != "unclassified" }
