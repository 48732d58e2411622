package portfolio

import (
	"time"

	"github.com/shopspring/decimal"
)

// Quote is the latest market data for a symbol. A price the market did not
// give (no bid outside trading hours, a halted symbol) is not Valid, never
// zero.
type Quote struct {
	Symbol                     string
	Bid, Ask, Last, Close      decimal.NullDecimal
	BidSize, AskSize, LastSize decimal.NullDecimal
	// Delayed is true when the data is the exchange's delayed feed (no live
	// subscription), typically 15–20 minutes old.
	Delayed bool
	Time    time.Time // when the gateway produced it (UTC)
	Fetched time.Time // when it was asked for (UTC); the cache TTL counts from here
}

// Mark is the price a quote values a position at: last, else the bid/ask
// midpoint, else close.
func (q Quote) Mark() decimal.NullDecimal {
	switch {
	case q.Last.Valid:
		return q.Last
	case q.Bid.Valid && q.Ask.Valid:
		return decimal.NewNullDecimal(q.Bid.Decimal.Add(q.Ask.Decimal).Div(decimal.NewFromInt(2)))
	}
	return q.Close
}

// BrokerPosition is a position as the broker reports it.
type BrokerPosition struct {
	AccountID string
	Symbol    string
	ConID     int64
	Quantity  decimal.Decimal
	AvgCost   decimal.Decimal // per share, commissions included, as IB reports it
}

// BrokerBalance is one account-summary value the broker reports
// (TotalCashValue, NetLiquidation, ...).
type BrokerBalance struct {
	AccountID string
	Tag       string
	Currency  string
	Amount    decimal.Decimal
}
