package ml

import (
	"fmt"
	"math"
	"slices"
)

// ScoreSteps is how many of the newest steps of a window a score covers:
// the masked steps, or the newest one for a plain autoencoder.
func (m *Model) ScoreSteps() int { return max(m.Config.Mask, 1) }

// Score returns one anomaly score per row, for the window ending at that
// row: each feature's root-mean-square reconstruction error over the newest
// ScoreSteps steps, divided by its typical size on held-out normal data
// (ErrScale, when fitted), then combined by Aggregate: the root mean square
// (rms, the default) or the largest (max).
// Only features marked in Scored count (nil: all). Rows before the first
// full window score 0. Scores do not depend on the
// batch size.
func (m *Model) Score(rows [][]float64) []float64 {
	errs := m.FeatureErrors(rows)
	out := make([]float64, len(rows))
	for i, e := range errs {
		if e == nil {
			continue
		}
		v := 0.0
		cnt := 0.0
		for j, x := range e {
			if m.Scored != nil && !m.Scored[j] {
				continue
			}
			cnt++
			if m.ErrScale != nil {
				x /= m.ErrScale[j]
			}
			if m.Aggregate != AggMax {
				v += x * x
			} else {
				v = max(v, x)
			}
		}
		if m.Aggregate != AggMax {
			v = math.Sqrt(v / max(cnt, 1))
		}
		out[i] = v
	}
	return out
}

// Score aggregations.
const (
	AggMax = "max"
	AggRMS = "rms"
)

// FeatureErrors returns, per row, each feature's RMS reconstruction error
// over the newest ScoreSteps steps of the window ending there (in training
// standard deviations), or nil before the first full window.
func (m *Model) FeatureErrors(rows [][]float64) [][]float64 {
	out := make([][]float64, len(rows))
	t := m.Config.Window
	if len(rows) < t {
		return out
	}
	l := m.layout()
	x := m.Norm.Apply(rows)
	k := m.ScoreSteps()
	bs := m.Config.Batch
	if bs <= 0 {
		bs = 32
	}
	flat := make([]float64, (len(rows)-t+1)*l.D)
	var (
		ws     *workspace
		xs     [][]float64
		starts = make([]int, 0, bs)
	)
	flush := func() {
		if len(starts) == 0 {
			return
		}
		if ws == nil || ws.B != len(starts) {
			ws = newWorkspace(l, len(starts), t)
		}
		xs = gather(xs, x, starts, t, l.D)
		l.forward(m.Params, ws, xs, m.Config.Mask, k)
		for b, s := range starts {
			e := flat[s*l.D : (s+1)*l.D]
			for st := range k {
				y, want := ws.y[st][b*l.D:(b+1)*l.D], xs[t-1-st][b*l.D:(b+1)*l.D]
				for j := range y {
					d := y[j] - want[j]
					e[j] += d * d
				}
			}
			for j := range e {
				e[j] = math.Sqrt(e[j] / float64(k))
			}
			out[s+t-1] = e
		}
		starts = starts[:0]
	}
	for s := 0; s+t <= len(rows); s++ {
		starts = append(starts, s)
		if len(starts) == bs {
			flush()
		}
	}
	flush()
	return out
}

// FitErrScale sets ErrScale to each feature's RMS error over the rows for
// which use is true: the typical error on held-out normal data.
func (m *Model) FitErrScale(rows [][]float64, use []bool) {
	errs := m.FeatureErrors(rows)
	scale := make([]float64, len(m.Norm.Mean))
	n := 0.0
	for i, e := range errs {
		if e == nil || (use != nil && !use[i]) {
			continue
		}
		n++
		for j, x := range e {
			scale[j] += x * x
		}
	}
	for j := range scale {
		scale[j] = math.Sqrt(scale[j] / math.Max(n, 1))
		if scale[j] < 1e-9 {
			scale[j] = 1
		}
	}
	m.ErrScale = scale
}

// Threshold methods.
const (
	ThresholdMAD        = "mad"        // median + K · 1.4826 · MAD
	ThresholdMeanStd    = "meanstd"    // mean + K · standard deviation
	ThresholdPercentile = "percentile" // the K-th percentile (0–100)
	ThresholdFixed      = "fixed"      // the constant K (for scores already standardised)
)

// Threshold is a fitted flagging rule: a score above Value is flagged.
type Threshold struct {
	Method string  `json:"method"`
	K      float64 `json:"k"`
	Value  float64 `json:"value"`
	Center float64 `json:"center"` // median or mean of the fitting scores
	Spread float64 `json:"spread"` // 1.4826·MAD or standard deviation
	N      int     `json:"n"`      // scores it was fitted on
}

// FitThreshold fits method with parameter k to the scores for which use is
// true (all when use is nil). Fit it on held-out normal data: scores of rows
// the model was not trained on, with known anomalies and crises excluded.
func FitThreshold(scores []float64, use []bool, method string, k float64) (Threshold, error) {
	var v []float64
	for i, s := range scores {
		if (use == nil || use[i]) && !math.IsNaN(s) {
			v = append(v, s)
		}
	}
	th := Threshold{Method: method, K: k, N: len(v)}
	if len(v) < 2 {
		return th, fmt.Errorf("threshold: %d normal scores to fit on; need more data", len(v))
	}
	slices.Sort(v)
	switch method {
	case ThresholdMAD:
		med := quantileSorted(v, 0.5)
		dev := make([]float64, len(v))
		for i, s := range v {
			dev[i] = math.Abs(s - med)
		}
		slices.Sort(dev)
		th.Center, th.Spread = med, 1.4826*quantileSorted(dev, 0.5)
		th.Value = th.Center + k*th.Spread
	case ThresholdMeanStd:
		mean, sd := meanStd(v)
		th.Center, th.Spread = mean, sd
		th.Value = mean + k*sd
	case ThresholdFixed:
		th.Center = quantileSorted(v, 0.5)
		th.Value = k
	case ThresholdPercentile:
		if k <= 0 || k > 100 {
			return th, fmt.Errorf("threshold: percentile %g outside (0, 100]", k)
		}
		th.Center = quantileSorted(v, 0.5)
		th.Value = quantileSorted(v, k/100)
	default:
		return th, fmt.Errorf("threshold method %q: want %s, %s, %s or %s", method, ThresholdMAD, ThresholdMeanStd, ThresholdPercentile, ThresholdFixed)
	}
	return th, nil
}

// quantileSorted interpolates the q-quantile of sorted v.
func quantileSorted(v []float64, q float64) float64 {
	pos := q * float64(len(v)-1)
	i := int(pos)
	if i >= len(v)-1 {
		return v[len(v)-1]
	}
	f := pos - float64(i)
	return v[i]*(1-f) + v[i+1]*f
}

func meanStd(v []float64) (mean, sd float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / math.Max(float64(len(v)-1), 1))
}

// Flags marks rows whose score exceeds th.Value, from row first on (rows
// before it have no score). With cooldown > 0 a flag silences the next
// cooldown rows, so one event raises one flag rather than a run of them.
func Flags(scores []float64, th float64, first, cooldown int) []bool {
	out := make([]bool, len(scores))
	quiet := 0
	for i := first; i < len(scores); i++ {
		if quiet > 0 {
			quiet--
			continue
		}
		if scores[i] > th {
			out[i] = true
			quiet = cooldown
		}
	}
	return out
}
