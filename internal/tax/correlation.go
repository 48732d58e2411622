package tax

import (
	"math"
	"slices"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// Correlation statistics are the one place this package uses floats: they
// rank replacement candidates and are shown to people, never stored as money.

// CorrelationResult is the Pearson correlation of two symbols' daily log
// returns. Overlap is the number of return pairs it was computed from; R is
// meaningful only when Overlap ≥ 2 and both series moved (OK).
type CorrelationResult struct {
	R       float64
	Overlap int
	OK      bool
}

// Correlation is the Pearson correlation of the daily log returns of a and
// b between from and to inclusive. The bars are aligned on the dates both
// have, and each return runs from one common date to the next, so a day one
// symbol did not trade never pairs a one-day return with a two-day one.
// A series whose bars all carry an adjusted close uses it (splits and
// dividends then do not read as price moves), otherwise its plain close.
// Bars need not be sorted; non-positive prices are skipped.
func Correlation(a, b []portfolio.Bar, from, to portfolio.Date) CorrelationResult {
	pa, pb := closes(a, from, to), closes(b, from, to)
	dates := make([]portfolio.Date, 0, min(len(pa), len(pb)))
	for d := range pa {
		if _, ok := pb[d]; ok {
			dates = append(dates, d)
		}
	}
	slices.Sort(dates)
	if len(dates) < 3 {
		return CorrelationResult{Overlap: max(len(dates)-1, 0)}
	}
	xs := make([]float64, 0, len(dates)-1)
	ys := make([]float64, 0, len(dates)-1)
	for i := 1; i < len(dates); i++ {
		xs = append(xs, math.Log(pa[dates[i]]/pa[dates[i-1]]))
		ys = append(ys, math.Log(pb[dates[i]]/pb[dates[i-1]]))
	}
	r, ok := pearson(xs, ys)
	return CorrelationResult{R: r, Overlap: len(xs), OK: ok}
}

// closes maps each date in [from, to] to the series' price as a float.
func closes(bars []portfolio.Bar, from, to portfolio.Date) map[portfolio.Date]float64 {
	adj := len(bars) > 0
	for _, b := range bars {
		if !b.AdjClose.Valid {
			adj = false
			break
		}
	}
	out := make(map[portfolio.Date]float64, len(bars))
	for _, b := range bars {
		if b.Date < from || b.Date > to {
			continue
		}
		p := b.Close
		if adj {
			p = b.AdjClose.Decimal
		}
		f, _ := p.Float64()
		if f > 0 && !math.IsInf(f, 0) {
			out[b.Date] = f
		}
	}
	return out
}

// pearson is the sample correlation of xs and ys (equal lengths ≥ 2),
// computed around the means in two passes for accuracy. It is not OK when
// either series is constant.
func pearson(xs, ys []float64) (float64, bool) {
	n := float64(len(xs))
	if len(xs) < 2 || len(xs) != len(ys) {
		return 0, false
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= n
	my /= n
	var sxy, sxx, syy float64
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return 0, false
	}
	r := sxy / math.Sqrt(sxx*syy)
	// Rounding can push a perfect correlation a hair past ±1.
	return math.Max(-1, math.Min(1, r)), true
}
