package cli_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wealthalloc/wealthalloc/internal/cli"
	"github.com/wealthalloc/wealthalloc/internal/iostreams"
)

// TestHarvestNotify runs `harvest scan --notify` on the demo against a local
// webhook that checks the HMAC-SHA256 signature the way a receiver should,
// and answers 503 to the first delivery so the scan must retry.
func TestHarvestNotify(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"HOME": dir, "XDG_CONFIG_HOME": filepath.Join(dir, "cfg"), "XDG_DATA_HOME": filepath.Join(dir, "data"),
		"XDG_STATE_HOME": filepath.Join(dir, "state"), "WEALTHALLOC_DB": "", "WEALTHALLOC_CONFIG": "", "NO_COLOR": "1",
		"WEALTHALLOC_HARVEST_NOTIFY_SECRET": "", "WEALTHALLOC_SECRET_HARVEST_NOTIFY_SECRET": "",
	} {
		t.Setenv(k, v)
	}
	run := func(args ...string) (int, string, string) {
		io, _, out, errOut := iostreams.Test()
		code := cli.Run(context.Background(), args, io)
		return code, out.String(), errOut.String()
	}
	db := filepath.Join(dir, "demo.db")
	if code, _, stderr := run("demo", "--db", db); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, stderr)
	}
	scan := []string{"harvest", "scan", "--db", db, "--as-of", "2008-11-20"}

	const secret = "s3cret-for-tests"
	var (
		mu         sync.Mutex
		calls      int
		deliveries []string
		payload    map[string]any
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		deliveries = append(deliveries, r.Header.Get("X-WealthAlloc-Delivery"))
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		}
		// What a receiver does: recompute over the raw body, compare in constant time.
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		want := "sha256=" + hex.EncodeToString(m.Sum(nil))
		if !hmac.Equal([]byte(r.Header.Get("X-WealthAlloc-Signature")), []byte(want)) {
			t.Errorf("signature %q, want %q", r.Header.Get("X-WealthAlloc-Signature"), want)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if calls == 1 {
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		if err := json.Unmarshal(body, &payload); err != nil {
			t.Errorf("payload is not JSON: %v", err)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	// Without the secret: exit 4 before anything is sent.
	code, _, stderr := run(append(scan, "--notify", srv.URL+"/hook?token=abc")...)
	if code != 4 || !strings.Contains(stderr, "WEALTHALLOC_HARVEST_NOTIFY_SECRET") || calls != 0 {
		t.Fatalf("no secret: exit %d, %d calls, stderr %q; want 4, 0 calls, and how to set it", code, calls, stderr)
	}

	t.Setenv("WEALTHALLOC_HARVEST_NOTIFY_SECRET", secret)
	code, stdout, stderr := run(append(scan, "--notify", srv.URL+"/hook?token=abc", "--exit-code")...)
	if code != 10 {
		t.Fatalf("exit %d, want 10 (opportunities found); stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "demo-ibm-2") {
		t.Errorf("stdout lacks the IBM lot:\n%s", stdout)
	}
	if !strings.Contains(stderr, "notified "+srv.URL+"/hook (") || strings.Contains(stderr, "token=abc") {
		t.Errorf("stderr should report the delivery without the query string:\n%s", stderr)
	}
	mu.Lock()
	if calls != 2 || deliveries[0] == "" || deliveries[0] != deliveries[1] {
		t.Errorf("calls = %d, deliveries %v; want a retry after the 503 with the same delivery id", calls, deliveries)
	}
	if payload["event"] != "harvest.scan" || payload["as_of"] != "2008-11-20" {
		t.Errorf("payload event/as_of = %v/%v", payload["event"], payload["as_of"])
	}
	opps, _ := payload["opportunities"].([]any)
	if len(opps) != 4 {
		t.Errorf("payload has %d opportunities, want 4", len(opps))
	} else if o := opps[0].(map[string]any); o["lot_id"] != "demo-ibm-2" || o["unrealized_loss"] != "8938.1454" {
		t.Errorf("first opportunity %v", o)
	}
	mu.Unlock()

	// A receiver that refuses (4xx) fails the run at once, clearly, with no retry.
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		http.Error(w, "unknown hook", http.StatusNotFound)
	}))
	defer refuse.Close()
	calls = 0
	code, _, stderr = run(append(scan, "--notify", refuse.URL, "--exit-code")...)
	if code != 1 || calls != 1 || !strings.Contains(stderr, "HTTP 404") || !strings.Contains(stderr, "unknown hook") {
		t.Errorf("404: exit %d after %d calls, stderr %q; want exit 1 after one call naming the status", code, calls, stderr)
	}

	// Nothing found: exit 0 and nothing sent.
	calls = 0
	code, _, stderr = run(append(scan, "--notify", srv.URL, "--exit-code", "--min-loss", "1000000")...)
	if code != 0 || calls != 0 || !strings.Contains(stderr, "nothing to notify") {
		t.Errorf("nothing found: exit %d, %d calls, stderr %q", code, calls, stderr)
	}
}
