package app

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/ids"
)

// Webhook headers of a harvest notification.
const (
	// SignatureHeader carries "sha256=" and the lower-case hex HMAC-SHA256
	// of the request body under the shared secret. Receivers recompute it
	// over the raw body and compare in constant time (hmac.Equal).
	SignatureHeader = "X-WealthAlloc-Signature"
	// DeliveryHeader is one id per notification, the same on every retry,
	// so a receiver can drop duplicates.
	DeliveryHeader = "X-WealthAlloc-Delivery"
	// EventHeader names the payload kind ("harvest.scan").
	EventHeader = "X-WealthAlloc-Event"
)

// Sign returns the SignatureHeader value for body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Notifier POSTs signed JSON to a webhook, retrying what may succeed later.
type Notifier struct {
	URL    string
	Secret []byte
	Event  string // EventHeader value
	Client *http.Client
	Logger *slog.Logger
	// Attempts bounds the POSTs (default 5). Between them it waits
	// BaseDelay (default 1 s), doubling each time up to MaxDelay (default
	// 30 s), or what a 429/503 response's Retry-After asks within MaxDelay.
	Attempts  int
	BaseDelay time.Duration
	MaxDelay  time.Duration
	UserAgent string
}

// NotifyError is a delivery that failed for good.
type NotifyError struct {
	URL      string // redacted: no credentials, no query
	Status   int    // the last HTTP status, 0 for a network error
	Attempts int
	Detail   string // the start of the response body, or the network error
}

func (e *NotifyError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("notify %s: gave up after %d attempts: %s", e.URL, e.Attempts, e.Detail)
	}
	msg := fmt.Sprintf("notify %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.Status >= 400 && e.Status < 500 {
		msg += " (the receiver refused the notification: check the URL and that it holds the same harvest_notify_secret)"
	} else {
		msg += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Send POSTs body. It retries network errors, 5xx, 408 and 429 with
// exponential backoff, up to Attempts in all, and fails at once on any
// other 4xx (a wrong URL or secret does not heal by retrying). It stops
// when ctx ends.
func (n *Notifier) Send(ctx context.Context, body []byte) error {
	attempts, base, maxDelay := n.Attempts, n.BaseDelay, n.MaxDelay
	if attempts <= 0 {
		attempts = 5
	}
	if base <= 0 {
		base = time.Second
	}
	if maxDelay <= 0 {
		maxDelay = 30 * time.Second
	}
	client := n.Client
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	log := n.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	where := redactURL(n.URL)
	sig := Sign(n.Secret, body)
	delivery := ids.New()
	delay := base
	var last *NotifyError
	for attempt := 1; ; attempt++ {
		wait, err := n.post(ctx, client, body, sig, delivery)
		if err == nil {
			log.Debug("notification delivered", "url", where, "attempt", attempt, "delivery", delivery)
			return nil
		}
		var ne *NotifyError
		if !errors.As(err, &ne) {
			return err // ctx ended or the request could not be built
		}
		ne.URL, ne.Attempts = where, attempt
		last = ne
		retry := ne.Status == 0 || ne.Status >= 500 || ne.Status == http.StatusRequestTimeout || ne.Status == http.StatusTooManyRequests
		if !retry || attempt >= attempts {
			return last
		}
		pause := delay
		if wait > 0 {
			pause = min(wait, maxDelay)
		}
		log.Warn("notification failed, retrying", "url", where, "attempt", attempt, "status", ne.Status, "err", ne.Detail, "in", pause)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("notify %s: %w (last attempt: %w)", where, ctx.Err(), last)
		case <-t.C:
		}
		delay = min(delay*2, maxDelay)
	}
}

// post makes one attempt. A failure is a *NotifyError, with the pause a
// Retry-After header asked for.
func (n *Notifier) post(ctx context.Context, client *http.Client, body []byte, sig, delivery string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("notify %s: %w", redactURL(n.URL), err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, sig)
	req.Header.Set(DeliveryHeader, delivery)
	if n.Event != "" {
		req.Header.Set(EventHeader, n.Event)
	}
	if n.UserAgent != "" {
		req.Header.Set("User-Agent", n.UserAgent)
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("notify %s: %w", redactURL(n.URL), ctx.Err())
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL, credentials and all
		}
		return 0, &NotifyError{Detail: err.Error()}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return 0, nil
	}
	var wait time.Duration
	if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s > 0 {
		wait = time.Duration(s) * time.Second
	}
	return wait, &NotifyError{Status: resp.StatusCode, Detail: strings.TrimSpace(strings.ToValidUTF8(string(snippet), "?"))}
}

// redactURL drops the password, query and fragment, which may hold tokens.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	u.RawQuery, u.Fragment = "", ""
	return u.Redacted()
}
