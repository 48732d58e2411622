package store

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ids"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// testDerivedDifferences checks ReplaceDerived's differential writes: after
// any sequence of replacements the stored rows are exactly the last set
// given, rows it did not change keep their updated_at, and rows it changed
// get a new one.
func testDerivedDifferences(t *testing.T, s *Store) {
	ctx := t.Context()
	f := newFixture(t, s, "alice")
	rng := rand.New(rand.NewPCG(7, 11))
	base := diffDerived(f, rng, 60, 30)
	must(t, "ReplaceDerived base", s.ReplaceDerived(ctx, f.user, f.pf, base))
	checkDerived(t, s, f.pf, base)
	before := lotStamps(t, s, f.pf)
	time.Sleep(5 * time.Millisecond) // so that a rewritten row's timestamp differs

	// A week appended to the history: one lot partly sold (an update),
	// one gone, one whose acquisition date moved (a new key), two new,
	// one disposal corrected and one appended.
	next := cloneDerived(base)
	next.Lots[0].Quantity = next.Lots[0].Quantity.Sub(d("1"))
	gone := next.Lots[1].ID
	moved := next.Lots[2].ID
	next.Lots[2].DateAcquired = next.Lots[2].DateAcquired.AddDays(1)
	next.Lots = append(next.Lots[:1], next.Lots[2:]...)
	for i := range next.Disposals {
		if next.Disposals[i].LotID == gone {
			next.Disposals[i].LotID = next.Lots[0].ID
		}
	}
	fresh := diffDerived(f, rng, 2, 1)
	next.Lots = append(next.Lots, fresh.Lots...)
	next.Disposals[3].Proceeds = next.Disposals[3].Proceeds.Add(d("0.01"))
	next.Disposals = append(next.Disposals, fresh.Disposals...)
	must(t, "ReplaceDerived next", s.ReplaceDerived(ctx, f.user, f.pf, next))
	checkDerived(t, s, f.pf, next)
	after := lotStamps(t, s, f.pf)
	changed := map[string]bool{next.Lots[0].ID: true, moved: true, fresh.Lots[0].ID: true, fresh.Lots[1].ID: true}
	for id, stamp := range after {
		switch was, ok := before[id]; {
		case changed[id] && ok && stamp == was:
			t.Errorf("lot %s changed but its updated_at did not", id)
		case !changed[id] && stamp != was:
			t.Errorf("lot %s did not change but was rewritten (updated_at %s -> %s)", id, was, stamp)
		}
	}
	if _, ok := after[gone]; ok {
		t.Errorf("lot %s was dropped from the books but is still stored", gone)
	}

	// Heavy churn (every quantity changes) and a shorter history (fewer
	// disposals) both end in exactly the rows given.
	churn := cloneDerived(next)
	for i := range churn.Lots {
		churn.Lots[i].AdjustedBasis = churn.Lots[i].AdjustedBasis.Add(d("1"))
	}
	must(t, "ReplaceDerived churn", s.ReplaceDerived(ctx, f.user, f.pf, churn))
	checkDerived(t, s, f.pf, churn)
	short := cloneDerived(churn)
	short.Disposals = short.Disposals[:len(short.Disposals)-2]
	must(t, "ReplaceDerived short", s.ReplaceDerived(ctx, f.user, f.pf, short))
	checkDerived(t, s, f.pf, short)
	for round := range 20 { // and random edits of every kind
		edit := randomEdit(f, rng, short)
		must(t, fmt.Sprintf("ReplaceDerived round %d", round), s.ReplaceDerived(ctx, f.user, f.pf, edit))
		checkDerived(t, s, f.pf, edit)
		short = edit
	}
	must(t, "ReplaceDerived empty", s.ReplaceDerived(ctx, f.user, f.pf, Derived{}))
	checkDerived(t, s, f.pf, Derived{})
}

// diffDerived makes n lots over both accounts and k disposals of them.
func diffDerived(f fixture, rng *rand.Rand, n, k int) Derived {
	var out Derived
	accts := []string{f.taxable.ID, f.ira.ID}
	for i := range n {
		id := ids.New()
		acq := date("2024-01-02").AddDays(rng.IntN(300))
		q := decimal.New(int64(1+rng.IntN(1000)), -1)
		basis := decimal.New(int64(100+rng.IntN(100000)), -2)
		out.Lots = append(out.Lots, portfolio.Lot{ID: id, AccountID: accts[i%2], Symbol: fmt.Sprintf("S%d", rng.IntN(5)),
			OpenTradeID: id, DateAcquired: acq, AdjustedDateAcquired: acq, OriginalQuantity: q, Quantity: q,
			OriginalBasis: basis, CostBasis: basis, AdjustedBasis: basis})
	}
	for i := range min(k, n) {
		l := out.Lots[i]
		out.Disposals = append(out.Disposals, portfolio.Disposal{SellTradeID: ids.New(), LotID: l.ID, AccountID: l.AccountID,
			Symbol: l.Symbol, Quantity: d("0.1"), DateAcquired: l.DateAcquired, AdjustedDateAcquired: l.DateAcquired,
			DateSold: l.DateAcquired.AddDays(40), Proceeds: d("12.5"), CostBasis: d("10"), AdjustedBasis: d("10")})
	}
	return out
}

// randomEdit changes, drops and adds lots and disposals of d at random.
func randomEdit(f fixture, rng *rand.Rand, d Derived) Derived {
	out := cloneDerived(d)
	var lots []portfolio.Lot
	for _, l := range out.Lots {
		switch rng.IntN(10) {
		case 0: // dropped, unless a disposal names it
			if !disposed(out, l.ID) {
				continue
			}
		case 1:
			l.Quantity = l.Quantity.Add(decimal.New(1, -8))
		case 2:
			l.DateAcquired = l.DateAcquired.AddDays(-1)
		case 3:
			c := l.DateAcquired.AddDays(90)
			l.ClosedDate = &c
		}
		lots = append(lots, l)
	}
	extra := diffDerived(f, rng, rng.IntN(4), rng.IntN(3))
	out.Lots = append(lots, extra.Lots...)
	for i := range out.Disposals {
		if rng.IntN(8) == 0 {
			out.Disposals[i].WashDisallowed = decimal.New(int64(rng.IntN(500)), -2)
		}
	}
	if n := len(out.Disposals); n > 0 && rng.IntN(3) == 0 {
		out.Disposals = out.Disposals[:n-rng.IntN(min(n, 3))]
	}
	out.Disposals = append(out.Disposals, extra.Disposals...)
	return out
}

func disposed(d Derived, lot string) bool {
	for _, x := range d.Disposals {
		if x.LotID == lot {
			return true
		}
	}
	return false
}

func cloneDerived(d Derived) Derived {
	return Derived{Lots: append([]portfolio.Lot(nil), d.Lots...), Disposals: append([]portfolio.Disposal(nil), d.Disposals...),
		Holdings: append([]portfolio.Holding(nil), d.Holdings...), Cash: d.Cash, Through: d.Through}
}

// lotStamps returns each stored lot's updated_at as text.
func lotStamps(t *testing.T, s *Store, pf string) map[string]string {
	t.Helper()
	rows, err := s.db.QueryContext(t.Context(), `SELECT id, updated_at FROM lots WHERE portfolio_id = $1`, pf)
	must(t, "read lot stamps", err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var (
			id string
			at time.Time
		)
		must(t, "scan lot stamp", rows.Scan(&id, &at))
		out[id] = at.UTC().Format(time.RFC3339Nano)
	}
	must(t, "read lot stamps", rows.Err())
	return out
}

// testDerivedConcurrent runs two ReplaceDerived of one portfolio at once:
// B starts while A's transaction is still open. Whatever the engine and
// isolation level, the rows stored afterwards are exactly one of the two
// sets (B's when B succeeds, which it should after waiting for A), never
// a mixture of A's rows and B's.
func testDerivedConcurrent(t *testing.T, s *Store) {
	ctx := t.Context()
	f := newFixture(t, s, "alice")
	rng := rand.New(rand.NewPCG(5, 6))
	base := diffDerived(f, rng, 10, 2)
	base.Holdings = []portfolio.Holding{{AccountID: f.taxable.ID, Symbol: "S1", Quantity: d("1"), CostBasis: d("1"),
		AdjustedBasis: d("1"), Lots: 1, FirstAcquired: date("2024-01-02")}}
	must(t, "ReplaceDerived base", s.ReplaceDerived(ctx, f.user, f.pf, base))
	a, b := cloneDerived(base), cloneDerived(base)
	a.Lots = append(a.Lots, diffDerived(f, rng, 1, 0).Lots...)
	b.Lots = append(b.Lots, diffDerived(f, rng, 1, 0).Lots...)
	a.Lots[0].Quantity = a.Lots[0].Quantity.Add(d("1"))
	b.Lots[0].Quantity = b.Lots[0].Quantity.Add(d("2"))
	a.Holdings = []portfolio.Holding{{AccountID: f.taxable.ID, Symbol: "S1", Quantity: d("2"), CostBasis: d("1"),
		AdjustedBasis: d("1"), Lots: 1, FirstAcquired: date("2024-01-02")}}
	b.Holdings = []portfolio.Holding{{AccountID: f.taxable.ID, Symbol: "S1", Quantity: d("3"), CostBasis: d("1"),
		AdjustedBasis: d("1"), Lots: 1, FirstAcquired: date("2024-01-02")}}

	aWrote, release := make(chan struct{}), make(chan struct{})
	aDone, bDone := make(chan error, 1), make(chan error, 1)
	go func() {
		aDone <- s.InTx(ctx, func(q *Queries) error {
			if err := q.ReplaceDerived(ctx, f.user, f.pf, a); err != nil {
				return err
			}
			select {
			case <-aWrote: // a retry: already signalled
			default:
				close(aWrote)
			}
			<-release
			return nil
		})
	}()
	<-aWrote
	go func() { bDone <- s.ReplaceDerived(ctx, f.user, f.pf, b) }()
	time.Sleep(300 * time.Millisecond) // B is waiting for A (or, wrongly, already read A's old rows)
	close(release)
	must(t, "ReplaceDerived A", <-aDone)
	if err := <-bDone; err != nil {
		t.Logf("B failed (%v): the rows must be A's", err)
		checkDerived(t, s, f.pf, a)
		return
	}
	checkDerived(t, s, f.pf, b)
}
