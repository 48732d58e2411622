package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ids"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// TestContract runs the one contract suite on every engine.
func TestContract(t *testing.T) {
	for _, leg := range legs {
		t.Run(leg.name, func(t *testing.T) {
			t.Parallel()
			if leg.name == "sqlite" {
				t.Run("sqlite-file", testSQLiteFile)
			} else {
				t.Run("schema-matches-sqlite", func(t *testing.T) { testSchemaParity(t, leg.open(t)) })
			}
			runContract(t, leg.open)
		})
	}
}

// runContract exercises every Queries method against stores made by open.
func runContract(t *testing.T, open func(t testing.TB) *Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, *Store)
	}{
		{"users-and-portfolios", testUsersPortfolios},
		{"accounts", testAccounts},
		{"trades", testTrades},
		{"trades-rejected", testTradesRejected},
		{"ids-per-portfolio", testIDsPerPortfolio},
		{"derived", testDerived},
		{"derived-rejected", testDerivedRejected},
		{"derived-differences", testDerivedDifferences},
		{"derived-concurrent", testDerivedConcurrent},
		{"prices", testPrices},
		{"events", testEvents},
		{"scaled-limits", testScaledLimits},
		{"intx", testInTx},
		{"retry-at-commit", testRetryAtCommit},
		{"retry-exhausted", testRetryExhausted},
		{"concurrent-ensure", testConcurrentEnsure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each subtest has a database of its own
			tt.fn(t, open(t))
		})
	}
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func nd(s string) decimal.NullDecimal { return decimal.NewNullDecimal(d(s)) }

func date(s string) portfolio.Date { return portfolio.MustDate(s) }

func datep(s string) *portfolio.Date { v := date(s); return &v }

// wantErr fails unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// fixture makes a user with a portfolio holding a taxable and an IRA account.
type fixture struct {
	user, pf     string
	taxable, ira portfolio.Account
}

func newFixture(t *testing.T, s *Store, name string) fixture {
	t.Helper()
	ctx := t.Context()
	var f fixture
	var err error
	f.user, err = s.EnsureUser(ctx, name)
	must(t, "EnsureUser", err)
	f.pf, err = s.EnsurePortfolio(ctx, f.user, "main")
	must(t, "EnsurePortfolio", err)
	f.taxable, err = s.CreateAccount(ctx, f.user, f.pf, portfolio.Account{
		Name: "brokerage", Broker: "ibkr", Number: "DU1234567", TaxType: portfolio.Taxable, LotMethod: portfolio.HIFO,
	})
	must(t, "CreateAccount taxable", err)
	f.ira, err = s.CreateAccount(ctx, f.user, f.pf, portfolio.Account{
		Name: "ira", Broker: "ibkr", Number: "DU7654321", TaxType: portfolio.RothIRA, LotMethod: portfolio.FIFO,
	})
	must(t, "CreateAccount ira", err)
	return f
}

func testUsersPortfolios(t *testing.T, s *Store) {
	ctx := t.Context()
	a1, err := s.EnsureUser(ctx, "alice")
	must(t, "EnsureUser", err)
	a2, err := s.EnsureUser(ctx, "alice")
	must(t, "EnsureUser again", err)
	if a1 != a2 || a1 == "" {
		t.Fatalf("EnsureUser(alice) = %q then %q; want the same non-empty id", a1, a2)
	}
	b, err := s.EnsureUser(ctx, "bob")
	must(t, "EnsureUser bob", err)
	if b == a1 {
		t.Fatalf("bob and alice share id %q", b)
	}
	p1, err := s.EnsurePortfolio(ctx, a1, "main")
	must(t, "EnsurePortfolio", err)
	p2, err := s.EnsurePortfolio(ctx, a1, "main")
	must(t, "EnsurePortfolio again", err)
	if p1 != p2 {
		t.Fatalf("EnsurePortfolio(alice, main) = %q then %q", p1, p2)
	}
	pb, err := s.EnsurePortfolio(ctx, b, "main")
	must(t, "EnsurePortfolio bob", err)
	if pb == p1 {
		t.Fatalf("bob's and alice's portfolios share id %q", pb)
	}
	_, err = s.EnsurePortfolio(ctx, ids.New(), "main")
	wantErr(t, "EnsurePortfolio(unknown user)", err, ErrConstraint) // a real foreign-key violation
	_, err = s.EnsureUser(ctx, "")
	wantErr(t, "EnsureUser(\"\")", err, ErrConstraint) // a CHECK violation
}

func testAccounts(t *testing.T, s *Store) {
	ctx := t.Context()
	user, err := s.EnsureUser(ctx, "alice")
	must(t, "EnsureUser", err)
	pf, err := s.EnsurePortfolio(ctx, user, "main")
	must(t, "EnsurePortfolio", err)

	got, err := s.Accounts(ctx, pf)
	must(t, "Accounts (none)", err)
	if got == nil || len(got) != 0 {
		t.Fatalf("Accounts of an empty portfolio = %#v, want an empty non-nil slice", got)
	}

	fixedID := ids.New()
	zed, err := s.CreateAccount(ctx, user, pf, portfolio.Account{ID: fixedID, Name: "zed", Broker: "ibkr", Number: "U111", TaxType: portfolio.SpouseTaxable})
	must(t, "CreateAccount zed", err)
	if zed.ID != fixedID || zed.LotMethod != portfolio.FIFO {
		t.Fatalf("CreateAccount kept ID %q lot method %q; want %q and fifo", zed.ID, zed.LotMethod, fixedID)
	}
	ira, err := s.CreateAccount(ctx, user, pf, portfolio.Account{Name: "ira", Broker: "ibkr", Number: "DU7654321", TaxType: portfolio.TraditionalIRA, LotMethod: portfolio.LIFO})
	must(t, "CreateAccount ira", err)
	if ira.ID == "" {
		t.Fatal("CreateAccount left ID empty")
	}
	got, err = s.Accounts(ctx, pf)
	must(t, "Accounts", err)
	if diff := cmp.Diff([]portfolio.Account{ira, zed}, got); diff != "" {
		t.Fatalf("Accounts mismatch (-want +got):\n%s", diff)
	}

	_, err = s.CreateAccount(ctx, user, pf, portfolio.Account{Name: "ira", TaxType: portfolio.Taxable})
	wantErr(t, "CreateAccount(duplicate name)", err, ErrConflict)
	_, err = s.CreateAccount(ctx, user, pf, portfolio.Account{ID: ira.ID, Name: "other", TaxType: portfolio.Taxable})
	wantErr(t, "CreateAccount(duplicate id)", err, ErrConflict)
	_, err = s.CreateAccount(ctx, user, pf, portfolio.Account{Name: "x", TaxType: "offshore"})
	wantErr(t, "CreateAccount(bad tax type)", err, ErrConstraint)
	_, err = s.CreateAccount(ctx, user, pf, portfolio.Account{Name: "x", TaxType: portfolio.Taxable, LotMethod: "random"})
	wantErr(t, "CreateAccount(bad lot method)", err, ErrConstraint)
	_, err = s.CreateAccount(ctx, user, ids.New(), portfolio.Account{Name: "x", TaxType: portfolio.Taxable})
	wantErr(t, "CreateAccount(unknown portfolio)", err, ErrNotFound)

	// Another user may not add accounts to alice's portfolio; the same name
	// in another portfolio is fine.
	bob, err := s.EnsureUser(ctx, "bob")
	must(t, "EnsureUser bob", err)
	_, err = s.CreateAccount(ctx, bob, pf, portfolio.Account{Name: "sneaky", TaxType: portfolio.Taxable})
	wantErr(t, "CreateAccount(other user's portfolio)", err, ErrNotFound)
	bobPf, err := s.EnsurePortfolio(ctx, bob, "main")
	must(t, "EnsurePortfolio bob", err)
	_, err = s.CreateAccount(ctx, bob, bobPf, portfolio.Account{Name: "ira", TaxType: portfolio.RothIRA})
	must(t, "CreateAccount same name elsewhere", err)
}

// sampleTrades is a history touching every column, incl. lot picks.
func sampleTrades(f fixture) []portfolio.Trade {
	return []portfolio.Trade{
		{ID: ids.New(), AccountID: f.taxable.ID, Date: date("2024-01-02"), Action: portfolio.Deposit, Amount: d("100000"), Currency: "USD", Key: "dep-1"},
		{ID: ids.New(), AccountID: f.taxable.ID, Date: date("2024-01-03"), Action: portfolio.Buy, Symbol: "VTI", Quantity: d("10.12345678"), Price: d("231.456789"), Fees: d("1.00"), Currency: "USD", Note: "first buy, with ünïcode", Key: "buy-1"},
		{ID: ids.New(), AccountID: f.taxable.ID, Date: date("2024-01-03"), Action: portfolio.Buy, Symbol: "VTI", Quantity: d("5"), Price: d("230"), Currency: "USD", Key: "buy-2"},
		{ID: ids.New(), AccountID: f.ira.ID, Date: date("2024-02-01"), Action: portfolio.Reinvest, Symbol: "BND", Quantity: d("0.5"), Amount: d("36.25"), Currency: "USD", Key: "reinv-1"},
		{ID: ids.New(), AccountID: f.taxable.ID, Date: date("2024-03-01"), Action: portfolio.Split, Symbol: "VTI", Quantity: d("2"), Key: "split-1"},
		{ID: ids.New(), AccountID: f.ira.ID, Date: date("2024-03-04"), Action: portfolio.Split, Symbol: "BND", Quantity: d("1"), SplitFrom: d("3"), Key: "split-2"},
		{ID: ids.New(), AccountID: f.ira.ID, Date: date("2024-03-05"), Action: portfolio.Split, Symbol: "BND", Quantity: d("2.5"), SplitFrom: d("0.12345678"), Key: "split-3"},
		{ID: ids.New(), AccountID: f.ira.ID, Date: date("2024-03-15"), Action: portfolio.Dividend, Symbol: "BND", Amount: d("12.34"), Currency: "USD", Key: "div-1"},
		{ID: ids.New(), AccountID: f.taxable.ID, Date: date("2025-06-30"), Action: portfolio.Fee, Amount: d("0.000001"), Currency: "USD", Key: "fee-1"},
	}
}

func sortTrades(ts []portfolio.Trade) {
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].Date != ts[j].Date {
			return ts[i].Date < ts[j].Date
		}
		return ts[i].ID < ts[j].ID
	})
}

func testTrades(t *testing.T, s *Store) {
	ctx := t.Context()
	f := newFixture(t, s, "alice")

	got, err := s.Trades(ctx, f.pf)
	must(t, "Trades (none)", err)
	if got == nil || len(got) != 0 {
		t.Fatalf("Trades of an empty portfolio = %#v, want an empty non-nil slice", got)
	}
	keys, err := s.TradeKeys(ctx, f.pf)
	must(t, "TradeKeys (none)", err)
	if len(keys) != 0 {
		t.Fatalf("TradeKeys of an empty portfolio = %v", keys)
	}
	trades := sampleTrades(f)
	buy1, buy2 := trades[1], trades[2]
	trades = append(trades, portfolio.Trade{
		ID: ids.New(), AccountID: f.taxable.ID, Date: date("2025-01-10"), Action: portfolio.Sell, Symbol: "VTI",
		Quantity: d("12"), Price: d("250.5"), Fees: d("0.35"), Currency: "USD", Key: "sell-1",
		Lots: []portfolio.LotPick{{LotID: buy1.ID, Quantity: d("7.5")}, {LotID: buy2.ID}},
	})
	// No ID and no Key: both are generated and written back.
	trades = append(trades, portfolio.Trade{AccountID: f.ira.ID, Date: date("2025-02-01"), Action: portfolio.Interest, Amount: d("0.42"), Currency: "USD"})
	must(t, "InsertTrades", s.InsertTrades(ctx, f.user, trades))
	last := trades[len(trades)-1]
	if last.ID == "" || last.Key != last.ID {
		t.Fatalf("InsertTrades wrote back ID %q Key %q; want a new ID used as Key", last.ID, last.Key)
	}

	got, err = s.Trades(ctx, f.pf)
	must(t, "Trades", err)
	want := append([]portfolio.Trade(nil), trades...)
	sortTrades(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Trades mismatch (-want +got):\n%s", diff)
	}
	keys, err = s.TradeKeys(ctx, f.pf)
	must(t, "TradeKeys", err)
	if len(keys) != len(trades) {
		t.Fatalf("TradeKeys has %d keys, want %d", len(keys), len(trades))
	}
	for _, tr := range trades {
		if _, ok := keys[tr.Key]; !ok {
			t.Errorf("TradeKeys lacks %q", tr.Key)
		}
	}

	// Many trades: several full batches plus a remainder, in one portfolio
	// of another user (keys are per portfolio, so the same keys are fine).
	g := newFixture(t, s, "bob")
	const n = 1234
	many := make([]portfolio.Trade, n)
	for i := range many {
		many[i] = portfolio.Trade{
			ID: ids.New(), AccountID: g.taxable.ID, Date: date("2020-01-01").AddDays(i % 700), Action: portfolio.Buy,
			Symbol: fmt.Sprintf("S%03d", i%50), Quantity: d("1.5"), Price: decimal.New(int64(i)+1, -2), Currency: "USD",
			Key: fmt.Sprintf("k%05d", i),
		}
	}
	many[0].Key = "buy-1"
	must(t, "InsertTrades(many)", s.InsertTrades(ctx, g.user, many))
	got, err = s.Trades(ctx, g.pf)
	must(t, "Trades(many)", err)
	sortTrades(many)
	if diff := cmp.Diff(many, got); diff != "" {
		t.Fatalf("Trades(many) mismatch (-want +got):\n%s", diff)
	}
	// alice's portfolio is untouched.
	got, err = s.Trades(ctx, f.pf)
	must(t, "Trades after bob's import", err)
	if len(got) != len(trades) {
		t.Fatalf("alice has %d trades after bob's import, want %d", len(got), len(trades))
	}
}

func testTradesRejected(t *testing.T, s *Store) {
	ctx := t.Context()
	f := newFixture(t, s, "alice")
	must(t, "InsertTrades", s.InsertTrades(ctx, f.user, sampleTrades(f)))
	count := func() int {
		t.Helper()
		got, err := s.Trades(ctx, f.pf)
		must(t, "Trades", err)
		return len(got)
	}
	before := count()
	ok := func(key string) portfolio.Trade {
		return portfolio.Trade{ID: ids.New(), AccountID: f.taxable.ID, Date: date("2025-01-01"), Action: portfolio.Deposit, Amount: d("1"), Key: key}
	}

	// A stored key anywhere in the batch rejects the whole batch.
	batch := make([]portfolio.Trade, 0, 600)
	for i := range 600 {
		batch = append(batch, ok(fmt.Sprintf("new-%d", i)))
	}
	batch[599].Key = "buy-1"
	wantErr(t, "InsertTrades(stored key)", s.InsertTrades(ctx, f.user, batch), ErrConflict)
	// A key repeated within one call.
	wantErr(t, "InsertTrades(repeated key)", s.InsertTrades(ctx, f.user, []portfolio.Trade{ok("twice"), ok("twice")}), ErrConflict)
	// A stored ID.
	dup := ok("fresh")
	dup.ID = sampleTradesID(t, s, f)
	wantErr(t, "InsertTrades(stored id)", s.InsertTrades(ctx, f.user, []portfolio.Trade{dup}), ErrConflict)

	// Accounts that do not exist or are someone else's.
	bad := ok("bad-acct")
	bad.AccountID = ids.New()
	wantErr(t, "InsertTrades(unknown account)", s.InsertTrades(ctx, f.user, []portfolio.Trade{bad}), ErrConstraint)
	g := newFixture(t, s, "bob")
	wantErr(t, "InsertTrades(other user's account)", s.InsertTrades(ctx, g.user, []portfolio.Trade{ok("x")}), ErrConstraint)
	// A bad action is a CHECK violation in the database.
	badAction := ok("bad-action")
	badAction.Action = "GIFT"
	wantErr(t, "InsertTrades(bad action)", s.InsertTrades(ctx, f.user, []portfolio.Trade{badAction}), ErrConstraint)
	// Lot picks whose ids could not be decoded.
	badPick := ok("bad-pick")
	badPick.Lots = []portfolio.LotPick{{LotID: "a;b"}}
	wantErr(t, "InsertTrades(bad lot id)", s.InsertTrades(ctx, f.user, []portfolio.Trade{badPick}), ErrConstraint)

	// Values the columns cannot hold exactly.
	nine := ok("nine-places")
	nine.Action, nine.Symbol, nine.Quantity, nine.Price = portfolio.Buy, "VTI", d("1.123456789"), d("1")
	wantErr(t, "InsertTrades(9 quantity places)", s.InsertTrades(ctx, f.user, []portfolio.Trade{nine}), ErrPrecision)
	seven := ok("seven-money-places")
	seven.Amount = d("0.0000001")
	wantErr(t, "InsertTrades(7 money places)", s.InsertTrades(ctx, f.user, []portfolio.Trade{seven}), ErrPrecision)
	huge := ok("huge")
	huge.Amount = d("9223372036854.775808") // one micro above int64
	wantErr(t, "InsertTrades(amount overflow)", s.InsertTrades(ctx, f.user, []portfolio.Trade{huge}), ErrOverflow)
	splitOnBuy := ok("split-from-on-a-buy")
	splitOnBuy.Action, splitOnBuy.Symbol, splitOnBuy.Quantity, splitOnBuy.Price, splitOnBuy.SplitFrom = portfolio.Buy, "VTI", d("1"), d("1"), d("3")
	wantErr(t, "InsertTrades(SplitFrom on a BUY)", s.InsertTrades(ctx, f.user, []portfolio.Trade{splitOnBuy}), ErrConstraint)
	negFrom := ok("negative-split-from")
	negFrom.Action, negFrom.Symbol, negFrom.Quantity, negFrom.SplitFrom = portfolio.Split, "VTI", d("1"), d("-3")
	wantErr(t, "InsertTrades(negative SplitFrom)", s.InsertTrades(ctx, f.user, []portfolio.Trade{negFrom}), ErrConstraint)
	nineFrom := ok("nine-places-split-from")
	nineFrom.Action, nineFrom.Symbol, nineFrom.Quantity, nineFrom.SplitFrom = portfolio.Split, "VTI", d("1"), d("3.000000001")
	wantErr(t, "InsertTrades(SplitFrom with 9 places)", s.InsertTrades(ctx, f.user, []portfolio.Trade{nineFrom}), ErrPrecision)
	pickQty := ok("pick-qty")
	pickQty.Lots = []portfolio.LotPick{{LotID: "L1", Quantity: d("0.000000001")}}
	wantErr(t, "InsertTrades(lot pick with 9 places)", s.InsertTrades(ctx, f.user, []portfolio.Trade{pickQty}), ErrPrecision)

	if got := count(); got != before {
		t.Fatalf("rejected batches left %d trades, want %d", got, before)
	}
}

// testIDsPerPortfolio checks that trade and lot ids, which imported files
// give ("b1"), are unique per portfolio only: the same id in another
// portfolio, of the same user or another, is fine; twice in one portfolio
// it is ErrConflict.
func testIDsPerPortfolio(t *testing.T, s *Store) {
	ctx := t.Context()
	alice := newFixture(t, s, "alice")
	bob := newFixture(t, s, "bob")
	// A second portfolio of alice's, with an account of its own.
	second := fixture{user: alice.user}
	var err error
	second.pf, err = s.EnsurePortfolio(ctx, alice.user, "second")
	must(t, "EnsurePortfolio second", err)
	second.taxable, err = s.CreateAccount(ctx, alice.user, second.pf, portfolio.Account{Name: "brokerage", TaxType: portfolio.Taxable})
	must(t, "CreateAccount second", err)

	buy := func(f fixture, key string) portfolio.Trade {
		return portfolio.Trade{ID: "b1", AccountID: f.taxable.ID, Date: date("2024-01-03"), Action: portfolio.Buy, Symbol: "VTI",
			Quantity: d("10"), Price: d("100"), Currency: "USD", Key: key}
	}
	derived := func(f fixture) Derived {
		lot := portfolio.Lot{ID: "b1", AccountID: f.taxable.ID, Symbol: "VTI", OpenTradeID: "b1", DateAcquired: date("2024-01-03"),
			AdjustedDateAcquired: date("2024-01-03"), OriginalQuantity: d("10"), Quantity: d("4"), OriginalBasis: d("1000"),
			CostBasis: d("400"), AdjustedBasis: d("400")}
		return Derived{
			Lots: []portfolio.Lot{lot},
			Disposals: []portfolio.Disposal{{SellTradeID: "s1", LotID: "b1", AccountID: f.taxable.ID, Symbol: "VTI", Quantity: d("6"),
				DateAcquired: date("2024-01-03"), AdjustedDateAcquired: date("2024-01-03"), DateSold: date("2024-02-01"),
				Proceeds: d("660"), CostBasis: d("600"), AdjustedBasis: d("600")}},
			Holdings: []portfolio.Holding{{AccountID: f.taxable.ID, Symbol: "VTI", Quantity: d("4"), CostBasis: d("400"), AdjustedBasis: d("400"), Lots: 1, FirstAcquired: date("2024-01-03")}},
			Cash:     map[string]decimal.Decimal{f.taxable.ID: d("-340")},
		}
	}
	for _, f := range []fixture{alice, second, bob} {
		must(t, "InsertTrades(b1) in portfolio "+f.pf, s.InsertTrades(ctx, f.user, []portfolio.Trade{buy(f, "k1")}))
		must(t, "ReplaceDerived(lot b1) in portfolio "+f.pf, s.ReplaceDerived(ctx, f.user, f.pf, derived(f)))
	}
	for _, f := range []fixture{alice, second, bob} {
		got, err := s.Trades(ctx, f.pf)
		must(t, "Trades", err)
		if diff := cmp.Diff([]portfolio.Trade{buy(f, "k1")}, got); diff != "" {
			t.Errorf("Trades of portfolio %s (-want +got):\n%s", f.pf, diff)
		}
		checkDerived(t, s, f.pf, derived(f))
	}

	// Twice in one portfolio is still a conflict, for trades and for lots.
	wantErr(t, "InsertTrades(b1 again, new key)", s.InsertTrades(ctx, alice.user, []portfolio.Trade{buy(alice, "k2")}), ErrConflict)
	wantErr(t, "InsertTrades(b1 twice in one call)", s.InsertTrades(ctx, bob.user, []portfolio.Trade{buy(bob, "k3"), buy(bob, "k4")}), ErrConflict)
	twice := derived(second)
	twice.Lots = append(twice.Lots, twice.Lots[0])
	twice.Lots[1].AccountID, twice.Lots[1].DateAcquired = second.taxable.ID, date("2024-01-04") // another clustering key, same id
	wantErr(t, "ReplaceDerived(lot b1 twice)", s.ReplaceDerived(ctx, second.user, second.pf, twice), ErrConflict)

	// A disposal names a lot of its own portfolio: b1 of another portfolio
	// does not satisfy the foreign key.
	third := fixture{user: bob.user}
	third.pf, err = s.EnsurePortfolio(ctx, bob.user, "third")
	must(t, "EnsurePortfolio third", err)
	third.taxable, err = s.CreateAccount(ctx, bob.user, third.pf, portfolio.Account{Name: "brokerage", TaxType: portfolio.Taxable})
	must(t, "CreateAccount third", err)
	orphan := derived(third)
	orphan.Lots, orphan.Holdings = nil, nil
	wantErr(t, "ReplaceDerived(disposal of another portfolio's lot b1)", s.ReplaceDerived(ctx, third.user, third.pf, orphan), ErrConstraint)

	// Nothing above changed what each portfolio holds.
	for _, f := range []fixture{alice, second, bob} {
		got, err := s.Trades(ctx, f.pf)
		must(t, "Trades", err)
		if len(got) != 1 {
			t.Errorf("portfolio %s has %d trades after the rejected inserts, want 1", f.pf, len(got))
		}
		checkDerived(t, s, f.pf, derived(f))
	}
}

func sampleTradesID(t *testing.T, s *Store, f fixture) string {
	t.Helper()
	got, err := s.Trades(t.Context(), f.pf)
	must(t, "Trades", err)
	return got[0].ID
}

// sampleDerived is derived data for f's accounts.
func sampleDerived(f fixture) Derived {
	l1, l2, l3 := ids.New(), ids.New(), ids.New()
	return Derived{
		Lots: []portfolio.Lot{
			{ID: l1, AccountID: f.taxable.ID, Symbol: "VTI", OpenTradeID: l1, DateAcquired: date("2024-01-03"), AdjustedDateAcquired: date("2023-12-01"),
				OriginalQuantity: d("10.12345678"), Quantity: d("2.62345678"), OriginalBasis: d("2344.123456"), CostBasis: d("607.5"), AdjustedBasis: d("650.25")},
			{ID: l2, AccountID: f.taxable.ID, Symbol: "VTI", OpenTradeID: l2, DateAcquired: date("2024-01-03"), AdjustedDateAcquired: date("2024-01-03"),
				OriginalQuantity: d("5"), Quantity: decimal.Zero, OriginalBasis: d("1150"), CostBasis: decimal.Zero, AdjustedBasis: decimal.Zero, ClosedDate: datep("2025-01-10")},
			{ID: l3, AccountID: f.ira.ID, Symbol: "BND", OpenTradeID: l3, DateAcquired: date("2024-02-01"), AdjustedDateAcquired: date("2024-02-01"),
				OriginalQuantity: d("0.5"), Quantity: d("0.5"), OriginalBasis: d("36.25"), CostBasis: d("36.25"), AdjustedBasis: d("36.25")},
		},
		Disposals: []portfolio.Disposal{
			{SellTradeID: "sell-2", LotID: l2, AccountID: f.taxable.ID, Symbol: "VTI", Quantity: d("5"), DateAcquired: date("2024-01-03"),
				AdjustedDateAcquired: date("2024-01-03"), DateSold: date("2025-01-10"), Proceeds: d("1252.5"), CostBasis: d("1150"), AdjustedBasis: d("1150"),
				WashDisallowed: d("12.345678"), PermanentlyDisallowed: true},
			{SellTradeID: "sell-1", LotID: l1, AccountID: f.taxable.ID, Symbol: "VTI", Quantity: d("7.5"), DateAcquired: date("2024-01-03"),
				AdjustedDateAcquired: date("2023-12-01"), DateSold: date("2025-01-10"), Proceeds: d("1878.4"), CostBasis: d("1736.623456"), AdjustedBasis: d("1693.873456")},
		},
		Holdings: []portfolio.Holding{
			{AccountID: f.taxable.ID, Symbol: "VTI", Quantity: d("2.62345678"), CostBasis: d("607.5"), AdjustedBasis: d("650.25"), Lots: 1, FirstAcquired: date("2023-12-01")},
			{AccountID: f.ira.ID, Symbol: "BND", Quantity: d("0.5"), CostBasis: d("36.25"), AdjustedBasis: d("36.25"), Lots: 1, FirstAcquired: date("2024-02-01")},
		},
		Cash: map[string]decimal.Decimal{f.taxable.ID: d("-12.345678"), f.ira.ID: d("1000000")},
	}
}

func checkDerived(t *testing.T, s *Store, pf string, want Derived) {
	t.Helper()
	ctx := t.Context()
	lots, err := s.Lots(ctx, pf, false)
	must(t, "Lots", err)
	wantLots := append([]portfolio.Lot{}, want.Lots...)
	sort.Slice(wantLots, func(i, j int) bool {
		a, b := wantLots[i], wantLots[j]
		if a.AccountID != b.AccountID {
			return a.AccountID < b.AccountID
		}
		if a.Symbol != b.Symbol {
			return a.Symbol < b.Symbol
		}
		if a.DateAcquired != b.DateAcquired {
			return a.DateAcquired < b.DateAcquired
		}
		return a.ID < b.ID
	})
	if diff := cmp.Diff(wantLots, lots); diff != "" {
		t.Errorf("Lots mismatch (-want +got):\n%s", diff)
	}
	open, err := s.Lots(ctx, pf, true)
	must(t, "Lots(open)", err)
	wantOpen := []portfolio.Lot{}
	for _, l := range wantLots {
		if l.Open() {
			wantOpen = append(wantOpen, l)
		}
	}
	if diff := cmp.Diff(wantOpen, open); diff != "" {
		t.Errorf("Lots(open) mismatch (-want +got):\n%s", diff)
	}
	disp, err := s.Disposals(ctx, pf)
	must(t, "Disposals", err)
	if diff := cmp.Diff(append([]portfolio.Disposal{}, want.Disposals...), disp); diff != "" {
		t.Errorf("Disposals mismatch (-want +got):\n%s", diff)
	}
	hold, err := s.Holdings(ctx, pf)
	must(t, "Holdings", err)
	wantHold := append([]portfolio.Holding{}, want.Holdings...)
	sort.Slice(wantHold, func(i, j int) bool {
		if wantHold[i].AccountID != wantHold[j].AccountID {
			return wantHold[i].AccountID < wantHold[j].AccountID
		}
		return wantHold[i].Symbol < wantHold[j].Symbol
	})
	if diff := cmp.Diff(wantHold, hold); diff != "" {
		t.Errorf("Holdings mismatch (-want +got):\n%s", diff)
	}
	cash, err := s.Cash(ctx, pf)
	must(t, "Cash", err)
	wantCash := want.Cash
	if wantCash == nil {
		wantCash = map[string]decimal.Decimal{}
	}
	if diff := cmp.Diff(wantCash, cash); diff != "" {
		t.Errorf("Cash mismatch (-want +got):\n%s", diff)
	}
}

func testDerived(t *testing.T, s *Store) {
	ctx := t.Context()
	f := newFixture(t, s, "alice")
	g := newFixture(t, s, "bob")

	checkDerived(t, s, f.pf, Derived{}) // empty: [] and {} rather than nil

	checkThrough(t, s, f.pf, nil)
	first := sampleDerived(f)
	through := date("2025-06-30")
	first.Through = &through
	must(t, "ReplaceDerived", s.ReplaceDerived(ctx, f.user, f.pf, first))
	checkDerived(t, s, f.pf, first)
	checkThrough(t, s, f.pf, &through)
	bobs := sampleDerived(g)
	must(t, "ReplaceDerived bob", s.ReplaceDerived(ctx, g.user, g.pf, bobs))

	// Replacing drops what is no longer derived.
	second := sampleDerived(f)
	second.Lots = second.Lots[2:]
	second.Disposals = nil
	second.Holdings = second.Holdings[1:]
	second.Cash = map[string]decimal.Decimal{f.ira.ID: d("5")}
	must(t, "ReplaceDerived again", s.ReplaceDerived(ctx, f.user, f.pf, second))
	checkDerived(t, s, f.pf, second)
	checkDerived(t, s, g.pf, bobs) // another portfolio is untouched

	must(t, "ReplaceDerived(empty)", s.ReplaceDerived(ctx, f.user, f.pf, Derived{}))
	checkDerived(t, s, f.pf, Derived{})
	checkThrough(t, s, f.pf, nil)

	// Larger sets go in several statements.
	big := Derived{}
	for i := range 1100 {
		id := ids.New()
		big.Lots = append(big.Lots, portfolio.Lot{ID: id, AccountID: f.taxable.ID, Symbol: fmt.Sprintf("S%02d", i%37), OpenTradeID: id,
			DateAcquired: date("2020-01-01").AddDays(i), AdjustedDateAcquired: date("2020-01-01").AddDays(i),
			OriginalQuantity: d("2"), Quantity: d("1"), OriginalBasis: d("20"), CostBasis: d("10"), AdjustedBasis: d("10")})
		big.Disposals = append(big.Disposals, portfolio.Disposal{SellTradeID: fmt.Sprintf("sell-%d", i), LotID: id, AccountID: f.taxable.ID,
			Symbol: big.Lots[i].Symbol, Quantity: d("1"), DateAcquired: big.Lots[i].DateAcquired, AdjustedDateAcquired: big.Lots[i].DateAcquired,
			DateSold: date("2025-01-01"), Proceeds: d("11"), CostBasis: d("10"), AdjustedBasis: d("10")})
	}
	must(t, "ReplaceDerived(big)", s.ReplaceDerived(ctx, f.user, f.pf, big))
	checkDerived(t, s, f.pf, big)
}

func testDerivedRejected(t *testing.T, s *Store) {
	ctx := t.Context()
	f := newFixture(t, s, "alice")
	g := newFixture(t, s, "bob")
	good := sampleDerived(f)
	must(t, "ReplaceDerived", s.ReplaceDerived(ctx, f.user, f.pf, good))

	wantErr(t, "ReplaceDerived(other user's portfolio)", s.ReplaceDerived(ctx, g.user, f.pf, sampleDerived(f)), ErrNotFound)
	wantErr(t, "ReplaceDerived(unknown portfolio)", s.ReplaceDerived(ctx, f.user, ids.New(), Derived{}), ErrNotFound)

	foreign := sampleDerived(f)
	foreign.Lots[0].AccountID = g.taxable.ID
	wantErr(t, "ReplaceDerived(lot in another portfolio's account)", s.ReplaceDerived(ctx, f.user, f.pf, foreign), ErrConstraint)
	foreignCash := sampleDerived(f)
	foreignCash.Cash[g.ira.ID] = d("1")
	wantErr(t, "ReplaceDerived(cash of another portfolio's account)", s.ReplaceDerived(ctx, f.user, f.pf, foreignCash), ErrConstraint)

	// A disposal of a lot that is not among the lots written is refused.
	orphan := sampleDerived(f)
	orphan.Disposals[0].LotID = ids.New()
	wantErr(t, "ReplaceDerived(disposal of unknown lot)", s.ReplaceDerived(ctx, f.user, f.pf, orphan), ErrConstraint)

	tooPrecise := sampleDerived(f)
	tooPrecise.Lots[0].Quantity = d("0.000000001")
	wantErr(t, "ReplaceDerived(9 quantity places)", s.ReplaceDerived(ctx, f.user, f.pf, tooPrecise), ErrPrecision)
	tooBig := sampleDerived(f)
	tooBig.Lots[0].OriginalQuantity = d("92233720368.54775808")
	wantErr(t, "ReplaceDerived(quantity overflow)", s.ReplaceDerived(ctx, f.user, f.pf, tooBig), ErrOverflow)

	checkDerived(t, s, f.pf, good) // every failure rolled back completely
}

func testPrices(t *testing.T, s *Store) {
	ctx := t.Context()
	syms, err := s.PriceSymbols(ctx)
	must(t, "PriceSymbols (none)", err)
	if syms == nil || len(syms) != 0 {
		t.Fatalf("PriceSymbols with no prices = %#v, want an empty non-nil slice", syms)
	}
	got, err := s.LatestPrices(ctx, []string{"VTI"}, date("2024-01-01"))
	must(t, "LatestPrices (none)", err)
	if got == nil || len(got) != 0 {
		t.Fatalf("LatestPrices with no prices = %#v, want an empty map", got)
	}

	full := portfolio.Bar{Symbol: "VTI", Date: date("2024-01-02"), Open: nd("230.1"), High: nd("232"), Low: nd("229.999999"),
		Close: d("231.5"), AdjClose: nd("228.123456"), Volume: nd("3456789.12345678")}
	closeOnly := portfolio.Bar{Symbol: "VTI", Date: date("2024-01-04"), Close: d("233")}
	bnd := portfolio.Bar{Symbol: "BND", Date: date("2024-01-03"), Close: d("72.1")}
	late := portfolio.Bar{Symbol: "NEW", Date: date("2024-06-01"), Close: d("10")}
	n, err := s.UpsertPrices(ctx, []portfolio.Bar{full, closeOnly, bnd, late})
	must(t, "UpsertPrices", err)
	if n != 4 {
		t.Fatalf("UpsertPrices wrote %d, want 4", n)
	}

	tests := []struct {
		asOf string
		want map[string]portfolio.Bar
	}{
		{"2024-01-01", map[string]portfolio.Bar{}},
		{"2024-01-02", map[string]portfolio.Bar{"VTI": full}},
		{"2024-01-03", map[string]portfolio.Bar{"VTI": full, "BND": bnd}}, // VTI has no bar on the 3rd
		{"2024-01-04", map[string]portfolio.Bar{"VTI": closeOnly, "BND": bnd}},
		{"2030-01-01", map[string]portfolio.Bar{"VTI": closeOnly, "BND": bnd, "NEW": late}},
	}
	for _, tt := range tests {
		got, err := s.LatestPrices(ctx, []string{"VTI", "BND", "NEW", "NONE", "VTI"}, date(tt.asOf))
		must(t, "LatestPrices", err)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("LatestPrices(as of %s) mismatch (-want +got):\n%s", tt.asOf, diff)
		}
	}

	// Re-upserting replaces, nullable columns included; within one call the
	// last bar of a (symbol, date) wins.
	revised := portfolio.Bar{Symbol: "VTI", Date: date("2024-01-02"), Close: d("231.75")}
	n, err = s.UpsertPrices(ctx, []portfolio.Bar{{Symbol: "VTI", Date: date("2024-01-02"), Close: d("1")}, revised})
	must(t, "UpsertPrices(revised)", err)
	if n != 1 {
		t.Fatalf("UpsertPrices(revised) wrote %d, want 1", n)
	}
	got, err = s.LatestPrices(ctx, []string{"VTI"}, date("2024-01-02"))
	must(t, "LatestPrices(revised)", err)
	if diff := cmp.Diff(map[string]portfolio.Bar{"VTI": revised}, got); diff != "" {
		t.Errorf("LatestPrices after revision mismatch (-want +got):\n%s", diff)
	}
	bars, err := s.Bars(ctx, "VTI", date("2024-01-01"), date("2024-12-31"))
	must(t, "Bars", err)
	if diff := cmp.Diff([]portfolio.Bar{revised, closeOnly}, bars); diff != "" {
		t.Errorf("Bars mismatch (-want +got):\n%s", diff)
	}

	syms, err = s.PriceSymbols(ctx)
	must(t, "PriceSymbols", err)
	if diff := cmp.Diff([]string{"BND", "NEW", "VTI"}, syms); diff != "" {
		t.Errorf("PriceSymbols mismatch (-want +got):\n%s", diff)
	}

	// Many symbols: more than one UNION ALL chunk, more than one batch.
	var many []portfolio.Bar
	var names []string
	for i := range 450 {
		sym := fmt.Sprintf("M%03d", i)
		names = append(names, sym)
		for day := range 3 {
			many = append(many, portfolio.Bar{Symbol: sym, Date: date("2024-01-01").AddDays(day * 2), Close: decimal.New(int64(i*10+day), -2)})
		}
	}
	n, err = s.UpsertPrices(ctx, many)
	must(t, "UpsertPrices(many)", err)
	if n != len(many) {
		t.Fatalf("UpsertPrices(many) wrote %d, want %d", n, len(many))
	}
	got, err = s.LatestPrices(ctx, names, date("2024-01-04"))
	must(t, "LatestPrices(many)", err)
	if len(got) != len(names) {
		t.Fatalf("LatestPrices(many) has %d symbols, want %d", len(got), len(names))
	}
	for i, sym := range names {
		if want := decimal.New(int64(i*10+1), -2); !got[sym].Close.Equal(want) || got[sym].Date != date("2024-01-03") {
			t.Fatalf("LatestPrices(many)[%s] = %v on %v, want %v on 2024-01-03", sym, got[sym].Close, got[sym].Date, want)
		}
	}

	_, err = s.UpsertPrices(ctx, []portfolio.Bar{{Symbol: "X", Date: date("2024-01-01"), Close: d("0.0000001")}})
	wantErr(t, "UpsertPrices(7 places)", err, ErrPrecision)
}

func testEvents(t *testing.T, s *Store) {
	ctx := t.Context()
	f := newFixture(t, s, "alice")
	got, err := s.Events(ctx, f.pf, 10)
	must(t, "Events (none)", err)
	if got == nil || len(got) != 0 {
		t.Fatalf("Events with none = %#v, want an empty non-nil slice", got)
	}
	start := time.Now().UTC().Add(-time.Second)
	type payload struct {
		Symbol string `json:"symbol"`
		Qty    string `json:"qty"`
	}
	for i := range 3 {
		must(t, "AppendEvent", s.AppendEvent(ctx, Event{UserID: f.user, PortfolioID: f.pf, Kind: "trade.imported",
			Subject: fmt.Sprintf("trade-%d", i), Data: payload{Symbol: "VTI", Qty: fmt.Sprint(i)}}))
	}
	must(t, "AppendEvent(no data)", s.AppendEvent(ctx, Event{UserID: f.user, PortfolioID: f.pf, Kind: "sync", Subject: f.taxable.ID}))
	must(t, "AppendEvent(system)", s.AppendEvent(ctx, Event{Kind: "system.started"}))
	must(t, "AppendEvent(other portfolio)", s.AppendEvent(ctx, Event{UserID: f.user, PortfolioID: ids.New(), Kind: "x"}))
	err = s.AppendEvent(ctx, Event{Kind: "bad", Data: func() {}})
	if err == nil {
		t.Fatal("AppendEvent(unencodable data) succeeded")
	}

	got, err = s.Events(ctx, f.pf, 0)
	must(t, "Events", err)
	if len(got) != 4 {
		t.Fatalf("Events returned %d events, want 4: %+v", len(got), got)
	}
	wantSubjects := []string{f.taxable.ID, "trade-2", "trade-1", "trade-0"}
	for i, e := range got {
		if e.Subject != wantSubjects[i] {
			t.Errorf("Events[%d].Subject = %q, want %q (newest first)", i, e.Subject, wantSubjects[i])
		}
		if e.ID == "" || e.UserID != f.user || e.PortfolioID != f.pf {
			t.Errorf("Events[%d] = %+v: want an ID, user %s, portfolio %s", i, e, f.user, f.pf)
		}
		if e.At.Before(start) || e.At.After(time.Now().Add(time.Second)) || e.At.Location() != time.UTC {
			t.Errorf("Events[%d].At = %v, want a UTC time around now", i, e.At)
		}
	}
	if got[0].Data != nil {
		t.Errorf("Events[0].Data = %s, want nil", got[0].Data)
	}
	raw, ok := got[1].Data.(json.RawMessage)
	if !ok {
		t.Fatalf("Events[1].Data is %T, want json.RawMessage", got[1].Data)
	}
	var p payload
	must(t, "decode event data", json.Unmarshal(raw, &p))
	if p != (payload{Symbol: "VTI", Qty: "2"}) {
		t.Errorf("Events[1].Data = %+v, want VTI 2", p)
	}

	got, err = s.Events(ctx, f.pf, 2)
	must(t, "Events(limit 2)", err)
	if len(got) != 2 || got[0].Subject != f.taxable.ID || got[1].Subject != "trade-2" {
		t.Errorf("Events(limit 2) = %+v, want the two newest", got)
	}
}

// testScaledLimits stores the extreme values each scale allows.
func testScaledLimits(t *testing.T, s *Store) {
	ctx := t.Context()
	f := newFixture(t, s, "alice")
	maxQty, maxMoney := d("92233720368.54775807"), d("9223372036854.775807")
	minMoney := d("-9223372036854.775808")
	tr := []portfolio.Trade{{ID: ids.New(), AccountID: f.taxable.ID, Date: date("2024-01-01"), Action: portfolio.Buy, Symbol: "BIG",
		Quantity: maxQty, Price: d("0.000001"), Fees: minMoney, Amount: maxMoney, Key: "big"}}
	must(t, "InsertTrades(limits)", s.InsertTrades(ctx, f.user, tr))
	got, err := s.Trades(ctx, f.pf)
	must(t, "Trades", err)
	if diff := cmp.Diff(tr, got); diff != "" {
		t.Fatalf("extreme values mismatch (-want +got):\n%s", diff)
	}
	n, err := s.UpsertPrices(ctx, []portfolio.Bar{{Symbol: "BIG", Date: date("2024-01-01"), Close: maxMoney, Volume: decimal.NewNullDecimal(maxQty)}})
	must(t, "UpsertPrices(limits)", err)
	if n != 1 {
		t.Fatalf("UpsertPrices wrote %d", n)
	}
	_, err = s.UpsertPrices(ctx, []portfolio.Bar{{Symbol: "BIG", Date: date("2024-01-02"), Close: d("1"), Volume: nd("92233720368.54775808")}})
	wantErr(t, "UpsertPrices(volume overflow)", err, ErrOverflow)
	_, err = s.UpsertPrices(ctx, []portfolio.Bar{{Symbol: "BIG", Date: date("2024-01-02"), Close: d("1e13")}})
	wantErr(t, "UpsertPrices(close overflow)", err, ErrOverflow)
}

func testInTx(t *testing.T, s *Store) {
	ctx := t.Context()
	boom := errors.New("boom")
	var pf string
	err := s.InTx(ctx, func(q *Queries) error {
		user, err := q.EnsureUser(ctx, "carol")
		if err != nil {
			return err
		}
		if pf, err = q.EnsurePortfolio(ctx, user, "main"); err != nil {
			return err
		}
		a, err := q.CreateAccount(ctx, user, pf, portfolio.Account{Name: "x", TaxType: portfolio.Taxable})
		if err != nil {
			return err
		}
		if err := q.InsertTrades(ctx, user, []portfolio.Trade{{AccountID: a.ID, Date: date("2024-01-01"), Action: portfolio.Deposit, Amount: d("1")}}); err != nil {
			return err
		}
		if err := q.AppendEvent(ctx, Event{UserID: user, PortfolioID: pf, Kind: "k"}); err != nil {
			return err
		}
		// The transaction sees its own writes.
		trades, err := q.Trades(ctx, pf)
		if err != nil {
			return err
		}
		if len(trades) != 1 {
			return fmt.Errorf("inside the transaction: %d trades, want 1", len(trades))
		}
		return fmt.Errorf("give up: %w", boom)
	})
	wantErr(t, "InTx(fn fails)", err, boom)

	// Nothing was written: carol is new again, her old portfolio id is empty.
	trades, err := s.Trades(ctx, pf)
	must(t, "Trades", err)
	if len(trades) != 0 {
		t.Fatalf("rolled-back transaction left %d trades", len(trades))
	}
	events, err := s.Events(ctx, pf, 0)
	must(t, "Events", err)
	if len(events) != 0 {
		t.Fatalf("rolled-back transaction left %d events", len(events))
	}
	var users int
	must(t, "count users", s.db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&users))
	if users != 0 {
		t.Fatalf("rolled-back transaction left %d users", users)
	}

	// A successful transaction commits everything.
	err = s.InTx(ctx, func(q *Queries) error {
		user, err := q.EnsureUser(ctx, "carol")
		if err != nil {
			return err
		}
		pf, err = q.EnsurePortfolio(ctx, user, "main")
		return err
	})
	must(t, "InTx", err)
	accts, err := s.Accounts(ctx, pf)
	must(t, "Accounts", err)
	if len(accts) != 0 {
		t.Fatalf("new portfolio has accounts %v", accts)
	}
	must(t, "count users", s.db.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&users))
	if users != 1 {
		t.Fatalf("committed transaction left %d users, want 1", users)
	}
}

// testConcurrentEnsure races get-or-create from several goroutines.
func testConcurrentEnsure(t *testing.T, s *Store) {
	ctx := t.Context()
	const n = 6
	got := make([]string, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			id, err := s.EnsureUser(ctx, "racer")
			got[i] = id
			errs <- err
		}()
	}
	for range n {
		must(t, "EnsureUser (concurrent)", <-errs)
	}
	for i := range got {
		if got[i] != got[0] {
			t.Fatalf("concurrent EnsureUser returned %q and %q", got[0], got[i])
		}
	}
}

// testSQLiteFile checks what Open does to the file: mode 0600, a 0700
// parent directory, WAL, foreign keys, and the accepted DSN forms.
func testSQLiteFile(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir() + "/nested/data"
	path := dir + "/w.db"
	s := openSQLiteAt(t, path)
	st, err := os.Stat(path)
	must(t, "stat database", err)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("database file mode = %v, want 0600", st.Mode().Perm())
	}
	dst, err := os.Stat(dir)
	must(t, "stat directory", err)
	if dst.Mode().Perm() != 0o700 {
		t.Errorf("database directory mode = %v, want 0700", dst.Mode().Perm())
	}
	if s.Dialect() != SQLite {
		t.Errorf("Dialect() = %q, want sqlite", s.Dialect())
	}
	// Check the pragmas on several pooled connections at once.
	for i := range 3 {
		c, err := s.db.Conn(ctx)
		must(t, "Conn", err)
		defer c.Close()
		var mode string
		var fk, busy, sync int
		must(t, "journal_mode", c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
		must(t, "foreign_keys", c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk))
		must(t, "busy_timeout", c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy))
		must(t, "synchronous", c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync))
		if mode != "wal" || fk != 1 || busy != 5000 || sync != 1 {
			t.Errorf("connection %d: journal_mode=%s foreign_keys=%d busy_timeout=%d synchronous=%d; want wal 1 5000 1(NORMAL)", i, mode, fk, busy, sync)
		}
	}
	must(t, "Close", s.Close())

	// Reopening migrates nothing twice; prefixes and extra parameters work.
	for _, dsn := range []string{path, "sqlite:" + path, "file:" + path, "file://" + path, path + "?_pragma=cache_size(-4000)"} {
		s2, err := Open(ctx, dsn)
		if err != nil {
			t.Fatalf("Open(%q): %v", dsn, err)
		}
		if _, err := s2.EnsureUser(ctx, "u"); err != nil {
			t.Errorf("Open(%q).EnsureUser: %v", dsn, err)
		}
		must(t, "Close", s2.Close())
	}
	for _, dsn := range []string{":memory:", "sqlite:", "file::memory:?cache=shared"} {
		if s3, err := Open(ctx, dsn); err == nil {
			_ = s3.Close()
			t.Errorf("Open(%q) succeeded, want an error", dsn)
		}
	}
}

// checkThrough asserts the date the stored books are derived through.
func checkThrough(t *testing.T, s *Store, pf string, want *portfolio.Date) {
	t.Helper()
	got, err := s.BooksThrough(t.Context(), pf)
	must(t, "BooksThrough", err)
	if (got == nil) != (want == nil) || (got != nil && *got != *want) {
		t.Fatalf("BooksThrough = %v, want %v", got, want)
	}
}
