package app

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// Valuation prices the portfolio at asOf. Stored lots are the books after
// every trade; when asOf is before the last trade the history is replayed up
// to asOf instead, so a past date shows what was held then.
func (p *Portfolio) Valuation(ctx context.Context, asOf portfolio.Date) (portfolio.Valuation, []portfolio.Account, error) {
	var (
		v     portfolio.Valuation
		accts []portfolio.Account
	)
	err := p.Store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if accts, err = q.Accounts(ctx, p.PortfolioID); err != nil {
			return fmt.Errorf("load accounts: %w", err)
		}
		lots, cash, err := p.booksAsOf(ctx, q, accts, asOf)
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
		prices, err := q.LatestPrices(ctx, list, asOf)
		if err != nil {
			return fmt.Errorf("load prices: %w", err)
		}
		v = portfolio.Value(asOf, lots, cash, prices)
		return nil
	})
	return v, accts, err
}

func (p *Portfolio) booksAsOf(ctx context.Context, q *store.Queries, accts []portfolio.Account, asOf portfolio.Date) ([]portfolio.Lot, map[string]decimal.Decimal, error) {
	last, err := q.LastTradeDate(ctx, p.PortfolioID)
	if err != nil {
		return nil, nil, fmt.Errorf("load trades: %w", err)
	}
	if last == nil || *last <= asOf {
		lots, err := q.Lots(ctx, p.PortfolioID, true)
		if err != nil {
			return nil, nil, fmt.Errorf("load lots: %w", err)
		}
		cash, err := q.Cash(ctx, p.PortfolioID)
		if err != nil {
			return nil, nil, fmt.Errorf("load cash: %w", err)
		}
		return lots, cash, nil
	}
	trades, err := q.Trades(ctx, p.PortfolioID)
	if err != nil {
		return nil, nil, fmt.Errorf("load trades: %w", err)
	}
	upto := trades[:0]
	for _, t := range trades {
		if t.Date <= asOf {
			upto = append(upto, t)
		}
	}
	l, err := portfolio.Replay(accts, upto)
	if err != nil {
		return nil, nil, fmt.Errorf("replay trades to %s: %w", asOf, err)
	}
	return l.OpenLots(), l.Cash(), nil
}
