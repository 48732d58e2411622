package ml

import "math"

// Feature names, in the order they appear in a feature row.
const (
	FeatRet       = "ret"        // log return r_t
	FeatAbsRet    = "abs_ret"    // |r_t|
	FeatMove      = "move_vol"   // r_t over the trailing 20-day volatility (today's move in sigmas)
	FeatResid     = "resid"      // r_t − β·r_bench,t with β from the trailing 120 days
	FeatResidMove = "resid_move" // the residual over its trailing 20-day volatility
	FeatVolumeZ   = "volume_z"   // log volume's z-score against the trailing 20 days
	FeatVolRatio  = "vol_ratio"  // 5-day volatility over the 20-day volatility before it
	FeatSeason    = "season"     // value − value one period earlier, over the last period's mean level
	FeatSeasonDev = "season_dev" // the seasonal difference over its trailing volatility
)

// Feature window lengths.
const (
	volWindow  = 20
	betaWindow = 120
	burst      = 5
)

// Warmup is how many leading rows of a series have no features (they lack
// the trailing history the features need).
const Warmup = volWindow + burst

// FeatureSet is the per-day feature matrix of one series.
type FeatureSet struct {
	Names []string
	Rows  [][]float64 // one per time step from Start on
	Start int         // index in the series of Rows[0]
	Ret   []float64   // the log return per series index (0 at index 0)
}

// Features builds the feature rows of s. bench (may be nil) is the
// benchmark's values on the same timestamps; Volume is used when present.
// period > 1 adds seasonal features for data with a daily or weekly cycle.
// Every feature at step t uses data up to t only.
func Features(s Series, bench []float64, period int) FeatureSet {
	n := len(s.Values)
	ret := logReturns(s.Values)
	fs := FeatureSet{Ret: ret, Start: Warmup}
	if period > 1 {
		fs.Start = max(fs.Start, period+volWindow+1)
	}
	fs.Names = []string{FeatRet, FeatAbsRet, FeatMove, FeatVolRatio}
	var resid, bret []float64
	if bench != nil {
		bret = logReturns(bench)
		resid = make([]float64, n)
		fs.Names = append(fs.Names, FeatResid, FeatResidMove)
		fs.Start = max(fs.Start, 30)
	}
	hasVol := s.Volume != nil
	if hasVol {
		fs.Names = append(fs.Names, FeatVolumeZ)
	}
	var season []float64
	if period > 1 {
		season = make([]float64, n)
		// The change from one period earlier relative to the mean level of
		// the last period (not to the earlier value: at quiet hours a small
		// base would turn noise into large ratios).
		sum := 0.0
		for t := 0; t < n; t++ {
			sum += s.Values[t]
			if t >= period {
				sum -= s.Values[t-period]
				level := math.Max(math.Abs(sum/float64(period)), 1e-9)
				season[t] = (s.Values[t] - s.Values[t-period]) / level
			}
		}
		fs.Names = append(fs.Names, FeatSeason, FeatSeasonDev)
	}
	// Residuals with β fitted on the trailing betaWindow returns before t.
	if resid != nil {
		for t := 1; t < n; t++ {
			lo := max(1, t-betaWindow)
			var sxy, sxx, sx, sy, k float64
			for i := lo; i < t; i++ {
				sx += bret[i]
				sy += ret[i]
				k++
			}
			beta := 1.0
			if k >= 20 {
				mx, my := sx/k, sy/k
				for i := lo; i < t; i++ {
					sxy += (bret[i] - mx) * (ret[i] - my)
					sxx += (bret[i] - mx) * (bret[i] - mx)
				}
				if sxx > 0 {
					beta = sxy / sxx
				}
			}
			resid[t] = ret[t] - beta*bret[t]
		}
	}
	for t := fs.Start; t < n; t++ {
		sd := trailingSD(ret, t-volWindow, t)
		row := []float64{ret[t], math.Abs(ret[t]), ret[t] / sd,
			trailingSD(ret, t-burst+1, t+1) / trailingSD(ret, t-burst-volWindow+1, t-burst+1)}
		if resid != nil {
			row = append(row, resid[t], resid[t]/trailingSD(resid, t-volWindow, t))
		}
		if hasVol {
			row = append(row, volumeZ(s.Volume, t))
		}
		if season != nil {
			row = append(row, season[t], (season[t]-trailingMean(season, t-volWindow, t))/trailingSD(season, t-volWindow, t))
		}
		fs.Rows = append(fs.Rows, row)
	}
	return fs
}

func safeLog(v float64) float64 { return math.Log(math.Max(v, 1e-9)) }

func logReturns(v []float64) []float64 {
	r := make([]float64, len(v))
	for t := 1; t < len(v); t++ {
		r[t] = safeLog(v[t]) - safeLog(v[t-1])
	}
	return r
}

// trailingSD is the standard deviation of v[lo:hi] (lo clamped to 1, the
// first return), floored so that a flat stretch does not divide by zero.
func trailingSD(v []float64, lo, hi int) float64 {
	lo = max(lo, 1)
	if hi-lo < 2 {
		return 1
	}
	_, sd := meanStd(v[lo:hi])
	return math.Max(sd, 1e-6)
}

func trailingMean(v []float64, lo, hi int) float64 {
	lo = max(lo, 0)
	if hi <= lo {
		return 0
	}
	m, _ := meanStd(v[lo:hi])
	return m
}

func volumeZ(vol []float64, t int) float64 {
	lo := max(0, t-volWindow)
	lv := make([]float64, 0, t-lo)
	for i := lo; i < t; i++ {
		lv = append(lv, safeLog(vol[i]+1))
	}
	if len(lv) < 2 {
		return 0
	}
	m, sd := meanStd(lv)
	return (safeLog(vol[t]+1) - m) / math.Max(sd, 1e-6)
}

// DetectPeriod returns the lag in [2, maxLag] with the highest
// autocorrelation of the series' values if it exceeds 0.5 (a clear daily or
// weekly cycle), else 0. Series of daily prices have none.
func DetectPeriod(v []float64, maxLag int) int {
	n := len(v)
	maxLag = min(maxLag, n/4)
	if maxLag < 2 {
		return 0
	}
	m, sd := meanStd(v)
	if sd == 0 {
		return 0
	}
	best, bestLag := 0.5, 0
	prev := 1.0
	rising := false
	for lag := 1; lag <= maxLag; lag++ {
		s := 0.0
		for t := lag; t < n; t++ {
			s += (v[t] - m) * (v[t-lag] - m)
		}
		ac := s / (float64(n-lag) * sd * sd)
		if ac > prev {
			rising = true
		}
		// The highest peak once the autocorrelation has started rising again
		// (past the decay of short-range correlation).
		if rising && lag >= 2 && ac > best {
			best, bestLag = ac, lag
		}
		prev = ac
	}
	return bestLag
}
