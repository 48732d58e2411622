package portfolio

import (
	"math"
	"testing"
)

// TestMWRPeriodHandComputed: 1,000 in on the first day, worth 1,100 after
// 73 days (a fifth of a year). The period's money-weighted return is the
// plain 10%; its annual rate, 1.1^5 − 1 = 61.051%, is withheld under a
// year. Over two years, 1,000 growing to 1,210 is 21% for the period and
// 10% a year.
func TestMWRPeriodHandComputed(t *testing.T) {
	near := func(name string, got *float64, want float64) {
		t.Helper()
		if got == nil {
			t.Fatalf("%s = nil, want %g", name, want)
		}
		if math.Abs(*got-want) > 1e-9 {
			t.Errorf("%s = %.12g, want %.12g", name, *got, want)
		}
	}
	d0, err := ParseDate("2021-01-04")
	if err != nil {
		t.Fatal(err)
	}
	run := func(days int, end int64) PeriodResult {
		s := &Series{Dates: []Date{d0, d0.AddDays(days)},
			Portfolio: Line{Key: "portfolio", Value: []int64{1000e6, end}, Flows: []Flow{{Day: 0, In: 1000e6}}}}
		return s.Performance(&s.Portfolio, s.Returns(&s.Portfolio), nil, Period{Name: "inception", To: d0.AddDays(days), Clamp: true})
	}

	short := run(73, 1100e6)
	if short.Days != 73 {
		t.Fatalf("days = %d, want 73", short.Days)
	}
	near("73-day period MWR", short.MWRPeriod, 0.10)
	if short.MWR != nil {
		t.Errorf("73-day annual MWR = %g, want nil (under a year)", *short.MWR)
	}
	if x, err := XIRR([]cashFlow{{d0, -1000}, {d0.AddDays(73), 1100}}); err != nil || math.Abs(x-(math.Pow(1.1, 5)-1)) > 1e-9 {
		t.Errorf("XIRR = %g, %v; want 1.1^5-1 = 0.61051", x, err)
	}

	long := run(730, 1210e6)
	near("2-year period MWR", long.MWRPeriod, 0.21)
	near("2-year annual MWR", long.MWR, 0.10)

	// A loss: 1,000 to 900 over 31 days is −10% for the period, not the
	// (0.9)^(365/31) − 1 ≈ −71% a year the annual rate would show.
	loss := run(31, 900e6)
	near("31-day loss MWR", loss.MWRPeriod, -0.10)
	if loss.MWR != nil {
		t.Errorf("31-day annual MWR = %g, want nil", *loss.MWR)
	}
}

// TestMWRPeriodLateFirstFlow: a holding sold out, then bought back later
// in the period: the period starts at a zero value, and its return is
// de-annualised over the 73 days the money was in, not the period's 82.
func TestMWRPeriodLateFirstFlow(t *testing.T) {
	d0, _ := ParseDate("2021-01-04")
	s := &Series{Dates: []Date{d0, d0.AddDays(1), d0.AddDays(10), d0.AddDays(83)},
		Portfolio: Line{Key: "portfolio", Value: []int64{1000e6, 0, 1000e6, 1100e6},
			Flows: []Flow{{Day: 0, In: 1000e6}, {Day: 1, Out: 1000e6}, {Day: 2, In: 1000e6}}}}
	res := s.Performance(&s.Portfolio, s.Returns(&s.Portfolio), nil, Period{Name: "custom", From: d0.AddDays(2), To: d0.AddDays(83)})
	if !res.Available || res.Days != 82 || res.StartValue != 0 {
		t.Fatalf("available %v, days %d, start value %d; want true, 82, 0 (%s)", res.Available, res.Days, res.StartValue, res.Reason)
	}
	if res.MWRPeriod == nil || math.Abs(*res.MWRPeriod-0.10) > 1e-9 {
		t.Errorf("MWRPeriod = %v, want 0.10 over the 73 days the money was in", res.MWRPeriod)
	}
}
