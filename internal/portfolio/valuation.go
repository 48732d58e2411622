package portfolio

import (
	"sort"

	"github.com/shopspring/decimal"
)

// LotValue is an open lot priced at the valuation date. It may also stand
// for a whole holding (all open lots of one symbol in one account); Lots says
// how many lots it sums.
type LotValue struct {
	Lot
	Lots        int
	Price       decimal.NullDecimal // latest close on or before the valuation date
	PriceDate   *Date
	MarketValue decimal.NullDecimal // Quantity × Price, rounded to money
	Unrealized  decimal.NullDecimal // MarketValue − AdjustedBasis
}

// Valuation is a portfolio's open lots and cash priced at one date.
type Valuation struct {
	AsOf    Date
	Lots    []LotValue
	Cash    map[string]decimal.Decimal // by account ID
	Missing []string                   // held symbols with no price on or before AsOf, sorted
}

// Value prices open lots with the latest bar on or before asOf. A symbol with
// no such bar leaves its lots unpriced and is listed in Missing rather than
// being valued at zero, which would read as a total loss.
func Value(asOf Date, lots []Lot, cash map[string]decimal.Decimal, prices map[string]Bar) Valuation {
	counts := make([]int, len(lots))
	for i := range counts {
		counts[i] = 1
	}
	return value(asOf, lots, counts, cash, prices)
}

// ValueHoldings is Value over whole holdings rather than lots: the views that
// sum by symbol, account, sector or asset class need no more, and a
// portfolio has far fewer holdings than lots. Market value is rounded once
// per holding instead of once per lot, so sums can differ from the by-lot
// view in the sixth decimal place.
func ValueHoldings(asOf Date, holdings []Holding, cash map[string]decimal.Decimal, prices map[string]Bar) Valuation {
	lots := make([]Lot, len(holdings))
	counts := make([]int, len(holdings))
	for i, h := range holdings {
		lots[i] = Lot{ID: h.AccountID + "/" + h.Symbol, AccountID: h.AccountID, Symbol: h.Symbol,
			DateAcquired: h.FirstAcquired, AdjustedDateAcquired: h.FirstAcquired,
			OriginalQuantity: h.Quantity, Quantity: h.Quantity,
			OriginalBasis: h.CostBasis, CostBasis: h.CostBasis, AdjustedBasis: h.AdjustedBasis}
		counts[i] = h.Lots
	}
	return value(asOf, lots, counts, cash, prices)
}

func value(asOf Date, lots []Lot, counts []int, cash map[string]decimal.Decimal, prices map[string]Bar) Valuation {
	v := Valuation{AsOf: asOf, Cash: cash, Lots: make([]LotValue, 0, len(lots))}
	missing := map[string]bool{}
	for i, l := range lots {
		if !l.Open() {
			continue
		}
		lv := LotValue{Lot: l, Lots: counts[i]}
		if b, ok := prices[l.Symbol]; ok && b.Date <= asOf {
			d := b.Date
			lv.Price = decimal.NewNullDecimal(b.Close)
			lv.PriceDate = &d
			mv := RoundMoney(l.Quantity.Mul(b.Close))
			lv.MarketValue = decimal.NewNullDecimal(mv)
			lv.Unrealized = decimal.NewNullDecimal(mv.Sub(l.AdjustedBasis))
		} else {
			missing[l.Symbol] = true
		}
		v.Lots = append(v.Lots, lv)
	}
	for s := range missing {
		v.Missing = append(v.Missing, s)
	}
	sort.Strings(v.Missing)
	return v
}

// CashTotal is the cash of every account.
func (v Valuation) CashTotal() decimal.Decimal {
	t := decimal.Zero
	for _, c := range v.Cash {
		t = t.Add(c)
	}
	return t
}

// Total is the market value of every priced lot plus cash: the denominator of weights.
func (v Valuation) Total() decimal.Decimal {
	t := v.CashTotal()
	for _, l := range v.Lots {
		if l.MarketValue.Valid {
			t = t.Add(l.MarketValue.Decimal)
		}
	}
	return t
}
