package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
	"github.com/wealthalloc/wealthalloc/internal/tax"
)

// TradeBroker is what trading needs from an IB connection (*ibkr.Client).
type TradeBroker interface {
	Accounts() []string
	ClientID() int
	CurrentTime(ctx context.Context) (time.Time, error)
	ContractDetails(ctx context.Context, c ibkr.Contract) ([]ibkr.ContractDetails, error)
	Quote(ctx context.Context, c ibkr.Contract) (ibkr.Quote, error)
	AccountSummary(ctx context.Context, tags ...string) ([]ibkr.AccountValue, error)
	PlaceOrder(ctx context.Context, o ibkr.Order) (*ibkr.Trade, error)
	CancelOrder(ctx context.Context, orderID int64) error
	Reconcile(ctx context.Context, orderRef string) (*ibkr.OrderState, bool, error)
}

var _ TradeBroker = (*ibkr.Client)(nil)

// ErrTradeRefused marks a preview that found a reason not to place the
// order (insufficient funds, more shares than held, a harvest that would
// be washed): the order is not sent.
var ErrTradeRefused = errors.New("order not placed")

// ErrAccountAmbiguous means several accounts could take an order and none
// was named: the caller has to pick one (a usage error).
var ErrAccountAmbiguous = errors.New("several accounts could take the order")

// LotSpec is how a sale picks its lots: a method, or specific lots.
type LotSpec struct {
	Method portfolio.LotMethod // "" with no Picks: the account's method
	Picks  []portfolio.LotPick // a zero Quantity takes as many as needed
}

// ParseLotSpec reads --lots: fifo, lifo or hifo, or "ID[:QTY];ID[:QTY]…".
func ParseLotSpec(s string) (LotSpec, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return LotSpec{}, nil
	}
	if m, err := portfolio.ParseLotMethod(s); err == nil {
		return LotSpec{Method: m}, nil
	}
	var spec LotSpec
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, qty, hasQty := strings.Cut(part, ":")
		pk := portfolio.LotPick{LotID: strings.TrimSpace(id)}
		if pk.LotID == "" {
			return LotSpec{}, fmt.Errorf("lot %q: no lot id (want fifo, lifo, hifo or ID[:QTY];ID[:QTY]…)", part)
		}
		if hasQty {
			d, err := decimal.NewFromString(strings.TrimSpace(qty))
			if err != nil || !d.IsPositive() {
				return LotSpec{}, fmt.Errorf("lot %q: quantity %q is not a positive number", part, qty)
			}
			pk.Quantity = d
		}
		spec.Picks = append(spec.Picks, pk)
	}
	if len(spec.Picks) == 0 {
		return LotSpec{}, fmt.Errorf("lots %q: want fifo, lifo, hifo or ID[:QTY];ID[:QTY]…", s)
	}
	return spec, nil
}

// TradeRequest is an order to preview.
type TradeRequest struct {
	Action     portfolio.Action // Buy or Sell
	Symbol     string
	Quantity   decimal.Decimal // whole or fractional shares, positive
	Type       ibkr.OrderType  // MKT, LMT, STP, STP LMT
	Limit      decimal.Decimal // LMT, STP LMT
	Stop       decimal.Decimal // STP, STP LMT
	TIF        string          // DAY (default) or GTC
	OutsideRTH bool
	Account    string // name or broker number; "" = the portfolio's only account the gateway manages
	Lots       LotSpec
	// Date is the trade date; zero means the gateway's today (New York).
	Date portfolio.Date
	// Rates are the marginal rates for the estimated tax; unset rates
	// default to DefaultTradeRates (and the preview says so).
	Rates portfolio.TaxRates
	// Targets are symbol target weights for the drift after the trade.
	Targets map[string]decimal.Decimal
	// ExtraCash is cash a plan raises before this order (its sales), added
	// to the broker's available funds in the cash check.
	ExtraCash decimal.Decimal
	// Commission is the commission schedule of the estimate; zero means
	// IBKR Fixed.
	Commission tax.Commission
}

// DefaultTradeRates are the rates assumed when the config has none: the
// one default every command uses (tax.DefaultRates).
var DefaultTradeRates = portfolio.TaxRates{Short: decimal.NewNullDecimal(tax.DefaultRates.Short),
	Long: decimal.NewNullDecimal(tax.DefaultRates.Long)}

// PreviewLot is the part of one (sub-)lot a sale would consume.
type PreviewLot struct {
	LotID            string          `json:"lot_id"`
	Acquired         portfolio.Date  `json:"date_acquired"`
	AdjustedAcquired portfolio.Date  `json:"adjusted_date_acquired"`
	Quantity         decimal.Decimal `json:"quantity"`
	Basis            decimal.Decimal `json:"adjusted_basis"`
	Proceeds         decimal.Decimal `json:"proceeds"`
	Gain             decimal.Decimal `json:"gain"` // recognised: proceeds − basis + wash disallowed
	WashDisallowed   decimal.Decimal `json:"wash_disallowed"`
	Term             string          `json:"term"`
	Tax              decimal.Decimal `json:"estimated_tax"`
}

// TradePreview is what an order would do, computed without sending it.
type TradePreview struct {
	Request       TradeRequest
	Account       portfolio.Account
	Contract      ibkr.ContractDetails
	Quote         ibkr.Quote
	TradeDate     portfolio.Date
	ExpectedPrice decimal.Decimal // from the quote
	PriceSource   string          // ask, bid, last or close
	OrderPrice    decimal.Decimal // the price of the estimate: the limit, the stop, or the expected price
	Value         decimal.Decimal // quantity × OrderPrice
	Commission    decimal.Decimal
	Total         decimal.Decimal     // a buy's cost (value + commission) or a sale's proceeds (value − commission)
	Available     decimal.NullDecimal // a buy: the broker's buying power (plus ExtraCash)
	AvailableTag  string
	Held          decimal.Decimal // shares of the symbol the account holds (books)
	Lots          []PreviewLot
	Picks         []portfolio.LotPick // the lots a sale names, resolved
	Gain          decimal.Decimal
	ShortGain     decimal.Decimal
	LongGain      decimal.Decimal
	Washed        decimal.Decimal // loss of this sale the wash-sale rule disallows
	// WashesRealized is, for a purchase, the loss already realised by
	// earlier sales that buying would disallow (each also a warning).
	WashesRealized decimal.Decimal
	Tax            decimal.Decimal
	RatesAssumed   bool
	Warnings       []string
	Problems       []string // reasons the order is not placed
	// WeightBefore and WeightAfter are the symbol's weight in the
	// portfolio before and after the order; null when the order has
	// problems (an order that cannot be placed has no "after").
	WeightBefore decimal.NullDecimal
	WeightAfter  decimal.NullDecimal
	Target       decimal.NullDecimal
	Live         bool // the account is not a paper (DU) account
	// SafeAfter is, for a sale at a loss, the first day on which buying
	// the security (or a substantially identical one) back does not wash
	// the loss: the sale date + 31 days.
	SafeAfter *portfolio.Date
}

// Refused reports the preview's problems as one ErrTradeRefused error, or
// nil when there are none.
func (pv *TradePreview) Refused() error {
	if len(pv.Problems) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w", strings.Join(pv.Problems, "; "), ErrTradeRefused)
}

// previewStep wraps a gateway failure with the step that failed.
func previewStep(step string, err error) error {
	return &StepError{Op: "trade preview", Step: step, Err: err, NothingWritten: true}
}

// ResolveTradeAccount finds the account an order goes to: ref by name or
// number, or the only account of the portfolio the gateway manages.
func ResolveTradeAccount(accts []portfolio.Account, managed []string, ref string) (portfolio.Account, error) {
	if ref != "" {
		a, ok := AccountResolver(accts)(ref)
		if !ok {
			return a, fmt.Errorf("no account %q (see \"wealthalloc accounts list\")", ref)
		}
		return a, nil
	}
	var cands []portfolio.Account
	for _, a := range accts {
		if a.Number != "" && slices.Contains(managed, a.Number) {
			cands = append(cands, a)
		}
	}
	if len(cands) == 1 {
		return cands[0], nil
	}
	names := make([]string, 0, len(accts))
	for _, a := range accts {
		names = append(names, a.Name)
	}
	if len(cands) == 0 {
		return portfolio.Account{}, fmt.Errorf("no account of the portfolio is managed by this gateway login (%s): run \"wealthalloc sync\" or pass --account", strings.Join(managed, ", "))
	}
	return portfolio.Account{}, fmt.Errorf("%w: pass --account (one of %s)", ErrAccountAmbiguous, strings.Join(names, ", "))
}

// PreviewTrade computes what an order would do: the contract and a quote
// from the gateway, the cost or proceeds with an estimated commission, the
// broker's buying power for a purchase, for a sale the lots it consumes
// with their realised gain, term and estimated tax (on the books'
// wash-adjusted lots), wash-sale warnings in both directions across every
// account, and the symbol's weight (and drift from its target) after the
// trade. Nothing is written and nothing is sent. Reasons not to place the
// order are in Problems (see Refused); an unknown symbol is an error.
func (p *Portfolio) PreviewTrade(ctx context.Context, b TradeBroker, r TradeRequest) (*TradePreview, error) {
	r.Symbol = strings.ToUpper(strings.TrimSpace(r.Symbol))
	if r.TIF == "" {
		r.TIF = ibkr.TIFDay
	}
	if r.Type == "" {
		r.Type = ibkr.Market
	}
	if r.Commission == (tax.Commission{}) {
		r.Commission = tax.IBKRFixed
	}
	pv := &TradePreview{Request: r}
	accts, err := p.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	if pv.Account, err = ResolveTradeAccount(accts, b.Accounts(), r.Account); err != nil {
		return nil, err
	}
	if pv.Account.Number == "" {
		return nil, fmt.Errorf("account %s has no broker account number: sync it from the gateway, or add it with --number", pv.Account.Name)
	}
	if !slices.Contains(b.Accounts(), pv.Account.Number) {
		return nil, fmt.Errorf("account %s (%s) is not managed by this gateway login (%s)", pv.Account.Name, pv.Account.Number, strings.Join(b.Accounts(), ", "))
	}
	pv.Live = !strings.HasPrefix(pv.Account.Number, "DU")
	pv.TradeDate = r.Date
	if pv.TradeDate == 0 {
		now, err := b.CurrentTime(ctx)
		if err != nil {
			return nil, previewStep("current time", err)
		}
		pv.TradeDate = portfolio.DateOf(now.In(exchangeZone))
	}
	details, err := b.ContractDetails(ctx, ibkr.Contract{Symbol: r.Symbol})
	var api *ibkr.APIError
	switch {
	case errors.As(err, &api) && api.Code == 200, err == nil && len(details) == 0:
		return nil, fmt.Errorf("unknown symbol %s: IB Gateway has no US stock or ETF of that name on SMART (check the spelling)", r.Symbol)
	case err != nil:
		return nil, previewStep("contract details", err)
	}
	pv.Contract = details[0]
	if pv.Quote, err = b.Quote(ctx, ibkr.Contract{Symbol: r.Symbol, ConID: pv.Contract.Contract.ConID}); err != nil {
		return nil, previewStep("quote", err)
	}
	if err := pv.price(); err != nil {
		return nil, err
	}
	if r.Action == portfolio.Buy {
		vals, err := b.AccountSummary(ctx, "BuyingPower", "AvailableFunds", "TotalCashValue")
		if err != nil {
			return nil, previewStep("account summary", err)
		}
		pv.available(vals)
	}
	if err := p.previewBooks(ctx, pv, accts); err != nil {
		return nil, err
	}
	return pv, nil
}

// price sets the expected price from the quote and the estimate's figures.
func (pv *TradePreview) price() error {
	r, q := pv.Request, pv.Quote
	pick := func(name string, v decimal.NullDecimal) bool {
		if v.Valid && v.Decimal.IsPositive() && pv.PriceSource == "" {
			pv.ExpectedPrice, pv.PriceSource = v.Decimal, name
		}
		return pv.PriceSource != ""
	}
	if r.Action == portfolio.Buy {
		_ = pick("ask", q.Ask) || pick("last", q.Last) || pick("close", q.Close)
	} else {
		_ = pick("bid", q.Bid) || pick("last", q.Last) || pick("close", q.Close)
	}
	if pv.PriceSource == "" {
		return fmt.Errorf("no price for %s: the gateway's quote has no bid, ask, last or close (market data permissions?)", r.Symbol)
	}
	pv.OrderPrice = pv.ExpectedPrice
	switch r.Type {
	case ibkr.Limit, ibkr.StopLimit:
		pv.OrderPrice = r.Limit
	case ibkr.Stop:
		pv.OrderPrice = r.Stop
	}
	pv.Value = portfolio.RoundMoney(r.Quantity.Mul(pv.OrderPrice))
	pv.Commission = r.Commission.Of(r.Quantity, pv.OrderPrice)
	if r.Action == portfolio.Buy {
		pv.Total = pv.Value.Add(pv.Commission)
	} else {
		pv.Total = pv.Value.Sub(pv.Commission)
	}
	if tick := pv.Contract.MinTick; tick.IsPositive() {
		for _, px := range []decimal.Decimal{r.Limit, r.Stop} {
			if px.IsPositive() && !px.Mod(tick).IsZero() {
				pv.Warnings = append(pv.Warnings, fmt.Sprintf("price %s is not on the contract's %s tick: the broker will likely reject it", px, tick))
			}
		}
	}
	return nil
}

// available reads the broker's buying power for the account and checks the
// purchase against it.
func (pv *TradePreview) available(vals []ibkr.AccountValue) {
	got := map[string]decimal.Decimal{}
	for _, v := range vals {
		if v.Account != pv.Account.Number {
			continue
		}
		if d, err := decimal.NewFromString(v.Value); err == nil {
			got[v.Tag] = d
		}
	}
	for _, tag := range []string{"BuyingPower", "AvailableFunds", "TotalCashValue"} {
		if d, ok := got[tag]; ok {
			pv.Available, pv.AvailableTag = decimal.NewNullDecimal(d.Add(pv.Request.ExtraCash)), tag
			break
		}
	}
	if !pv.Available.Valid {
		pv.Warnings = append(pv.Warnings, "the gateway reported no buying power for "+pv.Account.Number+": funds not checked")
		return
	}
	if pv.Total.GreaterThan(pv.Available.Decimal) {
		pv.Problems = append(pv.Problems, fmt.Sprintf("insufficient funds: required %s, available %s", pv.Total.StringFixed(2), pv.Available.Decimal.StringFixed(2)))
	}
}

// previewBooks fills in what the books say: shares held, the lots a sale
// takes, gains, tax, wash sales, weights.
func (p *Portfolio) previewBooks(ctx context.Context, pv *TradePreview, accts []portfolio.Account) error {
	r := pv.Request
	var (
		trades []portfolio.Trade
		prices map[string]portfolio.Bar
	)
	err := p.Store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if trades, err = q.Trades(ctx, p.PortfolioID); err != nil {
			return fmt.Errorf("load trades: %w", err)
		}
		syms := map[string]bool{}
		var list []string
		for _, t := range trades {
			if t.Symbol != "" && !syms[t.Symbol] {
				syms[t.Symbol] = true
				list = append(list, t.Symbol)
			}
		}
		prices, err = q.LatestPrices(ctx, list, pv.TradeDate)
		return err
	})
	if err != nil {
		return err
	}
	ledger, err := portfolio.Replay(accts, trades)
	if err != nil {
		return fmt.Errorf("replay the books: %w", err)
	}
	before, err := p.deriveBooks(accts, trades, ledger)
	if err != nil {
		return err
	}
	var held []portfolio.Lot
	for _, l := range ledger.OpenLots() {
		if l.AccountID == pv.Account.ID && l.Symbol == r.Symbol {
			held = append(held, l)
			pv.Held = pv.Held.Add(l.Quantity)
		}
	}
	hypo := portfolio.Trade{ID: "preview:" + r.Symbol, AccountID: pv.Account.ID, Date: pv.TradeDate, Action: r.Action,
		Symbol: r.Symbol, Quantity: r.Quantity, Price: pv.OrderPrice, Fees: pv.Commission, Currency: "USD"}
	if r.Action == portfolio.Sell {
		if r.Quantity.GreaterThan(pv.Held) {
			pv.Problems = append(pv.Problems, fmt.Sprintf("selling %s %s but account %s holds %s (short sales are not supported)",
				r.Quantity, r.Symbol, pv.Account.Name, pv.Held))
			return nil
		}
		picks, err := resolvePicks(held, r.Lots, cmp.Or(r.Lots.Method, pv.Account.LotMethod), r.Quantity)
		if err != nil {
			pv.Problems = append(pv.Problems, err.Error())
			return nil
		}
		pv.Picks, hypo.Lots = picks, picks
	}
	all := append(slices.Clone(trades), hypo)
	l2, err := portfolio.Replay(accts, all)
	if err != nil {
		return fmt.Errorf("book the order: %w", err)
	}
	after, err := p.deriveBooks(accts, all, l2)
	if err != nil {
		return err
	}
	taxable := pv.Account.TaxType == portfolio.Taxable || pv.Account.TaxType == portfolio.SpouseTaxable
	rates := r.Rates
	if !rates.Short.Valid || !rates.Long.Valid {
		rates, pv.RatesAssumed = DefaultTradeRates, taxable
	}
	rate := func(t tax.Term) decimal.Decimal {
		if !taxable {
			return decimal.Zero
		}
		v := rates.Short.Decimal
		if t == tax.Long {
			v = rates.Long.Decimal
		}
		if rates.State.Valid {
			v = v.Add(rates.State.Decimal)
		}
		return v
	}
	if r.Action == portfolio.Sell {
		for _, g := range after.gains {
			if g.SellID != hypo.ID {
				continue
			}
			term := tax.HoldingTerm(g.AdjustedDateAcquired, g.DateSold)
			gain := g.Proceeds.Sub(g.CostBasis).Add(g.WashDisallowed)
			pl := PreviewLot{LotID: g.LotID, Acquired: g.DateAcquired, AdjustedAcquired: g.AdjustedDateAcquired,
				Quantity: g.Quantity, Basis: g.CostBasis, Proceeds: g.Proceeds, Gain: gain, WashDisallowed: g.WashDisallowed,
				Term: term.String(), Tax: portfolio.RoundMoney(gain.Mul(rate(term)))}
			pv.Lots = append(pv.Lots, pl)
			pv.Gain = pv.Gain.Add(gain)
			if term == tax.Long {
				pv.LongGain = pv.LongGain.Add(gain)
			} else {
				pv.ShortGain = pv.ShortGain.Add(gain)
			}
			pv.Washed = pv.Washed.Add(g.WashDisallowed)
			pv.Tax = pv.Tax.Add(pl.Tax)
		}
		p.sellWarnings(pv, accts, trades, taxable)
	} else {
		p.buyWarnings(pv, accts, before.gains, after.gains)
	}
	// Holdings and funds are checked above (funds in available): an order
	// with problems gets no weights, which would describe a portfolio
	// that cannot exist (a negative position, negative cash).
	if len(pv.Problems) == 0 {
		pv.weights(before.holdings, before.cash(), prices)
	}
	return nil
}

// resolvePicks turns a lot spec into explicit picks of ledger lots (base
// ids) that add up to qty.
func resolvePicks(held []portfolio.Lot, spec LotSpec, method portfolio.LotMethod, qty decimal.Decimal) ([]portfolio.LotPick, error) {
	var out []portfolio.LotPick
	left := qty
	if len(spec.Picks) > 0 {
		byID := map[string]portfolio.Lot{}
		for _, l := range held {
			byID[l.ID] = l
		}
		used := map[string]decimal.Decimal{}
		for _, pk := range spec.Picks {
			id := tax.BaseLotID(pk.LotID)
			l, ok := byID[id]
			if !ok {
				return nil, fmt.Errorf("lot %s is not an open lot of this symbol in this account (see \"wealthalloc holdings --group-by lot\")", pk.LotID)
			}
			room := l.Quantity.Sub(used[id])
			n := pk.Quantity
			if n.IsZero() {
				n = decimal.Min(room, left)
			}
			if n.GreaterThan(room) {
				return nil, fmt.Errorf("lot %s has %s shares open, %s asked", pk.LotID, room, n)
			}
			if !n.IsPositive() {
				continue
			}
			used[id] = used[id].Add(n)
			left = left.Sub(n)
			out = append(out, portfolio.LotPick{LotID: id, Quantity: n})
		}
		if !left.IsZero() {
			return nil, fmt.Errorf("the lots named give %s shares, the order is for %s", qty.Sub(left), qty)
		}
		return out, nil
	}
	lots := slices.Clone(held)
	slices.SortStableFunc(lots, func(a, b portfolio.Lot) int {
		switch method {
		case portfolio.LIFO:
			return cmp.Or(cmp.Compare(b.DateAcquired, a.DateAcquired), strings.Compare(b.ID, a.ID))
		case portfolio.HIFO:
			return cmp.Or(b.UnitCost().Cmp(a.UnitCost()), cmp.Compare(a.DateAcquired, b.DateAcquired), strings.Compare(a.ID, b.ID))
		}
		return cmp.Or(cmp.Compare(a.DateAcquired, b.DateAcquired), strings.Compare(a.ID, b.ID))
	})
	for _, l := range lots {
		if !left.IsPositive() {
			break
		}
		n := decimal.Min(l.Quantity, left)
		out = append(out, portfolio.LotPick{LotID: l.ID, Quantity: n})
		left = left.Sub(n)
	}
	if left.IsPositive() {
		return nil, fmt.Errorf("the open lots hold %s shares, the order is for %s", qty.Sub(left), qty)
	}
	return out, nil
}

// sellWarnings: a loss sale washed by a purchase in the 30 days before it
// (any account), and the lock-out it starts.
func (p *Portfolio) sellWarnings(pv *TradePreview, accts []portfolio.Account, trades []portfolio.Trade, taxable bool) {
	r := pv.Request
	if !pv.Gain.IsNegative() && pv.Washed.IsZero() {
		return
	}
	names := accountNames(accts)
	id := p.identical()
	own := map[string]bool{}
	for _, pk := range pv.Picks {
		own[pk.LotID] = true
	}
	if pv.Washed.IsPositive() {
		var buys []string
		for _, t := range trades {
			if (t.Action == portfolio.Buy || t.Action == portfolio.Reinvest) && id.Same(t.Symbol, r.Symbol) && !own[t.ID] &&
				t.Date >= pv.TradeDate.AddDays(-30) && t.Date <= pv.TradeDate {
				buys = append(buys, fmt.Sprintf("%s %s %s on %s in %s", t.Action, t.Quantity, t.Symbol, t.Date, names[t.AccountID]))
			}
		}
		w := fmt.Sprintf("wash sale: %s of this sale's loss is disallowed (IRC §1091)", pv.Washed.StringFixed(2))
		if len(buys) > 0 {
			w += ": substantially identical purchases in the 30 days before: " + strings.Join(buys, "; ")
		}
		pv.Warnings = append(pv.Warnings, w)
	}
	if taxable && pv.Gain.IsNegative() {
		safe := pv.TradeDate.AddDays(31)
		pv.SafeAfter = &safe
		syms := id.Group(r.Symbol)
		if len(syms) == 0 {
			syms = []string{r.Symbol}
		}
		pv.Warnings = append(pv.Warnings, fmt.Sprintf("a loss sale: buying %s in any account (IRA and spouse included) before %s would wash the loss",
			strings.Join(syms, " or "), safe))
	}
}

// buyWarnings: earlier loss sales this purchase would wash, found by
// booking it and comparing the disallowed losses.
func (p *Portfolio) buyWarnings(pv *TradePreview, accts []portfolio.Account, before, after []tax.Gain) {
	names := accountNames(accts)
	was := map[string]decimal.Decimal{}
	for _, g := range before {
		was[g.SellID] = was[g.SellID].Add(g.WashDisallowed)
	}
	now := map[string]decimal.Decimal{}
	info := map[string]tax.Gain{}
	var order []string
	for _, g := range after {
		if _, ok := now[g.SellID]; !ok {
			order = append(order, g.SellID)
			info[g.SellID] = g
		}
		now[g.SellID] = now[g.SellID].Add(g.WashDisallowed)
	}
	for _, id := range order {
		if d := now[id].Sub(was[id]); d.IsPositive() {
			pv.WashesRealized = pv.WashesRealized.Add(d)
			g := info[id]
			pv.Warnings = append(pv.Warnings, fmt.Sprintf("wash sale: this purchase would wash %s of the loss realised selling %s on %s in %s (IRC §1091); buying on or after %s would not",
				d.StringFixed(2), g.Symbol, g.DateSold, names[g.AccountID], g.DateSold.AddDays(31)))
		}
	}
}

// weights sets the symbol's weight in the portfolio before and after the
// trade (only for an order without problems), valuing holdings at the
// latest stored closes and the traded symbol at the order's price.
func (pv *TradePreview) weights(holdings []portfolio.Holding, cash map[string]decimal.Decimal, prices map[string]portfolio.Bar) {
	r := pv.Request
	total, sym := decimal.Zero, decimal.Zero
	for _, h := range holdings {
		px := prices[h.Symbol].Close
		if h.Symbol == r.Symbol {
			px = pv.ExpectedPrice
			sym = sym.Add(h.Quantity.Mul(px))
		}
		total = total.Add(h.Quantity.Mul(px))
	}
	for _, c := range cash {
		total = total.Add(c)
	}
	// The shares change hands at the order's price but are worth the
	// market's afterwards.
	delta := r.Quantity.Mul(pv.ExpectedPrice)
	cashDelta := pv.Total.Neg()
	if r.Action == portfolio.Sell {
		delta, cashDelta = delta.Neg(), pv.Total
	}
	symAfter := sym.Add(delta)
	totalAfter := total.Add(delta).Add(cashDelta)
	if total.IsPositive() {
		pv.WeightBefore = decimal.NewNullDecimal(sym.Div(total).Round(6))
	}
	if totalAfter.IsPositive() {
		pv.WeightAfter = decimal.NewNullDecimal(symAfter.Div(totalAfter).Round(6))
	}
	if w, ok := r.Targets[r.Symbol]; ok {
		pv.Target = decimal.NewNullDecimal(w)
	}
}
