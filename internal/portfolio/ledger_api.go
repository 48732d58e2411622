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
