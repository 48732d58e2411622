// Package importer reads trade histories and prices from files: the canonical
// trades CSV, Interactive Brokers Flex Query XML and daily prices CSV (long or
// wide). See docs/import-formats.md for the formats.
//
// It is pure: it reads an io.Reader and returns domain values, and never opens
// files or touches the store. An import is all-or-nothing: the first problem
// found is returned as a *RowError that names the file, line, column, field,
// bad value and the expected form, and no rows are returned with it.
package importer

import (
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// AccountResolver finds an account by what a file calls it: the account name
// (or number) in the trades CSV, the broker account number (accountId) in Flex.
type AccountResolver func(ref string) (portfolio.Account, bool)

// Row is one imported trade with where it came from, so a later failure (for
// example booking a sale of more shares than are held) can be reported at the
// right place with ErrorAt.
type Row struct {
	Trade portfolio.Trade
	Line  int // 1-based line in the file
	// Cols maps a field name ("date", "account", "action", "symbol",
	// "quantity", "price", "fees", "amount", "currency", "lots", "id", "note")
	// to its 1-based column. For Flex every field maps to the column of the
	// row's element. The map may be shared between rows: do not modify it.
	Cols map[string]int
}

// ErrorAt returns a RowError at this row's line and the column of field.
func (r Row) ErrorAt(file, field, value, expected string) *RowError {
	return &RowError{File: file, Line: r.Line, Column: r.Cols[field], Field: field, Value: value, Expected: expected}
}

// RowError says where an import failed and what was expected there. Line and
// Column are 1-based; zero means unknown. Column counts fields in CSV files
// (the 6th column is 6) and bytes in XML files and in CSV syntax errors.
type RowError struct {
	File         string
	Line, Column int
	Field        string // the column or attribute at fault; empty for syntax errors
	Value        string // the offending text
	Expected     string // the expected form, e.g. "a positive number such as 10 or 0.5"
}

// Error formats e on one line, for example
//
//	trades.csv:14:6: quantity "-3": want a positive number such as 10 or 0.5
func (e *RowError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	} else {
		b.WriteString("input")
	}
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteByte(' ')
		b.WriteString(strconv.Quote(e.Value))
		b.WriteString(": ")
	}
	b.WriteString("want ")
	b.WriteString(oneLine(e.Expected))
	return b.String()
}

func oneLine(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	}
	return s
}

// Expected forms shared by the importers.
const (
	wantDate        = "a date as YYYY-MM-DD, such as 2024-01-31"
	wantAction      = "one of BUY, SELL, DIVIDEND, REINVEST, SPLIT, DEPOSIT, WITHDRAWAL, FEE, INTEREST"
	wantSymbol      = "a symbol such as VTI or BRK.B (letters, digits, '.', '-', '/' or space; at most 20 characters)"
	wantQuantity    = "a positive number such as 10 or 0.5"
	wantRatio       = "a positive split ratio such as 2 (2-for-1), 0.1 (1-for-10) or N:M such as 1:3 (1-for-3) or 3:2 (3-for-2)"
	wantMoney       = "a non-negative number such as 12.50 (no $, no thousands separators)"
	wantPositiveAmt = "a positive amount such as 12.50 (no $, no thousands separators)"
	wantCurrency    = "a 3-letter currency code such as USD"
	wantUSD         = "USD (other currencies are not supported yet: convert to USD or leave the row out)"
	wantQtyPlaces   = "at most 8 decimal places"
	wantMoneyPlaces = "at most 6 decimal places"
	wantQtyRange    = "a quantity below 10000000000"
	wantMoneyRange  = "an amount below 1000000000000"
)

// Limits on imported values, as numbers of integer digits: the store keeps
// quantities and money as integers scaled by 1e8 and 1e6 in 64 bits, so
// larger values could not be stored. They are far above any real holding or
// trade.
const (
	maxQtyDigits   = 10 // quantities below 10,000,000,000
	maxMoneyDigits = 12 // money below 1,000,000,000,000
)

// plainDecimal parses a plain decimal number: an optional '-', digits, and an
// optional '.' followed by digits (at least one digit in all). No exponent,
// sign '+', currency symbol or thousands separator. places is the number of
// decimal places after dropping trailing zeros; intDigits the number of
// digits before the point after dropping leading zeros (so the magnitude is
// below 10^intDigits), which checks ranges without decimal arithmetic.
func plainDecimal(s string) (d decimal.Decimal, places, intDigits int, ok bool) {
	if s == "" {
		return decimal.Decimal{}, 0, 0, false
	}
	neg := false
	i := 0
	if s[0] == '-' {
		neg = true
		i = 1
	}
	digits, frac, dot := 0, 0, -1
	lead := true // still in leading zeros of the integer part
	var mant int64
	for j := i; j < len(s); j++ {
		c := s[j]
		switch {
		case c >= '0' && c <= '9':
			digits++
			if dot >= 0 {
				frac++
			} else if c != '0' || !lead {
				lead = false
				intDigits++
			}
			if digits <= 18 {
				mant = mant*10 + int64(c-'0')
			}
		case c == '.' && dot < 0:
			dot = j
		default:
			return decimal.Decimal{}, 0, 0, false
		}
	}
	if digits == 0 {
		return decimal.Decimal{}, 0, 0, false
	}
	places = frac
	for k := len(s) - 1; places > 0 && s[k] == '0'; k-- {
		places--
	}
	if digits <= 18 {
		if neg {
			mant = -mant
		}
		return decimal.New(mant, int32(-frac)), places, intDigits, true
	}
	v, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, 0, 0, false
	}
	return v, places, intDigits, true
}

// validSymbol reports whether s (already trimmed and upper-cased) matches
// ^[A-Z0-9][A-Z0-9.\-/ ]{0,19}$.
func validSymbol(s string) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '-' || c == '/' || c == ' '):
		default:
			return false
		}
	}
	return true
}

// normSymbol trims and upper-cases a symbol.
func normSymbol(s string) string {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			return strings.ToUpper(s)
		}
	}
	return s
}

// normCurrency validates a 3-letter currency code and upper-cases it.
func normCurrency(s string) (string, bool) {
	if len(s) != 3 {
		return "", false
	}
	var b [3]byte
	for i := 0; i < 3; i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		default:
			return "", false
		}
		b[i] = c
	}
	if b == [3]byte{'U', 'S', 'D'} {
		return "USD", true
	}
	return string(b[:]), true
}

// parseISODate parses YYYY-MM-DD quickly, checking the calendar.
func parseISODate(s string) (portfolio.Date, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return 0, false
	}
	return civil(y, m, d)
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// civil returns the Date of y-m-d when it is a real calendar day.
func civil(y, m, d int) (portfolio.Date, bool) {
	if y < 1 || m < 1 || m > 12 || d < 1 {
		return 0, false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days = 29
	}
	if d > days {
		return 0, false
	}
	// Days from civil (Howard Hinnant's algorithm).
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return portfolio.Date(era*146097 + doe - 719468), true
}

// shellWord quotes an account name for a shell command line when it needs it.
func shellWord(s string) string {
	if s == "" {
		return "NAME"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}
