package app

import (
	"context"
	"fmt"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/tax"
)

// Gains returns every realized gain of the portfolio, wash sales applied,
// in Form 8949 terms and sale order, with the accounts to name them by.
// Sales inside IRAs and Roth IRAs are included with Taxable false.
func (p *Portfolio) Gains(ctx context.Context) ([]tax.Gain, []portfolio.Account, error) {
	accts, err := p.Accounts(ctx)
	if err != nil {
		return nil, nil, err
	}
	disp, err := p.Store.Disposals(ctx, p.PortfolioID)
	if err != nil {
		return nil, nil, fmt.Errorf("load realized gains: %w", err)
	}
	taxable := map[string]bool{}
	for _, a := range accts {
		taxable[a.ID] = a.TaxType == portfolio.Taxable || a.TaxType == portfolio.SpouseTaxable
	}
	out := make([]tax.Gain, len(disp))
	for i, d := range disp {
		out[i] = tax.Gain{SellID: d.SellTradeID, LotID: d.LotID, AccountID: d.AccountID, Symbol: d.Symbol, Quantity: d.Quantity,
			DateAcquired: d.DateAcquired, AdjustedDateAcquired: d.AdjustedDateAcquired, DateSold: d.DateSold,
			Proceeds: d.Proceeds, CostBasis: d.AdjustedBasis, WashDisallowed: d.WashDisallowed,
			PermanentlyDisallowed: d.PermanentlyDisallowed,
			GainLoss:              d.Proceeds.Sub(d.AdjustedBasis).Add(d.WashDisallowed),
			Term:                  tax.HoldingTerm(d.AdjustedDateAcquired, d.DateSold), Taxable: taxable[d.AccountID]}
	}
	return out, accts, nil
}

// TaxYear is one year's netting and estimated tax.
type TaxYear struct {
	Netting tax.Netting
	Tax     tax.Rates
	// Estimated is the tax on the year's capital gains at the marginal
	// rates (negative: the losses save that much).
	Estimated   string
	FirstYear   int // the first year with sales, where the carryover chain starts
	TaxableOnly bool
}

// NetYear nets year's taxable gains, carrying losses forward from every
// earlier year of the history (Schedule D carryover worksheet), and
// estimates the tax at rates.
func NetYear(gains []tax.Gain, year int, filing string, rates tax.Rates) TaxYear {
	first := year
	for _, g := range gains {
		if y := g.DateSold.Time().Year(); g.Taxable && y < first {
			first = y
		}
	}
	carry := tax.Carryover{}
	var n tax.Netting
	for y := first; y <= year; y++ {
		n = tax.Net(gains, y, carry, filing)
		carry = n.CarryOut
	}
	return TaxYear{Netting: n, Tax: rates, Estimated: tax.EstimateTax(n, rates).StringFixed(2), FirstYear: first, TaxableOnly: true}
}
