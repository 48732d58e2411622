package sim

import (
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// Bar is one daily bar of a symbol.
type Bar struct {
	Date                           string // YYYY-MM-DD
	Open, High, Low, Close, Volume decimal.Decimal
}

// Position is a holding in an account.
type Position struct {
	Symbol            string
	Quantity, AvgCost decimal.Decimal
}

// Account is a brokerage account with its cash and positions.
type Account struct {
	ID        string
	Cash      decimal.Decimal
	Positions []Position
}

// Commission is IBKR's fixed pricing: so much per share, at least Min per
// order, at most MaxPercent of the trade value.
type Commission struct {
	PerShare, Min decimal.Decimal
	MaxPercent    decimal.Decimal
}

// Config describes the simulated gateway. The zero value of every field has
// a documented default.
type Config struct {
	Accounts      []Account        // default: one "DU1234567" with 100000 cash
	Prices        map[string][]Bar // daily bars per symbol, ascending by date
	AsOf          string           // YYYY-MM-DD: the simulated "today"; default: last date in Prices
	Commission    Commission       // all zero: 0.005/share, min 1.00, max 1%
	Seed          int64            // intraday paths, sizes and fill ordering derive from it
	Faults        []Fault
	ServerVersion int          // version answered; default wire.ServerVersion
	Logger        *slog.Logger // nil = discard
	Now           func() time.Time

	// Speed is how many simulated seconds pass per wall second on the
	// market clock; default 1 (real time).
	Speed float64
	// TickInterval is how often streaming market data and resting orders
	// are updated; default 1s.
	TickInterval time.Duration
}

// Fault is a switchable misbehaviour, written NAME or NAME=ARG.
type Fault struct {
	Name string
	Arg  string
}

func (f Fault) String() string {
	if f.Arg == "" {
		return f.Name
	}
	return f.Name + "=" + f.Arg
}

// The faults, with the argument each takes.
const (
	FaultDisconnectAfter = "disconnect-after" // =N: close a connection after sending it N messages
	FaultSplitFrames     = "split-frames"     // write every frame in several small writes with pauses
	FaultDelay           = "delay"            // =DURATION: hold every message this long before sending it
	FaultRateLimit       = "rate-limit"       // enforce 50 messages/s: error 100, disconnect on the second violation
	FaultPacing          = "pacing"           // enforce the historical-data pacing limits: error 162
	FaultConnectivity    = "connectivity"     // =1100|1101|1102: send that code right after the bootstrap
	FaultUnknownSymbol   = "unknown-symbol"   // =SYM: treat SYM as unknown (error 200)
	FaultDelayed         = "delayed"          // [=deny|ask]: live data not permitted (10167 + delayed ticks; 354 with deny, or with ask until the client asks for type 3/4)
	FaultClientIDInUse   = "client-id-in-use" // =N: client id N is taken (326 and close)
	FaultExecCorrection  = "exec-correction"  // every fill is corrected once: re-sent with the execId's last segment incremented
)

var faultArgs = map[string]string{
	FaultDisconnectAfter: "N",
	FaultSplitFrames:     "",
	FaultDelay:           "DURATION",
	FaultRateLimit:       "",
	FaultPacing:          "",
	FaultConnectivity:    "1100|1101|1102",
	FaultUnknownSymbol:   "SYM",
	FaultDelayed:         "[deny|ask]",
	FaultClientIDInUse:   "N",
	FaultExecCorrection:  "",
}

// FaultNames lists the faults as they are written, with their arguments,
// for --help and error messages.
func FaultNames() []string {
	var out []string
	for name, arg := range faultArgs {
		switch {
		case arg == "":
			out = append(out, name)
		case strings.HasPrefix(arg, "["):
			out = append(out, name+"[="+strings.Trim(arg, "[]")+"]")
		default:
			out = append(out, name+"="+arg)
		}
	}
	slices.Sort(out)
	return out
}

// ParseFault reads "NAME[=ARG]" and checks the argument.
func ParseFault(s string) (Fault, error) {
	name, arg, hasArg := strings.Cut(strings.TrimSpace(s), "=")
	want, ok := faultArgs[name]
	if !ok {
		return Fault{}, fmt.Errorf("unknown fault %q: valid faults are %s", name, strings.Join(FaultNames(), ", "))
	}
	f := Fault{Name: name, Arg: arg}
	bad := func(why string) (Fault, error) {
		return Fault{}, fmt.Errorf("fault %s: %s", s, why)
	}
	switch name {
	case FaultSplitFrames, FaultRateLimit, FaultPacing, FaultExecCorrection:
		if hasArg {
			return bad("takes no argument")
		}
	case FaultDisconnectAfter, FaultClientIDInUse:
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return bad("want " + name + "=" + want + " with N a whole number")
		}
	case FaultDelay:
		d, err := time.ParseDuration(arg)
		if err != nil || d < 0 {
			return bad("want delay=DURATION, such as delay=500ms")
		}
	case FaultConnectivity:
		if arg != "1100" && arg != "1101" && arg != "1102" {
			return bad("want connectivity=1100, 1101 or 1102")
		}
	case FaultUnknownSymbol:
		if arg == "" {
			return bad("want unknown-symbol=SYM")
		}
		f.Arg = strings.ToUpper(arg)
	case FaultDelayed:
		if hasArg && arg != "deny" && arg != "ask" {
			return bad("want delayed, delayed=deny or delayed=ask")
		}
	}
	return f, nil
}

// faults is the active set, read under the server's lock.
type faults struct {
	disconnectAfter int // 0 = off
	splitFrames     bool
	delay           time.Duration
	rateLimit       bool
	pacing          bool
	connectivity    int
	unknown         map[string]bool
	delayed         bool
	delayedDeny     bool
	delayedAsk      bool
	clientIDInUse   map[int]bool
	execCorrection  bool
}

func compileFaults(fs []Fault) (faults, error) {
	c := faults{unknown: map[string]bool{}, clientIDInUse: map[int]bool{}}
	for _, f := range fs {
		g, err := ParseFault(f.String())
		if err != nil {
			return faults{}, err
		}
		switch g.Name {
		case FaultDisconnectAfter:
			c.disconnectAfter, _ = strconv.Atoi(g.Arg)
			if c.disconnectAfter == 0 {
				c.disconnectAfter = -1 // close right after the handshake
			}
		case FaultSplitFrames:
			c.splitFrames = true
		case FaultDelay:
			c.delay, _ = time.ParseDuration(g.Arg)
		case FaultRateLimit:
			c.rateLimit = true
		case FaultPacing:
			c.pacing = true
		case FaultConnectivity:
			c.connectivity, _ = strconv.Atoi(g.Arg)
		case FaultUnknownSymbol:
			c.unknown[g.Arg] = true
		case FaultDelayed:
			c.delayed = true
			c.delayedDeny = g.Arg == "deny"
			c.delayedAsk = g.Arg == "ask"
		case FaultClientIDInUse:
			n, _ := strconv.Atoi(g.Arg)
			c.clientIDInUse[n] = true
		case FaultExecCorrection:
			c.execCorrection = true
		}
	}
	return c, nil
}

var (
	defaultAccountID = "DU1234567"
	defaultCash      = decimal.NewFromInt(100000)
	defaultComm      = Commission{
		PerShare:   decimal.RequireFromString("0.005"),
		Min:        decimal.RequireFromString("1.00"),
		MaxPercent: decimal.RequireFromString("1"),
	}
)

// withDefaults fills the zero fields of a copy of cfg.
func withDefaults(cfg Config) Config {
	if len(cfg.Accounts) == 0 {
		cfg.Accounts = []Account{{ID: defaultAccountID, Cash: defaultCash}}
	}
	if cfg.Commission.PerShare.IsZero() && cfg.Commission.Min.IsZero() && cfg.Commission.MaxPercent.IsZero() {
		cfg.Commission = defaultComm
	}
	if cfg.ServerVersion == 0 {
		cfg.ServerVersion = wire.ServerVersion
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Speed <= 0 {
		cfg.Speed = 1
	}
	if cfg.TickInterval <= 0 {
		cfg.TickInterval = time.Second
	}
	return cfg
}
