package ml

import (
	"testing"
)

func fitSmall(t *testing.T) (*Detector, Series, []float64, []Span) {
	t.Helper()
	all := loadPrices(t)
	s := all["GSPC"]
	crises := CrisisSpans(s.Times)
	inj, spans := Inject(s, 1, InjectOptions{Shocks: 3, Bursts: 2, VolumeSpikes: 2, From: len(s.Values) / 2, Avoid: crises})
	spans = append(spans, crises...)
	opt := Options{Config: Config{Window: 20, Hidden: 6, Epochs: 3, Mask: 1, MaskWeight: 5, Seed: 3}, Exclude: ExcludeSpans(len(s.Values), spans), Cooldown: 5}
	d, err := Fit(t.Context(), inj, nil, opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d, inj, nil, spans
}

func TestSaveLoadScoresIdentical(t *testing.T) {
	d, s, bench, _ := fitSmall(t)
	before, err := d.Detect(s, bench)
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	d2, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	after, err := d2.Detect(s, bench)
	if err != nil {
		t.Fatal(err)
	}
	for i := range before.Model.Scores {
		if before.Model.Scores[i] != after.Model.Scores[i] {
			t.Fatalf("score %d: %v before save, %v after load", i, before.Model.Scores[i], after.Model.Scores[i])
		}
	}
	for name, det := range before.Baselines {
		for i := range det.Scores {
			if det.Scores[i] != after.Baselines[name].Scores[i] || det.Flags[i] != after.Baselines[name].Flags[i] {
				t.Fatalf("%s %d differs after load", name, i)
			}
		}
	}
	if before.Model.Threshold != after.Model.Threshold {
		t.Errorf("threshold %+v, after load %+v", before.Model.Threshold, after.Model.Threshold)
	}
	if _, err := Unmarshal([]byte("nonsense")); err == nil {
		t.Error("Unmarshal accepted garbage")
	}
}

func TestEvaluateRule(t *testing.T) {
	flags := make([]bool, 20)
	flags[2], flags[3], flags[10], flags[15] = true, true, true, true
	m := Evaluate(Detection{Flags: flags}, []Span{{From: 1, To: 4}, {From: 6, To: 8}})
	// Window 1 detected (two flags inside count once), window 2 missed,
	// flags at 10 and 15 are false positives.
	if m.Detected != 1 || m.FalsePos != 2 || m.Flags != 4 {
		t.Fatalf("got %+v", m)
	}
	if m.Precision != 1.0/3 || m.Recall != 0.5 {
		t.Errorf("precision %v recall %v", m.Precision, m.Recall)
	}
}

func TestInjectDeterministic(t *testing.T) {
	s := loadPrices(t)["AAPL"]
	a, sa := Inject(s, 9, InjectOptions{Shocks: 2, Bursts: 1, VolumeSpikes: 1, From: 1000})
	b, sb := Inject(s, 9, InjectOptions{Shocks: 2, Bursts: 1, VolumeSpikes: 1, From: 1000})
	if len(sa) != 4 || len(sb) != 4 {
		t.Fatalf("spans %v", sa)
	}
	for i := range a.Values {
		if a.Values[i] != b.Values[i] || a.Volume[i] != b.Volume[i] {
			t.Fatal("same seed, different series")
		}
	}
	for _, sp := range sa {
		if sp.From < 1000 {
			t.Errorf("injected at %d, before From", sp.From)
		}
	}
}

func TestIsolationForestSeparatesOutlier(t *testing.T) {
	rows := benchRows(500)
	for i := range rows {
		rows[i] = []float64{rows[i][0] * 100, float64(i%7) / 7}
	}
	f := FitIsolationForest(rows, 50, 128, 1)
	sc := f.Score(append(rows[:10:10], []float64{20, 5}))
	for i := range 10 {
		if sc[i] >= sc[10] {
			t.Fatalf("inlier %d scores %v ≥ outlier %v", i, sc[i], sc[10])
		}
	}
}

func TestDetectPeriod(t *testing.T) {
	s, _ := loadNYC(t)
	if p := DetectPeriod(s.Values, 1000); p != 336 && p != 48 {
		t.Errorf("nyc_taxi period %d, want a day (48) or a week (336)", p)
	}
	if p := DetectPeriod(loadPrices(t)["GSPC"].Values, 1000); p != 0 {
		// Trending prices have high autocorrelation at every lag but no peak.
		t.Logf("GSPC period %d", p)
	}
}
