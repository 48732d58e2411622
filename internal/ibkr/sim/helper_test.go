package sim

import (
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// A raw protocol client for the tests, speaking the wire package directly.
type rawClient struct {
	t      *testing.T
	nc     net.Conn
	fr     *wire.FrameReader
	fields [][]byte

	version  int
	connTime string
}

// dialRaw connects and does the handshake, asking for versions lo..hi.
func dialRaw(t *testing.T, addr string, lo, hi int) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &rawClient{t: t, nc: nc, fr: wire.NewFrameReader(nc)}
	hello := wire.AppendFrame([]byte(wire.HelloPrefix), []byte("v"+strconv.Itoa(lo)+".."+strconv.Itoa(hi)))
	if _, err := nc.Write(hello); err != nil {
		t.Fatalf("write hello: %v", err)
	}
	f := c.frame()
	v, ct, ok := wire.ParseServerHello(f)
	if !ok {
		t.Fatalf("server hello: got %q", f)
	}
	c.version, c.connTime = v, ct
	return c
}

// connect dials, does the handshake at 178 and starts the API with a
// client id, reading the bootstrap through the last farm message.
func connect(t *testing.T, addr string, clientID int) *rawClient {
	t.Helper()
	c := dialRaw(t, addr, wire.ServerVersion, wire.ServerVersion)
	c.send(wire.StartAPI, map[string]string{"clientId": strconv.Itoa(clientID)})
	c.until(func(m wire.Msg) bool { return m.Layout == wire.ErrorMsg && m.Get("errorCode") == "2158" })
	return c
}

func (c *rawClient) send(l *wire.Layout, vals map[string]string) {
	c.t.Helper()
	c.sendGroups(l, vals, nil)
}

func (c *rawClient) sendGroups(l *wire.Layout, vals map[string]string, groups map[string][]map[string]string) {
	c.t.Helper()
	b, err := l.Encode(nil, wire.Msg{Values: vals, Groups: groups})
	if err != nil {
		c.t.Fatalf("encode %s: %v", l.Name, err)
	}
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write %s: %v", l.Name, err)
	}
}

// sendRaw sends a frame of the given fields, layouts aside.
func (c *rawClient) sendRaw(fields ...string) {
	c.t.Helper()
	var p []byte
	for _, f := range fields {
		p = append(append(p, f...), 0)
	}
	if _, err := c.nc.Write(wire.AppendFrame(nil, p)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *rawClient) frame() [][]byte {
	c.t.Helper()
	if err := c.nc.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		c.t.Fatal(err)
	}
	p, err := c.fr.Next()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	f, err := wire.Split(p, c.fields)
	if err != nil {
		c.t.Fatalf("split: %v", err)
	}
	c.fields = f
	return f
}

// next reads and decodes one message; it must be known and well formed.
func (c *rawClient) next() wire.Msg {
	c.t.Helper()
	f := c.frame()
	m, ok, err := wire.Decode(wire.Incoming, f)
	if !ok || err != nil {
		c.t.Fatalf("decode %q: known %v, err %v", f, ok, err)
	}
	return m
}

// until reads messages up to and including the first that pred accepts.
func (c *rawClient) until(pred func(wire.Msg) bool) []wire.Msg {
	c.t.Helper()
	var out []wire.Msg
	for range 100000 {
		m := c.next()
		out = append(out, m)
		if pred(m) {
			return out
		}
	}
	c.t.Fatal("until: too many messages")
	return nil
}

func (c *rawClient) untilMsg(l *wire.Layout) []wire.Msg {
	c.t.Helper()
	return c.until(func(m wire.Msg) bool { return m.Layout == l })
}

func (c *rawClient) untilError(code int) wire.Msg {
	c.t.Helper()
	ms := c.until(func(m wire.Msg) bool { return m.Layout == wire.ErrorMsg && m.Get("errorCode") == strconv.Itoa(code) })
	return ms[len(ms)-1]
}

// expectClosed reads until the server closes the connection.
func (c *rawClient) expectClosed() []wire.Msg {
	c.t.Helper()
	var out []wire.Msg
	if err := c.nc.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		c.t.Fatal(err)
	}
	for {
		p, err := c.fr.Next()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
			return out
		}
		var ne net.Error
		if errors.As(err, &ne) && !ne.Timeout() {
			return out // reset by peer
		}
		if err != nil {
			c.t.Fatalf("expected the server to close, got %v", err)
		}
		f, _ := wire.Split(p, nil)
		if m, ok, err := wire.Decode(wire.Incoming, f); ok && err == nil {
			out = append(out, m)
		}
	}
}

// quiet checks that nothing arrives for d.
func (c *rawClient) quiet(d time.Duration) {
	c.t.Helper()
	if err := c.nc.SetReadDeadline(time.Now().Add(d)); err != nil {
		c.t.Fatal(err)
	}
	p, err := c.fr.Next()
	if err == nil {
		f, _ := wire.Split(p, nil)
		c.t.Fatalf("expected silence, got %q", f)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		c.t.Fatalf("expected silence, got %v", err)
	}
	// A timed-out read may leave the frame reader mid-frame; start afresh.
	c.fr = wire.NewFrameReader(c.nc)
}

// fakeClock is a wall clock the tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2024, 1, 4, 14, 30, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func bar(date, o, h, l, c, v string) Bar {
	return Bar{Date: date, Open: dec(o), High: dec(h), Low: dec(l), Close: dec(c), Volume: dec(v)}
}

// testPrices: AAA over three days and BBB over two; AsOf is the last.
func testPrices() map[string][]Bar {
	return map[string][]Bar{
		"AAA": {
			bar("2024-01-02", "100", "102", "99", "101", "1000000"),
			bar("2024-01-03", "101", "103", "100", "102.5", "1200000"),
			bar("2024-01-04", "102", "105", "98", "104", "1500000"),
		},
		"BBB": {
			bar("2024-01-03", "50", "51", "49", "50.5", "300000"),
			bar("2024-01-04", "50.5", "52", "50", "51", "350000"),
		},
	}
}

// start runs a server on 127.0.0.1:0 with the test prices, a fake clock
// and a fast tick, and closes it when the test ends.
func start(t *testing.T, cfg Config) (*Server, string, *fakeClock) {
	t.Helper()
	clk := newClock()
	if cfg.Prices == nil {
		cfg.Prices = testPrices()
	}
	if cfg.Now == nil {
		cfg.Now = clk.Now
	}
	if cfg.TickInterval == 0 {
		cfg.TickInterval = 5 * time.Millisecond
	}
	cfg.Seed = 7
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	addr, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, addr, clk
}

func stock(sym string, vals map[string]string) map[string]string {
	vals["symbol"], vals["secType"], vals["exchange"], vals["currency"] = sym, "STK", "SMART", "USD"
	return vals
}

func errorCode(m wire.Msg) string {
	if m.Layout != wire.ErrorMsg {
		return ""
	}
	return m.Get("errorCode")
}
