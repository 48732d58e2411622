package app

import (
	"context"
	"fmt"

	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// RecordExecutions books fills the caller already has (an order it just
// placed) without a full sync: each becomes a trade keyed by its IB
// execution id in the account whose number is its IB account, and the books
// are re-derived, in one transaction. Fills already stored are skipped; it
// returns how many were added.
func (p *Portfolio) RecordExecutions(ctx context.Context, execs []ibkr.Execution) (int, error) {
	added := 0
	err := p.Store.InTx(ctx, func(q *store.Queries) error {
		added = 0
		accts, err := q.Accounts(ctx, p.PortfolioID)
		if err != nil {
			return fmt.Errorf("load accounts: %w", err)
		}
		find := AccountResolver(accts)
		keys, err := q.TradeKeys(ctx, p.PortfolioID)
		if err != nil {
			return fmt.Errorf("load trade keys: %w", err)
		}
		var fresh []portfolio.Trade
		for _, e := range execs {
			a, ok := find(e.Account)
			if !ok {
				return fmt.Errorf("execution %s: IB account %s is not in the portfolio: run \"wealthalloc sync\" first", e.ExecID, e.Account)
			}
			t, err := executionTrade(e, a.ID)
			if err != nil {
				return err
			}
			if _, dup := keys[t.Key]; dup {
				continue
			}
			keys[t.Key] = struct{}{}
			fresh = append(fresh, t)
		}
		if len(fresh) == 0 {
			return nil
		}
		stored, err := q.Trades(ctx, p.PortfolioID)
		if err != nil {
			return fmt.Errorf("load trades: %w", err)
		}
		all := append(stored, fresh...)
		ledger, err := portfolio.Replay(accts, all)
		if err != nil {
			return syncBookingFailure(err)
		}
		if err := q.InsertTrades(ctx, p.UserID, fresh); err != nil {
			return fmt.Errorf("store executions: %w", err)
		}
		added = len(fresh)
		return p.rebuild(ctx, q, accts, all, ledger)
	})
	return added, err
}
