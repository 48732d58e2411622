package portfolio

import (
	"fmt"
	"time"
)

// Date is a civil (calendar) date with no time zone, counted in days since
// 1970-01-01. Trade dates are civil dates: a trade on 2008-10-15 happened on
// that date wherever the reader is. Dates compare with < and ==, and day
// arithmetic (wash-sale windows, holding periods) is plain integer arithmetic.
type Date int32

// DateLayout is the only textual form of a Date.
const DateLayout = "2006-01-02"

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return 0, fmt.Errorf("invalid date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// MustDate is ParseDate for literals in tests and fixtures; it panics on bad input.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DateOf returns the civil date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	u := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return Date(u.Unix() / 86400)
}

// Time returns midnight UTC of d.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return d.Time().Format(DateLayout) }

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date { return d + Date(n) }

// AddYears returns the same month and day n years later. A Feb 29 with no
// counterpart becomes Feb 28 (the convention the IRS uses for holding periods),
// not Mar 1 as time.AddDate would give.
func (d Date) AddYears(n int) Date {
	t := d.Time()
	y, m, day := t.Date()
	if m == time.February && day == 29 && !isLeap(y+n) {
		day = 28
	}
	return DateOf(time.Date(y+n, m, day, 0, 0, 0, 0, time.UTC))
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// MarshalText implements encoding.TextMarshaler (JSON gives "YYYY-MM-DD").
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
