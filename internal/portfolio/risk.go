package portfolio

import (
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
)

// PeriodsPerYear is the annualisation factor of daily statistics, as in
// quantstats: 252 trading days.
const PeriodsPerYear = 252

// RiskConventions states how the risk figures are computed; it is printed
// with them so that numbers can be compared with other tools.
const RiskConventions = "daily returns are time-weighted (flows at day boundaries); 252 periods a year; " +
	"rf is an annual rate, per period (1+rf)^(1/252)-1; standard deviations are sample (n-1); " +
	"volatility = std(r)*sqrt(252); sharpe = mean(r-rf_d)/std(r-rf_d)*sqrt(252); " +
	"sortino = mean(r-rf_d)/sqrt(mean(min(r-rf_d,0)^2))*sqrt(252) (downside deviation over all days, annualised by sqrt(252)); " +
	"max drawdown from the compounded wealth index starting at 1, duration in calendar days from peak to recovery (or to the end if not recovered); " +
	"calmar = cagr/|max drawdown| with cagr over calendar days/365; beta = cov(r,b)/var(b), alpha = (mean(r) - beta*mean(b))*252 on raw returns; " +
	"correlation is Pearson on days both have a return; VaR and CVaR are historical 1-day at 95%: " +
	"VaR is the 5% quantile with linear interpolation (numpy's default), CVaR the mean of returns at or below it; " +
	"herfindahl = sum of squared weights of the securities (cash excluded)"

// Drawdown is the deepest fall of the wealth index.
type Drawdown struct {
	Depth       float64 // ≤ 0: trough / peak − 1
	Peak        Date    // date of the peak (the start, when the peak is the initial wealth)
	Trough      Date
	Recovery    *Date // first date back at the peak, nil if not recovered
	Days        int   // calendar days from Peak to Recovery, or to the last date
	TradingDays int   // the same in return observations
}

// Risk is the risk of one line of daily returns against a benchmark.
type Risk struct {
	Observations int // daily returns of the line used (volatility, Sharpe, drawdown, VaR…)
	RFAnnual     float64
	RFDaily      float64
	Mean         float64 // mean daily return
	Volatility   float64 // annualised
	Sharpe       float64
	Sortino      float64
	DownsideDev  float64 // annualised downside deviation
	MaxDrawdown  Drawdown
	CAGR         float64
	Calmar       float64
	Cumulative   float64

	// Against the benchmark (NaN without one).
	BenchObservations  int // the benchmark's daily returns used (its volatility and drawdown)
	PairedObservations int // days both have a return (beta, alpha, correlation)
	Beta               float64
	Alpha              float64 // annualised
	Correlation        float64
	BenchVolatility    float64
	BenchMaxDrawdown   Drawdown

	VaR95  float64 // a return, ≤ 0 for a loss
	CVaR95 float64
}

// DailyRF converts an annual risk-free rate to a per-period one.
func DailyRF(annual float64) float64 {
	return math.Pow(1+annual, 1.0/PeriodsPerYear) - 1
}

// ComputeRisk computes every figure of Risk. start is the date of the
// starting value (the peak date when the first day already falls); days is
// the calendar length of the window, for CAGR. bench may be empty.
func ComputeRisk(r DailyReturns, bench DailyReturns, start Date, rf float64) Risk {
	out := Risk{Observations: len(r.R), RFAnnual: rf, RFDaily: DailyRF(rf)}
	nan := math.NaN()
	out.Beta, out.Alpha, out.Correlation, out.BenchVolatility = nan, nan, nan, nan
	n := len(r.R)
	if n == 0 {
		out.Mean, out.Volatility, out.Sharpe, out.Sortino, out.DownsideDev = nan, nan, nan, nan, nan
		out.CAGR, out.Calmar, out.VaR95, out.CVaR95 = nan, nan, nan, nan
		return out
	}
	out.Mean = Mean(r.R)
	out.Volatility = StdDev(r.R) * math.Sqrt(PeriodsPerYear)
	ex := make([]float64, n)
	var down float64
	for i, x := range r.R {
		ex[i] = x - out.RFDaily
		if ex[i] < 0 {
			down += ex[i] * ex[i]
		}
	}
	me, se := Mean(ex), StdDev(ex)
	out.Sharpe = me / se * math.Sqrt(PeriodsPerYear)
	dd := math.Sqrt(down / float64(n))
	out.DownsideDev = dd * math.Sqrt(PeriodsPerYear)
	out.Sortino = me / dd * math.Sqrt(PeriodsPerYear)
	out.MaxDrawdown = MaxDrawdown(r, start)
	out.Cumulative = Compound(r.R)
	if days := int(r.Dates[n-1] - start); days > 0 {
		out.CAGR = Annualise(out.Cumulative, days)
	} else {
		out.CAGR = nan
	}
	out.Calmar = out.CAGR / math.Abs(out.MaxDrawdown.Depth)
	out.VaR95, out.CVaR95 = HistoricalVaR(r.R, 0.95)

	if len(bench.R) > 0 {
		a, b := Align(r, bench)
		out.BenchObservations, out.PairedObservations = len(bench.R), len(a)
		if len(a) > 1 {
			cov := Covariance(a, b)
			vb := Covariance(b, b)
			out.Beta = cov / vb
			out.Alpha = (Mean(a) - out.Beta*Mean(b)) * PeriodsPerYear
			out.Correlation = cov / math.Sqrt(vb*Covariance(a, a))
		}
		out.BenchVolatility = StdDev(bench.R) * math.Sqrt(PeriodsPerYear)
		out.BenchMaxDrawdown = MaxDrawdown(bench, start)
	}
	return out
}

// Align returns the values of a and b on the dates both have, in date order.
func Align(a, b DailyReturns) (x, y []float64) {
	x = make([]float64, 0, min(len(a.R), len(b.R)))
	y = make([]float64, 0, cap(x))
	i, j := 0, 0
	for i < len(a.Dates) && j < len(b.Dates) {
		switch {
		case a.Dates[i] < b.Dates[j]:
			i++
		case a.Dates[i] > b.Dates[j]:
			j++
		default:
			x = append(x, a.R[i])
			y = append(y, b.R[j])
			i++
			j++
		}
	}
	return x, y
}

// Slice returns the returns dated from..to inclusive.
func (r DailyReturns) Slice(from, to Date) DailyReturns {
	lo := sort.Search(len(r.Dates), func(i int) bool { return r.Dates[i] >= from })
	hi := sort.Search(len(r.Dates), func(i int) bool { return r.Dates[i] > to })
	if lo > hi {
		lo = hi
	}
	return DailyReturns{Dates: r.Dates[lo:hi], R: r.R[lo:hi]}
}

// Mean is the arithmetic mean (NaN when empty).
func Mean(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// StdDev is the sample standard deviation (n−1; NaN under two values).
func StdDev(x []float64) float64 { return math.Sqrt(Covariance(x, x)) }

// Covariance is the sample covariance of two equal-length series.
func Covariance(x, y []float64) float64 {
	n := len(x)
	if n < 2 {
		return math.NaN()
	}
	mx, my := Mean(x), Mean(y)
	var s float64
	for i := range x {
		s += (x[i] - mx) * (y[i] - my)
	}
	return s / float64(n-1)
}

// MaxDrawdown finds the deepest drawdown of the wealth index W_0 = 1,
// W_t = W_{t−1}(1+r_t). start dates W_0.
func MaxDrawdown(r DailyReturns, start Date) Drawdown {
	var best Drawdown
	w, peak := 1.0, 1.0
	peakDate, peakIdx := start, -1
	bestPeakIdx, bestTroughIdx := -1, -1
	for i, x := range r.R {
		w *= 1 + x
		if w >= peak {
			peak, peakDate, peakIdx = w, r.Dates[i], i
			continue
		}
		if d := w/peak - 1; d < best.Depth {
			best.Depth, best.Peak, best.Trough = d, peakDate, r.Dates[i]
			bestPeakIdx, bestTroughIdx = peakIdx, i
		}
	}
	if bestTroughIdx < 0 {
		return Drawdown{Peak: start, Trough: start}
	}
	// Recovery: the first day after the trough back at the peak's wealth.
	w = 1
	peakW := 1.0
	for i, x := range r.R {
		w *= 1 + x
		if i == bestPeakIdx {
			peakW = w
		}
		if i > bestTroughIdx && w >= peakW*(1-1e-12) {
			d := r.Dates[i]
			best.Recovery = &d
			best.Days = int(d - best.Peak)
			best.TradingDays = i - bestPeakIdx
			return best
		}
	}
	best.Days = int(r.Dates[len(r.Dates)-1] - best.Peak)
	best.TradingDays = len(r.R) - 1 - bestPeakIdx
	return best
}

// HistoricalVaR is the 1-day historical value at risk and conditional
// value at risk at the given confidence: the (1−c) quantile of the returns
// with linear interpolation between order statistics (numpy's default), and
// the mean of the returns at or below it.
func HistoricalVaR(r []float64, confidence float64) (v, cv float64) {
	if len(r) == 0 {
		return math.NaN(), math.NaN()
	}
	x := slices.Clone(r)
	slices.Sort(x)
	v = Quantile(x, 1-confidence)
	var s float64
	k := 0
	for _, y := range x {
		if y > v {
			break
		}
		s += y
		k++
	}
	if k == 0 {
		return v, v
	}
	return v, s / float64(k)
}

// Quantile of sorted values with linear interpolation: h = (n−1)q.
func Quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	h := float64(n-1) * q
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// Concentration is how much of the securities' value sits in few of them.
type Concentration struct {
	Largest       string
	LargestWeight float64
	Herfindahl    float64 // Σ w², 1/n for n equal holdings, 1 for one
	Effective     float64 // 1/Herfindahl: the number of equal holdings with the same index
}

// Concentrate computes concentration from values by symbol (cash excluded).
func Concentrate(values map[string]float64) Concentration {
	var c Concentration
	var total float64
	for _, v := range values {
		if v > 0 {
			total += v
		}
	}
	if total <= 0 {
		return c
	}
	syms := make([]string, 0, len(values))
	for s := range values {
		syms = append(syms, s)
	}
	sort.Strings(syms)
	for _, s := range syms {
		v := values[s]
		if v <= 0 {
			continue
		}
		w := v / total
		c.Herfindahl += w * w
		if w > c.LargestWeight {
			c.Largest, c.LargestWeight = s, w
		}
	}
	c.Effective = 1 / c.Herfindahl
	return c
}

// RiskScoreFormula documents RiskScore.
const RiskScoreFormula = "score = round(100 * (0.5*min(volatility/0.40, 1) + 0.3*min(|max drawdown|/0.50, 1) + 0.2*min(herfindahl/0.25, 1))): " +
	"0 is all cash; 40% annual volatility, a 50% drawdown and four or fewer equal holdings each reach their component's maximum"

// RiskScore is a 0–100 summary of volatility, drawdown and concentration
// (see RiskScoreFormula). NaN inputs count as zero.
func RiskScore(volatility, maxDrawdown, herfindahl float64) int {
	c := func(x, full float64) float64 {
		if math.IsNaN(x) {
			return 0
		}
		return math.Min(math.Abs(x)/full, 1)
	}
	s := 100 * (0.5*c(volatility, 0.40) + 0.3*c(maxDrawdown, 0.50) + 0.2*c(herfindahl, 0.25))
	return int(math.Round(s))
}

// CorrelationMatrix is the Pearson correlation of each pair of series on
// the days both have a return. Entries with fewer than two common days are
// NaN. When every series has the same days (the usual case: closes on one
// calendar) each is centred and scaled once and a pair costs one dot
// product; rows are spread over the CPUs. It is O(k² n) either way.
func CorrelationMatrix(series []DailyReturns) [][]float64 {
	k := len(series)
	m := make([][]float64, k)
	for i := range m {
		m[i] = make([]float64, k)
	}
	shared := k > 0
	for _, s := range series[min(1, k):] {
		if !slices.Equal(s.Dates, series[0].Dates) {
			shared = false
			break
		}
	}
	var z [][]float64
	if shared && len(series[0].R) > 1 {
		z = make([][]float64, k)
		for i, s := range series {
			mu, sd := Mean(s.R), StdDev(s.R)
			z[i] = make([]float64, len(s.R))
			for t, x := range s.R {
				z[i][t] = (x - mu) / sd
			}
		}
	}
	n1 := float64(len(series[0].R) - 1)
	row := func(i int) {
		m[i][i] = 1
		if len(series[i].R) < 2 {
			m[i][i] = math.NaN()
		}
		for j := i + 1; j < k; j++ {
			c := math.NaN()
			if z != nil {
				var d float64
				zi, zj := z[i], z[j]
				for t := range zi {
					d += zi[t] * zj[t]
				}
				c = d / n1
			} else if a, b := Align(series[i], series[j]); len(a) > 1 {
				c = Covariance(a, b) / math.Sqrt(Covariance(a, a)*Covariance(b, b))
			}
			m[i][j] = c
		}
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, k/8))
	var wg sync.WaitGroup
	next := make(chan int, k)
	for i := range k {
		next <- i
	}
	close(next)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				row(i)
			}
		}()
	}
	wg.Wait()
	for i := range k {
		for j := i + 1; j < k; j++ {
			m[j][i] = m[i][j]
		}
	}
	return m
}

// TopSymbols are the n symbols of largest value (all when n ≤ 0), largest
// first, ties by name.
func TopSymbols(values map[string]float64, n int) []string {
	out := make([]string, 0, len(values))
	for s := range values {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if values[out[i]] != values[out[j]] {
			return values[out[i]] > values[out[j]]
		}
		return out[i] < out[j]
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}
