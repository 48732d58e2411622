package sim

import (
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// subscription is a streaming market-data request.
type subscription struct {
	reqID   int64
	sym     *symbol
	delayed bool
	last    quote
}

// Tick types, live and delayed (reference/ibkr.md §2.3).
type tickTypes struct {
	bidSize, bid, ask, askSize, last, lastSize, high, low, volume, close, open int
	lastTimestamp                                                              int // a tickString
}

var (
	liveTicks    = tickTypes{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14, 45}
	delayedTicks = tickTypes{69, 66, 67, 70, 68, 71, 72, 73, 74, 75, 76, 88}
)

func (c *conn) reqMktData(m wire.Msg) {
	id, _ := m.Int("reqId")
	snapshot, _ := m.Bool("snapshot")
	regulatory, _ := m.Bool("regulatorySnapshot")
	snapshot = snapshot || regulatory
	if c.mkt[id] != nil {
		c.sendError(id, codeProcessing, "Error processing request.-'bc' : cause - Duplicate ticker id")
		return
	}
	sym := c.s.resolve(m)
	if sym == nil {
		c.sendError(id, codeNoSecDef, noSecDef)
		return
	}
	typ := c.mdType
	delayed := typ >= 3
	fs := c.s.faults
	switch {
	case fs.delayed && !delayed && fs.delayedDeny:
		c.sendError(id, codeNotSubscribed, "Requested market data is not subscribed. Delayed market data is not available. "+sym.name+" "+primaryExchange(sym.name)+"/TOP/ALL")
		return
	case fs.delayed && !delayed && fs.delayedAsk:
		c.sendError(id, codeNotSubscribed, "Requested market data is not subscribed. Check API status by selecting the Account menu then under Management choose Market Data Subscription Manager and/or review the list of market data subscriptions. "+sym.name+" "+primaryExchange(sym.name)+"/TOP/ALL")
		return
	case fs.delayed && !delayed:
		c.sendError(id, codeDelayedShown, "Requested market data is not subscribed. Displaying delayed market data.")
		delayed, typ = true, typ+2
	case fs.delayedDeny && delayed:
		c.sendError(id, codeDelayedOff, "Requested market data is not subscribed. Delayed market data is not enabled.")
		return
	}
	reqID := strconv.FormatInt(id, 10)
	c.send(wire.TickReqParams, map[string]string{"tickerId": reqID, "minTick": "0.01", "bboExchange": "9c0001", "snapshotPermissions": "3"})
	c.send(wire.MarketDataType, map[string]string{"reqId": reqID, "marketDataType": strconv.Itoa(typ)})
	sub := &subscription{reqID: id, sym: sym, delayed: delayed}
	q := c.s.quote(sub, c.s.marketNow())
	c.sendTicks(sub, q, nil)
	if snapshot {
		c.send(wire.TickSnapshotEnd, map[string]string{"reqId": reqID})
		return
	}
	sub.last = q
	c.mkt[id] = sub
}

func (s *Server) quote(sub *subscription, t time.Time) quote {
	if sub.delayed {
		t = t.Add(-delayedBy)
	}
	return s.mkt.quoteAt(sub.sym, t)
}

// streamTicks sends what changed for every streaming subscription.
func (c *conn) streamTicks(now time.Time) {
	if c.lost {
		return
	}
	for _, sub := range c.mkt {
		q := c.s.quote(sub, now)
		c.sendTicks(sub, q, &sub.last)
		sub.last = q
	}
}

// sendTicks sends the ticks of q, or only those that differ from prev.
func (c *conn) sendTicks(sub *subscription, q quote, prev *quote) {
	tt := liveTicks
	if sub.delayed {
		tt = delayedTicks
	}
	reqID := strconv.FormatInt(sub.reqID, 10)
	price := func(typ int, v, size decimal.Decimal, old *decimal.Decimal, oldSize *decimal.Decimal) {
		if prev != nil && v.Equal(*old) && (oldSize == nil || size.Equal(*oldSize)) {
			return
		}
		c.send(wire.TickPrice, map[string]string{
			"reqId": reqID, "tickType": strconv.Itoa(typ), "price": v.String(), "size": size.String(),
		})
	}
	size := func(typ int, v decimal.Decimal, old *decimal.Decimal) {
		if prev != nil && v.Equal(*old) {
			return
		}
		c.send(wire.TickSize, map[string]string{"reqId": reqID, "tickType": strconv.Itoa(typ), "size": v.String()})
	}
	var p quote
	if prev != nil {
		p = *prev
	}
	zero := decimal.Zero
	price(tt.bid, q.bid, q.bidSize, &p.bid, &p.bidSize)
	size(tt.bidSize, q.bidSize, &p.bidSize)
	price(tt.ask, q.ask, q.askSize, &p.ask, &p.askSize)
	size(tt.askSize, q.askSize, &p.askSize)
	price(tt.last, q.last, q.lastSize, &p.last, &p.lastSize)
	size(tt.lastSize, q.lastSize, &p.lastSize)
	price(tt.high, q.high, zero, &p.high, nil)
	price(tt.low, q.low, zero, &p.low, nil)
	size(tt.volume, q.volume, &p.volume)
	price(tt.close, q.prevClose, zero, &p.prevClose, nil)
	price(tt.open, q.open, zero, &p.open, nil)
	// The last trade's time (tick 45, delayed 88) in simulated market time,
	// whenever the last trade changed.
	if prev == nil || !q.last.Equal(p.last) || !q.lastSize.Equal(p.lastSize) || q.at.Truncate(time.Minute) != p.at.Truncate(time.Minute) {
		c.send(wire.TickString, map[string]string{"reqId": reqID, "tickType": strconv.Itoa(tt.lastTimestamp),
			"value": strconv.FormatInt(q.at.Unix(), 10)})
	}
}
