package app

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestSign(t *testing.T) {
	// HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), the
	// Wikipedia HMAC example.
	got := Sign([]byte("key"), []byte("The quick brown fox jumps over the lazy dog"))
	if want := "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestNotifierRetries(t *testing.T) {
	for _, c := range []struct {
		name     string
		statuses []int // per attempt; the last repeats
		wantErr  string
		calls    int32
	}{
		{"ok at once", []int{200}, "", 1},
		{"503 then ok", []int{503, 202}, "", 2},
		{"429 then ok", []int{429, 200}, "", 2},
		{"always 500", []int{500}, "HTTP 500 Internal Server Error after 3 attempts", 3},
		{"401 at once", []int{401}, "HTTP 401 Unauthorized (the receiver refused", 1},
		{"400 after 502", []int{502, 400}, "HTTP 400", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				n := int(calls.Add(1)) - 1
				st := c.statuses[min(n, len(c.statuses)-1)]
				if st == 429 {
					w.Header().Set("Retry-After", "1") // capped by MaxDelay below
				}
				w.WriteHeader(st)
			}))
			defer srv.Close()
			n := &Notifier{URL: srv.URL, Secret: []byte("k"), Attempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}
			err := n.Send(t.Context(), []byte(`{}`))
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Errorf("err = %v, want %q", err, c.wantErr)
			}
			if calls.Load() != c.calls {
				t.Errorf("calls = %d, want %d", calls.Load(), c.calls)
			}
		})
	}
}

func TestNotifierNetworkAndContext(t *testing.T) {
	// Nothing listens: network errors are retried, then reported.
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/x?token=secret"
	srv.Close()
	n := &Notifier{URL: url, Secret: []byte("k"), Attempts: 2, BaseDelay: time.Millisecond}
	err := n.Send(t.Context(), []byte(`{}`))
	var ne *NotifyError
	if !errors.As(err, &ne) || ne.Attempts != 2 || ne.Status != 0 || strings.Contains(err.Error(), "token") {
		t.Errorf("unreachable: %v", err)
	}
	// A cancelled context stops the backoff at once.
	var calls atomic.Int32
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(503)
	}))
	defer busy.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	n = &Notifier{URL: busy.URL, Secret: []byte("k"), Attempts: 10, BaseDelay: time.Hour}
	start := time.Now()
	err = n.Send(ctx, []byte(`{}`))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second || calls.Load() != 1 {
		t.Errorf("cancelled: %v after %v and %d calls", err, time.Since(start), calls.Load())
	}
}
