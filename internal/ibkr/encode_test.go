package ibkr

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

// goldenText shows a frame as its fields joined by "|", then a hex dump of
// the exact bytes.
func goldenText(t *testing.T, frame []byte) string {
	t.Helper()
	if len(frame) < 4 || int(binary.BigEndian.Uint32(frame)) != len(frame)-4 {
		t.Fatalf("frame length prefix %x does not match %d payload bytes", frame[:min(4, len(frame))], len(frame)-4)
	}
	fields, err := wire.Split(frame[4:], nil)
	if err != nil {
		t.Fatal(err)
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = string(f)
	}
	return strings.Join(parts, "|") + "\n" + hex.Dump(frame)
}

func TestEncodeGolden(t *testing.T) {
	spy := Contract{Symbol: "SPY", PrimaryExchange: "ARCA"}
	vti := Contract{ConID: 12345, Symbol: "VTI"}
	day := time.Date(2026, 3, 13, 21, 0, 0, 0, time.UTC)
	order := func(typ OrderType, lmt, stp string) Order {
		o := Order{Account: "DU1234567", Contract: Contract{Symbol: "VTI"}, Action: "BUY", Quantity: decimal.NewFromInt(10),
			Type: typ, OrderRef: "wa-test-1"}
		if lmt != "" {
			o.LimitPrice = decimal.RequireFromString(lmt)
		}
		if stp != "" {
			o.StopPrice = decimal.RequireFromString(stp)
		}
		o, err := o.validate()
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	cases := []struct {
		name  string
		build func() ([]byte, error)
	}{
		{"startApi", func() ([]byte, error) { return encStartAPI(7) }},
		{"reqIds", func() ([]byte, error) { return encReqIDs(1) }},
		{"reqManagedAccts", encReqManagedAccts},
		{"reqCurrentTime", encReqCurrentTime},
		{"reqPositions", encReqPositions},
		{"cancelPositions", encCancelPositions},
		{"reqAccountSummary", func() ([]byte, error) { return encReqAccountSummary(9001, "All", DefaultSummaryTags) }},
		{"cancelAccountSummary", func() ([]byte, error) { return encCancelAccountSummary(9001) }},
		{"reqMarketDataType", func() ([]byte, error) { return encReqMarketDataType(mdDelayed) }},
		{"reqMktData_snapshot", func() ([]byte, error) { return encReqMktData(101, spy, true) }},
		{"reqMktData_stream", func() ([]byte, error) { return encReqMktData(102, vti, false) }},
		{"cancelMktData", func() ([]byte, error) { return encCancelMktData(102) }},
		{"reqContractDetails", func() ([]byte, error) { return encReqContractDetails(103, Contract{Symbol: "VTI"}) }},
		{"reqHistoricalData_daily", func() ([]byte, error) {
			return encReqHistoricalData(104, HistoryRequest{Contract: Contract{Symbol: "VTI"}, End: day, Duration: "1 Y", BarSize: "1 day", UseRTH: true})
		}},
		{"reqHistoricalData_intraday", func() ([]byte, error) {
			return encReqHistoricalData(105, HistoryRequest{Contract: spy, Duration: "1 D", BarSize: "5 mins", WhatToShow: "MIDPOINT"})
		}},
		{"cancelHistoricalData", func() ([]byte, error) { return encCancelHistoricalData(105) }},
		{"placeOrder_MKT", func() ([]byte, error) { return encPlaceOrder(1001, order(Market, "", "")) }},
		{"placeOrder_LMT", func() ([]byte, error) { return encPlaceOrder(1002, order(Limit, "251.37", "")) }},
		{"placeOrder_STP", func() ([]byte, error) { return encPlaceOrder(1003, order(Stop, "", "240")) }},
		{"placeOrder_STP_LMT", func() ([]byte, error) { return encPlaceOrder(1004, order(StopLimit, "239.5", "240")) }},
		{"cancelOrder", func() ([]byte, error) { return encCancelOrder(1002) }},
		{"reqOpenOrders", encReqOpenOrders},
		{"reqAllOpenOrders", encReqAllOpenOrders},
		{"reqAutoOpenOrders", func() ([]byte, error) { return encReqAutoOpenOrders(true) }},
		{"reqExecutions", func() ([]byte, error) {
			return encReqExecutions(106, ExecFilter{ClientID: 7, Account: "DU1234567", Symbol: "VTI", Since: day})
		}},
		{"reqGlobalCancel", encReqGlobalCancel},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			frame, err := tc.build()
			if err != nil {
				t.Fatal(err)
			}
			// Every message must decode by the same layout the simulator reads.
			fields, err := wire.Split(frame[4:], nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok, err := wire.Decode(wire.Outgoing, fields); !ok || err != nil {
				t.Fatalf("decode own message: ok=%v err=%v", ok, err)
			}
			got := goldenText(t, frame)
			path := filepath.Join("testdata", "golden", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal([]byte(got), want) {
				t.Errorf("%s differs from %s:\ngot:\n%s\nwant:\n%s", tc.name, path, got, want)
			}
		})
	}
}

func TestEncodeFieldCounts(t *testing.T) {
	count := func(frame []byte, err error) int {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		fs, err := wire.Split(frame[4:], nil)
		if err != nil {
			t.Fatal(err)
		}
		return len(fs)
	}
	o, err := Order{Account: "DU1", Contract: Contract{Symbol: "VTI"}, Action: "buy", Quantity: decimal.NewFromInt(1),
		Type: Limit, LimitPrice: decimal.NewFromInt(1), OrderRef: "r"}.validate()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		n    int
		want int
	}{
		// reference/ibkr.md §2.3
		{"reqMktData", count(encReqMktData(1, Contract{Symbol: "X"}, true)), 20},
		{"reqContractDetails", count(encReqContractDetails(1, Contract{Symbol: "X"})), 19},
		{"reqHistoricalData", count(encReqHistoricalData(1, HistoryRequest{Contract: Contract{Symbol: "X"}})), 23},
		{"placeOrder LMT", count(encPlaceOrder(1, o)), 114},
		{"reqExecutions", count(encReqExecutions(1, ExecFilter{})), 10},
	} {
		if tc.n != tc.want {
			t.Errorf("%s: %d fields, want %d", tc.name, tc.n, tc.want)
		}
	}
}

func TestOrderValidate(t *testing.T) {
	base := Order{Account: "DU1", Contract: Contract{Symbol: "VTI"}, Action: "BUY", Quantity: decimal.NewFromInt(5),
		Type: Market, OrderRef: "k1"}
	bad := map[string]func(o *Order){
		"no orderRef":       func(o *Order) { o.OrderRef = "" },
		"no symbol":         func(o *Order) { o.Contract.Symbol = "" },
		"bad action":        func(o *Order) { o.Action = "HOLD" },
		"zero quantity":     func(o *Order) { o.Quantity = decimal.Zero },
		"negative quantity": func(o *Order) { o.Quantity = decimal.NewFromInt(-1) },
		"LMT without price": func(o *Order) { o.Type = Limit },
		"STP without stop":  func(o *Order) { o.Type = Stop },
		"STP LMT no limit":  func(o *Order) { o.Type = StopLimit; o.StopPrice = decimal.NewFromInt(1) },
		"unknown type":      func(o *Order) { o.Type = "MOC" },
		"bad tif":           func(o *Order) { o.TIF = "IOC" },
		"NUL in orderRef":   func(o *Order) { o.OrderRef = "a\x00b" },
	}
	for name, mut := range bad {
		o := base
		mut(&o)
		if _, err := o.validate(); err == nil {
			t.Errorf("%s: validate accepted it", name)
		}
	}
	o, err := base.validate()
	if err != nil {
		t.Fatal(err)
	}
	if o.TIF != TIFDay || o.Contract.SecType != "STK" || o.Contract.Exchange != "SMART" || o.Contract.Currency != "USD" {
		t.Errorf("defaults not filled: %+v", o)
	}
}
