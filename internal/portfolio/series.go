package portfolio

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
)

// SeriesInput is what BuildSeries needs: the accounts, their whole trade
// history and the stored daily closes of every traded symbol (and of a
// benchmark, if one is wanted; extra symbols only add calendar days).
type SeriesInput struct {
	Accounts []Account
	Trades   []Trade          // any order; booked in Trade.Before order
	Bars     map[string][]Bar // closes by symbol, each slice sorted by date
	To       Date             // last day of the series
}

// Flow is money moving into or out of a line on one day of its series.
// In arrives at the start of the day (it is invested for the day), Out
// leaves at its end (it earned the day's return first): the two day
// boundaries of a daily-linked time-weighted return. Amounts are in
// micro-units of money (10^-6, MoneyPlaces).
type Flow struct {
	Day     int   // index into Series.Dates
	In, Out int64 // both non-negative
}

// Line is the daily value of the portfolio, one account or one holding.
//
// For the portfolio and an account the flows are external: deposits (In)
// and withdrawals (Out). Dividends, interest, fees, buys and sells stay
// inside (they move money between cash and holdings) and so are part of
// the return. For a holding the flows are the cash its trades move: a buy
// costs In (price × quantity plus fees), a sale pays Out (net proceeds),
// and its dividends are paid Out to cash as income, so a holding's return
// is its total return.
type Line struct {
	Key       string  // "portfolio", an account ID, or "accountID/SYMBOL"
	AccountID string  // accounts and holdings
	Symbol    string  // holdings
	Value     []int64 // close value by day, micro-units of money
	Flows     []Flow  // by day, at most one per day
}

// Series is the portfolio's daily valuation from its first trade to To.
// Values use the latest close on or before each day; a holding whose
// symbol has no close yet is valued at the price of its last trade, and
// its symbol is listed in Missing.
type Series struct {
	Dates     []Date
	Portfolio Line
	Accounts  []Line // in the order of SeriesInput.Accounts
	Holdings  []Line // by account ID then symbol
	// Internal sums the portfolio's internal cash flows over the whole
	// series, in micro-units: dividends, interest, fees, buys, sells.
	Internal InternalFlows
	Missing  []string
}

// InternalFlows are cash movements inside the portfolio, which are not
// flows for its return.
type InternalFlows struct {
	Dividends, Interest, Fees, Buys, Sells int64
}

// Money converts micro-units of money to a decimal.
func Money(micro int64) decimal.Decimal { return decimal.New(micro, -MoneyPlaces) }

// MicroMoney converts an amount to micro-units, rounded half away from zero.
func MicroMoney(d decimal.Decimal) (int64, bool) { return units(d, MoneyPlaces) }

// BuildSeries values the portfolio on every day from its first trade to
// in.To: the union of the days of in.Bars and of the trade dates. Trades
// are booked through a Ledger, so a history the ledger refuses is refused
// here with the same *BookingError.
func BuildSeries(in SeriesInput) (*Series, error) {
	// Trade.Before order, with the (date, action) key computed once per
	// trade rather than per comparison.
	order := make([]int, len(in.Trades))
	keyOf := make([]int64, len(in.Trades))
	for i, t := range in.Trades {
		order[i] = i
		keyOf[i] = int64(t.Date)*16 + int64(t.Action.DayRank())
	}
	slices.SortFunc(order, func(a, b int) int {
		if keyOf[a] != keyOf[b] {
			if keyOf[a] < keyOf[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(in.Trades[a].ID, in.Trades[b].ID)
	})
	trades := make([]Trade, len(order))
	for i, j := range order {
		trades[i] = in.Trades[j]
	}
	for len(trades) > 0 && trades[len(trades)-1].Date > in.To {
		trades = trades[:len(trades)-1]
	}
	s := &Series{Portfolio: Line{Key: "portfolio"}}
	if len(trades) == 0 {
		return s, nil
	}
	start := trades[0].Date
	s.Dates = calendar(start, in.To, in.Bars, trades)
	n := len(s.Dates)

	acctIndex := map[string]int{}
	for _, a := range in.Accounts {
		if _, ok := acctIndex[a.ID]; ok {
			continue
		}
		acctIndex[a.ID] = len(s.Accounts)
		s.Accounts = append(s.Accounts, Line{Key: a.ID, AccountID: a.ID, Value: make([]int64, n)})
	}
	type hkey struct{ acct, sym string }
	holdIndex := map[hkey]int{}
	for _, t := range trades {
		if t.Action == Buy || t.Action == Reinvest || t.Action == Sell || t.Action == Split {
			k := hkey{t.AccountID, t.Symbol}
			if _, ok := holdIndex[k]; !ok {
				holdIndex[k] = -1
			}
		}
	}
	keys := make([]hkey, 0, len(holdIndex))
	for k := range holdIndex {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].acct != keys[j].acct {
			return keys[i].acct < keys[j].acct
		}
		return keys[i].sym < keys[j].sym
	})
	s.Holdings = make([]Line, len(keys))
	hAcct := make([]int, len(keys))
	for i, k := range keys {
		holdIndex[k] = i
		s.Holdings[i] = Line{Key: k.acct + "/" + k.sym, AccountID: k.acct, Symbol: k.sym, Value: make([]int64, n)}
		hAcct[i] = acctIndex[k.acct]
	}

	// Prices: one cursor per symbol over its bars, closes in micro-units.
	type cursor struct {
		dates  []Date
		closes []int64 // micro-units, converted once per symbol
		next   int
		price  int64 // latest close (or trade price before any close)
		known  bool  // price holds a close
		have   bool  // price holds anything
	}
	cursors := map[string]*cursor{}
	hCur := make([]*cursor, len(keys))
	for i, k := range keys {
		c, ok := cursors[k.sym]
		if !ok {
			// One symbol's bars are converted in one sequential pass: they
			// sit together in memory, unlike one day across symbols.
			bars := in.Bars[k.sym]
			c = &cursor{dates: make([]Date, 0, len(bars)), closes: make([]int64, 0, len(bars))}
			for _, b := range bars {
				if b.Date > in.To {
					break
				}
				if p, ok := microUnits(b.Close); ok {
					c.dates = append(c.dates, b.Date)
					c.closes = append(c.closes, p)
				}
			}
			cursors[k.sym] = c
		}
		hCur[i] = c
	}
	curList := make([]*cursor, 0, len(cursors))
	curSyms := make([]string, 0, len(cursors))
	for sym, c := range cursors {
		curList = append(curList, c)
		curSyms = append(curSyms, sym)
	}

	ledger := NewLedger(in.Accounts)
	qty := make([]int64, len(keys)) // quantity units (10^-8 shares)
	cash := make([]int64, len(s.Accounts))
	hFlow := make([]Flow, len(keys))
	aFlow := make([]Flow, len(s.Accounts))
	var pFlow Flow
	touched := make([]int, 0, 16)
	touchedA := make([]int, 0, 4)
	ti := 0
	for day, d := range s.Dates {
		touched, touchedA = touched[:0], touchedA[:0]
		pFlow = Flow{Day: day}
		for ; ti < len(trades) && trades[ti].Date <= d; ti++ {
			t := &trades[ti]
			if err := ledger.Apply(*t); err != nil {
				return nil, err
			}
			ai, ok := acctIndex[t.AccountID]
			if !ok {
				return nil, &BookingError{TradeID: t.ID, Field: "account", Err: fmt.Errorf("unknown account %q", t.AccountID)}
			}
			net, ok := units(t.NetCash(), MoneyPlaces)
			if !ok {
				return nil, &BookingError{TradeID: t.ID, Field: "amount", Err: fmt.Errorf("amount out of range")}
			}
			cash[ai] += net
			if aFlow[ai].Day != day+1 {
				aFlow[ai] = Flow{Day: day + 1} // Day is stored +1 while collecting
				touchedA = append(touchedA, ai)
			}
			hi := -1
			if t.Action.NeedsSymbol() {
				if i, ok := holdIndex[hkey{t.AccountID, t.Symbol}]; ok {
					hi = i
					if hFlow[hi].Day != day+1 {
						hFlow[hi] = Flow{Day: day + 1}
						touched = append(touched, hi)
					}
				}
			}
			switch t.Action {
			case Deposit:
				aFlow[ai].In += net
				pFlow.In += net
			case Withdrawal:
				aFlow[ai].Out -= net
				pFlow.Out -= net
			case Interest:
				s.Internal.Interest += net
			case Fee:
				s.Internal.Fees -= net
			case Dividend:
				s.Internal.Dividends += net
				if hi >= 0 {
					hFlow[hi].Out += net
				}
			case Buy, Reinvest:
				q, _ := units(t.Quantity, QuantityPlaces)
				qty[hi] += q
				cost, _ := units(t.CostBasis(), MoneyPlaces)
				hFlow[hi].In += cost
				if t.Action == Buy {
					s.Internal.Buys -= net
				} else {
					s.Internal.Dividends += cost // a dividend paid in shares
					hFlow[hi].Out += cost
				}
				c := hCur[hi]
				if !c.known {
					if p, ok := units(t.Price, MoneyPlaces); ok && p > 0 {
						c.price, c.have = p, true
					}
				}
			case Sell:
				q, _ := units(t.Quantity, QuantityPlaces)
				qty[hi] -= q
				hFlow[hi].Out += net
				s.Internal.Sells += net
				c := hCur[hi]
				if !c.known {
					if p, ok := units(t.Price, MoneyPlaces); ok && p > 0 {
						c.price, c.have = p, true
					}
				}
			case Split:
				qty[hi] = splitQuantity(ledger, t.AccountID, t.Symbol)
			}
		}
		// Advance the price cursors to d.
		for _, c := range curList {
			for c.next < len(c.dates) && c.dates[c.next] <= d {
				c.price, c.known, c.have = c.closes[c.next], true, true
				c.next++
			}
		}
		var total int64
		for i := range s.Accounts {
			s.Accounts[i].Value[day] = cash[i]
			total += cash[i]
		}
		for i := range keys {
			if qty[i] == 0 {
				continue
			}
			v := mulQtyPrice(qty[i], hCur[i].price)
			s.Holdings[i].Value[day] = v
			s.Accounts[hAcct[i]].Value[day] += v
			total += v
		}
		s.Portfolio.Value = append(s.Portfolio.Value, total)
		for _, hi := range touched {
			f := hFlow[hi]
			if f.In != 0 || f.Out != 0 {
				f.Day = day
				s.Holdings[hi].Flows = append(s.Holdings[hi].Flows, f)
			}
		}
		for _, ai := range touchedA {
			f := aFlow[ai]
			if f.In != 0 || f.Out != 0 {
				f.Day = day
				s.Accounts[ai].Flows = append(s.Accounts[ai].Flows, f)
			}
		}
		if pFlow.In != 0 || pFlow.Out != 0 {
			s.Portfolio.Flows = append(s.Portfolio.Flows, pFlow)
		}
	}
	for i, c := range curList {
		if !c.known {
			s.Missing = append(s.Missing, curSyms[i])
		}
	}
	sort.Strings(s.Missing)
	return s, nil
}

// microUnits is units(d, MoneyPlaces) with a fast path for the common case
// of a decimal already at MoneyPlaces (every stored close is), which avoids
// math/big on the series' hot path.
func microUnits(d decimal.Decimal) (int64, bool) {
	if d.Exponent() == -MoneyPlaces {
		if c := d.CoefficientInt64(); c >= 0 && c < 1e17 {
			return c, true
		}
	}
	return units(d, MoneyPlaces)
}

// splitQuantity reads a holding's quantity back from the ledger after a
// split, which rescales (and rounds) each lot on its own.
func splitQuantity(l *Ledger, acct, sym string) int64 {
	var q int64
	for _, lot := range l.OpenLots() {
		if lot.AccountID == acct && strings.EqualFold(lot.Symbol, sym) {
			u, _ := units(lot.Quantity, QuantityPlaces)
			q += u
		}
	}
	return q
}

// mulQtyPrice is RoundMoney(quantity × price) in units: quantity in 10^-8
// shares, price and result in 10^-6 of money, rounded half away from zero.
func mulQtyPrice(q, p int64) int64 {
	neg := (q < 0) != (p < 0)
	uq, up := uint64(q), uint64(p)
	if q < 0 {
		uq = uint64(-q)
	}
	if p < 0 {
		up = uint64(-p)
	}
	hi, lo := bits.Mul64(uq, up)
	lo, carry := bits.Add64(lo, 50_000_000, 0)
	hi += carry
	var v uint64
	if hi >= 100_000_000 {
		v = math.MaxInt64 // beyond any real portfolio; saturate
	} else {
		v, _ = bits.Div64(hi, lo, 100_000_000)
	}
	if v > math.MaxInt64 {
		v = math.MaxInt64
	}
	if neg {
		return -int64(v)
	}
	return int64(v)
}

// calendar is the sorted union of bar and trade dates from start to to,
// marked in a bitmap of the days between them.
func calendar(start, to Date, bars map[string][]Bar, trades []Trade) []Date {
	if to < start {
		return nil
	}
	mark := make([]bool, int(to-start)+1)
	for _, bs := range bars {
		i, _ := slices.BinarySearchFunc(bs, start, func(b Bar, d Date) int { return int(b.Date) - int(d) })
		for ; i < len(bs) && bs[i].Date <= to; i++ {
			mark[bs[i].Date-start] = true
		}
	}
	for _, t := range trades {
		if t.Date >= start && t.Date <= to {
			mark[t.Date-start] = true
		}
	}
	out := make([]Date, 0, len(mark))
	for i, m := range mark {
		if m {
			out = append(out, start+Date(i))
		}
	}
	return out
}

// DailyReturns are one line's time-weighted daily returns: on day t,
//
//	r_t = (V_t + Out_t) / (V_{t−1} + In_t) − 1
//
// with inflows invested from the start of the day and outflows taken at its
// end. A day whose denominator is not positive (nothing held and nothing
// coming in, such as every day after a holding is sold to zero) has no
// return and is left out, rather than counting as −100%.
type DailyReturns struct {
	Dates []Date
	R     []float64
}

// Returns computes the line's daily returns on the series' dates.
func (s *Series) Returns(l *Line) DailyReturns {
	out := DailyReturns{Dates: make([]Date, 0, len(s.Dates)), R: make([]float64, 0, len(s.Dates))}
	fi := 0
	var prev int64
	for day := range s.Dates {
		var in, outf int64
		if fi < len(l.Flows) && l.Flows[fi].Day == day {
			in, outf = l.Flows[fi].In, l.Flows[fi].Out
			fi++
		}
		den := prev + in
		if den > 0 {
			out.Dates = append(out.Dates, s.Dates[day])
			out.R = append(out.R, float64(l.Value[day]+outf)/float64(den)-1)
		}
		prev = l.Value[day]
	}
	return out
}

// PriceReturns are a symbol's daily close-to-close returns on the given
// calendar, with closes carried forward over days without a bar; days
// before its first close are left out.
func PriceReturns(dates []Date, bars []Bar) DailyReturns {
	closes := CloseOn(dates, bars)
	out := DailyReturns{Dates: make([]Date, 0, len(dates)), R: make([]float64, 0, len(dates))}
	for i := 1; i < len(dates); i++ {
		if closes[i-1] > 0 && closes[i] > 0 {
			out.Dates = append(out.Dates, dates[i])
			out.R = append(out.R, closes[i]/closes[i-1]-1)
		}
	}
	return out
}

// CloseOn is the latest close on or before each date (0 before the first bar).
func CloseOn(dates []Date, bars []Bar) []float64 {
	out := make([]float64, len(dates))
	j := 0
	var last float64
	for i, d := range dates {
		for j < len(bars) && bars[j].Date <= d {
			last = bars[j].Close.InexactFloat64()
			j++
		}
		out[i] = last
	}
	return out
}

// Line returns the line with the given key ("portfolio", an account ID or
// "accountID/SYMBOL"), or nil.
func (s *Series) Line(key string) *Line {
	if key == "portfolio" || key == "" {
		return &s.Portfolio
	}
	for i := range s.Accounts {
		if s.Accounts[i].Key == key {
			return &s.Accounts[i]
		}
	}
	for i := range s.Holdings {
		if s.Holdings[i].Key == key {
			return &s.Holdings[i]
		}
	}
	return nil
}

// Invested is the securities alone, without cash: the sum of the holdings'
// lines (of one account, or all when accountID is empty) with their flows
// (buys in, sales and dividends out). Its returns are those of what is
// invested, so its beta is not diluted by cash.
func (s *Series) Invested(accountID string) Line {
	l := Line{Key: "invested", AccountID: accountID, Value: make([]int64, len(s.Dates))}
	flows := map[int]*Flow{}
	for i := range s.Holdings {
		h := &s.Holdings[i]
		if accountID != "" && h.AccountID != accountID {
			continue
		}
		for d, v := range h.Value {
			l.Value[d] += v
		}
		for _, f := range h.Flows {
			g, ok := flows[f.Day]
			if !ok {
				g = &Flow{Day: f.Day}
				flows[f.Day] = g
			}
			g.In += f.In
			g.Out += f.Out
		}
	}
	for _, f := range flows {
		l.Flows = append(l.Flows, *f)
	}
	slices.SortFunc(l.Flows, func(a, b Flow) int { return a.Day - b.Day })
	return l
}
