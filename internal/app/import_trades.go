package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ids"
	"github.com/wealthalloc/wealthalloc/internal/importer"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
)

// ImportResult says what an import added (or, dry, would add).
type ImportResult struct {
	File      string                   `json:"file"`
	DryRun    bool                     `json:"dry_run"`
	Rows      int                      `json:"rows"`
	Added     int                      `json:"added"`
	Skipped   int                      `json:"skipped"` // already stored
	ByAction  map[portfolio.Action]int `json:"by_action"`
	Accounts  []string                 `json:"accounts"` // names of accounts with new trades
	From      *portfolio.Date          `json:"from,omitempty"`
	To        *portfolio.Date          `json:"to,omitempty"`
	OpenLots  int                      `json:"open_lots"`
	Positions []PositionCheck          `json:"position_differences"` // Flex OpenPositions that disagree with the books
	// ReplacedAdoptions counts the provisional opening lots and deposits
	// sync had adopted that the imported history replaced.
	ReplacedAdoptions int `json:"replaced_adoptions"`
}

// PositionCheck is a broker-reported position that differs from the holdings
// the imported history produces.
type PositionCheck struct {
	Account  string          `json:"account"`
	Symbol   string          `json:"symbol"`
	Broker   decimal.Decimal `json:"broker_quantity"`
	Computed decimal.Decimal `json:"computed_quantity"`
	Line     int             `json:"line"`
}

// ImportTrades adds the rows not already stored (matched by Trade.Key),
// replays the whole history to rebuild lots, cash and holdings, and writes it
// all in one transaction: a row the books cannot take (a sale of more than is
// held, an unknown lot) fails the import and nothing is written. With dryRun
// the same checks run and nothing is written either.
//
// The new trades are written while the history replays (the replay is pure
// Go, the write is SQLite's or the server's work): when the replay fails, the
// write is cancelled and the transaction rolls back, so nothing is written
// either way.
func (p *Portfolio) ImportTrades(ctx context.Context, file string, rows []importer.Row, positions []importer.Position, dryRun bool) (*ImportResult, error) {
	var res *ImportResult
	err := p.Store.InTx(ctx, func(q *store.Queries) error {
		res = &ImportResult{File: file, DryRun: dryRun, Rows: len(rows), ByAction: map[portfolio.Action]int{},
			Accounts: []string{}, Positions: []PositionCheck{}}
		accts, err := q.Accounts(ctx, p.PortfolioID)
		if err != nil {
			return fmt.Errorf("load accounts: %w", err)
		}
		stored, err := q.Trades(ctx, p.PortfolioID)
		if err != nil {
			return fmt.Errorf("load trades: %w", err)
		}
		byKey := make(map[string]portfolio.Trade, len(stored))
		for _, t := range stored {
			byKey[t.Key] = t
		}
		byID := make(map[string]*importer.Row, len(rows))
		// all is the whole history: the stored trades, then the new ones
		// (fresh), appended in place rather than copied after.
		all := make([]portfolio.Trade, len(stored), len(stored)+len(rows))
		copy(all, stored)
		touched := map[string]bool{}
		for i := range rows {
			t := rows[i].Trade
			if old, dup := byKey[t.Key]; dup {
				if !sameTrade(old, t) && !sameFill(old, t) {
					return rows[i].ErrorAt(file, "id", strings.TrimPrefix(t.Key, "csv:id:"), fmt.Sprintf(
						"the trade already imported under this id (%s): an imported trade is never changed silently; give the corrected row a new id, or fix the row",
						describe(old, accountNames(accts))))
				}
				res.Skipped++
				continue
			}
			// InsertTrades would fill these in; doing it here means it never
			// writes to trades while the replay reads them.
			if t.ID == "" {
				t.ID = ids.New()
			}
			if t.Key == "" {
				t.Key = t.ID
			}
			byID[t.ID] = &rows[i]
			all = append(all, t)
			res.ByAction[t.Action]++
			touched[t.AccountID] = true
			d := t.Date
			if res.From == nil || d < *res.From {
				res.From = &d
			}
			if res.To == nil || d > *res.To {
				res.To = &d
			}
		}
		fresh := all[len(stored):]
		res.Added = len(fresh)
		// Positions sync adopted without history give way to the history
		// now imported for them (and an adopted opening deposit to the
		// account's imported cash): otherwise both would count.
		var dropKeys []string
		if len(fresh) > 0 && hasAdoptions(stored) {
			all, dropKeys = withoutAdoptions(stored, fresh)
			fresh = all[len(all)-len(fresh):]
			res.ReplacedAdoptions = len(dropKeys)
		}
		names := accountNames(accts)
		for id := range touched {
			res.Accounts = append(res.Accounts, names[id])
		}
		sort.Strings(res.Accounts)

		write := !dryRun && len(fresh) > 0
		var (
			insertErr  error
			inserted   = make(chan struct{})
			insertCtx  context.Context
			stopInsert context.CancelFunc = func() {}
		)
		if write {
			insertCtx, stopInsert = context.WithCancel(ctx)
			go func() {
				defer close(inserted)
				insertErr = q.InsertTrades(insertCtx, p.UserID, fresh)
			}()
		} else {
			close(inserted)
		}
		// Every return below waits for the write to stop first: the
		// transaction must not end under it.
		defer func() { stopInsert(); <-inserted }()

		ledger, err := portfolio.Replay(accts, all)
		if err != nil {
			return bookingFailure(err, file, byID, stored, names)
		}
		b, err := p.deriveBooks(accts, all, ledger)
		if err != nil {
			return err
		}
		for i := range b.lots {
			if b.lots[i].Open() {
				res.OpenLots++
			}
		}
		res.Positions = checkPositions(positions, b.holdings, names)
		if !write {
			return nil
		}
		<-inserted
		if insertErr != nil {
			return fmt.Errorf("store trades: %w", insertErr)
		}
		if _, err := q.DeleteTrades(ctx, p.PortfolioID, dropKeys); err != nil {
			return fmt.Errorf("replace adopted positions: %w", err)
		}
		if err := p.writeBooks(ctx, q, b, lastDate(all)); err != nil {
			return err
		}
		return q.AppendEvent(ctx, store.Event{UserID: p.UserID, PortfolioID: p.PortfolioID,
			Kind: "trades.imported", Subject: file, Data: map[string]any{
				"added": res.Added, "skipped": res.Skipped, "by_action": res.ByAction}})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func accountNames(accts []portfolio.Account) map[string]string {
	m := make(map[string]string, len(accts))
	for _, a := range accts {
		m[a.ID] = a.Name
	}
	return m
}

// bookingFailure points a ledger error at the file row that caused it. When
// the failing trade was stored earlier, the new rows changed history under it
// (e.g. a back-dated sale), and the error says so.
func bookingFailure(err error, file string, byID map[string]*importer.Row, stored []portfolio.Trade, names map[string]string) error {
	var be *portfolio.BookingError
	if !errors.As(err, &be) {
		return fmt.Errorf("replay trades: %w", err)
	}
	msg := be.Err.Error()
	for id, name := range names {
		msg = strings.ReplaceAll(msg, id, fmt.Sprintf("%q", name))
	}
	row, ok := byID[be.TradeID]
	if !ok {
		what := be.TradeID
		for _, t := range stored {
			if t.ID == be.TradeID {
				what = describe(t, names)
			}
		}
		return fmt.Errorf("%s: the new rows change history before an already imported trade (%s), which no longer books: %s: %s; check the new rows' dates and quantities",
			file, what, be.Field, msg)
	}
	return row.ErrorAt(file, be.Field, fieldValue(row.Trade, be.Field), "a row the books can take: "+msg)
}

func fieldValue(t portfolio.Trade, field string) string {
	switch field {
	case "quantity":
		return quantityText(t)
	case "price":
		return t.Price.String()
	case "amount":
		return t.Amount.String()
	case "fees":
		return t.Fees.String()
	case "symbol":
		return t.Symbol
	case "id":
		return t.ID
	case "lots":
		parts := make([]string, len(t.Lots))
		for i, l := range t.Lots {
			parts[i] = l.LotID
			if !l.Quantity.IsZero() {
				parts[i] += ":" + l.Quantity.String()
			}
		}
		return strings.Join(parts, ";")
	}
	return ""
}

func checkPositions(reported []importer.Position, holdings []portfolio.Holding, names map[string]string) []PositionCheck {
	out := []PositionCheck{}
	if len(reported) == 0 {
		return out
	}
	computed := map[[2]string]decimal.Decimal{}
	for _, h := range holdings {
		computed[[2]string{h.AccountID, h.Symbol}] = h.Quantity
	}
	seen := map[[2]string]bool{}
	for _, r := range reported {
		k := [2]string{r.AccountID, r.Symbol}
		seen[k] = true
		if c := computed[k]; !c.Equal(r.Quantity) {
			out = append(out, PositionCheck{Account: names[r.AccountID], Symbol: r.Symbol, Broker: r.Quantity, Computed: c, Line: r.Line})
		}
	}
	// A holding the broker did not report, in an account the report covers.
	covered := map[string]bool{}
	for _, r := range reported {
		covered[r.AccountID] = true
	}
	for k, q := range computed {
		if covered[k[0]] && !seen[k] && !q.IsZero() {
			out = append(out, PositionCheck{Account: names[k[0]], Symbol: k[1], Broker: decimal.Zero, Computed: q})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Account != out[j].Account {
			return out[i].Account < out[j].Account
		}
		return out[i].Symbol < out[j].Symbol
	})
	return out
}

// lastDate is the latest trade date, or nil for no trades.
func lastDate(trades []portfolio.Trade) *portfolio.Date {
	var last *portfolio.Date
	for i := range trades {
		if last == nil || trades[i].Date > *last {
			d := trades[i].Date
			last = &d
		}
	}
	return last
}

// sameTrade reports whether two trades say the same thing; notes may differ.
// sameFill recognises one IB execution reaching the books twice, from sync
// and from a Flex statement: the same execution id, account, date, side,
// symbol and shares. The two sources may differ in how they round the price
// and split commissions from net cash; the copy already stored stays.
func sameFill(a, b portfolio.Trade) bool {
	return strings.HasPrefix(a.Key, "ib:exec:") && a.Key == b.Key && a.AccountID == b.AccountID && a.Date == b.Date &&
		a.Action == b.Action && a.Symbol == b.Symbol && a.Quantity.Equal(b.Quantity) &&
		a.Price.Round(2).Equal(b.Price.Round(2))
}

func sameTrade(a, b portfolio.Trade) bool {
	if a.AccountID != b.AccountID || a.Date != b.Date || a.Action != b.Action || a.Symbol != b.Symbol ||
		!a.Quantity.Equal(b.Quantity) || !a.Price.Equal(b.Price) || !a.Fees.Equal(b.Fees) ||
		!a.Amount.Equal(b.Amount) || !a.SplitFrom.Equal(b.SplitFrom) || a.Currency != b.Currency || len(a.Lots) != len(b.Lots) {
		return false
	}
	for i := range a.Lots {
		if a.Lots[i].LotID != b.Lots[i].LotID || !a.Lots[i].Quantity.Equal(b.Lots[i].Quantity) {
			return false
		}
	}
	return true
}

// describe names a trade for people: date, account, action, quantity, symbol, price or amount.
func describe(t portfolio.Trade, names map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", t.Date, names[t.AccountID], t.Action)
	if !t.Quantity.IsZero() {
		fmt.Fprintf(&b, " %s", quantityText(t))
	}
	if t.Symbol != "" {
		fmt.Fprintf(&b, " %s", t.Symbol)
	}
	if !t.Price.IsZero() {
		fmt.Fprintf(&b, " @ %s", t.Price)
	}
	if !t.Amount.IsZero() {
		fmt.Fprintf(&b, " amount %s", t.Amount)
	}
	return b.String()
}

// quantityText is a trade's quantity as files write it: N:M for an N-for-M split.
func quantityText(t portfolio.Trade) string {
	if t.Action == portfolio.Split && !t.SplitFrom.IsZero() {
		return t.Quantity.String() + ":" + t.SplitFrom.String()
	}
	return t.Quantity.String()
}

// hasAdoptions reports whether any stored trade is a position or deposit
// sync adopted (the common case, none, spares withoutAdoptions' lookups).
func hasAdoptions(stored []portfolio.Trade) bool {
	for i := range stored {
		if strings.HasPrefix(stored[i].Key, "ib:open") {
			return true
		}
	}
	return false
}

// withoutAdoptions returns the history stored + fresh without the opening
// positions sync adopted (keys "ib:open:<account>:<symbol>") for an account
// and symbol fresh trades, and without an adopted opening deposit
// ("ib:open-cash:<account>") of an account fresh touches; and the keys it
// left out. fresh stays last, in order.
func withoutAdoptions(stored, fresh []portfolio.Trade) ([]portfolio.Trade, []string) {
	pairs := map[string]bool{}
	accts := map[string]bool{}
	for _, t := range fresh {
		accts[t.AccountID] = true
		if t.Symbol != "" {
			pairs["ib:open:"+t.AccountID+":"+t.Symbol] = true
		}
	}
	var drop []string
	out := make([]portfolio.Trade, 0, len(stored)+len(fresh))
	for _, t := range stored {
		if pairs[t.Key] || strings.HasPrefix(t.Key, "ib:open-cash:") && accts[strings.TrimPrefix(t.Key, "ib:open-cash:")] {
			drop = append(drop, t.Key)
			continue
		}
		out = append(out, t)
	}
	return append(out, fresh...), drop
}
