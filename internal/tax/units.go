package tax

import (
	"math/bits"

	"github.com/shopspring/decimal"
)

// The engine works on integer counts of the ledger's scales: quantities in
// units of 10^-portfolio.QuantityPlaces shares and money in units of
// 10^-portfolio.MoneyPlaces. Every value the ledger hands over is already
// rounded to those scales, so the conversion is exact, and integer arithmetic
// keeps a million-trade history fast. Amounts must stay within 18 digits at
// those scales (about 10^12 dollars), as in the ledger.

const maxUnits = 999_999_999_999_999_999

// toUnits converts d to a count of 10^-places, rounding half away from zero
// when d has more places. ok is false beyond maxUnits.
func toUnits(d decimal.Decimal, places int32) (int64, bool) {
	if d.Exponent() == -places && d.NumDigits() <= 18 {
		return d.CoefficientInt64(), true // the ledger's own form: no allocation
	}
	r := d.Round(places).Shift(places)
	if r.NumDigits() > 18 {
		return 0, false
	}
	return r.IntPart(), true
}

// fromUnits converts a count of 10^-places back to a decimal. Zero, the
// most common amount (no wash adjustment), is one shared value: decimals are
// immutable, and a million gains would otherwise allocate it millions of
// times.
func fromUnits(v int64, places int32) decimal.Decimal {
	if v == 0 {
		return zeroDecimal
	}
	return decimal.New(v, -places)
}

var zeroDecimal = decimal.Zero

// part returns a×x/n rounded half away from zero, for |a| ≤ maxUnits and
// 0 ≤ x ≤ n, n > 0, through an exact 128-bit product. It is how an amount is
// shared out by shares: rounded once, the caller giving the last share the
// remainder so that the parts sum to the whole.
func part(a, x, n int64) int64 {
	if x == n {
		return a
	}
	neg := a < 0
	u := uint64(a)
	if neg {
		u = uint64(-a)
	}
	hi, lo := bits.Mul64(u, uint64(x))
	q, r := bits.Div64(hi, lo, uint64(n)) // hi < n because x ≤ n
	if r >= uint64(n)-r {
		q++
	}
	if neg {
		return -int64(q)
	}
	return int64(q)
}
