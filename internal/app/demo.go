package app

import (
	"bytes"
	"context"
	"fmt"

	"github.com/wealthalloc/wealthalloc/internal/demo"
	"github.com/wealthalloc/wealthalloc/internal/importer"
)

// BuildDemo fills an empty portfolio with the demo accounts, prices and
// history, through the same import paths a user's files take. It does nothing
// when the portfolio already has accounts, so running the demo twice is cheap.
func (p *Portfolio) BuildDemo(ctx context.Context) (built bool, err error) {
	accts, err := p.Accounts(ctx)
	if err != nil {
		return false, err
	}
	if len(accts) > 0 {
		return false, nil
	}
	for _, a := range demo.Accounts {
		if _, err := p.AddAccount(ctx, a); err != nil {
			return false, fmt.Errorf("demo: %w", err)
		}
	}
	bars, err := importer.ParsePricesCSV(bytes.NewReader(demo.Prices), "demo/stockdata.csv", "wide")
	if err != nil {
		return false, fmt.Errorf("demo prices: %w", err)
	}
	if _, err := p.ImportPrices(ctx, "demo/stockdata.csv", bars); err != nil {
		return false, fmt.Errorf("demo prices: %w", err)
	}
	accts, err = p.Accounts(ctx)
	if err != nil {
		return false, err
	}
	rows, err := importer.ParseTradesCSV(bytes.NewReader(demo.Trades), "demo/trades.csv", AccountResolver(accts))
	if err != nil {
		return false, fmt.Errorf("demo trades: %w", err)
	}
	if _, err := p.ImportTrades(ctx, "demo/trades.csv", rows, nil, false); err != nil {
		return false, fmt.Errorf("demo trades: %w", err)
	}
	return true, nil
}
