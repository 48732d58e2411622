package importer

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// PriceColumns lists the columns of the long prices CSV.
var PriceColumns = []string{"date", "symbol", "open", "high", "low", "close", "adj_close", "volume"}

const (
	pDate = iota
	pSymbol
	pOpen
	pHigh
	pLow
	pClose
	pAdjClose
	pVolume
	numPriceCols
)

const (
	wantPrice  = "a positive price such as 101.25 (no $, no thousands separators)"
	wantNonNeg = "a non-negative number such as 101.25 (no $, no thousands separators)"
)

// ParsePricesCSV reads daily prices. format is "long" (one row per symbol and
// date: date,symbol,open,high,low,close,adj_close,volume, of which date,
// symbol and close are required), "wide" (a date column in any position and
// one column of closes per symbol; empty cells are skipped) or "" to detect:
// a header with both a symbol and a close column is long, anything else wide.
//
// Prices are rounded to portfolio.MoneyPlaces (sources often print binary
// floating-point noise). Bars come back in file order, row by row and, in the
// wide format, left to right within a row.
func ParsePricesCSV(r io.Reader, file string, format string) ([]portfolio.Bar, error) {
	switch format {
	case "", "long", "wide":
	default:
		return nil, &RowError{File: file, Field: "format", Value: format, Expected: `"long", "wide" or "" (detect from the header)`}
	}
	cr := newCSVReader(r)
	names, line, ok, err := readHeader(cr, file)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &RowError{File: file, Expected: "a header row such as date,symbol,close or Date,VTI,BND"}
	}
	if format == "" {
		format = "wide"
		var sym, cls bool
		for _, n := range names {
			switch normPriceCol(n) {
			case "symbol":
				sym = true
			case "close":
				cls = true
			}
		}
		if sym && cls {
			format = "long"
		}
	}
	p := &priceParser{file: file, cr: cr, ncols: len(names), seen: map[barKey]int{}}
	if format == "long" {
		if err := p.longHeader(names, line); err != nil {
			return nil, err
		}
	} else if err := p.wideHeader(names, line); err != nil {
		return nil, err
	}
	var bars []portfolio.Bar
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readErr(file, err)
		}
		if blank(rec) {
			continue
		}
		if len(rec) != p.ncols {
			line, _ := cr.FieldPos(0)
			return nil, fieldCountErr(file, line, len(rec), p.ncols)
		}
		var rerr *RowError
		if format == "long" {
			var b portfolio.Bar
			if b, rerr = p.longRow(rec); rerr == nil {
				bars = append(bars, b)
			}
		} else {
			bars, rerr = p.wideRow(rec, bars)
		}
		if rerr != nil {
			return nil, rerr
		}
	}
	return bars, nil
}

type barKey struct {
	sym  string
	date portfolio.Date
}

type priceParser struct {
	file    string
	cr      *csv.Reader
	ncols   int
	idx     [numPriceCols]int // long: 0-based column of each field or -1
	dateCol int               // wide: 0-based column of the dates
	symbols []string          // wide: symbol of each column ("" for the date column)
	seen    map[barKey]int    // → line, to reject duplicates
}

// normPriceCol lower-cases a column name and spells "Adj Close" and similar
// as adj_close.
func normPriceCol(n string) string {
	n = strings.ToLower(strings.TrimSpace(n))
	switch n {
	case "adj close", "adj_close", "adjclose", "adj-close", "adjusted_close", "adjusted close":
		return "adj_close"
	}
	return n
}

func (p *priceParser) longHeader(names []string, line int) error {
	if err := mapColumns(p.file, line, names, PriceColumns, normPriceCol, p.idx[:]); err != nil {
		return err
	}
	for _, k := range []int{pDate, pSymbol, pClose} {
		if p.idx[k] < 0 {
			return &RowError{File: p.file, Line: line, Field: "columns", Value: strings.Join(names, ","),
				Expected: "a " + strconv.Quote(PriceColumns[k]) + " column (required: date, symbol, close)"}
		}
	}
	return nil
}

func (p *priceParser) wideHeader(names []string, line int) error {
	p.dateCol = -1
	p.symbols = make([]string, len(names))
	for i, n := range names {
		if strings.EqualFold(n, "date") {
			if p.dateCol >= 0 {
				return &RowError{File: p.file, Line: line, Column: i + 1, Field: "column", Value: n,
					Expected: "one date column (it is also column " + strconv.Itoa(p.dateCol+1) + ")"}
			}
			p.dateCol = i
		}
	}
	if p.dateCol < 0 {
		return &RowError{File: p.file, Line: line, Field: "columns", Value: strings.Join(names, ","),
			Expected: `a "date" column, or for the long format "date", "symbol" and "close" columns` + separatorHint(names)}
	}
	seen := map[string]int{}
	for i, n := range names {
		if i == p.dateCol {
			continue
		}
		switch normPriceCol(n) {
		case "symbol", "open", "high", "low", "close", "adj_close", "volume":
			return &RowError{File: p.file, Line: line, Column: i + 1, Field: "column", Value: n,
				Expected: `a symbol: a wide file has one column of closes per symbol; for open/high/low/close columns use the long format with a "symbol" column`}
		}
		s := normSymbol(n)
		if !validSymbol(s) {
			return &RowError{File: p.file, Line: line, Column: i + 1, Field: "column", Value: n, Expected: wantSymbol}
		}
		if j, dup := seen[s]; dup {
			return &RowError{File: p.file, Line: line, Column: i + 1, Field: "column", Value: n,
				Expected: "each symbol once (it is also column " + strconv.Itoa(j+1) + ")"}
		}
		seen[s] = i
		p.symbols[i] = s
	}
	return nil
}

func (p *priceParser) fail(col int, field, value, expected string) *RowError {
	line, _ := p.cr.FieldPos(col)
	return &RowError{File: p.file, Line: line, Column: col + 1, Field: field, Value: value, Expected: expected}
}

// price parses a price cell: positive when required, else non-negative;
// rounded to MoneyPlaces.
func (p *priceParser) price(col int, field, v string, positive bool) (decimal.Decimal, *RowError) {
	d, _, digits, ok := plainDecimal(v)
	if !ok || d.IsNegative() || positive && d.IsZero() || digits > maxMoneyDigits {
		want := wantNonNeg
		if positive {
			want = wantPrice
		}
		return decimal.Decimal{}, p.fail(col, field, v, want)
	}
	return portfolio.RoundMoney(d), nil
}

func (p *priceParser) date(col int, field, v string) (portfolio.Date, *RowError) {
	d, ok := parseISODate(v)
	if !ok {
		return 0, p.fail(col, field, v, wantDate)
	}
	return d, nil
}

func (p *priceParser) dup(col int, field, v string, k barKey) *RowError {
	line, _ := p.cr.FieldPos(col)
	if prev, ok := p.seen[k]; ok {
		if k.sym == "" {
			return p.fail(col, field, v, "one row per date: line "+strconv.Itoa(prev)+" already has "+k.date.String())
		}
		return p.fail(col, field, v, "one price per symbol and date: line "+strconv.Itoa(prev)+" already has "+k.sym+" on "+k.date.String())
	}
	p.seen[k] = line
	return nil
}

func (p *priceParser) longRow(rec []string) (portfolio.Bar, *RowError) {
	var b portfolio.Bar
	get := func(k int) string {
		if i := p.idx[k]; i >= 0 {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	v := get(pDate)
	d, err := p.date(p.idx[pDate], "date", v)
	if err != nil {
		return b, err
	}
	b.Date = d
	v = get(pSymbol)
	s := normSymbol(v)
	if !validSymbol(s) {
		return b, p.fail(p.idx[pSymbol], "symbol", v, wantSymbol)
	}
	b.Symbol = s
	v = get(pClose)
	if b.Close, err = p.price(p.idx[pClose], "close", v, true); err != nil {
		return b, err
	}
	for _, o := range []struct {
		k   int
		dst *decimal.NullDecimal
	}{{pOpen, &b.Open}, {pHigh, &b.High}, {pLow, &b.Low}, {pAdjClose, &b.AdjClose}, {pVolume, &b.Volume}} {
		v := get(o.k)
		if v == "" {
			continue
		}
		x, err := p.price(p.idx[o.k], PriceColumns[o.k], v, false)
		if err != nil {
			return b, err
		}
		if o.k == pVolume {
			x, _, _, _ = plainDecimal(v) // volume is a count, not money: keep it exact
		}
		*o.dst = decimal.NewNullDecimal(x)
	}
	if err := p.dup(p.idx[pSymbol], "symbol", s, barKey{s, d}); err != nil {
		return b, err
	}
	return b, nil
}

func (p *priceParser) wideRow(rec []string, bars []portfolio.Bar) ([]portfolio.Bar, *RowError) {
	v := strings.TrimSpace(rec[p.dateCol])
	d, err := p.date(p.dateCol, "date", v)
	if err != nil {
		return bars, err
	}
	if err := p.dup(p.dateCol, "date", v, barKey{"", d}); err != nil {
		return bars, err
	}
	for i, s := range p.symbols {
		if i == p.dateCol {
			continue
		}
		v := strings.TrimSpace(rec[i])
		if v == "" {
			continue
		}
		c, err := p.price(i, s, v, true)
		if err != nil {
			return bars, err
		}
		bars = append(bars, portfolio.Bar{Symbol: s, Date: d, Close: c})
	}
	return bars, nil
}
