// Package demo holds the data of `wealthalloc demo`: real daily prices and a
// sample trade history over a taxable account and an IRA that contains a
// wash sale across accounts and lots with harvestable losses. Later features
// extend the demo here, in one place.
package demo

import (
	_ "embed"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// Prices is the bundled wide CSV of adjusted closes (see PROVENANCE.md).
//
//go:embed stockdata.csv
var Prices []byte

// Trades is the sample history in the canonical trades CSV.
//
//go:embed trades.csv
var Trades []byte

// AsOf is the default valuation date: near the 2008 low, inside the data.
var AsOf = portfolio.MustDate("2008-11-20")

// Accounts are the demo's accounts, created before the history is imported.
var Accounts = []portfolio.Account{
	{Name: "taxable", Broker: "ibkr", Number: "DU1234567", TaxType: portfolio.Taxable, LotMethod: portfolio.FIFO},
	{Name: "ira", Broker: "ibkr", Number: "DU7654321", TaxType: portfolio.TraditionalIRA, LotMethod: portfolio.FIFO},
}
