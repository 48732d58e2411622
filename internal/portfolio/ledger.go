package portfolio

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"math/bits"
	"slices"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
)

// Ledger books trades into lots, disposals and cash. It starts empty (see
// NewLedger) and changes only through Apply; Replay builds one from a whole
// history. A Ledger is not safe for concurrent use.
//
// Apply validates a trade completely before it changes anything, so a trade
// that fails leaves the ledger exactly as it was.
//
// Inside, quantities are held as integer counts of 10^-QuantityPlaces shares
// and money as counts of 10^-MoneyPlaces, the scales of the store's columns:
// every value the ledger keeps is already rounded to them, so this is exact,
// and it keeps replaying a long history fast. Values must stay within 18
// digits at those scales (see maxUnits); a trade that would go beyond is
// refused.
type Ledger struct {
	accounts  map[string]*ledgerAccount
	few       []*ledgerAccount // the accounts again, when there are few, to scan
	lots      []lotRecord      // in booking order
	lotIndex  lotIndex
	sales     []saleRecord
	disposals []disposalRecord
	scratch   []portion // reused by each sale's plan
}

type ledgerAccount struct {
	id        string
	lotMethod LotMethod            // as the account gave it
	method    LotMethod            // normalised; FIFO when the account gives none
	methodErr error                // set when the account's LotMethod is not one we know
	cash      int64                // money units
	positions map[string]*position // by symbol
}

// position indexes the open lots of one symbol in one account, kept in the
// order the account's lot method consumes them: by DateAcquired then ID for
// FIFO (and, walked backwards, LIFO); by unit cost, highest first, for HIFO.
type position struct {
	hifo bool
	open []int // indices into Ledger.lots
	qty  int64 // sum of the open lots' quantity units
}

// lotRecord is a Lot in units.
type lotRecord struct {
	id, account, symbol        string
	acquired, adjAcquired      Date
	closed                     Date
	isClosed                   bool
	origQty, qty               int64 // quantity units
	origBasis, basis, adjusted int64 // money units
}

// saleRecord is a booked SELL.
type saleRecord struct {
	id   string
	date Date
}

// disposalRecord is a Disposal in units; the sale and the lot supply the rest.
type disposalRecord struct {
	sale, lot                 int32
	qty                       int64
	proceeds, basis, adjusted int64
}

// lotIndex finds lots by ID. It is keyed by a hash of the ID, which Replay
// computes in one pass over its input, and keeps the rare IDs whose hash an
// earlier ID already has in a second map.
//
// The lots from upto on are not in the maps yet: while Replay books a
// history whose lot IDs it has found distinct (deferred), opening a lot
// needs no look-up, and the index is filled in only when a look-up is needed
// (a sale naming its lots, or a later Apply).
type lotIndex struct {
	seed     maphash.Seed
	byHash   map[uint64]int32
	collided map[string]int32
	upto     int
	deferred bool
}

// sync adds the lots not yet in the index.
func (x *lotIndex) sync(lots []lotRecord) {
	if x.upto == len(lots) {
		return
	}
	if len(x.byHash) == 0 {
		x.byHash = make(map[uint64]int32, len(lots)-x.upto)
	}
	for i := x.upto; i < len(lots); i++ {
		x.add(lots[i].id, x.hash(lots[i].id), i)
	}
	x.upto = len(lots)
}

func newLotIndex(size int) lotIndex {
	return lotIndex{seed: maphash.MakeSeed(), byHash: make(map[uint64]int32, size)}
}

func (x *lotIndex) hash(id string) uint64 { return maphash.String(x.seed, id) }

// find returns the index of the lot with the given ID and hash.
func (x *lotIndex) find(lots []lotRecord, id string, h uint64) (int, bool) {
	i, ok, _ := x.lookup(lots, id, h)
	return i, ok
}

// lookup is find that also says whether no lot has the hash yet (then add
// may skip its own look-up: see addFree).
func (x *lotIndex) lookup(lots []lotRecord, id string, h uint64) (i int, ok, free bool) {
	x.sync(lots)
	j, ok := x.byHash[h]
	if !ok {
		return 0, false, true
	}
	if lots[j].id == id {
		return int(j), true, false
	}
	j, ok = x.collided[id]
	return int(j), ok, false
}

// addFree is add for a lot whose hash lookup found free.
func (x *lotIndex) addFree(h uint64, i int) { x.byHash[h] = int32(i); x.upto = i + 1 }

// add records lot i, whose ID is not yet in the index.
func (x *lotIndex) add(id string, h uint64, i int) {
	x.upto = i + 1
	if _, ok := x.byHash[h]; !ok {
		x.byHash[h] = int32(i)
		return
	}
	if x.collided == nil {
		x.collided = make(map[string]int32)
	}
	x.collided[id] = int32(i)
}

// NewLedger returns an empty ledger for the given accounts. Trades for any
// other account are refused. If two accounts share an ID the later one wins.
func NewLedger(accounts []Account) *Ledger {
	l := &Ledger{
		accounts: make(map[string]*ledgerAccount, len(accounts)),
		lotIndex: newLotIndex(0),
	}
	for _, a := range accounts {
		la := &ledgerAccount{id: a.ID, lotMethod: a.LotMethod, method: FIFO, positions: make(map[string]*position)}
		if a.LotMethod != "" {
			m, err := ParseLotMethod(string(a.LotMethod))
			if err != nil {
				la.methodErr = err
			} else {
				la.method = m
			}
		}
		if _, dup := l.accounts[a.ID]; !dup {
			l.few = append(l.few, la)
		} else {
			for n := range l.few {
				if l.few[n].id == a.ID {
					l.few[n] = la
				}
			}
		}
		l.accounts[a.ID] = la
	}
	if len(l.few) > 8 {
		l.few = nil
	}
	return l
}

// Replay books trades in the order given by Trade.Before (which depends only
// on the trades, not on their order in the slice; the slice is not modified).
// It stops at the first trade that fails and returns that trade's
// *BookingError together with the ledger as it stood before that trade.
func Replay(accounts []Account, trades []Trade) (*Ledger, error) {
	l := NewLedger(accounts)

	// One pass in input order checks each trade on its own and converts its
	// numbers; booking then visits the trades in Before order.
	bookings := make([]booking, len(trades))
	keys := make([]replayKey, len(trades))
	var invalid map[int]error
	opening, sales := 0, 0
	for i := range trades {
		t := &trades[i]
		b, err := l.prepare(t)
		if err != nil {
			if invalid == nil {
				invalid = make(map[int]error)
			}
			invalid[i] = err
		}
		keys[i] = replayKey{day: int64(t.Date)*16 + int64(t.Action.DayRank()), idPrefix: prefix8(t.ID)}
		if t.Action == Buy || t.Action == Reinvest {
			b.idHash = l.lotIndex.hash(t.ID)
		}
		bookings[i] = b
		switch t.Action {
		case Buy, Reinvest:
			opening++
		case Sell:
			sales++
		}
	}

	l.lots = make([]lotRecord, 0, opening)
	if distinctHashes(bookings, trades, opening) {
		// No two lots will share an ID: booking them needs no look-up.
		l.lotIndex.deferred = true
		defer func() { l.lotIndex.deferred = false }()
	} else {
		l.lotIndex.byHash = make(map[uint64]int32, opening)
	}
	l.sales = make([]saleRecord, 0, sales)
	l.disposals = make([]disposalRecord, 0, sales+sales/2)
	for _, i := range replayOrder(keys, trades) {
		b := &bookings[i]
		if b.t == nil {
			return l, invalid[int(i)]
		}
		if err := l.commit(b); err != nil {
			return l, err
		}
	}
	return l, nil
}

// distinctHashes reports whether the opening trades' ID hashes are all
// different (then so are their IDs), by sorting them.
func distinctHashes(bookings []booking, trades []Trade, opening int) bool {
	hs := make([]uint64, 0, opening)
	for i := range trades {
		if a := trades[i].Action; a == Buy || a == Reinvest {
			hs = append(hs, bookings[i].idHash)
		}
	}
	slices.Sort(hs)
	for i := 1; i < len(hs); i++ {
		if hs[i] == hs[i-1] {
			return false
		}
	}
	return true
}

// prefix8 is the first 8 bytes of s, big-endian, zero-padded: prefix8(a) <
// prefix8(b) implies a < b.
func prefix8(s string) uint64 {
	var p uint64
	for i := range 8 {
		p <<= 8
		if i < len(s) {
			p |= uint64(s[i])
		}
	}
	return p
}

// replayOrder returns the indices of bs in Before order: by date, action
// within the day, and ID, with the position in Replay's input as a last
// resort so that the order is total even for duplicate IDs. Histories span
// far fewer days than they hold trades, so it counts the trades of each day
// and action to place them, then sorts each of those groups by ID.
func replayOrder(bs []replayKey, trades []Trade) []int32 {
	compare := func(i, j int32) int {
		a, b := &bs[i], &bs[j]
		if a.day != b.day {
			return cmp.Compare(a.day, b.day)
		}
		if a.idPrefix != b.idPrefix {
			return cmp.Compare(a.idPrefix, b.idPrefix)
		}
		if c := strings.Compare(trades[i].ID, trades[j].ID); c != 0 {
			return c
		}
		return cmp.Compare(i, j)
	}
	order := make([]int32, len(bs))
	if len(bs) == 0 {
		return order
	}
	lo, hi := bs[0].day, bs[0].day
	for i := range bs {
		lo, hi = min(lo, bs[i].day), max(hi, bs[i].day)
	}
	if hi-lo >= int64(4*len(bs)+1024) {
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortFunc(order, compare)
		return order
	}
	next := make([]int32, hi-lo+2) // next[d]: where the next trade of group d goes
	for i := range bs {
		next[bs[i].day-lo+1]++
	}
	for d := 1; d < len(next); d++ {
		next[d] += next[d-1]
	}
	for i := range bs {
		d := bs[i].day - lo
		order[next[d]] = int32(i)
		next[d]++
	}
	from := int32(0)
	for _, end := range next[:len(next)-1] { // next[d] is now the end of group d
		if end-from > 1 {
			slices.SortFunc(order[from:end], compare)
		}
		from = end
	}
	return order
}

// Apply books one trade. It returns a *BookingError naming the field at fault
// when the trade cannot be booked, and then leaves the ledger unchanged.
//
// BUY and REINVEST open a lot whose ID is the trade's ID. SELL closes shares
// of the lots named in Trade.Lots, or else of the lots the account's lot
// method picks, emitting one Disposal per lot touched. SPLIT rescales the
// open lots of the symbol by the ratio Trade.Quantity/Trade.SplitFrom (N for
// M). Every action moves the account's cash by Trade.NetCash; cash may go
// negative (margin).
func (l *Ledger) Apply(t Trade) error {
	b, err := l.prepare(&t)
	if err != nil {
		return err
	}
	return l.commit(&b)
}

// booking is a trade checked on its own, with its numbers in units.
// It refers to the trade for the rest (ID, symbol, action, date), and is
// small: Replay makes one per trade.
type booking struct {
	t      *Trade // nil when the trade is invalid
	a      *ledgerAccount
	q      int64 // quantity units: the shares, or the N of a SPLIT's N-for-M
	money  int64 // money units: a new lot's basis, or else the net cash
	idHash uint64
	picks  bool // a SELL that names its lots
}

// replayKey is what Replay sorts a trade by, with its ID.
type replayKey struct {
	day      int64 // date×16 + Action.DayRank
	idPrefix uint64
}

func bookingErr(t *Trade, field, format string, args ...any) *BookingError {
	return &BookingError{TradeID: t.ID, Field: field, Err: fmt.Errorf(format, args...)}
}

// moneyField is the field to blame for a trade's cash: its Amount when it
// gives one, else its Price.
func moneyField(t *Trade) string {
	if t.Amount.IsZero() {
		return "price"
	}
	return "amount"
}

// prepare checks what does not depend on the ledger's lots and converts the
// trade's numbers to units. On error the booking's t is nil.
func (l *Ledger) prepare(t *Trade) (booking, error) {
	a, ok := l.account(t.AccountID)
	if !ok {
		if t.AccountID == "" {
			return booking{}, bookingErr(t, "account", "the trade names no account")
		}
		return booking{}, bookingErr(t, "account", "unknown account %q", t.AccountID)
	}
	if t.Action.DayRank() == len(Actions) {
		return booking{}, bookingErr(t, "action", "unknown action %q: want one of BUY, SELL, DIVIDEND, REINVEST, SPLIT, DEPOSIT, WITHDRAWAL, FEE, INTEREST", t.Action)
	}
	if t.Action.NeedsSymbol() && t.Symbol == "" {
		return booking{}, bookingErr(t, "symbol", "a %s needs a symbol", t.Action)
	}
	b := booking{t: t, a: a, picks: len(t.Lots) > 0}
	if t.Action.NeedsQuantity() {
		// What the errors show, formatted only for an error.
		shown := func() (string, string) {
			if t.Action == Split {
				return "split ratio", ratioString(t)
			}
			return "quantity", t.Quantity.String()
		}
		if !t.Quantity.IsPositive() || t.SplitFrom.IsNegative() {
			what, shown := shown()
			return booking{}, bookingErr(t, "quantity", "%s must be positive, got %s", what, shown)
		}
		if b.q, ok = units(t.Quantity, QuantityPlaces); !ok {
			what, shown := shown()
			return booking{}, bookingErr(t, "quantity", "%s %s is too large: at most %s", what, shown, maxQuantity)
		}
		if b.q == 0 {
			what, shown := shown()
			return booking{}, bookingErr(t, "quantity", "%s %s rounds to zero at %d decimal places", what, shown, QuantityPlaces)
		}
	}
	if !t.SplitFrom.IsZero() {
		if t.Action != Split {
			return booking{}, bookingErr(t, "quantity", "a %s has no split ratio: SplitFrom must be zero, got %s", t.Action, t.SplitFrom)
		}
		if m, ok := units(t.SplitFrom, QuantityPlaces); !ok || m == 0 {
			return booking{}, bookingErr(t, "quantity", "split ratio %s: the M of N-for-M must be between %s and %s", ratioString(t), fromUnits(1, QuantityPlaces), maxQuantity)
		}
	}
	if t.Amount.IsNegative() {
		return booking{}, bookingErr(t, "amount", "amount must not be negative, got %s", t.Amount)
	}
	if t.Price.IsNegative() {
		return booking{}, bookingErr(t, "price", "price must not be negative, got %s", t.Price)
	}
	if t.Fees.IsNegative() {
		return booking{}, bookingErr(t, "fees", "fees must not be negative, got %s", t.Fees)
	}
	switch t.Action {
	case Dividend, Deposit, Withdrawal, Fee, Interest:
		if !t.Amount.IsPositive() {
			return booking{}, bookingErr(t, "amount", "a %s needs a positive amount, got %s", t.Action, t.Amount)
		}
	case Buy, Sell, Reinvest:
		if !t.Price.IsPositive() && !t.Amount.IsPositive() {
			return booking{}, bookingErr(t, "price", "a %s needs a positive price or amount", t.Action)
		}
	}

	switch t.Action {
	case Buy, Reinvest:
		if b.money, ok = grossUnits(t, false); !ok {
			if b.money, ok = units(t.CostBasis(), MoneyPlaces); !ok {
				return booking{}, bookingErr(t, moneyField(t), "cost %s is too large: at most %s", t.CostBasis(), maxMoney)
			}
		}
	case Sell:
		if b.money, ok = grossUnits(t, true); !ok {
			if b.money, ok = units(t.NetCash(), MoneyPlaces); !ok {
				return booking{}, bookingErr(t, moneyField(t), "proceeds %s are too large: at most %s", t.NetCash(), maxMoney)
			}
		}
	case Dividend, Deposit, Interest, Withdrawal, Fee:
		if b.money, ok = units(t.Amount, MoneyPlaces); !ok {
			return booking{}, bookingErr(t, "amount", "amount %s is too large: at most %s", t.Amount, maxMoney)
		}
		if t.Action == Withdrawal || t.Action == Fee {
			b.money = -b.money
		}
	}
	return b, nil
}

// account finds an account by ID.
func (l *Ledger) account(id string) (*ledgerAccount, bool) {
	if l.few != nil {
		for _, a := range l.few {
			if a.id == id {
				return a, true
			}
		}
		return nil, false
	}
	a, ok := l.accounts[id]
	return a, ok
}

// commit books a prepared trade, or leaves the ledger as it was.
func (l *Ledger) commit(b *booking) error {
	switch b.t.Action {
	case Buy, Reinvest:
		return l.open(b)
	case Sell:
		return l.sell(b)
	case Split:
		return l.split(b)
	}
	cash, ok := addUnits(b.a.cash, b.money)
	if !ok {
		return bookingErr(b.t, "amount", "it would take the cash of account %s beyond %s", b.a.id, maxMoney)
	}
	b.a.cash = cash
	return nil
}

// open books a BUY or REINVEST.
func (l *Ledger) open(b *booking) error {
	t, a := b.t, b.a
	if b.t.ID == "" {
		return bookingErr(t, "id", "a %s needs an id: it becomes the id of the lot it opens", b.t.Action)
	}
	if b.idHash == 0 {
		b.idHash = l.lotIndex.hash(b.t.ID)
	}
	i, taken, free := 0, false, false
	if !l.lotIndex.deferred {
		i, taken, free = l.lotIndex.lookup(l.lots, b.t.ID, b.idHash)
	}
	if taken {
		old := &l.lots[i]
		return bookingErr(t, "id", "lot id %q is already taken by the lot of %s bought on %s in account %s", b.t.ID, old.symbol, old.acquired, old.account)
	}
	p := a.positions[b.t.Symbol]
	held := int64(0)
	if p != nil {
		held = p.qty
	}
	newHeld, ok := addUnits(held, b.q)
	if !ok {
		return bookingErr(t, "quantity", "it would take the holding of %s in account %s beyond %s", b.t.Symbol, a.id, maxQuantity)
	}
	cash := a.cash
	if b.t.Action == Buy {
		// A BUY's NetCash is minus its CostBasis (what was paid, fees
		// included); a REINVEST moves no cash.
		if cash, ok = addUnits(cash, -b.money); !ok {
			return bookingErr(t, moneyField(t), "it would take the cash of account %s beyond -%s", a.id, maxMoney)
		}
	}

	l.lots = append(l.lots, lotRecord{
		id:          b.t.ID,
		account:     a.id,
		symbol:      b.t.Symbol,
		acquired:    b.t.Date,
		adjAcquired: b.t.Date,
		origQty:     b.q,
		qty:         b.q,
		origBasis:   b.money,
		basis:       b.money,
		adjusted:    b.money,
	})
	i = len(l.lots) - 1
	switch {
	case l.lotIndex.deferred: // sync adds it when a look-up needs it
	case free:
		l.lotIndex.addFree(b.idHash, i)
	default:
		l.lotIndex.add(b.t.ID, b.idHash, i)
	}
	if p == nil {
		p = &position{hifo: a.method == HIFO}
		a.positions[b.t.Symbol] = p
	}
	l.insert(p, i)
	p.qty = newHeld
	a.cash = cash
	return nil
}

// before reports whether open lot a is consumed before open lot b by the
// position's method (walked forwards; LIFO walks the FIFO order backwards).
func (l *Ledger) before(p *position, a, b int) bool {
	x, y := &l.lots[a], &l.lots[b]
	if p.hifo {
		if c := compareRatios(x.adjusted, x.qty, y.adjusted, y.qty); c != 0 {
			return c > 0 // highest unit cost first
		}
	}
	if x.acquired != y.acquired {
		return x.acquired < y.acquired
	}
	return x.id < y.id
}

// insert puts open lot i into p.open at its place in the method's order.
func (l *Ledger) insert(p *position, i int) {
	n := len(p.open)
	if n == 0 || !l.before(p, i, p.open[n-1]) {
		p.open = append(p.open, i) // the usual case when trades come in date order
		return
	}
	at := sort.Search(n, func(j int) bool { return l.before(p, i, p.open[j]) })
	p.open = slices.Insert(p.open, at, i)
}

// portion is shares of one lot consumed by one sale.
type portion struct {
	lot                       int
	qty                       int64
	basis, adjusted, proceeds int64
}

// share is the portion of x of a lot's qty units (0 < x ≤ qty) with the given
// bases. The basis shares are rounded once, except that taking all the shares
// takes all the basis, so no dust is left behind.
func share(lot int, qty, basis, adjusted, x int64) portion {
	if x == qty {
		return portion{lot: lot, qty: x, basis: basis, adjusted: adjusted}
	}
	p := portion{lot: lot, qty: x, basis: mulDiv(basis, x, qty)}
	p.adjusted = p.basis
	if adjusted != basis {
		p.adjusted = mulDiv(adjusted, x, qty)
	}
	return p
}

// lotState is a lot's open quantity and basis while a sale naming lots is
// planned (a sale may name one lot more than once).
type lotState struct {
	lot                  int
	qty, basis, adjusted int64
}

func (s *lotState) take(x int64) portion {
	p := share(s.lot, s.qty, s.basis, s.adjusted, x)
	s.qty -= x
	s.basis -= p.basis
	s.adjusted -= p.adjusted
	return p
}

// sell books a SELL: it plans every portion first, then changes the ledger.
func (l *Ledger) sell(b *booking) error {
	t, a, q, net := b.t, b.a, b.q, b.money
	p := a.positions[b.t.Symbol]
	held := int64(0)
	if p != nil {
		held = p.qty
	}
	if held < q {
		return bookingErr(t, "quantity", "sell of %s %s exceeds the %s held in account %s", qtyString(q), b.t.Symbol, qtyString(held), a.id)
	}
	cash, ok := addUnits(a.cash, net)
	if !ok {
		return bookingErr(t, moneyField(t), "it would take the cash of account %s beyond %s", a.id, maxMoney)
	}

	var portions []portion
	var err error
	if b.picks {
		portions, err = l.planPicks(t, q)
	} else {
		portions, err = l.planMethod(t, a, p, q)
	}
	if err != nil {
		return err
	}
	defer func() { l.scratch = portions[:0] }()

	// Proceeds: each portion's share of the net proceeds, rounded once; the
	// last portion takes the remainder so the shares sum to the sale's cash.
	rest := net
	for j := range portions {
		if j == len(portions)-1 {
			portions[j].proceeds = rest
			break
		}
		portions[j].proceeds = mulDiv(net, portions[j].qty, q)
		rest -= portions[j].proceeds
	}

	// Nothing below can fail.
	closed := 0
	var touched []int // lots left partly open, to be reordered under HIFO
	for _, pt := range portions {
		lot := &l.lots[pt.lot]
		l.disposals = append(l.disposals, disposalRecord{
			sale:     int32(len(l.sales)),
			lot:      int32(pt.lot),
			qty:      pt.qty,
			proceeds: pt.proceeds,
			basis:    pt.basis,
			adjusted: pt.adjusted,
		})
		lot.qty -= pt.qty
		lot.basis -= pt.basis
		lot.adjusted -= pt.adjusted
		if lot.qty == 0 {
			lot.basis, lot.adjusted = 0, 0 // already, as the last share takes all the basis
			lot.closed, lot.isClosed = b.t.Date, true
			closed++
			continue
		}
		if p.hifo && !slices.Contains(touched, pt.lot) {
			touched = append(touched, pt.lot)
		}
	}
	p.qty -= q
	if closed > 0 {
		p.open = l.dropClosed(p.open, closed)
	}
	for _, i := range touched {
		// A partial sale rounds the basis share, which moves the unit cost
		// of what is left a little: put the lot back in its place.
		if l.lots[i].isClosed {
			continue
		}
		j := slices.Index(p.open, i)
		p.open = slices.Delete(p.open, j, j+1)
		l.insert(p, i)
	}
	l.sales = append(l.sales, saleRecord{id: b.t.ID, date: b.t.Date})
	a.cash = cash
	return nil
}

// dropClosed removes the n closed lots from open, cheaply when they are at
// either end (as FIFO and LIFO leave them).
func (l *Ledger) dropClosed(open []int, n int) []int {
	isClosed := func(i int) bool { return l.lots[i].isClosed }
	if !slices.ContainsFunc(open[n:], isClosed) {
		return open[n:]
	}
	if !slices.ContainsFunc(open[:len(open)-n], isClosed) {
		return open[:len(open)-n]
	}
	return slices.DeleteFunc(open, isClosed)
}

// planMethod picks lots by the account's lot method. The caller has checked
// that the position holds at least q units.
func (l *Ledger) planMethod(t *Trade, a *ledgerAccount, p *position, q int64) ([]portion, error) {
	if a.methodErr != nil {
		return nil, bookingErr(t, "account", "account %s has an unknown lot method %q: want fifo, lifo or hifo, or name the lots to sell", a.id, a.lotMethod)
	}
	portions := l.scratch[:0]
	need := q
	for n := range p.open {
		j := n
		if a.method == LIFO {
			j = len(p.open) - 1 - n
		}
		i := p.open[j]
		lot := &l.lots[i]
		x := min(need, lot.qty)
		portions = append(portions, share(i, lot.qty, lot.basis, lot.adjusted, x))
		if need -= x; need == 0 {
			return portions, nil
		}
	}
	// Unreachable while p.qty is the sum of the open lots.
	return nil, bookingErr(t, "quantity", "sell of %s %s exceeds the %s held in account %s", qtyString(q), t.Symbol, qtyString(q-need), a.id)
}

// planPicks books a sale against the lots it names. Picks that give a
// quantity take exactly that much, wherever they stand in the list; picks
// without one then fill what the sale still needs, in the order named, each
// as far as what its lot has left. The portions are taken in the order the
// picks are named.
func (l *Ledger) planPicks(t *Trade, q int64) ([]portion, error) {
	type planned struct {
		lot int   // index into l.lots
		x   int64 // quantity units taken; -1 while a fill is not yet sized
	}
	plan := make([]planned, len(t.Lots))
	var left []lotState // what the picks so far leave of each lot named
	state := func(i int) *lotState {
		for n := range left {
			if left[n].lot == i {
				return &left[n]
			}
		}
		lot := &l.lots[i]
		left = append(left, lotState{lot: i, qty: lot.qty})
		return &left[len(left)-1]
	}

	// The picks with a quantity.
	stated := int64(0)
	for n, pick := range t.Lots {
		i, ok := l.lotIndex.find(l.lots, pick.LotID, l.lotIndex.hash(pick.LotID))
		if !ok {
			if pick.LotID == "" {
				return nil, bookingErr(t, "lots", "a picked lot has no id")
			}
			return nil, bookingErr(t, "lots", "lot %q not found", pick.LotID)
		}
		lot := &l.lots[i]
		switch {
		case lot.account != t.AccountID:
			return nil, bookingErr(t, "lots", "lot %q is in account %s, not %s", lot.id, lot.account, t.AccountID)
		case lot.symbol != t.Symbol:
			return nil, bookingErr(t, "lots", "lot %q holds %s, not %s", lot.id, lot.symbol, t.Symbol)
		case lot.isClosed:
			return nil, bookingErr(t, "lots", "lot %q was closed on %s", lot.id, lot.closed)
		case pick.Quantity.IsNegative():
			return nil, bookingErr(t, "lots", "the pick of lot %q has a negative quantity %s", lot.id, pick.Quantity)
		}
		plan[n] = planned{lot: i, x: -1}
		if pick.Quantity.IsZero() {
			continue
		}
		x, ok := units(pick.Quantity, QuantityPlaces)
		if !ok {
			return nil, bookingErr(t, "lots", "the pick of lot %q, %s shares, is too large: at most %s", lot.id, pick.Quantity, maxQuantity)
		}
		if x == 0 {
			return nil, bookingErr(t, "lots", "the pick of lot %q, %s shares, rounds to zero at %d decimal places", lot.id, pick.Quantity, QuantityPlaces)
		}
		s := state(i)
		if s.qty < x {
			if s.qty == lot.qty {
				return nil, bookingErr(t, "lots", "lot %q holds %s shares, fewer than the %s picked", lot.id, qtyString(s.qty), qtyString(x))
			}
			return nil, bookingErr(t, "lots", "lot %q holds %s shares after the earlier picks of this sale, fewer than the %s picked", lot.id, qtyString(s.qty), qtyString(x))
		}
		s.qty -= x
		stated += x // ≤ the sum of the lots' quantities: no overflow
		plan[n].x = x
	}
	if stated > q {
		return nil, bookingErr(t, "lots", "the picked lots cover %s shares but the sale is of %s", qtyString(stated), qtyString(q))
	}

	// The picks without one fill the rest, in order.
	taken := stated
	for n := range plan {
		p := &plan[n]
		if p.x >= 0 {
			continue
		}
		p.x = 0
		if taken == q {
			continue // the sale is covered: the pick is not needed
		}
		s := state(p.lot)
		if s.qty == 0 {
			return nil, bookingErr(t, "lots", "lot %q has no shares left after the other picks of this sale", l.lots[p.lot].id)
		}
		p.x = min(q-taken, s.qty)
		s.qty -= p.x
		taken += p.x
	}
	if taken != q {
		return nil, bookingErr(t, "lots", "the picked lots cover %s shares but the sale is of %s", qtyString(taken), qtyString(q))
	}

	// Take the portions in the order the picks are named.
	portions := l.scratch[:0]
	left = left[:0]
	for _, p := range plan {
		if p.x == 0 {
			continue
		}
		s := (*lotState)(nil)
		for n := range left {
			if left[n].lot == p.lot {
				s = &left[n]
			}
		}
		if s == nil {
			lot := &l.lots[p.lot]
			left = append(left, lotState{lot: p.lot, qty: lot.qty, basis: lot.basis, adjusted: lot.adjusted})
			s = &left[len(left)-1]
		}
		portions = append(portions, s.take(p.x))
	}
	return portions, nil
}

// split books a SPLIT: every open lot of the symbol in the account is
// rescaled by the N-for-M ratio, basis and dates unchanged. Each lot's new
// quantity (and original quantity) is its quantity × N / M rounded once to
// QuantityPlaces, so 1-for-3 turns 300 shares into exactly 100. A split of a
// symbol the account does not hold changes nothing.
func (l *Ledger) split(b *booking) error {
	t, a := b.t, b.a
	p := a.positions[b.t.Symbol]
	if p == nil || len(p.open) == 0 {
		return nil
	}
	n, m := t.SplitRatio()
	r := ratioString(t)
	scaled := make([][2]int64, len(p.open)) // new quantity, new original quantity
	total := int64(0)
	for k, i := range p.open {
		lot := &l.lots[i]
		q, ok := scaleUnits(lot.qty, n, m)
		orig, ok2 := scaleUnits(lot.origQty, n, m)
		if !ok || !ok2 {
			return bookingErr(t, "quantity", "split ratio %s would give lot %q more than %s shares", r, lot.id, maxQuantity)
		}
		if q == 0 {
			return bookingErr(t, "quantity", "split ratio %s would leave lot %q with no shares (it holds %s)", r, lot.id, qtyString(lot.qty))
		}
		if total, ok = addUnits(total, q); !ok {
			return bookingErr(t, "quantity", "split ratio %s would take the holding of %s in account %s beyond %s", r, t.Symbol, a.id, maxQuantity)
		}
		scaled[k] = [2]int64{q, orig}
	}
	for k, i := range p.open {
		l.lots[i].qty, l.lots[i].origQty = scaled[k][0], scaled[k][1]
	}
	p.qty = total
	if p.hifo {
		// Rounding the new quantities can move unit costs a little.
		slices.SortStableFunc(p.open, func(a, b int) int {
			switch {
			case l.before(p, a, b):
				return -1
			case l.before(p, b, a):
				return 1
			}
			return 0
		})
	}
	return nil
}

// scaleUnits returns v×n/m for v ≥ 0 and n, m > 0, rounded once, half away
// from zero, to a whole number of units; ok is false beyond maxUnits.
func scaleUnits(v int64, n, m decimal.Decimal) (int64, bool) {
	if v == 0 {
		return 0, true
	}
	quo, rem := decimal.New(v, 0).Mul(n).QuoRem(m, 0)
	if rem.Add(rem).Cmp(m) >= 0 {
		quo = quo.Add(decimal.New(1, 0))
	}
	if quo.Cmp(decimal.New(maxUnits, 0)) > 0 {
		return 0, false
	}
	return quo.IntPart(), true
}

// ratioString shows a SPLIT's ratio as given: "2", or "1:3" when it has a
// SplitFrom.
func ratioString(t *Trade) string {
	if t.SplitFrom.IsZero() {
		return t.Quantity.String()
	}
	return t.Quantity.String() + ":" + t.SplitFrom.String()
}

// lot converts a lot record to a Lot.
func (r *lotRecord) lot() Lot {
	lot := Lot{
		ID:                   r.id,
		AccountID:            r.account,
		Symbol:               r.symbol,
		OpenTradeID:          r.id,
		DateAcquired:         r.acquired,
		AdjustedDateAcquired: r.adjAcquired,
		OriginalQuantity:     fromUnits(r.origQty, QuantityPlaces),
		Quantity:             fromUnits(r.qty, QuantityPlaces),
		OriginalBasis:        fromUnits(r.origBasis, MoneyPlaces),
		CostBasis:            fromUnits(r.basis, MoneyPlaces),
		AdjustedBasis:        fromUnits(r.adjusted, MoneyPlaces),
	}
	if r.isClosed {
		d := r.closed
		lot.ClosedDate = &d
	}
	return lot
}

// Lots returns every lot, open and closed, sorted by AccountID, Symbol,
// DateAcquired and ID. The slice is the caller's.
func (l *Ledger) Lots() []Lot { return l.export(false) }

// OpenLots returns the lots that still hold shares, in the order of Lots.
func (l *Ledger) OpenLots() []Lot { return l.export(true) }

func (l *Ledger) export(openOnly bool) []Lot {
	idx := make([]int, 0, len(l.lots))
	for i := range l.lots {
		if !openOnly || !l.lots[i].isClosed {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(i, j int) int {
		a, b := &l.lots[i], &l.lots[j]
		if c := strings.Compare(a.account, b.account); c != 0 {
			return c
		}
		if c := strings.Compare(a.symbol, b.symbol); c != 0 {
			return c
		}
		if c := cmp.Compare(a.acquired, b.acquired); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	out := make([]Lot, len(idx))
	for n, i := range idx {
		out[n] = l.lots[i].lot()
	}
	return out
}

// Disposals returns every disposal in booking order. The slice is the caller's.
func (l *Ledger) Disposals() []Disposal {
	out := make([]Disposal, len(l.disposals))
	for n := range l.disposals {
		d := &l.disposals[n]
		lot := &l.lots[d.lot]
		out[n] = Disposal{
			SellTradeID:          l.sales[d.sale].id,
			LotID:                lot.id,
			AccountID:            lot.account,
			Symbol:               lot.symbol,
			Quantity:             fromUnits(d.qty, QuantityPlaces),
			DateAcquired:         lot.acquired,
			AdjustedDateAcquired: lot.adjAcquired,
			DateSold:             l.sales[d.sale].date,
			Proceeds:             fromUnits(d.proceeds, MoneyPlaces),
			CostBasis:            fromUnits(d.basis, MoneyPlaces),
			AdjustedBasis:        fromUnits(d.adjusted, MoneyPlaces),
		}
	}
	return out
}

// Cash returns each account's cash by account ID; every account the ledger
// was made with is present, at zero if no trade touched it. The map is the
// caller's.
func (l *Ledger) Cash() map[string]decimal.Decimal {
	out := make(map[string]decimal.Decimal, len(l.accounts))
	for id, a := range l.accounts {
		out[id] = fromUnits(a.cash, MoneyPlaces)
	}
	return out
}

// maxUnits bounds every quantity and amount the ledger holds, counted in units
// of its last decimal place (10^-QuantityPlaces shares, 10^-MoneyPlaces of
// money): 18 digits, so that the sum of two never overflows an int64.
const maxUnits = 999_999_999_999_999_999

var (
	maxQuantity = fromUnits(maxUnits, QuantityPlaces)
	maxMoney    = fromUnits(maxUnits, MoneyPlaces)
)

var pow10 = func() (p [19]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// units converts d to a count of 10^-places, rounded half away from zero as
// RoundQty and RoundMoney round. ok is false when the count is beyond maxUnits.
func units(d decimal.Decimal, places int32) (v int64, ok bool) {
	if d.NumDigits() > 18 {
		r := d.Round(places) // exponent -places
		if r.NumDigits() > 18 {
			return 0, false
		}
		return r.CoefficientInt64(), true
	}
	c, shift := d.CoefficientInt64(), d.Exponent()+places
	u := uint64(c)
	if c < 0 {
		u = uint64(-c)
	}
	switch {
	case shift > 0 && u != 0:
		if shift >= int32(len(pow10)) {
			return 0, false
		}
		hi, lo := bits.Mul64(u, pow10[shift])
		if hi != 0 || lo > maxUnits {
			return 0, false
		}
		u = lo
	case shift < 0:
		if -shift >= int32(len(pow10)) {
			u = 0 // |d| < 10^18 units of 10^shift: under half a unit
			break
		}
		p := pow10[-shift]
		q, r := u/p, u%p
		if r >= p-r {
			q++
		}
		u = q
	}
	if c < 0 {
		return -int64(u), true
	}
	return int64(u), true
}

// fromUnits converts a count of 10^-places back to a decimal.
func fromUnits(v int64, places int32) decimal.Decimal { return decimal.New(v, -places) }

// qtyString formats quantity units as a decimal number of shares.
func qtyString(v int64) string { return fromUnits(v, QuantityPlaces).String() }

// addUnits adds two counts within maxUnits; ok is false when the sum is not.
func addUnits(a, b int64) (sum int64, ok bool) {
	sum = a + b // cannot overflow: |a|, |b| ≤ maxUnits < MaxInt64/2
	return sum, sum >= -maxUnits && sum <= maxUnits
}

// mulDiv returns a×x/n rounded half away from zero, for |a| ≤ maxUnits and
// 0 ≤ x ≤ n, n > 0, with an exact 128-bit intermediate product.
func mulDiv(a, x, n int64) int64 {
	u := uint64(a)
	if a < 0 {
		u = uint64(-a)
	}
	hi, lo := bits.Mul64(u, uint64(x))
	q, r := bits.Div64(hi, lo, uint64(n)) // q ≤ |a|, so hi < n
	if r >= uint64(n)-r {
		q++
	}
	if a < 0 {
		return -int64(q)
	}
	return int64(q)
}

// grossUnits is Trade.gross in money units (for a REINVEST, its CostBasis):
// Amount when given, else quantity×price plus fees (minus fees for a sale),
// rounded once to MoneyPlaces. It is exact and does not allocate, but ok is
// false when a number has more than QuantityPlaces decimals or the result is
// out of range; the caller then uses the Trade's own decimal methods.
func grossUnits(t *Trade, sell bool) (int64, bool) {
	if !t.Amount.IsZero() {
		return units(t.Amount, MoneyPlaces)
	}
	q, ok1 := exactQtyUnits(t.Quantity)
	p, ok2 := exactQtyUnits(t.Price)
	f, ok3 := exactQtyUnits(t.Fees)
	if !ok1 || !ok2 || !ok3 {
		return 0, false
	}
	// quantity×price and fees in units of 10^-16, in 128 bits.
	vh, vl := bits.Mul64(q, p)
	fh, fl := bits.Mul64(f, pow10[QuantityPlaces])
	neg := false
	var c uint64
	switch {
	case !sell:
		vl, c = bits.Add64(vl, fl, 0)
		if vh, c = bits.Add64(vh, fh, c); c != 0 {
			return 0, false
		}
	case vh > fh || vh == fh && vl >= fl:
		vl, c = bits.Sub64(vl, fl, 0)
		vh, _ = bits.Sub64(vh, fh, c)
	default:
		neg = true
		vl, c = bits.Sub64(fl, vl, 0)
		vh, _ = bits.Sub64(fh, vh, c)
	}
	unit := pow10[2*QuantityPlaces-MoneyPlaces]
	if vh >= unit {
		return 0, false
	}
	m, r := bits.Div64(vh, vl, unit)
	if r >= unit-r {
		m++
	}
	if m > maxUnits {
		return 0, false
	}
	if neg {
		return -int64(m), true
	}
	return int64(m), true
}

// exactQtyUnits is d in units of 10^-QuantityPlaces when that is exact and d
// is not negative.
func exactQtyUnits(d decimal.Decimal) (uint64, bool) {
	if d.Exponent() < -QuantityPlaces || d.IsNegative() {
		return 0, false
	}
	v, ok := units(d, QuantityPlaces)
	return uint64(v), ok
}

// compareRatios compares n1/d1 with n2/d2 exactly, for n ≥ 0 and d > 0.
func compareRatios(n1, d1, n2, d2 int64) int {
	h1, l1 := bits.Mul64(uint64(n1), uint64(d2))
	h2, l2 := bits.Mul64(uint64(n2), uint64(d1))
	if h1 != h2 {
		return cmp.Compare(h1, h2)
	}
	return cmp.Compare(l1, l2)
}
