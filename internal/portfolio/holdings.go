package portfolio

import (
	"slices"
	"strings"
)

// Holdings sums open lots into one Holding per account and symbol, sorted by
// AccountID then Symbol. Closed lots (Quantity zero) are ignored, so the
// result of Ledger.Lots and of Ledger.OpenLots give the same holdings.
func Holdings(lots []Lot) []Holding {
	type key struct{ account, symbol string }
	index := make(map[key]int)
	out := make([]Holding, 0)
	for _, lot := range lots {
		if !lot.Open() {
			continue
		}
		k := key{lot.AccountID, lot.Symbol}
		i, ok := index[k]
		if !ok {
			index[k] = len(out)
			out = append(out, Holding{
				AccountID:     lot.AccountID,
				Symbol:        lot.Symbol,
				Quantity:      lot.Quantity,
				CostBasis:     lot.CostBasis,
				AdjustedBasis: lot.AdjustedBasis,
				Lots:          1,
				FirstAcquired: lot.DateAcquired,
			})
			continue
		}
		h := &out[i]
		h.Quantity = h.Quantity.Add(lot.Quantity)
		h.CostBasis = h.CostBasis.Add(lot.CostBasis)
		h.AdjustedBasis = h.AdjustedBasis.Add(lot.AdjustedBasis)
		h.Lots++
		h.FirstAcquired = min(h.FirstAcquired, lot.DateAcquired)
	}
	slices.SortFunc(out, func(a, b Holding) int {
		if c := strings.Compare(a.AccountID, b.AccountID); c != 0 {
			return c
		}
		return strings.Compare(a.Symbol, b.Symbol)
	})
	return out
}
