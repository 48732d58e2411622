package portfolio

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
)

// AllocDimension is what an allocation view sums by.
type AllocDimension string

// Allocation dimensions.
const (
	AllocSymbol     AllocDimension = "symbol"
	AllocAccount    AllocDimension = "account"
	AllocAssetClass AllocDimension = "asset-class"
	AllocSector     AllocDimension = "sector"
	AllocRegion     AllocDimension = "region"
)

// AllocDimensions lists the dimensions in display order.
var AllocDimensions = []AllocDimension{AllocSymbol, AllocAccount, AllocAssetClass, AllocSector, AllocRegion}

// ParseAllocDimension accepts a dimension name.
func ParseAllocDimension(s string) (AllocDimension, error) {
	for _, d := range AllocDimensions {
		if strings.EqualFold(s, string(d)) {
			return d, nil
		}
	}
	return "", fmt.Errorf("unknown allocation %q: want symbol, account, asset-class, sector or region", s)
}

// Targets are target weights: by symbol (upper case, CASH for cash) and by
// asset class (lower case, as refdata names them: us_equity, bond, …).
type Targets struct {
	Symbols map[string]decimal.Decimal
	Classes map[string]decimal.Decimal
}

// Empty reports whether no target is set.
func (t Targets) Empty() bool { return len(t.Symbols) == 0 && len(t.Classes) == 0 }

// ParseTargets reads the config's targets map. A key written in lower case
// is an asset class, any other key a symbol; a weight is a decimal fraction
// ("0.60") or a percentage ("60%"). Each kind must add up to at most 1
// (plus 0.0001 for rounding).
func ParseTargets(m map[string]string) (Targets, error) {
	t := Targets{Symbols: map[string]decimal.Decimal{}, Classes: map[string]decimal.Decimal{}}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		raw := strings.TrimSpace(m[k])
		pct := strings.HasSuffix(raw, "%")
		w, err := decimal.NewFromString(strings.TrimSuffix(raw, "%"))
		if err != nil || w.IsNegative() {
			return t, fmt.Errorf("target %s: invalid weight %q: want a fraction such as \"0.60\" or a percentage such as \"60%%\"", k, m[k])
		}
		if pct {
			w = w.Shift(-2)
		}
		key := strings.TrimSpace(k)
		if key == "" {
			return t, fmt.Errorf("target with an empty name")
		}
		if key == strings.ToLower(key) && key != strings.ToUpper(key) {
			t.Classes[key] = w
		} else {
			t.Symbols[strings.ToUpper(key)] = w
		}
	}
	limit := decimal.RequireFromString("1.0001")
	for name, set := range map[string]map[string]decimal.Decimal{"symbol": t.Symbols, "asset class": t.Classes} {
		sum := decimal.Zero
		for _, w := range set {
			sum = sum.Add(w)
		}
		if sum.GreaterThan(limit) {
			return t, fmt.Errorf("%s targets add up to %s, more than 1", name, sum.String())
		}
	}
	return t, nil
}

// AllocRow is one row of an allocation view. Weights are fractions of the
// total value, cash included; drift is weight − target, in percentage
// points, and in money value − target × total.
type AllocRow struct {
	Key          string
	Value        decimal.Decimal
	Weight       decimal.Decimal     // rounded to 6 places
	Target       decimal.NullDecimal // nil when the key has no target
	DriftPP      decimal.NullDecimal // (weight − target) × 100, 4 places
	DriftValue   decimal.NullDecimal // value − target × total, money places
	Unpriced     bool                // some lots in the row have no price
	Unclassified bool                // classification unknown
}

// Allocation sums a valuation by one dimension, largest value first, and
// compares with targets where the dimension has them (symbol and asset
// class). Keys with a target but nothing held appear with zero value.
// accountName maps account IDs to names for the account dimension.
func Allocation(v Valuation, by AllocDimension, classify func(string) Classification, accountName func(string) string, targets Targets) []AllocRow {
	rows := map[string]*AllocRow{}
	get := func(k string) *AllocRow {
		r, ok := rows[k]
		if !ok {
			r = &AllocRow{Key: k}
			rows[k] = r
		}
		return r
	}
	key := func(acct, sym string) string {
		switch by {
		case AllocAccount:
			if accountName != nil {
				return accountName(acct)
			}
			return acct
		case AllocAssetClass:
			if sym == CashSymbol {
				return "cash"
			}
			return classify(sym).AssetClass
		case AllocSector:
			if sym == CashSymbol {
				return "Cash"
			}
			return classify(sym).Sector
		case AllocRegion:
			if sym == CashSymbol {
				return "Cash"
			}
			if r := classify(sym).Region; r != "" {
				return r
			}
			return "unclassified"
		}
		return sym
	}
	for _, l := range v.Lots {
		r := get(key(l.AccountID, l.Symbol))
		if l.MarketValue.Valid {
			r.Value = r.Value.Add(l.MarketValue.Decimal)
		} else {
			r.Unpriced = true
		}
	}
	for acct, c := range v.Cash {
		if c.IsZero() {
			continue
		}
		r := get(key(acct, CashSymbol))
		r.Value = r.Value.Add(c)
	}
	var tmap map[string]decimal.Decimal
	switch by {
	case AllocSymbol:
		tmap = targets.Symbols
	case AllocAssetClass:
		tmap = targets.Classes
	}
	for k := range tmap {
		get(k)
	}
	total := v.Total()
	out := make([]AllocRow, 0, len(rows))
	for _, r := range rows {
		if total.IsPositive() {
			r.Weight = r.Value.Div(total).Round(6)
		}
		if w, ok := tmap[r.Key]; ok {
			r.Target = decimal.NewNullDecimal(w)
			r.DriftPP = decimal.NewNullDecimal(r.Value.Div(nonZero(total)).Sub(w).Shift(2).Round(4))
			r.DriftValue = decimal.NewNullDecimal(RoundMoney(r.Value.Sub(w.Mul(total))))
		}
		r.Unclassified = r.Key == "unclassified"
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if c := out[i].Value.Cmp(out[j].Value); c != 0 {
			return c > 0
		}
		return out[i].Key < out[j].Key
	})
	return out
}

func nonZero(d decimal.Decimal) decimal.Decimal {
	if d.IsZero() {
		return decimal.NewFromInt(1)
	}
	return d
}

// SymbolTargets resolves targets to symbols for rebalancing. Symbol targets
// are used as given. An asset-class target is shared among the held
// symbols of that class in proportion to their value (equally when none has
// value); a class with no held symbol is an error, since no symbol can be
// chosen for it. The rest, if any, is the cash target.
func SymbolTargets(t Targets, held map[string]decimal.Decimal, classify func(string) Classification) (map[string]decimal.Decimal, error) {
	out := map[string]decimal.Decimal{}
	for s, w := range t.Symbols {
		out[s] = w
	}
	classes := make([]string, 0, len(t.Classes))
	for c := range t.Classes {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		w := t.Classes[c]
		if c == "cash" {
			out[CashSymbol] = out[CashSymbol].Add(w)
			continue
		}
		var members []string
		sum := decimal.Zero
		for s, v := range held {
			if _, explicit := t.Symbols[s]; explicit || s == CashSymbol {
				continue
			}
			if classify(s).AssetClass == c {
				members = append(members, s)
				sum = sum.Add(v)
			}
		}
		if len(members) == 0 {
			if w.IsZero() {
				continue
			}
			return nil, fmt.Errorf("target for asset class %s: no holding in that class; give a symbol target (e.g. VTI: %q) instead", c, w.String())
		}
		sort.Strings(members)
		for _, s := range members {
			share := decimal.NewFromInt(1).Div(decimal.NewFromInt(int64(len(members))))
			if sum.IsPositive() {
				share = held[s].Div(sum)
			}
			out[s] = out[s].Add(w.Mul(share))
		}
	}
	return out, nil
}
