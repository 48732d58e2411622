package ibkr_test

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/ibkr/sim"
	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

const acct = "DU1234567"

// prices is a year of synthetic weekday bars for a few symbols, ending on
// Friday 2026-03-13.
func prices() map[string][]sim.Bar {
	out := map[string][]sim.Bar{}
	base := map[string]int64{"VTI": 25000, "SPY": 56000, "BND": 7300}
	for sym, p := range base {
		var bars []sim.Bar
		d := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
		for i := 0; !d.After(time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
			if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
				continue
			}
			c := p + int64(i%17)*10 - int64(i%5)*15
			o := c - 20
			bars = append(bars, sim.Bar{Date: d.Format(time.DateOnly),
				Open: decimal.New(o, -2), High: decimal.New(c+80, -2), Low: decimal.New(o-80, -2), Close: decimal.New(c, -2),
				Volume: decimal.NewFromInt(1_000_000 + int64(i)*1000)})
			i++
		}
		out[sym] = bars
	}
	return out
}

type simOpt func(*sim.Config)

func withFaults(t *testing.T, fs ...string) simOpt {
	return func(c *sim.Config) {
		for _, s := range fs {
			f, err := sim.ParseFault(s)
			if err != nil {
				t.Fatal(err)
			}
			c.Faults = append(c.Faults, f)
		}
	}
}

func startSim(t *testing.T, opts ...simOpt) (*sim.Server, string) {
	t.Helper()
	cfg := sim.Config{
		Accounts: []sim.Account{{ID: acct, Cash: decimal.NewFromInt(100000),
			Positions: []sim.Position{{Symbol: "VTI", Quantity: decimal.NewFromInt(10), AvgCost: decimal.RequireFromString("200.5")}}}},
		Prices: prices(), AsOf: "2026-03-13", Seed: 7,
		Speed: 600, TickInterval: 20 * time.Millisecond,
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, addr
}

// clientConfig is generous with time: under -race -cpu 1 with every test
// in parallel a loopback handshake can take seconds. Tests of a timeout
// set their own short one.
func clientConfig(addr string) ibkr.Config {
	return ibkr.Config{
		Addr: addr, ClientID: 11,
		DialTimeout: 10 * time.Second, HandshakeTimeout: 10 * time.Second, BootstrapTimeout: 10 * time.Second,
		RequestTimeout: 10 * time.Second, ReconnectBackoff: 50 * time.Millisecond, CommissionWait: 200 * time.Millisecond,
	}
}

func dial(t *testing.T, cfg ibkr.Config) *ibkr.Client {
	t.Helper()
	c, err := ibkr.Dial(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSimBootstrap(t *testing.T) {
	t.Parallel()
	_, addr := startSim(t)
	c := dial(t, clientConfig(addr))
	if v := c.ServerVersion(); v != wire.ServerVersion {
		t.Errorf("ServerVersion = %d", v)
	}
	if got := c.Accounts(); len(got) != 1 || got[0] != acct {
		t.Errorf("Accounts = %v", got)
	}
	if c.ClientID() != 11 || c.ConnTime() == "" {
		t.Errorf("ClientID %d, ConnTime %q", c.ClientID(), c.ConnTime())
	}
	eventually(t, "three farm messages", func() bool { return len(c.FarmStatus()) == 3 })
	for _, f := range c.FarmStatus() {
		if f.Class != ibkr.Info {
			t.Errorf("farm message %d classed %v", f.Code, f.Class)
		}
	}
}

func TestSimVersionMismatch(t *testing.T) {
	t.Parallel()
	_, addr := startSim(t, func(c *sim.Config) { c.ServerVersion = 187 })
	_, err := ibkr.Dial(t.Context(), clientConfig(addr))
	if !errors.Is(err, ibkr.ErrVersion) {
		t.Fatalf("Dial = %v, want ErrVersion", err)
	}
	if errors.Is(err, ibkr.ErrUnreachable) {
		t.Error("a version mismatch is not unreachable")
	}
	if !strings.Contains(err.Error(), wire.SupportedGateways) || !strings.Contains(err.Error(), "187") {
		t.Errorf("message does not say what works: %v", err)
	}
}

func TestSimRequests(t *testing.T) {
	t.Parallel()
	srv, addr := startSim(t)
	c := dial(t, clientConfig(addr))
	ctx := t.Context()

	// The simulator answers with its market clock (AsOf 09:30 onwards).
	if tm, err := c.CurrentTime(ctx); err != nil || tm.Year() < 2026 || tm.Location() != time.UTC {
		t.Errorf("CurrentTime = %v, %v", tm, err)
	}
	if rtt, err := c.Ping(ctx); err != nil || rtt <= 0 {
		t.Errorf("Ping = %v, %v", rtt, err)
	}

	pos, err := c.Positions(ctx)
	if err != nil || len(pos) != 1 || pos[0].Contract.Symbol != "VTI" || !pos[0].Quantity.Equal(decimal.NewFromInt(10)) ||
		pos[0].AvgCost.String() != "200.5" || pos[0].Account != acct {
		t.Errorf("Positions = %+v, %v", pos, err)
	}
	// Twice in a row: the first was cancelled properly.
	if _, err := c.Positions(ctx); err != nil {
		t.Error(err)
	}

	for range 3 { // the Gateway allows two open summaries: each must be cancelled
		vals, err := c.AccountSummary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tags := map[string]string{}
		for _, v := range vals {
			tags[v.Tag] = v.Value
		}
		if tags["TotalCashValue"] != "100000.00" || tags["NetLiquidation"] == "" {
			t.Errorf("AccountSummary = %v", vals)
		}
	}

	cds, err := c.ContractDetails(ctx, ibkr.Contract{Symbol: "VTI"})
	if err != nil || len(cds) != 1 || cds[0].Contract.ConID == 0 || cds[0].LongName == "" || cds[0].TimeZoneID == "" ||
		!cds[0].MinTick.IsPositive() {
		t.Fatalf("ContractDetails = %+v, %v", cds, err)
	}

	q, err := c.Quote(ctx, ibkr.Contract{Symbol: "VTI"})
	if err != nil || !q.Bid.Valid || !q.Ask.Valid || !q.Last.Valid || !q.Close.Valid || q.Delayed ||
		q.Bid.Decimal.GreaterThan(q.Ask.Decimal) {
		t.Errorf("Quote = %+v, %v", q, err)
	}
	// By contract id too.
	if q2, err := c.Quote(ctx, ibkr.Contract{ConID: cds[0].Contract.ConID}); err != nil || !q2.Last.Valid {
		t.Errorf("Quote by conId = %+v, %v", q2, err)
	}

	end := time.Date(2026, 3, 13, 21, 0, 0, 0, time.UTC)
	daily := ibkr.HistoryRequest{Contract: ibkr.Contract{Symbol: "VTI"}, End: end, Duration: "1 M", BarSize: "1 day"}
	bars, err := c.HistoricalBars(ctx, daily)
	if err != nil || len(bars) < 15 {
		t.Fatalf("HistoricalBars daily = %d bars, %v", len(bars), err)
	}
	last := bars[len(bars)-1]
	if last.Date != "2026-03-13" || !last.Close.IsPositive() || last.High.LessThan(last.Low) {
		t.Errorf("last daily bar = %+v", last)
	}
	start := time.Now()
	again, err := c.HistoricalBars(ctx, daily)
	if err != nil || len(again) != len(bars) || time.Since(start) > time.Second {
		t.Errorf("identical request: %d bars, %v, took %v (want served from the last result)", len(again), err, time.Since(start))
	}
	intraday, err := c.HistoricalBars(ctx, ibkr.HistoryRequest{Contract: ibkr.Contract{Symbol: "SPY"}, End: end,
		Duration: "1 D", BarSize: "1 hour", WhatToShow: "MIDPOINT"})
	if err != nil || len(intraday) == 0 || intraday[0].Time.IsZero() || intraday[0].Date != "" {
		t.Errorf("HistoricalBars intraday = %+v, %v", intraday, err)
	}

	// Orders: a resting limit far below the market, cancelled.
	lmt, err := c.PlaceOrder(ctx, ibkr.Order{Contract: ibkr.Contract{Symbol: "VTI"}, Action: "BUY",
		Quantity: decimal.NewFromInt(1), Type: ibkr.Limit, LimitPrice: decimal.RequireFromString("100.00"), OrderRef: "req-lmt"})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := lmt.Wait(ctx, ibkr.StatusSubmitted); err != nil || st.PermID == 0 || st.Account != acct {
		t.Fatalf("LMT Wait = %+v, %v", st, err)
	}
	open, err := c.OpenOrders(ctx)
	if err != nil || len(open) != 1 || open[0].OrderRef != "req-lmt" || open[0].Status != ibkr.StatusSubmitted ||
		open[0].LimitPrice.Decimal.String() != "100" {
		t.Errorf("OpenOrders = %+v, %v", open, err)
	}
	if err := c.CancelOrder(ctx, lmt.State().OrderID); err != nil {
		t.Fatal(err)
	}
	if st, err := lmt.Wait(ctx); err != nil || st.Status != ibkr.StatusCancelled {
		t.Errorf("after cancel: %+v, %v", st, err)
	}
	var api *ibkr.APIError
	if err := c.CancelOrder(ctx, 999999); !errors.As(err, &api) || api.Code != 10147 {
		t.Errorf("cancel unknown order = %v, want IB error 10147", err)
	}

	// A market order fills, with its execution and commission.
	mkt, err := c.PlaceOrder(ctx, ibkr.Order{Account: acct, Contract: ibkr.Contract{Symbol: "VTI"}, Action: "BUY",
		Quantity: decimal.NewFromInt(2), Type: ibkr.Market, OrderRef: "req-mkt"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := mkt.Wait(ctx, ibkr.StatusFilled)
	if err != nil || !st.Filled.Equal(decimal.NewFromInt(2)) || !st.AvgFillPrice.IsPositive() {
		t.Fatalf("MKT Wait = %+v, %v", st, err)
	}
	eventually(t, "the fill's commission on the trade", func() bool {
		ex := mkt.State().Executions
		return len(ex) == 1 && ex[0].Commission != nil
	})
	execs, err := c.Executions(ctx, ibkr.ExecFilter{Symbol: "VTI"})
	if err != nil || len(execs) != 1 {
		t.Fatalf("Executions = %+v, %v", execs, err)
	}
	x := execs[0]
	if x.Side != "BOT" || !x.Shares.Equal(decimal.NewFromInt(2)) || x.OrderRef != "req-mkt" || x.Commission == nil ||
		x.Commission.IsZero() || x.CommissionCurrency != "USD" || x.RealizedPNL != nil || x.Time.IsZero() {
		t.Errorf("execution = %+v", x)
	}
	if none, err := c.Executions(ctx, ibkr.ExecFilter{Symbol: "BND"}); err != nil || len(none) != 0 {
		t.Errorf("Executions BND = %+v, %v", none, err)
	}
	if got, found, err := c.Reconcile(ctx, "req-mkt"); err != nil || !found || got.Status != ibkr.StatusFilled {
		t.Errorf("Reconcile(req-mkt) = %+v, %v, %v", got, found, err)
	}
	if _, found, err := c.Reconcile(ctx, "never-placed"); err != nil || found {
		t.Errorf("Reconcile(never-placed) = %v, %v", found, err)
	}
	// The same orderRef again is refused.
	if _, err := c.PlaceOrder(ctx, ibkr.Order{Contract: ibkr.Contract{Symbol: "VTI"}, Action: "BUY",
		Quantity: decimal.NewFromInt(2), Type: ibkr.Market, OrderRef: "req-mkt"}); !errors.Is(err, ibkr.ErrDuplicateOrderRef) {
		t.Errorf("second order with the same ref: %v", err)
	}

	// STP and STP LMT rest (stop far above the market for a buy), then a
	// global cancel ends them.
	stp, err := c.PlaceOrder(ctx, ibkr.Order{Contract: ibkr.Contract{Symbol: "SPY"}, Action: "BUY", Quantity: decimal.NewFromInt(1),
		Type: ibkr.Stop, StopPrice: decimal.RequireFromString("900"), OrderRef: "req-stp"})
	if err != nil {
		t.Fatal(err)
	}
	stpl, err := c.PlaceOrder(ctx, ibkr.Order{Contract: ibkr.Contract{Symbol: "SPY"}, Action: "BUY", Quantity: decimal.NewFromInt(1),
		Type: ibkr.StopLimit, StopPrice: decimal.RequireFromString("900"), LimitPrice: decimal.RequireFromString("901"), OrderRef: "req-stplmt", TIF: ibkr.TIFGTC})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []*ibkr.Trade{stp, stpl} {
		if _, err := tr.Wait(ctx, ibkr.StatusPreSubmitted); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.GlobalCancel(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tr := range []*ibkr.Trade{stp, stpl} {
		if st, err := tr.Wait(ctx, ibkr.StatusCancelled); err != nil {
			t.Errorf("%s after global cancel: %+v, %v", st.OrderRef, st, err)
		}
	}
	if n := len(srv.Orders()); n != 4 {
		t.Errorf("simulator saw %d orders, want 4", n)
	}
}

func TestSimOrderRefusals(t *testing.T) {
	t.Parallel()
	_, addr := startSim(t, func(c *sim.Config) {
		c.Accounts = []sim.Account{{ID: acct, Cash: decimal.NewFromInt(1000)}, {ID: "U7654321", Cash: decimal.NewFromInt(1000)}}
	})
	c := dial(t, clientConfig(addr))
	ctx := t.Context()
	o := ibkr.Order{Account: "U7654321", Contract: ibkr.Contract{Symbol: "VTI"}, Action: "BUY", Quantity: decimal.NewFromInt(1),
		Type: ibkr.Market, OrderRef: "live-1"}
	if _, err := c.PlaceOrder(ctx, o); !errors.Is(err, ibkr.ErrLiveAccount) {
		t.Errorf("live account order = %v, want ErrLiveAccount", err)
	}
	o.Account = ""
	if _, err := c.PlaceOrder(ctx, o); err == nil {
		t.Error("order without an account accepted with two managed accounts")
	}
	// The Gateway's rejection (too little cash) ends the trade with its error.
	o.Account, o.Quantity, o.OrderRef = acct, decimal.NewFromInt(1000), "too-big"
	tr, err := c.PlaceOrder(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	st, err := tr.Wait(ctx)
	var api *ibkr.APIError
	if !errors.As(err, &api) || api.Code != 201 || st.Status != ibkr.StatusInactive {
		t.Errorf("rejected order: %+v, %v", st, err)
	}
	// A rejected, unfilled order's ref may be used again.
	o.Quantity = decimal.NewFromInt(1)
	if tr, err := c.PlaceOrder(ctx, o); err != nil {
		t.Errorf("retry after rejection: %v", err)
	} else if _, err := tr.Wait(ctx, ibkr.StatusFilled); err != nil {
		t.Error(err)
	}
}

func TestSimFaults(t *testing.T) {
	t.Parallel()
	vti := ibkr.Contract{Symbol: "VTI"}
	t.Run("unknown-symbol", func(t *testing.T) {
		t.Parallel()
		_, addr := startSim(t, withFaults(t, "unknown-symbol=VTI"))
		c := dial(t, clientConfig(addr))
		var api *ibkr.APIError
		if _, err := c.Quote(t.Context(), vti); !errors.As(err, &api) || api.Code != 200 || api.Class != ibkr.RequestFailed {
			t.Errorf("Quote = %v, want IB error 200", err)
		}
		if _, err := c.ContractDetails(t.Context(), vti); !errors.As(err, &api) || api.Code != 200 {
			t.Errorf("ContractDetails = %v, want IB error 200", err)
		}
		if _, err := c.HistoricalBars(t.Context(), ibkr.HistoryRequest{Contract: vti}); !errors.As(err, &api) || api.Code != 200 {
			t.Errorf("HistoricalBars = %v, want IB error 200", err)
		}
		if q, err := c.Quote(t.Context(), ibkr.Contract{Symbol: "SPY"}); err != nil || !q.Last.Valid {
			t.Errorf("other symbols still work: %+v, %v", q, err)
		}
	})
	t.Run("delayed", func(t *testing.T) {
		t.Parallel()
		_, addr := startSim(t, withFaults(t, "delayed"))
		c := dial(t, clientConfig(addr))
		q, err := c.Quote(t.Context(), vti)
		if err != nil || !q.Delayed || !q.Last.Valid {
			t.Errorf("Quote = %+v, %v; want delayed data", q, err)
		}
	})
	t.Run("delayed=deny", func(t *testing.T) {
		t.Parallel()
		_, addr := startSim(t, withFaults(t, "delayed=deny"))
		c := dial(t, clientConfig(addr))
		// 354 → switch to delayed (type 3) and retry once → 10168.
		var api *ibkr.APIError
		if _, err := c.Quote(t.Context(), vti); !errors.As(err, &api) || api.Code != 10168 {
			t.Errorf("Quote = %v, want IB error 10168 after the delayed retry", err)
		}
	})
	t.Run("split-frames and delay", func(t *testing.T) {
		t.Parallel()
		_, addr := startSim(t, withFaults(t, "split-frames", "delay=30ms"))
		c := dial(t, clientConfig(addr))
		if _, err := c.Positions(t.Context()); err != nil {
			t.Error(err)
		}
		if q, err := c.Quote(t.Context(), vti); err != nil || !q.Last.Valid {
			t.Errorf("Quote = %+v, %v", q, err)
		}
	})
	t.Run("rate-limit", func(t *testing.T) {
		t.Parallel()
		_, addr := startSim(t, withFaults(t, "rate-limit"))
		c := dial(t, clientConfig(addr))
		// 70 requests at once: the token bucket keeps them under 50/s, so no
		// error 100 and no disconnect.
		var wg sync.WaitGroup
		errs := make(chan error, 70)
		for range 70 {
			wg.Go(func() {
				if _, err := c.CurrentTime(t.Context()); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if _, err := c.Positions(t.Context()); err != nil {
			t.Errorf("after the burst: %v", err)
		}
	})
	t.Run("pacing", func(t *testing.T) {
		t.Parallel()
		_, addr := startSim(t, withFaults(t, "pacing"))
		c := dial(t, clientConfig(addr))
		end := time.Date(2026, 3, 13, 21, 0, 0, 0, time.UTC)
		// Six different requests for one contract: the sixth waits out the
		// 2-second window rather than meeting 162.
		for _, d := range []string{"1 W", "2 W", "3 W", "1 M", "2 M", "3 M"} {
			if _, err := c.HistoricalBars(t.Context(), ibkr.HistoryRequest{Contract: vti, End: end, Duration: d, BarSize: "1 day"}); err != nil {
				t.Errorf("%s: %v", d, err)
			}
		}
		// An identical request is answered from the last result.
		if _, err := c.HistoricalBars(t.Context(), ibkr.HistoryRequest{Contract: vti, End: end, Duration: "3 M", BarSize: "1 day"}); err != nil {
			t.Error(err)
		}
	})
	t.Run("connectivity", func(t *testing.T) {
		t.Parallel()
		for _, code := range []string{"1100", "1101", "1102"} {
			_, addr := startSim(t, withFaults(t, "connectivity="+code))
			c := dial(t, clientConfig(addr))
			if _, err := c.Positions(t.Context()); err != nil {
				t.Errorf("after %s: %v", code, err)
			}
		}
	})
	t.Run("client-id-in-use", func(t *testing.T) {
		t.Parallel()
		_, addr := startSim(t, withFaults(t, "client-id-in-use=11"))
		c := dial(t, clientConfig(addr))
		if c.ClientID() != 12 {
			t.Errorf("ClientID = %d, want 12 after 326 on 11", c.ClientID())
		}
		// A second client asking for 11 goes on to 13.
		c2 := dial(t, clientConfig(addr))
		if c2.ClientID() != 13 {
			t.Errorf("second ClientID = %d, want 13", c2.ClientID())
		}
		cfg := clientConfig(addr)
		cfg.ClientIDRetries = -1
		_, err := ibkr.Dial(t.Context(), cfg)
		var se *ibkr.StepError
		var api *ibkr.APIError
		if !errors.As(err, &se) || se.Step != "bootstrap" || !errors.As(err, &api) || api.Code != 326 {
			t.Errorf("without retries: %v", err)
		}
	})
	t.Run("disconnect-after", func(t *testing.T) {
		t.Parallel()
		// Closed after managedAccounts, before nextValidId, every time: a
		// close before readiness, retried with the next ids, then reported.
		_, addr := startSim(t, withFaults(t, "disconnect-after=1"))
		cfg := clientConfig(addr)
		cfg.ClientIDRetries = 2
		_, err := ibkr.Dial(t.Context(), cfg)
		var se *ibkr.StepError
		if !errors.As(err, &se) || se.Step != "bootstrap" || !errors.Is(err, ibkr.ErrUnreachable) {
			t.Errorf("Dial = %v, want a bootstrap StepError", err)
		}
	})
}

// listen starts a TCP listener whose connections serve runs; it returns
// the address.
func listen(t *testing.T, serve func(n int, nc net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for n := 0; ; n++ {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer nc.Close()
				serve(n, nc)
			})
		}
	})
	return l.Addr().String()
}

// readHello reads the client's "API\0" and version frame.
func readHello(t *testing.T, nc net.Conn) bool {
	prefix := make([]byte, 4)
	if _, err := io.ReadFull(nc, prefix); err != nil || string(prefix) != wire.HelloPrefix {
		return false
	}
	_, err := wire.NewFrameReader(nc).Next()
	return err == nil
}

// forward pipes nc to the simulator at addr until either side closes.
func forward(nc net.Conn, addr string, first []byte) {
	up, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	defer up.Close()
	if len(first) > 0 {
		if _, err := nc.Write(first); err != nil {
			return
		}
	}
	done := make(chan struct{})
	go func() {
		io.Copy(up, nc)
		up.Close()
		close(done)
	}()
	io.Copy(nc, up)
	nc.Close()
	<-done
}

func TestDialFailures(t *testing.T) {
	t.Parallel()
	t.Run("closed port", func(t *testing.T) {
		t.Parallel()
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := l.Addr().String()
		l.Close()
		start := time.Now()
		_, err := ibkr.Dial(t.Context(), clientConfig(addr))
		var se *ibkr.StepError
		if !errors.As(err, &se) || se.Step != "dial" || !errors.Is(err, ibkr.ErrUnreachable) {
			t.Fatalf("Dial = %v, want a dial StepError", err)
		}
		if !strings.Contains(err.Error(), "refused") || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the cause is lost: %v", err)
		}
		if !strings.Contains(err.Error(), "is IB Gateway running and API enabled on "+addr) || time.Since(start) > time.Second {
			t.Errorf("%v (after %v)", err, time.Since(start))
		}
	})
	t.Run("silent listener", func(t *testing.T) {
		t.Parallel()
		addr := listen(t, func(_ int, nc net.Conn) { io.Copy(io.Discard, nc) })
		cfg := clientConfig(addr)
		cfg.HandshakeTimeout = 200 * time.Millisecond
		start := time.Now()
		_, err := ibkr.Dial(t.Context(), cfg)
		var se *ibkr.StepError
		if !errors.As(err, &se) || se.Step != "handshake" || !errors.Is(err, ibkr.ErrUnreachable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Dial = %v, want a handshake StepError", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("no bootstrap", func(t *testing.T) {
		t.Parallel()
		addr := listen(t, func(_ int, nc net.Conn) {
			if !readHello(t, nc) {
				return
			}
			nc.Write(wire.ServerHello(wire.ServerVersion, "20260313 09:30:00 UTC"))
			// managedAccounts, and never nextValidId (ibga #24).
			b, _ := wire.ManagedAccts.Encode(nil, wire.Msg{Values: map[string]string{"accountsList": acct}})
			nc.Write(b)
			io.Copy(io.Discard, nc)
		})
		cfg := clientConfig(addr)
		cfg.BootstrapTimeout = 200 * time.Millisecond
		_, err := ibkr.Dial(t.Context(), cfg)
		var se *ibkr.StepError
		if !errors.As(err, &se) || se.Step != "bootstrap" || !strings.Contains(err.Error(), "nextValidId") || !errors.Is(err, ibkr.ErrUnreachable) {
			t.Fatalf("Dial = %v, want a bootstrap StepError naming nextValidId", err)
		}
	})
	t.Run("ctx cancelled", func(t *testing.T) {
		t.Parallel()
		addr := listen(t, func(_ int, nc net.Conn) { io.Copy(io.Discard, nc) })
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		if _, err := ibkr.Dial(ctx, clientConfig(addr)); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 500*time.Millisecond {
			t.Errorf("Dial = %v after %v", err, time.Since(start))
		}
	})
}

func TestEarlyCloseRetriesNextClientID(t *testing.T) {
	t.Parallel()
	_, simAddr := startSim(t)
	// The first connection answers the handshake, reads startApi and
	// closes (how a Gateway refuses a client id without saying 326); the
	// next ones reach the simulator. A stray unknown message arrives before
	// the server version on those, which the client must skip.
	noise, _ := wire.TickReqParams.Encode(nil, wire.Msg{Values: map[string]string{"tickerId": "1"}})
	unknown := wire.AppendFrame(nil, []byte("999\x001\x00news\x00"))
	addr := listen(t, func(n int, nc net.Conn) {
		if n == 0 {
			if readHello(t, nc) {
				nc.Write(wire.ServerHello(wire.ServerVersion, "20081120 09:30:00 EST"))
				wire.NewFrameReader(nc).Next()
			}
			return
		}
		// The simulator's reply follows these two frames.
		up, err := net.Dial("tcp", simAddr)
		if err != nil {
			return
		}
		defer up.Close()
		done := make(chan struct{})
		go func() {
			io.Copy(up, nc)
			up.Close()
			close(done)
		}()
		nc.Write(append(unknown, noise...))
		io.Copy(nc, up)
		nc.Close()
		<-done
	})
	c := dial(t, clientConfig(addr))
	if c.ClientID() != 12 {
		t.Errorf("ClientID = %d, want 12 after an early close on 11", c.ClientID())
	}
	if _, err := c.Positions(t.Context()); err != nil {
		t.Error(err)
	}
}

func TestReconnectResubscribes(t *testing.T) {
	t.Parallel()
	srv, addr := startSim(t)
	cfg := clientConfig(addr)
	cfg.Reconnect = true
	c := dial(t, cfg)
	ctx := t.Context()
	sub, err := c.Subscribe(ctx, ibkr.Contract{Symbol: "VTI"})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	waitTicks := func(what string) {
		t.Helper()
		deadline := time.After(15 * time.Second)
		for {
			select {
			case tk, ok := <-sub.Ticks():
				if !ok {
					t.Fatalf("%s: stream ended: %v", what, sub.Err())
				}
				if tk.ReqID == sub.ReqID() {
					return
				}
			case <-deadline:
				t.Fatalf("%s: no ticks", what)
			}
		}
	}
	waitTicks("first")
	eventually(t, "bid, ask and last on the stream", func() bool {
		q := sub.Quote()
		return q.Last.Valid && q.Bid.Valid && q.Ask.Valid
	})

	// 1101: connectivity restored, data lost. The simulator forgets the
	// stream; the client requests it again under a new id.
	first := sub.ReqID()
	srv.Broadcast(1101, "")
	eventually(t, "resubscription after 1101", func() bool { return sub.ReqID() != first })
	waitTicks("after 1101")

	// 1102 keeps the data: no resubscription.
	second := sub.ReqID()
	srv.Broadcast(1102, "")
	time.Sleep(100 * time.Millisecond)
	if sub.ReqID() != second {
		t.Error("resubscribed after 1102")
	}

	// A dropped connection: reconnect with backoff, then resubscribe.
	srv.DropConnections()
	eventually(t, "resubscription after reconnect", func() bool { return sub.ReqID() != second })
	waitTicks("after reconnect")
	if _, err := c.Positions(ctx); err != nil {
		t.Errorf("request after reconnect: %v", err)
	}

	// A request in flight during a drop waits for the reconnect (its
	// deadline permitting) or fails as unreachable; never hangs.
	srv.SetFaults(mustFault(t, "delay=300ms"))
	done := make(chan error, 1)
	go func() { _, err := c.Positions(ctx); done <- err }()
	time.Sleep(50 * time.Millisecond)
	srv.DropConnections()
	srv.SetFaults()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, ibkr.ErrUnreachable) {
			t.Errorf("request cut by a drop: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("request cut by a drop hung")
	}
	if err := sub.Close(); err != nil {
		t.Error(err)
	}
	if _, ok := <-sub.Ticks(); ok {
		for range sub.Ticks() {
		}
	}
}

// TestReconnectBackoff: the Gateway goes away for a while (its port
// refuses connections), then comes back on the same address.
func TestReconnectBackoff(t *testing.T) {
	t.Parallel()
	srv, addr := startSim(t)
	cfg := clientConfig(addr)
	cfg.Reconnect = true
	cfg.ReconnectMaxBackoff = 200 * time.Millisecond
	c := dial(t, cfg)
	srv.Close()
	// Meanwhile requests fail as unreachable: either on the dying
	// connection (the client has not read its EOF yet) or, once it has,
	// after waiting for the reconnect until their deadline.
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := c.Positions(ctx); !errors.Is(err, ibkr.ErrUnreachable) {
		t.Errorf("Positions while the Gateway is away = %v", err)
	}
	srv2, err := sim.New(sim.Config{Prices: prices(), AsOf: "2026-03-13"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv2.Start(addr); err != nil {
		t.Fatalf("cannot listen on %s again: %v", addr, err)
	}
	t.Cleanup(func() { srv2.Close() })
	ctx2, cancel2 := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel2()
	if _, err := c.Positions(ctx2); err != nil {
		t.Errorf("Positions after the Gateway returned = %v", err)
	}
}

func mustFault(t *testing.T, s string) sim.Fault {
	f, err := sim.ParseFault(s)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func ordersWithRef(srv *sim.Server, ref string) int {
	n := 0
	for _, o := range srv.Orders() {
		if o.OrderRef == ref {
			n++
		}
	}
	return n
}

// TestNoDuplicateOrderAcrossDrop drops the connection after placeOrder
// reached the Gateway but before the client heard its orderStatus. After
// the reconnect the client finds the order by its orderRef, and a retry
// with the same ref is refused: the Gateway holds exactly one.
func TestNoDuplicateOrderAcrossDrop(t *testing.T) {
	t.Parallel()
	t.Run("disconnect-after", func(t *testing.T) {
		t.Parallel()
		srv, addr := startSim(t)
		cfg := clientConfig(addr)
		cfg.Reconnect = true
		cfg.ReconnectBackoff = 300 * time.Millisecond
		c := dial(t, cfg)
		ctx := t.Context()
		// The bootstrap was 5 messages: the 6th (openOrder) is the last
		// this connection carries; orderStatus never arrives on it.
		srv.SetFaults(mustFault(t, "disconnect-after=6"))
		tr, err := c.PlaceOrder(ctx, ibkr.Order{Contract: ibkr.Contract{Symbol: "VTI"}, Action: "BUY", Quantity: decimal.NewFromInt(3),
			Type: ibkr.Limit, LimitPrice: decimal.RequireFromString("100"), OrderRef: "dup-lmt"})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the order at the simulator", func() bool { return ordersWithRef(srv, "dup-lmt") == 1 })
		time.Sleep(50 * time.Millisecond)
		srv.SetFaults()
		st, err := tr.Wait(ctx, ibkr.StatusSubmitted)
		if err != nil {
			t.Fatalf("after reconnect: %+v, %v", st, err)
		}
		if got, found, err := c.Reconcile(ctx, "dup-lmt"); err != nil || !found || got.OrderID != st.OrderID {
			t.Errorf("Reconcile = %+v, %v, %v", got, found, err)
		}
		if _, err := c.PlaceOrder(ctx, ibkr.Order{Contract: ibkr.Contract{Symbol: "VTI"}, Action: "BUY", Quantity: decimal.NewFromInt(3),
			Type: ibkr.Limit, LimitPrice: decimal.RequireFromString("100"), OrderRef: "dup-lmt"}); !errors.Is(err, ibkr.ErrDuplicateOrderRef) {
			t.Errorf("retry = %v, want ErrDuplicateOrderRef", err)
		}
		if n := ordersWithRef(srv, "dup-lmt"); n != 1 {
			t.Errorf("simulator holds %d orders with the ref, want 1", n)
		}
		if err := c.CancelOrder(ctx, st.OrderID); err != nil {
			t.Errorf("cancel after reconnect: %v", err)
		}
	})
	t.Run("nothing heard", func(t *testing.T) {
		t.Parallel()
		srv, addr := startSim(t)
		cfg := clientConfig(addr)
		cfg.Reconnect = true
		c := dial(t, cfg)
		ctx := t.Context()
		// Every answer is held back, then the connection drops: the client
		// heard nothing about its market order, which filled meanwhile.
		srv.SetFaults(mustFault(t, "delay=10s"))
		tr, err := c.PlaceOrder(ctx, ibkr.Order{Contract: ibkr.Contract{Symbol: "VTI"}, Action: "BUY", Quantity: decimal.NewFromInt(1),
			Type: ibkr.Market, OrderRef: "dup-mkt"})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the order at the simulator", func() bool { return ordersWithRef(srv, "dup-mkt") == 1 })
		srv.SetFaults()
		srv.DropConnections()
		st, err := tr.Wait(ctx)
		if err != nil || st.Status != ibkr.StatusFilled || len(st.Executions) != 1 || !st.Filled.Equal(decimal.NewFromInt(1)) {
			t.Fatalf("reconciled trade = %+v, %v", st, err)
		}
		if _, err := c.PlaceOrder(ctx, ibkr.Order{Contract: ibkr.Contract{Symbol: "VTI"}, Action: "BUY", Quantity: decimal.NewFromInt(1),
			Type: ibkr.Market, OrderRef: "dup-mkt"}); !errors.Is(err, ibkr.ErrDuplicateOrderRef) {
			t.Errorf("retry = %v, want ErrDuplicateOrderRef", err)
		}
		if n := ordersWithRef(srv, "dup-mkt"); n != 1 {
			t.Errorf("simulator holds %d orders with the ref, want 1", n)
		}
	})
}

func TestDropWithoutReconnect(t *testing.T) {
	t.Parallel()
	srv, addr := startSim(t)
	c := dial(t, clientConfig(addr))
	sub, err := c.Subscribe(t.Context(), ibkr.Contract{Symbol: "SPY"})
	if err != nil {
		t.Fatal(err)
	}
	srv.DropConnections()
	for range sub.Ticks() {
	}
	if !errors.Is(sub.Err(), ibkr.ErrUnreachable) {
		t.Errorf("stream ended with %v", sub.Err())
	}
	if _, err := c.Positions(t.Context()); !errors.Is(err, ibkr.ErrUnreachable) {
		t.Errorf("Positions after the drop = %v, want ErrUnreachable", err)
	}
}

func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	_, addr := startSim(t)
	cfg := clientConfig(addr)
	c := dial(t, cfg)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	// The simulator takes no time, so block the answer with an already
	// expired context instead: the request must fail fast with a step.
	<-ctx.Done()
	_, err := c.Positions(ctx)
	var se *ibkr.StepError
	if !errors.As(err, &se) || !strings.HasPrefix(se.Step, "request ") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Positions(expired ctx) = %v", err)
	}
	// The client is still usable.
	if _, err := c.Positions(t.Context()); err != nil {
		t.Error(err)
	}
}

// ibkrGoroutines counts goroutines running code of package ibkr itself.
func ibkrGoroutines() (int, string) {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	var dump []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "wealthalloc/internal/ibkr.(") || strings.Contains(g, "wealthalloc/internal/ibkr.") &&
			!strings.Contains(g, "internal/ibkr_test.") && !strings.Contains(g, "internal/ibkr/sim.") {
			n++
			dump = append(dump, g)
		}
	}
	return n, strings.Join(dump, "\n\n")
}

// TestCloseLeavesNoGoroutines runs alone (not parallel) so that no other
// client exists while it counts.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	srv, addr := startSim(t)
	cfg := clientConfig(addr)
	cfg.Reconnect = true
	before := runtime.NumGoroutine()
	c, err := ibkr.Dial(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	sub, err := c.Subscribe(ctx, ibkr.Contract{Symbol: "VTI"})
	if err != nil {
		t.Fatal(err)
	}
	<-sub.Ticks()
	if _, err := c.Quote(ctx, ibkr.Contract{Symbol: "SPY"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HistoricalBars(ctx, ibkr.HistoryRequest{Contract: ibkr.Contract{Symbol: "BND"}, Duration: "1 M"}); err != nil {
		t.Fatal(err)
	}
	// Mid-reconnect is the hardest moment to close.
	srv.DropConnections()
	time.Sleep(20 * time.Millisecond)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// Close has waited for them all, but one may still be returning (seen
	// at reconnectLoop's closing brace): poll.
	gdeadline := time.Now().Add(5 * time.Second)
	n, dump := ibkrGoroutines()
	for n != 0 && time.Now().Before(gdeadline) {
		time.Sleep(10 * time.Millisecond)
		n, dump = ibkrGoroutines()
	}
	if n != 0 {
		t.Fatalf("%d goroutines of package ibkr after Close:\n%s", n, dump)
	}
	if _, ok := <-sub.Ticks(); ok {
		for range sub.Ticks() {
		}
	}
	// And overall (the simulator's per-connection goroutines end too).
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before Dial", n, before)
	}
	if _, err := c.Positions(ctx); !errors.Is(err, ibkr.ErrClosed) {
		t.Errorf("Positions after Close = %v, want ErrClosed", err)
	}
}
