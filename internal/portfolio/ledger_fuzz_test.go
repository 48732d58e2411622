package portfolio

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

// fuzzBytes hands out the fuzz input a byte at a time, then zeros.
type fuzzBytes []byte

func (b *fuzzBytes) next() byte {
	if len(*b) == 0 {
		return 0
	}
	c := (*b)[0]
	*b = (*b)[1:]
	return c
}

// positionKey names one symbol in one account.
type positionKey struct{ account, symbol string }

// bookingModel is what the fuzz test expects of the ledger, kept without
// looking at lots: shares per position, basis put in, cash per account and
// each sale's net cash.
type bookingModel struct {
	held     map[positionKey]decimal.Decimal
	places   map[positionKey]int32 // most decimal places any lot of the position can have
	opened   decimal.Decimal       // sum of the opening bases of every lot
	cash     map[string]decimal.Decimal
	saleCash map[string]decimal.Decimal // sell trade ID → NetCash
	lotIDs   []string                   // every lot opened, for picks
}

// split ratios: exact ones with their decimal places, which the model
// follows through the holding, and N:M ones whose products are inexact (1/3),
// which it follows lot by lot, since each lot rounds on its own.
var fuzzRatios = []struct {
	n, m   string // m empty: a plain ratio, SplitFrom zero
	places int32
	exact  bool
}{
	{"2", "", 0, true}, {"3", "", 0, true}, {"0.5", "", 1, true}, {"0.1", "", 1, true}, {"1.5", "", 1, true}, {"0.25", "", 2, true},
	{"1", "3", 0, false}, {"2", "3", 0, false}, {"3", "7", 0, false}, {"3", "2", 0, false},
}

// FuzzBookingConservation books a random sequence of trades over two
// accounts and three symbols and checks after every Apply that shares, basis,
// proceeds and cash are conserved, that a failed Apply changes nothing, and
// that each split rescales every lot by N/M with one rounding. At the end,
// Replay of the trades booked must give what the Apply calls gave.
func FuzzBookingConservation(f *testing.F) {
	f.Add([]byte{0x00, 0x05, 0x00, 0x10, 0x20, 0x33, 0x02, 0x00, 0x50})
	f.Fuzz(checkBookingConservation)
}

// checkBookingConservation is the body of FuzzBookingConservation.
func checkBookingConservation(t *testing.T, data []byte) {
	in := fuzzBytes(data)
	methods := []LotMethod{"", LIFO, HIFO}
	accounts := []Account{
		{ID: "a", LotMethod: methods[in.next()%3]},
		{ID: "b", LotMethod: methods[in.next()%3]},
	}
	symbols := []string{"X", "Y", "Z"}
	l := NewLedger(accounts)
	m := &bookingModel{
		held:     map[positionKey]decimal.Decimal{},
		places:   map[positionKey]int32{},
		opened:   decimal.Zero,
		cash:     map[string]decimal.Decimal{"a": decimal.Zero, "b": decimal.Zero},
		saleCash: map[string]decimal.Decimal{},
	}
	day := MustDate("2020-01-01")
	// The ledger's state as of the last booked trade.
	beforeLots, beforeDisp, beforeCash := l.Lots(), l.Disposals(), l.Cash()
	var booked []Trade // every trade Apply accepted, in the order applied

	for step := 0; len(in) > 0 && step < 100; step++ {
		op := in.next()
		who := in.next()
		acct := accounts[who&1].ID
		sym := symbols[(who>>1)%3]
		k := positionKey{acct, sym}
		day = day.AddDays(int(who>>6) - 1) // mostly forwards, sometimes back
		id := fmt.Sprintf("t%03d", step)   // IDs sort in step order, as Replay orders a day's trades by ID
		tr := Trade{ID: id, AccountID: acct, Date: day, Symbol: sym}

		// mustFail names the field a trade must be refused on; mustBook
		// says it must be booked.
		mustFail, mustBook := "", false
		// For a SPLIT: each open lot's new quantity and original quantity
		// by lot ID, the new holding, and whether the model's own
		// arithmetic on the holding is exact.
		var splitWant map[string][2]decimal.Decimal
		var splitHeld decimal.Decimal
		var splitExact bool
		switch op % 8 {
		case 0, 1: // BUY or REINVEST
			tr.Action = Buy
			if op&0x80 != 0 {
				tr.Action = Reinvest
			}
			tr.Quantity = decimal.New(int64(in.next())+1, -int32(in.next()%3))
			tr.Price = decimal.New(int64(in.next())+1, -int32(in.next()%11)) // past 8 places, the decimal path
			if b := in.next(); b&1 != 0 {
				tr.Fees = decimal.New(int64(b>>1), -2)
			}
			if op&0x40 != 0 {
				tr.Amount = tr.Quantity.Mul(tr.Price).Add(decimal.New(int64(op>>3&7), -3))
			}
			mustBook = true
		case 2, 3: // SELL by the lot method, possibly more than held
			tr.Action = Sell
			held := m.held[k]
			if b := in.next(); b < 64 && held.IsPositive() {
				tr.Quantity = held
			} else {
				tr.Quantity = decimal.New(int64(b)+1, -int32(in.next()%3))
			}
			tr.Price = decimal.New(int64(in.next())+1, -2)
			if b := in.next(); b&1 != 0 {
				tr.Fees = decimal.New(int64(b>>1), -1) // may exceed the gross
			}
			if tr.Quantity.Cmp(held) > 0 {
				mustFail = "quantity"
			} else {
				mustBook = true
			}
		case 4: // SELL of named lots: valid picks and invalid ones
			tr.Action = Sell
			tr.Price = decimal.New(int64(in.next())+1, -1)
			total := decimal.Zero
			open := lotsOf(l.OpenLots(), k)
			for n := int(in.next()%3) + 1; n > 0; n-- {
				b := in.next()
				var p LotPick
				if b&7 != 7 && len(open) > 0 {
					lot := open[int(b>>3)%len(open)]
					p.LotID = lot.ID
					if b&3 != 0 {
						p.Quantity = lot.Quantity.Mul(decimal.New(int64(in.next()%5)+1, -1)).Truncate(2)
					}
				} else if len(m.lotIDs) > 0 {
					p.LotID = m.lotIDs[int(b>>1)%len(m.lotIDs)] // any lot, open or not, anywhere
					p.Quantity = decimal.New(int64(in.next()%8), 0)
				} else {
					p.LotID = "missing"
				}
				total = total.Add(p.Quantity)
				tr.Lots = append(tr.Lots, p)
			}
			if b := in.next(); b&3 == 0 || !total.IsPositive() {
				total = total.Add(decimal.New(int64(b>>2), -1))
			}
			tr.Quantity = total
			if !RoundQty(total).IsPositive() {
				mustFail = "quantity"
			} else if RoundQty(total).Cmp(m.held[k]) > 0 {
				mustFail = "quantity"
			}
		case 5: // SPLIT: exact ratios and inexact N:M ones
			tr.Action = Split
			ratio := fuzzRatios[int(in.next())%len(fuzzRatios)]
			tr.Quantity = dec(ratio.n)
			if ratio.m != "" {
				tr.SplitFrom = dec(ratio.m)
			}
			// What each open lot of the position must become: quantity and
			// original quantity × N / M, each rounded once.
			splitWant = map[string][2]decimal.Decimal{}
			n, d := tr.SplitRatio()
			total := decimal.Zero
			for _, lot := range lotsOf(beforeLots, k) {
				if !lot.Open() {
					continue
				}
				q := lot.Quantity.Mul(n).DivRound(d, QuantityPlaces)
				o := lot.OriginalQuantity.Mul(n).DivRound(d, QuantityPlaces)
				if !q.IsPositive() || q.GreaterThan(maxQuantity) || o.GreaterThan(maxQuantity) {
					mustFail = "quantity"
				}
				total = total.Add(q)
				splitWant[lot.ID] = [2]decimal.Decimal{q, o}
			}
			if total.GreaterThan(maxQuantity) {
				mustFail = "quantity"
			}
			splitExact = ratio.exact && m.placesOf(k)+ratio.places <= QuantityPlaces
			splitHeld = total
			mustBook = mustFail == ""
		case 6: // cash actions
			tr.Action = []Action{Deposit, Withdrawal, Fee, Interest, Dividend}[in.next()%5]
			if !tr.Action.NeedsSymbol() {
				tr.Symbol = ""
			}
			tr.Amount = decimal.New(int64(in.next())+1, -int32(in.next()%8))
			mustBook = true
		case 7: // trades that must be refused
			tr.Action = Buy
			tr.Quantity, tr.Price = decimal.NewFromInt(1), decimal.NewFromInt(1)
			switch in.next() % 7 {
			case 0:
				tr.AccountID, mustFail = "c", "account"
			case 1:
				tr.Quantity, mustFail = decimal.NewFromInt(-1), "quantity"
			case 2:
				tr.Action, tr.Symbol, mustFail = Sell, "", "symbol"
			case 3:
				tr.Price, mustFail = decimal.NewFromInt(-1), "price"
			case 4:
				tr.Action, tr.Symbol, tr.Amount, mustFail = Dividend, sym, decimal.Zero, "amount"
			case 5:
				tr.Fees, mustFail = decimal.New(-1, -2), "fees"
			case 6:
				if len(m.lotIDs) == 0 {
					tr.Action, tr.Quantity, mustFail = Split, decimal.Zero, "quantity"
				} else {
					tr.ID, mustFail = m.lotIDs[0], "id"
				}
			}
		}

		err := l.Apply(tr)
		if err != nil {
			var be *BookingError
			if !errors.As(err, &be) {
				t.Fatalf("step %d: Apply(%+v) = %v, not a *BookingError", step, tr, err)
			}
			if be.TradeID != tr.ID {
				t.Fatalf("step %d: BookingError names trade %q, want %q", step, be.TradeID, tr.ID)
			}
			if mustBook {
				t.Fatalf("step %d: Apply(%+v) = %v, want it booked", step, tr, err)
			}
			if mustFail != "" && be.Field != mustFail {
				t.Fatalf("step %d: Apply(%+v) = %v, want a %s error", step, tr, err, mustFail)
			}
			if mustFail == "" && be.Field != "lots" {
				t.Fatalf("step %d: Apply(%+v) = %v, want it booked or a lots error", step, tr, err)
			}
			// cmp.Diff only to explain a difference: it is slow.
			if after := l.Lots(); !slices.EqualFunc(beforeLots, after, lotEqual) {
				t.Fatalf("step %d: failed Apply changed the lots (-before +after):\n%s", step, cmp.Diff(beforeLots, after, decEqual))
			}
			if after := l.Disposals(); !slices.EqualFunc(beforeDisp, after, disposalEqual) {
				t.Fatalf("step %d: failed Apply changed the disposals (-before +after):\n%s", step, cmp.Diff(beforeDisp, after, decEqual))
			}
			if after := l.Cash(); !maps.EqualFunc(beforeCash, after, decimal.Decimal.Equal) {
				t.Fatalf("step %d: failed Apply changed the cash (-before +after):\n%s", step, cmp.Diff(beforeCash, after, decEqual))
			}
			continue
		}
		if mustFail != "" {
			t.Fatalf("step %d: Apply(%+v) booked, want a %s error", step, tr, mustFail)
		}
		booked = append(booked, tr)
		m.book(tr)
		if tr.Action == Split && len(splitWant) > 0 && !splitExact {
			// Each lot rounds on its own: the holding is the sum of the
			// lots' new quantities, checked below lot by lot.
			m.held[k] = splitHeld
			m.places[k] = QuantityPlaces
		}
		beforeLots, beforeDisp, beforeCash = l.Lots(), l.Disposals(), l.Cash()
		for _, lot := range beforeLots {
			if w, ok := splitWant[lot.ID]; ok && (!lot.Quantity.Equal(w[0]) || !lot.OriginalQuantity.Equal(w[1])) {
				t.Fatalf("step %d: split %s:%s turned lot %s into %s (original %s), want %s (original %s)",
					step, tr.Quantity, tr.SplitFrom, lot.ID, lot.Quantity, lot.OriginalQuantity, w[0], w[1])
			}
		}
		m.check(t, step, beforeLots, beforeDisp, beforeCash)
	}
	checkReplay(t, accounts, booked, l)
}

// checkReplay checks that Replay of the trades Apply accepted gives the same
// lots, disposals and cash as the ledger l the Apply calls built. Replay books
// in Trade.Before order, so when the trades were applied in another order
// (back-dated trades), it is compared with Apply calls in that order on a new
// ledger instead, stopping at the same trade when one fails.
func checkReplay(t *testing.T, accounts []Account, booked []Trade, l *Ledger) {
	t.Helper()
	before := func(a, b Trade) int {
		switch {
		case a.Before(b):
			return -1
		case b.Before(a):
			return 1
		}
		return 0
	}
	want, wantErr := l, error(nil)
	if !slices.IsSortedFunc(booked, before) {
		sorted := slices.Clone(booked)
		slices.SortStableFunc(sorted, before)
		want = NewLedger(accounts)
		for _, tr := range sorted {
			if wantErr = want.Apply(tr); wantErr != nil {
				break
			}
		}
	}
	got, err := Replay(accounts, booked)
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("Replay of the %d trades booked: error %v, want %v", len(booked), err, wantErr)
	case err != nil:
		var be, wantBE *BookingError
		if !errors.As(err, &be) || !errors.As(wantErr, &wantBE) || be.TradeID != wantBE.TradeID || be.Field != wantBE.Field {
			t.Fatalf("Replay of the %d trades booked: error %v, want %v", len(booked), err, wantErr)
		}
	}
	if a, b := want.Lots(), got.Lots(); !slices.EqualFunc(a, b, lotEqual) {
		t.Fatalf("Replay gave other lots than Apply (-apply +replay):\n%s", cmp.Diff(a, b, decEqual))
	}
	if a, b := want.Disposals(), got.Disposals(); !slices.EqualFunc(a, b, disposalEqual) {
		t.Fatalf("Replay gave other disposals than Apply (-apply +replay):\n%s", cmp.Diff(a, b, decEqual))
	}
	if a, b := want.Cash(), got.Cash(); !maps.EqualFunc(a, b, decimal.Decimal.Equal) {
		t.Fatalf("Replay gave other cash than Apply (-apply +replay):\n%s", cmp.Diff(a, b, decEqual))
	}
}

func (m *bookingModel) placesOf(k positionKey) int32 { return max(m.places[k], 2) }

// book records a trade the ledger accepted.
func (m *bookingModel) book(t Trade) {
	k := positionKey{t.AccountID, t.Symbol}
	m.cash[t.AccountID] = m.cash[t.AccountID].Add(t.NetCash())
	switch t.Action {
	case Buy, Reinvest:
		m.held[k] = m.held[k].Add(RoundQty(t.Quantity))
		m.places[k] = max(m.placesOf(k), decPlaces(t.Quantity))
		m.opened = m.opened.Add(t.CostBasis())
		m.lotIDs = append(m.lotIDs, t.ID)
	case Sell:
		m.held[k] = m.held[k].Sub(RoundQty(t.Quantity))
		m.places[k] = max(m.placesOf(k), decPlaces(t.Quantity))
		m.saleCash[t.ID] = t.NetCash()
	case Split:
		if m.held[k].IsPositive() {
			n, d := t.SplitRatio()
			m.held[k] = m.held[k].Mul(n).Div(d) // exact for the exact ratios; else replaced by the caller
			m.places[k] = m.placesOf(k) + decPlaces(n)
		}
	}
}

// check asserts the conservation invariants against the model.
func (m *bookingModel) check(t *testing.T, step int, lots []Lot, disposals []Disposal, cash map[string]decimal.Decimal) {
	t.Helper()

	// (1) shares: open lots per position sum to bought − sold, through splits.
	open := map[positionKey]decimal.Decimal{}
	for _, lot := range lots {
		if lot.Quantity.IsNegative() || lot.CostBasis.IsNegative() || lot.AdjustedBasis.IsNegative() {
			t.Fatalf("step %d: lot %s went negative: %+v", step, lot.ID, lot)
		}
		if lot.Open() != (lot.ClosedDate == nil) {
			t.Fatalf("step %d: lot %s has quantity %s and ClosedDate %v", step, lot.ID, lot.Quantity, lot.ClosedDate)
		}
		if !lot.Open() && (!lot.CostBasis.IsZero() || !lot.AdjustedBasis.IsZero()) {
			t.Fatalf("step %d: closed lot %s keeps basis %s", step, lot.ID, lot.CostBasis)
		}
		k := positionKey{lot.AccountID, lot.Symbol}
		open[k] = open[k].Add(lot.Quantity)
	}
	for k, want := range m.held {
		if got := open[k]; !got.Equal(want) {
			t.Fatalf("step %d: %s in %s: open lots hold %s, want %s", step, k.symbol, k.account, got, want)
		}
	}
	for k, got := range open {
		if !got.Equal(m.held[k]) {
			t.Fatalf("step %d: %s in %s: open lots hold %s, want %s", step, k.symbol, k.account, got, m.held[k])
		}
	}
	for _, h := range Holdings(lots) {
		if want := m.held[positionKey{h.AccountID, h.Symbol}]; !h.Quantity.Equal(want) {
			t.Fatalf("step %d: holding of %s in %s is %s, want %s", step, h.Symbol, h.AccountID, h.Quantity, want)
		}
	}

	// (2) basis: what is open plus what was disposed of is what was paid.
	basis, adjusted := decimal.Zero, decimal.Zero
	for _, lot := range lots {
		basis = basis.Add(lot.CostBasis)
		adjusted = adjusted.Add(lot.AdjustedBasis)
	}
	proceeds := map[string]decimal.Decimal{}
	for _, d := range disposals {
		basis = basis.Add(d.CostBasis)
		adjusted = adjusted.Add(d.AdjustedBasis)
		proceeds[d.SellTradeID] = proceeds[d.SellTradeID].Add(d.Proceeds)
		if !d.Quantity.IsPositive() {
			t.Fatalf("step %d: disposal of %s shares of lot %s", step, d.Quantity, d.LotID)
		}
	}
	if !basis.Equal(m.opened) || !adjusted.Equal(m.opened) {
		t.Fatalf("step %d: basis open + disposed = %s (adjusted %s), want %s", step, basis, adjusted, m.opened)
	}

	// (3) proceeds: each sale's disposals share exactly its net cash.
	for id, want := range m.saleCash {
		if got := proceeds[id]; !got.Equal(want) {
			t.Fatalf("step %d: sale %s: proceeds sum to %s, want %s", step, id, got, want)
		}
	}
	if len(proceeds) != len(m.saleCash) {
		t.Fatalf("step %d: disposals for %d sales, want %d", step, len(proceeds), len(m.saleCash))
	}

	// (4) cash: the sum of the booked trades' net cash.
	if !maps.EqualFunc(m.cash, cash, decimal.Decimal.Equal) {
		t.Fatalf("step %d: cash (-want +got):\n%s", step, cmp.Diff(m.cash, cash, decEqual))
	}
}

func lotEqual(a, b Lot) bool {
	closedEqual := a.ClosedDate == nil && b.ClosedDate == nil ||
		a.ClosedDate != nil && b.ClosedDate != nil && *a.ClosedDate == *b.ClosedDate
	return a.ID == b.ID && a.AccountID == b.AccountID && a.Symbol == b.Symbol && a.OpenTradeID == b.OpenTradeID &&
		a.DateAcquired == b.DateAcquired && a.AdjustedDateAcquired == b.AdjustedDateAcquired &&
		a.OriginalQuantity.Equal(b.OriginalQuantity) && a.Quantity.Equal(b.Quantity) &&
		a.OriginalBasis.Equal(b.OriginalBasis) && a.CostBasis.Equal(b.CostBasis) &&
		a.AdjustedBasis.Equal(b.AdjustedBasis) && closedEqual
}

func disposalEqual(a, b Disposal) bool {
	return a.SellTradeID == b.SellTradeID && a.LotID == b.LotID && a.AccountID == b.AccountID && a.Symbol == b.Symbol &&
		a.DateAcquired == b.DateAcquired && a.AdjustedDateAcquired == b.AdjustedDateAcquired && a.DateSold == b.DateSold &&
		a.Quantity.Equal(b.Quantity) && a.Proceeds.Equal(b.Proceeds) &&
		a.CostBasis.Equal(b.CostBasis) && a.AdjustedBasis.Equal(b.AdjustedBasis)
}

// decPlaces is the number of decimal places d needs.
func decPlaces(d decimal.Decimal) int32 {
	s := d.String()
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return int32(len(s) - i - 1)
	}
	return 0
}

// lotsOf returns the lots of one position.
func lotsOf(lots []Lot, k positionKey) []Lot {
	var out []Lot
	for _, lot := range lots {
		if lot.AccountID == k.account && lot.Symbol == k.symbol {
			out = append(out, lot)
		}
	}
	return out
}
