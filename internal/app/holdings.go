package app

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// Valuation prices the portfolio at asOf, lot by lot when byLot, else by
// holding (one row per account and symbol, which is all the summed views
// need). The stored books describe the portfolio after every trade; when
// asOf is before the last trade the history is replayed up to asOf instead,
// so a past date shows what was held then.
func (p *Portfolio) Valuation(ctx context.Context, asOf portfolio.Date, byLot bool) (portfolio.Valuation, []portfolio.Account, error) {
	var (
		v     portfolio.Valuation
		accts []portfolio.Account
	)
	err := p.Store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if accts, err = q.Accounts(ctx, p.PortfolioID); err != nil {
			return fmt.Errorf("load accounts: %w", err)
		}
		lots, holdings, cash, err := p.booksAsOf(ctx, q, accts, asOf, byLot)
		if err != nil {
			return err
		}
		syms := map[string]bool{}
		var list []string
		for _, l := range lots {
			if l.Open() && !syms[l.Symbol] {
				syms[l.Symbol] = true
				list = append(list, l.Symbol)
			}
		}
		for _, h := range holdings {
			if !syms[h.Symbol] {
				syms[h.Symbol] = true
				list = append(list, h.Symbol)
			}
		}
		prices, err := q.LatestPrices(ctx, list, asOf)
		if err != nil {
			return fmt.Errorf("load prices: %w", err)
		}
		if holdings != nil {
			v = portfolio.ValueHoldings(asOf, holdings, cash, prices)
		} else {
			v = portfolio.Value(asOf, lots, cash, prices)
		}
		return nil
	})
	return v, accts, err
}

// booksAsOf returns the open lots (byLot) or the holdings, and the cash, as
// they stood at asOf. Exactly one of lots and holdings is non-nil.
func (p *Portfolio) booksAsOf(ctx context.Context, q *store.Queries, accts []portfolio.Account, asOf portfolio.Date, byLot bool) (
	lots []portfolio.Lot, holdings []portfolio.Holding, cash map[string]decimal.Decimal, err error) {
	through, err := q.BooksThrough(ctx, p.PortfolioID)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load books date: %w", err)
	}
	if through != nil && *through > asOf {
		trades, err := q.Trades(ctx, p.PortfolioID)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("load trades: %w", err)
		}
		upto := trades[:0]
		for _, t := range trades {
			if t.Date <= asOf {
				upto = append(upto, t)
			}
		}
		l, err := portfolio.Replay(accts, upto)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("replay trades to %s: %w", asOf, err)
		}
		// Wash sales as known at asOf: a purchase after asOf cannot have
		// washed a loss yet.
		b, err := p.deriveBooks(accts, upto, l)
		if err != nil {
			return nil, nil, nil, err
		}
		if byLot {
			return b.openLots(), nil, b.cash(), nil
		}
		return nil, b.holdings, b.cash(), nil
	}
	if cash, err = q.Cash(ctx, p.PortfolioID); err != nil {
		return nil, nil, nil, fmt.Errorf("load cash: %w", err)
	}
	if byLot {
		if lots, err = q.Lots(ctx, p.PortfolioID, true); err != nil {
			return nil, nil, nil, fmt.Errorf("load lots: %w", err)
		}
		return lots, nil, cash, nil
	}
	if holdings, err = q.Holdings(ctx, p.PortfolioID); err != nil {
		return nil, nil, nil, fmt.Errorf("load holdings: %w", err)
	}
	return nil, holdings, cash, nil
}
