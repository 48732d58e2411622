// Package output is the one place command results become text: aligned tables
// on a terminal, tab-separated values when piped, JSON documents and CSV.
// Commands describe a result once as a Table plus a JSON document and never
// format money themselves.
package output

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// Format is the -o setting.
type Format string

// Output formats.
const (
	FormatTable Format = "table"
	FormatJSON  Format = "json"
	FormatCSV   Format = "csv"
)

// ParseFormat accepts table, json or csv.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatTable, FormatJSON, FormatCSV:
		return f, nil
	}
	return "", fmt.Errorf("unknown output format %q: want table, json or csv", s)
}

// Kind says how a column's values are shown to people.
type Kind int

// Column kinds.
const (
	Text     Kind = iota
	Quantity      // shares: as many places as needed, thousands separators
	Money         // 2 places, thousands separators
	Price         // 2 to 4 places
	Gain          // Money with an explicit sign and gain/loss colour
	Percent       // a fraction shown as 12.34%
	GainPct       // Percent with an explicit sign and gain/loss colour
)

// minus is U+2212, used in tables so a loss reads as a loss without colour.
const minus = "−"

// human formats v for a table cell; the bool reports gain (+1), loss (-1) or neither (0).
func human(v any, k Kind) (string, int) {
	switch x := v.(type) {
	case nil:
		return "", 0
	case decimal.NullDecimal:
		if !x.Valid {
			return "—", 0
		}
		return human(x.Decimal, k)
	case decimal.Decimal:
		return humanDecimal(x, k)
	case portfolio.Date:
		return x.String(), 0
	case *portfolio.Date:
		if x == nil {
			return "", 0
		}
		return x.String(), 0
	case string:
		return x, 0
	default:
		return fmt.Sprint(x), 0
	}
}

func humanDecimal(d decimal.Decimal, k Kind) (string, int) {
	sign := d.Sign()
	switch k {
	case Money:
		return group(d.StringFixed(2)), 0
	case Price:
		s := d.StringFixed(4)
		s = strings.TrimRight(s, "0")
		if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 < 2 {
			s = d.StringFixed(2)
		}
		return group(s), 0
	case Quantity:
		return group(d.String()), 0
	case Percent:
		return d.Mul(hundred).StringFixed(2) + "%", 0
	case Gain:
		return signed(group(d.Abs().StringFixed(2)), sign), sign
	case GainPct:
		return signed(d.Abs().Mul(hundred).StringFixed(2)+"%", sign), sign
	}
	return d.String(), 0
}

var hundred = decimal.NewFromInt(100)

func signed(s string, sign int) string {
	switch {
	case sign > 0:
		return "+" + s
	case sign < 0:
		return minus + s
	}
	return s
}

// raw formats v for machines (TSV, CSV): plain decimals, no grouping, ASCII minus.
func raw(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case decimal.NullDecimal:
		if !x.Valid {
			return ""
		}
		return x.Decimal.String()
	case decimal.Decimal:
		return x.String()
	case portfolio.Date:
		return x.String()
	case *portfolio.Date:
		if x == nil {
			return ""
		}
		return x.String()
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}

// group inserts thousands separators into the integer part of a decimal string.
func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i:]
	}
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String() + frac
	if neg {
		return minus + out
	}
	return out
}
