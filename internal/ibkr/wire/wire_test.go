package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func frameOf(fields ...string) []byte {
	return AppendFrame(nil, []byte(strings.Join(fields, "\x00")+"\x00"))
}

func TestFrameReaderSplitsStream(t *testing.T) {
	stream := append(frameOf("1", "6", "7", "1", "187.5", "100", "0"), frameOf("53", "1")...)
	fr := NewFrameReader(bytes.NewReader(stream))
	var got []string
	for {
		p, err := fr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fs, err := Split(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(bytes.Join(fs, []byte("|"))))
	}
	want := []string{"1|6|7|1|187.5|100|0", "53|1"}
	if strings.Join(got, ";") != strings.Join(want, ";") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestFrameReaderErrors(t *testing.T) {
	cut := frameOf("9", "1", "42")
	_, err := NewFrameReader(bytes.NewReader(cut[:len(cut)-2])).Next()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated frame: %v, want ErrUnexpectedEOF", err)
	}
	_, err = NewFrameReader(bytes.NewReader([]byte{0x01, 0, 0, 0, 'x'})).Next()
	if !errors.Is(err, ErrFrameTooLong) {
		t.Errorf("huge length: %v, want ErrFrameTooLong", err)
	}
	if _, err := Split([]byte("9\x001"), nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("unterminated field: %v, want ErrMalformed", err)
	}
}

func TestHandshake(t *testing.T) {
	h := Hello()
	if !bytes.HasPrefix(h, []byte(HelloPrefix)) {
		t.Fatalf("hello %q lacks API\\0", h)
	}
	fr := NewFrameReader(bytes.NewReader(h[4:]))
	p, err := fr.Next()
	if err != nil {
		t.Fatal(err)
	}
	if string(p) != "v178..178" {
		t.Fatalf("version frame %q", p)
	}
	lo, hi, opts, err := ParseVersionRange([]byte("v100..187 +PACEAPI"))
	if err != nil || lo != 100 || hi != 187 || opts != "+PACEAPI" {
		t.Fatalf("ParseVersionRange = %d %d %q %v", lo, hi, opts, err)
	}
	for _, bad := range []string{"", "v", "178", "v9..1", "vx..y"} {
		if _, _, _, err := ParseVersionRange([]byte(bad)); err == nil {
			t.Errorf("ParseVersionRange(%q) accepted", bad)
		}
	}
	p, err = NewFrameReader(bytes.NewReader(ServerHello(178, "20081120 15:30:00 UTC"))).Next()
	if err != nil {
		t.Fatal(err)
	}
	fs, _ := Split(p, nil)
	v, tm, ok := ParseServerHello(fs)
	if !ok || v != 178 || tm != "20081120 15:30:00 UTC" {
		t.Fatalf("ParseServerHello = %d %q %v", v, tm, ok)
	}
	fs, _ = Split([]byte("4\x002\x00-1\x002104\x00ok\x00\x00"), nil)
	if _, _, ok := ParseServerHello(fs); ok {
		t.Error("an error message was taken for the server hello")
	}
}

func TestParseNumber(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		set  bool
	}{
		{"187.50", "187.50", true},
		{"-0.25", "-0.25", true},
		{"100", "100", true},
		{"0.0001", "0.0001", true},
		{"0", "0", true},
		{"", "", false},
		{"1.7976931348623157E308", "", false},
		{"1.7976931348623157e+308", "", false},
		{"Infinity", "", false},
		{"1.5E-4", "0.00015", true},
		{"123456789012345678901", "123456789012345680000", true},
	} {
		n, err := ParseNumber([]byte(c.in))
		if err != nil {
			t.Errorf("ParseNumber(%q): %v", c.in, err)
			continue
		}
		if n.Set != c.set || n.String() != c.want {
			t.Errorf("ParseNumber(%q) = %q set=%v, want %q set=%v", c.in, n.String(), n.Set, c.want, c.set)
		}
	}
	for _, bad := range []string{"abc", "1.2.3", "-", "."} {
		if _, err := ParseNumber([]byte(bad)); err == nil {
			t.Errorf("ParseNumber(%q) accepted", bad)
		}
	}
}

func TestParseInt(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "0": 0, "42": 42, "-1": -1, "2147483647": 2147483647, "9223372036854775807": 1<<63 - 1} {
		got, err := ParseInt([]byte(in))
		if err != nil || got != want {
			t.Errorf("ParseInt(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"x", "1.5", "-", "99999999999999999999"} {
		if _, err := ParseInt([]byte(bad)); err == nil {
			t.Errorf("ParseInt(%q) accepted", bad)
		}
	}
}

func TestLayoutRoundTrip(t *testing.T) {
	m := Msg{Values: map[string]string{"reqId": "7", "startDateStr": "20080101", "endDateStr": "20081120"},
		Groups: map[string][]map[string]string{"bars": {
			{"date": "20081119", "open": "1", "high": "2", "low": "0.5", "close": "1.5", "volume": "100", "wap": "1.2", "barCount": "3"},
			{"date": "20081120", "open": "1.5", "high": "2", "low": "1", "close": "1.75", "volume": "200", "wap": "1.6", "barCount": "4"},
		}}}
	frame, err := HistoricalData.Encode(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewFrameReader(bytes.NewReader(frame)).Next()
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Split(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 5+2*8 {
		t.Fatalf("%d fields, want 21", len(fs))
	}
	got, ok, err := Decode(Incoming, fs)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if got.Get("itemCount") != "2" || got.Groups["bars"][1]["close"] != "1.75" {
		t.Fatalf("decoded %v %v", got.Values, got.Groups)
	}
	// One field fewer is a count error naming the missing field.
	_, err = HistoricalData.Decode(fs[:len(fs)-1])
	var ce *CountError
	if !errors.As(err, &ce) || ce.Missing != "barCount" {
		t.Fatalf("short message: %v", err)
	}
	// One more is a count error too.
	_, err = HistoricalData.Decode(append(fs, []byte("x")))
	if !errors.As(err, &ce) {
		t.Fatalf("long message: %v", err)
	}
}

func TestEncodeRefusesUnknownFieldsAndWrongConstants(t *testing.T) {
	if _, err := ReqIDs.Encode(nil, Msg{Values: map[string]string{"numIdz": "1"}}); err == nil {
		t.Error("unknown field accepted")
	}
	if _, err := ReqIDs.Encode(nil, Msg{Values: map[string]string{"version": "2"}}); err == nil {
		t.Error("wrong version accepted")
	}
	if _, err := ReqMktData.Encode(nil, Msg{Values: map[string]string{"reqId": "1", "secType": "STK"},
		Groups: map[string][]map[string]string{"comboLegs": {{"conId": "1"}}}}); err != nil {
		t.Errorf("groups for an absent conditional block should be ignored: %v", err)
	}
}

func TestDecodeChecksKinds(t *testing.T) {
	fs, _ := Split([]byte("1\x006\x00x\x001\x00187.5\x00100\x000\x00"), nil)
	_, err := TickPrice.Decode(fs)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "reqId" || !strings.Contains(err.Error(), "tickPrice.reqId") {
		t.Fatalf("bad reqId: %v", err)
	}
}

func TestFieldCountsAtV178(t *testing.T) {
	// Field counts for a stock, from reference/ibkr.md §2.3.
	for l, want := range map[*Layout]int{ReqMktData: 20, ReqContractDetails: 19, ReqHistoricalData: 23, TickPrice: 7, Position: 16, ExecDetails: 32} {
		vals := map[string]string{}
		if l.has("secType") {
			vals["secType"] = "STK"
		}
		frame, err := l.Encode(nil, Msg{Values: vals})
		if err != nil {
			t.Fatal(l.Name, err)
		}
		fs, err := Split(frame[4:], nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != want {
			t.Errorf("%s: %d fields, want %d", l.Name, len(fs), want)
		}
		if _, err := l.Decode(fs); err != nil {
			t.Errorf("%s: own encoding does not decode: %v", l.Name, err)
		}
	}
}

func TestTablesIndexEveryLayout(t *testing.T) {
	for dir, tab := range map[Direction]map[int]*Layout{Outgoing: Out, Incoming: In} {
		for idv, l := range tab {
			if l.Dir != dir || l.ID != idv || l.Fields[0].Default == "" {
				t.Errorf("%s %d: layout %s misfiled", dir, idv, l.Name)
			}
		}
	}
}

func TestDecodeRefusesGroupCountsBeyondTheMessage(t *testing.T) {
	// historicalData claiming 8 million bars in a 5-field message.
	fs, _ := Split([]byte("17\x001\x00a\x00b\x008000000\x00"), nil)
	var fe *FieldError
	if _, err := HistoricalData.Decode(fs); !errors.As(err, &fe) || fe.Field != "itemCount" {
		t.Fatalf("huge count: %v, want a FieldError on itemCount", err)
	}
}

func TestEncodeRefusesNUL(t *testing.T) {
	if _, err := CancelOrder.Encode(nil, Msg{Values: map[string]string{"orderId": "1", "manualOrderCancelTime": "a\x00b"}}); err == nil {
		t.Error("a value with a NUL byte was encoded")
	}
}
