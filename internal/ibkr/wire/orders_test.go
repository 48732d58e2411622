package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"testing"
)

// go test ./internal/ibkr/wire/ -run PlaceOrder -update-orders-golden
// rewrites testdata/golden/placeOrder_lmt.bin; check the diff by hand
// against the official client's placeOrder before committing it.
var updateOrdersGolden = flag.Bool("update-orders-golden", false, "rewrite the placeOrder golden file")

// plainLMT is a plain stock limit order: the values a caller fills in.
func plainLMT() map[string]string {
	return map[string]string{
		"orderId": "42", "conId": "265598", "symbol": "AAPL", "secType": "STK", "exchange": "SMART",
		"currency": "USD", "action": "BUY", "totalQuantity": "10", "orderType": "LMT", "lmtPrice": "187.25",
		"auxPrice": "", "tif": "DAY", "account": "DU1234567", "orderRef": "wa-1", "outsideRth": "0",
		"transmit": "1",
	}
}

// ordFields encodes m and splits it back into fields, checking the length
// prefix on the way.
func ordFields(t *testing.T, l *Layout, m Msg) (frame []byte, fields [][]byte) {
	t.Helper()
	frame, err := l.Encode(nil, m)
	if err != nil {
		t.Fatalf("%s: encode: %v", l.Name, err)
	}
	if n := binary.BigEndian.Uint32(frame); int(n) != len(frame)-4 {
		t.Fatalf("%s: length prefix %d, payload %d bytes", l.Name, n, len(frame)-4)
	}
	fields, err = Split(frame[4:], nil)
	if err != nil {
		t.Fatalf("%s: split: %v", l.Name, err)
	}
	return frame, fields
}

func TestPlaceOrderPlainLMTGolden(t *testing.T) {
	frame, fields := ordFields(t, PlaceOrder, Msg{Values: plainLMT()})
	if len(fields) != 114 {
		t.Fatalf("placeOrder plain LMT: %d fields, want 114", len(fields))
	}

	// Spot checks from the official placeOrder at serverVersion 178,
	// independent of the golden file: position → text.
	want := map[int]string{
		0: "3", 1: "42", 2: "265598", 3: "AAPL", 4: "STK", 5: "", 6: "" /* strike handle_empty */, 9: "SMART",
		11: "USD", 16: "BUY", 17: "10", 18: "LMT", 19: "187.25", 20: "", 21: "DAY", 23: "DU1234567",
		25: "0" /* origin */, 26: "wa-1", 27: "1" /* transmit */, 33: "0" /* outsideRth */, 35: "", /* sharesAllocation */
		36: "0" /* discretionaryAmt */, 42: "" /* modelCode: faProfile gone at 177 */, 45: "-1", /* exemptCode */
		55: "0" /* auctionStrategy */, 64: "" /* deltaNeutralOrderType */, 81: "0", /* deltaNeutralContractPresent */
		82: "" /* algoStrategy */, 89: "0" /* conditionsCount */, 90: "",
		91: "1.7976931348623157e+308", 95: "1.7976931348623157e+308", 96: "0", 100: "1.7976931348623157e+308",
		108: "" /* usePriceMgmtAlgo */, 109: "2147483647", 110: "2147483647", 111: "0", 112: "", 113: "",
	}
	for pos, w := range want {
		if got := string(fields[pos]); got != w {
			t.Errorf("field %d = %q, want %q", pos, got, w)
		}
	}

	golden := filepath.Join("testdata", "golden", "placeOrder_lmt.bin")
	if *updateOrdersGolden {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, frame, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantFrame, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update-orders-golden to create it)", err)
	}
	if !bytes.Equal(frame, wantFrame) {
		t.Errorf("placeOrder plain LMT differs from %s:\n got %q\nwant %q", golden, frame, wantFrame)
	}
}

func TestPlaceOrderRoundTrip(t *testing.T) {
	_, fields := ordFields(t, PlaceOrder, Msg{Values: plainLMT()})
	m, err := PlaceOrder.Decode(fields)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range plainLMT() {
		if m.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, m.Get(k), v)
		}
	}
	if m.Get("exemptCode") != "-1" || m.Get("duration") != "2147483647" {
		t.Errorf("defaults: exemptCode %q duration %q", m.Get("exemptCode"), m.Get("duration"))
	}
	// One field short: the Gateway would reject it; the decoder says which.
	_, err = PlaceOrder.Decode(fields[:len(fields)-1])
	var ce *CountError
	if !errors.As(err, &ce) || ce.Missing != "manualOrderTime" {
		t.Errorf("one field short: %v, want a CountError missing manualOrderTime", err)
	}
}

func TestPlaceOrderConditional(t *testing.T) {
	tag := func(k, v string) map[string]string { return map[string]string{"tag": k, "value": v} }
	cases := []struct {
		name   string
		vals   map[string]string
		groups map[string][]map[string]string
		want   int
		at     map[int]string // position → text
	}{
		{name: "algo with 2 params", vals: map[string]string{"algoStrategy": "Adaptive"},
			groups: map[string][]map[string]string{"algoParams": {tag("adaptivePriority", "Normal"), tag("foo", "bar")}},
			want:   119, at: map[int]string{82: "Adaptive", 83: "2", 84: "adaptivePriority", 85: "Normal", 86: "foo", 87: "bar", 88: ""}},
		{name: "algo without params", vals: map[string]string{"algoStrategy": "Vwap"}, want: 115, at: map[int]string{83: "0"}},
		{name: "STP LMT, dnOrderType empty", vals: map[string]string{"orderType": "STP LMT", "auxPrice": "180"}, want: 114,
			at: map[int]string{18: "STP LMT", 20: "180"}},
		{name: "delta-neutral order", vals: map[string]string{"deltaNeutralOrderType": "LMT"}, want: 122,
			at: map[int]string{64: "LMT", 66: "0", 74: "0" /* continuousUpdate */}},
		{name: "scale extras", vals: map[string]string{"scalePriceIncrement": "0.05"}, want: 121,
			at: map[int]string{72: "0.05", 76: "0" /* scaleAutoReset */, 79: "0"}},
		{name: "hedge", vals: map[string]string{"hedgeType": "B", "hedgeParam": "beta=1"}, want: 115,
			at: map[int]string{76: "B", 77: "beta=1"}},
		{name: "PEG MID", vals: map[string]string{"orderType": "PEG MID", "midOffsetAtWhole": "0.01"}, want: 116,
			at: map[int]string{114: "0.01", 115: ""}},
		{name: "PEG BEST up to mid", vals: map[string]string{"orderType": "PEG BEST", "competeAgainstBestOffset": "Infinity"}, want: 118,
			at: map[int]string{115: "Infinity"}},
		{name: "PEG BEST", vals: map[string]string{"orderType": "PEGBEST"}, want: 116},
		{name: "IBKRATS", vals: map[string]string{"exchange": "IBKRATS"}, want: 115},
		{name: "PEG BENCH", vals: map[string]string{"orderType": "PEG BENCH"}, want: 119,
			at: map[int]string{89: "0", 91: "0.0", 94: "0"}},
		{name: "price and execution conditions", vals: map[string]string{"conditionsCancelOrder": "1"},
			groups: map[string][]map[string]string{"conditions": {
				{"condType": "1", "conjunctionConnection": "a", "isMore": "1", "value": "190.5", "conId": "265598", "exchange": "SMART", "triggerMethod": "2"},
				{"condType": "5", "conjunctionConnection": "o", "secType": "STK", "exchange": "SMART", "symbol": "MSFT"},
			}},
			want: 114 + 7 + 5 + 2,
			at:   map[int]string{89: "2", 90: "1", 91: "a", 92: "1", 93: "190.5", 94: "265598", 95: "SMART", 96: "2", 97: "5", 98: "o", 99: "STK", 100: "SMART", 101: "MSFT", 102: "0", 103: "1"}},
		{name: "BAG", vals: map[string]string{"secType": "BAG"},
			groups: map[string][]map[string]string{
				"comboLegs":               {{"conId": "1", "ratio": "1", "action": "BUY", "exchange": "SMART"}, {"conId": "2", "ratio": "1", "action": "SELL", "exchange": "SMART"}},
				"orderComboLegs":          {{}, {"price": "1.5"}},
				"smartComboRoutingParams": {tag("NonGuaranteed", "1")},
			},
			want: 114 + 1 + 16 + 1 + 2 + 1 + 2,
			at:   map[int]string{35: "2", 36: "1", 43: "-1", 52: "2", 53: "", 54: "1.5", 55: "1", 56: "NonGuaranteed", 58: ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vals := plainLMT()
			maps.Copy(vals, c.vals)
			_, fields := ordFields(t, PlaceOrder, Msg{Values: vals, Groups: c.groups})
			if len(fields) != c.want {
				t.Fatalf("%d fields, want %d", len(fields), c.want)
			}
			for pos, w := range c.at {
				if got := string(fields[pos]); got != w {
					t.Errorf("field %d = %q, want %q", pos, got, w)
				}
			}
			m, err := PlaceOrder.Decode(fields)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range vals {
				if m.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, m.Get(k), v)
				}
			}
			for name, gs := range c.groups {
				if len(m.Groups[name]) != len(gs) {
					t.Fatalf("%s: %d groups back, want %d", name, len(m.Groups[name]), len(gs))
				}
				for j, g := range gs {
					for k, v := range g {
						if m.Groups[name][j][k] != v {
							t.Errorf("%s[%d].%s = %q, want %q", name, j, k, m.Groups[name][j][k], v)
						}
					}
				}
			}
		})
	}
}

// plainOpenOrder is what a Gateway sends for a working plain limit order.
func plainOpenOrder() map[string]string {
	return map[string]string{
		"orderId": "42", "conId": "265598", "symbol": "AAPL", "secType": "STK", "strike": "0", "exchange": "SMART",
		"currency": "USD", "localSymbol": "AAPL", "tradingClass": "NMS", "action": "BUY", "totalQuantity": "10",
		"orderType": "LMT", "lmtPrice": "187.25", "auxPrice": "0", "tif": "DAY", "account": "DU1234567",
		"orderRef": "wa-1", "clientId": "7", "permId": "1887654321", "status": "Submitted",
		"commission": "1.7976931348623157E308", "trailStopPrice2": "1.7976931348623157E308",
		"duration": "42", "midOffsetAtHalf": "0.25", "minTradeQty": "", "autoCancelParent": "0",
	}
}

func TestOpenOrderPlainRoundTrip(t *testing.T) {
	vals := plainOpenOrder()
	_, fields := ordFields(t, OpenOrder, Msg{Values: vals})
	if len(fields) != 127 {
		t.Fatalf("openOrder plain: %d fields, want 127", len(fields))
	}
	// Positions from reference/ibkr.md's openOrder list.
	for pos, w := range map[int]string{0: "5", 1: "42", 2: "265598", 12: "NMS", 13: "BUY", 14: "10", 16: "187.25",
		30: "" /* sharesAllocation */, 85: "Submitted", 119: "42", 126: "0.25"} {
		if got := string(fields[pos]); got != w {
			t.Errorf("field %d = %q, want %q", pos, got, w)
		}
	}
	m, ok, err := Decode(Incoming, fields)
	if err != nil || !ok {
		t.Fatalf("decode: ok=%v err=%v", ok, err)
	}
	for k, v := range vals {
		if m.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, m.Get(k), v)
		}
	}
	if n, err := m.Number("totalQuantity"); err != nil || n.String() != "10" {
		t.Errorf("totalQuantity = %v, %v", n, err)
	}
	if n, err := m.Number("commission"); err != nil || n.Set {
		t.Errorf("commission DBL_MAX should read as unset: %v, %v", n, err)
	}
}

func TestOpenOrderConditional(t *testing.T) {
	tag := func(k, v string) map[string]string { return map[string]string{"tag": k, "value": v} }
	cases := []struct {
		name   string
		vals   map[string]string
		groups map[string][]map[string]string
		want   int
	}{
		{name: "STP LMT, dnOrderType empty", vals: map[string]string{"orderType": "STP LMT", "auxPrice": "180"}, want: 127},
		{name: "algo with 2 params", vals: map[string]string{"algoStrategy": "Adaptive"},
			groups: map[string][]map[string]string{"algoParams": {tag("adaptivePriority", "Normal"), tag("foo", "bar")}}, want: 132},
		{name: "delta-neutral order", vals: map[string]string{"deltaNeutralOrderType": "LMT", "deltaNeutralShortSale": "1"}, want: 135},
		{name: "scale extras", vals: map[string]string{"scalePriceIncrement": "0.05", "scaleAutoReset": "1"}, want: 134},
		{name: "scale increment unset", vals: map[string]string{"scalePriceIncrement": "1.7976931348623157E308"}, want: 127},
		{name: "hedge", vals: map[string]string{"hedgeType": "D", "hedgeParam": ""}, want: 128},
		{name: "delta-neutral contract", vals: map[string]string{"deltaNeutralContractPresent": "1", "deltaNeutralContractDelta": "0.5"}, want: 130},
		{name: "PEG BENCH", vals: map[string]string{"orderType": "PEG BENCH", "referenceContractId": "8314"}, want: 132},
		{name: "conditions", vals: map[string]string{"conditionsIgnoreRth": "1"},
			groups: map[string][]map[string]string{"conditions": {
				{"condType": "3", "conjunctionConnection": "a", "isMore": "1", "value": "20260102 16:00:00 US/Eastern"},
				{"condType": "7", "conjunctionConnection": "o", "isMore": "0", "value": "2.5", "conId": "265598", "exchange": "SMART"},
			}}, want: 127 + 4 + 6 + 2},
		{name: "combo legs", vals: map[string]string{"secType": "BAG", "comboLegsDescrip": "1|1,2|-1"},
			groups: map[string][]map[string]string{
				"comboLegs":               {{"conId": "1", "ratio": "1", "action": "BUY", "exchange": "SMART"}, {"conId": "2", "ratio": "1", "action": "SELL", "exchange": "SMART", "exemptCode": "-1"}},
				"orderComboLegs":          {{"price": ""}, {"price": "1.5"}},
				"smartComboRoutingParams": {tag("NonGuaranteed", "1")},
			}, want: 127 + 16 + 2 + 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vals := plainOpenOrder()
			maps.Copy(vals, c.vals)
			_, fields := ordFields(t, OpenOrder, Msg{Values: vals, Groups: c.groups})
			if len(fields) != c.want {
				t.Fatalf("%d fields, want %d", len(fields), c.want)
			}
			m, err := OpenOrder.Decode(fields)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range vals {
				if m.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, m.Get(k), v)
				}
			}
			for name, gs := range c.groups {
				if len(m.Groups[name]) != len(gs) {
					t.Fatalf("%s: %d groups back, want %d", name, len(m.Groups[name]), len(gs))
				}
				for j, g := range gs {
					for k, v := range g {
						if m.Groups[name][j][k] != v {
							t.Errorf("%s[%d].%s = %q, want %q", name, j, k, m.Groups[name][j][k], v)
						}
					}
				}
			}
			// The fields after every conditional part are still in place.
			if m.Get("duration") != "42" || m.Get("midOffsetAtHalf") != "0.25" {
				t.Errorf("tail misaligned: duration %q midOffsetAtHalf %q", m.Get("duration"), m.Get("midOffsetAtHalf"))
			}
		})
	}
}

func TestOpenOrderCountErrors(t *testing.T) {
	_, fields := ordFields(t, OpenOrder, Msg{Values: plainOpenOrder()})

	_, err := OpenOrder.Decode(fields[:len(fields)-1])
	var ce *CountError
	if !errors.As(err, &ce) {
		t.Fatalf("one field short: %v, want a *CountError", err)
	}
	if ce.Missing != "midOffsetAtHalf" || ce.Got != 126 {
		t.Errorf("one field short: %+v", ce)
	}

	_, err = OpenOrder.Decode(append(fields[:len(fields):len(fields)], []byte("x")))
	if !errors.As(err, &ce) || ce.Got != 128 || ce.Want != 127 {
		t.Errorf("one field too many: %v", err)
	}

	// A count promising more groups than there are fields.
	vals := plainOpenOrder()
	vals["algoStrategy"] = "Adaptive"
	_, fields = ordFields(t, OpenOrder, Msg{Values: vals, Groups: map[string][]map[string]string{
		"algoParams": {{"tag": "adaptivePriority", "value": "Normal"}}}})
	_, err = OpenOrder.Decode(fields[:len(fields)-1])
	if !errors.As(err, &ce) {
		t.Errorf("algo message one field short: %v, want a *CountError", err)
	}
}

// TestOrderLayoutNames: names are unique within each field list (values
// are keyed by name), conditional and repeated parts included.
func TestOrderLayoutNames(t *testing.T) {
	for _, l := range []*Layout{PlaceOrder, OpenOrder} {
		var walk func(where string, fs []Field, seen map[string]string)
		walk = func(where string, fs []Field, seen map[string]string) {
			for _, fl := range fs {
				if prev, dup := seen[fl.Name]; dup {
					t.Errorf("%s: %q twice (%s and %s)", l.Name, fl.Name, prev, where)
				}
				seen[fl.Name] = where
				switch fl.Kind {
				case Cond:
					if fl.If == nil {
						t.Errorf("%s: Cond %q without a predicate", l.Name, fl.Name)
					}
					walk(where+"."+fl.Name, fl.Sub, seen)
				case Repeat:
					if _, ok := seen[fl.Count]; !ok {
						t.Errorf("%s: Repeat %q counted by %q, not an earlier field", l.Name, fl.Name, fl.Count)
					}
					walk(where+"."+fl.Name, fl.Sub, map[string]string{})
				}
			}
		}
		walk(l.Name, l.Fields, map[string]string{})
	}
}
