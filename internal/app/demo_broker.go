package app

import (
	"bytes"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/demo"
	"github.com/wealthalloc/wealthalloc/internal/importer"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// BrokerState is one account as a broker would report it: for seeding the
// gateway simulator.
type BrokerState struct {
	Account   string // the broker's account id (DU…)
	Cash      decimal.Decimal
	Positions []portfolio.BrokerPosition // AccountID is the broker id too
}

// DemoBrokerState is what IB reports for the demo accounts: the demo
// history replayed in memory (no database) through asOf, positions at
// their average cost. Syncing the demo database from a simulator seeded
// with the whole history finds nothing to change.
func DemoBrokerState(asOf portfolio.Date) ([]BrokerState, error) {
	accts := make([]portfolio.Account, len(demo.Accounts))
	for i, a := range demo.Accounts {
		a.ID = a.Number
		accts[i] = a
	}
	rows, err := importer.ParseTradesCSV(bytes.NewReader(demo.Trades), "demo/trades.csv", AccountResolver(accts))
	if err != nil {
		return nil, fmt.Errorf("demo trades: %w", err)
	}
	var trades []portfolio.Trade
	for _, r := range rows {
		if r.Trade.Date <= asOf {
			trades = append(trades, r.Trade)
		}
	}
	ledger, err := portfolio.Replay(accts, trades)
	if err != nil {
		return nil, fmt.Errorf("demo trades: %w", err)
	}
	cash := ledger.Cash()
	out := make([]BrokerState, 0, len(accts))
	for _, a := range accts {
		st := BrokerState{Account: a.Number, Cash: cash[a.ID]}
		for _, h := range portfolio.Holdings(ledger.OpenLots()) {
			if h.AccountID != a.ID || h.Quantity.IsZero() {
				continue
			}
			st.Positions = append(st.Positions, portfolio.BrokerPosition{AccountID: a.Number, Symbol: h.Symbol,
				Quantity: h.Quantity, AvgCost: h.CostBasis.DivRound(h.Quantity, portfolio.MoneyPlaces)})
		}
		out = append(out, st)
	}
	return out, nil
}
