package portfolio

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// BookingError says which trade could not be applied and which of its fields
// is at fault, so an importer can point at the file's line and column.
type BookingError struct {
	TradeID string
	Field   string // "quantity", "lots", "account", "symbol", ...
	Err     error
}

func (e *BookingError) Error() string {
	return fmt.Sprintf("trade %s: %s: %v", e.TradeID, e.Field, e.Err)
}

func (e *BookingError) Unwrap() error { return e.Err }

// Holding is the position in one symbol in one account, derived from its open lots.
type Holding struct {
	AccountID     string
	Symbol        string
	Quantity      decimal.Decimal
	CostBasis     decimal.Decimal // sum of open lots' CostBasis
	AdjustedBasis decimal.Decimal // sum of open lots' AdjustedBasis
	Lots          int
	FirstAcquired Date
}

// LotUnits is a Lot in integer units: quantities in 10^-QuantityPlaces
// shares, money in 10^-MoneyPlaces. It is what the ledger holds, before any
// conversion to decimals (see Ledger.Booked).
type LotUnits struct {
	ID, AccountID, Symbol      string
	DateAcquired               Date
	ClosedDate                 Date // valid when Closed
	Closed                     bool
	OriginalQuantity, Quantity int64
	OriginalBasis, CostBasis   int64
	AdjustedBasis              int64
}

// Lot converts u to a Lot, exactly as Ledger.Lots does.
func (u *LotUnits) Lot() Lot {
	lot := Lot{
		ID:                   u.ID,
		AccountID:            u.AccountID,
		Symbol:               u.Symbol,
		OpenTradeID:          u.ID,
		DateAcquired:         u.DateAcquired,
		AdjustedDateAcquired: u.DateAcquired,
		OriginalQuantity:     fromUnits(u.OriginalQuantity, QuantityPlaces),
		Quantity:             fromUnits(u.Quantity, QuantityPlaces),
		OriginalBasis:        fromUnits(u.OriginalBasis, MoneyPlaces),
		CostBasis:            fromUnits(u.CostBasis, MoneyPlaces),
		AdjustedBasis:        fromUnits(u.AdjustedBasis, MoneyPlaces),
	}
	if u.Closed {
		d := u.ClosedDate
		lot.ClosedDate = &d
	}
	return lot
}

// DisposalUnits is a Disposal in integer units. Lot is the index of its lot
// in the ledger's booking order (Booked.Lot).
type DisposalUnits struct {
	Lot                 int
	SellTradeID         string
	DateSold            Date
	Quantity            int64
	Proceeds, CostBasis int64
	AdjustedBasis       int64
}

// Booked is a read-only view of a ledger's lots (in booking order) and
// disposals (in booking order) in integer units, for consumers that would
// otherwise convert Lots and Disposals back to integers (the tax engine).
// It converts nothing and allocates nothing; it is valid until the ledger
// books another trade.
type Booked struct{ l *Ledger }

// Booked returns the view of l's lots and disposals in units.
func (l *Ledger) Booked() Booked { return Booked{l} }

// Lots is the number of lots, open and closed.
func (b Booked) Lots() int { return len(b.l.lots) }

// Lot returns lot i, in booking order.
func (b Booked) Lot(i int) LotUnits {
	r := &b.l.lots[i]
	return LotUnits{
		ID: r.id, AccountID: r.account, Symbol: r.symbol,
		DateAcquired: r.acquired, ClosedDate: r.closed, Closed: r.isClosed,
		OriginalQuantity: r.origQty, Quantity: r.qty,
		OriginalBasis: r.origBasis, CostBasis: r.basis, AdjustedBasis: r.adjusted,
	}
}

// Disposals is the number of disposals.
func (b Booked) Disposals() int { return len(b.l.disposals) }

// Disposal returns disposal i, in booking order (the order of
// Ledger.Disposals).
func (b Booked) Disposal(i int) DisposalUnits {
	d := &b.l.disposals[i]
	s := &b.l.sales[d.sale]
	return DisposalUnits{
		Lot: int(d.lot), SellTradeID: s.id, DateSold: s.date,
		Quantity: d.qty, Proceeds: d.proceeds, CostBasis: d.basis, AdjustedBasis: d.adjusted,
	}
}
