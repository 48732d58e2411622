package portfolio

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/shopspring/decimal"
)

func approx(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.12g, want %.12g (±%g)", name, got, want, tol)
	}
}

func adec(s string) decimal.Decimal {
	if s == "" {
		return decimal.Zero
	}
	return decimal.RequireFromString(s)
}

// TestSeriesHandComputed: deposit 1000, buy 10 X at 50, closes 52 and 55,
// sell all at 55, X then falls to 40 while not held.
func TestSeriesHandComputed(t *testing.T) {
	acct := Account{ID: "a", Name: "a", TaxType: Taxable, LotMethod: FIFO}
	d1, d2, d3, d4 := MustDate("2024-01-02"), MustDate("2024-01-03"), MustDate("2024-01-04"), MustDate("2024-01-05")
	trades := []Trade{
		{ID: "dep", AccountID: "a", Date: d1, Action: Deposit, Amount: adec("1000")},
		{ID: "buy", AccountID: "a", Date: d1, Action: Buy, Symbol: "X", Quantity: adec("10"), Price: adec("50")},
		{ID: "sell", AccountID: "a", Date: d3, Action: Sell, Symbol: "X", Quantity: adec("10"), Price: adec("55")},
	}
	bars := map[string][]Bar{"X": {{Date: d1, Close: adec("52")}, {Date: d2, Close: adec("55")}, {Date: d3, Close: adec("60")}, {Date: d4, Close: adec("40")}}}
	s, err := BuildSeries(SeriesInput{Accounts: []Account{acct}, Trades: trades, Bars: bars, To: d4})
	if err != nil {
		t.Fatal(err)
	}
	wantV := []int64{1020e6, 1050e6, 1050e6, 1050e6}
	for i, w := range wantV {
		if s.Portfolio.Value[i] != w {
			t.Errorf("value day %d = %d, want %d", i, s.Portfolio.Value[i], w)
		}
	}
	r := s.Returns(&s.Portfolio)
	want := []float64{0.02, 1050.0/1020 - 1, 0, 0}
	if len(r.R) != len(want) {
		t.Fatalf("returns %v", r.R)
	}
	for i := range want {
		approx(t, "portfolio r", r.R[i], want[i], 1e-12)
	}
	h := s.Line("a/X")
	hr := s.Returns(h)
	// 520/500−1, 550/520−1, (0+550)/550−1; the day after the sale has no return.
	wantH := []float64{0.04, 550.0/520 - 1, 0}
	if len(hr.R) != len(wantH) {
		t.Fatalf("holding returns %v on %v, want 3 (none after the sale)", hr.R, hr.Dates)
	}
	for i := range wantH {
		approx(t, "holding r", hr.R[i], wantH[i], 1e-12)
	}
	res := s.Performance(h, hr, nil, Period{Name: "inception", To: d4, Clamp: true})
	approx(t, "holding TWR sold to zero", res.TWR, 0.10, 1e-12)
	if res.Gain != 50e6 {
		t.Errorf("holding gain = %d, want 50e6", res.Gain)
	}
}

func TestXIRRHandComputed(t *testing.T) {
	d0 := MustDate("2023-01-01")
	x, err := XIRRAt([]Date{d0, d0.AddDays(365)}, []float64{-1000, 1100})
	if err != nil {
		t.Fatal(err)
	}
	approx(t, "xirr one year", x, 0.10, 1e-9)
	// −1000 now, +500 after half a year, +600 after a year: 500/(1+x)^0.5 + 600/(1+x) = 1000.
	x, err = XIRRAt([]Date{d0, d0.AddDays(182), d0.AddDays(365)}, []float64{-1000, 500, 600})
	if err != nil {
		t.Fatal(err)
	}
	v := 500/math.Pow(1+x, 182.0/365) + 600/(1+x)
	approx(t, "xirr npv", v, 1000, 1e-6)
	if _, err := XIRRAt([]Date{d0, d0.AddDays(1)}, []float64{100, 100}); err == nil {
		t.Error("XIRR of all-positive flows: want an error")
	}
}

func TestRiskHandComputed(t *testing.T) {
	d := MustDate("2024-01-01")
	r := DailyReturns{R: []float64{0.01, -0.02, 0.03, -0.01, 0.02}}
	for i := range r.R {
		r.Dates = append(r.Dates, d.AddDays(i+1))
	}
	b := DailyReturns{Dates: r.Dates, R: []float64{0.02, -0.04, 0.06, -0.02, 0.04}}
	k := ComputeRisk(r, b, d, 0)
	std := math.Sqrt(0.00172 / 4)
	approx(t, "volatility", k.Volatility, std*math.Sqrt(252), 1e-12)
	approx(t, "sharpe", k.Sharpe, 0.006/std*math.Sqrt(252), 1e-9)
	approx(t, "sortino", k.Sortino, 0.006/0.01*math.Sqrt(252), 1e-9)
	approx(t, "max drawdown", k.MaxDrawdown.Depth, -0.02, 1e-12)
	if k.MaxDrawdown.Peak != d.AddDays(1) || k.MaxDrawdown.Trough != d.AddDays(2) || k.MaxDrawdown.Recovery == nil || *k.MaxDrawdown.Recovery != d.AddDays(3) {
		t.Errorf("drawdown dates %+v", k.MaxDrawdown)
	}
	if k.MaxDrawdown.Days != 2 {
		t.Errorf("drawdown days %d, want 2", k.MaxDrawdown.Days)
	}
	approx(t, "VaR", k.VaR95, -0.018, 1e-12)
	approx(t, "CVaR", k.CVaR95, -0.02, 1e-12)
	approx(t, "beta", k.Beta, 0.5, 1e-12)
	approx(t, "alpha", k.Alpha, 0, 1e-12)
	approx(t, "correlation", k.Correlation, 1, 1e-12)
	approx(t, "rf daily", DailyRF(0.05), math.Pow(1.05, 1.0/252)-1, 0)

	c := Concentrate(map[string]float64{"A": 60, "B": 30, "C": 10})
	approx(t, "herfindahl", c.Herfindahl, 0.36+0.09+0.01, 1e-12)
	if c.Largest != "A" || c.LargestWeight != 0.6 {
		t.Errorf("largest %s %g", c.Largest, c.LargestWeight)
	}
	if got := RiskScore(0.20, -0.25, 0.0625); got != 25+15+5 {
		t.Errorf("RiskScore = %d, want 45", got)
	}
	if got := RiskScore(1, -1, 1); got != 100 {
		t.Errorf("RiskScore max = %d", got)
	}
}

// reference is expected.json, written by testdata/analytics/reference.py.
type reference struct {
	Days         int                `json:"days"`
	ValueAt      map[string]float64 `json:"value_at"`
	Observations int                `json:"observations"`
	TWR          float64            `json:"twr"`
	XIRR         float64            `json:"xirr"`
	RF           float64            `json:"rf"`
	Volatility   float64            `json:"volatility"`
	Sharpe       float64            `json:"sharpe"`
	Sortino      float64            `json:"sortino"`
	MaxDrawdown  float64            `json:"max_drawdown"`
	Peak         string             `json:"drawdown_peak"`
	Trough       string             `json:"drawdown_trough"`
	VaR95        float64            `json:"var95"`
	CVaR95       float64            `json:"cvar95"`
	Beta         float64            `json:"beta"`
	Alpha        float64            `json:"alpha"`
	Correlation  float64            `json:"correlation"`
	Shrinkage    float64            `json:"ledoit_wolf_shrinkage"`
	LedoitWolf   [][]float64        `json:"ledoit_wolf"`
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs[1:]
}

// fixture loads the reference portfolio of testdata/analytics.
func fixture(t *testing.T) (SeriesInput, map[string][]Bar, reference) {
	t.Helper()
	var ref reference
	data, err := os.ReadFile("testdata/analytics/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	in := SeriesInput{Accounts: []Account{{ID: "acct", Name: "main", TaxType: Taxable, LotMethod: FIFO}}, Bars: map[string][]Bar{}}
	for _, r := range readCSV(t, "testdata/analytics/trades.csv") {
		a, err := ParseAction(r[2])
		if err != nil {
			t.Fatal(err)
		}
		in.Trades = append(in.Trades, Trade{ID: r[0], AccountID: "acct", Date: MustDate(r[1]), Action: a, Symbol: r[3],
			Quantity: adec(r[4]), Price: adec(r[5]), Fees: adec(r[6]), Amount: adec(r[7])})
	}
	syms := []string{"AAA", "BBB", "CCC", "BENCH"}
	for _, r := range readCSV(t, "testdata/analytics/prices.csv") {
		d := MustDate(r[0])
		for i, s := range syms {
			in.Bars[s] = append(in.Bars[s], Bar{Symbol: s, Date: d, Close: adec(r[i+1])})
		}
		in.To = d
	}
	return in, in.Bars, ref
}

// TestSeriesAgainstReference compares the series and every figure with
// the independent computation in testdata/analytics/reference.py.
func TestSeriesAgainstReference(t *testing.T) {
	in, bars, ref := fixture(t)
	s, err := BuildSeries(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Dates) != ref.Days {
		t.Fatalf("days = %d, want %d", len(s.Dates), ref.Days)
	}
	for i, d := range s.Dates {
		if w, ok := ref.ValueAt[d.String()]; ok {
			approx(t, "value on "+d.String(), float64(s.Portfolio.Value[i])/1e6, w, 1e-6)
		}
	}
	r := s.Returns(&s.Portfolio)
	if len(r.R) != ref.Observations {
		t.Fatalf("observations = %d, want %d", len(r.R), ref.Observations)
	}
	res := s.Performance(&s.Portfolio, r, nil, Period{Name: "inception", To: in.To, Clamp: true})
	approx(t, "TWR", res.TWR, ref.TWR, 1e-10)
	if res.MWR == nil {
		t.Fatal("no XIRR")
	}
	approx(t, "XIRR", *res.MWR, ref.XIRR, 1e-8)
	k := ComputeRisk(r, PriceReturns(s.Dates, bars["BENCH"]), s.Dates[0], ref.RF)
	approx(t, "volatility", k.Volatility, ref.Volatility, 1e-10)
	approx(t, "sharpe", k.Sharpe, ref.Sharpe, 1e-9)
	approx(t, "sortino", k.Sortino, ref.Sortino, 1e-9)
	approx(t, "max drawdown", k.MaxDrawdown.Depth, ref.MaxDrawdown, 1e-10)
	if k.MaxDrawdown.Peak.String() != ref.Peak || k.MaxDrawdown.Trough.String() != ref.Trough {
		t.Errorf("drawdown %s→%s, want %s→%s", k.MaxDrawdown.Peak, k.MaxDrawdown.Trough, ref.Peak, ref.Trough)
	}
	approx(t, "VaR", k.VaR95, ref.VaR95, 1e-12)
	approx(t, "CVaR", k.CVaR95, ref.CVaR95, 1e-12)
	approx(t, "beta", k.Beta, ref.Beta, 1e-9)
	approx(t, "alpha", k.Alpha, ref.Alpha, 1e-9)
	approx(t, "correlation", k.Correlation, ref.Correlation, 1e-9)

	// BBB was sold to zero on day 150 and bought again on day 260: its
	// TWR neither hits −100% nor counts the days it was not held.
	bbb := s.Line("acct/BBB")
	br := s.Returns(bbb)
	if len(br.R) != 151+(ref.Days-260) {
		t.Errorf("BBB has %d returns, want %d (held days only)", len(br.R), 151+(ref.Days-260))
	}
	if p := s.Performance(bbb, br, nil, Period{Name: "inception", To: in.To, Clamp: true}); p.TWR <= -0.5 {
		t.Errorf("BBB TWR = %g after a sale to zero", p.TWR)
	}
}
