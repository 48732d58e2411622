package ibkr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

func split(t testing.TB, frame []byte) [][]byte {
	t.Helper()
	fs, err := wire.Split(frame[4:], nil)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func encIn(t testing.TB, l *wire.Layout, vals map[string]string) []byte {
	t.Helper()
	b, err := l.Encode(nil, wire.Msg{Values: vals})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeTickPrice(t *testing.T) {
	f := split(t, encIn(t, wire.TickPrice, map[string]string{"reqId": "42", "tickType": "1", "price": "251.37", "size": "300", "attrMask": "0"}))
	id, field, price, size, err := decodeTickPrice(f)
	if err != nil {
		t.Fatal(err)
	}
	if id != 42 || field != TickBid || price.String() != "251.37" || size.String() != "300" {
		t.Errorf("got id=%d field=%d price=%s size=%s", id, field, price, size)
	}
	// Unset and "no data" prices.
	for _, p := range []string{"1.7976931348623157E308", "-1", "-1.0", "", "nan"} {
		f := split(t, encIn(t, wire.TickPrice, map[string]string{"reqId": "1", "tickType": "4", "price": p, "size": "0"}))
		_, _, price, _, err := decodeTickPrice(f)
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		var r rawQuote
		r.apply(TickLast, price, wire.Number{})
		if q := r.quote("X", 0); q.Last.Valid {
			t.Errorf("price %q read as %s, want absent", p, q.Last.Decimal)
		}
	}
	if _, _, _, _, err := decodeTickPrice(f[:5]); err == nil {
		t.Error("short tickPrice accepted")
	}
	if _, _, _, _, err := decodeTickPrice(split(t, encIn(t, wire.TickPrice, map[string]string{"reqId": "x1", "tickType": "1"}))); err == nil {
		t.Error("bad reqId accepted")
	}
	fs := split(t, encIn(t, wire.TickSize, map[string]string{"reqId": "42", "tickType": "8", "size": "12.5"}))
	id, field, sz, err := decodeTickSize(fs)
	if err != nil || id != 42 || field != TickVolume || sz.String() != "12.5" {
		t.Errorf("tickSize: id=%d field=%d size=%s err=%v", id, field, sz, err)
	}
}

func TestDecodeTickPriceAllocs(t *testing.T) {
	f := split(t, encIn(t, wire.TickPrice, map[string]string{"reqId": "42", "tickType": "2", "price": "251.38", "size": "200", "attrMask": "1"}))
	n := testing.AllocsPerRun(1000, func() {
		if _, _, _, _, err := decodeTickPrice(f); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("decodeTickPrice allocates %.1f times per message", n)
	}
}

func TestApplyTickDelayedAndSizes(t *testing.T) {
	var r rawQuote
	num := func(s string) wire.Number { n, _ := wire.ParseNumber([]byte(s)); return n }
	r.apply(TickDelayedBid, num("10.5"), num("3"))
	r.apply(sizeTickFor(TickDelayedBid), wire.Number{}, num("3"))
	r.apply(TickDelayedClose, num("10.25"), wire.Number{})
	r.apply(TickVolume, wire.Number{}, num("1000"))
	q := r.quote("X", 0)
	if !q.Delayed || q.Bid.Decimal.String() != "10.5" || q.BidSize.Decimal.String() != "3" || q.Close.Decimal.String() != "10.25" || q.Volume.Decimal.String() != "1000" {
		t.Errorf("quote %+v", q)
	}
	if q.Ask.Valid || q.Last.Valid {
		t.Error("ticks never sent read as valid")
	}
}

func TestParseTimes(t *testing.T) {
	cases := []struct {
		in     string
		want   time.Time
		isDate bool
	}{
		{"20260313", time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC), true},
		{"1773435600", time.Unix(1773435600, 0).UTC(), false},
		{"20260313 15:30:00", time.Date(2026, 3, 13, 15, 30, 0, 0, time.UTC), false},
		{"20260313  15:30:00", time.Date(2026, 3, 13, 15, 30, 0, 0, time.UTC), false},
		{"20260313-15:30:00", time.Date(2026, 3, 13, 15, 30, 0, 0, time.UTC), false},
	}
	for _, tc := range cases {
		got, isDate, err := parseBarTime(tc.in)
		if err != nil || !got.Equal(tc.want) || isDate != tc.isDate {
			t.Errorf("parseBarTime(%q) = %v, %v, %v; want %v, %v", tc.in, got, isDate, err, tc.want, tc.isDate)
		}
	}
	if ny, err := time.LoadLocation("US/Eastern"); err == nil {
		got, err := parseIBTime("20260313 10:00:00 US/Eastern")
		if want := time.Date(2026, 3, 13, 10, 0, 0, 0, ny); err != nil || !got.Equal(want) {
			t.Errorf("zoned time = %v, %v; want %v", got, err, want)
		}
	}
	for _, zoned := range []string{"20260313 10:00:00 US/Eastern", "20260313 10:00:00 America/New_York", "20260313 10:00:00 EST",
		"20260313 10:00:00 EDT", "20260313 09:00:00 US/Central", "20260313 09:00:00 CST", "20260313 09:00:00 CDT",
		"20260313 07:00:00 US/Pacific", "20260313 07:00:00 PST", "20260313 14:00:00 UTC", "20260313 14:00:00 GMT",
		"20260313 15:00:00 MET", "20260313 15:00:00 Europe/Zurich", "20260313 15:00:00 Central European Standard Time",
		"20260313 22:00:00 Asia/Hong_Kong", "20260313 22:00:00 HKT"} {
		got, err := parseIBTime(zoned)
		if want := time.Date(2026, 3, 13, 14, 0, 0, 0, time.UTC); err != nil || !got.Equal(want) {
			t.Errorf("parseIBTime(%q) = %v, %v; want %v", zoned, got, err, want)
		}
	}
	if got, err := parseIBTime("20260313 10:00:00 Mars/Olympus"); err == nil || !strings.Contains(err.Error(), "Mars/Olympus") {
		t.Errorf("unknown zone = %v, %v; want an error naming it", got, err)
	}
	if _, _, err := parseBarTime("yesterday"); err == nil {
		t.Error("parseBarTime accepted nonsense")
	}
}

func TestClassify(t *testing.T) {
	want := map[Class][]int{
		Info:          {2100, 2104, 2106, 2158, 2199, 10167, 399, 2174, 165},
		Connectivity:  {1100, 1101, 1102, 1300},
		RequestFailed: {200, 162, 321, 322, 354, 10089, 10168, 10197, 201, 103, 110, 320, 326, 10147},
		OrderNotice:   {202},
	}
	for class, codes := range want {
		for _, code := range codes {
			if got := Classify(code); got != class {
				t.Errorf("Classify(%d) = %v, want %v", code, got, class)
			}
		}
	}
}

func TestStepErrors(t *testing.T) {
	dial := &StepError{Step: "dial", Addr: "127.0.0.1:4002", Err: errors.New("connection refused")}
	if !errors.Is(dial, ErrUnreachable) {
		t.Error("dial failure is not ErrUnreachable")
	}
	if msg := dial.Error(); !bytes.Contains([]byte(msg), []byte("is IB Gateway running and API enabled on 127.0.0.1:4002?")) {
		t.Errorf("dial message lacks the fix: %s", msg)
	}
	ver := &StepError{Step: "handshake", Addr: "x", Err: fmt.Errorf("%w: the server answered 187", ErrVersion)}
	if errors.Is(ver, ErrUnreachable) || !errors.Is(ver, ErrVersion) {
		t.Error("version mismatch: wrong sentinels")
	}
	if !bytes.Contains([]byte(ver.Error()), []byte(wire.SupportedGateways)) {
		t.Errorf("version message does not name the gateways: %s", ver)
	}
	req := &StepError{Step: "request positions", Err: context.DeadlineExceeded}
	if errors.Is(req, ErrUnreachable) || !errors.Is(req, context.DeadlineExceeded) {
		t.Error("request timeout: wrong sentinels")
	}
	inUse := &StepError{Step: "bootstrap", Err: errClientIDInUseAPI{newAPIError(-1, 326, "in use")}}
	var api *APIError
	if !errors.Is(inUse, errClientIDInUse) || !errors.As(inUse, &api) || api.Code != 326 {
		t.Error("326 is not recognisable")
	}
}

// fakeClock advances only when told; Sleep returns once the clock has
// passed the wake time (or wake fires).
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
	ch  chan struct{}
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC), ch: make(chan struct{})}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	close(f.ch)
	f.ch = make(chan struct{})
	f.mu.Unlock()
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	f.mu.Lock()
	until := f.now.Add(d)
	f.mu.Unlock()
	for {
		f.mu.Lock()
		if d > 0 && !f.now.Before(until) {
			f.mu.Unlock()
			return nil
		}
		ch := f.ch
		f.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
			return nil
		case <-ch:
		}
	}
}

func TestBucket(t *testing.T) {
	clk := newFakeClock()
	b := newBucket(clk, 45)
	for i := range bucketBurst {
		if d := b.reserve(clk.Now()); d != 0 {
			t.Fatalf("message %d of the burst waits %v", i, d)
		}
	}
	// Then one every 1/45 s, queued in order.
	for i := 1; i <= 3; i++ {
		want := time.Duration(float64(i) / 45 * float64(time.Second))
		if d := b.reserve(clk.Now()); (d - want).Abs() > time.Millisecond {
			t.Errorf("queued message %d waits %v, want %v", i, d, want)
		}
	}
	// No one-second window carries more than 49 messages.
	clk.Advance(time.Minute)
	b = newBucket(clk, 45)
	start := clk.Now()
	var sends []time.Time
	for range 200 {
		d := b.reserve(clk.Now())
		sends = append(sends, clk.Now().Add(d))
	}
	for i := range sends {
		n := 0
		for j := i; j < len(sends) && sends[j].Sub(sends[i]) < time.Second; j++ {
			n++
		}
		if n > 49 {
			t.Fatalf("%d messages in the second from %v", n, sends[i].Sub(start))
		}
	}
}

func TestPacer(t *testing.T) {
	clk := newFakeClock()
	p := newPacer(clk)
	ctx := context.Background()
	bars := []Bar{{Date: "2026-01-02"}}

	// An identical request within 15 s is served from the first's result.
	if _, cached, err := p.acquire(ctx, "A|1Y", "A", 1, false, nil); err != nil || cached {
		t.Fatal(cached, err)
	}
	p.release("A|1Y", bars, true)
	clk.Advance(5 * time.Second)
	got, cached, err := p.acquire(ctx, "A|1Y", "A", 1, false, nil)
	if err != nil || !cached || len(got) != 1 {
		t.Fatalf("identical request: cached=%v bars=%d err=%v", cached, len(got), err)
	}
	// After 15 s it is sent again.
	clk.Advance(11 * time.Second)
	if _, cached, _ := p.acquire(ctx, "A|1Y", "A", 1, false, nil); cached {
		t.Fatal("stale result served after 15 s")
	}
	p.release("A|1Y", nil, false)

	// An identical request whose first failed waits out the 15 s.
	if d, _, _ := p.delay(clk.Now(), "A|1Y", "A", false); d != 15*time.Second+paceMargin {
		t.Errorf("identical after failure waits %v, want 15s+margin", d)
	}

	// Five requests for one contract within 2 s, then the sixth waits.
	clk.Advance(time.Minute)
	for i := range 5 {
		if d, _, _ := p.delay(clk.Now(), fmt.Sprint("B|", i), "B", false); d != 0 {
			t.Fatalf("request %d waits %v", i, d)
		}
		p.acquire(ctx, fmt.Sprint("B|", i), "B", 1, false, nil)
		p.release(fmt.Sprint("B|", i), nil, true)
		clk.Advance(100 * time.Millisecond)
	}
	if d, _, _ := p.delay(clk.Now(), "B|5", "B", false); d <= 0 || d > 2*time.Second+paceMargin {
		t.Errorf("sixth request for B waits %v, want (0, 2s+margin]", d)
	}
	if d, _, _ := p.delay(clk.Now(), "C|0", "C", false); d != 0 {
		t.Errorf("another contract waits %v", d)
	}

	// A waiting acquire proceeds when the clock passes the window.
	done := make(chan error)
	go func() { _, _, err := p.acquire(ctx, "B|5", "B", 1, false, nil); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("sixth request went at once (%v)", err)
	case <-time.After(20 * time.Millisecond):
	}
	clk.Advance(2*time.Second + paceMargin)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	p.release("B|5", nil, true)

	// 60 in 10 minutes, for bars of 30 s or less only.
	clk.Advance(time.Hour)
	p = newPacer(clk)
	for i := range 60 {
		p.acquire(ctx, fmt.Sprint("K|", i), fmt.Sprint("K", i), 1, true, nil)
		p.release(fmt.Sprint("K|", i), nil, true)
		clk.Advance(time.Second)
	}
	for i := range 100 { // daily bars do not count, nor wait
		if d, _, _ := p.delay(clk.Now(), fmt.Sprint("D|", i), fmt.Sprint("D", i), false); d != 0 {
			t.Fatalf("daily request %d after 60 small ones waits %v", i, d)
		}
		p.acquire(ctx, fmt.Sprint("D|", i), fmt.Sprint("D", i), 1, false, nil)
		p.release(fmt.Sprint("D|", i), nil, true)
	}
	d, why, _ := p.delay(clk.Now(), "K|60", "K60", true)
	if d != 10*time.Minute-60*time.Second+paceMargin || why != paceWhyTotal {
		t.Errorf("61st small-bar request in 10 min waits %v (%s), want 9m0s+margin", d, why)
	}
	// The wait is reported before it starts, and one past the deadline
	// fails at once.
	var waits []time.Duration
	var reasons []string
	dctx, dcancel := context.WithTimeout(ctx, time.Minute)
	defer dcancel()
	start := time.Now()
	if _, _, err := p.acquire(dctx, "K|60", "K60", 1, true, nil); !errors.Is(err, context.DeadlineExceeded) ||
		!strings.Contains(err.Error(), "30 s or less") || time.Since(start) > time.Second {
		t.Errorf("acquire with a 1-minute deadline before a 9-minute wait = %v after %v", err, time.Since(start))
	}
	done2 := make(chan error)
	heard := make(chan struct{}, 1)
	go func() {
		_, _, err := p.acquire(ctx, "K|60", "K60", 1, true, func(w time.Duration, r string) {
			waits, reasons = append(waits, w), append(reasons, r)
			heard <- struct{}{}
		})
		done2 <- err
	}()
	<-heard
	var err2 error
wait:
	for {
		clk.Advance(d) // until the sleeping acquire sees it
		select {
		case err2 = <-done2:
			break wait
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err2 != nil || len(waits) != 1 || waits[0] != d || reasons[0] != paceWhyTotal {
		t.Errorf("acquire after the wait = %v; OnPacingWait heard %v %q", err2, waits, reasons)
	}
	p.release("K|60", nil, true)
	if !smallBars("30 secs") || !smallBars("1 secs") || smallBars("1 min") || smallBars("1 day") || smallBars("60 secs") {
		t.Error("smallBars")
	}

	// 50 open: the 51st waits for a release, and ctx ends the wait.
	clk.Advance(time.Hour)
	p = newPacer(clk)
	p.sent = nil
	p.open = paceOpenMax
	if _, _, ok := p.delay(clk.Now(), "Z", "Z", false); ok {
		t.Error("51st open request allowed")
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, _, err := p.acquire(cctx, "Z", "Z", 1, false, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("acquire past ctx: %v", err)
	}
}

// BenchmarkDecodeTickPrice reads tickPrice frames from a byte stream the
// way the reader goroutine does: FrameReader, Split, positional decode.
func BenchmarkDecodeTickPrice(b *testing.B) {
	var stream []byte
	const perStream = 4096
	for i := range perStream {
		stream = append(stream, encIn(b, wire.TickPrice, map[string]string{
			"reqId": fmt.Sprint(1000 + i%7), "tickType": fmt.Sprint([]int{1, 2, 4}[i%3]),
			"price": decimal.New(25137+int64(i%50), -2).String(), "size": fmt.Sprint(100 + i%9), "attrMask": "0",
		})...)
	}
	rd := bytes.NewReader(stream)
	fr := wire.NewFrameReader(rd)
	var fields [][]byte
	var sink int64
	b.SetBytes(int64(len(stream) / perStream))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		payload, err := fr.Next()
		if err == io.EOF {
			rd.Reset(stream)
			payload, err = fr.Next()
		}
		if err != nil {
			b.Fatal(err)
		}
		fields, err = wire.Split(payload, fields)
		if err != nil {
			b.Fatal(err)
		}
		id, field, price, size, err := decodeTickPrice(fields)
		if err != nil {
			b.Fatal(err)
		}
		sink += id + int64(field) + price.Coef + size.Coef
	}
	b.StopTimer()
	if sink == 0 {
		b.Fatal("nothing decoded")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
