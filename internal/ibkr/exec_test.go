package ibkr_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// TestExecutionTimes: execution times in the zone names IB writes are read
// in that zone; one that cannot be read fails Executions, naming the
// execution and the text, instead of dating the trade 0001-01-01.
func TestExecutionTimes(t *testing.T) {
	t.Parallel()
	times := map[string]string{} // execId → time text, set per test
	var mu sync.Mutex
	addr, _ := scriptedGateway(t, func(send func(*wire.Layout, map[string]string), m wire.Msg) {
		if m.Layout != wire.ReqExecutions {
			return
		}
		mu.Lock()
		for id, when := range times {
			send(wire.ExecDetails, execDetails(m.Get("reqId"), id, when, "1", "250"))
			send(wire.CommissionReport, map[string]string{"execId": id, "commission": "1", "currency": "USD",
				"realizedPNL": "1.7976931348623157E308", "yield": "1.7976931348623157E308"})
		}
		mu.Unlock()
		send(wire.ExecDetailsEnd, map[string]string{"reqId": m.Get("reqId")})
	})
	c := dial(t, clientConfig(addr))
	set := func(m map[string]string) {
		mu.Lock()
		clear(times)
		for k, v := range m {
			times[k] = v
		}
		mu.Unlock()
	}
	set(map[string]string{
		"e.1.01.01": "20260313 10:00:00 US/Eastern",
		"e.2.01.01": "20260313 10:00:00 EST",
		"e.3.01.01": "20260313  15:00:00 MET",
		"e.4.01.01": "20260313 15:00:00 Central European Standard Time",
		"e.5.01.01": "20260313 22:00:00 Asia/Hong_Kong",
		"e.6.01.01": "20260313 07:00:00 PDT",
		"e.7.01.01": "20260313-14:00:00",
		"e.8.01.01": "20260313 14:00:00 GMT",
	})
	xs, err := c.Executions(t.Context(), ibkr.ExecFilter{})
	if err != nil || len(xs) != 8 {
		t.Fatalf("Executions = %+v, %v", xs, err)
	}
	want := time.Date(2026, 3, 13, 14, 0, 0, 0, time.UTC) // 10:00 New York (EDT since 8 March)
	for _, x := range xs {
		if !x.Time.Equal(want) {
			t.Errorf("%s: time %v, want %v", x.ExecID, x.Time, want)
		}
	}
	set(map[string]string{"e.1.01.01": "20260313 10:00:00 US/Eastern", "e.9.01.01": "20260313 10:00:00 Mars/Olympus"})
	xs, err = c.Executions(t.Context(), ibkr.ExecFilter{})
	if err == nil || !strings.Contains(err.Error(), "e.9.01.01") || !strings.Contains(err.Error(), "Mars/Olympus") {
		t.Errorf("Executions with an unreadable time = %+v, %v; want an error naming the execution and the text", xs, err)
	}
}

// TestExecutionCorrections: the simulator corrects every fill (the
// execution re-sent with its execId's last segment incremented); the
// trade and Executions keep only the correction.
func TestExecutionCorrections(t *testing.T) {
	t.Parallel()
	_, addr := startSim(t, withFaults(t, "exec-correction"))
	c := dial(t, clientConfig(addr))
	ctx := t.Context()
	tr, err := c.PlaceOrder(ctx, ibkr.Order{Contract: ibkr.Contract{Symbol: "VTI"}, Action: "BUY",
		Quantity: decimal.NewFromInt(2), Type: ibkr.Market, OrderRef: "corr"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Wait(ctx, ibkr.StatusFilled); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the correction on the trade", func() bool {
		ex := tr.State().Executions
		return len(ex) == 1 && strings.HasSuffix(ex[0].ExecID, ".01.02") && ex[0].Commission != nil
	})
	xs, err := c.Executions(ctx, ibkr.ExecFilter{})
	if err != nil || len(xs) != 1 || !strings.HasSuffix(xs[0].ExecID, ".01.02") || xs[0].Commission == nil {
		t.Fatalf("Executions = %+v, %v; want the correction only", xs, err)
	}
	if got, found, err := c.Reconcile(ctx, "corr"); err != nil || !found || !got.Filled.Equal(decimal.NewFromInt(2)) ||
		len(got.Executions) != 1 {
		t.Errorf("Reconcile = %+v, %v, %v; want 2 filled once", got, found, err)
	}
}
