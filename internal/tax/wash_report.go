package tax

import (
	"runtime"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// Report is the wash-adjusted history in integer units, as ApplyBooked
// gives it: the gains are kept compact and converted to decimals (Gain, or
// all of them by Result) only when asked, so a long history's report does not
// hold millions of decimals.
type Report struct {
	e       *engine
	recs    []*gainRec // in sale order
	sumOnce sync.Once
	sums    map[int]*yearSums // by year, for Net
}

// GainUnits is a Gain in integer units: quantities in 10^-QuantityPlaces
// shares, money in 10^-MoneyPlaces. LotID is the ledger lot; when the lot
// was split into sub-lots, SubLot is the sub-lot's number (from 1) and the
// Gain names SubLotID(LotID, SubLot).
type GainUnits struct {
	SellID, LotID, AccountID, Symbol             string
	SubLot                                       int
	Quantity                                     int64
	DateAcquired, AdjustedDateAcquired, DateSold portfolio.Date
	Proceeds, CostBasis, WashDisallowed          int64
	PermanentAmount, GainLoss                    int64
	PermanentlyDisallowed                        bool
	Term                                         Term
	Taxable                                      bool
}

// Len is the number of gains.
func (r *Report) Len() int { return len(r.recs) }

// GainUnits returns gain i (in sale order, as Result.Gains) in units.
func (r *Report) GainUnits(i int) GainUnits { return r.e.gainUnits(r.recs[i]) }

// Gain returns gain i (in sale order), exactly Result.Gains[i].
func (r *Report) Gain(i int) Gain { return r.e.gain(r.recs[i]) }

// Lots returns the adjusted lots, exactly Result.Lots.
func (r *Report) Lots() []portfolio.Lot { return r.e.resultLots() }

// Result converts the whole report to decimals.
func (r *Report) Result() Result { return Result{Lots: r.Lots(), Gains: r.Gains()} }

// Gains returns every gain, exactly Result.Gains.
func (r *Report) Gains() []Gain {
	out := make([]Gain, len(r.recs))
	convert := func(from, to int) {
		for n := from; n < to; n++ {
			out[n] = r.e.gain(r.recs[n])
		}
	}
	if len(out) < 10_000 || runtime.GOMAXPROCS(0) == 1 {
		convert(0, len(out))
		return out
	}
	var wg sync.WaitGroup
	w := runtime.GOMAXPROCS(0)
	for k := range w {
		wg.Go(func() { convert(len(out)*k/w, len(out)*(k+1)/w) })
	}
	wg.Wait()
	return out
}

// Net is Net(r.Gains(), year, carryIn, filing), summed in units. The
// first call sums every year's gains in one pass; later calls reuse the sums.
func (r *Report) Net(year int, carryIn Carryover, filing string) Netting {
	r.sumOnce.Do(r.sumYears)
	s := r.sums[year]
	if s == nil {
		s = &yearSums{}
	}
	return netting(year, filing, carryIn, s[0].value(), s[1].value(), s[2].value(), s[3].value())
}

// yearSums are one year's taxable short-term gains, short-term losses,
// long-term gains and long-term losses, losses positive.
type yearSums [4]unitSum

func (r *Report) sumYears() {
	r.sums = map[int]*yearSums{}
	var cur *yearSums
	var from, to portfolio.Date // the days of cur's year
	for _, gr := range r.recs {
		if !gr.taxable {
			continue
		}
		d := &r.e.disps[gr.disp]
		if cur == nil || d.date < from || d.date >= to {
			y := d.date.Time().Year()
			from = portfolio.DateOf(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC))
			to = portfolio.DateOf(time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC))
			if cur = r.sums[y]; cur == nil {
				cur = &yearSums{}
				r.sums[y] = cur
			}
		}
		gl := gr.proceeds - gr.basis + gr.dis
		switch long := HoldingTerm(gr.adjDate, d.date) == Long; {
		case long && gl > 0:
			cur[2].add(gl)
		case long:
			cur[3].add(-gl)
		case gl > 0:
			cur[0].add(gl)
		default:
			cur[1].add(-gl)
		}
	}
}

// unitSum adds money units exactly: in an int64 while it fits, spilling
// into a decimal when it would not.
type unitSum struct {
	v     int64
	spill decimal.Decimal
	big   bool
}

func (s *unitSum) add(x int64) {
	if t := s.v + x; (x > 0 && t < s.v) || (x < 0 && t > s.v) {
		if !s.big {
			s.spill, s.big = decimal.Zero, true
		}
		s.spill = s.spill.Add(fromUnits(s.v, portfolio.MoneyPlaces))
		s.v = x
		return
	}
	s.v += x
}

func (s *unitSum) value() decimal.Decimal {
	v := fromUnits(s.v, portfolio.MoneyPlaces)
	if s.big {
		return s.spill.Add(v)
	}
	return v
}
