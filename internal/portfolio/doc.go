// Package portfolio is the pure domain of WealthAlloc: accounts, trades, lots,
// booking of sales against lots, cash, holdings and valuation.
//
// It does no I/O. Money and quantities are shopspring/decimal values; they are
// rounded only where this package says so (see Round* in money.go), so that
// storage and display see one value.
package portfolio
