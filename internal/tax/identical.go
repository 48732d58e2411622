package tax

import (
	"fmt"
	"sort"
	"strings"
)

// DefaultIdentical are the built-in groups of substantially identical
// securities. The IRS draws no bright line (Pub 550: "all the facts and
// circumstances"); the conservative policy of reference/tax-rules.md §4 is
// used: share classes of one fund, and funds tracking the same index, are
// identical. Funds on different indexes of the same asset class (VTI on CRSP,
// ITOT on S&P Total Market, SCHB on Dow Jones) are not, which is what makes
// them harvest partners; so are BND and AGG (variants of the Bloomberg US
// Aggregate, a borderline pair users may join in their config). Users extend or override these with
// tax.substantially_identical in the config.
var DefaultIdentical = [][]string{
	{"VOO", "IVV", "SPY", "SPLG", "VFIAX", "VFINX", "FXAIX", "SWPPX"}, // S&P 500
	{"VTI", "VTSAX", "VTSMX"},            // CRSP US Total Market
	{"ITOT"},                             // S&P Total Market (listed for clarity: a partner, not identical, to VTI)
	{"QQQ", "QQQM"},                      // Nasdaq-100
	{"VXUS", "VTIAX"},                    // FTSE Global All Cap ex US
	{"VEA", "VTMGX"},                     // FTSE Developed All Cap ex US
	{"IEFA"},                             // MSCI EAFE IMI
	{"VWO", "VEMAX"},                     // FTSE Emerging Markets
	{"BND", "VBTLX"},                     // Bloomberg US Aggregate Float Adjusted
	{"AGG"},                              // Bloomberg US Aggregate
	{"VNQ", "VGSLX"},                     // MSCI US IMI Real Estate 25/50
	{"GOOGL", "GOOG"},                    // share classes of one company
	{"BRK.A", "BRK.B", "BRK A", "BRK B"}, // share classes of one company
}

// Identical answers "is a purchase of b a purchase of substantially
// identical stock to a?". A symbol is always identical to itself.
type Identical struct {
	group map[string]int // symbol → group number
}

// NewIdentical builds the relation from groups (DefaultIdentical and the
// config's, in that order). Groups that share a symbol merge, so the
// relation stays an equivalence (a config group [SPY, SPLG] joins the
// built-in S&P 500 group). Symbols compare case-insensitively.
func NewIdentical(groups ...[][]string) (*Identical, error) {
	parent := map[string]string{}
	var find func(string) string
	find = func(s string) string {
		p, ok := parent[s]
		if !ok || p == s {
			parent[s] = s
			return s
		}
		r := find(p)
		parent[s] = r
		return r
	}
	for _, gs := range groups {
		for i, g := range gs {
			if len(g) == 0 {
				return nil, fmt.Errorf("substantially identical group %d is empty", i+1)
			}
			first := ""
			for _, sym := range g {
				sym = norm(sym)
				if sym == "" {
					return nil, fmt.Errorf("substantially identical group %d has an empty symbol", i+1)
				}
				if first == "" {
					first = find(sym)
					continue
				}
				parent[find(sym)] = first
			}
		}
	}
	roots := map[string]int{}
	id := &Identical{group: map[string]int{}}
	syms := make([]string, 0, len(parent))
	for s := range parent {
		syms = append(syms, s)
	}
	sort.Strings(syms)
	for _, s := range syms {
		r := find(s)
		n, ok := roots[r]
		if !ok {
			n = len(roots) + 1
			roots[r] = n
		}
		id.group[s] = n
	}
	return id, nil
}

func norm(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// Same reports whether a and b are substantially identical.
func (id *Identical) Same(a, b string) bool {
	a, b = norm(a), norm(b)
	if a == b {
		return true
	}
	if id == nil {
		return false
	}
	ga, ok := id.group[a]
	return ok && ga == id.group[b]
}

// Key is a symbol's group key: equal keys mean substantially identical.
func (id *Identical) Key(sym string) string {
	sym = norm(sym)
	if id != nil {
		if g, ok := id.group[sym]; ok {
			return fmt.Sprintf("#%d", g)
		}
	}
	return sym
}

// Group lists the symbols identical to sym (sym included), sorted.
func (id *Identical) Group(sym string) []string {
	sym = norm(sym)
	out := []string{sym}
	if id == nil {
		return out
	}
	g, ok := id.group[sym]
	if !ok {
		return out
	}
	out = out[:0]
	for s, n := range id.group {
		if n == g {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
