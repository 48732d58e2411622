package ml

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"testing"

	"github.com/wealthalloc/wealthalloc/internal/demo"
)

func loadNYC(t testing.TB) (Series, []Span) {
	t.Helper()
	raw, err := os.ReadFile("testdata/nab/nyc_taxi.csv")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseNAB(bytes.NewReader(raw), "nyc_taxi")
	if err != nil {
		t.Fatal(err)
	}
	lab, _ := os.ReadFile("testdata/nab/combined_labels.json")
	win, _ := os.ReadFile("testdata/nab/combined_windows.json")
	labels, wins, err := NABLabels(lab, win, "realKnownCause/nyc_taxi.csv")
	if err != nil {
		t.Fatal(err)
	}
	spans, err := NABSpans(s, labels, wins)
	if err != nil {
		t.Fatal(err)
	}
	return s, spans
}

func printReport(t testing.TB, r EvalReport) {
	line := func(name string, e EvalScore) string {
		return fmt.Sprintf("%-17s P %.3f R %.3f F1 %.3f thr %.4g flags %d (%d/%d windows, %d FP)", name, e.Precision, e.Recall, e.F1, e.Threshold, e.Flags, e.Detected, e.Windows, e.FalsePos)
	}
	t.Log(r.Series)
	t.Log(line("model", r.Model))
	names := make([]string, 0, len(r.Baselines))
	for n := range r.Baselines {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Log(line(n, r.Baselines[n]))
	}
}

// TestExperiment prints the comparison tables; run with ML_EXPERIMENT=1.
func TestExperiment(t *testing.T) {
	if os.Getenv("ML_EXPERIMENT") == "" {
		t.Skip("set ML_EXPERIMENT=1")
	}
	opt := Options{Config: Config{Window: 30, Hidden: 16, Epochs: 15, Mask: 1, MaskWeight: 5, Seed: 1}, Period: -1}
	s, spans := loadNYC(t)
	rep, d, err := EvalSeries(t.Context(), s, nil, spans, opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("period %d, epochs %d", d.Period, d.Model.Meta.Epochs)
	printReport(t, rep)
}

func sweep(t *testing.T, s Series, bench []float64, spans []Span, opt Options) {
	opt.Exclude = ExcludeSpans(len(s.Values), spans)
	sweepEx(t, s, bench, spans, opt)
}

func sweepEx(t *testing.T, s Series, bench []float64, spans []Span, opt Options) {
	opt = opt.defaults()
	d, err := Fit(t.Context(), s, bench, opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Detect(s, bench)
	if err != nil {
		t.Fatal(err)
	}
	n := len(s.Values)
	fitEnd := int(float64(n) * opt.TrainFrac)
	held := make([]bool, n)
	for i := fitEnd - int(float64(fitEnd)*opt.Config.Defaults().ValFrac); i < fitEnd; i++ {
		held[i] = !opt.Exclude[i]
	}
	all := map[string]Detection{DetModel: res.Model}
	for k, v := range res.Baselines {
		all[k] = v
	}
	for _, cd := range []int{5} {
		for _, k := range []float64{6, 8, 12} {
			line := fmt.Sprintf("cd %2d k %4.1f:", cd, k)
			for _, name := range []string{DetModel, DetZScore, DetVolRatio, DetIsoForest} {
				th, _ := FitThreshold(all[name].Scores, held, ThresholdMAD, k)
				first := res.Start
				det := Detection{Scores: all[name].Scores, Flags: Flags(all[name].Scores, th.Value, first, cd), Threshold: th}
				m := Evaluate(det, spans)
				line += fmt.Sprintf("  %s %.2f(%d/%d,%d)", name[:5], m.F1, m.Detected, m.Windows, m.FalsePos)
			}
			t.Log(line)
		}
	}
}

func TestSweep(t *testing.T) {
	if os.Getenv("ML_EXPERIMENT") == "" {
		t.Skip("set ML_EXPERIMENT=1")
	}
	opt := Options{Config: Config{Window: 30, Hidden: 16, Epochs: 10, Mask: 1, MaskWeight: 5, Seed: 1, Stride: 2}, Period: -1, Aggregate: os.Getenv("AGG")}
	s, spans := loadNYC(t)
	sweep(t, s, nil, spans, opt)
}

func loadPrices(t testing.TB) map[string]Series {
	t.Helper()
	// The demo's bundled closes (MIT, see internal/demo/PROVENANCE.md).
	all, err := ParseWideCloses(bytes.NewReader(demo.Prices))
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// injected returns sym's real closes with planted anomalies in the second
// half, and the labelled windows: the injections plus the known crises.
func injected(t testing.TB, sym string, seed uint64) (Series, []float64, []Span) {
	all := loadPrices(t)
	s := all[sym]
	crises := CrisisSpans(s.Times)
	inj, spans := Inject(s, seed, InjectOptions{Shocks: 4, Bursts: 3, VolumeSpikes: 3, From: len(s.Values) / 2, Avoid: crises})
	spans = append(spans, crises...)
	return inj, all["GSPC"].Values, spans
}

func TestSweepInjected(t *testing.T) {
	if os.Getenv("ML_EXPERIMENT") == "" {
		t.Skip("set ML_EXPERIMENT=1")
	}
	for _, sym := range []string{"AAPL", "MSFT", "IBM", "SBUX"} {
		s, bench, spans := injected(t, sym, 1)
		t.Log(sym, len(spans), "windows")
		all := loadPrices(t)
		excl := ExcludeSpans(len(s.Values), append(CrisisSpans(all[sym].Times), spans...))
		opt := Options{Config: Config{Window: 30, Hidden: 16, Epochs: 15, Mask: 1, MaskWeight: 5, Seed: 1}, Exclude: excl, Aggregate: os.Getenv("AGG")}
		sweepEx(t, s, bench, spans, opt)
	}
}

func TestSweepIndex(t *testing.T) {
	if os.Getenv("ML_EXPERIMENT") == "" {
		t.Skip("set ML_EXPERIMENT=1")
	}
	all := loadPrices(t)
	for seed := uint64(1); seed <= 3; seed++ {
		s := all["GSPC"]
		crises := CrisisSpans(s.Times)
		inj, spans := Inject(s, seed, InjectOptions{Shocks: 4, Bursts: 3, VolumeSpikes: 3, From: len(s.Values) / 2, Avoid: crises})
		spans = append(spans, crises...)
		excl := ExcludeSpans(len(s.Values), append(crises, spans...))
		opt := Options{Config: Config{Window: 30, Hidden: 16, Epochs: 15, Mask: 1, MaskWeight: 5, Seed: 1}, Exclude: excl, Aggregate: os.Getenv("AGG")}
		t.Log("GSPC seed", seed, len(spans), "windows")
		sweepEx(t, inj, nil, spans, opt)
	}
}

func TestDiagnose(t *testing.T) {
	if os.Getenv("ML_EXPERIMENT") == "" {
		t.Skip("set ML_EXPERIMENT=1")
	}
	all := loadPrices(t)
	s := all["GSPC"]
	crises := CrisisSpans(s.Times)
	inj, spans := Inject(s, 1, InjectOptions{Shocks: 4, Bursts: 3, VolumeSpikes: 3, From: len(s.Values) / 2, Avoid: crises})
	excl := ExcludeSpans(len(s.Values), append(crises, spans...))
	opt := Options{Config: Config{Window: 30, Hidden: 16, Epochs: 15, Mask: 1, MaskWeight: 5, Seed: 1}, Exclude: excl, K: 8, Cooldown: 5}
	d, err := Fit(t.Context(), inj, nil, opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := d.Detect(inj, nil)
	fs := Features(inj, nil, 0)
	errs := d.Model.FeatureErrors(fs.Rows)
	t.Log(d.Model.Features, d.Model.ErrScale, d.Model.Threshold)
	for _, sp := range spans {
		t.Log("span", sp, inj.Times[sp.From])
	}
	in := ExcludeSpans(len(inj.Values), spans)
	for _, i := range res.Model.FlagIndexes() {
		e := errs[i-fs.Start]
		line := ""
		for j, x := range e {
			line += fmt.Sprintf(" %.1f", x/d.Model.ErrScale[j])
		}
		t.Logf("%s in=%v score %.2f:%s feats %.2f", inj.Times[i], in[i], res.Model.Scores[i], line, fs.Rows[i-fs.Start])
	}
}

func TestDiagnoseNYC(t *testing.T) {
	if os.Getenv("ML_EXPERIMENT") == "" {
		t.Skip("set ML_EXPERIMENT=1")
	}
	s, spans := loadNYC(t)
	opt := Options{Config: Config{Window: 30, Hidden: 16, Epochs: 10, Mask: 1, MaskWeight: 5, Seed: 1, Stride: 2}, Period: -1, Aggregate: os.Getenv("AGG"), K: 12, Cooldown: 5}
	opt.Exclude = ExcludeSpans(len(s.Values), spans)
	d, err := Fit(t.Context(), s, nil, opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := d.Detect(s, nil)
	fs := Features(s, nil, d.Period)
	errs := d.Model.FeatureErrors(fs.Rows)
	t.Log(d.Model.Features, d.Model.ErrScale, d.Model.Threshold)
	in := ExcludeSpans(len(s.Values), spans)
	for _, i := range res.Model.FlagIndexes() {
		e := errs[i-fs.Start]
		line := ""
		for j, x := range e {
			line += fmt.Sprintf(" %.1f", x/d.Model.ErrScale[j])
		}
		t.Logf("%s in=%v score %.2f:%s feats %.2f", s.Times[i], in[i], res.Model.Scores[i], line, fs.Rows[i-fs.Start])
	}
}
