package ibkr_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/ibkr"
)

// TestQuoteDelayedFallbackConcurrent: quotes racing on a session without
// live data all fall back to delayed data, not only the one whose failure
// switched the session.
func TestQuoteDelayedFallbackConcurrent(t *testing.T) {
	t.Parallel()
	_, addr := startSim(t, withFaults(t, "delayed=ask"))
	c := dial(t, clientConfig(addr))
	var wg sync.WaitGroup
	for _, sym := range []string{"VTI", "SPY", "BND", "VTI", "SPY", "BND", "VTI", "SPY"} {
		wg.Go(func() {
			q, err := c.Quote(t.Context(), ibkr.Contract{Symbol: sym})
			if err != nil || !q.Delayed || !q.Last.Valid {
				t.Errorf("Quote(%s) = %+v, %v; want delayed data", sym, q, err)
			}
		})
	}
	wg.Wait()
}

// TestDelayedNotEnabled: 10168 says how to enable delayed data, for a
// snapshot and for a stream.
func TestDelayedNotEnabled(t *testing.T) {
	t.Parallel()
	_, addr := startSim(t, withFaults(t, "delayed=deny"))
	c := dial(t, clientConfig(addr))
	var api *ibkr.APIError
	_, err := c.Quote(t.Context(), ibkr.Contract{Symbol: "VTI"})
	if !errors.As(err, &api) || api.Code != 10168 || !strings.Contains(err.Error(), "Global Configuration → API → Settings") {
		t.Errorf("Quote = %v; want 10168 with how to enable delayed data", err)
	}
	// The session is now on delayed data: a stream meets 10168 at once.
	sub, err := c.Subscribe(t.Context(), ibkr.Contract{Symbol: "SPY"})
	if err != nil {
		t.Fatal(err)
	}
	for range sub.Ticks() {
	}
	if err := sub.Err(); !errors.As(err, &api) || api.Code != 10168 || !strings.Contains(err.Error(), "Client Portal") {
		t.Errorf("stream ended with %v; want 10168 with how to enable delayed data", err)
	}
}

// TestQuoteTimeIsLastTradeTime: a quote's time is the last trade's time
// the Gateway sent (tick 45), here the simulator's market time on AsOf,
// not when the client received it.
func TestQuoteTimeIsLastTradeTime(t *testing.T) {
	t.Parallel()
	_, addr := startSim(t)
	c := dial(t, clientConfig(addr))
	open := time.Date(2026, 3, 13, 13, 30, 0, 0, time.UTC) // 09:30 New York
	inSession := func(tm time.Time) bool { return !tm.Before(open) && !tm.After(open.Add(390*time.Minute)) }
	q, err := c.Quote(t.Context(), ibkr.Contract{Symbol: "VTI"})
	if err != nil || !inSession(q.Time) {
		t.Errorf("Quote time = %v, %v; want the simulated market time on 2026-03-13", q.Time, err)
	}
	sub, err := c.Subscribe(t.Context(), ibkr.Contract{Symbol: "SPY"})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	eventually(t, "the stream's quote dated in simulated market time", func() bool {
		q := sub.Quote()
		return q.Last.Valid && inSession(q.Time)
	})
}
