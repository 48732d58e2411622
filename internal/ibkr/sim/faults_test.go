package sim

import (
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

func runtimeGoroutines() int { return runtime.NumGoroutine() }

func TestParseFault(t *testing.T) {
	for _, s := range []string{"disconnect-after=3", "split-frames", "delay=250ms", "rate-limit", "pacing", "connectivity=1101",
		"unknown-symbol=aapl", "delayed", "delayed=deny", "client-id-in-use=0"} {
		f, err := ParseFault(s)
		if err != nil {
			t.Errorf("ParseFault(%q): %v", s, err)
			continue
		}
		if s == "unknown-symbol=aapl" && f.Arg != "AAPL" {
			t.Errorf("unknown-symbol arg = %q", f.Arg)
		}
	}
	for _, s := range []string{"nope", "delay=soon", "connectivity=1200", "disconnect-after=x", "split-frames=1", "delayed=maybe", "unknown-symbol"} {
		if _, err := ParseFault(s); err == nil {
			t.Errorf("ParseFault(%q) succeeded", s)
		}
	}
	_, err := ParseFault("nope")
	for _, n := range FaultNames() {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("error %q does not list %s", err, n)
		}
	}
	if len(FaultNames()) != 10 {
		t.Errorf("FaultNames = %v", FaultNames())
	}
	if _, err := New(Config{Faults: []Fault{{Name: "delay", Arg: "x"}}}); err == nil {
		t.Error("New accepted a bad fault")
	}
}

func TestFaultDisconnectAfter(t *testing.T) {
	_, addr, _ := start(t, Config{Faults: []Fault{{Name: FaultDisconnectAfter, Arg: "1"}}})
	c := dialRaw(t, addr, 178, 178)
	c.send(wire.StartAPI, map[string]string{"clientId": "1"})
	ms := c.expectClosed()
	if got := names(ms); len(got) != 1 || got[0] != "managedAccounts" {
		t.Errorf("got %v before the drop, want managedAccounts only (nextValidId never comes)", got)
	}
}

func TestFaultSplitFrames(t *testing.T) {
	s, addr, _ := start(t, Config{Faults: []Fault{{Name: FaultSplitFrames}}})
	// Count the reads it takes to get the hello: more than one when split.
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write(wire.Hello()); err != nil {
		t.Fatal(err)
	}
	reads, total := 0, 0
	buf := make([]byte, 64)
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	want := len(wire.ServerHello(178, "20240104 14:30:00 UTC"))
	for total < want {
		n, err := nc.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		reads++
		total += n
	}
	if reads < 2 {
		t.Errorf("hello arrived in %d read(s)", reads)
	}
	// The protocol still works end to end through split frames.
	c := connect(t, addr, 1)
	c.send(wire.ReqHistoricalData, history("AAA", "1", "", "1 min", "1 D", 1))
	if bars := c.next().Groups["bars"]; len(bars) != 390 {
		t.Errorf("%d bars through split frames", len(bars))
	}
	// Switched off at runtime.
	s.SetFaults()
	c.send(wire.ReqCurrentTime, nil)
	c.untilMsg(wire.CurrentTime)
}

func TestFaultDelay(t *testing.T) {
	s, addr, _ := start(t, Config{})
	c := connect(t, addr, 1)
	s.SetFaults(Fault{Name: FaultDelay, Arg: "150ms"})
	began := time.Now()
	c.send(wire.ReqCurrentTime, nil)
	c.untilMsg(wire.CurrentTime)
	if d := time.Since(began); d < 150*time.Millisecond {
		t.Errorf("reply after %v, want ≥150ms", d)
	}
}

func TestFaultRateLimit(t *testing.T) {
	_, addr, clk := start(t, Config{Faults: []Fault{{Name: FaultRateLimit}}})
	c := connect(t, addr, 1)
	for range 50 {
		c.send(wire.ReqCurrentTime, nil)
	}
	c.send(wire.ReqCurrentTime, nil) // the 51st within the second
	ms := c.until(func(m wire.Msg) bool { return errorCode(m) == "100" })
	if got := ms[len(ms)-1].Get("errorString"); !strings.HasPrefix(got, "Max rate of messages per second has been exceeded") {
		t.Errorf("text = %q", got)
	}
	// The connection stays up after the first violation...
	clk.Advance(2 * time.Second)
	c.send(wire.ReqCurrentTime, nil)
	c.until(func(m wire.Msg) bool {
		return m.Layout == wire.CurrentTime && len(ms) > 0 && m.Get("time") != ms[0].Get("time")
	})
	// ...and is dropped on the second.
	for range 51 {
		c.send(wire.ReqCurrentTime, nil)
	}
	rest := c.expectClosed()
	if errorCode(rest[len(rest)-1]) != "100" {
		t.Errorf("last before the drop: %v", names(rest[len(rest)-1:]))
	}
}

func TestFaultPacing(t *testing.T) {
	_, addr, clk := start(t, Config{Faults: []Fault{{Name: FaultPacing}}})
	c := connect(t, addr, 1)
	req := func(id, sym, dur string) wire.Msg {
		c.send(wire.ReqHistoricalData, history(sym, id, "", "1 day", dur, 1))
		return c.next()
	}
	// Identical within 15 s.
	if m := req("1", "AAA", "1 W"); m.Layout != wire.HistoricalData {
		t.Fatalf("first: %v", m.Values)
	}
	m := req("2", "AAA", "1 W")
	if errorCode(m) != "162" || !strings.Contains(m.Get("errorString"), "pacing violation") || m.Get("id") != "2" {
		t.Errorf("identical: %v", m.Values)
	}
	clk.Advance(16 * time.Second)
	if m := req("3", "AAA", "1 W"); m.Layout != wire.HistoricalData {
		t.Errorf("after 15 s: %v", m.Values)
	}
	// Six for one contract within 2 s.
	clk.Advance(3 * time.Second)
	for i, dur := range []string{"1 D", "2 D", "3 D", "4 D", "5 D"} {
		if m := req("1"+dur[:1], "BBB", dur); m.Layout != wire.HistoricalData {
			t.Errorf("request %d for BBB: %v", i+1, m.Values)
		}
	}
	if m := req("16", "BBB", "6 D"); errorCode(m) != "162" {
		t.Errorf("sixth in 2 s: %v", m.Values)
	}
	// 60 in ten minutes: for bars of 30 s or less only.
	for i := range 70 { // daily bars: no limit
		clk.Advance(2 * time.Second)
		if m := req("100", "AAA", strconv.Itoa(i+1)+" D"); m.Layout != wire.HistoricalData {
			t.Fatalf("daily request %d: %v", i+1, m.Values)
		}
	}
	small := func(id, sym string, secs int) wire.Msg {
		c.send(wire.ReqHistoricalData, history(sym, id, "", "30 secs", strconv.Itoa(secs)+" S", 1))
		return c.next()
	}
	for i := range 60 {
		clk.Advance(2 * time.Second)
		m := small("300", "AAA", 60*(i+1))
		if m.Layout != wire.HistoricalData || len(m.Groups["bars"]) != 2*(i+1) {
			t.Fatalf("30-second bars, request %d: %v, %d bars", i+1, m.Values, len(m.Groups["bars"]))
		}
	}
	clk.Advance(2 * time.Second)
	if m := small("301", "BBB", 60); errorCode(m) != "162" {
		t.Errorf("61st request for 30-second bars in 10 min: %v", m.Values)
	}
	if m := req("302", "BBB", "9 W"); m.Layout != wire.HistoricalData {
		t.Errorf("daily bars meanwhile: %v", m.Values)
	}
	clk.Advance(10 * time.Minute)
	if m := small("303", "BBB", 60); m.Layout != wire.HistoricalData {
		t.Errorf("ten minutes later: %v", m.Values)
	}
}

func TestFaultConnectivity(t *testing.T) {
	s, addr, clk := start(t, Config{Faults: []Fault{{Name: FaultConnectivity, Arg: "1100"}}})
	c := dialRaw(t, addr, 178, 178)
	c.send(wire.StartAPI, map[string]string{"clientId": "1"})
	ms := c.until(func(m wire.Msg) bool { return errorCode(m) == "1100" })
	if got := names(ms); got[len(got)-2] != "error:2158" {
		t.Errorf("1100 not right after the bootstrap: %v", got)
	}
	// While connectivity is lost, streams pause; 1101 restores and drops them.
	c.send(wire.ReqMktData, stock("AAA", map[string]string{"reqId": "1"}))
	c.until(func(m wire.Msg) bool { return m.Layout == wire.TickString && m.Get("tickType") == "45" })
	clk.Advance(time.Hour)
	c.quiet(50 * time.Millisecond)
	s.Broadcast(1101, "")
	m := c.next()
	if errorCode(m) != "1101" || m.Get("id") != "-1" || !strings.Contains(m.Get("errorString"), "data lost") {
		t.Errorf("broadcast: %v", m.Values)
	}
	clk.Advance(time.Hour)
	c.quiet(50 * time.Millisecond)
	s.Broadcast(1102, "custom text")
	if m := c.next(); m.Get("errorString") != "custom text" {
		t.Errorf("broadcast text: %v", m.Values)
	}
}

func TestFaultUnknownSymbol(t *testing.T) {
	_, addr, _ := start(t, Config{Faults: []Fault{{Name: FaultUnknownSymbol, Arg: "bbb"}}})
	c := connect(t, addr, 1)
	c.send(wire.ReqContractDetails, stock("BBB", map[string]string{"reqId": "1"}))
	if m := c.next(); errorCode(m) != "200" {
		t.Errorf("BBB: %v", m.Values)
	}
	c.send(wire.ReqContractDetails, stock("AAA", map[string]string{"reqId": "2"}))
	if m := c.next(); m.Layout != wire.ContractData {
		t.Errorf("AAA: %v", m.Values)
	}
}

func TestFaultDelayed(t *testing.T) {
	s, addr, _ := start(t, Config{Faults: []Fault{{Name: FaultDelayed}}})
	c := connect(t, addr, 1)
	c.send(wire.ReqMktData, stock("AAA", map[string]string{"reqId": "1", "snapshot": "1"}))
	ms := c.untilMsg(wire.TickSnapshotEnd)
	if errorCode(ms[0]) != "10167" || ms[0].Get("id") != "1" {
		t.Errorf("first = %v", ms[0].Values)
	}
	if ms[2].Layout != wire.MarketDataType || ms[2].Get("marketDataType") != "3" {
		t.Errorf("market data type = %v", ms[2].Values)
	}
	if got := tickMap(ms); got["p68"] == "" || got["p4"] != "" {
		t.Errorf("ticks = %v", got)
	}

	s.SetFaults(Fault{Name: FaultDelayed, Arg: "deny"})
	c.send(wire.ReqMktData, stock("AAA", map[string]string{"reqId": "2", "snapshot": "1"}))
	if m := c.next(); errorCode(m) != "354" {
		t.Errorf("deny live: %v", m.Values)
	}
	c.send(wire.ReqMarketDataType, map[string]string{"marketDataType": "4"})
	c.send(wire.ReqMktData, stock("AAA", map[string]string{"reqId": "3", "snapshot": "1"}))
	if m := c.next(); errorCode(m) != "10168" {
		t.Errorf("deny delayed: %v", m.Values)
	}
	c.quiet(30 * time.Millisecond)
}

func TestFaultClientIDInUse(t *testing.T) {
	_, addr, _ := start(t, Config{Faults: []Fault{{Name: FaultClientIDInUse, Arg: "0"}}})
	c := dialRaw(t, addr, 178, 178)
	c.send(wire.StartAPI, map[string]string{"clientId": "0"})
	if ms := c.expectClosed(); len(ms) != 1 || errorCode(ms[0]) != "326" {
		t.Errorf("got %v", names(ms))
	}
	connect(t, addr, 1)
}

func TestDropConnections(t *testing.T) {
	s, addr, _ := start(t, Config{})
	c := connect(t, addr, 1)
	s.DropConnections()
	c.expectClosed()
	// Still listening, and the client id is free again.
	waitFor(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return len(s.clients) == 0 })
	c = connect(t, addr, 1)
	c.send(wire.ReqCurrentTime, nil)
	c.untilMsg(wire.CurrentTime)
	if s.Addr() != addr {
		t.Errorf("Addr = %q, want %q", s.Addr(), addr)
	}
}

func TestFaultDisconnectAfterHandshake(t *testing.T) {
	_, addr, _ := start(t, Config{Faults: []Fault{{Name: FaultDisconnectAfter, Arg: "0"}}})
	c := dialRaw(t, addr, 100, 178)
	if ms := c.expectClosed(); len(ms) != 0 {
		t.Errorf("got %v after the handshake", names(ms))
	}
}

func TestServeReturnsNilAfterClose(t *testing.T) {
	s, err := New(Config{Prices: testPrices()})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	waitFor(t, func() bool { return s.Addr() != "" })
	// Connect options after the range are accepted.
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Write(wire.AppendFrame([]byte(wire.HelloPrefix), []byte("v100..178 +PACEAPI")))
	fr := wire.NewFrameReader(nc)
	p, err := fr.Next()
	if err != nil || !strings.HasPrefix(string(p), "178\x00") {
		t.Fatalf("hello with options: %q, %v", p, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil after Close", err)
	}
}
