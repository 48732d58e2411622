package ibkr

import (
	"strings"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// dispatch routes one incoming message; it runs on the reader goroutine
// and must never block on a caller.
func (c *Client) dispatch(cn *conn, fields [][]byte) {
	// Market data first, decoded by position without allocating.
	switch string(fields[0]) {
	case "1":
		reqID, field, price, size, err := decodeTickPrice(fields)
		if err != nil {
			c.log.Debug("ibkr bad tickPrice", "err", err)
			return
		}
		c.onTick(reqID, field, price, size)
		if sf := sizeTickFor(field); sf >= 0 && size.Set {
			// The official client synthesises a size tick from a price tick.
			c.onTick(reqID, sf, wire.Number{}, size)
		}
		return
	case "2":
		reqID, field, size, err := decodeTickSize(fields)
		if err != nil {
			c.log.Debug("ibkr bad tickSize", "err", err)
			return
		}
		c.onTick(reqID, field, wire.Number{}, size)
		return
	}
	m, ok, err := wire.Decode(wire.Incoming, fields)
	if !ok && err == nil {
		c.log.Debug("ibkr unknown message skipped", "id", string(fields[0]), "fields", len(fields))
		return
	}
	if err != nil {
		c.log.Warn("ibkr message skipped", "id", string(fields[0]), "err", err)
		return
	}
	switch m.Layout {
	case wire.ErrorMsg:
		c.onError(cn, m)
	case wire.NextValidID:
		id := integer(m, "orderId")
		c.mu.Lock()
		c.seq = max(c.seq, id)
		c.mu.Unlock()
		if !cn.gotID {
			cn.gotID, cn.nextID = true, id
			c.checkReady(cn)
		}
	case wire.ManagedAccts:
		var accts []string
		for a := range strings.SplitSeq(m.Get("accountsList"), ",") {
			if a = strings.TrimSpace(a); a != "" {
				accts = append(accts, a)
			}
		}
		if !cn.gotAccts {
			cn.gotAccts, cn.accounts = true, accts
			c.checkReady(cn)
		} else {
			c.mu.Lock()
			c.accounts = accts
			c.mu.Unlock()
		}
	case wire.CurrentTime, wire.Position, wire.PositionEnd:
		key := "positions"
		if m.Layout == wire.CurrentTime {
			key = "currentTime"
		}
		c.toSingle(key, m)
	case wire.OpenOrder, wire.OpenOrderEnd:
		c.onOpenOrder(m)
	case wire.OrderStatus:
		c.onOrderStatus(m)
	case wire.ExecDetails:
		c.onExecDetails(m)
	case wire.CommissionReport:
		c.onCommission(m)
	case wire.TickSnapshotEnd, wire.ContractData, wire.ContractDataEnd, wire.ExecDetailsEnd, wire.HistoricalData,
		wire.AccountSummary, wire.AccountSummaryEnd, wire.MarketDataType, wire.TickGeneric, wire.TickString:
		c.toRequest(integer(m, "reqId"), m)
	case wire.TickReqParams:
		// minTick and BBO exchange for a market-data request: not needed.
	default:
		c.log.Debug("ibkr message ignored", "msg", m.Layout.Name)
	}
}

func (c *Client) checkReady(cn *conn) {
	if cn.gotID && cn.gotAccts {
		select {
		case <-cn.ready:
		default:
			close(cn.ready)
		}
	}
}

// toRequest hands a message to the request with that id, or to the stream.
func (c *Client) toRequest(id int64, m wire.Msg) {
	c.mu.Lock()
	r := c.reqs[id]
	s := c.subs[id]
	c.mu.Unlock()
	switch {
	case r != nil && r.handle != nil:
		if r.handle(m) {
			c.mu.Lock()
			if c.reqs[id] == r {
				delete(c.reqs, id)
			}
			c.mu.Unlock()
			r.finish(nil)
		}
	case s != nil:
		s.onMsg(m)
	}
}

func (c *Client) toSingle(key string, m wire.Msg) {
	c.mu.Lock()
	r := c.singles[key]
	c.mu.Unlock()
	if r != nil && r.handle(m) {
		c.mu.Lock()
		if c.singles[key] == r {
			delete(c.singles, key)
		}
		c.mu.Unlock()
		r.finish(nil)
	}
}

func (c *Client) onTick(reqID int64, field int, price, size wire.Number) {
	c.mu.Lock()
	r := c.reqs[reqID]
	s := c.subs[reqID]
	c.mu.Unlock()
	switch {
	case r != nil && r.tick != nil:
		r.tick(field, price, size)
	case s != nil:
		s.onTick(reqID, field, price, size)
	}
}

// onError routes an error message by its class and id.
func (c *Client) onError(cn *conn, m wire.Msg) {
	e := newAPIError(integer(m, "id"), int(integer(m, "errorCode")), m.Get("errorString"))
	// Bootstrap refusals.
	if e.Code == 326 {
		cn.bootErr = errClientIDInUseAPI{e}
		c.log.Warn("ibkr client id in use", "clientId", cn.clientID, "msg", e.Message)
		cn.nc.Close()
		return
	}
	switch e.Class {
	case Connectivity:
		c.log.Warn("ibkr connectivity", "code", e.Code, "msg", e.Message)
		switch e.Code {
		case 1101:
			// Restored, market data lost: resubscribe. 1102 keeps it.
			c.wg.Add(1)
			go func() {
				defer c.wg.Done()
				c.restore(false)
			}()
		}
		return
	}
	if e.ReqID >= 0 {
		c.mu.Lock()
		r := c.reqs[e.ReqID]
		s := c.subs[e.ReqID]
		cr := c.cancels[e.ReqID]
		t := c.trades[e.ReqID]
		c.mu.Unlock()
		switch {
		case r != nil:
			c.requestError(r, e)
			return
		case s != nil:
			s.onError(e)
			return
		case cr != nil || t != nil:
			c.orderError(e, cr, t)
			return
		}
	}
	switch {
	case e.Code >= 2100 && e.Code <= 2199:
		c.log.Debug("ibkr farm status", "code", e.Code, "msg", e.Message)
		c.mu.Lock()
		name := farmName(e.Message)
		i := 0
		for ; i < len(c.farms); i++ {
			if farmName(c.farms[i].Message) == name {
				break
			}
		}
		if i == len(c.farms) {
			c.farms = append(c.farms, *e)
		} else {
			c.farms[i] = *e
		}
		c.mu.Unlock()
	case e.Code == 100:
		c.log.Warn("ibkr message rate exceeded", "msg", e.Message)
	case e.Class == Info:
		c.log.Debug("ibkr notice", "id", e.ReqID, "code", e.Code, "msg", e.Message)
	default:
		c.log.Warn("ibkr error", "id", e.ReqID, "code", e.Code, "msg", e.Message)
	}
}

// errClientIDInUseAPI is error 326 as a client-id-in-use failure.
type errClientIDInUseAPI struct{ e *APIError }

func (e errClientIDInUseAPI) Error() string { return e.e.Error() }
func (e errClientIDInUseAPI) Unwrap() []error {
	return []error{errClientIDInUse, e.e}
}

func (c *Client) requestError(r *request, e *APIError) {
	if e.Class == Info || e.Class == OrderNotice {
		if r.info != nil {
			r.info(e)
		}
		c.log.Debug("ibkr notice", "req", r.name, "id", e.ReqID, "code", e.Code, "msg", e.Message)
		return
	}
	if r.fail != nil {
		if handled, done := r.fail(e); handled {
			if done {
				c.unregister(r)
				r.finish(nil)
			}
			return
		}
	}
	c.unregister(r)
	r.finish(e)
}

func (c *Client) unregister(r *request) {
	c.mu.Lock()
	if c.reqs[r.id] == r {
		delete(c.reqs, r.id)
	}
	c.mu.Unlock()
}
