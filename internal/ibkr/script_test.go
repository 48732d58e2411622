package ibkr_test

import (
	"net"
	"sync"
	"testing"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// script is a hand-written Gateway for cases the simulator does not
// produce: it shakes hands, bootstraps one account, then hands every
// request to answer, which replies with send.
type script struct {
	t    *testing.T
	mu   sync.Mutex
	seen []*wire.Layout // requests received, in order
}

// scriptedGateway listens on loopback; answer runs on the connection's
// goroutine for each request after startApi.
func scriptedGateway(t *testing.T, answer func(send func(*wire.Layout, map[string]string), m wire.Msg)) (string, *script) {
	sc := &script{t: t}
	addr := listen(t, func(_ int, nc net.Conn) {
		if !readHello(t, nc) {
			return
		}
		nc.Write(wire.ServerHello(wire.ServerVersion, "20260313 09:30:00 US/Eastern"))
		send := func(l *wire.Layout, vals map[string]string) {
			b, err := l.Encode(nil, wire.Msg{Values: vals})
			if err != nil {
				t.Errorf("script: encode %s: %v", l.Name, err)
				return
			}
			nc.Write(b)
		}
		fr := wire.NewFrameReader(nc)
		var fields [][]byte
		for {
			payload, err := fr.Next()
			if err != nil {
				return
			}
			if fields, err = wire.Split(payload, fields); err != nil {
				t.Errorf("script: %v", err)
				return
			}
			m, ok, err := wire.Decode(wire.Outgoing, fields)
			if !ok || err != nil {
				t.Errorf("script: message %s: %v", fields[0], err)
				continue
			}
			sc.mu.Lock()
			sc.seen = append(sc.seen, m.Layout)
			sc.mu.Unlock()
			if m.Layout == wire.StartAPI {
				send(wire.ManagedAccts, map[string]string{"accountsList": acct})
				send(wire.NextValidID, map[string]string{"orderId": "1"})
				continue
			}
			answer(send, m)
		}
	})
	return addr, sc
}

// received says whether a request with layout l arrived.
func (sc *script) received(l *wire.Layout) bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, x := range sc.seen {
		if x == l {
			return true
		}
	}
	return false
}

// execDetails is one execution of VTI as the Gateway reports it.
func execDetails(reqID, execID, when, shares, price string) map[string]string {
	return map[string]string{"reqId": reqID, "orderId": "5", "conId": "1", "symbol": "VTI", "secType": "STK",
		"exchange": "SMART", "currency": "USD", "execId": execID, "time": when, "acctNumber": acct, "execExchange": "ARCA",
		"side": "BOT", "shares": shares, "price": price, "permId": "77", "clientId": "11", "cumQty": shares,
		"avgPrice": price, "orderRef": "r1"}
}
