package portfolio

import (
	"errors"
	"math"
	"sort"
	"time"
)

// DaysPerYear is the year length used to annualise over calendar days
// (CAGR and XIRR): 365, as quantstats' cagr and spreadsheet XIRR use.
const DaysPerYear = 365.0

// Period is a window of returns: every day from From to To counts, and the
// starting value is the close of the last day before From.
type Period struct {
	Name     string // MTD, QTD, YTD, 1Y, 3Y, 5Y, inception, custom
	From, To Date
	// Clamp makes a period that starts before the line's inception start
	// at inception instead of being unavailable (inception and --from).
	Clamp bool
}

// StandardPeriods are MTD, QTD, YTD, 1Y, 3Y, 5Y and since inception, all
// ending at to. 1Y starts the day after the same date a year earlier, so its
// starting value is that date's close.
func StandardPeriods(to Date) []Period {
	t := to.Time()
	y, m, _ := t.Date()
	q := time.Month((int(m)-1)/3*3 + 1)
	first := func(y int, m time.Month) Date { return DateOf(time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)) }
	return []Period{
		{Name: "MTD", From: first(y, m), To: to},
		{Name: "QTD", From: first(y, q), To: to},
		{Name: "YTD", From: first(y, time.January), To: to},
		{Name: "1Y", From: to.AddYears(-1).AddDays(1), To: to},
		{Name: "3Y", From: to.AddYears(-3).AddDays(1), To: to},
		{Name: "5Y", From: to.AddYears(-5).AddDays(1), To: to},
		{Name: "inception", From: 0, To: to, Clamp: true},
	}
}

// PeriodResult is one line's performance over one period. Money is in
// micro-units; returns are fractions (0.1 = 10%). Pointers are nil where a
// figure is undefined (an annual rate under a year, XIRR with no
// solution, no benchmark).
//
// Money-weighted returns follow the time-weighted ones: MWRPeriod is the
// plain return over the period, as TWR is, and MWR its annual rate, as
// CAGR is, only for a year or more — annualising a month's return turns a
// 10% fall into −72% a year, which reads as a loss that did not happen.
type PeriodResult struct {
	Period
	Available bool
	Reason    string // why not available
	Start     Date   // date of the starting value (the close before From, or inception)
	End       Date   // last day of the series on or before To
	Days      int    // calendar days from Start to End

	StartValue, EndValue int64
	Inflows, Outflows    int64 // the line's flows within the period
	Gain                 int64 // EndValue − StartValue − Inflows + Outflows

	TWR  float64  // time-weighted, daily-linked, cumulative
	CAGR *float64 // (1+TWR)^(365/Days) − 1, only when Days ≥ 365
	// MWRPeriod is the money-weighted return over the period, not
	// annualised: (1+x)^(t/365) − 1 for the XIRR x of the flows, t the
	// calendar days from the first flow to the last.
	MWRPeriod *float64
	MWR       *float64 // the XIRR x itself, an annual rate (actual/365), only when Days ≥ 365
	Bench     *float64 // benchmark price return over Start..End
	BenchCG   *float64 // its CAGR, only when Days ≥ 365
}

// Inception is the index of the first day the line holds value or receives
// money, or -1.
func (l *Line) Inception() int {
	first := -1
	for _, f := range l.Flows {
		if f.In > 0 {
			first = f.Day
			break
		}
	}
	for i, v := range l.Value {
		if first >= 0 && i >= first {
			break
		}
		if v != 0 {
			return i
		}
	}
	return first
}

// Performance computes the line's results over a period. r must be
// s.Returns(l); bench the benchmark's closes on s.Dates (CloseOn), or nil.
func (s *Series) Performance(l *Line, r DailyReturns, bench []float64, p Period) PeriodResult {
	res := PeriodResult{Period: p}
	incept := l.Inception()
	if incept < 0 || len(s.Dates) == 0 {
		res.Reason = "no history"
		return res
	}
	end := sort.Search(len(s.Dates), func(i int) bool { return s.Dates[i] > p.To }) - 1
	if end < incept {
		res.Reason = "ends before inception " + s.Dates[incept].String()
		return res
	}
	i0 := sort.Search(len(s.Dates), func(i int) bool { return s.Dates[i] >= p.From })
	startIdx := i0 - 1 // the close of the day before From
	if i0 <= incept {
		if !p.Clamp {
			res.Reason = "starts before inception " + s.Dates[incept].String()
			return res
		}
		i0, startIdx = incept, -1
	}
	if i0 > end {
		res.Reason = "no trading day in the period"
		return res
	}
	res.Available = true
	res.End = s.Dates[end]
	if startIdx >= 0 {
		res.Start = s.Dates[startIdx]
		res.StartValue = l.Value[startIdx]
	} else {
		res.Start = s.Dates[i0]
	}
	res.Days = int(res.End - res.Start)
	res.EndValue = l.Value[end]

	flows := []cashFlow{}
	if res.StartValue != 0 {
		flows = append(flows, cashFlow{res.Start, -float64(res.StartValue)})
	}
	for _, f := range l.Flows {
		if f.Day < i0 || f.Day > end {
			continue
		}
		res.Inflows += f.In
		res.Outflows += f.Out
		if net := f.Out - f.In; net != 0 {
			flows = append(flows, cashFlow{s.Dates[f.Day], float64(net)})
		}
	}
	res.Gain = res.EndValue - res.StartValue - res.Inflows + res.Outflows
	if res.EndValue != 0 {
		flows = append(flows, cashFlow{res.End, float64(res.EndValue)})
	}

	lo := sort.Search(len(r.Dates), func(i int) bool { return r.Dates[i] >= s.Dates[i0] })
	hi := sort.Search(len(r.Dates), func(i int) bool { return r.Dates[i] > res.End })
	res.TWR = Compound(r.R[lo:hi])
	if res.Days >= DaysPerYear {
		res.CAGR = ptr(Annualise(res.TWR, res.Days))
	}
	if x, err := XIRR(flows); err == nil {
		res.MWRPeriod = ptr(Deannualise(x, flowSpan(flows)))
		if res.Days >= DaysPerYear {
			res.MWR = &x
		}
	}
	if bench != nil {
		b0 := i0 - 1
		if b0 < 0 {
			b0 = i0
		}
		if bench[b0] > 0 && bench[end] > 0 {
			res.Bench = ptr(bench[end]/bench[b0] - 1)
			if res.Days >= DaysPerYear {
				res.BenchCG = ptr(Annualise(*res.Bench, int(s.Dates[end]-s.Dates[b0])))
			}
		}
	}
	return res
}

func ptr(f float64) *float64 { return &f }

// Compound links returns: Π(1+r) − 1.
func Compound(r []float64) float64 {
	w := 1.0
	for _, x := range r {
		w *= 1 + x
	}
	return w - 1
}

// Annualise turns a cumulative return over days calendar days into a
// compound annual rate: (1+c)^(365/days) − 1.
func Annualise(c float64, days int) float64 {
	if days <= 0 {
		return math.NaN()
	}
	return math.Pow(1+c, DaysPerYear/float64(days)) - 1
}

// Deannualise turns an annual rate into the return over days calendar
// days: (1+rate)^(days/365) − 1, the inverse of Annualise.
func Deannualise(rate float64, days int) float64 {
	return math.Pow(1+rate, float64(days)/DaysPerYear) - 1
}

// flowSpan is the calendar days from the first flow to the last: the
// horizon over which XIRR discounts them.
func flowSpan(flows []cashFlow) int {
	if len(flows) == 0 {
		return 0
	}
	lo, hi := flows[0].date, flows[0].date
	for _, f := range flows {
		lo, hi = min(lo, f.date), max(hi, f.date)
	}
	return int(hi - lo)
}

type cashFlow struct {
	date   Date
	amount float64 // positive to the investor
}

// ErrNoIRR means the flows have no internal rate of return (all of one sign).
var ErrNoIRR = errors.New("no internal rate of return")

// XIRR solves Σ a_i (1+x)^(−(d_i−d_0)/365) = 0 for the annual rate x, as
// spreadsheet XIRR does: Newton's method from 10%, falling back to
// bisection over (−99.9999%, 10^6) when Newton does not converge.
func XIRR(flows []cashFlow) (float64, error) {
	if len(flows) < 2 {
		return 0, ErrNoIRR
	}
	pos, neg := false, false
	d0 := flows[0].date
	for _, f := range flows {
		pos = pos || f.amount > 0
		neg = neg || f.amount < 0
		d0 = min(d0, f.date)
	}
	if !pos || !neg {
		return 0, ErrNoIRR
	}
	npv := func(x float64) (v, dv float64) {
		for _, f := range flows {
			t := float64(f.date-d0) / DaysPerYear
			g := math.Pow(1+x, -t)
			v += f.amount * g
			dv += -t * f.amount * g / (1 + x)
		}
		return v, dv
	}
	x := 0.1
	for range 50 {
		v, dv := npv(x)
		if dv == 0 || math.IsNaN(v) {
			break
		}
		nx := x - v/dv
		if nx <= -1 {
			nx = (x - 1) / 2
		}
		if math.Abs(nx-x) < 1e-12 {
			if math.Abs(v) < 1e-6*scale(flows) {
				return nx, nil
			}
			break
		}
		x = nx
	}
	lo, hi := -0.999999, 1e6
	vlo, _ := npv(lo)
	vhi, _ := npv(hi)
	if math.Signbit(vlo) == math.Signbit(vhi) {
		return 0, ErrNoIRR
	}
	for range 300 {
		mid := (lo + hi) / 2
		v, _ := npv(mid)
		if math.Signbit(v) == math.Signbit(vlo) {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo < 1e-12 {
			break
		}
	}
	return (lo + hi) / 2, nil
}

func scale(flows []cashFlow) float64 {
	m := 1.0
	for _, f := range flows {
		m = max(m, math.Abs(f.amount))
	}
	return m
}

// XIRRAt is XIRR over explicit dates and amounts (positive to the investor).
func XIRRAt(dates []Date, amounts []float64) (float64, error) {
	flows := make([]cashFlow, len(dates))
	for i := range dates {
		flows[i] = cashFlow{dates[i], amounts[i]}
	}
	return XIRR(flows)
}
