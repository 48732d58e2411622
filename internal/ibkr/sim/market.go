package sim

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // US/Eastern must resolve on machines without a zoneinfo database

	"github.com/shopspring/decimal"
)

// The regular session, in exchange time. The simulator has no extended
// hours: useRTH is accepted and ignored.
const (
	sessionOpen    = 9*time.Hour + 30*time.Minute
	sessionMinutes = 390
	delayedBy      = 15 * time.Minute
	zoneName       = "US/Eastern"
)

var (
	eastern = mustZone(zoneName)
	cent    = decimal.New(1, -2)
)

// onTick rounds a price to the 0.01 tick the simulator advertises
// (minTick in contractDetails and tickReqParams); a price on the tick is
// unchanged. A positive price never rounds to zero.
func onTick(d decimal.Decimal) decimal.Decimal {
	r := d.Round(2)
	if d.IsPositive() && !r.IsPositive() {
		return cent
	}
	return r
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("sim: time zone " + name + ": " + err.Error())
	}
	return loc
}

// symbol is one tradable stock with its daily bars.
type symbol struct {
	name    string
	conID   int64
	bars    []Bar
	days    []time.Time // bars[i]'s date at midnight US/Eastern
	today   int         // index of the bar on or before AsOf
	paths   map[int][]decimal.Decimal
	volumes map[int][]decimal.Decimal
}

// market is the price data and the clock. It is read under the server's
// lock (paths are cached lazily).
type market struct {
	syms  map[string]*symbol
	byCon map[int64]*symbol
	asOf  time.Time // AsOf at midnight US/Eastern
	seed  int64
}

func newMarket(prices map[string][]Bar, asOf string, seed int64) (*market, error) {
	m := &market{syms: map[string]*symbol{}, byCon: map[int64]*symbol{}, seed: seed}
	last := ""
	for name, bars := range prices {
		if name == "" || strings.ToUpper(name) != name {
			return nil, fmt.Errorf("symbol %q: symbols are upper case", name)
		}
		sym := &symbol{name: name, bars: bars, paths: map[int][]decimal.Decimal{}, volumes: map[int][]decimal.Decimal{}}
		for i, b := range bars {
			d, err := time.ParseInLocation(time.DateOnly, b.Date, eastern)
			if err != nil {
				return nil, fmt.Errorf("%s bar %d: date %q is not YYYY-MM-DD", name, i, b.Date)
			}
			if i > 0 && !d.After(sym.days[i-1]) {
				return nil, fmt.Errorf("%s: bar %s is not after %s (bars must ascend by date)", name, b.Date, bars[i-1].Date)
			}
			if b.Low.GreaterThan(b.High) || b.Open.LessThan(b.Low) || b.Open.GreaterThan(b.High) ||
				b.Close.LessThan(b.Low) || b.Close.GreaterThan(b.High) || !b.Low.IsPositive() {
				return nil, fmt.Errorf("%s %s: want 0 < low ≤ open, close ≤ high, got O %s H %s L %s C %s",
					name, b.Date, b.Open, b.High, b.Low, b.Close)
			}
			if b.Volume.IsNegative() {
				return nil, fmt.Errorf("%s %s: negative volume", name, b.Date)
			}
			sym.days = append(sym.days, d)
			if b.Date > last {
				last = b.Date
			}
		}
		m.syms[name] = sym
	}
	if asOf == "" {
		asOf = last
	}
	if asOf == "" {
		// No prices at all: a gateway with accounts only.
		asOf = time.Now().In(eastern).Format(time.DateOnly)
	}
	d, err := time.ParseInLocation(time.DateOnly, asOf, eastern)
	if err != nil {
		return nil, fmt.Errorf("AsOf %q is not YYYY-MM-DD", asOf)
	}
	m.asOf = d
	names := make([]string, 0, len(m.syms))
	for name := range m.syms {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		sym := m.syms[name]
		sym.today = sort.Search(len(sym.days), func(i int) bool { return sym.days[i].After(d) }) - 1
		id := conID(name)
		for m.byCon[id] != nil { // a hash collision: step on, deterministically
			id++
		}
		sym.conID = id
		m.byCon[id] = sym
	}
	return m, nil
}

// conID is a stable contract id for a symbol: the same on every run and
// every machine.
func conID(name string) int64 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return 100000 + int64(h.Sum32()%900000000)
}

// lookup finds a symbol that has a bar on or before AsOf.
func (m *market) lookup(name string) *symbol {
	sym := m.syms[strings.ToUpper(name)]
	if sym == nil || sym.today < 0 {
		return nil
	}
	return sym
}

func (m *market) session(day time.Time) (open, close time.Time) {
	open = day.Add(sessionOpen)
	return open, open.Add(sessionMinutes * time.Minute)
}

// path is the intraday price path of bars[i]: 391 points, one per minute
// from the open (point 0, the bar's open) to the close (point 390, the
// bar's close). Every point is on the 0.01 tick: the bar's prices are
// rounded to it first (unchanged when already on it), and the path
// touches the rounded high and low exactly and stays within them. The
// same seed, symbol and date always give the same path.
func (m *market) path(sym *symbol, i int) []decimal.Decimal {
	if p, ok := sym.paths[i]; ok {
		return p
	}
	b := tickBar(sym.bars[i])
	rng := m.rng(sym.name, b.Date, "path")
	p := make([]decimal.Decimal, sessionMinutes+1)
	if b.High.Equal(b.Low) {
		for k := range p {
			p[k] = b.Close
		}
		sym.paths[i] = p
		return p
	}
	iH := 1 + rng.IntN(sessionMinutes-1)
	iL := 1 + rng.IntN(sessionMinutes-2)
	if iL >= iH {
		iL++
	}
	type anchor struct {
		at int
		v  decimal.Decimal
	}
	anchors := []anchor{{0, b.Open}, {iH, b.High}, {iL, b.Low}, {sessionMinutes, b.Close}}
	slices.SortFunc(anchors, func(a, b anchor) int { return a.at - b.at })
	lo, hi := b.Low.InexactFloat64(), b.High.InexactFloat64()
	sigma := (hi - lo) * 0.03
	for a := range len(anchors) - 1 {
		from, to := anchors[a], anchors[a+1]
		p[from.at] = from.v
		n := to.at - from.at
		if n < 2 {
			continue
		}
		// A Brownian bridge between the anchors.
		walk := make([]float64, n+1)
		for k := 1; k <= n; k++ {
			walk[k] = walk[k-1] + rng.NormFloat64()*sigma
		}
		x0, x1 := from.v.InexactFloat64(), to.v.InexactFloat64()
		for k := 1; k < n; k++ {
			t := float64(k) / float64(n)
			x := x0 + (x1-x0)*t + walk[k] - walk[n]*t
			x = math.Min(math.Max(x, lo), hi)
			v := decimal.NewFromFloat(x).Round(2)
			if v.LessThan(b.Low) {
				v = b.Low
			}
			if v.GreaterThan(b.High) {
				v = b.High
			}
			p[from.at+k] = v
		}
	}
	p[sessionMinutes] = b.Close
	sym.paths[i] = p
	return p
}

// minuteVolumes splits bars[i]'s volume over its 390 minutes, more at the
// open and the close, summing exactly to the daily volume.
func (m *market) minuteVolumes(sym *symbol, i int) []decimal.Decimal {
	if v, ok := sym.volumes[i]; ok {
		return v
	}
	b := sym.bars[i]
	rng := m.rng(sym.name, b.Date, "volume")
	w := make([]float64, sessionMinutes)
	total := 0.0
	for k := range w {
		x := (float64(k) - sessionMinutes/2) / (sessionMinutes / 2)
		w[k] = (1 + 1.5*x*x) * (0.5 + rng.Float64())
		total += w[k]
	}
	whole := b.Volume.Floor()
	out := make([]decimal.Decimal, sessionMinutes)
	sum := decimal.Zero
	for k := range w {
		out[k] = whole.Mul(decimal.NewFromFloat(w[k] / total)).Floor()
		sum = sum.Add(out[k])
	}
	// What the flooring left over goes to the busiest minutes, a share each;
	// any fraction of a share goes to the last minute.
	rest := whole.Sub(sum).IntPart()
	order := make([]int, sessionMinutes)
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case w[a] > w[b]:
			return -1
		case w[a] < w[b]:
			return 1
		}
		return 0
	})
	for k := int64(0); k < rest; k++ {
		j := order[int(k)%sessionMinutes]
		out[j] = out[j].Add(decimal.NewFromInt(1))
	}
	out[sessionMinutes-1] = out[sessionMinutes-1].Add(b.Volume.Sub(whole))
	sym.volumes[i] = out
	return out
}

func (m *market) rng(parts ...string) *rand.Rand {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return rand.New(rand.NewPCG(uint64(m.seed), h.Sum64()))
}

// minuteOf is the path index of instant t on day i: 0 at or before the
// open, 390 at or after the close.
func (m *market) minuteOf(sym *symbol, i int, t time.Time) int {
	open, _ := m.session(sym.days[i])
	k := int(t.Sub(open) / time.Minute)
	return min(max(k, 0), sessionMinutes)
}

// quote is what market data shows for a symbol at an instant of the
// simulated today.
type quote struct {
	last, bid, ask, high, low, open, prevClose decimal.Decimal
	bidSize, askSize, lastSize, volume         decimal.Decimal
	at                                         time.Time // the market time it shows (15 minutes back for delayed data)
}

func (m *market) quoteAt(sym *symbol, t time.Time) quote {
	i := sym.today
	p := m.path(sym, i)
	k := m.minuteOf(sym, i, t)
	q := quote{last: p[k], open: p[0], high: p[0], low: p[0]}
	for _, v := range p[:k+1] {
		q.high = decimal.Max(q.high, v)
		q.low = decimal.Min(q.low, v)
	}
	vols := m.minuteVolumes(sym, i)
	q.volume = decimal.Zero
	for _, v := range vols[:min(k, sessionMinutes)] {
		q.volume = q.volume.Add(v)
	}
	q.bid = q.last.Sub(cent)
	if !q.bid.IsPositive() {
		q.bid = q.last
	}
	q.ask = q.last.Add(cent)
	q.prevClose = onTick(sym.bars[i].Open)
	if i > 0 {
		q.prevClose = onTick(sym.bars[i-1].Close)
	}
	q.at = t
	rng := m.rng(sym.name, sym.bars[i].Date, "size", fmt.Sprint(k))
	q.bidSize = decimal.NewFromInt(int64(100 * (1 + rng.IntN(20))))
	q.askSize = decimal.NewFromInt(int64(100 * (1 + rng.IntN(20))))
	q.lastSize = decimal.NewFromInt(int64(100 * (1 + rng.IntN(5))))
	return q
}

// priceAt is the last price of a symbol at an instant of the simulated
// today.
func (m *market) priceAt(sym *symbol, t time.Time) decimal.Decimal {
	return m.path(sym, sym.today)[m.minuteOf(sym, sym.today, t)]
}

// tickBar is a bar with its prices on the 0.01 tick.
func tickBar(b Bar) Bar {
	b.Open, b.High, b.Low, b.Close = onTick(b.Open), onTick(b.High), onTick(b.Low), onTick(b.Close)
	return b
}

// BarsFromCloses makes daily bars from a series of closes, for price data
// that has nothing else (such as the demo's adjusted closes): each day
// opens at the previous close, its high and low are the open and close,
// and the volume is zero. Closes stay exact; the intraday path then runs
// from the previous close to the close, so limit and stop orders between
// the two can fill. dates and closes pair up and ascend.
func BarsFromCloses(dates []string, closes []decimal.Decimal) []Bar {
	bars := make([]Bar, 0, len(closes))
	for i, c := range closes {
		open := c
		if i > 0 {
			open = closes[i-1]
		}
		bars = append(bars, Bar{Date: dates[i], Open: open, High: decimal.Max(open, c), Low: decimal.Min(open, c), Close: c, Volume: decimal.Zero})
	}
	return bars
}
