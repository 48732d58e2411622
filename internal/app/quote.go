package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// QuoteOptions tune Quotes.
type QuoteOptions struct {
	// TTL is how long a cached quote is served without asking the gateway
	// (0: always ask).
	TTL time.Duration
	// Connect opens the gateway; called only when some symbol is not
	// cached, so repeated quotes within the TTL need no gateway at all.
	Connect func(ctx context.Context) (QuoteSource, error)
	Now     func() time.Time // default time.Now
}

// QuoteResult is one symbol's quote and whether it came from the cache.
type QuoteResult struct {
	portfolio.Quote
	Cached bool
}

// Quotes returns a quote per symbol, in order, from the cache when fresh,
// else from the gateway (and caches it). An unknown symbol fails the call
// with the gateway's reason.
func (p *Portfolio) Quotes(ctx context.Context, symbols []string, opt QuoteOptions) ([]QuoteResult, error) {
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	cached, err := p.Store.Quotes(ctx, symbols)
	if err != nil {
		return nil, fmt.Errorf("read quote cache: %w", err)
	}
	out := make([]QuoteResult, len(symbols))
	var src QuoteSource
	var fetched []portfolio.Quote
	for i, sym := range symbols {
		if c, ok := cached[sym]; ok && opt.TTL > 0 && now().Sub(c.Fetched) < opt.TTL {
			out[i] = QuoteResult{Quote: c, Cached: true}
			continue
		}
		if src == nil {
			if opt.Connect == nil {
				return nil, errors.New("no gateway to ask for quotes")
			}
			if src, err = opt.Connect(ctx); err != nil {
				return nil, err
			}
		}
		at := now().UTC()
		q, err := src.Quote(ctx, ibkr.Contract{Symbol: sym})
		if err != nil {
			return nil, fmt.Errorf("quote %s: %w", sym, err)
		}
		dq := portfolio.Quote{Symbol: sym, Bid: q.Bid, Ask: q.Ask, Last: q.Last, Close: q.Close,
			BidSize: q.BidSize, AskSize: q.AskSize, LastSize: q.LastSize, Delayed: q.Delayed, Time: q.Time.UTC(), Fetched: at}
		if dq.Time.IsZero() {
			dq.Time = at
		}
		fetched = append(fetched, dq)
		out[i] = QuoteResult{Quote: dq}
	}
	if len(fetched) > 0 {
		if err := p.Store.UpsertQuotes(ctx, fetched); err != nil {
			return nil, fmt.Errorf("cache quotes: %w", err)
		}
	}
	return out, nil
}
