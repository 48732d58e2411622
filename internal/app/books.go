package app

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
	"github.com/wealthalloc/wealthalloc/internal/tax"
)

// books is what the trade history derives: the ledger's booking with the
// wash-sale rule applied across every account (adjusted lots, split into
// sub-lots where only some shares replaced a loss), the realized gains, and
// the cash.
type books struct {
	ledger    *portfolio.Ledger
	lots      []portfolio.Lot // every lot, adjusted
	gains     []tax.Gain
	disposals []portfolio.Disposal
	holdings  []portfolio.Holding
}

func (p *Portfolio) identical() *tax.Identical {
	if p.Identical != nil {
		return p.Identical
	}
	id, err := tax.NewIdentical(tax.DefaultIdentical)
	if err != nil {
		panic("app: built-in identical groups: " + err.Error())
	}
	return id
}

// deriveBooks applies the wash-sale rule to a replayed ledger.
func (p *Portfolio) deriveBooks(accts []portfolio.Account, trades []portfolio.Trade, l *portfolio.Ledger) (books, error) {
	// ApplyBooked reads the ledger's integer units directly; decimals are
	// made once, for the rows stored.
	rep, err := tax.ApplyBooked(accts, trades, l.Booked(), p.identical())
	if err != nil {
		return books{}, fmt.Errorf("wash sales: %w", err)
	}
	res := rep.Result()
	byID := make(map[string]*portfolio.Lot, len(res.Lots))
	for i := range res.Lots {
		byID[res.Lots[i].ID] = &res.Lots[i]
	}
	disposals := make([]portfolio.Disposal, len(res.Gains))
	for i, g := range res.Gains {
		d := portfolio.Disposal{SellTradeID: g.SellID, LotID: g.LotID, AccountID: g.AccountID, Symbol: g.Symbol,
			Quantity: g.Quantity, DateAcquired: g.DateAcquired, AdjustedDateAcquired: g.AdjustedDateAcquired,
			DateSold: g.DateSold, Proceeds: g.Proceeds, CostBasis: g.CostBasis, AdjustedBasis: g.CostBasis,
			WashDisallowed: g.WashDisallowed, PermanentlyDisallowed: g.PermanentlyDisallowed}
		// The unadjusted basis of these shares: their share of what the
		// (sub-)lot originally cost.
		if lot, ok := byID[g.LotID]; ok && lot.OriginalQuantity.IsPositive() {
			d.CostBasis = lot.OriginalBasis.Mul(g.Quantity).DivRound(lot.OriginalQuantity, portfolio.MoneyPlaces)
		}
		disposals[i] = d
	}
	return books{ledger: l, lots: res.Lots, gains: res.Gains, disposals: disposals, holdings: portfolio.Holdings(res.Lots)}, nil
}

// openLots are the books' lots still holding shares.
func (b books) openLots() []portfolio.Lot {
	out := make([]portfolio.Lot, 0, len(b.lots))
	for _, l := range b.lots {
		if l.Open() {
			out = append(out, l)
		}
	}
	return out
}

func (b books) cash() map[string]decimal.Decimal { return b.ledger.Cash() }

// writeBooks replaces the stored lots, disposals, holdings and cash.
func (p *Portfolio) writeBooks(ctx context.Context, q *store.Queries, b books, through *portfolio.Date) error {
	err := q.ReplaceDerived(ctx, p.UserID, p.PortfolioID, store.Derived{
		Lots:      b.lots,
		Disposals: b.disposals,
		Holdings:  b.holdings,
		Cash:      b.cash(),
		Through:   through,
	})
	if err != nil {
		return fmt.Errorf("store lots: %w", err)
	}
	return nil
}

// rebuild replays accts' whole history trades, applies the wash-sale rule
// and stores the result.
func (p *Portfolio) rebuild(ctx context.Context, q *store.Queries, accts []portfolio.Account, trades []portfolio.Trade, l *portfolio.Ledger) error {
	b, err := p.deriveBooks(accts, trades, l)
	if err != nil {
		return err
	}
	return p.writeBooks(ctx, q, b, lastDate(trades))
}
