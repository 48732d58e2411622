package tax

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// Input is a household's whole booked history: the accounts, every trade,
// and what portfolio.Replay made of them.
type Input struct {
	Accounts  []portfolio.Account
	Trades    []portfolio.Trade    // the whole history; Apply reads its SPLITs
	Lots      []portfolio.Lot      // Ledger.Lots(): every lot, open and closed
	Disposals []portfolio.Disposal // Ledger.Disposals()
	Identical *Identical           // nil: each symbol is identical only to itself
}

// Result is the history with the wash-sale rule applied.
type Result struct {
	// Lots are Input.Lots with AdjustedBasis and AdjustedDateAcquired set, in
	// the ledger's order (account, symbol, date acquired, ID). A lot whose
	// shares do not all share one adjustment is split into sub-lots, in place
	// of the lot, with IDs SubLotID(lot.ID, 1), SubLotID(lot.ID, 2), ... (see
	// Apply for the convention).
	Lots []portfolio.Lot
	// Gains has one entry per disposal and sub-lot the disposal touched, in
	// sale order (date sold, sale trade ID, then the lots by acquisition).
	Gains []Gain
}

// Gain is one line of Form 8949: shares of one (sub-)lot sold by one sale.
type Gain struct {
	SellID    string // the SELL trade
	LotID     string // the lot, or its sub-lot (SubLotID) when the lot was split
	AccountID string
	Symbol    string
	Quantity  decimal.Decimal
	// DateAcquired is the purchase's trade date; AdjustedDateAcquired is
	// moved back by the holding period of the loss shares this lot replaced
	// (IRC §1223(3)). Form 8949 column (b) shows the adjusted date.
	DateAcquired, AdjustedDateAcquired, DateSold portfolio.Date
	Proceeds                                     decimal.Decimal // column (d): share of the sale's net proceeds
	CostBasis                                    decimal.Decimal // column (e): adjusted basis of the shares sold
	// WashDisallowed is the loss this sale may not deduct (column (g), code
	// W), positive; zero when the sale is not a wash sale.
	WashDisallowed decimal.Decimal
	// PermanentlyDisallowed is set when some of the replacement shares were
	// bought in a traditional or Roth IRA: that part of the loss goes into no
	// basis and is lost for good (Rev. Rul. 2008-5). PermanentAmount is that
	// part of WashDisallowed.
	PermanentlyDisallowed bool
	PermanentAmount       decimal.Decimal
	GainLoss              decimal.Decimal // column (h): Proceeds − CostBasis + WashDisallowed
	Term                  Term            // from AdjustedDateAcquired to DateSold
	Taxable               bool            // false for sales inside an IRA or Roth: not reported
}

// SubLotID names sub-lot n (from 1) of a lot split by Apply: "lotID/w<n>".
func SubLotID(lotID string, n int) string { return lotID + "/w" + strconv.Itoa(n) }

// BaseLotID returns the ID of the ledger lot a (sub-)lot ID belongs to: it
// strips a trailing "/w<n>".
func BaseLotID(id string) string {
	i := strings.LastIndex(id, "/w")
	if i < 0 || i+2 == len(id) {
		return id
	}
	for _, c := range id[i+2:] {
		if c < '0' || c > '9' {
			return id
		}
	}
	return id[:i]
}

// Apply applies the wash-sale rule (IRC §1091) across every account of the
// input and computes the realized gain of every disposal. The result depends
// only on the content of the input, never on the order of its slices.
//
// Rules (reference/tax-rules.md §1–2; see wash for the matching itself):
// losses are taken in sale order; each is matched with substantially
// identical shares bought within 30 days before or after, in any account,
// in acquisition order, each replacement share absorbing one loss only;
// disallowed loss and holding period carry into taxable replacements, and
// are lost for good when the replacement is in an IRA or Roth; a loss is
// measured on the adjusted basis, so chains wash again; losses inside an IRA
// or Roth are not wash-sale losses (Taxable false, nothing disallowed).
//
// Conventions where the law leaves a choice:
//   - Share order inside a lot. The ledger decides which lot a sale takes and
//     how many shares; Apply decides which of that lot's shares. A lot's
//     shares are numbered, sales take them from the lowest number up, and a
//     replacement takes the lowest-numbered shares that are neither sold nor
//     already a replacement. So a later sale of a partly washed lot sells its
//     washed shares first (the older adjusted date, the carried loss realized
//     at the first chance), sub-lot by sub-lot in order.
//   - Sub-lots. A lot whose shares do not all carry the same adjustment is
//     split, in Result.Lots, into sub-lots "ID/w1", "ID/w2", ... in share
//     order: each run of shares that replaced one loss piece, and each run
//     between them that replaced nothing. Each sub-lot has one adjusted date
//     and basis; bases are shared out by shares, rounded once to
//     portfolio.MoneyPlaces with the remainder on the last sub-lot, so the
//     sub-lots sum exactly to the lot. A lot wholly replacing one loss keeps
//     its ID. Gains name the sub-lot; BaseLotID and Lot.OpenTradeID give the
//     ledger lot. IRA lots are never split (they get no adjustment).
//   - A lot bought and sold before the loss sale is not a replacement, nor
//     are shares whose own sale was processed before (the trackers'
//     convention; no IRS example).
//   - Same-day sales are ordered by sale trade ID, and a sale's lots by
//     acquisition (Reg. §1.1091-1(b) for the latter).
//   - Splits: a disposal before a SPLIT is counted in the lot's post-split
//     shares; share counts of different lots are compared in those units.
//
// The adjusted fields of Input.Lots and Input.Disposals are ignored: Apply
// recomputes every adjustment from the history.
func Apply(in Input) (Result, error) {
	r, _, err := apply(in, false)
	return r, err
}

// ApplyBooked is Apply on a replayed ledger's own lots and disposals
// (Ledger.Booked), without converting them to decimals and back, and with a
// compact result that converts to decimals only what is asked of it. Its
// Result is what Apply gives on Ledger.Lots and Ledger.Disposals. The
// Report reads the ledger's records: it is valid until the ledger books
// another trade.
func ApplyBooked(accounts []portfolio.Account, trades []portfolio.Trade, booked portfolio.Booked, identical *Identical) (*Report, error) {
	e := &engine{accounts: accounts, trades: trades, identical: identical, bk: booked, booked: true}
	if err := e.loadBooked(); err != nil {
		return nil, err
	}
	return e.finish(), nil
}

// lotState is a lot as the engine sees it. Its shares are numbered 0..q-1
// (in quantity units, after every later split); sales consume them from the
// front in sale order, and replacements are carved from the lowest-numbered
// shares that are neither sold nor already a replacement. So "sold" and
// "used" are both prefixes, and the free shares are [max(sold, used), q).
//
// Its index in engine.lots is its index in Input.Lots (or the ledger's
// lots). The fields are ordered to pack it in 104 bytes.
type lotState struct {
	id, symbol string
	q          int64
	sold       int64 // shares [0, sold) belong to disposals already processed
	used       int64 // replacements have been carved up to here
	ivs        []interval
	group      int32
	date       portfolio.Date
	closed     portfolio.Date // the ledger's closing date, when isClosed
	cur        int32          // first interval not wholly sold
	account    int32          // index into engine.accounts
	taxable    bool           // false inside an IRA or Roth
	isClosed   bool
	split      bool // it has more than one sub-lot (set by finish)
}

// interval is a run of a lot's shares that replaced one loss piece.
type interval struct {
	start, end int64
	left       int64 // shares not yet sold
	adj        int64 // disallowed loss added to the basis (money units)
	adjLeft    int64 // the part of adj on the shares not yet sold
	date       portfolio.Date
	seg        int32 // the number of the lot's sub-lot it is, from 0
}

// disp is a disposal in units, as the engine processes it.
type disp struct {
	in       int32 // index into Input.Disposals
	lot      int32 // index into engine.lots
	date     portfolio.Date
	group    int32 // the lot's group
	sell     string
	qty      int64 // in the lot's (split-adjusted) units
	soldQty  int64 // as sold: the disposal's own quantity
	proceeds int64
	basis    int64 // unadjusted: the ledger's CostBasis
	start    int64 // first share, set when processed
}

// gainRec is a Gain in units: 56 bytes, with no pointers, as there are
// millions.
type gainRec struct {
	disp      int32          // index into engine.disps
	seg       int32          // the lot's sub-lot the shares are in, from 0
	adjDate   portfolio.Date // adjusted date acquired
	permanent bool           // some replacement shares were in an IRA or Roth
	taxable   bool           // sold in a taxable account
	qty       int64
	proceeds  int64
	basis     int64 // adjusted
	dis, perm int64 // disallowed loss; the part of it lost for good
}

// gainChunk is how many gains a group stores in each of its blocks: the
// blocks are filled in turn and never copied, and small enough that the
// last one's free space does not count.
const gainChunk = 1024

// carve records one replacement: shares [start, end) of lot replaced shares
// of the loss piece sold by disposal disp. For tests.
type carve struct {
	lot, disp  int32
	start, end int64
	amount     int64
	permanent  bool
}

type group struct {
	lots   []int32     // by date acquired, then ID (sorted by runGroup)
	disps  []int32     // indices into engine.disps, in processing order
	gains  [][]gainRec // in processing order, in blocks of gainChunk
	carves []carve
}

// addGain appends a gain to the group's blocks.
func (g *group) addGain(gr gainRec) {
	if n := len(g.gains); n == 0 || len(g.gains[n-1]) == cap(g.gains[n-1]) {
		g.gains = append(g.gains, make([]gainRec, 0, gainChunk))
	}
	b := &g.gains[len(g.gains)-1]
	*b = append(*b, gr)
}

type engine struct {
	in        *Input // nil for ApplyBooked
	accounts  []portfolio.Account
	trades    []portfolio.Trade
	identical *Identical
	bk        portfolio.Booked // for ApplyBooked
	booked    bool
	lots      []lotState
	disps     []disp
	groups    []*group
	trace     bool
}

func apply(in Input, trace bool) (Result, []carve, error) {
	e := &engine{in: &in, accounts: in.Accounts, trades: in.Trades, identical: in.Identical, trace: trace}
	if err := e.load(); err != nil {
		return Result{}, nil, err
	}
	r := e.finish()
	res := r.Result()
	var carves []carve
	for _, g := range e.groups {
		carves = append(carves, g.carves...)
	}
	return res, carves, nil
}

// finish runs the loaded engine and indexes its gains in sale order.
func (e *engine) finish() *Report {
	e.run()
	for i := range e.lots {
		e.lots[i].split = e.lots[i].subLots() > 1
	}
	return &Report{e: e, recs: e.gainOrder()}
}

type splitEvent struct {
	date portfolio.Date
	n, m decimal.Decimal
}

// prepare reads what load and loadBooked share: the index of each account
// by ID (the last of the accounts with that ID) and every SPLIT of the
// history.
func (e *engine) prepare() (accounts map[string]int32, splits map[string][]splitEvent) {
	accounts = make(map[string]int32, len(e.accounts))
	for n, a := range e.accounts {
		accounts[a.ID] = int32(n)
	}

	// Splits, by account and symbol: a disposal before a split is scaled to
	// the units the lot's OriginalQuantity is in (the ledger rescales open
	// lots, quantity and original quantity, at every split).
	for i := range e.trades {
		t := &e.trades[i]
		if t.Action != portfolio.Split {
			continue
		}
		if splits == nil {
			splits = map[string][]splitEvent{}
		}
		n, m := t.SplitRatio()
		k := t.AccountID + "\x00" + t.Symbol
		splits[k] = append(splits[k], splitEvent{date: t.Date, n: n, m: m})
	}
	for _, s := range splits {
		slices.SortFunc(s, func(a, b splitEvent) int { return cmp.Compare(a.date, b.date) })
	}
	return accounts, splits
}

// grouper returns the function that gives a symbol's group of
// substantially identical symbols, creating groups as needed.
func (e *engine) grouper() func(sym string) int32 {
	keys := map[string]int32{}
	last, lastG := "", int32(-1)
	return func(sym string) int32 {
		if lastG >= 0 && sym == last {
			return lastG
		}
		g, ok := keys[sym]
		if !ok {
			k := e.identical.Key(sym)
			g, ok = keys["\x00"+k]
			if !ok {
				g = int32(len(e.groups))
				e.groups = append(e.groups, &group{})
				keys["\x00"+k] = g
			}
			keys[sym] = g
		}
		last, lastG = sym, g
		return g
	}
}

func (e *engine) load() error {
	in := e.in
	accounts, splits := e.prepare()
	groupOf := e.grouper()

	e.lots = make([]lotState, len(in.Lots))
	byID := make(map[string]int32, len(in.Lots))
	for i := range in.Lots {
		l := &in.Lots[i]
		if _, dup := byID[l.ID]; dup {
			return fmt.Errorf("lot %q appears twice in the input", l.ID)
		}
		acct, ok := accounts[l.AccountID]
		if !ok {
			return fmt.Errorf("lot %q is in unknown account %q", l.ID, l.AccountID)
		}
		q, ok := toUnits(l.OriginalQuantity, portfolio.QuantityPlaces)
		if !ok || q <= 0 {
			return fmt.Errorf("lot %q: original quantity %s is not a positive quantity", l.ID, l.OriginalQuantity)
		}
		byID[l.ID] = int32(i)
		g := groupOf(l.Symbol)
		e.lots[i] = lotState{id: l.ID, symbol: l.Symbol, account: acct, group: g, taxable: !e.accounts[acct].TaxType.TaxDeferred(), date: l.DateAcquired, q: q}
		if l.ClosedDate != nil {
			e.lots[i].closed, e.lots[i].isClosed = *l.ClosedDate, true
		}
		e.groups[g].lots = append(e.groups[g].lots, int32(i))
	}

	e.disps = make([]disp, len(in.Disposals))
	for i := range in.Disposals {
		d := &in.Disposals[i]
		li, ok := byID[d.LotID]
		if !ok {
			return fmt.Errorf("disposal of sale %q names lot %q, which is not in the input", d.SellTradeID, d.LotID)
		}
		q, ok1 := toUnits(d.Quantity, portfolio.QuantityPlaces)
		p, ok2 := toUnits(d.Proceeds, portfolio.MoneyPlaces)
		b, ok3 := toUnits(d.CostBasis, portfolio.MoneyPlaces)
		if !ok1 || !ok2 || !ok3 || q <= 0 {
			return fmt.Errorf("disposal of lot %q by sale %q: quantity, proceeds or basis out of range", d.LotID, d.SellTradeID)
		}
		e.disps[i] = disp{in: int32(i), lot: li, date: d.DateSold, sell: d.SellTradeID, qty: q, soldQty: q, proceeds: p, basis: b}
	}
	return e.index(splits)
}

// loadBooked is load on a ledger's own records, which need no checking:
// the ledger booked them.
func (e *engine) loadBooked() error {
	bk := e.bk
	accounts, splits := e.prepare()
	groupOf := e.grouper()

	e.lots = make([]lotState, bk.Lots())
	for i := range e.lots {
		l := bk.Lot(i)
		acct, ok := accounts[l.AccountID]
		if !ok {
			return fmt.Errorf("lot %q is in unknown account %q", l.ID, l.AccountID)
		}
		g := groupOf(l.Symbol)
		e.lots[i] = lotState{id: l.ID, symbol: l.Symbol, account: acct, group: g, taxable: !e.accounts[acct].TaxType.TaxDeferred(),
			date: l.DateAcquired, closed: l.ClosedDate, isClosed: l.Closed, q: l.OriginalQuantity}
		e.groups[g].lots = append(e.groups[g].lots, int32(i))
	}
	e.disps = make([]disp, bk.Disposals())
	for i := range e.disps {
		d := bk.Disposal(i)
		e.disps[i] = disp{in: int32(i), lot: int32(d.Lot), date: d.DateSold, sell: d.SellTradeID,
			qty: d.Quantity, soldQty: d.Quantity, proceeds: d.Proceeds, basis: d.CostBasis}
	}
	return e.index(splits)
}

// index scales disposals before splits, checks that no lot sells more than
// it has, puts the disposals in processing order and files them by group.
func (e *engine) index(splits map[string][]splitEvent) error {
	soldQty := make([]int64, len(e.lots))
	for i := range e.disps {
		d := &e.disps[i]
		if splits != nil {
			L := &e.lots[d.lot]
			var closed *portfolio.Date
			if L.isClosed {
				closed = &L.closed
			}
			account, symbol := e.names(d.lot)
			d.qty = scaleForSplits(d.qty, splits[account+"\x00"+symbol], d.date, closed)
		}
		soldQty[d.lot] += d.qty
		d.group = e.lots[d.lot].group
	}
	for i := range e.lots {
		if soldQty[i] > e.lots[i].q {
			if splits == nil {
				orig := fromUnits(e.lots[i].q, portfolio.QuantityPlaces)
				if e.in != nil {
					orig = e.in.Lots[i].OriginalQuantity
				}
				return fmt.Errorf("lot %q: its disposals sell %s shares, more than the %s it opened with",
					e.lots[i].id, fromUnits(soldQty[i], portfolio.QuantityPlaces), orig)
			}
			// Rounding at splits can leave a few units over: the lot
			// grows to hold them (the last unit is what moves).
			e.lots[i].q = soldQty[i]
		}
	}

	e.sortDisposals()
	counts := make([]int32, len(e.groups))
	for n := range e.disps {
		counts[e.disps[n].group]++
	}
	for k, g := range e.groups {
		g.disps = make([]int32, 0, counts[k])
	}
	for n := range e.disps {
		g := e.groups[e.disps[n].group]
		g.disps = append(g.disps, int32(n))
	}
	return nil
}

// names returns the account and symbol of lot i.
func (e *engine) names(i int32) (account, symbol string) {
	L := &e.lots[i]
	return e.accounts[L.account].ID, L.symbol
}

// scaleForSplits converts a disposal's quantity to the units of the lot's
// OriginalQuantity: by every split of the account and symbol after the sale
// that found the lot still open (closed on or after the split's date).
func scaleForSplits(q int64, ss []splitEvent, sold portfolio.Date, closed *portfolio.Date) int64 {
	if len(ss) == 0 {
		return q
	}
	v := decimal.New(q, 0)
	scaled := false
	for _, s := range ss {
		if s.date <= sold || (closed != nil && *closed < s.date) {
			continue
		}
		v = v.Mul(s.n).Div(s.m)
		scaled = true
	}
	if !scaled {
		return q
	}
	u, _ := toUnits(v, 0)
	return u
}

// sortDisposals puts e.disps in processing order: losses are processed in
// the order the shares were sold (Reg. §1.1091-1(b)): by date sold, then by
// sale trade ID (the order the ledger books same-day sales in), then, within
// one sale, in the order the lots were acquired (the regulation's rule for
// same-day sales whose order cannot be told), then by lot ID. Ledger output
// is already in sale order, so usually only each sale's lots are sorted.
func (e *engine) sortDisposals() {
	lotKey := func(a, b *disp) int {
		x, y := &e.lots[a.lot], &e.lots[b.lot]
		if c := cmp.Compare(x.date, y.date); c != 0 {
			return c
		}
		if c := strings.Compare(x.id, y.id); c != 0 {
			return c
		}
		if c := cmp.Compare(a.qty, b.qty); c != 0 {
			return c
		}
		if c := cmp.Compare(a.proceeds, b.proceeds); c != 0 {
			return c
		}
		return cmp.Compare(a.basis, b.basis)
	}
	saleKey := func(a, b *disp) int {
		if c := cmp.Compare(a.date, b.date); c != 0 {
			return c
		}
		return strings.Compare(a.sell, b.sell)
	}
	ordered := true
	for i := 1; i < len(e.disps); i++ {
		if saleKey(&e.disps[i-1], &e.disps[i]) > 0 {
			ordered = false
			break
		}
	}
	if !ordered {
		slices.SortFunc(e.disps, func(a, b disp) int {
			if c := saleKey(&a, &b); c != 0 {
				return c
			}
			return lotKey(&a, &b)
		})
		return
	}
	for i := 0; i < len(e.disps); {
		j := i + 1
		for j < len(e.disps) && saleKey(&e.disps[i], &e.disps[j]) == 0 {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(e.disps[i:j], func(a, b disp) int { return lotKey(&a, &b) })
		}
		i = j
	}
}

// run processes every group of substantially identical symbols. Groups
// share no lots, so they run in parallel.
func (e *engine) run() {
	workers := min(runtime.GOMAXPROCS(0), len(e.groups))
	if workers <= 1 || len(e.disps) < 10_000 {
		for _, g := range e.groups {
			e.runGroup(g)
		}
		return
	}
	next := make(chan *group)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for g := range next {
				e.runGroup(g)
			}
		})
	}
	// Biggest first, so that one large group does not run alone at the end.
	order := slices.Clone(e.groups)
	slices.SortStableFunc(order, func(a, b *group) int { return cmp.Compare(len(b.disps), len(a.disps)) })
	for _, g := range order {
		next <- g
	}
	close(next)
	wg.Wait()
}

// sortLots sorts a group's lots by date acquired, then ID. They usually
// come nearly in that order (the ledger books by date), which an insertion
// sort finishes in linear time; otherwise they are sorted in full.
func (e *engine) sortLots(lots []int32) {
	less := func(a, b int32) bool {
		x, y := &e.lots[a], &e.lots[b]
		if x.date != y.date {
			return x.date < y.date
		}
		return x.id < y.id
	}
	budget := 4*len(lots) + 64 // moves before giving up on the insertion sort
	for i := 1; i < len(lots); i++ {
		for j := i; j > 0 && less(lots[j], lots[j-1]); j-- {
			lots[j], lots[j-1] = lots[j-1], lots[j]
			if budget--; budget == 0 {
				slices.SortFunc(lots, func(a, b int32) int {
					if less(a, b) {
						return -1
					}
					if less(b, a) {
						return 1
					}
					return 0
				})
				return
			}
		}
	}
}

// piece is the part of one disposal that falls in one interval of its lot,
// or between intervals (iv < 0).
type piece struct {
	qty int64
	iv  int
	seg int32
}

func (e *engine) runGroup(g *group) {
	e.sortLots(g.lots)
	var pieces []piece
	for _, di := range g.disps {
		d := &e.disps[di]
		L := &e.lots[d.lot]
		d.start = L.sold
		end := L.sold + d.qty

		// Cut the disposal at the lot's interval boundaries.
		pieces = pieces[:0]
		for pos := L.sold; pos < end; {
			for int(L.cur) < len(L.ivs) && L.ivs[L.cur].end <= pos {
				L.cur++
			}
			// Between intervals, the shares are the sub-lot before the
			// next interval's, or after the last one's: intervals carved
			// later start past the shares sold, so this stays true.
			to, iv, seg := end, -1, int32(0)
			if n := len(L.ivs); int(L.cur) < n {
				if x := &L.ivs[L.cur]; x.start <= pos {
					to, iv, seg = min(end, x.end), int(L.cur), x.seg
				} else {
					to, seg = min(end, x.start), x.seg-1
				}
			} else if n > 0 {
				seg = L.ivs[n-1].seg + 1
			}
			pieces = append(pieces, piece{qty: to - pos, iv: iv, seg: seg})
			pos = to
		}
		L.sold = end

		// Share the proceeds and basis out by shares, rounding once; the
		// last piece takes what is left.
		restP, restB := d.proceeds, d.basis
		for n, pc := range pieces {
			gr := gainRec{disp: di, seg: pc.seg, qty: pc.qty, adjDate: L.date, taxable: L.taxable}
			var basis int64
			if n == len(pieces)-1 {
				gr.proceeds, basis = restP, restB
			} else {
				gr.proceeds, basis = part(d.proceeds, pc.qty, d.qty), part(d.basis, pc.qty, d.qty)
				restP -= gr.proceeds
				restB -= basis
			}
			if pc.iv >= 0 {
				iv := &L.ivs[pc.iv]
				adj := part(iv.adjLeft, pc.qty, iv.left)
				iv.adjLeft -= adj
				iv.left -= pc.qty
				basis += adj
				gr.adjDate = iv.date
			}
			gr.basis = basis
			// A loss, on the adjusted basis (so a replacement's gain can
			// become a loss and be washed again: chains), in a taxable
			// account. Losses inside an IRA or Roth are not deductible
			// anyway and are not wash sales.
			if loss := gr.basis - gr.proceeds; loss > 0 && L.taxable {
				e.wash(g, d, L, &gr, loss)
			}
			g.addGain(gr)
		}
	}
}

// wash matches a loss piece with replacement shares and moves the
// disallowed loss into them.
//
// Candidates are lots of substantially identical stock, in any account of
// the household (Pub 550: a purchase for your IRA or Roth IRA, or by your
// spouse, makes a wash sale), bought within 30 days before or after the sale
// (the 61-day period of Reg. §1.1091-1(a)), on trade dates. Excluded:
//   - the lot sold itself: shares from the same purchase are not a
//     replacement (Rev. Rul. 56-602);
//   - shares that already replaced a loss: a share whose acquisition made
//     one loss nondeductible cannot do so again (Reg. §1.1091-1(e));
//   - shares sold by a disposal already processed: the shares sold before
//     this sale (a lot bought and sold before the loss sale is no
//     replacement, the trackers' convention) and shares whose own sale was
//     an earlier loss.
//
// Replacement shares are matched in the order they were acquired, earliest
// first (§1091(b) and (c); Reg. §1.1091-1(c), (d)): lots by trade date, then
// ID. The disallowed amount is the loss pro rata by the shares matched, each
// replacement run taking its cumulative share rounded once, so the parts sum
// to the loss exactly when every share is matched.
func (e *engine) wash(g *group, d *disp, L *lotState, gr *gainRec, loss int64) {
	lo, hi := d.date.AddDays(-30), d.date.AddDays(30)
	i := sort.Search(len(g.lots), func(i int) bool { return e.lots[g.lots[i]].date >= lo })
	need, matched := gr.qty, int64(0)
	for ; i < len(g.lots) && need > 0; i++ {
		R := &e.lots[g.lots[i]]
		if R.date > hi {
			break
		}
		if R == L {
			continue
		}
		start := max(R.sold, R.used)
		free := R.q - start
		if free <= 0 {
			continue
		}
		m := min(need, free)
		need -= m
		matched += m
		a := part(loss, matched, gr.qty) - gr.dis
		gr.dis += a
		R.used = start + m
		if !R.taxable {
			// Rev. Rul. 2008-5: replacement stock bought in an IRA or Roth
			// IRA disallows the loss, and the IRA's basis is not increased.
			gr.perm += a
			gr.permanent = true
		} else {
			// §1091(d), Reg. §1.1091-2: the replacement's basis is its cost
			// plus the disallowed loss. §1223(3): its holding period
			// includes that of the shares sold, so its acquisition date
			// moves back by the loss shares' holding period.
			// Its sub-lot comes after the previous interval's, with one
			// for the shares between them if any.
			seg, prevEnd := int32(0), int64(0)
			if n := len(R.ivs); n > 0 {
				seg, prevEnd = R.ivs[n-1].seg+1, R.ivs[n-1].end
			}
			if start > prevEnd {
				seg++
			}
			R.ivs = append(R.ivs, interval{
				start: start, end: start + m, left: m,
				adj: a, adjLeft: a,
				date: R.date - (d.date - gr.adjDate),
				seg:  seg,
			})
		}
		if e.trace {
			g.carves = append(g.carves, carve{lot: g.lots[i], disp: d.in, start: start, end: start + m, amount: a, permanent: !R.taxable})
		}
	}
}

// segment is one sub-lot of a lot in the result.
type segment struct {
	start, end int64
	iv         int // -1 for shares that replaced nothing
}

// subLots is the number of sub-lots of a lot: 1 when it is not split.
func (L *lotState) subLots() int {
	n := len(L.ivs)
	if n == 0 {
		return 1
	}
	last := &L.ivs[n-1]
	if last.end < L.q {
		return int(last.seg) + 2
	}
	return int(last.seg) + 1
}

// appendSegments partitions a lot's shares into its sub-lots: the intervals
// and the runs between them. A lot with no interval, or one interval
// covering every share, has a single segment and is not split.
func (L *lotState) appendSegments(out []segment) []segment {
	pos := int64(0)
	for n, iv := range L.ivs {
		if iv.start > pos {
			out = append(out, segment{start: pos, end: iv.start, iv: -1})
		}
		out = append(out, segment{start: iv.start, end: iv.end, iv: n})
		pos = iv.end
	}
	if pos < L.q {
		out = append(out, segment{start: pos, end: L.q, iv: -1})
	}
	return out
}

// lot is lot i of the input as a portfolio.Lot: Input.Lots[i] itself, or
// the ledger's lot converted.
func (e *engine) lot(i int32) portfolio.Lot {
	if e.in != nil {
		return e.in.Lots[i]
	}
	u := e.bk.Lot(int(i))
	return u.Lot()
}

func (e *engine) resultLots() []portfolio.Lot {
	order := make([]int32, len(e.lots))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(i, j int32) int {
		a, b := &e.lots[i], &e.lots[j]
		aa, as := e.names(i)
		ba, bs := e.names(j)
		if c := strings.Compare(aa, ba); c != 0 {
			return c
		}
		if c := strings.Compare(as, bs); c != 0 {
			return c
		}
		if c := cmp.Compare(a.date, b.date); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})

	// The disposals of split lots, to date their sub-lots' closing.
	var closing map[int32][]int32
	for i := range e.lots {
		if len(e.lots[i].ivs) > 0 {
			if closing == nil {
				closing = map[int32][]int32{}
			}
			closing[int32(i)] = nil
		}
	}
	if closing != nil {
		for n := range e.disps {
			if _, ok := closing[e.disps[n].lot]; ok {
				closing[e.disps[n].lot] = append(closing[e.disps[n].lot], int32(n))
			}
		}
	}

	size := len(e.lots)
	for i := range e.lots {
		if k := e.lots[i].subLots(); k > 1 {
			size += k - 1
		}
	}
	out := make([]portfolio.Lot, 0, size)
	var segs []segment
	for _, i := range order {
		lot := e.lot(i)
		L := &e.lots[i]
		lot.AdjustedDateAcquired = lot.DateAcquired
		lot.AdjustedBasis = lot.CostBasis
		if len(L.ivs) == 0 {
			out = append(out, lot)
			continue
		}
		if L.subLots() == 1 {
			iv := &L.ivs[0]
			lot.AdjustedDateAcquired = iv.date
			lot.AdjustedBasis = lot.CostBasis.Add(fromUnits(iv.adjLeft, portfolio.MoneyPlaces))
			out = append(out, lot)
			continue
		}
		segs = L.appendSegments(segs[:0])
		out = e.appendSubLots(out, lot, L, segs, closing[i])
	}
	return out
}

// subLots splits lot into its segments. Quantities come from the share
// numbering; the original basis is shared out by original shares and the
// open basis by open shares, each rounded once with the remainder on the last
// sub-lot, so the sub-lots sum to the lot exactly.
func (e *engine) appendSubLots(out []portfolio.Lot, lot portfolio.Lot, L *lotState, segs []segment, disps []int32) []portfolio.Lot {
	origBasis, _ := toUnits(lot.OriginalBasis, portfolio.MoneyPlaces)
	openBasis, _ := toUnits(lot.CostBasis, portfolio.MoneyPlaces)
	openQty, _ := toUnits(lot.Quantity, portfolio.QuantityPlaces)
	unsold := func(s segment) int64 { return s.end - min(max(L.sold, s.start), s.end) }
	totalUnsold := L.q - L.sold
	var restOrig, restOpen, restQty = origBasis, openBasis, openQty
	for n, s := range segs {
		sub := lot
		sub.ID = SubLotID(lot.ID, n+1)
		sub.ClosedDate = nil
		oq, uq := s.end-s.start, unsold(s)
		var ob, cb, qty int64
		if n == len(segs)-1 {
			ob, cb, qty = restOrig, restOpen, restQty
		} else {
			ob = part(origBasis, oq, L.q)
			if totalUnsold > 0 {
				cb = part(openBasis, uq, totalUnsold)
			}
			qty = uq
			restOrig -= ob
			restOpen -= cb
			restQty -= qty
		}
		adj := int64(0)
		sub.AdjustedDateAcquired = lot.DateAcquired
		if s.iv >= 0 {
			iv := &L.ivs[s.iv]
			adj = iv.adjLeft
			sub.AdjustedDateAcquired = iv.date
		}
		sub.OriginalQuantity = fromUnits(oq, portfolio.QuantityPlaces)
		sub.Quantity = fromUnits(qty, portfolio.QuantityPlaces)
		sub.OriginalBasis = fromUnits(ob, portfolio.MoneyPlaces)
		sub.CostBasis = fromUnits(cb, portfolio.MoneyPlaces)
		sub.AdjustedBasis = fromUnits(cb+adj, portfolio.MoneyPlaces)
		if qty == 0 {
			// Closed on the date of the sale of its last share.
			for _, dn := range disps {
				d := &e.disps[dn]
				if d.start+d.qty >= s.end {
					c := d.date
					sub.ClosedDate = &c
					break
				}
			}
			if sub.ClosedDate == nil {
				sub.ClosedDate = lot.ClosedDate
			}
		}
		out = append(out, sub)
	}
	return out
}

// gainOrder indexes every group's gains in sale order. Each group's gains
// are in processing order; they are placed by disposal.
func (e *engine) gainOrder() []*gainRec {
	count := make([]int32, len(e.disps)+1)
	for _, g := range e.groups {
		for _, b := range g.gains {
			for n := range b {
				count[b[n].disp+1]++
			}
		}
	}
	for n := 1; n < len(count); n++ {
		count[n] += count[n-1]
	}
	recs := make([]*gainRec, count[len(count)-1])
	for _, g := range e.groups {
		for _, b := range g.gains {
			for n := range b {
				gr := &b[n]
				recs[count[gr.disp]] = gr
				count[gr.disp]++
			}
		}
	}
	return recs
}

func (e *engine) gain(gr *gainRec) Gain {
	u := e.gainUnits(gr)
	id := u.LotID
	if u.SubLot > 0 {
		id = SubLotID(id, u.SubLot)
	}
	return Gain{
		SellID:                u.SellID,
		LotID:                 id,
		AccountID:             u.AccountID,
		Symbol:                u.Symbol,
		Quantity:              fromUnits(u.Quantity, portfolio.QuantityPlaces),
		DateAcquired:          u.DateAcquired,
		AdjustedDateAcquired:  u.AdjustedDateAcquired,
		DateSold:              u.DateSold,
		Proceeds:              fromUnits(u.Proceeds, portfolio.MoneyPlaces),
		CostBasis:             fromUnits(u.CostBasis, portfolio.MoneyPlaces),
		WashDisallowed:        fromUnits(u.WashDisallowed, portfolio.MoneyPlaces),
		PermanentlyDisallowed: u.PermanentlyDisallowed,
		PermanentAmount:       fromUnits(u.PermanentAmount, portfolio.MoneyPlaces),
		GainLoss:              fromUnits(u.GainLoss, portfolio.MoneyPlaces),
		Term:                  u.Term,
		Taxable:               u.Taxable,
	}
}

func (e *engine) gainUnits(gr *gainRec) GainUnits {
	d := &e.disps[gr.disp]
	L := &e.lots[d.lot]
	sub := 0
	if L.split {
		sub = int(gr.seg) + 1
	}
	qty := gr.qty
	if d.qty != 0 && d.soldQty != 0 && d.soldQty != d.qty {
		// Back from the lot's split-adjusted units to the shares as sold.
		qty = part(d.soldQty, gr.qty, d.qty)
	}
	basis := gr.basis
	account, symbol := e.names(d.lot)
	return GainUnits{
		SellID:                d.sell,
		LotID:                 L.id,
		SubLot:                sub,
		AccountID:             account,
		Symbol:                symbol,
		Quantity:              qty,
		DateAcquired:          L.date,
		AdjustedDateAcquired:  gr.adjDate,
		DateSold:              d.date,
		Proceeds:              gr.proceeds,
		CostBasis:             basis,
		WashDisallowed:        gr.dis,
		PermanentlyDisallowed: gr.permanent,
		PermanentAmount:       gr.perm,
		GainLoss:              gr.proceeds - basis + gr.dis,
		Term:                  HoldingTerm(gr.adjDate, d.date),
		Taxable:               L.taxable,
	}
}
