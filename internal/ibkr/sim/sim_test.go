package sim

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

func names(ms []wire.Msg) []string {
	var out []string
	for _, m := range ms {
		n := m.Layout.Name
		if m.Layout == wire.ErrorMsg {
			n += ":" + m.Get("errorCode")
		}
		out = append(out, n)
	}
	return out
}

func TestHandshakeAndBootstrap(t *testing.T) {
	_, addr, _ := start(t, Config{Accounts: []Account{{ID: "DU111", Cash: dec("10")}, {ID: "DU222"}}})
	c := dialRaw(t, addr, 100, 178)
	if c.version != 178 {
		t.Errorf("version = %d, want 178", c.version)
	}
	if !regexp.MustCompile(`^\d{8} \d\d:\d\d:\d\d UTC$`).MatchString(c.connTime) || c.connTime != "20240104 14:30:00 UTC" {
		t.Errorf("connection time = %q", c.connTime)
	}
	c.send(wire.StartAPI, map[string]string{"clientId": "3"})
	ms := c.until(func(m wire.Msg) bool { return errorCode(m) == "2158" })
	want := []string{"managedAccounts", "nextValidId", "error:2104", "error:2106", "error:2158"}
	if got := names(ms); !slices.Equal(got, want) {
		t.Fatalf("bootstrap = %v, want %v", got, want)
	}
	if got := ms[0].Get("accountsList"); got != "DU111,DU222" {
		t.Errorf("accounts = %q", got)
	}
	if got := ms[1].Get("orderId"); got != "1" {
		t.Errorf("nextValidId = %q", got)
	}
	for _, m := range ms[2:] {
		if m.Get("id") != "-1" {
			t.Errorf("farm message id = %s, want -1", m.Get("id"))
		}
	}
	if got := ms[4].Get("errorString"); got != "Sec-def data farm connection is OK:secdefnj" {
		t.Errorf("2158 text = %q", got)
	}
	c.send(wire.ReqCurrentTime, nil)
	if m := c.next(); m.Layout != wire.CurrentTime || m.Get("time") != "1704378600" {
		t.Errorf("currentTime = %v", m.Values)
	}
	c.send(wire.ReqIDs, map[string]string{"numIds": "1"})
	if m := c.next(); m.Layout != wire.NextValidID {
		t.Errorf("reqIds answered %s", m.Layout.Name)
	}
	c.send(wire.ReqManagedAccts, nil)
	if m := c.next(); m.Get("accountsList") != "DU111,DU222" {
		t.Errorf("reqManagedAccts answered %v", m.Values)
	}
}

func TestVersionMismatch(t *testing.T) {
	_, addr, _ := start(t, Config{ServerVersion: 176})
	c := dialRaw(t, addr, 178, 178)
	if c.version != 176 {
		t.Errorf("answered version %d, want 176 (answered anyway)", c.version)
	}
	c.expectClosed()

	// A range that holds the version is served.
	c = dialRaw(t, addr, 100, 187)
	if c.version != 176 {
		t.Fatalf("version = %d", c.version)
	}
	c.send(wire.StartAPI, map[string]string{"clientId": "1"})
	if m := c.next(); m.Layout != wire.ManagedAccts {
		t.Errorf("first message = %s", m.Layout.Name)
	}
}

func TestStartAPIFirst(t *testing.T) {
	_, addr, _ := start(t, Config{})
	c := dialRaw(t, addr, 178, 178)
	c.send(wire.ReqIDs, map[string]string{"numIds": "1"})
	ms := c.expectClosed()
	if len(ms) != 1 || errorCode(ms[0]) != "320" {
		t.Fatalf("before startApi: got %v, want one error 320 then close", names(ms))
	}
}

func TestClientIDInUse(t *testing.T) {
	s, addr, _ := start(t, Config{})
	first := connect(t, addr, 5)
	second := dialRaw(t, addr, 178, 178)
	second.send(wire.StartAPI, map[string]string{"clientId": "5"})
	ms := second.expectClosed()
	if len(ms) != 1 || errorCode(ms[0]) != "326" || ms[0].Get("id") != "-1" ||
		ms[0].Get("errorString") != "Unable to connect as the client id is already in use. Retry with a unique client id." {
		t.Fatalf("duplicate client id: got %v", ms)
	}
	// The first connection is untouched, and another id is welcome.
	first.send(wire.ReqCurrentTime, nil)
	if m := first.next(); m.Layout != wire.CurrentTime {
		t.Errorf("first connection answered %s", m.Layout.Name)
	}
	connect(t, addr, 6)

	// Once the holder leaves, the id is free again.
	first.nc.Close()
	waitFor(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.clients[5] == nil })
	connect(t, addr, 5)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestStrictDecoding(t *testing.T) {
	_, addr, _ := start(t, Config{})
	c := connect(t, addr, 1)

	// One field too many.
	c.sendRaw("8", "1", "1", "extra")
	m := c.next()
	if errorCode(m) != "320" || !strings.HasPrefix(m.Get("errorString"), "Error reading request. Message id 8. ") {
		t.Errorf("extra field: got %v", m.Values)
	}
	// A field of the wrong kind carries the request id back.
	c.sendRaw("62", "1", "42", "All")
	m = c.next()
	if errorCode(m) != "320" || m.Get("id") != "42" {
		t.Errorf("missing field: got %v", m.Values)
	}
	c.sendRaw("1", "11", "9", "x")
	m = c.next()
	if errorCode(m) != "320" || m.Get("id") != "9" {
		t.Errorf("short reqMktData: got %v", m.Values)
	}
	c.sendRaw("49", "1", "")
	if m := c.next(); errorCode(m) != "320" {
		t.Errorf("bad reqCurrentTime: %v", m.Values)
	}
	c.sendRaw("999", "1")
	m = c.next()
	if errorCode(m) != "320" || !strings.Contains(m.Get("errorString"), "Message id 999") {
		t.Errorf("unknown id: got %v", m.Values)
	}
	c.sendRaw("61", "2") // wrong version
	if m := c.next(); errorCode(m) != "320" {
		t.Errorf("wrong version: %v", m.Values)
	}
	// The connection is still up.
	c.send(wire.ReqCurrentTime, nil)
	if m := c.next(); m.Layout != wire.CurrentTime {
		t.Errorf("after errors: %s", m.Layout.Name)
	}
}

func TestPositionsAndAccountSummary(t *testing.T) {
	_, addr, _ := start(t, Config{Accounts: []Account{
		{ID: "DU1", Cash: dec("1000"), Positions: []Position{{Symbol: "AAA", Quantity: dec("10"), AvgCost: dec("90")}, {Symbol: "BBB", Quantity: dec("-4"), AvgCost: dec("55")}}},
		{ID: "DU2", Cash: dec("5")},
	}})
	c := connect(t, addr, 1)
	c.send(wire.ReqPositions, nil)
	ms := c.untilMsg(wire.PositionEnd)
	if len(ms) != 3 {
		t.Fatalf("positions: %v", names(ms))
	}
	p := ms[0]
	if p.Get("account") != "DU1" || p.Get("symbol") != "AAA" || p.Get("position") != "10" || p.Get("avgCost") != "90" ||
		p.Get("secType") != "STK" || p.Get("currency") != "USD" || p.Get("conId") != strconv.FormatInt(conID("AAA"), 10) {
		t.Errorf("position = %v", p.Values)
	}
	if ms[1].Get("symbol") != "BBB" || ms[1].Get("position") != "-4" {
		t.Errorf("second position = %v", ms[1].Values)
	}

	c.send(wire.ReqAccountSummary, map[string]string{"reqId": "7", "group": "All", "tags": "NetLiquidation,TotalCashValue,BuyingPower,GrossPositionValue,AvailableFunds,SettledCash,AccountType"})
	ms = c.untilMsg(wire.AccountSummaryEnd)
	got := map[string]string{}
	for _, m := range ms[:len(ms)-1] {
		if m.Get("reqId") != "7" {
			t.Errorf("reqId = %s", m.Get("reqId"))
		}
		got[m.Get("account")+" "+m.Get("tag")] = m.Get("value") + " " + m.Get("currency")
	}
	// At 09:30 the prices are the opens: AAA 102, BBB 50.5.
	want := map[string]string{
		"DU1 NetLiquidation":     "1818.00 USD", // 1000 + 10×102 − 4×50.5
		"DU1 TotalCashValue":     "1000.00 USD",
		"DU1 SettledCash":        "1000.00 USD",
		"DU1 BuyingPower":        "1000.00 USD",
		"DU1 AvailableFunds":     "1000.00 USD",
		"DU1 GrossPositionValue": "1222.00 USD",
		"DU1 AccountType":        "INDIVIDUAL ",
		"DU2 NetLiquidation":     "5.00 USD",
		"DU2 TotalCashValue":     "5.00 USD",
		"DU2 SettledCash":        "5.00 USD",
		"DU2 BuyingPower":        "5.00 USD",
		"DU2 AvailableFunds":     "5.00 USD",
		"DU2 GrossPositionValue": "0.00 USD",
		"DU2 AccountType":        "INDIVIDUAL ",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d values, want %d: %v", len(got), len(want), got)
	}
	// The same id again while it is active is a duplicate; cancelled, it is free.
	c.send(wire.ReqAccountSummary, map[string]string{"reqId": "7", "group": "All", "tags": "NetLiquidation"})
	if m := c.next(); errorCode(m) != "322" {
		t.Errorf("duplicate summary: %v", m.Values)
	}
	c.send(wire.CancelAccountSummary, map[string]string{"reqId": "7"})
	c.send(wire.ReqAccountSummary, map[string]string{"reqId": "7", "group": "All", "tags": "NetLiquidation"})
	if ms := c.untilMsg(wire.AccountSummaryEnd); len(ms) != 3 {
		t.Errorf("after cancel: %v", names(ms))
	}
}

func tickMap(ms []wire.Msg) map[string]string {
	got := map[string]string{}
	for _, m := range ms {
		switch m.Layout {
		case wire.TickPrice:
			got["p"+m.Get("tickType")] = m.Get("price")
		case wire.TickSize:
			got["s"+m.Get("tickType")] = m.Get("size")
		}
	}
	return got
}

func TestSnapshot(t *testing.T) {
	_, addr, _ := start(t, Config{})
	c := connect(t, addr, 1)
	c.send(wire.ReqMktData, stock("AAA", map[string]string{"reqId": "11", "snapshot": "1"}))
	ms := c.untilMsg(wire.TickSnapshotEnd)
	if ms[0].Layout != wire.TickReqParams || ms[1].Layout != wire.MarketDataType || ms[1].Get("marketDataType") != "1" {
		t.Fatalf("snapshot starts %v", names(ms[:2]))
	}
	got := tickMap(ms)
	want := map[string]string{"p1": "101.99", "p2": "102.01", "p4": "102", "p9": "102.5", "p14": "102"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("tick %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	for _, k := range []string{"s0", "s3", "s5"} {
		if got[k] == "" {
			t.Errorf("no size tick %s", k)
		}
	}
	if ms[len(ms)-1].Get("reqId") != "11" {
		t.Errorf("snapshot end for %s", ms[len(ms)-1].Get("reqId"))
	}

	// Delayed: types 66–76 and the type echoed.
	c.send(wire.ReqMarketDataType, map[string]string{"marketDataType": "3"})
	c.send(wire.ReqMktData, stock("AAA", map[string]string{"reqId": "12", "snapshot": "1"}))
	ms = c.untilMsg(wire.TickSnapshotEnd)
	if ms[1].Get("marketDataType") != "3" {
		t.Errorf("delayed marketDataType = %s", ms[1].Get("marketDataType"))
	}
	got = tickMap(ms)
	for _, k := range []string{"p66", "p67", "p68", "p75", "s69", "s70", "s71"} {
		if got[k] == "" {
			t.Errorf("no delayed tick %s in %v", k, got)
		}
	}
	if got["p1"] != "" || got["p4"] != "" {
		t.Errorf("live ticks in delayed data: %v", got)
	}

	c.send(wire.ReqMktData, stock("ZZZ", map[string]string{"reqId": "13", "snapshot": "1"}))
	if m := c.next(); errorCode(m) != "200" || m.Get("id") != "13" || m.Get("errorString") != noSecDef {
		t.Errorf("unknown symbol: %v", m.Values)
	}
}

func TestStreaming(t *testing.T) {
	_, addr, clk := start(t, Config{})
	c := connect(t, addr, 1)
	c.send(wire.ReqMktData, stock("AAA", map[string]string{"reqId": "3"}))
	ms := c.until(func(m wire.Msg) bool { return m.Layout == wire.TickPrice && m.Get("tickType") == "14" })
	if got := tickMap(ms)["p4"]; got != "102" {
		t.Errorf("first last = %s", got)
	}
	// The same subscription again is a duplicate ticker id.
	c.send(wire.ReqMktData, stock("AAA", map[string]string{"reqId": "3"}))
	c.untilError(322)
	// An hour on, the price has moved along the path.
	clk.Advance(time.Hour)
	ms = c.until(func(m wire.Msg) bool { return m.Layout == wire.TickPrice && m.Get("tickType") == "4" })
	if m := ms[len(ms)-1]; m.Get("reqId") != "3" || m.Get("price") == "102" {
		t.Errorf("streamed last = %v", m.Values)
	}
	c.send(wire.CancelMktData, map[string]string{"reqId": "3"})
	c.send(wire.ReqCurrentTime, nil)
	c.untilMsg(wire.CurrentTime)
	clk.Advance(time.Hour)
	c.quiet(50 * time.Millisecond)
	c.send(wire.CancelMktData, map[string]string{"reqId": "3"})
	if m := c.next(); errorCode(m) != "300" {
		t.Errorf("cancel of a cancelled ticker: %v", m.Values)
	}
}

func TestContractDetails(t *testing.T) {
	_, addr, _ := start(t, Config{})
	c := connect(t, addr, 1)
	c.send(wire.ReqContractDetails, stock("AAA", map[string]string{"reqId": "4"}))
	ms := c.untilMsg(wire.ContractDataEnd)
	if len(ms) != 2 {
		t.Fatalf("got %v", names(ms))
	}
	d := ms[0]
	for k, v := range map[string]string{
		"reqId": "4", "symbol": "AAA", "secType": "STK", "currency": "USD", "conId": strconv.FormatInt(conID("AAA"), 10),
		"minTick": "0.01", "primaryExchange": "NYSE", "timeZoneId": "US/Eastern", "longName": "AAA (SIMULATED)", "stockType": "COMMON",
	} {
		if d.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, d.Get(k), v)
		}
	}
	if !strings.HasPrefix(d.Get("tradingHours"), "20240104:0930-20240104:1600;") {
		t.Errorf("tradingHours = %q", d.Get("tradingHours"))
	}
	// By conId alone.
	c.send(wire.ReqContractDetails, map[string]string{"reqId": "5", "conId": d.Get("conId")})
	if m := c.next(); m.Get("symbol") != "AAA" {
		t.Errorf("by conId: %v", m.Values)
	}
	c.untilMsg(wire.ContractDataEnd)
	// Unknown, or not a stock.
	c.send(wire.ReqContractDetails, stock("NOPE", map[string]string{"reqId": "6"}))
	if m := c.next(); errorCode(m) != "200" || m.Get("id") != "6" {
		t.Errorf("unknown: %v", m.Values)
	}
	c.send(wire.ReqContractDetails, map[string]string{"reqId": "7", "symbol": "AAA", "secType": "OPT"})
	if m := c.next(); errorCode(m) != "200" {
		t.Errorf("option: %v", m.Values)
	}
	if conID("AAA") != conID("AAA") || conID("AAA") == conID("BBB") {
		t.Error("conId not stable per symbol")
	}
}

func history(sym, reqID, end, bar, dur string, format int) map[string]string {
	return stock(sym, map[string]string{"reqId": reqID, "endDateTime": end, "barSizeSetting": bar, "durationStr": dur,
		"whatToShow": "TRADES", "formatDate": strconv.Itoa(format), "useRTH": "1"})
}

func TestHistoricalDaily(t *testing.T) {
	_, addr, _ := start(t, Config{})
	c := connect(t, addr, 1)
	c.send(wire.ReqHistoricalData, history("AAA", "8", "", "1 day", "30 D", 1))
	m := c.next()
	if m.Layout != wire.HistoricalData || m.Get("reqId") != "8" {
		t.Fatalf("got %s %v", m.Layout.Name, m.Values)
	}
	bars := m.Groups["bars"]
	in := testPrices()["AAA"]
	if len(bars) != len(in) {
		t.Fatalf("%d bars, want %d", len(bars), len(in))
	}
	for i, b := range bars {
		w := in[i]
		if b["date"] != strings.ReplaceAll(w.Date, "-", "") {
			t.Errorf("bar %d date %q", i, b["date"])
		}
		for k, v := range map[string]decimal.Decimal{"open": w.Open, "high": w.High, "low": w.Low, "close": w.Close, "volume": w.Volume} {
			if !dec(b[k]).Equal(v) {
				t.Errorf("bar %d %s = %s, want %s", i, k, b[k], v)
			}
		}
	}
	// "2 D" is two trading days; an end date before AsOf cuts; epoch format keeps yyyymmdd for days.
	c.send(wire.ReqHistoricalData, history("AAA", "9", "20240103 16:00:00 US/Eastern", "1 day", "2 D", 2))
	m = c.next()
	if got := m.Groups["bars"]; len(got) != 2 || got[0]["date"] != "20240102" || got[1]["date"] != "20240103" {
		t.Errorf("2 D to Jan 3: %v", got)
	}
	c.send(wire.ReqHistoricalData, history("AAA", "10", "20240104-21:00:00", "1 week", "1 M", 1))
	if got := c.next().Groups["bars"]; len(got) != 1 || got[0]["open"] != "100" || got[0]["close"] != "104" || got[0]["high"] != "105" || got[0]["low"] != "98" {
		t.Errorf("weekly: %v", got)
	}
	// A date-time without a zone works, with warning 2174 first.
	c.send(wire.ReqHistoricalData, history("AAA", "11", "20240104 16:00:00", "1 day", "1 W", 1))
	if m := c.next(); errorCode(m) != "2174" || m.Get("id") != "11" {
		t.Errorf("no zone: %v", m.Values)
	}
	if m := c.next(); m.Layout != wire.HistoricalData || len(m.Groups["bars"]) != 3 {
		t.Errorf("no zone data: %v", m.Groups)
	}
	// Errors.
	for _, tc := range []struct {
		req  map[string]string
		code string
	}{
		{history("AAA", "20", "garbage", "1 day", "1 W", 1), "10314"},
		{history("AAA", "21", "", "7 days", "1 W", 1), "321"},
		{history("AAA", "22", "", "1 day", "30", 1), "321"},
		{history("NOPE", "23", "", "1 day", "1 W", 1), "200"},
		{history("AAA", "24", "20230101 16:00:00 US/Eastern", "1 day", "1 W", 1), "162"},
	} {
		c.send(wire.ReqHistoricalData, tc.req)
		if m := c.next(); errorCode(m) != tc.code || m.Get("id") != tc.req["reqId"] {
			t.Errorf("request %s: got %v, want error %s", tc.req["reqId"], m.Values, tc.code)
		}
	}
}

func TestHistoricalIntraday(t *testing.T) {
	_, addr, _ := start(t, Config{})
	c := connect(t, addr, 1)
	c.send(wire.ReqHistoricalData, history("AAA", "1", "", "1 min", "1 D", 1))
	bars := c.next().Groups["bars"]
	if len(bars) != 390 {
		t.Fatalf("%d one-minute bars, want 390", len(bars))
	}
	if bars[0]["date"] != "20240104 09:30:00 US/Eastern" || bars[389]["date"] != "20240104 15:59:00 US/Eastern" {
		t.Errorf("first/last = %q %q", bars[0]["date"], bars[389]["date"])
	}
	// The minutes add up to the daily bar exactly.
	day := testPrices()["AAA"][2]
	hi, lo, vol := dec(bars[0]["high"]), dec(bars[0]["low"]), decimal.Zero
	for _, b := range bars {
		hi, lo = decimal.Max(hi, dec(b["high"])), decimal.Min(lo, dec(b["low"]))
		vol = vol.Add(dec(b["volume"]))
	}
	if !dec(bars[0]["open"]).Equal(day.Open) || !dec(bars[389]["close"]).Equal(day.Close) || !hi.Equal(day.High) || !lo.Equal(day.Low) || !vol.Equal(day.Volume) {
		t.Errorf("aggregate O %s H %s L %s C %s V %s, want %v", bars[0]["open"], hi, lo, bars[389]["close"], vol, day)
	}
	// Reproducible: the same request gives the same bars.
	c.send(wire.ReqHistoricalData, history("AAA", "2", "", "1 min", "1 D", 1))
	again := c.next().Groups["bars"]
	for i := range bars {
		if bars[i]["close"] != again[i]["close"] {
			t.Fatalf("bar %d differs: %v vs %v", i, bars[i], again[i])
		}
	}
	// Hours align to the clock, the first one clipped to the open.
	c.send(wire.ReqHistoricalData, history("AAA", "3", "", "1 hour", "2 D", 2))
	m := c.next()
	hours := m.Groups["bars"]
	if len(hours) != 14 {
		t.Fatalf("%d hour bars over 2 days, want 14", len(hours))
	}
	open := time.Date(2024, 1, 3, 14, 30, 0, 0, time.UTC).Unix()
	if hours[0]["date"] != strconv.FormatInt(open, 10) || hours[1]["date"] != strconv.FormatInt(open+1800, 10) {
		t.Errorf("hour bars start %s, %s", hours[0]["date"], hours[1]["date"])
	}
	c.send(wire.ReqHistoricalData, history("AAA", "4", "20240104 10:00:00 US/Eastern", "5 mins", "1800 S", 1))
	if got := c.next().Groups["bars"]; len(got) != 6 || got[0]["date"] != "20240104 09:30:00 US/Eastern" {
		t.Errorf("5 mins over 1800 S: %d bars, %v", len(got), got)
	}
}

func placeOrder(id int, sym, action, qty, typ, lmt, aux string) map[string]string {
	return stock(sym, map[string]string{"orderId": strconv.Itoa(id), "action": action, "totalQuantity": qty,
		"orderType": typ, "lmtPrice": lmt, "auxPrice": aux, "tif": "DAY", "orderRef": "ref-" + strconv.Itoa(id)})
}

// fillMessages reads until the order's Filled status, its execution and
// its commission report have all arrived, in whatever order.
func fillMessages(t *testing.T, c *rawClient, orderID string) (status, exec, comm wire.Msg) {
	t.Helper()
	execID := ""
	c.until(func(m wire.Msg) bool {
		switch m.Layout {
		case wire.OrderStatus:
			if m.Get("orderId") == orderID && m.Get("status") == "Filled" {
				status = m
			}
		case wire.ExecDetails:
			if m.Get("orderId") == orderID {
				exec, execID = m, m.Get("execId")
			}
		case wire.CommissionReport:
			if m.Get("execId") != "" && m.Get("execId") == execID {
				comm = m
			}
		}
		return status.Layout != nil && exec.Layout != nil && comm.Layout != nil
	})
	return status, exec, comm
}

func TestMarketOrder(t *testing.T) {
	s, addr, _ := start(t, Config{})
	c := connect(t, addr, 1)
	c.send(wire.PlaceOrder, placeOrder(1, "AAA", "BUY", "100", "MKT", "", ""))
	first := c.next()
	if first.Layout != wire.OpenOrder || first.Get("status") != "PreSubmitted" || first.Get("orderRef") != "ref-1" {
		t.Fatalf("first = %s %v", first.Layout.Name, first.Values)
	}
	status, exec, comm := fillMessages(t, c, "1")
	if status.Get("filled") != "100" || status.Get("remaining") != "0" || status.Get("avgFillPrice") != "102" {
		t.Errorf("status = %v", status.Values)
	}
	if exec.Get("reqId") != "-1" || exec.Get("side") != "BOT" || exec.Get("shares") != "100" || exec.Get("price") != "102" ||
		exec.Get("time") != "20240104 09:30:00 US/Eastern" || exec.Get("acctNumber") != "DU1234567" || exec.Get("orderRef") != "ref-1" {
		t.Errorf("exec = %v", exec.Values)
	}
	// 100 × 0.005 = 0.50, raised to the 1.00 minimum.
	if comm.Get("commission") != "1" || comm.Get("currency") != "USD" {
		t.Errorf("commission = %v", comm.Values)
	}
	n, _ := comm.Number("realizedPNL")
	if n.Set {
		t.Errorf("realizedPNL of an opening trade = %v, want unset", n)
	}
	acct := s.Accounts()[0]
	if !acct.Cash.Equal(dec("89799")) { // 100000 − 10200 − 1
		t.Errorf("cash = %s", acct.Cash)
	}
	if len(acct.Positions) != 1 || !acct.Positions[0].Quantity.Equal(dec("100")) || !acct.Positions[0].AvgCost.Equal(dec("102.01")) {
		t.Errorf("positions = %v", acct.Positions)
	}
	// Selling half realises (102 − 102.01) × 50 − 1.
	c.send(wire.PlaceOrder, placeOrder(2, "AAA", "SELL", "50", "MKT", "", ""))
	_, exec, comm = fillMessages(t, c, "2")
	if exec.Get("side") != "SLD" || comm.Get("realizedPNL") != "-1.5" {
		t.Errorf("sell: %v %v", exec.Values, comm.Values)
	}
	if got := s.Orders(); len(got) != 2 || got[0].Status != "Filled" || got[0].OrderRef != "ref-1" || !got[1].Commission.Equal(dec("1")) {
		t.Errorf("orders = %+v", got)
	}
	// The next valid id moved past the ids used.
	c.send(wire.ReqIDs, map[string]string{"numIds": "1"})
	if m := c.untilMsg(wire.NextValidID); m[len(m)-1].Get("orderId") != "3" {
		t.Errorf("nextValidId = %v", m[len(m)-1].Values)
	}
	// Positions subscribers hear of changes.
	c.send(wire.ReqPositions, nil)
	c.untilMsg(wire.PositionEnd)
	c.send(wire.PlaceOrder, placeOrder(3, "BBB", "BUY", "1000", "MKT", "", ""))
	ms := c.until(func(m wire.Msg) bool { return m.Layout == wire.Position && m.Get("symbol") == "BBB" })
	if p := ms[len(ms)-1]; p.Get("position") != "1000" {
		t.Errorf("position update = %v", p.Values)
	}
	// 1000 × 0.005 = 5.00 (above the minimum, below 1% of 50500).
	if o := s.Orders()[2]; !o.Commission.Equal(dec("5")) {
		t.Errorf("commission on 1000 = %s", o.Commission)
	}
}

func TestLimitOrderFillsWhenCrossed(t *testing.T) {
	s, addr, clk := start(t, Config{})
	c := connect(t, addr, 1)
	// AAA opens at 102 and trades down to 98 during the day.
	c.send(wire.PlaceOrder, placeOrder(1, "AAA", "BUY", "10", "LMT", "99", ""))
	ms := c.untilMsg(wire.OrderStatus)
	if ms[len(ms)-1].Get("status") != "Submitted" {
		t.Fatalf("status = %v", ms[len(ms)-1].Values)
	}
	c.send(wire.ReqOpenOrders, nil)
	ms = c.untilMsg(wire.OpenOrderEnd)
	if got := names(ms); !slices.Equal(got, []string{"openOrder", "orderStatus", "openOrderEnd"}) {
		t.Errorf("open orders = %v", got)
	}
	if ms[0].Get("lmtPrice") != "99" || ms[0].Get("orderType") != "LMT" || ms[0].Get("status") != "Submitted" {
		t.Errorf("openOrder = %v", ms[0].Values)
	}
	clk.Advance(7 * time.Hour)
	status, exec, _ := fillMessages(t, c, "1")
	if status.Get("avgFillPrice") != "99" || exec.Get("price") != "99" {
		t.Errorf("filled at %s", exec.Get("price"))
	}
	if exec.Get("time") <= "20240104 09:30:00 US/Eastern" || exec.Get("time") >= "20240104 16:00:00 US/Eastern" {
		t.Errorf("fill time %q not within the session", exec.Get("time"))
	}
	if got := s.Accounts()[0].Positions; len(got) != 1 || got[0].Symbol != "AAA" {
		t.Errorf("positions = %v", got)
	}
	c.send(wire.ReqOpenOrders, nil)
	if ms := c.untilMsg(wire.OpenOrderEnd); len(ms) != 1 {
		t.Errorf("open orders after the fill: %v", names(ms))
	}
}

func TestStopOrderAndDayExpiry(t *testing.T) {
	s, addr, clk := start(t, Config{})
	c := connect(t, addr, 1)
	c.send(wire.PlaceOrder, placeOrder(1, "AAA", "SELL", "5", "STP", "", "100"))
	c.send(wire.PlaceOrder, placeOrder(2, "AAA", "BUY", "5", "LMT", "50", "")) // never reached
	gtc := placeOrder(3, "AAA", "BUY", "5", "LMT", "51", "")
	gtc["tif"] = "GTC"
	c.send(wire.PlaceOrder, gtc)
	c.until(func(m wire.Msg) bool { return m.Layout == wire.OrderStatus && m.Get("orderId") == "3" })
	clk.Advance(7 * time.Hour)
	_, exec, _ := fillMessages(t, c, "1")
	if p := dec(exec.Get("price")); p.GreaterThan(dec("100")) {
		t.Errorf("stop sold at %s, above the stop", p)
	}
	ms := c.until(func(m wire.Msg) bool { return m.Layout == wire.OrderStatus && m.Get("orderId") == "2" })
	if ms[len(ms)-1].Get("status") != "Cancelled" {
		t.Errorf("DAY order at the close: %v", ms[len(ms)-1].Values)
	}
	got := s.Orders()
	if got[0].Status != "Filled" || got[1].Status != "Cancelled" || got[2].Status != "Submitted" {
		t.Errorf("statuses %s %s %s", got[0].Status, got[1].Status, got[2].Status)
	}
	// Global cancel ends the GTC order.
	c.send(wire.ReqGlobalCancel, nil)
	m := c.untilError(202)
	if m.Get("id") != "3" {
		t.Errorf("202 for %s", m.Get("id"))
	}
}

func TestCancelOrder(t *testing.T) {
	s, addr, _ := start(t, Config{})
	c := connect(t, addr, 1)
	c.send(wire.PlaceOrder, placeOrder(4, "AAA", "BUY", "10", "LMT", "90", ""))
	c.untilMsg(wire.OrderStatus)
	c.send(wire.CancelOrder, map[string]string{"orderId": "4"})
	ms := c.untilError(202)
	_ = ms
	if got := s.Orders()[0].Status; got != "Cancelled" {
		t.Errorf("status = %s", got)
	}
	c.send(wire.CancelOrder, map[string]string{"orderId": "4"})
	if m := c.next(); errorCode(m) != "10148" {
		t.Errorf("second cancel: %v", m.Values)
	}
	c.send(wire.CancelOrder, map[string]string{"orderId": "77"})
	if m := c.next(); errorCode(m) != "10147" || m.Get("id") != "77" {
		t.Errorf("unknown cancel: %v", m.Values)
	}
	// The status came before the notice.
	c.send(wire.PlaceOrder, placeOrder(5, "AAA", "BUY", "10", "LMT", "90", ""))
	c.untilMsg(wire.OrderStatus)
	c.send(wire.CancelOrder, map[string]string{"orderId": "5"})
	ms2 := c.until(func(m wire.Msg) bool { return errorCode(m) == "202" })
	if got := names(ms2); !slices.Equal(got, []string{"orderStatus", "error:202"}) || ms2[0].Get("status") != "Cancelled" {
		t.Errorf("cancel messages = %v", got)
	}
}

func TestOrderRejections(t *testing.T) {
	s, addr, _ := start(t, Config{})
	c := connect(t, addr, 1)
	for _, tc := range []struct {
		req  map[string]string
		code string
	}{
		{placeOrder(1, "ZZZ", "BUY", "1", "MKT", "", ""), "200"},
		{placeOrder(2, "AAA", "BUY", "0", "MKT", "", ""), "434"},
		{placeOrder(3, "AAA", "BUY", "-5", "MKT", "", ""), "201"},
		{placeOrder(4, "AAA", "BUY", "1.5", "MKT", "", ""), "10243"},
		{placeOrder(5, "AAA", "BUY", "1", "LMT", "100.001", ""), "110"},
		{placeOrder(6, "AAA", "BUY", "1", "LMT", "", ""), "110"},
		{placeOrder(7, "AAA", "BUY", "1", "TRAIL", "", ""), "387"},
		{placeOrder(8, "AAA", "HOLD", "1", "MKT", "", ""), "201"},
		{placeOrder(9, "AAA", "BUY", "100000", "MKT", "", ""), "201"}, // more than the cash
	} {
		c.send(wire.PlaceOrder, tc.req)
		if m := c.next(); errorCode(m) != tc.code || m.Get("id") != tc.req["orderId"] {
			t.Errorf("order %s: got %v, want error %s", tc.req["orderId"], m.Values, tc.code)
		}
	}
	for _, o := range s.Orders() {
		if o.Status != "Inactive" || o.Reason == "" {
			t.Errorf("rejected order %d: %+v", o.OrderID, o)
		}
	}
	// A used id is a duplicate.
	c.send(wire.PlaceOrder, placeOrder(10, "AAA", "BUY", "1", "MKT", "", ""))
	fillMessages(t, c, "10")
	c.send(wire.PlaceOrder, placeOrder(10, "AAA", "BUY", "1", "MKT", "", ""))
	if m := c.next(); errorCode(m) != "103" {
		t.Errorf("duplicate id: %v", m.Values)
	}
	// Two accounts and none named: an allocation is needed.
	_, addr2, _ := start(t, Config{Accounts: []Account{{ID: "DU1", Cash: dec("1")}, {ID: "DU2", Cash: dec("1")}}})
	c2 := connect(t, addr2, 1)
	c2.send(wire.PlaceOrder, placeOrder(1, "AAA", "SELL", "1", "MKT", "", ""))
	if m := c2.next(); errorCode(m) != "436" {
		t.Errorf("no account: %v", m.Values)
	}
}

func TestExecutions(t *testing.T) {
	_, addr, _ := start(t, Config{})
	c := connect(t, addr, 1)
	c.send(wire.PlaceOrder, placeOrder(1, "AAA", "BUY", "10", "MKT", "", ""))
	fillMessages(t, c, "1")
	c.send(wire.PlaceOrder, placeOrder(2, "BBB", "BUY", "10", "MKT", "", ""))
	fillMessages(t, c, "2")
	other := connect(t, addr, 2)
	other.send(wire.ReqExecutions, map[string]string{"reqId": "5"})
	ms := other.untilMsg(wire.ExecDetailsEnd)
	if got := names(ms); !slices.Equal(got, []string{"execDetails", "commissionReport", "execDetails", "commissionReport", "execDetailsEnd"}) {
		t.Fatalf("executions = %v", got)
	}
	if ms[0].Get("reqId") != "5" || ms[1].Get("execId") != ms[0].Get("execId") || ms[4].Get("reqId") != "5" {
		t.Errorf("reqIds/execIds: %v %v", ms[0].Values, ms[1].Values)
	}
	for _, tc := range []struct {
		filter map[string]string
		n      int
	}{
		{map[string]string{"symbol": "BBB"}, 1},
		{map[string]string{"clientId": "2"}, 0},
		{map[string]string{"side": "SELL"}, 0},
		{map[string]string{"time": "20240104 09:29:00"}, 2},
		{map[string]string{"time": "20240104 09:31:00"}, 0},
		{map[string]string{"time": "20240104-14:00:00"}, 2},
		{map[string]string{"acctCode": "DU1234567"}, 2},
	} {
		tc.filter["reqId"] = "6"
		other.send(wire.ReqExecutions, tc.filter)
		ms := other.untilMsg(wire.ExecDetailsEnd)
		if got := (len(ms) - 1) / 2; got != tc.n {
			t.Errorf("filter %v: %d executions, want %d", tc.filter, got, tc.n)
		}
	}
}

func TestWhatIf(t *testing.T) {
	s, addr, _ := start(t, Config{})
	c := connect(t, addr, 1)
	o := placeOrder(1, "AAA", "BUY", "1000", "MKT", "", "")
	o["whatIf"] = "1"
	c.send(wire.PlaceOrder, o)
	m := c.next()
	if m.Layout != wire.OpenOrder || m.Get("whatIf") != "1" || m.Get("commission") != "5" || !strings.Contains(m.Get("warningText"), "insufficient funds") {
		t.Errorf("what-if = %v", m.Values)
	}
	o = placeOrder(2, "AAA", "BUY", "500", "MKT", "", "")
	o["whatIf"] = "1"
	c.send(wire.PlaceOrder, o)
	if m := c.next(); m.Get("commission") != "2.5" || m.Get("warningText") != "" || m.Get("status") != "PreSubmitted" {
		t.Errorf("what-if = %v", m.Values)
	}
	if len(s.Orders()) != 0 || len(s.Accounts()[0].Positions) != 0 {
		t.Error("a what-if order was placed")
	}
}

func TestFillOrderVaries(t *testing.T) {
	_, addr, _ := start(t, Config{})
	c := connect(t, addr, 1)
	seen := map[string]bool{}
	for id := 1; id <= 12; id++ {
		c.send(wire.PlaceOrder, placeOrder(id, "AAA", "BUY", "1", "MKT", "", ""))
		ms := c.until(func(m wire.Msg) bool { return m.Layout == wire.OpenOrder && m.Get("status") == "PreSubmitted" })
		_ = ms
		var seq []string
		c.until(func(m wire.Msg) bool {
			if m.Layout == wire.OrderStatus || m.Layout == wire.ExecDetails || m.Layout == wire.CommissionReport {
				seq = append(seq, m.Layout.Name)
			}
			return len(seq) == 4 // PreSubmitted status, then the three
		})
		seen[strings.Join(seq[1:], ",")] = true
	}
	if len(seen) < 2 {
		t.Errorf("fill messages always in one order: %v", seen)
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtimeGoroutines()
	s, err := New(Config{Prices: testPrices(), TickInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := connect(t, addr, 1)
	c.send(wire.ReqMktData, stock("AAA", map[string]string{"reqId": "1"}))
	c.next()
	c2 := dialRaw(t, addr, 178, 178) // handshaken, never started
	_ = c2
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	c.expectClosed()
	waitFor(t, func() bool { return runtimeGoroutines() <= before })
	if err := s.Serve(nil); err != ErrServerClosed {
		t.Errorf("Serve after Close = %v", err)
	}
}
