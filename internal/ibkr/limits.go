package ibkr

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clock is time, injectable for the limiter and pacer tests.
type clock interface {
	Now() time.Time
	// Sleep waits d or until wake is closed or ctx ends (then ctx.Err()).
	Sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	if d <= 0 && wake == nil {
		return ctx.Err()
	}
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timeout:
	case <-wake:
	}
	return nil
}

// bucket is a token bucket for outgoing messages: burst tokens, refilled at
// rate per second. A burst of 4 at 45/s lets no one-second window carry
// more than 49 messages, under IB's 50 (error 100, then a disconnect).
type bucket struct {
	mu     sync.Mutex
	clock  clock
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

const bucketBurst = 4

func newBucket(clk clock, rate float64) *bucket {
	return &bucket{clock: clk, rate: rate, burst: bucketBurst, tokens: bucketBurst, last: clk.Now()}
}

// reserve takes a token now and says how long to wait before using it.
// Tokens go negative while callers wait, so they queue in arrival order.
func (b *bucket) reserve(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(b.burst, b.tokens+el.Seconds()*b.rate)
		b.last = now
	}
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

// wait blocks until a message may be sent. A cancelled wait keeps its token
// spent, which errs on the side of sending less.
func (b *bucket) wait(ctx context.Context) error {
	if d := b.reserve(b.clock.Now()); d > 0 {
		return b.clock.Sleep(ctx, d, nil)
	}
	return ctx.Err()
}

// Historical-data pacing (reference/ibkr.md §3 item 5; tws-api
// historical_limitations): no identical request within 15 s, at most 5
// requests for one contract (and exchange and data type) within 2 s, at most
// 50 open, and, for bars of 30 seconds or less only, at most 60 within 10
// minutes. The pacer waits rather than letting the Gateway answer 162
// "pacing violation".
const (
	paceIdentical     = 15 * time.Second
	paceSameWindow    = 2 * time.Second
	paceSameMax       = 5
	paceTotalWindow   = 10 * time.Minute
	paceTotalMax      = 60
	paceOpenMax       = 50
	paceCacheLifetime = paceIdentical
	// paceMargin widens every window: the Gateway times requests when they
	// arrive, later than we send them.
	paceMargin = 500 * time.Millisecond
)

// Why a historical request waits, as Config.OnPacingWait reports it.
const (
	paceWhyIdentical = "an identical historical request was sent less than 15 s ago"
	paceWhySame      = "5 historical requests for this contract within 2 s"
	paceWhyTotal     = "60 historical requests for bars of 30 s or less within 10 minutes"
	paceWhyOpen      = "50 historical requests open"
)

// smallBars reports whether IB's ten-minute limit applies to a bar size:
// "1 secs" … "30 secs".
func smallBars(barSize string) bool {
	n, unit, ok := strings.Cut(strings.TrimSpace(strings.ToLower(barSize)), " ")
	if !ok || !strings.HasPrefix(strings.TrimSpace(unit), "sec") {
		return false
	}
	v, err := strconv.Atoi(n)
	return err == nil && v <= 30
}

type histSend struct {
	at       time.Time
	key      string // the whole request
	contract string // contract, exchange and data type
	small    bool   // bars of 30 s or less: counts towards the ten-minute limit
}

type histResult struct {
	at   time.Time
	bars []Bar
}

type pacer struct {
	mu      sync.Mutex
	clock   clock
	sent    []histSend // within paceTotalWindow, oldest first
	open    int
	cache   map[string]histResult
	changed chan struct{} // closed and replaced when a request ends
}

func newPacer(clk clock) *pacer {
	return &pacer{clock: clk, cache: map[string]histResult{}, changed: make(chan struct{})}
}

// delay is how long a request must wait before it may be sent at now, and
// why; ok=false means it (also) waits for an open request to end.
func (p *pacer) delay(now time.Time, key, contract string, small bool) (d time.Duration, why string, ok bool) {
	// Forget sends older than the longest window.
	cut := 0
	for cut < len(p.sent) && now.Sub(p.sent[cut].at) >= paceTotalWindow+paceMargin {
		cut++
	}
	p.sent = p.sent[cut:]
	later := func(t time.Time, reason string) {
		if w := t.Sub(now); w > d {
			d, why = w, reason
		}
	}
	if small {
		n := 0
		for i := len(p.sent) - 1; i >= 0; i-- {
			if p.sent[i].small {
				n++
				if n == paceTotalMax {
					later(p.sent[i].at.Add(paceTotalWindow+paceMargin), paceWhyTotal)
					break
				}
			}
		}
	}
	same := 0
	for i := len(p.sent) - 1; i >= 0; i-- {
		s := p.sent[i]
		if s.key == key && now.Sub(s.at) < paceIdentical+paceMargin {
			later(s.at.Add(paceIdentical+paceMargin), paceWhyIdentical)
		}
		if s.contract == contract && now.Sub(s.at) < paceSameWindow+paceMargin {
			same++
			if same == paceSameMax {
				later(s.at.Add(paceSameWindow+paceMargin), paceWhySame)
			}
		}
	}
	ok = p.open < paceOpenMax
	if !ok && d <= 0 {
		why = paceWhyOpen
	}
	return d, why, ok
}

// acquire waits until the request may go, or serves it from a result of an
// identical request less than 15 s old. release must be called when the
// request ends; store (before release) caches a successful result.
// weight is 2 for BID_ASK requests, which IB counts twice; small marks
// bars of 30 s or less. onWait, if not nil, hears of every wait before it
// starts (wait 0: until an open request ends). A wait that would outlast
// ctx's deadline fails at once.
func (p *pacer) acquire(ctx context.Context, key, contract string, weight int, small bool, onWait func(time.Duration, string)) (bars []Bar, cached bool, err error) {
	for {
		p.mu.Lock()
		now := p.clock.Now()
		if r, ok := p.cache[key]; ok {
			if now.Sub(r.at) < paceCacheLifetime {
				p.mu.Unlock()
				return slices.Clone(r.bars), true, nil
			}
			delete(p.cache, key)
		}
		d, why, ok := p.delay(now, key, contract, small)
		if d <= 0 && ok {
			for range max(weight, 1) {
				p.sent = append(p.sent, histSend{at: now, key: key, contract: contract, small: small})
			}
			p.open++
			p.mu.Unlock()
			return nil, false, nil
		}
		wake := p.changed
		p.mu.Unlock()
		if dl, has := ctx.Deadline(); has && d > 0 && time.Until(dl) < d {
			return nil, false, fmt.Errorf("pacing: %s; the next request may go in %s, after the deadline: %w",
				why, d.Round(time.Millisecond), context.DeadlineExceeded)
		}
		if onWait != nil {
			onWait(d, why)
		}
		if !ok {
			d = 0 // wait for a release only
		}
		if err := p.clock.Sleep(ctx, d, wake); err != nil {
			return nil, false, context.Cause(ctx)
		}
	}
}

// release ends a request started by acquire; bars is cached when ok.
func (p *pacer) release(key string, bars []Bar, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open--
	if ok {
		// The cache is keyed to the send time of the identical request, so
		// it lives no longer than the 15 s that forbid sending it again.
		at := p.clock.Now()
		for i := len(p.sent) - 1; i >= 0; i-- {
			if p.sent[i].key == key {
				at = p.sent[i].at
				break
			}
		}
		p.cache[key] = histResult{at: at, bars: slices.Clone(bars)}
	}
	for k, r := range p.cache {
		if p.clock.Now().Sub(r.at) >= paceCacheLifetime {
			delete(p.cache, k)
		}
	}
	close(p.changed)
	p.changed = make(chan struct{})
}
