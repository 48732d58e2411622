package tax

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

func wsG(term Term, gl string) Gain {
	return Gain{Term: term, GainLoss: wsDec(gl), DateSold: portfolio.MustDate("2024-06-01"), Taxable: true}
}

// TestNet checks Schedule D netting, the loss limit and the carryover by
// character against hand-computed numbers (the Capital Loss Carryover
// Worksheet in Pub 550 / the Schedule D instructions: the deduction is
// charged to short-term loss first).
func TestNet(t *testing.T) {
	zero := Carryover{Short: decimal.Zero, Long: decimal.Zero}
	for _, c := range []struct {
		name, source   string
		gains          []Gain
		carryIn        Carryover
		filing         string
		netShort       string
		netLong        string
		taxS, taxL     string
		ded            string
		carryS, carryL string
	}{
		{name: "ST-FIRST", source: "NETTING-CHARACTER-ST-FIRST: net ST −4,000, LT −2,000 → deduct 3,000, carry ST 1,000 and LT 2,000",
			gains:    []Gain{wsG(Short, "-4000"), wsG(Long, "-2000")},
			netShort: "-4000", netLong: "-2000", taxS: "0", taxL: "0", ded: "3000", carryS: "1000", carryL: "2000"},
		{name: "7000-LOSS", source: "Pub 550 (the Sampsons, joint): a $7,000 loss → $3,000 deducted, $4,000 carried",
			gains: []Gain{wsG(Short, "-7000")}, filing: FilingMarriedJointly,
			netShort: "-7000", netLong: "0", ded: "3000", carryS: "4000", carryL: "0"},
		{name: "2000-LOSS", source: "Pub 550 (the Sampsons): a $2,000 loss → $2,000 deducted, nothing carried",
			gains:   []Gain{wsG(Long, "-2500"), wsG(Long, "500")},
			netLong: "-2000", ded: "2000", carryS: "0", carryL: "0"},
		{name: "MFS-1500", source: "IRC §1211(b): $1,500 married filing separately; 7,000 → 1,500 deducted, 5,500 carried",
			gains: []Gain{wsG(Short, "-7000")}, filing: "mfs",
			ded: "1500", carryS: "5500", carryL: "0"},
		{name: "ST-GAIN-LT-LOSS", source: "hand-computed: ST +5,000, LT −2,000 → 3,000 net gain taxed as short-term",
			gains: []Gain{wsG(Short, "5000"), wsG(Long, "-2000")},
			taxS:  "3000", taxL: "0", ded: "0", carryS: "0", carryL: "0"},
		{name: "ST-LOSS-LT-GAIN", source: "hand-computed: ST −1,000, LT +4,000 → 3,000 net gain taxed as long-term",
			gains: []Gain{wsG(Short, "-1000"), wsG(Long, "4000")},
			taxS:  "0", taxL: "3000", ded: "0"},
		{name: "ST-LOSS-ABSORBS-LT-GAIN", source: "worksheet lines 5–8: ST −6,000, LT +2,000 → deduct 3,000, carry ST 1,000",
			gains: []Gain{wsG(Short, "-6000"), wsG(Long, "2000")},
			ded:   "3000", carryS: "1000", carryL: "0"},
		{name: "LT-LOSS-ABSORBS-ST-GAIN", source: "worksheet lines 9–13: ST +1,000, LT −5,000 → deduct 3,000, carry LT 1,000",
			gains: []Gain{wsG(Short, "1000"), wsG(Long, "-5000")},
			ded:   "3000", carryS: "0", carryL: "1000"},
		{name: "SMALL-ST-LOSS-BIG-LT-LOSS", source: "worksheet: ST −1,000, LT −5,000 → deduct 3,000 (1,000 ST + 2,000 LT), carry LT 3,000",
			gains: []Gain{wsG(Short, "-1000"), wsG(Long, "-5000")},
			ded:   "3000", carryS: "0", carryL: "3000"},
		{name: "CARRY-IN", source: "IRC §1212(b): carried ST 2,000 and LT 1,000 net against this year's ST +1,500 and LT +4,000 → 2,500 long-term gain",
			gains:    []Gain{wsG(Short, "1500"), wsG(Long, "4000")},
			carryIn:  Carryover{Short: wsDec("2000"), Long: wsDec("1000")},
			netShort: "-500", netLong: "3000", taxS: "0", taxL: "2500", ded: "0", carryS: "0", carryL: "0"},
		{name: "CARRY-IN-KEEPS-CHARACTER", source: "IRC §1212(b): a long-term carryover stays long-term when it is not used up",
			carryIn:  Carryover{Short: decimal.Zero, Long: wsDec("10000")},
			netShort: "0", netLong: "-10000", ded: "3000", carryS: "0", carryL: "7000"},
		{name: "OTHER-YEAR-AND-IRA-IGNORED", source: "only the year's taxable sales count",
			gains: []Gain{
				wsG(Short, "-1000"),
				{Term: Short, GainLoss: wsDec("-5000"), DateSold: portfolio.MustDate("2023-12-29"), Taxable: true},
				{Term: Long, GainLoss: wsDec("-5000"), DateSold: portfolio.MustDate("2024-02-01"), Taxable: false},
			},
			netShort: "-1000", netLong: "0", ded: "1000", carryS: "0", carryL: "0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := c.carryIn
			if in.Short.IsZero() && in.Long.IsZero() {
				in = zero
			}
			n := Net(c.gains, 2024, in, c.filing)
			for _, x := range []struct {
				what, want string
				got        decimal.Decimal
			}{
				{"NetShort", c.netShort, n.NetShort}, {"NetLong", c.netLong, n.NetLong},
				{"TaxableShort", c.taxS, n.TaxableShort}, {"TaxableLong", c.taxL, n.TaxableLong},
				{"Deduction", c.ded, n.Deduction},
				{"CarryOut.Short", c.carryS, n.CarryOut.Short}, {"CarryOut.Long", c.carryL, n.CarryOut.Long},
			} {
				if x.want != "" && !x.got.Equal(wsDec(x.want)) {
					t.Errorf("%s = %s, want %s (%s)", x.what, x.got, x.want, c.source)
				}
			}
			// What is deducted and carried is exactly the net loss.
			if n.Net.IsNegative() {
				if sum := n.Deduction.Add(n.CarryOut.Short).Add(n.CarryOut.Long); !sum.Equal(n.Net.Neg()) {
					t.Errorf("deduction + carryover = %s, want the net loss %s", sum, n.Net.Neg())
				}
			}
		})
	}
}

// TestEstimateTax: TAX-SAVINGS-HARVEST-VALUE (reference/tax-rules.md §3.2):
// YTD ST 5,000 and LT 2,000 at 32%/15% is $1,900; harvesting a 10,000 ST
// loss leaves −3,000 against ordinary income, −$960: a $2,860 saving. With no
// gains the saving is $960 and 7,000 carries forward.
func TestEstimateTax(t *testing.T) {
	rates := Rates{Short: wsDec("0.32"), Long: wsDec("0.15")}
	zero := Carryover{Short: decimal.Zero, Long: decimal.Zero}
	before := Net([]Gain{wsG(Short, "5000"), wsG(Long, "2000")}, 2024, zero, FilingSingle)
	after := Net([]Gain{wsG(Short, "5000"), wsG(Long, "2000"), wsG(Short, "-10000")}, 2024, zero, FilingSingle)
	if got := EstimateTax(before, rates); !got.Equal(wsDec("1900")) {
		t.Errorf("tax before harvest = %s, want 1900", got)
	}
	if got := EstimateTax(after, rates); !got.Equal(wsDec("-960")) {
		t.Errorf("tax after harvest = %s, want -960", got)
	}
	if s := EstimateTax(before, rates).Sub(EstimateTax(after, rates)); !s.Equal(wsDec("2860")) {
		t.Errorf("saving = %s, want 2860", s)
	}
	alone := Net([]Gain{wsG(Short, "-10000")}, 2024, zero, FilingSingle)
	if got := EstimateTax(alone, rates); !got.Equal(wsDec("-960")) || !alone.CarryOut.Short.Equal(wsDec("7000")) {
		t.Errorf("harvest alone: tax %s carry %s, want -960 and 7000", got, alone.CarryOut.Short)
	}
	// State tax on the net: 5,000 ST + 2,000 LT at 5% more.
	rates.State = wsDec("0.05")
	if got := EstimateTax(before, rates); !got.Equal(wsDec("2250")) {
		t.Errorf("tax with state = %s, want 2250", got)
	}
	if got := LossLimit("married_filing_separately"); !got.Equal(wsDec("1500")) {
		t.Errorf("LossLimit(mfs) = %s", got)
	}
}
