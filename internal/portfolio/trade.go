package portfolio

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Action is the kind of a trade or cash event.
type Action string

// The trade actions. Quantities are always positive; the action gives the sign.
const (
	Buy        Action = "BUY"        // opens a lot; cash -= quantity×price + fees (or Amount)
	Sell       Action = "SELL"       // closes lots; cash += quantity×price − fees (or Amount)
	Dividend   Action = "DIVIDEND"   // cash += Amount
	Reinvest   Action = "REINVEST"   // a dividend used to buy shares: opens a lot with basis Amount; cash unchanged
	Split      Action = "SPLIT"      // an N-for-M split: Quantity is N, SplitFrom M (zero for 1); lots rescale, basis kept
	Deposit    Action = "DEPOSIT"    // external cash in: cash += Amount
	Withdrawal Action = "WITHDRAWAL" // external cash out: cash -= Amount
	Fee        Action = "FEE"        // cash -= Amount
	Interest   Action = "INTEREST"   // cash += Amount
)

// Actions lists every action in the order they are applied within one day:
// splits take effect before the day's trades, cash arrives before it is spent,
// purchases before sales (so a same-day round trip books), charges last.
var Actions = []Action{Split, Deposit, Interest, Dividend, Buy, Reinvest, Sell, Fee, Withdrawal}

// ParseAction accepts an action name, case-insensitively.
func ParseAction(s string) (Action, error) {
	for _, a := range Actions {
		if strings.EqualFold(s, string(a)) {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown action %q: want one of BUY, SELL, DIVIDEND, REINVEST, SPLIT, DEPOSIT, WITHDRAWAL, FEE, INTEREST", s)
}

// DayRank orders actions within one date (see Actions).
func (a Action) DayRank() int {
	for i, x := range Actions {
		if x == a {
			return i
		}
	}
	return len(Actions)
}

// NeedsSymbol reports whether the action concerns a security.
func (a Action) NeedsSymbol() bool {
	switch a {
	case Buy, Sell, Dividend, Reinvest, Split:
		return true
	}
	return false
}

// NeedsQuantity reports whether the action carries a share quantity (or ratio).
func (a Action) NeedsQuantity() bool {
	switch a {
	case Buy, Sell, Reinvest, Split:
		return true
	}
	return false
}

// LotPick names a lot a sale should consume, optionally with how many shares
// from it. A zero Quantity means "as many as needed".
type LotPick struct {
	LotID    string
	Quantity decimal.Decimal
}

// Trade is one entry of an account's history. Amount is the net cash effect
// as a positive number (cost including fees for a BUY, proceeds net of fees
// for a SELL, the cash moved for cash actions); for a BUY or SELL it may be
// zero and is then derived from Quantity, Price and Fees.
type Trade struct {
	ID        string // stable id; a BUY's ID is the ID of the lot it opens
	AccountID string
	Date      Date
	Action    Action
	Symbol    string
	Quantity  decimal.Decimal // shares; for SPLIT the N of an N-for-M split
	// SplitFrom is the M of an N-for-M SPLIT (3 in 1-for-3), zero meaning 1:
	// the ratio is Quantity/SplitFrom, kept as two numbers so that a ratio
	// such as 1/3 is exact. Zero for every other action.
	SplitFrom decimal.Decimal
	Price     decimal.Decimal // per share, before fees
	Fees      decimal.Decimal // commissions and fees, positive
	Amount    decimal.Decimal // net cash, positive; see type comment
	Currency  string
	Lots      []LotPick // specific lots for a SELL
	Note      string
	// Key identifies the trade across imports (a broker's trade id, or a hash
	// of the row); importing a trade whose Key is already stored adds nothing.
	Key string
}

// SplitRatio returns the N and M of a SPLIT's N-for-M ratio: Quantity and
// SplitFrom, with a zero SplitFrom read as 1.
func (t Trade) SplitRatio() (n, m decimal.Decimal) {
	if t.SplitFrom.IsZero() {
		return t.Quantity, decimal.NewFromInt(1)
	}
	return t.Quantity, t.SplitFrom
}

// NetCash is the trade's effect on the account's cash, signed: negative when
// cash leaves the account. It is rounded to MoneyPlaces.
func (t Trade) NetCash() decimal.Decimal {
	switch t.Action {
	case Buy:
		return t.gross().Neg()
	case Sell:
		return t.gross()
	case Dividend, Deposit, Interest:
		return RoundMoney(t.Amount)
	case Withdrawal, Fee:
		return RoundMoney(t.Amount).Neg()
	}
	return decimal.Zero // SPLIT, REINVEST
}

// gross is the positive cash amount of a BUY or SELL: Amount when given,
// otherwise quantity×price plus fees (BUY) or minus fees (SELL).
func (t Trade) gross() decimal.Decimal {
	if !t.Amount.IsZero() {
		return RoundMoney(t.Amount)
	}
	v := t.Quantity.Mul(t.Price)
	if t.Action == Buy {
		return RoundMoney(v.Add(t.Fees))
	}
	return RoundMoney(v.Sub(t.Fees))
}

// CostBasis is the basis of the lot a BUY or REINVEST opens: what was paid,
// fees included (Pub 550: commissions are part of basis).
func (t Trade) CostBasis() decimal.Decimal {
	if t.Action == Reinvest {
		if !t.Amount.IsZero() {
			return RoundMoney(t.Amount)
		}
		return RoundMoney(t.Quantity.Mul(t.Price).Add(t.Fees))
	}
	return t.gross()
}

// Before reports whether t is applied before u: by date, then by action within
// the day (see Actions), then by ID. The order depends only on the trades,
// never on the order they were imported in.
func (t Trade) Before(u Trade) bool {
	if t.Date != u.Date {
		return t.Date < u.Date
	}
	if r, s := t.Action.DayRank(), u.Action.DayRank(); r != s {
		return r < s
	}
	return t.ID < u.ID
}
