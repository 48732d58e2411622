package ibkr

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

func testClient(t testing.TB, logs *bytes.Buffer) (*Client, *conn) {
	cfg := Config{}
	if logs != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	c := newClient(cfg.withDefaults(), realClock{})
	return c, &conn{ready: make(chan struct{}), dead: make(chan struct{}), clientID: 3}
}

func TestDispatchBootstrapAnyOrder(t *testing.T) {
	for _, order := range [][]*wire.Layout{{wire.NextValidID, wire.ManagedAccts}, {wire.ManagedAccts, wire.NextValidID}} {
		c, cn := testClient(t, nil)
		for _, l := range order {
			select {
			case <-cn.ready:
				t.Fatal("ready before both messages")
			default:
			}
			vals := map[string]string{"orderId": "77"}
			if l == wire.ManagedAccts {
				vals = map[string]string{"accountsList": "DU1,DU2"}
			}
			c.dispatch(cn, split(t, encIn(t, l, vals)))
		}
		select {
		case <-cn.ready:
		default:
			t.Fatal("not ready after both messages")
		}
		if cn.nextID != 77 || strings.Join(cn.accounts, ",") != "DU1,DU2" || c.seq != 77 {
			t.Errorf("nextID %d accounts %v seq %d", cn.nextID, cn.accounts, c.seq)
		}
	}
}

func TestDispatchSkipsUnknownAndMalformed(t *testing.T) {
	var logs bytes.Buffer
	c, cn := testClient(t, &logs)
	c.dispatch(cn, [][]byte{[]byte("999"), []byte("1"), []byte("x")})
	if !strings.Contains(logs.String(), "unknown message skipped") || !strings.Contains(logs.String(), "level=DEBUG") {
		t.Errorf("unknown id not logged at debug: %s", logs.String())
	}
	logs.Reset()
	c.dispatch(cn, [][]byte{[]byte("49"), []byte("1")}) // currentTime without its time
	c.dispatch(cn, [][]byte{[]byte("1"), []byte("6")})  // short tickPrice
	if !strings.Contains(logs.String(), "message skipped") {
		t.Errorf("malformed message not logged: %s", logs.String())
	}
}

func TestDispatchErrorsByClass(t *testing.T) {
	c, cn := testClient(t, nil)
	r := newRequest("contractDetails")
	r.id = 5
	r.handle = func(wire.Msg) bool { return false }
	infos := 0
	r.info = func(*APIError) { infos++ }
	c.reqs[5] = r
	errMsg := func(id, code, text string) [][]byte {
		return split(t, encIn(t, wire.ErrorMsg, map[string]string{"id": id, "errorCode": code, "errorString": text}))
	}
	c.dispatch(cn, errMsg("-1", "2104", "Market data farm connection is OK:usfarm"))
	c.dispatch(cn, errMsg("-1", "2104", "Market data farm connection is OK:usfarm"))
	c.dispatch(cn, errMsg("-1", "2106", "HMDS data farm connection is OK:ushmds"))
	if fs := c.FarmStatus(); len(fs) != 2 {
		t.Errorf("farm status %+v", fs)
	}
	c.dispatch(cn, errMsg("5", "10167", "Displaying delayed market data."))
	c.dispatch(cn, errMsg("5", "165", "Historical Market Data Service query message:HMDS server connection was successful"))
	select {
	case <-r.done:
		t.Fatal("an informational error ended the request")
	default:
	}
	if infos != 2 {
		t.Errorf("info callback ran %d times", infos)
	}
	c.dispatch(cn, errMsg("5", "200", "No security definition has been found for the request"))
	<-r.done
	var api *APIError
	if !errors.As(r.err, &api) || api.Code != 200 || api.ReqID != 5 || api.Class != RequestFailed {
		t.Errorf("request ended with %v", r.err)
	}
	if c.reqs[5] != nil {
		t.Error("finished request still registered")
	}
}

func TestTradeWaitAndUnknown(t *testing.T) {
	c, _ := testClient(t, nil)
	o, err := Order{Account: "DU1", Contract: Contract{Symbol: "VTI"}, Action: "BUY", Quantity: decimal.NewFromInt(4),
		Type: Market, OrderRef: "k"}.validate()
	if err != nil {
		t.Fatal(err)
	}
	tr := newTrade(c, 3, 10, o)
	c.trades[10], c.refs["k"] = tr, tr
	if tr.retryable() {
		t.Error("a trade in flight is retryable")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := tr.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait on a silent order = %v", err)
	}
	// The connection dropped before any answer; after the reconnect nothing
	// at the Gateway carries the ref.
	tr.inDoubt = true
	st, found := c.adopt(tr, "k", nil, nil)
	if found || st != nil {
		t.Fatal("found a trade in nothing")
	}
	got, err := tr.Wait(t.Context())
	if !errors.Is(err, ErrOrderUnknown) || got.Status != StatusUnknown || !tr.retryable() {
		t.Errorf("Wait = %+v, %v", got, err)
	}
	select {
	case <-tr.Done():
	default:
		t.Error("Done not closed")
	}

	// Executions only (the order filled and is no longer open).
	tr2 := newTrade(c, 3, 11, o)
	ex := []Execution{{ExecID: "e1", OrderID: 11, OrderRef: "k2", Side: "BOT", Shares: decimal.NewFromInt(1)},
		{ExecID: "e2", OrderID: 11, OrderRef: "k2", Side: "BOT", Shares: decimal.NewFromInt(3)},
		{ExecID: "e3", OrderID: 12, OrderRef: "other", Side: "SLD", Shares: decimal.NewFromInt(3)}}
	st, found = c.adopt(tr2, "k2", nil, ex)
	if !found || st.Status != StatusFilled || !st.Filled.Equal(decimal.NewFromInt(4)) || len(st.Executions) != 2 {
		t.Fatalf("adopt = %+v, %v", st, found)
	}
	if s := tr2.State(); s.Status != StatusFilled || len(s.Executions) != 2 || !s.Remaining.IsZero() {
		t.Errorf("trade after adopt = %+v", s)
	}
	// Wait for a status the order will never reach.
	if _, err := tr2.Wait(t.Context(), StatusCancelled); err == nil || !strings.Contains(err.Error(), "ended Filled") {
		t.Errorf("Wait(Cancelled) on a filled order = %v", err)
	}
}

func TestCommissionEitherOrder(t *testing.T) {
	c, cn := testClient(t, nil)
	o, _ := Order{Account: "DU1", Contract: Contract{Symbol: "VTI"}, Action: "BUY", Quantity: decimal.NewFromInt(2),
		Type: Market, OrderRef: "k"}.validate()
	tr := newTrade(c, 3, 10, o)
	c.trades[10] = tr
	exec := func(id string) [][]byte {
		return split(t, encIn(t, wire.ExecDetails, map[string]string{"reqId": "-1", "orderId": "10", "clientId": "3",
			"execId": id, "side": "BOT", "shares": "1", "price": "250.5", "time": "20260313 10:00:00 US/Eastern", "orderRef": "k"}))
	}
	comm := func(id, pnl string) [][]byte {
		return split(t, encIn(t, wire.CommissionReport, map[string]string{"execId": id, "commission": "1.00", "currency": "USD",
			"realizedPNL": pnl, "yield": "1.7976931348623157E308"}))
	}
	c.dispatch(cn, exec("a"))
	c.dispatch(cn, comm("a", "1.7976931348623157E308"))
	c.dispatch(cn, comm("b", "12.5"))
	c.dispatch(cn, exec("b"))
	ex := tr.State().Executions
	if len(ex) != 2 {
		t.Fatalf("executions %+v", ex)
	}
	for _, x := range ex {
		if x.Commission == nil || x.Commission.String() != "1" || x.CommissionCurrency != "USD" {
			t.Errorf("%s: commission %v", x.ExecID, x.Commission)
		}
	}
	if ex[0].RealizedPNL != nil || ex[1].RealizedPNL == nil || ex[1].RealizedPNL.String() != "12.5" {
		t.Errorf("realized P&L: %v, %v", ex[0].RealizedPNL, ex[1].RealizedPNL)
	}
}

// BenchmarkDispatchTickPrice is the reader's whole path for a tick on a
// stream: frame, split, decode, route to the subscription, fold into its
// quote and deliver on its channel (drained by a consumer).
func BenchmarkDispatchTickPrice(b *testing.B) {
	c, cn := testClient(b, nil)
	s := &Subscription{c: c, contract: Contract{Symbol: "VTI"}, ch: make(chan Tick, tickBuffer), reqID: 1001}
	c.subs[1001] = s
	done := make(chan struct{})
	go func() {
		for range s.ch {
		}
		close(done)
	}()
	var stream []byte
	for i := range 4096 {
		stream = append(stream, encIn(b, wire.TickPrice, map[string]string{"reqId": "1001", "tickType": []string{"1", "2", "4"}[i%3],
			"price": decimal.New(25137+int64(i%50), -2).String(), "size": "100", "attrMask": "0"})...)
	}
	rd := bytes.NewReader(stream)
	fr := wire.NewFrameReader(rd)
	var fields [][]byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		payload, err := fr.Next()
		if err != nil {
			rd.Reset(stream)
			payload, _ = fr.Next()
		}
		fields, _ = wire.Split(payload, fields)
		c.dispatch(cn, fields)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	s.end(nil)
	<-done
}

// FuzzDispatch feeds arbitrary payloads to the reader's dispatch, with a
// request, a stream and a trade registered: nothing may panic.
func FuzzDispatch(f *testing.F) {
	for _, l := range []*wire.Layout{wire.TickPrice, wire.TickSize, wire.ErrorMsg, wire.OrderStatus, wire.ExecDetails,
		wire.CommissionReport, wire.HistoricalData, wire.ContractData, wire.OpenOrder, wire.Position, wire.ManagedAccts} {
		b, err := l.Encode(nil, wire.Msg{Values: map[string]string{}})
		if err == nil {
			f.Add(b[4:])
		}
	}
	f.Add([]byte("17\x001\x00\x00\x002\x0020260313\x001\x002\x000.5\x001\x001\x001\x001\x00x\x00"))
	f.Add([]byte("4\x002\x001\x00326\x00in use\x00\x00"))
	f.Fuzz(func(t *testing.T, payload []byte) {
		fields, err := wire.Split(payload, nil)
		if err != nil {
			return
		}
		c, cn := testClient(t, nil)
		cn.nc = nopConn{}
		r := newRequest("x")
		r.id = 1
		r.handle = func(m wire.Msg) bool { return m.Layout == wire.HistoricalData }
		r.tick = func(int, wire.Number, wire.Number) {}
		c.reqs[1] = r
		s := &Subscription{c: c, ch: make(chan Tick, 1)}
		c.subs[2] = s
		o, _ := Order{Account: "DU1", Contract: Contract{Symbol: "X"}, Action: "BUY", Quantity: decimal.NewFromInt(1), Type: Market, OrderRef: "k"}.validate()
		c.trades[0] = newTrade(c, 0, 0, o)
		c.dispatch(cn, fields)
		c.wg.Wait()
	})
}

// nopConn stands in for a socket the fuzzed 326 closes.
type nopConn struct{ net.Conn }

func (nopConn) Close() error { return nil }

func TestNotConnected(t *testing.T) {
	c, cn := testClient(t, nil)
	c.subs[2] = &Subscription{c: c, ch: make(chan Tick, 1), contract: Contract{Symbol: "X"}}
	// 1101 resubscribes on a client with no connection: an error, no panic.
	c.dispatch(cn, split(t, encIn(t, wire.ErrorMsg, map[string]string{"id": "-1", "errorCode": "1101", "errorString": "restored"})))
	c.wg.Wait()
	if _, err := c.Positions(t.Context()); !errors.Is(err, ErrUnreachable) {
		t.Errorf("Positions without a connection = %v", err)
	}
}

// TestRequestOnDroppedConn: a connection that drops between current() and
// the request's registration fails the request at once as unreachable,
// not at its deadline.
func TestRequestOnDroppedConn(t *testing.T) {
	c, cn := testClient(t, nil)
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := b.Read(buf); err != nil {
				return
			}
		}
	}()
	cn.nc, cn.addr = a, "127.0.0.1:4002"
	c.conn = cn
	// The reader has marked it dropped; onDrop has not yet cleared c.conn.
	cn.dropped = true
	cn.dropErr = &StepError{Step: "connection", Addr: cn.addr, Err: errors.New("closed by the Gateway")}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.Positions(ctx)
	if !errors.Is(err, ErrUnreachable) || time.Since(start) > time.Second {
		t.Errorf("Positions on a dropped connection = %v after %v", err, time.Since(start))
	}
	start = time.Now()
	if err := c.CancelOrder(ctx, 5); !errors.Is(err, ErrUnreachable) || time.Since(start) > time.Second {
		t.Errorf("CancelOrder on a dropped connection = %v after %v", err, time.Since(start))
	}
}
