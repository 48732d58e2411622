package ibkr

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// Contract identifies an instrument. Empty SecType, Exchange and Currency
// mean STK, SMART and USD.
type Contract struct {
	ConID           int64
	Symbol          string
	SecType         string
	Exchange        string
	PrimaryExchange string
	Currency        string
}

func (c Contract) withDefaults() Contract {
	if c.SecType == "" {
		c.SecType = "STK"
	}
	if c.Exchange == "" {
		c.Exchange = "SMART"
	}
	if c.Currency == "" {
		c.Currency = "USD"
	}
	return c
}

// Position is one holding in one account, as the Gateway reports it.
type Position struct {
	Account  string
	Contract Contract
	Quantity decimal.Decimal
	AvgCost  decimal.Decimal // per share for stocks; includes the multiplier for options and futures
}

// AccountValue is one account-summary value ("NetLiquidation" …).
type AccountValue struct {
	Account, Tag, Value, Currency string
}

// Quote is a market-data snapshot, or the latest state of a stream. Fields
// the Gateway did not send (or sent as "no data": −1, unset) are not Valid.
type Quote struct {
	Symbol                     string
	ConID                      int64
	Bid, Ask, Last, Close      decimal.NullDecimal
	Open, High, Low            decimal.NullDecimal
	BidSize, AskSize, LastSize decimal.NullDecimal
	Volume                     decimal.NullDecimal
	Delayed                    bool      // any tick came from the delayed (66–76) range or type 3/4 was in force
	MarketDataType             int       // 1 live, 2 frozen, 3 delayed, 4 delayed-frozen, as the Gateway said (0 if it did not)
	Time                       time.Time // the last trade's time (tick 45, delayed 88) when sent, else when the last tick arrived
}

// Tick is one price or size update of a stream.
type Tick struct {
	ReqID   int64
	Symbol  string
	Field   int         // TWS tick type: 1 bid, 2 ask, 4 last, 9 close, 0/3/5 sizes; delayed 66–76
	Price   wire.Number // Set for price ticks with data
	Size    wire.Number // Set for size ticks, and with price ticks that carry a size
	Delayed bool
	Time    time.Time
}

// Tick types the client reads (TWS ticktype.py).
const (
	TickBidSize        = 0
	TickBid            = 1
	TickAsk            = 2
	TickAskSize        = 3
	TickLast           = 4
	TickLastSize       = 5
	TickHigh           = 6
	TickLow            = 7
	TickVolume         = 8
	TickClose          = 9
	TickOpen           = 14
	TickDelayedBid     = 66
	TickDelayedAsk     = 67
	TickDelayedLast    = 68
	TickDelayedBidSize = 69
	TickDelayedAskSize = 70
	TickDelayedLastSz  = 71
	TickDelayedHigh    = 72
	TickDelayedLow     = 73
	TickDelayedVolume  = 74
	TickDelayedClose   = 75
	TickDelayedOpen    = 76
)

// ContractDetails is what reqContractDetails returns for one match.
type ContractDetails struct {
	Contract       Contract
	LongName       string
	TimeZoneID     string
	MinTick        decimal.Decimal
	MarketName     string
	Industry       string
	Category       string
	Subcategory    string
	StockType      string
	ValidExchanges string
	OrderTypes     string
	TradingHours   string
	LiquidHours    string
	MinSize        decimal.NullDecimal
	SizeIncrement  decimal.NullDecimal
}

// HistoryRequest asks for bars. End zero means now; otherwise it is sent in
// UTC as "yyyymmdd-hh:mm:ss", an explicit zone (avoids warning 2174).
type HistoryRequest struct {
	Contract   Contract
	End        time.Time
	Duration   string // "1 Y", "30 D", "3600 S"
	BarSize    string // "1 day", "1 hour", "5 mins"
	WhatToShow string // default TRADES
	UseRTH     bool
}

// Bar is one historical bar. Date is "YYYY-MM-DD" for daily and longer bars,
// whose Time is that date at midnight UTC; intraday bars have Time in UTC
// and an empty Date.
type Bar struct {
	Time                                time.Time
	Date                                string
	Open, High, Low, Close, Volume, WAP decimal.Decimal
	Count                               int64
}

// OrderType is the IB order type.
type OrderType string

// Order types the client places.
const (
	Market    OrderType = "MKT"
	Limit     OrderType = "LMT"
	Stop      OrderType = "STP"
	StopLimit OrderType = "STP LMT"
)

// Time in force.
const (
	TIFDay = "DAY"
	TIFGTC = "GTC"
)

// Order is an order to place. OrderRef is required: it is the caller's
// idempotency key, carried by the order at the Gateway and matched by
// Reconcile.
type Order struct {
	Account    string // empty means the only managed account
	Contract   Contract
	Action     string // BUY or SELL
	Quantity   decimal.Decimal
	Type       OrderType
	LimitPrice decimal.Decimal // LMT, STP LMT
	StopPrice  decimal.Decimal // STP, STP LMT
	TIF        string          // default DAY
	OutsideRTH bool
	OrderRef   string
}

// Order statuses (orderStatus), plus StatusUnknown, which the client sets
// itself when the connection dropped before the Gateway confirmed an order
// and nothing at the Gateway carries its OrderRef.
const (
	StatusPendingSubmit = "PendingSubmit"
	StatusPreSubmitted  = "PreSubmitted"
	StatusSubmitted     = "Submitted"
	StatusFilled        = "Filled"
	StatusCancelled     = "Cancelled"
	StatusApiCancelled  = "ApiCancelled"
	StatusInactive      = "Inactive"
	StatusUnknown       = "Unknown"
)

// terminal reports whether no more updates follow a status.
func terminal(status string) bool {
	switch status {
	case StatusFilled, StatusCancelled, StatusApiCancelled, StatusInactive, StatusUnknown:
		return true
	}
	return false
}

// OrderState is what the client knows about an order.
type OrderState struct {
	OrderID, PermID int64
	OrderRef        string
	Account         string
	Contract        Contract
	Action          string
	Quantity        decimal.Decimal
	Type            OrderType
	LimitPrice      decimal.NullDecimal
	StopPrice       decimal.NullDecimal
	Status          string
	Filled          decimal.Decimal
	Remaining       decimal.Decimal
	AvgFillPrice    decimal.Decimal
	Executions      []Execution
	// Err is the last error the Gateway sent about this order (an
	// *APIError), or why the client gave it a final status itself
	// (ErrOrderGone).
	Err error
}

// Execution is one fill, with its commission once the report arrived.
type Execution struct {
	ExecID             string
	OrderID, PermID    int64
	ClientID           int
	Account            string
	Contract           Contract
	Side               string // BOT or SLD
	Shares, Price      decimal.Decimal
	Time               time.Time
	OrderRef           string
	Commission         *decimal.Decimal
	CommissionCurrency string
	RealizedPNL        *decimal.Decimal // nil when the Gateway sent "unset" (opening fills)
}

// ExecFilter narrows Executions. Zero fields match everything; zero Since
// means today's executions (all the Gateway keeps).
type ExecFilter struct {
	ClientID int
	Account  string
	Symbol   string
	Since    time.Time
}

func dec(n wire.Number) decimal.Decimal {
	if !n.Set {
		return decimal.Decimal{}
	}
	return decimal.New(n.Coef, n.Exp)
}

func nullDec(n wire.Number) decimal.NullDecimal {
	if !n.Set {
		return decimal.NullDecimal{}
	}
	return decimal.NullDecimal{Decimal: decimal.New(n.Coef, n.Exp), Valid: true}
}

// num parses a decimal field already checked by the layout.
func num(m wire.Msg, name string) wire.Number {
	n, _ := m.Number(name)
	return n
}

func integer(m wire.Msg, name string) int64 {
	v, _ := m.Int(name)
	return v
}
