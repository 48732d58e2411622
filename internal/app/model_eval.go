package app

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/wealthalloc/wealthalloc/internal/demo"
	"github.com/wealthalloc/wealthalloc/internal/ml"
)

// EvalOptions tune the model evaluations.
type EvalOptions struct {
	Config   ml.Config
	Method   string  // threshold method (default mad)
	K        float64 // 0: ml.DefaultsFor the series
	Cooldown int     // <0: ml.DefaultsFor the series
	Progress func(ml.EpochStats)
}

func (o EvalOptions) apply(times []string, base ml.Options) ml.Options {
	k, cd := ml.DefaultsFor(times)
	if o.K != 0 {
		k = o.K
	}
	if o.Cooldown >= 0 {
		cd = o.Cooldown
	}
	base.Config, base.Method, base.K, base.Cooldown = o.Config, o.Method, k, cd
	// At most about 2,500 training windows: long intraday series use a stride.
	if base.Config.Stride == 0 {
		base.Config.Stride = max(1, len(times)/2/2500+1)
	}
	return base
}

// EvalNAB fits on the first half of a Numenta Anomaly Benchmark series and
// scores the model and every baseline against its labelled windows.
// key is the series' entry in the labels and windows files; "" derives it
// from the file name (realKnownCause/<name>.csv is tried first).
func EvalNAB(ctx context.Context, name string, series, labels, windows []byte, key string, opt EvalOptions) (ml.EvalReport, error) {
	s, err := ml.ParseNAB(bytes.NewReader(series), path.Base(name))
	if err != nil {
		return ml.EvalReport{}, err
	}
	if key == "" {
		key = nabKey(labels, path.Base(name))
	}
	pts, wins, err := ml.NABLabels(labels, windows, key)
	if err != nil {
		return ml.EvalReport{}, err
	}
	spans, err := ml.NABSpans(s, pts, wins)
	if err != nil {
		return ml.EvalReport{}, err
	}
	mo := opt.apply(s.Times, ml.Options{Period: -1})
	rep, _, err := ml.EvalSeries(ctx, s, nil, spans, mo, opt.Progress)
	rep.Series = key
	return rep, err
}

// nabKey finds the labels entry whose file name is base.
func nabKey(labels []byte, base string) string {
	i := bytes.Index(labels, []byte("/"+base+"\""))
	if i < 0 {
		return base
	}
	j := bytes.LastIndexByte(labels[:i], '"')
	return string(labels[j+1:i]) + "/" + base
}

// EvalInjected plants seeded anomalies (one-day 7–10% shocks, five-day
// volatility bursts, volume spikes on a synthetic volume series: the bundled
// prices have none) in the second half of a bundled demo price series, fits
// on the first half with known crises excluded, and scores every detector
// against the injected windows plus the known crises.
func EvalInjected(ctx context.Context, symbol string, seed uint64, opt EvalOptions) (ml.EvalReport, error) {
	all, err := ml.ParseWideCloses(bytes.NewReader(demo.Prices))
	if err != nil {
		return ml.EvalReport{}, err
	}
	s, ok := all[strings.ToUpper(symbol)]
	if !ok {
		return ml.EvalReport{}, fmt.Errorf("no bundled prices for %s: choose AAPL, GSPC, IBM, MSFT or SBUX", symbol)
	}
	crises := ml.CrisisSpans(s.Times)
	inj, spans := ml.Inject(s, seed, ml.InjectOptions{Shocks: 4, Bursts: 3, VolumeSpikes: 3, From: len(s.Values) / 2, Avoid: crises})
	spans = append(spans, crises...)
	mo := opt.apply(inj.Times, ml.Options{Exclude: ml.ExcludeSpans(len(inj.Values), spans)})
	var bench []float64
	if s.Name != "GSPC" {
		bench = all["GSPC"].Values
	}
	rep, _, err := ml.EvalSeries(ctx, inj, bench, spans, mo, opt.Progress)
	rep.Series = fmt.Sprintf("%s (bundled closes, seed %d: 4 shocks, 3 volatility bursts, 3 volume spikes, known crises)", s.Name, seed)
	return rep, err
}
