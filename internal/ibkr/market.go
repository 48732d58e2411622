package ibkr

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// Field positions of the two hot messages, read once from the layouts.
var (
	tickPriceLen   = wire.TickPrice.FixedLen()
	tickPriceReq   = wire.TickPrice.Index("reqId")
	tickPriceType  = wire.TickPrice.Index("tickType")
	tickPricePrice = wire.TickPrice.Index("price")
	tickPriceSize  = wire.TickPrice.Index("size")
	tickSizeLen    = wire.TickSize.FixedLen()
	tickSizeReq    = wire.TickSize.Index("reqId")
	tickSizeType   = wire.TickSize.Index("tickType")
	tickSizeSize   = wire.TickSize.Index("size")
)

var errTickFields = errors.New("wrong number of fields")

// decodeTickPrice reads a split tickPrice by position, without allocating.
func decodeTickPrice(fields [][]byte) (reqID int64, field int, price, size wire.Number, err error) {
	if len(fields) != tickPriceLen {
		return 0, 0, price, size, errTickFields
	}
	if reqID, err = wire.ParseInt(fields[tickPriceReq]); err != nil {
		return
	}
	var tt int64
	if tt, err = wire.ParseInt(fields[tickPriceType]); err != nil {
		return
	}
	field = int(tt)
	if price, err = wire.ParseNumber(fields[tickPricePrice]); err != nil {
		return
	}
	size, err = wire.ParseNumber(fields[tickPriceSize])
	return
}

// decodeTickSize reads a split tickSize by position, without allocating.
func decodeTickSize(fields [][]byte) (reqID int64, field int, size wire.Number, err error) {
	if len(fields) != tickSizeLen {
		return 0, 0, size, errTickFields
	}
	if reqID, err = wire.ParseInt(fields[tickSizeReq]); err != nil {
		return
	}
	var tt int64
	if tt, err = wire.ParseInt(fields[tickSizeType]); err != nil {
		return
	}
	field = int(tt)
	size, err = wire.ParseNumber(fields[tickSizeSize])
	return
}

// sizeTickFor is the size tick the official client synthesises from a
// price tick (bid→bidSize …), or −1.
func sizeTickFor(field int) int {
	switch field {
	case TickBid:
		return TickBidSize
	case TickAsk:
		return TickAskSize
	case TickLast:
		return TickLastSize
	case TickDelayedBid:
		return TickDelayedBidSize
	case TickDelayedAsk:
		return TickDelayedAskSize
	case TickDelayedLast:
		return TickDelayedLastSz
	}
	return -1
}

// noData reports the −1 price the Gateway sends for "no quote".
func noData(n wire.Number) bool {
	if !n.Set || n.Coef >= 0 {
		return !n.Set
	}
	c, e := n.Coef, n.Exp
	for e < 0 && c%10 == 0 {
		c /= 10
		e++
	}
	return c == -1 && e == 0
}

// rawQuote is a quote as the ticks left it, kept as wire numbers so that
// folding a tick in allocates nothing; Quote converts on demand.
type rawQuote struct {
	bid, ask, last, close, open, high, low wire.Number
	bidSize, askSize, lastSize, volume     wire.Number
	delayed                                bool
	mdType                                 int
	time                                   time.Time // the last trade's time (tick 45 or 88) when the Gateway sent it
	recv                                   time.Time // when the last tick arrived
}

func priceOf(n wire.Number) decimal.NullDecimal {
	if noData(n) {
		return decimal.NullDecimal{}
	}
	return nullDec(n)
}

func (r *rawQuote) quote(symbol string, conID int64) Quote {
	return Quote{
		Symbol: symbol, ConID: conID,
		Bid: priceOf(r.bid), Ask: priceOf(r.ask), Last: priceOf(r.last), Close: priceOf(r.close),
		Open: priceOf(r.open), High: priceOf(r.high), Low: priceOf(r.low),
		BidSize: nullDec(r.bidSize), AskSize: nullDec(r.askSize), LastSize: nullDec(r.lastSize), Volume: nullDec(r.volume),
		Delayed: r.delayed, MarketDataType: r.mdType, Time: cmp.Or(r.time, r.recv),
	}
}

// apply folds one tick in.
func (r *rawQuote) apply(field int, price, size wire.Number) {
	switch field {
	case TickBid, TickDelayedBid:
		r.bid = price
	case TickAsk, TickDelayedAsk:
		r.ask = price
	case TickLast, TickDelayedLast:
		r.last = price
	case TickClose, TickDelayedClose:
		r.close = price
	case TickOpen, TickDelayedOpen:
		r.open = price
	case TickHigh, TickDelayedHigh:
		r.high = price
	case TickLow, TickDelayedLow:
		r.low = price
	case TickBidSize, TickDelayedBidSize:
		r.bidSize = size
	case TickAskSize, TickDelayedAskSize:
		r.askSize = size
	case TickLastSize, TickDelayedLastSz:
		r.lastSize = size
	case TickVolume, TickDelayedVolume:
		r.volume = size
	default:
		return
	}
	if field >= TickDelayedBid && field <= TickDelayedOpen {
		r.delayed = true
	}
}

// applyMsg folds the non-tick market-data messages in.
func (r *rawQuote) applyMsg(m wire.Msg) {
	switch m.Layout {
	case wire.MarketDataType:
		r.mdType = int(integer(m, "marketDataType"))
		if r.mdType == mdDelayed || r.mdType == mdDelayedFrozen {
			r.delayed = true
		}
	case wire.TickString:
		// 45 last timestamp, 88 delayed last timestamp: epoch seconds.
		if tt := integer(m, "tickType"); tt == 45 || tt == 88 {
			if sec, err := wire.ParseInt([]byte(m.Get("value"))); err == nil && sec > 0 {
				r.time = time.Unix(sec, 0).UTC()
			}
		}
	}
}

// delayedFallback lists the errors after which a live request is retried
// with market data type 3 (delayed): no live subscription. 10168 (delayed
// data not enabled either) is not one of them: see delayedOff.
func delayedFallback(code int) bool {
	switch code {
	case 354, 10089:
		return true
	}
	return false
}

// codeDelayedOff is 10168, "delayed market data is not enabled".
const codeDelayedOff = 10168

// delayedOff explains 10168: no retry helps, the login must allow delayed
// data. The *APIError stays reachable with errors.As.
func delayedOff(api *APIError) error {
	return fmt.Errorf("%w: delayed market data is not enabled for this login, and there is no live subscription either: "+
		"enable delayed data in IB Gateway/TWS (Global Configuration → API → Settings) or subscribe to market data "+
		"in Client Portal (Settings → Market Data Subscriptions)", api)
}

// useDelayed switches the session to market data type 3 once; it reports
// whether it did (false when already switched).
func (c *Client) useDelayed(ctx context.Context) (bool, error) {
	c.mu.Lock()
	if c.mdType != mdLive {
		c.mu.Unlock()
		return false, nil
	}
	c.mdType = mdDelayed
	c.mu.Unlock()
	f, err := encReqMarketDataType(mdDelayed)
	if err != nil {
		return false, err
	}
	c.log.Info("ibkr no live market data; asking for delayed (type 3)")
	return true, c.send(ctx, f)
}

// Quote takes a market-data snapshot and waits for tickSnapshotEnd (a
// snapshot can take 11–12 s). A request sent while the session asked for
// live data that fails for want of a live subscription (354, 10089) is
// retried once with delayed data (type 3), whichever call switched the
// session over. 10168 (delayed data not enabled) fails with how to enable
// it.
func (c *Client) Quote(ctx context.Context, ct Contract) (Quote, error) {
	ct = ct.withDefaults()
	q, sentType, err := c.snapshot(ctx, ct)
	var api *APIError
	if errors.As(err, &api) && delayedFallback(api.Code) && sentType == mdLive {
		if _, serr := c.useDelayed(ctx); serr != nil {
			return q, serr
		}
		q, _, err = c.snapshot(ctx, ct)
	}
	if errors.As(err, &api) && api.Code == codeDelayedOff {
		return q, delayedOff(api)
	}
	return q, err
}

// snapshot runs one snapshot request; sentType is the market data type the
// session had asked for when the request was built.
func (c *Client) snapshot(ctx context.Context, ct Contract) (q0 Quote, sentType int, err error) {
	var q rawQuote
	r := newRequest("quote " + ct.Symbol)
	r.tick = q.apply
	r.handle = func(m wire.Msg) bool {
		if m.Layout == wire.TickSnapshotEnd {
			return true
		}
		q.applyMsg(m)
		return false
	}
	r.info = func(e *APIError) {
		if e.Code == 10167 {
			q.delayed = true
		}
	}
	sentType = mdLive
	err = c.run(ctx, r, func(id int64) ([]byte, error) {
		c.mu.Lock()
		sentType = c.mdType
		c.mu.Unlock()
		return encReqMktData(id, ct, true)
	}, encCancelMktData)
	if err != nil {
		return Quote{Symbol: ct.Symbol, ConID: ct.ConID}, sentType, err
	}
	if q.recv.IsZero() {
		q.recv = c.clock.Now().UTC()
	}
	return q.quote(ct.Symbol, ct.ConID), sentType, nil
}

// Subscription is a market-data stream. Ticks arrive on Ticks(); Quote()
// is the latest state. It survives 1101 and reconnects (resubscribed with
// a new request id) until Close.
type Subscription struct {
	c        *Client
	contract Contract
	ch       chan Tick

	mu       sync.Mutex
	reqID    int64
	sentType int // the market data type asked for when the request was sent
	quote    rawQuote
	closed   bool
	err      error
	dropped  uint64
}

// tickBuffer is how many ticks wait for a slow reader before new ones are
// dropped (the reader goroutine never blocks on a consumer).
const tickBuffer = 1024

// Subscribe starts a market-data stream for one contract.
func (c *Client) Subscribe(ctx context.Context, ct Contract) (*Subscription, error) {
	ct = ct.withDefaults()
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	s := &Subscription{c: c, contract: ct, ch: make(chan Tick, tickBuffer)}
	cn, err := c.current(ctx)
	if err != nil {
		return nil, c.stepErr("subscribe "+ct.Symbol, err)
	}
	id := c.nextID()
	s.reqID = id
	c.mu.Lock()
	c.subs[id] = s
	s.sentType = c.mdType
	c.mu.Unlock()
	f, err := encReqMktData(id, ct, false)
	if err == nil {
		err = c.write(ctx, cn, f)
	}
	if err != nil {
		c.mu.Lock()
		delete(c.subs, id)
		c.mu.Unlock()
		return nil, c.stepErr("subscribe "+ct.Symbol, err)
	}
	return s, nil
}

// Ticks delivers the stream's ticks; it is closed when the stream ends
// (Close, an error for the request, or a drop without Reconnect).
func (s *Subscription) Ticks() <-chan Tick { return s.ch }

// Quote is the stream's latest state.
func (s *Subscription) Quote() Quote {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.quote.quote(s.contract.Symbol, s.contract.ConID)
}

// ReqID is the stream's current request id (it changes on resubscription).
func (s *Subscription) ReqID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqID
}

// Err says why the stream ended (nil while it runs and after Close).
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Dropped counts ticks not delivered because Ticks() was not read.
func (s *Subscription) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Close cancels the stream and closes Ticks().
func (s *Subscription) Close() error {
	c := s.c
	c.mu.Lock()
	var ids []int64
	for id, v := range c.subs {
		if v == s {
			ids = append(ids, id)
			delete(c.subs, id)
		}
	}
	c.mu.Unlock()
	for _, id := range ids {
		if f, err := encCancelMktData(id); err == nil {
			c.sendQuiet(f, "cancelMktData")
		}
	}
	s.end(nil)
	return nil
}

func (s *Subscription) end(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed, s.err = true, err
	close(s.ch)
}

// onTick runs on the reader goroutine.
func (s *Subscription) onTick(reqID int64, field int, price, size wire.Number) {
	now := s.c.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quote.apply(field, price, size)
	s.quote.recv = now
	if s.closed {
		return
	}
	t := Tick{ReqID: reqID, Symbol: s.contract.Symbol, Field: field, Price: price, Size: size,
		Delayed: field >= TickDelayedBid && field <= TickDelayedOpen, Time: now}
	select {
	case s.ch <- t:
	default:
		s.dropped++
	}
}

func (s *Subscription) onMsg(m wire.Msg) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quote.applyMsg(m)
}

// onError runs on the reader goroutine: a missing live subscription
// switches to delayed data and resubscribes; other failures end the stream.
func (s *Subscription) onError(e *APIError) {
	c := s.c
	if e.Class == Info {
		if e.Code == 10167 {
			s.mu.Lock()
			s.quote.delayed = true
			s.mu.Unlock()
		}
		return
	}
	s.mu.Lock()
	live := s.sentType == mdLive
	s.mu.Unlock()
	if delayedFallback(e.Code) {
		// Sent while live data was asked for: switch (if no one has) and
		// ask again, now for delayed data.
		if live {
			c.wg.Add(1)
			go func() {
				defer c.wg.Done()
				ctx, cancel := context.WithTimeout(c.life, c.cfg.RequestTimeout)
				defer cancel()
				if _, err := c.useDelayed(ctx); err != nil {
					c.log.Warn("ibkr switch to delayed data failed", "err", err)
				}
				c.resubscribeOne(ctx, s)
			}()
			return
		}
	}
	c.mu.Lock()
	for id, v := range c.subs {
		if v == s {
			delete(c.subs, id)
		}
	}
	c.mu.Unlock()
	if e.Code == codeDelayedOff {
		s.end(delayedOff(e))
		return
	}
	s.end(e)
}

// resubscribe requests every stream again under a new request id: after
// 1101 the Gateway has forgotten them, after a reconnect so has the
// connection.
func (c *Client) resubscribe(ctx context.Context) {
	c.mu.Lock()
	seen := map[*Subscription]bool{}
	var subs []*Subscription
	for _, s := range c.subs {
		if !seen[s] {
			seen[s] = true
			subs = append(subs, s)
		}
	}
	c.mu.Unlock()
	for _, s := range subs {
		c.resubscribeOne(ctx, s)
	}
}

func (c *Client) resubscribeOne(ctx context.Context, s *Subscription) {
	c.mu.Lock()
	found := false
	for id, v := range c.subs {
		if v == s {
			delete(c.subs, id)
			found = true
		}
	}
	if !found {
		c.mu.Unlock()
		return // closed meanwhile
	}
	id := c.seq
	c.seq++
	c.subs[id] = s
	md := c.mdType
	c.mu.Unlock()
	s.mu.Lock()
	s.reqID, s.sentType = id, md
	s.mu.Unlock()
	f, err := encReqMktData(id, s.contract, false)
	if err == nil {
		err = c.send(ctx, f)
	}
	if err != nil {
		c.log.Warn("ibkr resubscribe failed", "symbol", s.contract.Symbol, "err", err)
		return
	}
	c.log.Info("ibkr resubscribed", "symbol", s.contract.Symbol, "reqId", id)
}

// String names the stream in logs.
func (s *Subscription) String() string {
	return fmt.Sprintf("market data %s (req %d)", s.contract.Symbol, s.ReqID())
}
