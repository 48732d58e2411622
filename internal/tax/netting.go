package tax

import (
	"strings"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// Filing statuses Net knows by name. Only married filing separately changes
// anything here (the $1,500 limit); any other string gets $3,000.
const (
	FilingSingle                    = "single"
	FilingMarriedJointly            = "married_filing_jointly"
	FilingMarriedSeparately         = "married_filing_separately"
	FilingHeadOfHousehold           = "head_of_household"
	FilingQualifyingSurvivingSpouse = "qualifying_surviving_spouse"
)

// LossLimit is the yearly capital-loss deduction against ordinary income
// for a filing status: $3,000, or $1,500 married filing separately (IRC
// §1211(b)). "mfs" and "married_separately" are accepted too.
func LossLimit(filing string) decimal.Decimal {
	switch strings.ToLower(strings.TrimSpace(filing)) {
	case FilingMarriedSeparately, "mfs", "married_separately", "married_separate":
		return decimal.NewFromInt(1500)
	}
	return decimal.NewFromInt(3000)
}

// Carryover is capital loss carried between years, by character, as
// positive amounts (IRC §1212(b): it keeps its short- or long-term
// character and carries forward indefinitely).
type Carryover struct {
	Short, Long decimal.Decimal
}

// Netting is one year's Schedule D arithmetic. Gains and losses are the
// taxable gains of the year; wash-sale losses are already out of them (the
// disallowed part sits in the replacement's basis).
type Netting struct {
	Year   int
	Filing string

	ShortGains, ShortLosses decimal.Decimal // this year's, losses positive
	LongGains, LongLosses   decimal.Decimal
	CarryIn                 Carryover

	NetShort decimal.Decimal // ShortGains − ShortLosses − CarryIn.Short (Schedule D line 7)
	NetLong  decimal.Decimal // LongGains − LongLosses − CarryIn.Long (line 15)
	Net      decimal.Decimal // NetShort + NetLong (line 16)

	// When Net is a gain, the part of it taxed as short-term (at ordinary
	// rates) and as long-term: a net loss of one character first reduces a
	// net gain of the other.
	TaxableShort, TaxableLong decimal.Decimal

	// When Net is a loss: the deduction against ordinary income, at most
	// LossLimit (line 21), and what carries to next year by character.
	Deduction decimal.Decimal
	CarryOut  Carryover
}

// Net nets the taxable gains sold in year (short against short, long
// against long, then the two together), applies the yearly loss limit for
// the filing status and computes the carryover by character.
//
// The carryover follows the Capital Loss Carryover Worksheet (Pub 550,
// Schedule D instructions): the deduction is charged to short-term loss
// first, and a net gain of one character absorbs loss of the other. Example:
// net short −4,000 and net long −2,000 → deduct 3,000, carry short 1,000 and
// long 2,000. The worksheet's taxable-income cap (lines 1–4) is not applied:
// the deduction is assumed usable in full.
func Net(gains []Gain, year int, carryIn Carryover, filing string) Netting {
	zero := decimal.Zero
	sg, sl, lg, ll := zero, zero, zero, zero
	for i := range gains {
		g := &gains[i]
		if !g.Taxable || g.DateSold.Time().Year() != year {
			continue
		}
		switch {
		case g.Term == Long && g.GainLoss.IsPositive():
			lg = lg.Add(g.GainLoss)
		case g.Term == Long:
			ll = ll.Sub(g.GainLoss)
		case g.GainLoss.IsPositive():
			sg = sg.Add(g.GainLoss)
		default:
			sl = sl.Sub(g.GainLoss)
		}
	}
	return netting(year, filing, carryIn, sg, sl, lg, ll)
}

// netting is Net from the year's sums: short-term gains and losses and
// long-term gains and losses, losses positive.
func netting(year int, filing string, carryIn Carryover, shortGains, shortLosses, longGains, longLosses decimal.Decimal) Netting {
	n := Netting{Year: year, Filing: filing, CarryIn: carryIn}
	zero := decimal.Zero
	n.ShortGains, n.ShortLosses, n.LongGains, n.LongLosses = shortGains, shortLosses, longGains, longLosses
	n.NetShort = n.ShortGains.Sub(n.ShortLosses).Sub(carryIn.Short)
	n.NetLong = n.LongGains.Sub(n.LongLosses).Sub(carryIn.Long)
	n.Net = n.NetShort.Add(n.NetLong)
	n.TaxableShort, n.TaxableLong, n.Deduction = zero, zero, zero
	n.CarryOut = Carryover{Short: zero, Long: zero}

	if !n.Net.IsNegative() {
		switch {
		case !n.NetShort.IsNegative() && !n.NetLong.IsNegative():
			n.TaxableShort, n.TaxableLong = n.NetShort, n.NetLong
		case n.NetShort.IsNegative():
			n.TaxableLong = n.Net // a short-term loss reduces the long-term gain
		default:
			n.TaxableShort = n.Net // a long-term loss reduces the short-term gain
		}
		return n
	}

	n.Deduction = decimal.Min(n.Net.Neg(), LossLimit(filing))
	// Worksheet lines 5–8: short-term carryover.
	stLoss := decimal.Max(n.NetShort.Neg(), zero)
	ltGain := decimal.Max(n.NetLong, zero)
	n.CarryOut.Short = decimal.Max(stLoss.Sub(n.Deduction.Add(ltGain)), zero)
	// Lines 9–13: long-term carryover.
	ltLoss := decimal.Max(n.NetLong.Neg(), zero)
	stGain := decimal.Max(n.NetShort, zero)
	left := decimal.Max(n.Deduction.Sub(stLoss), zero)
	n.CarryOut.Long = decimal.Max(ltLoss.Sub(stGain.Add(left)), zero)
	return n
}

// Rates are flat marginal rates, as fractions (0.32 for 32%): Short applies
// to short-term gains and to ordinary income, Long to long-term gains, State
// to both. Add the 3.8% net investment income tax into Short and Long when it
// applies.
type Rates struct {
	Short, Long, State decimal.Decimal
}

// EstimateTax is the federal and state tax the netting adds to the year, at
// flat marginal rates: the taxable short-term part at Short, the long-term
// part at Long, and, for a net loss, minus the deduction at Short (it offsets
// ordinary income); State on the net of all three. Negative when the year's
// losses save tax. Rounded once to portfolio.MoneyPlaces. Comparing two
// nettings gives a harvest's value: YTD short 5,000 and long 2,000 at 32%/15%
// is 1,900; adding a 10,000 short-term loss makes it −960, a saving of 2,860.
func EstimateTax(n Netting, rates Rates) decimal.Decimal {
	fed := n.TaxableShort.Mul(rates.Short).Add(n.TaxableLong.Mul(rates.Long)).Sub(n.Deduction.Mul(rates.Short))
	state := n.TaxableShort.Add(n.TaxableLong).Sub(n.Deduction).Mul(rates.State)
	return portfolio.RoundMoney(fed.Add(state))
}
