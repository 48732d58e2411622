package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// SyncOptions tune a sync.
type SyncOptions struct {
	Gateway string    // address, for the report and the event
	Since   time.Time // executions from this time; zero = all the gateway keeps
	// Today is the date adopted positions are booked at when no execution
	// dates them; zero means the gateway's current date in New York.
	Today portfolio.Date
	// Progress is told each step as it starts (nil: silent).
	Progress func(step string)
}

// SyncResult is what a sync found and stored.
type SyncResult struct {
	Gateway     string            `json:"gateway"`
	Accounts    []SyncAccount     `json:"accounts"`
	Executions  SyncCount         `json:"executions"`
	Adopted     []Adoption        `json:"adopted"`
	Differences []SyncDifference  `json:"differences"`
	SyncedAt    time.Time         `json:"synced_at"`
	Balances    []SyncBalanceLine `json:"balances"`
}

// SyncAccount is one managed account and its portfolio account.
type SyncAccount struct {
	Broker    string `json:"broker_account"`
	Name      string `json:"account"`
	Created   bool   `json:"created"`
	Positions int    `json:"positions"`
}

// SyncCount counts executions.
type SyncCount struct {
	Fetched int `json:"fetched"`
	Added   int `json:"added"`
	Skipped int `json:"skipped"` // already stored
	// CommissionsAdded counts stored fills whose commission report had not
	// arrived when they were first synced, and has now.
	CommissionsAdded int `json:"commissions_added"`
}

// Adoption is a broker position the books had no history for, booked as an
// opening lot at the broker's average cost (acquisition date unknown).
type Adoption struct {
	Account  string          `json:"account"`
	Symbol   string          `json:"symbol"`
	Quantity decimal.Decimal `json:"quantity"`
	AvgCost  decimal.Decimal `json:"avg_cost"`
	Date     portfolio.Date  `json:"date"`
}

// SyncDifference is a position or cash balance on which the books and the
// broker disagree after the sync.
type SyncDifference struct {
	Account string          `json:"account"`
	Symbol  string          `json:"symbol"` // "" for cash
	Broker  decimal.Decimal `json:"broker"`
	Books   decimal.Decimal `json:"books"`
}

// SyncBalanceLine is one account-summary value the broker reported.
type SyncBalanceLine struct {
	Account  string          `json:"account"`
	Tag      string          `json:"tag"`
	Currency string          `json:"currency"`
	Amount   decimal.Decimal `json:"amount"`
}

// summaryTags are the account-summary values a sync stores.
var summaryTags = []string{"NetLiquidation", "TotalCashValue", "SettledCash", "BuyingPower", "GrossPositionValue", "AvailableFunds"}

// Sync brings the broker's accounts, executions, positions and balances
// into the portfolio. Everything is fetched first and written in one
// transaction: a gateway that fails mid-way leaves the store untouched, and
// the error names the step.
//
// Executions become trades keyed by execution id, so syncing twice adds
// nothing. A broker position whose symbol has no history in its account is
// adopted: booked as an opening lot at the broker's average cost (an account
// with no history at all also gets its cash as an opening deposit). Every
// other disagreement is reported, never papered over.
func (p *Portfolio) Sync(ctx context.Context, b Broker, opt SyncOptions) (*SyncResult, error) {
	step := func(s string) {
		if opt.Progress != nil {
			opt.Progress(s)
		}
	}
	fail := func(s string, err error) error {
		return &StepError{Op: "sync", Step: s, Err: err, NothingWritten: true}
	}

	managed := b.Accounts()
	if len(managed) == 0 {
		return nil, fail("accounts", errors.New("the gateway reports no managed accounts"))
	}
	if opt.Today == 0 {
		step("current time")
		now, err := b.CurrentTime(ctx)
		if err != nil {
			return nil, fail("current time", err)
		}
		opt.Today = portfolio.DateOf(now.In(exchangeZone))
	}
	step("positions")
	positions, err := b.Positions(ctx)
	if err != nil {
		return nil, fail("positions", err)
	}
	step("account summary")
	summary, err := b.AccountSummary(ctx, summaryTags...)
	if err != nil {
		return nil, fail("account summary", err)
	}
	step("executions")
	execs, err := b.Executions(ctx, ibkr.ExecFilter{Since: opt.Since})
	if err != nil {
		return nil, fail("executions", err)
	}
	step("store")
	res := &SyncResult{Gateway: opt.Gateway, Accounts: []SyncAccount{}, Adopted: []Adoption{},
		Differences: []SyncDifference{}, Balances: []SyncBalanceLine{}, SyncedAt: time.Now().UTC().Truncate(time.Second)}
	err = p.Store.InTx(ctx, func(q *store.Queries) error {
		*res = SyncResult{Gateway: res.Gateway, Accounts: []SyncAccount{}, Adopted: []Adoption{},
			Differences: []SyncDifference{}, Balances: []SyncBalanceLine{}, SyncedAt: res.SyncedAt}
		return p.syncTx(ctx, q, managed, positions, summary, execs, opt, res)
	})
	if err != nil {
		return nil, fail("store", err)
	}
	return res, nil
}

func (p *Portfolio) syncTx(ctx context.Context, q *store.Queries, managed []string, positions []ibkr.Position,
	summary []ibkr.AccountValue, execs []ibkr.Execution, opt SyncOptions, res *SyncResult) error {
	byBroker, err := p.brokerAccounts(ctx, q, managed, res)
	if err != nil {
		return err
	}
	accts, err := q.Accounts(ctx, p.PortfolioID)
	if err != nil {
		return fmt.Errorf("load accounts: %w", err)
	}
	names := accountNames(accts)
	stored, err := q.Trades(ctx, p.PortfolioID)
	if err != nil {
		return fmt.Errorf("load trades: %w", err)
	}
	keys := make(map[string]bool, len(stored))
	byKey := make(map[string]int, len(stored))
	history := map[[2]string]bool{} // (account id, symbol) with any stored trade
	hasTrades := map[string]bool{}
	for i, t := range stored {
		keys[t.Key] = true
		byKey[t.Key] = i
		history[[2]string{t.AccountID, t.Symbol}] = true
		hasTrades[t.AccountID] = true
	}

	// Executions → trades.
	res.Executions.Fetched = len(execs)
	var fresh []portfolio.Trade
	firstExec := map[[2]string]portfolio.Date{}
	for _, e := range execs {
		acct, ok := byBroker[e.Account]
		if !ok {
			continue // an account this login manages but did not list: skip, as IB does for FA sub-accounts
		}
		t, err := executionTrade(e, acct.ID)
		if err != nil {
			return err
		}
		if keys[t.Key] {
			// A commission that arrived after an earlier sync stored the
			// fill without it is filled in now.
			if i, ok := byKey[t.Key]; ok && stored[i].Fees.IsZero() && t.Fees.IsPositive() {
				if err := q.SetTradeFees(ctx, p.PortfolioID, t.Key, t.Fees); err != nil {
					return err
				}
				stored[i].Fees = t.Fees
				res.Executions.CommissionsAdded++
			}
			res.Executions.Skipped++
			continue
		}
		keys[t.Key] = true
		fresh = append(fresh, t)
		k := [2]string{acct.ID, t.Symbol}
		if d, ok := firstExec[k]; !ok || t.Date < d {
			firstExec[k] = t.Date
		}
	}
	res.Executions.Added = len(fresh)

	// Broker positions and balances, in domain terms.
	var bpos []portfolio.BrokerPosition
	currency := map[[2]string]string{}
	for _, ps := range positions {
		acct, ok := byBroker[ps.Account]
		if !ok || ps.Quantity.IsZero() {
			continue
		}
		if ps.Contract.Currency != "" {
			currency[[2]string{acct.ID, ps.Contract.Symbol}] = ps.Contract.Currency
		}
		bpos = append(bpos, portfolio.BrokerPosition{AccountID: acct.ID, Symbol: ps.Contract.Symbol,
			ConID: ps.Contract.ConID, Quantity: ps.Quantity, AvgCost: ps.AvgCost.Round(portfolio.MoneyPlaces)})
	}
	var bbal []portfolio.BrokerBalance
	cash := map[string]decimal.Decimal{}
	for _, v := range summary {
		acct, ok := byBroker[v.Account]
		if !ok {
			continue
		}
		amt, err := decimal.NewFromString(v.Value)
		if err != nil {
			continue // non-numeric tags (AccountType) are not stored
		}
		bbal = append(bbal, portfolio.BrokerBalance{AccountID: acct.ID, Tag: v.Tag, Currency: v.Currency, Amount: amt.Round(portfolio.MoneyPlaces)})
		res.Balances = append(res.Balances, SyncBalanceLine{Account: acct.Name, Tag: v.Tag, Currency: v.Currency, Amount: amt})
		if v.Tag == "TotalCashValue" {
			cash[acct.ID] = amt.Round(portfolio.MoneyPlaces)
		}
	}
	for i := range res.Accounts {
		for _, bp := range bpos {
			if byBroker[res.Accounts[i].Broker].ID == bp.AccountID {
				res.Accounts[i].Positions++
			}
		}
	}

	// Adopt positions with no history; then an opening deposit for accounts
	// that had no history at all, so their cash matches the broker's.
	var adopted []portfolio.Trade
	for _, bp := range bpos {
		k := [2]string{bp.AccountID, bp.Symbol}
		if history[k] || bp.Quantity.IsNegative() {
			continue
		}
		// IB's average cost blends in the fills synced now; take them out
		// (sold shares left at the average, as IB's own average keeps it).
		qty, sold, bought := bp.Quantity, decimal.Zero, decimal.Zero
		for _, t := range fresh {
			if t.AccountID == bp.AccountID && t.Symbol == bp.Symbol {
				qty = qty.Sub(signedShares(t))
				if t.Action == portfolio.Sell {
					sold = sold.Add(t.Quantity)
				} else {
					bought = bought.Add(t.Quantity.Mul(t.Price).Add(t.Fees))
				}
			}
		}
		if !qty.IsPositive() {
			continue
		}
		cost := bp.AvgCost
		if rest := bp.AvgCost.Mul(bp.Quantity.Add(sold)).Sub(bought); rest.IsPositive() && !bought.IsZero() {
			cost = rest.DivRound(qty, portfolio.MoneyPlaces)
		}
		d := opt.Today
		if fd, ok := firstExec[k]; ok {
			d = fd.AddDays(-1)
		}
		adopted = append(adopted, portfolio.Trade{ID: "ib-open-" + bp.AccountID + "-" + bp.Symbol, AccountID: bp.AccountID,
			Date: d, Action: portfolio.Buy, Symbol: bp.Symbol, Quantity: qty, Price: cost, Currency: cmp.Or(currency[k], "USD"),
			Note: "adopted from the broker's position at sync: acquisition date unknown; import the account's history (Flex) for exact lots",
			Key:  "ib:open:" + bp.AccountID + ":" + bp.Symbol})
		res.Adopted = append(res.Adopted, Adoption{Account: names[bp.AccountID], Symbol: bp.Symbol, Quantity: qty, AvgCost: cost, Date: d})
	}
	all := append(append(append([]portfolio.Trade{}, stored...), adopted...), fresh...)
	ledger, err := portfolio.Replay(accts, all)
	if err != nil {
		return syncBookingFailure(err)
	}
	var deposits []portfolio.Trade
	for id, want := range cash {
		if hasTrades[id] {
			continue
		}
		have := ledger.Cash()[id]
		if gap := want.Sub(have); gap.IsPositive() {
			first := opt.Today
			for _, t := range all {
				if t.AccountID == id && t.Date <= first {
					first = t.Date.AddDays(-1)
				}
			}
			deposits = append(deposits, portfolio.Trade{ID: "ib-open-cash-" + id, AccountID: id, Date: first,
				Action: portfolio.Deposit, Amount: gap, Currency: "USD", Note: "opening cash adopted from the broker at sync",
				Key: "ib:open-cash:" + id})
		}
	}
	if len(deposits) > 0 {
		all = append(all, deposits...)
		if ledger, err = portfolio.Replay(accts, all); err != nil {
			return syncBookingFailure(err)
		}
	}

	// Differences that remain are reported.
	books := map[[2]string]decimal.Decimal{}
	for _, h := range portfolio.Holdings(ledger.OpenLots()) {
		books[[2]string{h.AccountID, h.Symbol}] = h.Quantity
	}
	brokerQty := map[[2]string]decimal.Decimal{}
	for _, bp := range bpos {
		brokerQty[[2]string{bp.AccountID, bp.Symbol}] = bp.Quantity
	}
	synced := map[string]bool{}
	for _, a := range byBroker {
		synced[a.ID] = true
	}
	for k, bq := range brokerQty {
		if !books[k].Equal(bq) {
			res.Differences = append(res.Differences, SyncDifference{Account: names[k[0]], Symbol: k[1], Broker: bq, Books: books[k]})
		}
	}
	for k, hq := range books {
		if _, ok := brokerQty[k]; !ok && synced[k[0]] && !hq.IsZero() {
			res.Differences = append(res.Differences, SyncDifference{Account: names[k[0]], Symbol: k[1], Broker: decimal.Zero, Books: hq})
		}
	}
	for id, want := range cash {
		if have := ledger.Cash()[id]; !have.Equal(want) {
			res.Differences = append(res.Differences, SyncDifference{Account: names[id], Broker: want, Books: have})
		}
	}
	sort.Slice(res.Differences, func(i, j int) bool {
		a, b := res.Differences[i], res.Differences[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		return a.Symbol < b.Symbol
	})

	newTrades := append(append(adopted, deposits...), fresh...)
	if len(newTrades) > 0 || res.Executions.CommissionsAdded > 0 {
		if err := q.InsertTrades(ctx, p.UserID, newTrades); err != nil {
			return fmt.Errorf("store executions: %w", err)
		}
		if err := p.rebuild(ctx, q, accts, all, ledger); err != nil {
			return err
		}
	}
	ids := make([]string, 0, len(byBroker))
	for _, a := range byBroker {
		ids = append(ids, a.ID)
	}
	sort.Strings(ids)
	if err := q.ReplaceBrokerSnapshot(ctx, p.UserID, p.PortfolioID, ids, bpos, bbal, res.SyncedAt); err != nil {
		return fmt.Errorf("store broker positions: %w", err)
	}
	return q.AppendEvent(ctx, store.Event{UserID: p.UserID, PortfolioID: p.PortfolioID, Kind: "broker.synced",
		Subject: res.Gateway, Data: map[string]any{"executions_added": res.Executions.Added, "adopted": len(res.Adopted),
			"differences": len(res.Differences), "accounts": len(res.Accounts)}})
}

// brokerAccounts maps each managed account id to a portfolio account
// (matched by number, then name), creating taxable FIFO accounts for ids it
// has never seen.
func (p *Portfolio) brokerAccounts(ctx context.Context, q *store.Queries, managed []string, res *SyncResult) (map[string]portfolio.Account, error) {
	accts, err := q.Accounts(ctx, p.PortfolioID)
	if err != nil {
		return nil, fmt.Errorf("load accounts: %w", err)
	}
	find := AccountResolver(accts)
	out := make(map[string]portfolio.Account, len(managed))
	for _, id := range managed {
		a, ok := find(id)
		created := false
		if !ok {
			a, err = q.CreateAccount(ctx, p.UserID, p.PortfolioID, portfolio.Account{Name: id, Broker: "ibkr", Number: id,
				TaxType: portfolio.Taxable, LotMethod: portfolio.FIFO})
			if err != nil {
				return nil, fmt.Errorf("add account %s: %w", id, err)
			}
			created = true
			if err := q.AppendEvent(ctx, store.Event{UserID: p.UserID, PortfolioID: p.PortfolioID, Kind: "account.added",
				Subject: a.ID, Data: map[string]string{"name": a.Name, "type": string(a.TaxType), "broker": "ibkr", "source": "sync"}}); err != nil {
				return nil, err
			}
		}
		out[id] = a
		res.Accounts = append(res.Accounts, SyncAccount{Broker: id, Name: a.Name, Created: created})
	}
	return out, nil
}

// executionTrade turns a fill into a BUY or SELL dated in exchange time.
func executionTrade(e ibkr.Execution, accountID string) (portfolio.Trade, error) {
	t := portfolio.Trade{ID: "ib-" + e.ExecID, AccountID: accountID, Date: portfolio.DateOf(e.Time.In(exchangeZone)),
		Symbol: e.Contract.Symbol, Quantity: e.Shares, Price: e.Price, Currency: e.Contract.Currency,
		Key: "ib:exec:" + e.ExecID, Note: strings.TrimSpace("IB order " + fmt.Sprint(e.OrderID) + " " + e.OrderRef)}
	if t.Currency == "" {
		t.Currency = "USD"
	}
	switch e.Side {
	case "BOT":
		t.Action = portfolio.Buy
	case "SLD":
		t.Action = portfolio.Sell
	default:
		return t, fmt.Errorf("execution %s: side %q is neither BOT nor SLD", e.ExecID, e.Side)
	}
	// IB reports tiered commissions and some prices with more places than
	// the books keep: round once, here (half away from zero).
	t.Price = t.Price.Round(portfolio.MoneyPlaces)
	if e.Commission != nil {
		t.Fees = e.Commission.Abs().Round(portfolio.MoneyPlaces)
	}
	return t, nil
}

func signedShares(t portfolio.Trade) decimal.Decimal {
	if t.Action == portfolio.Sell {
		return t.Quantity.Neg()
	}
	return t.Quantity
}

func syncBookingFailure(err error) error {
	var be *portfolio.BookingError
	if errors.As(err, &be) {
		return fmt.Errorf("the broker's executions do not fit the stored history: %w; import the account's full history first (wealthalloc import trades flex FILE) and sync again", err)
	}
	return err
}
