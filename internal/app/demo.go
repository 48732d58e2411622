package app

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/wealthalloc/wealthalloc/internal/demo"
	"github.com/wealthalloc/wealthalloc/internal/importer"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// DemoState says what a database holds, as far as the demo is concerned.
type DemoState int

// Demo states.
const (
	DemoEmpty      DemoState = iota // no accounts: the demo may be built here
	DemoReady                       // a completed demo
	DemoIncomplete                  // only demo accounts, but the build never finished
	DemoForeign                     // someone's own portfolio: the demo must not touch it
)

// demoBuiltEvent marks a database whose demo build completed.
const demoBuiltEvent = "demo.built"

// DemoState tells whether the portfolio is the demo's, so the demo command
// never resets or reports on a user's own database by mistake.
func (p *Portfolio) DemoState(ctx context.Context) (DemoState, error) {
	events, err := p.Store.Events(ctx, p.PortfolioID, 0)
	if err != nil {
		return 0, fmt.Errorf("read events: %w", err)
	}
	for _, e := range events {
		if e.Kind == demoBuiltEvent {
			return DemoReady, nil
		}
	}
	accts, err := p.Accounts(ctx)
	if err != nil {
		return 0, err
	}
	if len(accts) == 0 {
		return DemoEmpty, nil
	}
	names := map[string]bool{}
	for _, a := range demo.Accounts {
		names[strings.ToLower(a.Name)] = true
	}
	for _, a := range accts {
		if !names[strings.ToLower(a.Name)] {
			return DemoForeign, nil
		}
	}
	return DemoIncomplete, nil
}

// BuildDemo fills an empty portfolio with the demo accounts, prices and
// history, through the same import paths a user's files take, and marks the
// database as a completed demo.
func (p *Portfolio) BuildDemo(ctx context.Context) error {
	for _, a := range demo.Accounts {
		if _, err := p.AddAccount(ctx, a); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	bars, err := importer.ParsePricesCSV(bytes.NewReader(demo.Prices), "demo/stockdata.csv", "wide")
	if err != nil {
		return fmt.Errorf("demo prices: %w", err)
	}
	if _, err := p.ImportPrices(ctx, "demo/stockdata.csv", bars); err != nil {
		return fmt.Errorf("demo prices: %w", err)
	}
	accts, err := p.Accounts(ctx)
	if err != nil {
		return err
	}
	rows, err := importer.ParseTradesCSV(bytes.NewReader(demo.Trades), "demo/trades.csv", AccountResolver(accts))
	if err != nil {
		return fmt.Errorf("demo trades: %w", err)
	}
	if _, err := p.ImportTrades(ctx, "demo/trades.csv", rows, nil, false); err != nil {
		return fmt.Errorf("demo trades: %w", err)
	}
	return p.Store.AppendEvent(ctx, store.Event{UserID: p.UserID, PortfolioID: p.PortfolioID,
		Kind: demoBuiltEvent, Subject: "demo", Data: map[string]string{"as_of": demo.AsOf.String()}})
}
