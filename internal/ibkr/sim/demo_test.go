package sim

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/demo"
	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// demoPrices reads the bundled wide CSV of closes (symbols across, a Date
// column) into bars.
func demoPrices(t *testing.T) map[string][]Bar {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(demo.Prices)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := rows[0]
	dateCol := -1
	for i, h := range header {
		if h == "Date" {
			dateCol = i
		}
	}
	if dateCol < 0 {
		t.Fatalf("no Date column in %v", header)
	}
	out := map[string][]Bar{}
	for col, sym := range header {
		if col == dateCol {
			continue
		}
		var dates []string
		var closes []decimal.Decimal
		for _, r := range rows[1:] {
			if strings.TrimSpace(r[col]) == "" {
				continue
			}
			dates = append(dates, r[dateCol])
			closes = append(closes, decimal.RequireFromString(r[col]))
		}
		out[sym] = BarsFromCloses(dates, closes)
	}
	return out
}

func TestDemoPrices(t *testing.T) {
	prices := demoPrices(t)
	s, addr, _ := start(t, Config{Prices: prices, AsOf: demo.AsOf.String(),
		Accounts: []Account{{ID: "DU1234567", Cash: dec("100000")}, {ID: "DU7654321", Cash: dec("5000")}}})
	c := connect(t, addr, 1)
	c.send(wire.ReqHistoricalData, history("MSFT", "1", "", "1 day", "1 Y", 1))
	bars := c.next().Groups["bars"]
	if len(bars) < 240 || bars[len(bars)-1]["date"] != "20081120" {
		t.Fatalf("%d bars, last %v", len(bars), bars[len(bars)-1])
	}
	in := prices["MSFT"]
	var want Bar
	for _, b := range in {
		if b.Date == "2008-11-20" {
			want = b
		}
	}
	// The demo's adjusted closes have many decimals: bars show them on the
	// 0.01 tick.
	if !dec(bars[len(bars)-1]["close"]).Equal(want.Close.Round(2)) {
		t.Errorf("close %s, want %s", bars[len(bars)-1]["close"], want.Close.Round(2))
	}
	onTick := func(what, v string) {
		t.Helper()
		if !dec(v).Mod(cent).IsZero() {
			t.Errorf("%s %s is not on the 0.01 tick", what, v)
		}
	}
	for _, b := range bars {
		for _, k := range []string{"open", "high", "low", "close"} {
			onTick("daily "+k, b[k])
		}
	}
	c.send(wire.ReqHistoricalData, history("MSFT", "2", "", "5 mins", "2 D", 1))
	for _, b := range c.next().Groups["bars"] {
		for _, k := range []string{"open", "high", "low", "close"} {
			onTick("5-minute "+k, b[k])
		}
	}
	// Quotes too, with the last trade's time (tick 45) in market time.
	c.send(wire.ReqMktData, stock("MSFT", map[string]string{"reqId": "3", "snapshot": "1"}))
	var stamp string
	for _, m := range c.until(func(m wire.Msg) bool { return m.Layout == wire.TickSnapshotEnd }) {
		if m.Layout == wire.TickPrice {
			onTick("tick "+m.Get("tickType"), m.Get("price"))
		}
		if m.Layout == wire.TickString && m.Get("tickType") == "45" {
			stamp = m.Get("value")
		}
	}
	s.mu.Lock()
	now := s.marketNow().Unix()
	s.mu.Unlock()
	if stamp != strconv.FormatInt(now, 10) {
		t.Errorf("tick 45 = %q, want the market time %d", stamp, now)
	}
	o := placeOrder(1, "IBM", "BUY", "10", "MKT", "", "")
	o["account"] = "DU7654321"
	c.send(wire.PlaceOrder, o)
	fillMessages(t, c, "1")
	if got := s.Accounts()[1].Positions; len(got) != 1 || got[0].Symbol != "IBM" {
		t.Errorf("IRA positions = %v", got)
	}
}
