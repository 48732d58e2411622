package ml

import (
	"math"
	"math/rand/v2"
	"slices"
)

// KnownCrises are market-wide stress periods (inclusive dates). They are
// excluded from training and threshold fitting, and an evaluation on real
// prices counts them as labelled windows: every detector should flag them.
var KnownCrises = []struct{ From, To, Label string }{
	{"2008-09-15", "2009-03-31", "global financial crisis"},
	{"2010-05-06", "2010-05-07", "flash crash"},
	{"2011-08-01", "2011-08-31", "US downgrade sell-off"},
	{"2015-08-20", "2015-08-31", "August 2015 sell-off"},
	{"2020-02-24", "2020-04-30", "COVID-19 crash"},
}

// CrisisSpans maps KnownCrises onto a series of dates (YYYY-MM-DD).
func CrisisSpans(dates []string) []Span {
	var out []Span
	for _, c := range KnownCrises {
		from, _ := slices.BinarySearch(dates, c.From)
		to, found := slices.BinarySearch(dates, c.To)
		if !found {
			to--
		}
		if from < len(dates) && to >= from {
			out = append(out, Span{From: from, To: to, Label: c.Label})
		}
	}
	return out
}

// Injection kinds.
const (
	InjShock  = "price_shock"  // one day moves 7–10% up or down
	InjBurst  = "vol_burst"    // five days of returns with 4× the trailing volatility
	InjVolume = "volume_spike" // one day trades 5–10× its usual volume
)

// InjectOptions choose how many events of each kind to plant, after index
// From (the part of the series not used for fitting).
type InjectOptions struct {
	Shocks, Bursts, VolumeSpikes int
	From                         int
	Gap                          int    // minimum distance between events (default 15)
	Avoid                        []Span // never inject inside these (known crises)
}

// Inject returns a copy of s with anomalies planted at random places, and a
// labelled window per event: the event's days plus the next day. Prices
// after a shock or burst are rescaled so the series stays continuous. A
// series without volume gets a synthetic one (log-normal AR(1) around 1e6
// shares) so volume spikes can be planted; say so when reporting. The same
// seed gives the same series.
func Inject(s Series, seed uint64, opt InjectOptions) (Series, []Span) {
	rng := rand.New(rand.NewPCG(seed, 0x1ec7))
	if opt.Gap == 0 {
		opt.Gap = 15
	}
	n := len(s.Values)
	out := Series{Name: s.Name + "+injected", Times: s.Times, Values: append([]float64(nil), s.Values...)}
	if s.Volume != nil {
		out.Volume = append([]float64(nil), s.Volume...)
	} else {
		out.Volume = make([]float64, n)
		lv := 0.0
		for i := range out.Volume {
			lv = 0.7*lv + 0.25*rng.NormFloat64()
			out.Volume[i] = math.Round(1e6 * math.Exp(lv))
		}
	}
	ret := logReturns(out.Values)
	taken := ExcludeSpans(n, opt.Avoid)
	var spans []Span
	place := func(length int) int {
		for range 1000 {
			d := opt.From + Warmup + rng.IntN(max(n-opt.From-Warmup-length-2, 1))
			ok := true
			for i := max(d-opt.Gap, 0); i < min(d+length+opt.Gap, n); i++ {
				if taken[i] {
					ok = false
					break
				}
			}
			if ok {
				for i := d; i < min(d+length, n); i++ {
					taken[i] = true
				}
				return d
			}
		}
		return -1
	}
	for range opt.Shocks {
		d := place(1)
		if d < 0 {
			continue
		}
		size := 0.07 + 0.03*rng.Float64()
		if rng.IntN(2) == 0 {
			size = -size
		}
		ret[d] = math.Log(1 + size)
		spans = append(spans, Span{From: d, To: d + 1, Label: InjShock})
	}
	for range opt.Bursts {
		d := place(5)
		if d < 0 {
			continue
		}
		sd := trailingSD(ret, d-volWindow, d)
		for i := d; i < d+5; i++ {
			ret[i] = 4 * sd * rng.NormFloat64()
		}
		spans = append(spans, Span{From: d, To: d + 5, Label: InjBurst})
	}
	for range opt.VolumeSpikes {
		d := place(1)
		if d < 0 {
			continue
		}
		out.Volume[d] *= 5 + 5*rng.Float64()
		spans = append(spans, Span{From: d, To: d + 1, Label: InjVolume})
	}
	for i := 1; i < n; i++ {
		out.Values[i] = out.Values[i-1] * math.Exp(ret[i])
	}
	slices.SortFunc(spans, func(a, b Span) int { return a.From - b.From })
	return out, spans
}
