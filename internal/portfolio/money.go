package portfolio

import "github.com/shopspring/decimal"

// Precision of stored values. Quantities keep 8 decimal places (fractional
// shares, crypto); money (cash, basis, proceeds, prices) keeps 6. These are the
// scales of the BIGINT columns in the store, and the domain rounds to them at
// the points named below, so a value never changes on its way to the database
// and back.
const (
	QuantityPlaces = 8
	MoneyPlaces    = 6
)

// RoundQty rounds a quantity to QuantityPlaces, half away from zero.
func RoundQty(q decimal.Decimal) decimal.Decimal { return q.Round(QuantityPlaces) }

// RoundMoney rounds an amount to MoneyPlaces, half away from zero. Booking
// rounds exactly once per derived amount (a basis share, a trade's net cash)
// and derives the remainder by subtraction, so totals are conserved.
func RoundMoney(m decimal.Decimal) decimal.Decimal { return m.Round(MoneyPlaces) }
