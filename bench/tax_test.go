package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/tax"
)

// taxAccounts are the four accounts of the gains benchmark: two taxable
// (FIFO and HIFO), the spouse's (LIFO) and a traditional IRA.
var taxAccounts = []portfolio.Account{
	{ID: "taxable", TaxType: portfolio.Taxable, LotMethod: portfolio.FIFO},
	{ID: "taxable2", TaxType: portfolio.Taxable, LotMethod: portfolio.HIFO},
	{ID: "spouse", TaxType: portfolio.SpouseTaxable, LotMethod: portfolio.LIFO},
	{ID: "ira", TaxType: portfolio.TraditionalIRA},
}

// taxTrades builds n trades over 500 symbols and the four accounts, perDay
// a day: buys, fractional dividend reinvestments and sales (by lot method)
// of random parts of what is held, at prices that random-walk, so losses are
// common. With 2,000 trades per symbol a purchase of the symbol falls in
// nearly every 61-day window whatever the pace, so most losses are washed
// (inside and across accounts, IRA included), chains are common and lots
// split into many sub-lots. Deterministic. Decimal values are shared from
// tables, so the input itself stays small.
func taxTrades(n, perDay int) []portfolio.Trade {
	const symbols = 500
	r := rand.New(rand.NewPCG(1091, 2008))
	syms := make([]string, symbols)
	price := make([]int64, symbols) // cents
	for s := range syms {
		syms[s] = fmt.Sprintf("S%03d", s)
		price[s] = 2000 + int64(r.IntN(20000))
	}
	prices := map[int64]decimal.Decimal{}
	priceOf := func(c int64) decimal.Decimal {
		p, ok := prices[c]
		if !ok {
			p = decimal.New(c, -2)
			prices[c] = p
		}
		return p
	}
	qtys := make([]decimal.Decimal, 101)
	for q := range qtys {
		qtys[q] = decimal.NewFromInt(int64(q))
	}
	fee := decimal.NewFromInt(1)
	held := make([]int64, len(taxAccounts)*symbols) // whole shares; reinvested fractions are never sold
	out := make([]portfolio.Trade, 0, n)
	day := portfolio.MustDate("2019-01-02")
	for i := range n {
		if i%perDay == 0 && i > 0 {
			day = day.AddDays(1)
			for s := range price { // a daily random walk, ±3%
				price[s] = max(100, price[s]+price[s]*int64(r.IntN(61)-30)/1000)
			}
		}
		s := r.IntN(symbols)
		a := r.IntN(len(taxAccounts))
		k := a*symbols + s
		t := portfolio.Trade{ID: "t" + strconv.Itoa(i), AccountID: taxAccounts[a].ID, Date: day, Symbol: syms[s], Price: priceOf(price[s]), Fees: fee}
		switch x := r.IntN(100); {
		case held[k] > 0 && x < 45:
			q := 1 + r.Int64N(min(held[k], 100))
			held[k] -= q
			t.Action, t.Quantity = portfolio.Sell, qtys[q]
		case x < 48:
			t.Action, t.Fees = portfolio.Reinvest, decimal.Zero
			t.Quantity = decimal.New(int64(1+r.IntN(999)), -3)
		default:
			q := 1 + r.Int64N(50)
			held[k] += q
			t.Action, t.Quantity = portfolio.Buy, qtys[q]
		}
		out = append(out, t)
	}
	return out
}

// gainsReport is what `tax gains` and `tax summary` need: the wash-adjusted
// gains, each year's netting, and every gain in Form 8949 terms. It replays
// the ledger, applies the wash-sale rule on the ledger's own integer records
// (tax.ApplyBooked), nets each year, and streams every gain out in integer
// units (tax.GainUnits), as a report writer would, without converting the
// history to decimals and back. BenchmarkGains1MResult measures the decimal
// API (tax.Apply's whole Result) on the same history.
// With phases set it reports the seconds spent in the ledger (Replay), in
// tax.ApplyBooked and in the report (netting and the gains stream).
func gainsReport(b *testing.B, trades []portfolio.Trade, phases bool) (gains, washed int, years []tax.Netting) {
	t0 := time.Now()
	led, err := portfolio.Replay(taxAccounts, trades)
	if err != nil {
		b.Fatal(err)
	}
	t1 := time.Now()
	rep, err := tax.ApplyBooked(taxAccounts, trades, led.Booked(), nil)
	if err != nil {
		b.Fatal(err)
	}
	t2 := time.Now()
	carry := tax.Carryover{Short: decimal.Zero, Long: decimal.Zero}
	first, last := rep.GainUnits(0).DateSold.Time().Year(), rep.GainUnits(rep.Len()-1).DateSold.Time().Year()
	for y := first; y <= last; y++ {
		n := rep.Net(y, carry, tax.FilingMarriedJointly)
		years = append(years, n)
		carry = n.CarryOut
	}
	for i := range rep.Len() {
		if g := rep.GainUnits(i); g.WashDisallowed > 0 {
			washed++
		}
	}
	if phases {
		b.ReportMetric(t1.Sub(t0).Seconds(), "ledger-s")
		b.ReportMetric(t2.Sub(t1).Seconds(), "apply-s")
		b.ReportMetric(time.Since(t2).Seconds(), "report-s")
	}
	return rep.Len(), washed, years
}

// gainsResult is the same through the all-decimal API (Ledger.Lots and
// Disposals, tax.Apply's full Result, tax.Net), kept for comparison; the app
// uses tax.ApplyBooked like BenchmarkGains1M.
func gainsResult(b *testing.B, trades []portfolio.Trade) (gains, washed int, years []tax.Netting) {
	led, err := portfolio.Replay(taxAccounts, trades)
	if err != nil {
		b.Fatal(err)
	}
	res, err := tax.Apply(tax.Input{Accounts: taxAccounts, Trades: trades, Lots: led.Lots(), Disposals: led.Disposals()})
	if err != nil {
		b.Fatal(err)
	}
	carry := tax.Carryover{Short: decimal.Zero, Long: decimal.Zero}
	first, last := res.Gains[0].DateSold.Time().Year(), res.Gains[len(res.Gains)-1].DateSold.Time().Year()
	for y := first; y <= last; y++ {
		n := tax.Net(res.Gains, y, carry, tax.FilingMarriedJointly)
		years = append(years, n)
		carry = n.CarryOut
	}
	for i := range res.Gains {
		if res.Gains[i].WashDisallowed.IsPositive() {
			washed++
		}
	}
	return len(res.Gains), washed, years
}

// BenchmarkGains1M: 1,000,000 trades over 500 symbols and 4 accounts (one
// an IRA), with frequent wash sales → Replay → tax.ApplyBooked → the gains
// report. Target: ≤ 3 s and ≤ 1 GB peak memory on the 2-core reference
// machine. The trades are generated before the timer starts.
// peak-RSS-MB is the process's high-water mark (VmHWM), which includes the
// generated input; heap-peak-MB is the Go heap's peak during the timed part.
// Run it alone (-bench 'Gains1M$'): VmHWM covers the whole process.
func BenchmarkGains1M(b *testing.B) {
	benchGains(b, gainsReport)
}

// BenchmarkGains1MResult is BenchmarkGains1M through the decimal API
// (tax.Apply's whole Result), for comparison.
func BenchmarkGains1MResult(b *testing.B) {
	benchGains(b, func(b *testing.B, trades []portfolio.Trade, _ bool) (int, int, []tax.Netting) {
		return gainsResult(b, trades)
	})
}

func benchGains(b *testing.B, report func(*testing.B, []portfolio.Trade, bool) (int, int, []tax.Netting)) {
	trades := taxTrades(1_000_000, 1000)
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	var washed, gains int
	for b.Loop() {
		stop := watchHeap()
		gains, washed, _ = report(b, trades, true)
		b.ReportMetric(float64(stop())/(1<<20), "heap-peak-MB")
	}
	b.StopTimer()
	b.ReportMetric(float64(gains), "gains")
	b.ReportMetric(float64(washed), "wash-sales")
	if hwm := vmHWM(); hwm > 0 {
		b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MB")
	}
}

// watchHeap samples the bytes held by heap objects (runtime/metrics, which
// does not stop the world) every 5 ms until the returned function is called,
// which returns the highest sample.
func watchHeap() func() uint64 {
	done := make(chan uint64)
	quit := make(chan struct{})
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-quit:
				done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 { close(quit); return <-done }
}

// vmHWM is the process's peak resident set size in bytes, from
// /proc/self/status (Linux); 0 elsewhere.
func vmHWM() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
