package portfolio

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
)

// GroupBy is how holdings are summed.
type GroupBy string

// Groupings of holdings.
const (
	BySymbol     GroupBy = "symbol"
	ByLot        GroupBy = "lot"
	ByAccount    GroupBy = "account"
	BySector     GroupBy = "sector"
	ByAssetClass GroupBy = "asset-class"
)

// ParseGroupBy accepts symbol, lot, account, sector or asset-class.
func ParseGroupBy(s string) (GroupBy, error) {
	switch g := GroupBy(strings.ToLower(s)); g {
	case BySymbol, ByLot, ByAccount, BySector, ByAssetClass:
		return g, nil
	}
	return "", fmt.Errorf("unknown grouping %q: want symbol, lot, account, sector or asset-class", s)
}

// Classification places a symbol for allocation views.
type Classification struct {
	AssetClass string // e.g. "us_equity", "bond", "cash"
	Sector     string // GICS sector, or the ETF's category
	Region     string
}

// CashSymbol labels cash rows.
const CashSymbol = "CASH"

// Position is one row of a holdings report: a lot, or a sum of lots (and,
// for every grouping but lots, cash).
type Position struct {
	Key                  string // symbol, lot ID, account ID, sector or asset class
	AccountID            string // lot and account rows
	Symbol               string // lot and symbol rows
	Quantity             decimal.NullDecimal
	AvgCost              decimal.NullDecimal // adjusted basis per share
	CostBasis            decimal.Decimal     // adjusted basis of the securities (cash excluded)
	Price                decimal.NullDecimal
	PriceDate            *Date
	MarketValue          decimal.Decimal // priced lots plus cash
	Cash                 decimal.Decimal
	Unrealized           decimal.Decimal     // over priced lots only
	UnrealizedPct        decimal.NullDecimal // Unrealized / basis of priced lots
	Weight               decimal.NullDecimal // MarketValue / Valuation.Total
	DateAcquired         *Date               // lot rows
	AdjustedDateAcquired *Date
	Lots                 int
	Unpriced             bool // some lots in the row have no price
	// Priced is false when nothing in the row has a value (no priced lot, no
	// cash): MarketValue and Unrealized are then zero but mean "unknown".
	Priced bool

	pricedBasis decimal.Decimal
}

// Group sums a valuation by the given key, largest market value first (lots
// by account, symbol and date). classify may be nil for symbol, lot and
// account groupings.
func (v Valuation) Group(by GroupBy, classify func(symbol string) Classification) []Position {
	rows := map[string]*Position{}
	var order []string
	get := func(key string) *Position {
		p, ok := rows[key]
		if !ok {
			p = &Position{Key: key}
			rows[key] = p
			order = append(order, key)
		}
		return p
	}
	keyOf := func(l LotValue) string {
		switch by {
		case ByLot:
			return l.ID
		case ByAccount:
			return l.AccountID
		case BySector:
			return classify(l.Symbol).Sector
		case ByAssetClass:
			return classify(l.Symbol).AssetClass
		}
		return l.Symbol
	}
	for _, l := range v.Lots {
		p := get(keyOf(l))
		p.Lots += l.Lots
		p.CostBasis = p.CostBasis.Add(l.AdjustedBasis)
		switch by {
		case ByLot:
			p.AccountID, p.Symbol = l.AccountID, l.Symbol
			d, a := l.DateAcquired, l.AdjustedDateAcquired
			p.DateAcquired, p.AdjustedDateAcquired = &d, &a
			p.Quantity = decimal.NewNullDecimal(l.Quantity)
		case BySymbol:
			p.Symbol = l.Symbol
			p.Quantity = decimal.NewNullDecimal(p.Quantity.Decimal.Add(l.Quantity))
		case ByAccount:
			p.AccountID = l.AccountID
		}
		if l.Price.Valid {
			p.Priced = true
			p.Price, p.PriceDate = l.Price, l.PriceDate
			p.MarketValue = p.MarketValue.Add(l.MarketValue.Decimal)
			p.Unrealized = p.Unrealized.Add(l.Unrealized.Decimal)
			p.pricedBasis = p.pricedBasis.Add(l.AdjustedBasis)
		} else {
			p.Unpriced = true
		}
	}
	if by != ByLot {
		for acct, c := range v.Cash {
			if c.IsZero() {
				continue
			}
			key := CashSymbol
			switch by {
			case ByAccount:
				key = acct
			case BySector:
				key = "Cash"
			case ByAssetClass:
				key = "cash"
			}
			p := get(key)
			if by == ByAccount {
				p.AccountID = acct
			}
			if by == BySymbol {
				p.Symbol = CashSymbol
			}
			p.Priced = true
			p.Cash = p.Cash.Add(c)
			p.MarketValue = p.MarketValue.Add(c)
		}
	}
	total := v.Total()
	out := make([]Position, 0, len(order))
	for _, k := range order {
		p := rows[k]
		if by != ByLot && by != BySymbol {
			p.Price, p.PriceDate = decimal.NullDecimal{}, nil
		}
		if p.Quantity.Valid && p.Quantity.Decimal.IsPositive() {
			p.AvgCost = decimal.NewNullDecimal(RoundMoney(p.CostBasis.Div(p.Quantity.Decimal)))
		}
		if p.pricedBasis.IsPositive() {
			p.UnrealizedPct = decimal.NewNullDecimal(p.Unrealized.Div(p.pricedBasis).Round(6))
		}
		if total.IsPositive() && p.Priced {
			p.Weight = decimal.NewNullDecimal(p.MarketValue.Div(total).Round(6))
		}
		out = append(out, *p)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if by == ByLot {
			if a.AccountID != b.AccountID {
				return a.AccountID < b.AccountID
			}
			if a.Symbol != b.Symbol {
				return a.Symbol < b.Symbol
			}
			if *a.DateAcquired != *b.DateAcquired {
				return *a.DateAcquired < *b.DateAcquired
			}
			return a.Key < b.Key
		}
		if c := a.MarketValue.Cmp(b.MarketValue); c != 0 {
			return c > 0
		}
		return a.Key < b.Key
	})
	return out
}

// Sum totals a set of positions (cost basis, market value, cash, unrealized).
func Sum(rows []Position) Position {
	t := Position{Key: "TOTAL"}
	for _, p := range rows {
		t.CostBasis = t.CostBasis.Add(p.CostBasis)
		t.MarketValue = t.MarketValue.Add(p.MarketValue)
		t.Cash = t.Cash.Add(p.Cash)
		t.Unrealized = t.Unrealized.Add(p.Unrealized)
		t.pricedBasis = t.pricedBasis.Add(p.pricedBasis)
		t.Lots += p.Lots
		t.Unpriced = t.Unpriced || p.Unpriced
		t.Priced = t.Priced || p.Priced
	}
	if t.pricedBasis.IsPositive() {
		t.UnrealizedPct = decimal.NewNullDecimal(t.Unrealized.Div(t.pricedBasis).Round(6))
	}
	if t.MarketValue.IsPositive() {
		t.Weight = decimal.NewNullDecimal(decimal.NewFromInt(1))
	}
	return t
}
