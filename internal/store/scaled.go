package store

import (
	"database/sql"
	"fmt"
	"math/big"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// Scales of the BIGINT columns: a quantity q is stored as q×10^8, money and
// prices as m×10^6 (portfolio.QuantityPlaces, portfolio.MoneyPlaces).
const (
	qtyPlaces   = portfolio.QuantityPlaces
	moneyPlaces = portfolio.MoneyPlaces
)

var pow10 = [19]int64{
	1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
}

// toScaled converts d to the integer d×10^places. It never rounds: a value
// with digits beyond places is ErrPrecision, one outside int64 ErrOverflow.
// It does no arithmetic proportional to the exponent, so a hostile input
// such as 1e-999999999 fails fast.
func toScaled(d decimal.Decimal, places int32) (int64, error) {
	if d.IsZero() {
		return 0, nil
	}
	e := int64(d.Exponent()) + int64(places) // value = coef × 10^e
	nd := d.NumDigits()
	if nd <= 18 { // fast path: the coefficient fits in an int64
		c := d.CoefficientInt64()
		switch {
		case e == 0:
			return c, nil
		case e > 0:
			if e > 18 {
				return 0, scaledErr(d, places, ErrOverflow)
			}
			p := pow10[e]
			if c > 0 && c > (1<<63-1)/p || c < 0 && c < -(1<<63-1)/p {
				return 0, scaledErr(d, places, ErrOverflow)
			}
			return c * p, nil
		default:
			if -e > 18 {
				return 0, scaledErr(d, places, ErrPrecision) // |c| < 10^18 cannot be a multiple of 10^-e
			}
			p := pow10[-e]
			if c%p != 0 {
				return 0, scaledErr(d, places, ErrPrecision)
			}
			return c / p, nil
		}
	}
	// Slow path: a coefficient of more than 18 digits.
	c := d.Coefficient()
	switch {
	case e > 0:
		if e > 19 { // nd > 18 digits shifted by > 19 places cannot fit
			return 0, scaledErr(d, places, ErrOverflow)
		}
		c.Mul(c, new(big.Int).Exp(big.NewInt(10), big.NewInt(e), nil))
	case e < 0:
		if -e > int64(nd) { // nonzero with fewer digits than places to drop
			return 0, scaledErr(d, places, ErrPrecision)
		}
		var r big.Int
		c.QuoRem(c, new(big.Int).Exp(big.NewInt(10), big.NewInt(-e), nil), &r)
		if r.Sign() != 0 {
			return 0, scaledErr(d, places, ErrPrecision)
		}
	}
	if !c.IsInt64() {
		return 0, scaledErr(d, places, ErrOverflow)
	}
	return c.Int64(), nil
}

func scaledErr(d decimal.Decimal, places int32, sentinel error) error {
	s := "value"
	if d.NumDigits() <= 40 && d.Exponent() > -40 && d.Exponent() < 40 {
		s = d.String()
	}
	if sentinel == ErrPrecision {
		return fmt.Errorf("%s: %w (at most %d)", s, sentinel, places)
	}
	return fmt.Errorf("%s: %w (at most ±%s)", s, sentinel, fromScaled(1<<63-1, places))
}

// fromScaled is the inverse of toScaled: v×10^-places.
func fromScaled(v int64, places int32) decimal.Decimal {
	return decimal.New(v, -places)
}

// Helpers for the two scales and for nullable columns.

func moneyToDB(d decimal.Decimal) (int64, error) { return toScaled(d, moneyPlaces) }
func qtyFromDB(v int64) decimal.Decimal          { return fromScaled(v, qtyPlaces) }
func moneyFromDB(v int64) decimal.Decimal        { return fromScaled(v, moneyPlaces) }

func nullFromDB(v sql.NullInt64, places int32) decimal.NullDecimal {
	if !v.Valid {
		return decimal.NullDecimal{}
	}
	return decimal.NewNullDecimal(fromScaled(v.Int64, places))
}

// converter collects the first conversion error of a row, so that a row of
// many columns is converted with one error check; field names the column.
type converter struct {
	err   error
	field string
}

func (c *converter) scaled(field string, d decimal.Decimal, places int32) int64 {
	if c.err != nil {
		return 0
	}
	v, err := toScaled(d, places)
	if err != nil {
		c.err, c.field = err, field
	}
	return v
}

func (c *converter) null(field string, d decimal.NullDecimal, places int32) any {
	if !d.Valid {
		return nil
	}
	return c.scaled(field, d.Decimal, places)
}
