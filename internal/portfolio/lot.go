package portfolio

import "github.com/shopspring/decimal"

// Lot is the shares bought by one BUY or REINVEST, as they stand now.
// Quantity and CostBasis are what is still open; the Original* fields are as
// bought. The Adjusted* fields start equal to the plain ones; the tax engine
// changes them (a disallowed wash-sale loss is added to a replacement lot's
// basis and its holding period carried over, IRC §1091(d)).
type Lot struct {
	ID                   string // the opening trade's ID
	AccountID            string
	Symbol               string
	OpenTradeID          string
	DateAcquired         Date
	AdjustedDateAcquired Date
	OriginalQuantity     decimal.Decimal
	Quantity             decimal.Decimal // open shares; zero once closed
	OriginalBasis        decimal.Decimal // basis of OriginalQuantity as bought
	CostBasis            decimal.Decimal // basis of the open shares
	AdjustedBasis        decimal.Decimal // CostBasis plus wash-sale adjustments on open shares
	ClosedDate           *Date           // set when Quantity reaches zero
}

// Open reports whether the lot still holds shares.
func (l Lot) Open() bool { return l.Quantity.IsPositive() }

// UnitCost is the adjusted basis per open share (zero for a closed lot).
func (l Lot) UnitCost() decimal.Decimal {
	if !l.Quantity.IsPositive() {
		return decimal.Zero
	}
	return l.AdjustedBasis.Div(l.Quantity)
}

// Disposal records shares of one lot closed by one sale: the raw material of
// realised gains and Form 8949.
type Disposal struct {
	SellTradeID          string
	LotID                string
	AccountID            string
	Symbol               string
	Quantity             decimal.Decimal
	DateAcquired         Date
	AdjustedDateAcquired Date
	DateSold             Date
	Proceeds             decimal.Decimal // share of the sale's net proceeds
	CostBasis            decimal.Decimal // share of the lot's basis
	AdjustedBasis        decimal.Decimal // share of the lot's adjusted basis
	// WashDisallowed is the loss IRC §1091 disallows on these shares
	// (positive; Form 8949 code W), set by the tax engine.
	WashDisallowed decimal.Decimal
	// PermanentlyDisallowed: the replacement was bought in an IRA or Roth
	// IRA, so no replacement basis carries the loss (Rev. Rul. 2008-5).
	PermanentlyDisallowed bool
}

// Gain is proceeds minus adjusted basis.
func (d Disposal) Gain() decimal.Decimal { return d.Proceeds.Sub(d.AdjustedBasis) }
