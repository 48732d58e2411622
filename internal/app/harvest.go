package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
	"github.com/wealthalloc/wealthalloc/internal/tax"
)

// HarvestOptions are the inputs of ScanHarvest.
type HarvestOptions struct {
	AsOf portfolio.Date
	// Accounts restricts the scan to these account IDs; empty scans every
	// account that is not tax-deferred. Wash-sale safety always looks at
	// every account.
	Accounts []string
	Policy   tax.HarvestPolicy
	// Classify gives asset class and sector (refdata.Classify).
	Classify func(string) portfolio.Classification
}

// HarvestResult is a scan and what recording it did.
type HarvestResult struct {
	Scan     tax.HarvestScan
	Accounts []portfolio.Account
	// Records holds the tax_harvests row of each of Scan.Opportunities, in
	// the same order. Opportunities the user dismissed earlier are taken
	// out of Scan and only counted in Dismissed.
	Records   []store.Harvest
	Created   int
	Updated   int
	Expired   []store.Harvest
	Dismissed int
}

// ScanHarvest finds the tax-loss harvesting opportunities at opts.AsOf
// (tax.ScanHarvest over the wash-adjusted open lots, the latest prices, the
// purchases of every account and a year of daily prices for correlations),
// records them in tax_harvests (a repeated scan updates rather than
// duplicates, and opportunities no longer found expire) and logs the
// changes as events, all in one transaction.
func (p *Portfolio) ScanHarvest(ctx context.Context, opts HarvestOptions) (*HarvestResult, error) {
	v, accts, err := p.Valuation(ctx, opts.AsOf, true)
	if err != nil {
		return nil, err
	}
	lots := make([]portfolio.Lot, len(v.Lots))
	for i, l := range v.Lots {
		lots[i] = l.Lot
	}
	in := tax.HarvestInput{AsOf: opts.AsOf, Accounts: accts, Only: opts.Accounts, Lots: lots,
		Identical: p.identical(), Classify: opts.Classify}
	res := &HarvestResult{Accounts: accts}
	err = p.Store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if in.Prices, err = q.LatestPrices(ctx, symbolsOf(lots), opts.AsOf); err != nil {
			return fmt.Errorf("load prices: %w", err)
		}
		trades, err := q.Trades(ctx, p.PortfolioID)
		if err != nil {
			return fmt.Errorf("load trades: %w", err)
		}
		in.Trades = trades[:0]
		for _, t := range trades {
			if t.Date <= opts.AsOf {
				in.Trades = append(in.Trades, t)
			}
		}
		if in.History, err = priceHistory(ctx, q, opts.AsOf.AddYears(-1), opts.AsOf); err != nil {
			return err
		}
		if in.Disposals, err = q.Disposals(ctx, p.PortfolioID); err != nil {
			return fmt.Errorf("load realized gains: %w", err)
		}
		scan := tax.ScanHarvest(in, opts.Policy)
		return p.recordHarvests(ctx, q, opts, scan, res)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// priceHistory loads every stored symbol's bars in [from, to]: the
// replacement universe. Symbols with no bar there are left out.
func priceHistory(ctx context.Context, q *store.Queries, from, to portfolio.Date) (map[string][]portfolio.Bar, error) {
	syms, err := q.PriceSymbols(ctx)
	if err != nil {
		return nil, fmt.Errorf("load price symbols: %w", err)
	}
	out := make(map[string][]portfolio.Bar, len(syms))
	for _, s := range syms {
		bars, err := q.Bars(ctx, s, from, to)
		if err != nil {
			return nil, err
		}
		if len(bars) > 0 {
			out[s] = bars
		}
	}
	return out, nil
}

func symbolsOf(lots []portfolio.Lot) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lots {
		if !seen[l.Symbol] {
			seen[l.Symbol] = true
			out = append(out, l.Symbol)
		}
	}
	return out
}

// recordHarvests stores scan, fills res and appends the events.
func (p *Portfolio) recordHarvests(ctx context.Context, q *store.Queries, opts HarvestOptions, scan tax.HarvestScan, res *HarvestResult) error {
	rows := make([]store.Harvest, len(scan.Opportunities))
	for i, o := range scan.Opportunities {
		until := o.LockoutUntil
		rows[i] = store.Harvest{AccountID: o.AccountID, Symbol: o.Symbol, LotID: o.LotID, Quantity: o.Quantity,
			AdjustedBasis: o.AdjustedBasis, Price: o.Price, PriceDate: o.PriceDate, UnrealizedLoss: o.Loss,
			LongTerm: o.LongTerm, EstimatedSaving: o.Saving, Costs: o.Costs, WashSafe: o.WashSafe, WashSaleUntil: &until}
		if len(o.Replacements) > 0 {
			rows[i].ReplacementSymbol = o.Replacements[0].Symbol
		}
	}
	rec, err := q.RecordHarvestScan(ctx, p.UserID, p.PortfolioID, opts.AsOf, opts.Accounts, rows)
	if err != nil {
		return err
	}
	*res = HarvestResult{Accounts: res.Accounts, Scan: scan, Expired: rec.Expired}
	res.Scan.Opportunities = scan.Opportunities[:0:0]
	for i, h := range rec.Found {
		if h.Status == store.HarvestDismissed {
			res.Dismissed++
			continue
		}
		res.Scan.Opportunities = append(res.Scan.Opportunities, scan.Opportunities[i])
		res.Records = append(res.Records, h)
		if rec.Created[i] {
			res.Created++
			if err := q.AppendEvent(ctx, store.Event{UserID: p.UserID, PortfolioID: p.PortfolioID, Kind: "harvest.detected",
				Subject: h.ID, Data: map[string]string{"account_id": h.AccountID, "symbol": h.Symbol, "lot_id": h.LotID,
					"unrealized_loss": h.UnrealizedLoss.String(), "as_of": opts.AsOf.String()}}); err != nil {
				return err
			}
		} else {
			res.Updated++
		}
	}
	for _, h := range rec.Expired {
		if err := q.AppendEvent(ctx, store.Event{UserID: p.UserID, PortfolioID: p.PortfolioID, Kind: "harvest.expired",
			Subject: h.ID, Data: map[string]string{"account_id": h.AccountID, "symbol": h.Symbol, "lot_id": h.LotID,
				"as_of": opts.AsOf.String()}}); err != nil {
			return err
		}
	}
	return q.AppendEvent(ctx, store.Event{UserID: p.UserID, PortfolioID: p.PortfolioID, Kind: "harvest.scanned",
		Subject: p.PortfolioID, Data: map[string]any{"as_of": opts.AsOf.String(), "accounts": strings.Join(opts.Accounts, ","),
			"found": len(res.Records), "new": res.Created, "updated": res.Updated, "expired": len(rec.Expired),
			"dismissed": res.Dismissed}})
}
