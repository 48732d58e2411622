package tax

import (
	"fmt"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// Term is the holding-period character of a gain or loss.
type Term int

// The two terms. Short is the zero value.
const (
	Short Term = iota // held one year or less
	Long              // held more than one year (IRC §1222)
)

// String returns "short" or "long".
func (t Term) String() string {
	if t == Long {
		return "long"
	}
	return "short"
}

// MarshalText implements encoding.TextMarshaler ("short" or "long").
func (t Term) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Term) UnmarshalText(b []byte) error {
	switch string(b) {
	case "short":
		*t = Short
	case "long":
		*t = Long
	default:
		return fmt.Errorf("unknown term %q: want short or long", b)
	}
	return nil
}

// HoldingTerm says whether shares acquired on one trade date and sold on
// another were held long- or short-term.
//
// Long-term means held more than one year (IRC §1222). The holding period
// starts the day after acquisition and includes the day of sale (Pub 544,
// Rev. Rul. 66-97), so shares are long-term only when sold strictly AFTER the
// one-year anniversary of their acquisition: bought 2023-06-15, a sale on
// 2024-06-15 is short-term and one on 2024-06-16 long-term (Pub 544). This is
// not "more than 365 days": 2016-02-28 → 2017-02-28 is 366 days and still
// short-term. Shares acquired on Feb 29 have their anniversary on Feb 28 of
// the next year (a holding period that starts at the end of a month ends at
// the end of a month), so a sale on Mar 1 is long-term; time.AddDate would
// give Mar 1 and call it short. portfolio.Date.AddYears clamps that way.
func HoldingTerm(acquired, sold portfolio.Date) Term {
	// The anniversary is 365 or 366 days on: only the days between need
	// the calendar.
	switch held := int64(sold) - int64(acquired); {
	case held <= 365:
		return Short
	case held > 366:
		return Long
	}
	if sold > acquired.AddYears(1) {
		return Long
	}
	return Short
}
