package portfolio

import "github.com/shopspring/decimal"

// Bar is one symbol's daily prices. Only Close is required; the others are
// invalid (Valid == false) when the source did not give them.
type Bar struct {
	Symbol   string
	Date     Date
	Open     decimal.NullDecimal
	High     decimal.NullDecimal
	Low      decimal.NullDecimal
	Close    decimal.Decimal
	AdjClose decimal.NullDecimal
	Volume   decimal.NullDecimal
}
