package ibkr_test

import (
	"context"
	"errors"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

func openFDs(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(es)
}

// TestNoFDLeakOnClientIDRetries: every connection closed before the
// Gateway was ready (here: after managedAccounts, each time) is closed on
// the client side too. Not parallel, so that no other test opens files
// meanwhile.
func TestNoFDLeakOnClientIDRetries(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts /proc/self/fd")
	}
	// A leaked socket is closed by its finalizer after a GC: no GC here.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	_, addr := startSim(t, withFaults(t, "disconnect-after=1"))
	cfg := clientConfig(addr)
	cfg.ClientIDRetries = 6
	before := openFDs(t)
	if _, err := ibkr.Dial(t.Context(), cfg); !errors.Is(err, ibkr.ErrUnreachable) {
		t.Fatalf("Dial = %v", err)
	}
	// The simulator closes its ends on its own goroutines: poll.
	deadline := time.Now().Add(2 * time.Second)
	n := openFDs(t)
	for n > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		n = openFDs(t)
	}
	if n > before {
		t.Errorf("%d file descriptors open after 7 refused connections, %d before", n, before)
	}
}

// TestPositionsCancelledOnTimeout: a reqPositions that times out is
// cancelled, or the Gateway goes on streaming positions.
func TestPositionsCancelledOnTimeout(t *testing.T) {
	t.Parallel()
	addr, sc := scriptedGateway(t, func(func(*wire.Layout, map[string]string), wire.Msg) {}) // never answers
	cfg := clientConfig(addr)
	cfg.RequestTimeout = 200 * time.Millisecond
	c := dial(t, cfg)
	if _, err := c.Positions(t.Context()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Positions = %v, want a timeout", err)
	}
	eventually(t, "cancelPositions", func() bool { return sc.received(wire.CancelPositions) })
}

// TestDropErrorReadsWell: a request on a dropped connection says what
// happened once, in words.
func TestDropErrorReadsWell(t *testing.T) {
	t.Parallel()
	srv, addr := startSim(t)
	c := dial(t, clientConfig(addr))
	srv.DropConnections()
	var err error
	eventually(t, "the drop seen", func() bool {
		_, err = c.Positions(t.Context())
		return err != nil
	})
	msg := err.Error()
	if !errors.Is(err, ibkr.ErrUnreachable) || !strings.Contains(msg, "closed by the Gateway") ||
		strings.Count(msg, addr) != 1 || strings.Count(msg, "ibkr:") != 1 || strings.Contains(msg, "EOF") {
		t.Errorf("drop reads: %s", msg)
	}
}
