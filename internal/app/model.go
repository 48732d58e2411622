package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/ml"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// ModelPrefix names the per-symbol anomaly models in model_artifacts.
const ModelPrefix = "lstm-ae/"

// ModelName is the model_artifacts name of symbol's anomaly model.
func ModelName(symbol string) string { return ModelPrefix + symbol }

// DefaultBenchmarks are tried in order when no benchmark is named: the
// first with stored prices is used (GSPC is the S&P 500 in the demo data).
var DefaultBenchmarks = []string{"SPY", "VOO", "IVV", "GSPC"}

// ErrNoModel means a symbol has no trained model yet.
var ErrNoModel = errors.New("no trained model")

// TrainModelsOptions tune TrainModels.
type TrainModelsOptions struct {
	Symbols   []string // default: the portfolio's holdings
	Benchmark string   // "" picks from DefaultBenchmarks; "none" trains without one
	AsOf      portfolio.Date
	Config    ml.Config
	Workers   int // symbols trained at once (≤0: one per core)
	// Progress sees every epoch of every symbol (called from several
	// goroutines, serialised here).
	Progress func(ml.EpochStats)
}

// TrainedModel reports one stored model.
type TrainedModel struct {
	Symbol     string        `json:"symbol"`
	Version    int64         `json:"version"`
	ArtifactID string        `json:"artifact_id"`
	Benchmark  string        `json:"benchmark"`
	Features   []string      `json:"features"`
	From       string        `json:"from"`
	To         string        `json:"to"`
	Epochs     int           `json:"epochs"`
	BestEpoch  int           `json:"best_epoch"`
	TrainLoss  float64       `json:"train_loss"`
	ValLoss    float64       `json:"val_loss"`
	Windows    int           `json:"train_windows"`
	Threshold  ml.Threshold  `json:"threshold"`
	Took       time.Duration `json:"-"`
	Artifact   []byte        `json:"-"`
}

// priceSeries loads symbol's stored bars up to asOf as an ml.Series of
// adjusted closes (closes where no adjusted close is stored), with volume
// when every bar has one.
func (p *Portfolio) priceSeries(ctx context.Context, symbol string, asOf portfolio.Date) (ml.Series, error) {
	bars, err := p.Store.Bars(ctx, symbol, 0, asOf)
	if err != nil {
		return ml.Series{}, err
	}
	s := ml.Series{Name: symbol}
	vol := make([]float64, 0, len(bars))
	for _, b := range bars {
		px := b.Close
		if b.AdjClose.Valid {
			px = b.AdjClose.Decimal
		}
		f, _ := px.Float64()
		if f <= 0 {
			continue
		}
		s.Times = append(s.Times, b.Date.String())
		s.Values = append(s.Values, f)
		if vol != nil && b.Volume.Valid {
			v, _ := b.Volume.Decimal.Float64()
			vol = append(vol, v)
		} else {
			vol = nil
		}
	}
	if vol != nil && len(vol) == len(s.Values) {
		s.Volume = vol
	}
	return s, nil
}

// alignBenchmark restricts s to the dates the benchmark also has and returns
// the benchmark's values on them.
func alignBenchmark(s, bench ml.Series) (ml.Series, []float64) {
	idx := make(map[string]int, len(bench.Times))
	for i, t := range bench.Times {
		idx[t] = i
	}
	out := ml.Series{Name: s.Name}
	var b []float64
	for i, t := range s.Times {
		j, ok := idx[t]
		if !ok {
			continue
		}
		out.Times = append(out.Times, t)
		out.Values = append(out.Values, s.Values[i])
		if s.Volume != nil {
			out.Volume = append(out.Volume, s.Volume[i])
		}
		b = append(b, bench.Values[j])
	}
	return out, b
}

// resolveBenchmark picks the benchmark symbol: the named one, or the first
// of DefaultBenchmarks with prices; "" when none (or "none" was asked for).
func (p *Portfolio) resolveBenchmark(ctx context.Context, name string) (string, error) {
	if strings.EqualFold(name, "none") {
		return "", nil
	}
	have, err := p.Store.PriceSymbols(ctx)
	if err != nil {
		return "", err
	}
	if name != "" {
		if !slices.Contains(have, name) {
			return "", fmt.Errorf("benchmark %s has no stored prices: import or download them, or pass --benchmark none", name)
		}
		return name, nil
	}
	for _, b := range DefaultBenchmarks {
		if slices.Contains(have, b) {
			return b, nil
		}
	}
	return "", nil
}

// heldSymbols lists the portfolio's current holdings.
func (p *Portfolio) heldSymbols(ctx context.Context) ([]string, error) {
	hs, err := p.Store.Holdings(ctx, p.PortfolioID)
	if err != nil {
		return nil, fmt.Errorf("list holdings: %w", err)
	}
	var out []string
	for _, h := range hs {
		if !slices.Contains(out, h.Symbol) {
			out = append(out, h.Symbol)
		}
	}
	slices.Sort(out)
	return out, nil
}

// modelInput is a symbol's series (aligned with the benchmark, if any).
func (p *Portfolio) modelInput(ctx context.Context, symbol, benchmark string, asOf portfolio.Date) (ml.Series, []float64, error) {
	s, err := p.priceSeries(ctx, symbol, asOf)
	if err != nil {
		return s, nil, err
	}
	if len(s.Values) == 0 {
		return s, nil, fmt.Errorf("%s has no stored prices: import them (wealthalloc import prices) or download them (wealthalloc history)", symbol)
	}
	if benchmark == "" || benchmark == symbol {
		return s, nil, nil
	}
	b, err := p.priceSeries(ctx, benchmark, asOf)
	if err != nil {
		return s, nil, err
	}
	s, bv := alignBenchmark(s, b)
	return s, bv, nil
}

// TrainModels fits one anomaly model per symbol, several at once, and
// stores each as the next version of its model_artifacts entry. Known
// market crises are left out of training and threshold fitting.
func (p *Portfolio) TrainModels(ctx context.Context, opt TrainModelsOptions) ([]TrainedModel, error) {
	syms := opt.Symbols
	if len(syms) == 0 {
		var err error
		if syms, err = p.heldSymbols(ctx); err != nil {
			return nil, err
		}
		if len(syms) == 0 {
			return nil, errors.New("no holdings to train on: name symbols with --symbols")
		}
	}
	bench, err := p.resolveBenchmark(ctx, opt.Benchmark)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	progress := func(s ml.EpochStats) {
		if opt.Progress != nil {
			mu.Lock()
			defer mu.Unlock()
			opt.Progress(s)
		}
	}
	type job struct {
		s  ml.Series
		bv []float64
	}
	jobs := make([]job, len(syms))
	for i, sym := range syms {
		s, bv, err := p.modelInput(ctx, sym, bench, opt.AsOf)
		if err != nil {
			return nil, err
		}
		jobs[i] = job{s, bv}
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = max(1, min(len(jobs), runtimeCores()))
	}
	out := make([]TrainedModel, len(jobs))
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			start := time.Now()
			crises := ml.CrisisSpans(j.s.Times)
			d, err := ml.Fit(ctx, j.s, j.bv, ml.Options{Config: opt.Config, TrainFrac: 1, Cooldown: 5,
				Exclude: ml.ExcludeSpans(len(j.s.Values), crises)}, progress)
			if err != nil {
				errs[i] = err
				return
			}
			art, err := d.Marshal()
			if err != nil {
				errs[i] = err
				return
			}
			m := d.Model
			out[i] = TrainedModel{Symbol: j.s.Name, Benchmark: bench, Features: m.Features, From: m.Meta.From, To: m.Meta.To,
				Epochs: m.Meta.Epochs, BestEpoch: m.Meta.BestEpoch, TrainLoss: m.Meta.TrainLoss, ValLoss: m.Meta.ValLoss,
				Windows: m.Meta.TrainWindows, Threshold: m.Threshold, Took: time.Since(start), Artifact: art}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i := range out {
		t := &out[i]
		params := fmt.Sprintf(`{"config":%s,"benchmark":%q}`, mustJSON(opt.Config.Defaults()), t.Benchmark)
		metrics := fmt.Sprintf(`{"train_loss":%g,"val_loss":%g,"epochs":%d,"best_epoch":%d,"threshold":%g,"from":%q,"to":%q}`,
			t.TrainLoss, t.ValLoss, t.Epochs, t.BestEpoch, t.Threshold.Value, t.From, t.To)
		a, err := p.Store.SaveModelArtifact(ctx, store.ModelArtifact{Name: ModelName(t.Symbol),
			Format: fmt.Sprintf("%s/%d", ml.ArtifactFormat, ml.ArtifactVersion), Params: params, Metrics: metrics, Weights: t.Artifact})
		if err != nil {
			return nil, err
		}
		t.Version, t.ArtifactID = a.Version, a.ID
		if err := p.Store.AppendEvent(ctx, store.Event{UserID: p.UserID, PortfolioID: p.PortfolioID, Kind: "model.trained",
			Subject: a.ID, Data: map[string]any{"name": a.Name, "version": a.Version, "val_loss": t.ValLoss, "threshold": t.Threshold.Value}}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// BaselineDay is one baseline's verdict on a day (Flag with the same
// cooldown as the model's).
type BaselineDay struct {
	Score float64 `json:"score"`
	Flag  bool    `json:"flag"`
}

// AnomalyDay is every detector's verdict on one day.
type AnomalyDay struct {
	Date  portfolio.Date `json:"date"`
	Score float64        `json:"score"` // the model's
	Above bool           `json:"above"` // Score > the model's threshold
	// Flag is Above, except that a flag silences the next 5 days (one
	// event, one flag): what the evaluation counts.
	Flag      bool                   `json:"flag"`
	Baselines map[string]BaselineDay `json:"baselines"`
}

// Agreeing counts the baselines that flag the day too.
func (d AnomalyDay) Agreeing() int {
	n := 0
	for _, b := range d.Baselines {
		if b.Flag {
			n++
		}
	}
	return n
}

// SymbolAnomalies is the anomaly record of one symbol: what a
// recommendations layer reads. Days run from the first scored day to asOf.
type SymbolAnomalies struct {
	Symbol             string                  `json:"symbol"`
	ArtifactID         string                  `json:"artifact_id"`
	Version            int64                   `json:"version"`
	Benchmark          string                  `json:"benchmark"`
	TrainedTo          string                  `json:"trained_to"`
	Threshold          ml.Threshold            `json:"threshold"`
	BaselineThresholds map[string]ml.Threshold `json:"baseline_thresholds"`
	Days               []AnomalyDay            `json:"days"`
}

// Flagged returns the days the model flagged.
func (a SymbolAnomalies) Flagged() []AnomalyDay {
	out := []AnomalyDay{}
	for _, d := range a.Days {
		if d.Flag {
			out = append(out, d)
		}
	}
	return out
}

// LoadDetector returns the newest stored model of symbol and its artifact.
func (p *Portfolio) LoadDetector(ctx context.Context, symbol string) (*ml.Detector, store.ModelArtifact, error) {
	a, err := p.Store.LatestModelArtifact(ctx, ModelName(symbol))
	if errors.Is(err, store.ErrNotFound) {
		return nil, a, fmt.Errorf("%w for %s: run \"wealthalloc model train --symbols %s\"", ErrNoModel, symbol, symbol)
	}
	if err != nil {
		return nil, a, err
	}
	d, err := ml.Unmarshal(a.Weights)
	if err != nil {
		return nil, a, fmt.Errorf("model %s v%d: %w", a.Name, a.Version, err)
	}
	return d, a, nil
}

// Anomalies scores each symbol (default: the holdings) up to asOf with its
// newest stored model and the baselines beside it, returning the days from
// from on (0: all scored days). Symbols without a model are an error
// wrapping ErrNoModel.
func (p *Portfolio) Anomalies(ctx context.Context, symbols []string, from, asOf portfolio.Date) ([]SymbolAnomalies, error) {
	if len(symbols) == 0 {
		var err error
		if symbols, err = p.heldSymbols(ctx); err != nil {
			return nil, err
		}
	}
	out := []SymbolAnomalies{}
	for _, sym := range symbols {
		d, a, err := p.LoadDetector(ctx, sym)
		if err != nil {
			return nil, err
		}
		bench := ""
		if d.HasBench {
			bench = benchmarkOf(a.Params)
		}
		s, bv, err := p.modelInput(ctx, sym, bench, asOf)
		if err != nil {
			return nil, err
		}
		if d.HasBench && bv == nil {
			return nil, fmt.Errorf("model %s v%d was trained against %s, which has no stored prices", a.Name, a.Version, bench)
		}
		// Volume must match how the model was trained; without it in the
		// model, drop it here.
		if !slices.Contains(d.Model.Features, ml.FeatVolumeZ) {
			s.Volume = nil
		}
		res, err := d.Detect(s, bv)
		if err != nil {
			return nil, err
		}
		sa := SymbolAnomalies{Symbol: sym, ArtifactID: a.ID, Version: a.Version, Benchmark: bench, TrainedTo: d.Model.Meta.To,
			Threshold: res.Model.Threshold, BaselineThresholds: map[string]ml.Threshold{}, Days: []AnomalyDay{}}
		for name, b := range res.Baselines {
			sa.BaselineThresholds[name] = b.Threshold
		}
		for i := res.Start; i < len(s.Times); i++ {
			date, err := portfolio.ParseDate(s.Times[i])
			if err != nil {
				return nil, err
			}
			if date < from {
				continue
			}
			day := AnomalyDay{Date: date, Score: res.Model.Scores[i], Above: res.Model.Scores[i] > res.Model.Threshold.Value,
				Flag: res.Model.Flags[i], Baselines: map[string]BaselineDay{}}
			for name, b := range res.Baselines {
				day.Baselines[name] = BaselineDay{Score: b.Scores[i], Flag: b.Flags[i]}
			}
			sa.Days = append(sa.Days, day)
		}
		out = append(out, sa)
	}
	return out, nil
}
