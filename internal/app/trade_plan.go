package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/ids"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// PlanStep is one order of a multi-order plan and what became of it.
type PlanStep struct {
	Preview *TradePreview
	Order   *store.Order // nil when it was not sent
	Err     error
}

// ErrPlanStopped: a plan stopped at an order that did not fill; the
// orders after it were not sent.
var ErrPlanStopped = errors.New("plan stopped")

// ExecutePlan places the previewed orders one after the other, each
// followed to its final status before the next is sent (a sale's cash pays
// for the purchases after it), all under one plan id. It stops cleanly at
// the first order that is not filled — rejected, cancelled, failed — and
// returns every step with what was done.
func (p *Portfolio) ExecutePlan(ctx context.Context, b TradeBroker, pvs []*TradePreview, opt PlaceOptions) ([]PlanStep, error) {
	if opt.PlanID == "" {
		opt.PlanID = ids.New()
	}
	opt.Wait = true
	steps := make([]PlanStep, len(pvs))
	for i, pv := range pvs {
		steps[i].Preview = pv
	}
	for i, pv := range pvs {
		o, err := p.PlaceTrade(ctx, b, pv, opt)
		steps[i].Order, steps[i].Err = o, err
		if err != nil {
			return steps, fmt.Errorf("%w at order %d of %d (%s %s %s): %w; the orders after it were not sent",
				ErrPlanStopped, i+1, len(pvs), pv.Request.Action, pv.Request.Quantity, pv.Request.Symbol, err)
		}
		if o.Status != store.OrderFilled {
			why := string(o.Status)
			if o.Reason != "" {
				why += ": " + o.Reason
			}
			return steps, fmt.Errorf("%w at order %d of %d (%s %s %s), which ended %s; the orders after it were not sent",
				ErrPlanStopped, i+1, len(pvs), pv.Request.Action, pv.Request.Quantity, pv.Request.Symbol, why)
		}
	}
	return steps, nil
}

// HarvestPlan is a harvest opportunity as two orders: sell the lot, buy
// the replacement for about the same amount.
type HarvestPlan struct {
	Harvest     store.Harvest
	Sell, Buy   *TradePreview
	Replacement string
	// SafeAfter is the first day buying the sold security back does not
	// wash the loss (the sale date + 31 days).
	SafeAfter portfolio.Date
	// Resized explains, when the lot no longer holds the quantity the scan
	// found, that the sale is of what it holds now; "" otherwise.
	Resized string
}

// PlanHarvest previews harvest id (a tax_harvests row still new): a
// market sale of its lot's open shares, named as the specific lot, and a
// market purchase of replacement (default: the scan's first suggestion)
// with the sale's proceeds in whole shares. It refuses a harvest whose
// sale would be washed, that shows no loss at the current price, or whose
// replacement is substantially identical to what is sold.
func (p *Portfolio) PlanHarvest(ctx context.Context, b TradeBroker, id string, opt HarvestPlanOptions, base TradeRequest) (*HarvestPlan, error) {
	replacement := opt.Replacement
	h, err := p.Store.Harvest(ctx, p.PortfolioID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no harvest opportunity %q (see \"wealthalloc harvest list\")", id)
	}
	if err != nil {
		return nil, err
	}
	if h.Status != store.HarvestNew {
		return nil, fmt.Errorf("harvest %s is %s, not new: only an open opportunity can be executed", h.ID, h.Status)
	}
	plan := &HarvestPlan{Harvest: h, Replacement: strings.ToUpper(strings.TrimSpace(replacement))}
	if plan.Replacement == "" {
		plan.Replacement = h.ReplacementSymbol
	}
	if plan.Replacement == "" {
		return nil, fmt.Errorf("harvest %s has no suggested replacement: pass --replacement SYM", h.ID)
	}
	if p.identical().Same(plan.Replacement, h.Symbol) {
		return nil, fmt.Errorf("replacement %s is substantially identical to %s: buying it would wash the loss; pick another", plan.Replacement, h.Symbol)
	}
	lots, err := p.Store.Lots(ctx, p.PortfolioID, true)
	if err != nil {
		return nil, fmt.Errorf("load lots: %w", err)
	}
	qty := decimal.Zero
	for _, l := range lots {
		if l.AccountID == h.AccountID && l.Symbol == h.Symbol && (l.ID == h.LotID || strings.HasPrefix(l.ID, h.LotID+"/w")) {
			qty = qty.Add(l.Quantity)
		}
	}
	if !qty.IsPositive() {
		return nil, fmt.Errorf("lot %s of harvest %s holds no shares any more", h.LotID, h.ID)
	}
	if !qty.Equal(h.Quantity) {
		plan.Resized = fmt.Sprintf("harvest %s was found for %s shares of lot %s, which now holds %s: selling %s (the loss and saving figures of the scan no longer apply; rescan for fresh ones)",
			h.ID, h.Quantity, h.LotID, qty, qty)
	}
	accts, err := p.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	acct := OrderAccountName(accts, h.AccountID)
	sell := base
	sell.Action, sell.Symbol, sell.Quantity, sell.Type, sell.Account = portfolio.Sell, h.Symbol, qty, ibkr.Market, acct
	sell.Lots = LotSpec{Picks: []portfolio.LotPick{{LotID: h.LotID, Quantity: qty}}}
	if plan.Sell, err = p.PreviewTrade(ctx, b, sell); err != nil {
		return nil, err
	}
	if err := plan.Sell.Refused(); err != nil {
		return plan, err
	}
	switch {
	case plan.Sell.Washed.IsPositive():
		return plan, fmt.Errorf("harvest %s refused: selling now would be a wash sale (%s of the loss disallowed): %w", h.ID, plan.Sell.Washed.StringFixed(2), ErrTradeRefused)
	case !plan.Sell.Gain.IsNegative():
		return plan, fmt.Errorf("harvest %s refused: at %s the lot shows no loss (gain %s): %w", h.ID, plan.Sell.ExpectedPrice, plan.Sell.Gain.StringFixed(2), ErrTradeRefused)
	}
	plan.SafeAfter = plan.Sell.TradeDate.AddDays(31)
	buy := base
	buy.Action, buy.Symbol, buy.Type, buy.Account, buy.Lots = portfolio.Buy, plan.Replacement, ibkr.Market, acct, LotSpec{}
	buy.Quantity = decimal.NewFromInt(1)
	buy.ExtraCash = plan.Sell.Total
	probe, err := p.PreviewTrade(ctx, b, buy)
	if err != nil {
		return plan, err
	}
	// Whole shares for the sale's proceeds, commission included.
	n := plan.Sell.Total.Div(probe.ExpectedPrice).Floor()
	for n.IsPositive() && n.Mul(probe.ExpectedPrice).Add(buy.Commission.Of(n, probe.ExpectedPrice)).GreaterThan(plan.Sell.Total) {
		n = n.Sub(decimal.NewFromInt(1))
	}
	if !n.IsPositive() {
		return plan, fmt.Errorf("harvest %s: the sale's proceeds (%s) buy no whole share of %s at %s", h.ID, plan.Sell.Total.StringFixed(2), plan.Replacement, probe.ExpectedPrice)
	}
	buy.Quantity = n
	if plan.Buy, err = p.PreviewTrade(ctx, b, buy); err != nil {
		return plan, err
	}
	ws, err := p.replacementWashes(ctx, h, plan.Replacement, plan.Buy.ExpectedPrice, lots, accts)
	if err != nil {
		return plan, err
	}
	plan.Buy.Warnings = append(plan.Buy.Warnings, ws...)
	if plan.Buy.WashesRealized.IsPositive() && !opt.AllowWash {
		plan.Buy.Problems = append(plan.Buy.Problems, fmt.Sprintf(
			"buying %s would wash %s of losses already realised (see the warnings), taking back part of what harvesting %s is for: pick another replacement, or pass --allow-wash to buy it anyway",
			plan.Replacement, plan.Buy.WashesRealized.StringFixed(2), h.Symbol))
	}
	return plan, plan.Buy.Refused()
}

// HarvestPlanOptions are the choices of a harvest plan.
type HarvestPlanOptions struct {
	// Replacement is the symbol bought with the proceeds; "" takes the
	// scan's suggestion.
	Replacement string
	// AllowWash accepts a replacement whose purchase disallows losses
	// already realised (refused otherwise: the scan never suggests one,
	// but --replacement can name one).
	AllowWash bool
}

// replacementWashes warns when buying replacement would wash a loss the
// portfolio has not realised yet: an open harvest opportunity on anything
// substantially identical to it, or a lot of it in a taxable account below
// its adjusted basis at price (selling that lot within 30 days after the
// purchase would be a wash sale). Losses already realised are warned about
// by the purchase's own preview.
func (p *Portfolio) replacementWashes(ctx context.Context, h store.Harvest, replacement string, price decimal.Decimal,
	lots []portfolio.Lot, accts []portfolio.Account) ([]string, error) {
	id := p.identical()
	open, err := p.Store.Harvests(ctx, p.PortfolioID, store.HarvestNew)
	if err != nil {
		return nil, fmt.Errorf("load harvests: %w", err)
	}
	var out []string
	seen := map[string]bool{}
	for _, o := range open {
		if o.ID == h.ID || !id.Same(o.Symbol, replacement) {
			continue
		}
		seen[o.LotID] = true
		out = append(out, fmt.Sprintf("wash sale: buying %s washes the open harvest opportunity %s (%s lot %s in %s, loss %s): harvest that first or pick another replacement",
			replacement, o.ID, o.Symbol, o.LotID, OrderAccountName(accts, o.AccountID), o.UnrealizedLoss.StringFixed(2)))
	}
	taxable := map[string]bool{}
	for _, a := range accts {
		taxable[a.ID] = !a.TaxType.TaxDeferred()
	}
	if !price.IsPositive() {
		return out, nil
	}
	for _, l := range lots {
		if !l.Open() || !taxable[l.AccountID] || seen[l.ID] || !id.Same(l.Symbol, replacement) {
			continue
		}
		if loss := l.AdjustedBasis.Sub(l.Quantity.Mul(price)); loss.IsPositive() {
			out = append(out, fmt.Sprintf("wash sale: %s lot %s in %s is at a loss (%s at %s): buying %s now would wash that loss if the lot is sold in the next 30 days",
				l.Symbol, l.ID, OrderAccountName(accts, l.AccountID), portfolio.RoundMoney(loss).StringFixed(2), price, replacement))
		}
	}
	return out, nil
}

// ExecuteHarvest places a harvest plan (the sale, then the replacement)
// and records the outcome in tax_harvests: executed, the trades, the loss
// realised and the date after which switching back is safe. A sale that
// did not fill leaves the opportunity new.
func (p *Portfolio) ExecuteHarvest(ctx context.Context, b TradeBroker, plan *HarvestPlan, opt PlaceOptions) ([]PlanStep, error) {
	opt.HarvestID = plan.Harvest.ID
	steps, err := p.ExecutePlan(ctx, b, []*TradePreview{plan.Sell, plan.Buy}, opt)
	sold := steps[0].Order
	if sold == nil || sold.Filled.IsZero() {
		return steps, err
	}
	x := store.HarvestExecution{ExecutedOn: sold.TradeDate, Replacement: plan.Replacement, SafeAfter: sold.TradeDate.AddDays(31)}
	trades, terr := p.Store.Trades(ctx, p.PortfolioID)
	if terr != nil {
		return steps, errors.Join(err, terr)
	}
	sellIDs := map[string]bool{}
	for _, t := range trades {
		switch {
		case strings.HasSuffix(t.Note, " "+sold.OrderRef):
			sellIDs[t.ID] = true
			if x.SellTradeID == "" {
				x.SellTradeID = t.ID
			}
		case steps[1].Order != nil && strings.HasSuffix(t.Note, " "+steps[1].Order.OrderRef) && x.BuyTradeID == "":
			x.BuyTradeID = t.ID
		}
	}
	gains, _, gerr := p.Gains(ctx)
	if gerr != nil {
		return steps, errors.Join(err, gerr)
	}
	loss := decimal.Zero
	for _, g := range gains {
		if sellIDs[g.SellID] {
			loss = loss.Sub(g.GainLoss)
		}
	}
	x.RealizedLoss = decimal.NewNullDecimal(loss)
	var notes []string
	if !sold.Filled.Equal(plan.Harvest.Quantity) {
		// tax_harvests has no executed-quantity column (HarvestExecution
		// cannot carry one): the note keeps it.
		notes = append(notes, fmt.Sprintf("executed %s of the %s shares the scan found", sold.Filled, plan.Harvest.Quantity))
	}
	if x.BuyTradeID == "" {
		notes = append(notes, "the replacement was not bought: "+fmt.Sprint(err))
	}
	x.Note = strings.Join(notes, "; ")
	rerr := p.Store.InTx(ctx, func(q *store.Queries) error {
		if err := q.RecordHarvestExecution(ctx, p.PortfolioID, plan.Harvest.ID, x); err != nil {
			return err
		}
		return q.AppendEvent(ctx, store.Event{UserID: p.UserID, PortfolioID: p.PortfolioID, Kind: "harvest.executed",
			Subject: plan.Harvest.ID, Data: map[string]string{"symbol": plan.Harvest.Symbol, "lot_id": plan.Harvest.LotID,
				"replacement": plan.Replacement, "realized_loss": loss.String(), "safe_after": x.SafeAfter.String(),
				"sell_trade_id": x.SellTradeID, "buy_trade_id": x.BuyTradeID, "quantity": sold.Filled.String()}})
	})
	return steps, errors.Join(err, rerr)
}

// Harvests lists the portfolio's harvest opportunities (all statuses).
func (p *Portfolio) Harvests(ctx context.Context) ([]store.Harvest, error) {
	hs, err := p.Store.Harvests(ctx, p.PortfolioID)
	if err != nil {
		return nil, fmt.Errorf("list harvests: %w", err)
	}
	return hs, nil
}
