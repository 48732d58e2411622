package ibkr_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

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
