package ibkr

import (
	"log/slog"
	"time"
)

// DefaultAddr is IB Gateway's paper-trading API port on this machine.
const DefaultAddr = "127.0.0.1:4002"

// Config says where the Gateway is and how patient to be with it. The zero
// value of every field means its default.
type Config struct {
	Addr            string // default DefaultAddr (Gateway paper)
	ClientID        int
	ClientIDRetries int // on 326 or a close before readiness, retry with ClientID+1…; default 3, negative for none

	DialTimeout      time.Duration // default 3s
	HandshakeTimeout time.Duration // default 5s
	BootstrapTimeout time.Duration // default 10s
	RequestTimeout   time.Duration // default 15s; also bounds a ctx without a sooner deadline

	MessageRate float64 // messages per second sent at most; default and ceiling 45

	// Reconnect redials with exponential backoff (ReconnectBackoff doubling
	// up to ReconnectMaxBackoff) after the connection drops, then
	// resubscribes streams and reconciles orders in flight. Streams are
	// also resubscribed after 1101 (connectivity restored, data lost).
	Reconnect           bool
	ReconnectBackoff    time.Duration // default 500ms
	ReconnectMaxBackoff time.Duration // default 30s

	// AllowLive permits orders on accounts whose id does not start with
	// "DU". Without it such orders fail with ErrLiveAccount.
	AllowLive bool

	// CommissionWait is how long Executions waits after execDetailsEnd for
	// commission reports still missing; default 500ms.
	CommissionWait time.Duration

	// OnPacingWait, if set, is called before HistoricalBars waits for IB's
	// historical-data pacing limits, with the wait (0 when it waits for one
	// of 50 open requests to end) and the limit in force, so a caller can
	// show progress. It runs on the caller's goroutine and must not block.
	OnPacingWait func(wait time.Duration, reason string)

	Logger *slog.Logger // default: discard
}

// maxRate stays under IB's 50 messages/s, after which the Gateway answers
// error 100 and may disconnect.
const maxRate = 45

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.ClientIDRetries == 0 {
		c.ClientIDRetries = 3
	} else if c.ClientIDRetries < 0 {
		c.ClientIDRetries = 0
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.DialTimeout, 3*time.Second)
	def(&c.HandshakeTimeout, 5*time.Second)
	def(&c.BootstrapTimeout, 10*time.Second)
	def(&c.RequestTimeout, 15*time.Second)
	def(&c.ReconnectBackoff, 500*time.Millisecond)
	def(&c.ReconnectMaxBackoff, 30*time.Second)
	def(&c.CommissionWait, 500*time.Millisecond)
	if c.MessageRate <= 0 || c.MessageRate > maxRate {
		c.MessageRate = maxRate
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
