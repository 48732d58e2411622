package ml

import (
	"context"
	"fmt"
	"time"
)

// EvalScore is one detector's line in an evaluation. Its JSON keys are the
// documented shape of `wealthalloc model eval -o json`.
type EvalScore struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Threshold float64 `json:"threshold"`
	Flags     int     `json:"flags"`
	// The rule that fitted the threshold: method (mad, meanstd, percentile,
	// fixed) and its parameter.
	Method string  `json:"method"`
	K      float64 `json:"k"`
	// Not in the JSON: detail for tables.
	Detected int `json:"-"`
	Windows  int `json:"-"`
	FalsePos int `json:"-"`
}

// EvalReport compares the model with every baseline on one labelled series.
type EvalReport struct {
	Series    string               `json:"series"`
	Model     EvalScore            `json:"model"`
	Baselines map[string]EvalScore `json:"baselines"`
}

func evalScore(d Detection, spans []Span) EvalScore {
	m := Evaluate(d, spans)
	return EvalScore{Precision: m.Precision, Recall: m.Recall, F1: m.F1, Threshold: m.Threshold, Flags: m.Flags,
		Method: d.Threshold.Method, K: d.Threshold.K,
		Detected: m.Detected, Windows: m.Windows, FalsePos: m.FalsePos}
}

// EvalSeries fits on s (labelled windows excluded from fitting) and scores
// every detector against spans.
func EvalSeries(ctx context.Context, s Series, bench []float64, spans []Span, opt Options, progress func(EpochStats)) (EvalReport, *Detector, error) {
	if opt.Exclude == nil {
		opt.Exclude = ExcludeSpans(len(s.Values), spans)
	}
	d, err := Fit(ctx, s, bench, opt, progress)
	if err != nil {
		return EvalReport{}, nil, err
	}
	res, err := d.Detect(s, bench)
	if err != nil {
		return EvalReport{}, nil, err
	}
	rep := EvalReport{Series: s.Name, Model: evalScore(res.Model, spans), Baselines: map[string]EvalScore{}}
	for name, det := range res.Baselines {
		rep.Baselines[name] = evalScore(det, spans)
	}
	return rep, d, nil
}

// NABSpans maps NAB windows (or, without windows, each label ± half a
// window of 10% of the series divided among the labels, as NAB does) onto
// series indexes.
func NABSpans(s Series, labels []time.Time, wins []Window) ([]Span, error) {
	ts, err := ParseNABTimes(s.Times)
	if err != nil {
		return nil, err
	}
	if wins == nil && len(labels) > 0 {
		half := len(ts) / 10 / len(labels) / 2
		for _, l := range labels {
			i := searchTime(ts, l)
			lo, hi := max(i-half, 0), min(i+half, len(ts)-1)
			wins = append(wins, Window{Start: ts[lo], End: ts[hi]})
		}
	}
	var spans []Span
	for _, w := range wins {
		from, to := searchTime(ts, w.Start), searchTime(ts, w.End.Add(time.Nanosecond))-1
		if to < from {
			return nil, fmt.Errorf("window %s..%s holds no point of the series", w.Start, w.End)
		}
		spans = append(spans, Span{From: from, To: to, Label: w.Start.Format("2006-01-02 15:04")})
	}
	return spans, nil
}

// searchTime is the first index with ts[i] ≥ t.
func searchTime(ts []time.Time, t time.Time) int {
	lo, hi := 0, len(ts)
	for lo < hi {
		m := (lo + hi) / 2
		if ts[m].Before(t) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
