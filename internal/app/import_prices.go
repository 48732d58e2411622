package app

import (
	"context"
	"fmt"
	"sort"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// PriceImport says what a prices import stored.
type PriceImport struct {
	File    string          `json:"file"`
	Bars    int             `json:"bars"`
	Symbols []string        `json:"symbols"`
	From    *portfolio.Date `json:"from,omitempty"`
	To      *portfolio.Date `json:"to,omitempty"`
}

// ImportPrices stores daily bars, replacing any stored bar of the same symbol
// and date, in one transaction.
func (p *Portfolio) ImportPrices(ctx context.Context, file string, bars []portfolio.Bar) (*PriceImport, error) {
	res := &PriceImport{File: file, Bars: len(bars), Symbols: []string{}}
	seen := map[string]bool{}
	for _, b := range bars {
		if !seen[b.Symbol] {
			seen[b.Symbol] = true
			res.Symbols = append(res.Symbols, b.Symbol)
		}
		d := b.Date
		if res.From == nil || d < *res.From {
			res.From = &d
		}
		if res.To == nil || d > *res.To {
			res.To = &d
		}
	}
	sort.Strings(res.Symbols)
	err := p.Store.InTx(ctx, func(q *store.Queries) error {
		if _, err := q.UpsertPrices(ctx, bars); err != nil {
			return fmt.Errorf("store prices: %w", err)
		}
		return q.AppendEvent(ctx, store.Event{UserID: p.UserID, PortfolioID: p.PortfolioID,
			Kind: "prices.imported", Subject: file, Data: map[string]any{"bars": len(bars), "symbols": res.Symbols}})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
