package app

import (
	"context"
	"time"
	_ "time/tzdata" // exchange time zones on machines without zoneinfo

	"github.com/wealthalloc/wealthalloc/internal/ibkr"
)

// Broker is what sync needs from an IB connection (*ibkr.Client).
type Broker interface {
	Accounts() []string
	CurrentTime(ctx context.Context) (time.Time, error)
	Positions(ctx context.Context) ([]ibkr.Position, error)
	AccountSummary(ctx context.Context, tags ...string) ([]ibkr.AccountValue, error)
	Executions(ctx context.Context, f ibkr.ExecFilter) ([]ibkr.Execution, error)
}

// QuoteSource is what quote needs from an IB connection.
type QuoteSource interface {
	Quote(ctx context.Context, c ibkr.Contract) (ibkr.Quote, error)
}

// HistorySource is what history needs from an IB connection.
type HistorySource interface {
	HistoricalBars(ctx context.Context, r ibkr.HistoryRequest) ([]ibkr.Bar, error)
}

// StepError names the stage of a multi-step use case that failed, so that
// "the gateway went away" says what was being fetched and that nothing was
// written.
type StepError struct {
	Op, Step string
	Err      error
	// NothingWritten says the failure came before the single write
	// transaction (or rolled it back), which the message then states.
	NothingWritten bool
}

func (e *StepError) Error() string {
	msg := e.Op + ": " + e.Step + ": " + e.Err.Error()
	if e.NothingWritten {
		msg += "; nothing was written"
	}
	return msg
}
func (e *StepError) Unwrap() error { return e.Err }

// exchangeZone is the zone IB's US-stock times and trade dates are kept in.
var exchangeZone = func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic("app: " + err.Error()) // time/tzdata is linked in
	}
	return loc
}()
