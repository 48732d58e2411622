package app

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ml"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
	"github.com/wealthalloc/wealthalloc/internal/tax"
)

func TestConfidence(t *testing.T) {
	cases := []struct {
		name string
		got  float64
		want float64
	}{
		{"anomaly model alone at threshold", AnomalyConfidence(1, 0), 0.35},
		{"anomaly 1.4x, 2 baselines", AnomalyConfidence(1.4, 2), 0.71},
		{"anomaly 3x, 3 baselines capped", AnomalyConfidence(3, 3), 0.95},
		{"anomaly below threshold counts as at it", AnomalyConfidence(0.5, 1), 0.5},
		{"drift one band", DriftConfidence(5, 5, false), 0.333},
		{"drift negative three bands", DriftConfidence(-15, 5, false), 0.9},
		{"drift fallback", DriftConfidence(-11.7, 5, true), 0.468},
		{"drift default band", DriftConfidence(7.5, 0, false), 0.5},
		{"concentration at trigger", ConcentrationConfidence(0.25), 0.3},
		{"concentration 40.9%", ConcentrationConfidence(0.408755), 0.681},
		{"concentration all", ConcentrationConfidence(1), 0.9},
		{"risk 72", RiskConfidence(72), 0.72},
		{"risk 100 capped", RiskConfidence(100), 0.9},
		{"harvest 5%", HarvestConfidence(0.05, true), 0.575},
		{"harvest 42% capped", HarvestConfidence(0.42, true), 0.95},
		{"harvest not wash-safe", HarvestConfidence(0.42, false), 0.475},
		{"network 72%, correlation only", NetworkConfidence(0.723, false), 0.426},
		{"network all, agreeing", NetworkConfidence(1, true), 0.9},
		{"network below half", NetworkConfidence(0.2, true), 0},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func series(name string, vals ...float64) ml.Series {
	s := ml.Series{Name: name}
	d := portfolio.MustDate("2008-01-01")
	for i, v := range vals {
		s.Times = append(s.Times, d.AddDays(i).String())
		s.Values = append(s.Values, v)
	}
	return s
}

func TestBuildRecs(t *testing.T) {
	// 22 closes alternating ±1%, then a 10% fall on the last day.
	var px, bench []float64
	v, b := 100.0, 100.0
	for i := range 22 {
		if i%2 == 0 {
			v *= 1.01
		} else {
			v /= 1.01
		}
		px, bench = append(px, v), append(bench, b)
	}
	px, bench = append(px, v*0.9), append(bench, b*0.99)
	s := series("SBUX", px...)
	day, _ := portfolio.ParseDate(s.Times[len(s.Times)-1])
	sig := recSignals{
		AsOf: day, From: day.AddDays(-90), Band: 5, Benchmark: "GSPC",
		Closes: map[string]ml.Series{"SBUX": s, "GSPC": series("GSPC", bench...)},
		Anomalies: []SymbolAnomalies{{Symbol: "SBUX", ArtifactID: "art", Threshold: ml.Threshold{Value: 2},
			BaselineThresholds: map[string]ml.Threshold{ml.DetZScore: {Value: 3}, ml.DetVolRatio: {Value: 3}, ml.DetIsoForest: {Value: 0.6}},
			Days: []AnomalyDay{{Date: day, Score: 3, Flag: true, Baselines: map[string]BaselineDay{
				ml.DetZScore: {Score: 9, Flag: true}, ml.DetVolRatio: {Score: 1}, ml.DetIsoForest: {Score: 0.7}}}}}},
		Total:  decimal.NewFromInt(100000),
		Values: map[string]float64{"SBUX": 60000, "IBM": 30000},
		Alloc: []portfolio.AllocRow{{Key: "SBUX", Weight: decimal.RequireFromString("0.6"),
			Target:     decimal.NewNullDecimal(decimal.RequireFromString("0.45")),
			DriftPP:    decimal.NewNullDecimal(decimal.RequireFromString("15")),
			DriftValue: decimal.NewNullDecimal(decimal.NewFromInt(15000))}},
		Conc: portfolio.Concentration{Largest: "SBUX", LargestWeight: 0.6667, Herfindahl: 0.5556, Effective: 1.8},
		Risk: &riskFigures{Score: 40},
		Harvests: []harvestSignal{{ID: "h1", Account: "taxable", Opp: tax.HarvestOpportunity{AccountID: "acct", Symbol: "SBUX",
			LotID: "lot1", Quantity: decimal.NewFromInt(100), Price: decimal.NewFromInt(3), Loss: decimal.NewFromInt(500),
			LossPct: decimal.RequireFromString("0.625"), AdjustedBasis: decimal.NewFromInt(800), Rate: decimal.RequireFromString("0.24"),
			Saving: decimal.NewFromInt(120), Costs: decimal.NewFromInt(2), NetBenefit: decimal.NewFromInt(118), WashSafe: true,
			LockoutUntil: day.AddDays(31), LockoutSymbols: []string{"SBUX"}}}},
		Videos: map[string]store.Video{"risk": {ID: "v-risk"}, "tax-loss-harvesting": {ID: "v-tlh"}},
	}
	recs := buildRecs(sig)
	byKey := map[string]store.Recommendation{}
	for _, r := range recs {
		if _, dup := byKey[r.Key]; dup {
			t.Errorf("duplicate key %s", r.Key)
		}
		byKey[r.Key] = r
	}
	an, ok := byKey["anomaly:SBUX"]
	if !ok {
		t.Fatalf("no anomaly recommendation: %+v", recs)
	}
	for _, want := range []string{"SBUX fell 10.0% on " + day.String(), "× its 20-day volatility", "scored the day 3.00 against its threshold 2.00 (1.50×)",
		"2 of 3 baselines agreed (rolling z-score, isolation forest)", "GSPC fell 1.0% the same day, so the move was SBUX's own"} {
		if !strings.Contains(an.Rationale, want) {
			t.Errorf("anomaly rationale %q lacks %q", an.Rationale, want)
		}
	}
	if an.Confidence != AnomalyConfidence(1.5, 2) || an.Action != "review" || an.VideoID != "v-risk" || an.ModelArtifactID != "art" {
		t.Errorf("anomaly = %+v", an)
	}
	dr := byKey["drift:SBUX"]
	if dr.Action != "sell" || !strings.Contains(dr.Rationale, "SBUX is 60.0% of the portfolio against its target of 45.0%: +15.0 pp, $15,000.00 over") {
		t.Errorf("drift = %+v", dr)
	}
	if c := byKey["concentration:SBUX"]; !strings.Contains(c.Rationale, "66.7% of the securities (60.0% of the portfolio)") {
		t.Errorf("concentration = %+v", c)
	}
	if _, ok := byKey["risk"]; ok {
		t.Errorf("risk score 40 raised a recommendation (trigger %d)", RiskScoreTrigger)
	}
	h := byKey["harvest:acct:lot1"]
	if h.Action != "harvest" || h.AccountID != "acct" || h.VideoID != "v-tlh" || h.Confidence != 0.95 ||
		!strings.Contains(h.Rationale, "a short-term loss of $500.00 (62.5% of the $800.00 basis)") {
		t.Errorf("harvest = %+v", h)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Confidence > recs[i-1].Confidence {
			t.Errorf("not most confident first: %v then %v", recs[i-1].Confidence, recs[i].Confidence)
		}
	}
}
