package ml

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// Detector names.
const (
	DetModel     = "model"
	DetZScore    = "rolling_zscore"
	DetVolRatio  = "volatility_ratio"
	DetIsoForest = "isolation_forest"
)

// Baselines are the detectors always computed beside the model.
var Baselines = []string{DetZScore, DetVolRatio, DetIsoForest}

// Detection is one detector's verdict on a series: a score per series
// index (0 where it has none), the flags and the threshold that made them.
type Detection struct {
	Scores    []float64 `json:"scores"`
	Flags     []bool    `json:"flags"`
	Threshold Threshold `json:"threshold"`
}

// FlagIndexes lists the flagged series indexes.
func (d Detection) FlagIndexes() []int {
	out := []int{}
	for i, f := range d.Flags {
		if f {
			out = append(out, i)
		}
	}
	return out
}

// Options configure Fit.
type Options struct {
	Config    Config
	TrainFrac float64 // oldest fraction of the series used to fit (default 0.5)
	Period    int     // seasonal period; −1 detects it, 0 none
	Method    string  // threshold method (default mad)
	K         float64 // threshold parameter (default 6 for mad, 4 for meanstd, 99.5 for percentile)
	Cooldown  int     // rows a flag silences after it (0: none)
	Trees     int     // isolation-forest trees (default 100)
	Aggregate string  // how feature errors combine: rms (default) or max
	// BaselineRules override the baselines' own threshold rules
	// (DefaultBaselineRules); Method and K apply to the model only.
	BaselineRules map[string]Rule
	// Exclude marks series indexes known to be abnormal (labelled anomalies,
	// known crises): never trained on, never used to fit a threshold.
	Exclude []bool
}

// Rule is a threshold rule: a method and its parameter.
type Rule struct {
	Method string  `json:"method"`
	K      float64 `json:"k"`
}

// DefaultBaselineRules are the baselines' threshold rules, each as that
// detector is usually built and none tuned on labelled data. Each is
// applied to the detector's own scores on the same held-out normal data
// the model's threshold is fitted on.
//   - rolling z-score: the three-sigma rule, |z| > 3 (the score is already
//     standardised, so the threshold is the constant 3);
//   - volatility ratio: three sigma on its own held-out normal scores,
//     mean + 3·sd;
//   - isolation forest: contamination 1%, the 99th percentile of its
//     held-out normal scores (as scikit-learn's contamination parameter).
var DefaultBaselineRules = map[string]Rule{
	DetZScore:    {Method: ThresholdFixed, K: 3},
	DetVolRatio:  {Method: ThresholdMeanStd, K: 3},
	DetIsoForest: {Method: ThresholdPercentile, K: 99},
}

func (o Options) defaults() Options {
	if o.TrainFrac == 0 {
		o.TrainFrac = 0.5
	}
	if o.Method == "" {
		o.Method = ThresholdMAD
	}
	if o.K == 0 {
		switch o.Method {
		case ThresholdMeanStd:
			o.K = 4
		case ThresholdPercentile:
			o.K = 99.5
		default:
			o.K = 6
		}
	}
	if o.Trees == 0 {
		o.Trees = 100
	}
	rules := map[string]Rule{}
	for name, r := range DefaultBaselineRules {
		rules[name] = r
	}
	for name, r := range o.BaselineRules {
		rules[name] = r
	}
	o.BaselineRules = rules
	return o
}

// Detector is a fitted model and its baselines for one series: what is
// saved and later scores new data.
type Detector struct {
	Model     *Model               `json:"model"`
	Baselines map[string]Threshold `json:"baselines"`
	Forest    *IsolationForest     `json:"forest"`
	Period    int                  `json:"period"`
	Cooldown  int                  `json:"cooldown"`
	HasBench  bool                 `json:"has_bench"`
}

// Fit trains the autoencoder on the oldest TrainFrac of s (excluded rows
// left out), fits the isolation forest on the same rows, and fits every
// threshold on held-out normal data: the newest ValFrac of the fitting range,
// which the weights never trained on. bench may be nil.
func Fit(ctx context.Context, s Series, bench []float64, opt Options, progress func(EpochStats)) (*Detector, error) {
	opt = opt.defaults()
	period := opt.Period
	if period < 0 {
		period = DetectPeriod(s.Values, 1000)
	}
	fs := Features(s, bench, period)
	cfg := opt.Config.Defaults()
	n := len(s.Values)
	fitEnd := int(float64(n) * opt.TrainFrac)
	if fitEnd-fs.Start < 3*cfg.Window {
		return nil, fmt.Errorf("%s: %d points leave %d to train on; need at least %d", s.Name, n, max(fitEnd-fs.Start, 0), 3*cfg.Window)
	}
	rows := fs.Rows[:fitEnd-fs.Start]
	excl := make([]bool, len(rows))
	if opt.Exclude != nil {
		for i := range excl {
			excl[i] = opt.Exclude[fs.Start+i]
		}
	}
	set := TrainSet{Name: s.Name, Features: fs.Names, Rows: rows, Exclude: excl, From: s.Times[fs.Start], To: s.Times[fitEnd-1]}
	m, err := Train(ctx, cfg, set, progress)
	if err != nil {
		return nil, err
	}
	// Held-out normal rows: after the last training window, not excluded.
	valFrom := fs.Start + int(float64(len(rows))*(1-cfg.ValFrac))
	held := make([]bool, n)
	for i := valFrom; i < fitEnd; i++ {
		held[i] = opt.Exclude == nil || !opt.Exclude[i]
	}
	m.Aggregate = opt.Aggregate
	m.Scored = make([]bool, len(fs.Names))
	for i, n := range fs.Names {
		m.Scored[i] = n != FeatRet && n != FeatAbsRet && n != FeatResid
	}
	heldRows := make([]bool, len(fs.Rows))
	for i := range heldRows {
		heldRows[i] = held[fs.Start+i]
	}
	m.FitErrScale(fs.Rows, heldRows)
	d := &Detector{Model: m, Baselines: map[string]Threshold{}, Period: period, Cooldown: opt.Cooldown, HasBench: bench != nil}
	var normal [][]float64
	for i, r := range m.Norm.Apply(rows) {
		if !excl[i] {
			normal = append(normal, r)
		}
	}
	d.Forest = FitIsolationForest(normal, opt.Trees, 256, cfg.Seed)
	scores := d.scores(s, fs)
	for name, sc := range scores {
		method, k := opt.Method, opt.K
		if name != DetModel {
			method, k = opt.BaselineRules[name].Method, opt.BaselineRules[name].K
		}
		th, err := FitThreshold(sc, held, method, k)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", s.Name, name, err)
		}
		if name == DetModel {
			m.Threshold = th
		} else {
			d.Baselines[name] = th
		}
	}
	return d, nil
}

// scores computes every detector's score per series index.
func (d *Detector) scores(s Series, fs FeatureSet) map[string][]float64 {
	n := len(s.Values)
	out := map[string][]float64{}
	place := func(rowScores []float64) []float64 {
		v := make([]float64, n)
		copy(v[fs.Start:], rowScores)
		return v
	}
	ms := d.Model.Score(fs.Rows)
	// The first Window−1 rows have no full window.
	for i := range min(d.Model.Config.Window-1, len(ms)) {
		ms[i] = 0
	}
	out[DetModel] = place(ms)
	out[DetIsoForest] = place(d.Forest.Score(d.Model.Norm.Apply(fs.Rows)))
	z, vr := make([]float64, n), make([]float64, n)
	for t := fs.Start; t < n; t++ {
		sd := trailingSD(fs.Ret, t-volWindow, t)
		z[t] = math.Abs(fs.Ret[t]-trailingMean(fs.Ret, t-volWindow, t)) / sd
		vr[t] = trailingSD(fs.Ret, t-burst+1, t+1) / trailingSD(fs.Ret, t-burst-volWindow+1, t-burst+1)
	}
	out[DetZScore], out[DetVolRatio] = z, vr
	return out
}

// Result is every detector's verdict on one series.
type Result struct {
	Name      string
	Times     []string
	Start     int // first index with a score
	Model     Detection
	Baselines map[string]Detection
}

// Detect scores s with the fitted model and baselines. bench must be given
// if and only if the detector was fitted with one.
func (d *Detector) Detect(s Series, bench []float64) (Result, error) {
	if (bench != nil) != d.HasBench {
		return Result{}, fmt.Errorf("%s: the model was fitted %s a benchmark", s.Name, map[bool]string{true: "with", false: "without"}[d.HasBench])
	}
	if (s.Volume != nil) != hasFeature(d.Model.Features, FeatVolumeZ) {
		return Result{}, fmt.Errorf("%s: volume present %v, but the model was fitted with volume %v", s.Name, s.Volume != nil, !(s.Volume != nil))
	}
	fs := Features(s, bench, d.Period)
	res := Result{Name: s.Name, Times: s.Times, Start: fs.Start + d.Model.Config.Window - 1, Baselines: map[string]Detection{}}
	for name, sc := range d.scores(s, fs) {
		th := d.Model.Threshold
		if name != DetModel {
			th = d.Baselines[name]
		}
		first := fs.Start
		if name == DetModel {
			first = res.Start
		}
		det := Detection{Scores: sc, Flags: Flags(sc, th.Value, first, d.Cooldown), Threshold: th}
		if name == DetModel {
			res.Model = det
		} else {
			res.Baselines[name] = det
		}
	}
	return res, nil
}

func hasFeature(names []string, f string) bool {
	for _, n := range names {
		if n == f {
			return true
		}
	}
	return false
}

// Span is a labelled anomaly window over series indexes [From, To].
type Span struct {
	From, To int
	Label    string
}

// Metrics score flags against labelled windows: a window is detected when any
// flag falls inside it, and each flag outside every window is a false
// positive.
type Metrics struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Threshold float64 `json:"threshold"`
	Flags     int     `json:"flags"`
	Detected  int     `json:"detected"`
	Windows   int     `json:"windows"`
	FalsePos  int     `json:"false_positives"`
}

// Evaluate applies the scoring rule to one detection.
func Evaluate(d Detection, spans []Span) Metrics {
	m := Metrics{Threshold: d.Threshold.Value, Windows: len(spans)}
	inside := make([]bool, len(d.Flags))
	for _, sp := range spans {
		hit := false
		for i := max(sp.From, 0); i <= sp.To && i < len(d.Flags); i++ {
			inside[i] = true
			hit = hit || d.Flags[i]
		}
		if hit {
			m.Detected++
		}
	}
	for i, f := range d.Flags {
		if f {
			m.Flags++
			if !inside[i] {
				m.FalsePos++
			}
		}
	}
	if m.Detected+m.FalsePos > 0 {
		m.Precision = float64(m.Detected) / float64(m.Detected+m.FalsePos)
	}
	if len(spans) > 0 {
		m.Recall = float64(m.Detected) / float64(len(spans))
	}
	if m.Precision+m.Recall > 0 {
		m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
	}
	return m
}

// ExcludeSpans marks the indexes inside spans.
func ExcludeSpans(n int, spans []Span) []bool {
	out := make([]bool, n)
	for _, sp := range spans {
		for i := max(sp.From, 0); i <= sp.To && i < n; i++ {
			out[i] = true
		}
	}
	return out
}

// DefaultsFor picks the model's threshold parameter and the cooldown for a
// series. The rule looks at the sampling interval only, never at labels:
// MAD k = 6 at every interval; a cooldown of 5 rows (a trading week) for
// daily (or slower) data and one day of rows for intraday data, so one
// event raises one flag. k = 6 was chosen by a sweep on the bundled price
// series with injection seeds 1–3 (docs/model.md), never on NAB data.
func DefaultsFor(times []string) (k float64, cooldown int) {
	ts, err := ParseNABTimes(times)
	if err != nil || len(ts) < 3 {
		return 6, 5
	}
	gaps := make([]time.Duration, 0, len(ts)-1)
	for i := 1; i < len(ts); i++ {
		gaps = append(gaps, ts[i].Sub(ts[i-1]))
	}
	slices.Sort(gaps)
	step := gaps[len(gaps)/2]
	if step <= 0 || step >= 20*time.Hour {
		return 6, 5
	}
	return 6, int(24 * time.Hour / step)
}
