// Package ibkr is a client for the TWS API socket protocol spoken by IB
// Gateway and TWS, pinned to server version 178 (text protocol; see
// reference/ibkr.md). Message layouts come from package wire, which the
// simulator in package sim shares.
//
// One reader goroutine per connection decodes every message and hands it to
// the request waiting for it; callers block in their own goroutines with a
// deadline on every request. Sends pass a 45 msg/s token bucket, historical
// requests a pacer. With Config.Reconnect a dropped connection is redialled
// with backoff, streams are resubscribed (also after 1101) and orders in
// flight are reconciled by their orderRef before anything is resubmitted.
package ibkr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// Client is a connection to IB Gateway. Its methods are safe for concurrent
// use.
type Client struct {
	cfg     Config
	log     *slog.Logger
	clock   clock
	limiter *bucket
	pacer   *pacer

	life context.Context // ends at Close
	stop context.CancelFunc
	wg   sync.WaitGroup // reader, reconnect and resubscribe goroutines

	// Singleton requests whose answers carry no request id run one at a time.
	semPositions, semOpenOrders, semCurrentTime chan struct{}

	mu            sync.Mutex
	closed        bool
	conn          *conn         // nil while disconnected
	up            chan struct{} // closed once conn is set
	dropErr       error         // why conn is nil
	serverVersion int
	connTime      string
	clientID      int
	accounts      []string
	farms         []APIError
	seq           int64 // next request or order id; ≥ the Gateway's nextValidId
	mdType        int   // market data type in force
	reqs          map[int64]*request
	singles       map[string]*request
	cancels       map[int64]*request
	subs          map[int64]*Subscription
	trades        map[int64]*Trade
	refs          map[string]*Trade
	commissions   map[string]commission
	commissionsCh chan struct{} // closed and replaced when a commission report arrives
}

var errNotConnected = &StepError{Step: "connection", Err: errors.New("not connected")}

// conn is one TCP connection and its bootstrap state.
type conn struct {
	nc       net.Conn
	fr       *wire.FrameReader
	addr     string
	clientID int
	version  int
	connTime string

	wmu sync.Mutex

	// Written by the reader goroutine until ready or dead is closed.
	ready    chan struct{}
	dead     chan struct{}
	gotID    bool
	gotAccts bool
	nextID   int64
	accounts []string
	bootErr  error

	dropped bool  // under Client.mu
	dropErr error // under Client.mu: why, once dropped
}

func newClient(cfg Config, clk clock) *Client {
	life, stop := context.WithCancel(context.Background())
	c := &Client{
		cfg: cfg, log: cfg.Logger, clock: clk,
		limiter: newBucket(clk, cfg.MessageRate), pacer: newPacer(clk),
		life: life, stop: stop,
		semPositions: make(chan struct{}, 1), semOpenOrders: make(chan struct{}, 1), semCurrentTime: make(chan struct{}, 1),
		up: make(chan struct{}), mdType: mdLive, seq: 1, dropErr: errNotConnected,
		reqs: map[int64]*request{}, singles: map[string]*request{}, cancels: map[int64]*request{},
		subs: map[int64]*Subscription{}, trades: map[int64]*Trade{}, refs: map[string]*Trade{},
		commissions: map[string]commission{}, commissionsCh: make(chan struct{}),
	}
	return c
}

// Dial connects to the Gateway at cfg.Addr, performs the handshake and
// waits until it has sent the managed accounts and the next order id.
// Each step has its own deadline; a failure is a *StepError naming it.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	c := newClient(cfg, realClock{})
	cn, err := c.connectRetrying(ctx, cfg.ClientID)
	if err == nil {
		err = c.install(cn)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.log.Debug("ibkr connected", "addr", cfg.Addr, "clientId", cn.clientID, "serverVersion", cn.version,
		"accounts", strings.Join(cn.accounts, ","))
	return c, nil
}

// connectRetrying tries clientID, then clientID+1 … when the Gateway says
// the id is in use (326) or closes the connection before it is ready.
func (c *Client) connectRetrying(ctx context.Context, clientID int) (*conn, error) {
	var err error
	for i := 0; i <= c.cfg.ClientIDRetries; i++ {
		var cn *conn
		cn, err = c.connect(ctx, clientID+i)
		if err == nil {
			return cn, nil
		}
		if !errors.Is(err, errClientIDInUse) || ctx.Err() != nil {
			return nil, err
		}
		c.log.Warn("ibkr client id in use, trying the next", "clientId", clientID+i, "err", err)
	}
	return nil, err
}

// bound limits blocking I/O on nc to timeout and to ctx; the returned
// function lifts the limit and says whether ctx (rather than the timeout)
// ended first.
func bound(ctx context.Context, nc net.Conn, timeout time.Duration) func() {
	dl := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	_ = nc.SetDeadline(dl)
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = nc.SetDeadline(time.Unix(1, 0))
		close(fired)
	})
	return func() {
		if !stop() {
			<-fired
		}
		_ = nc.SetDeadline(time.Time{})
	}
}

func stepCause(ctx context.Context, err error, timeout time.Duration, what string) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%s within %s: %w", what, timeout, context.DeadlineExceeded)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("connection closed by the server: %w", err)
	}
	return err
}

// connect dials, shakes hands and waits for readiness with one client id.
// On success the connection's reader goroutine is running.
func (c *Client) connect(ctx context.Context, clientID int) (*conn, error) {
	addr := c.cfg.Addr
	dctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	var d net.Dialer
	nc, err := d.DialContext(dctx, "tcp", addr)
	timedOut := errors.Is(dctx.Err(), context.DeadlineExceeded)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		} else if timedOut {
			err = fmt.Errorf("no connection within %s: %w", c.cfg.DialTimeout, context.DeadlineExceeded)
		}
		return nil, &StepError{Step: "dial", Addr: addr, Err: err}
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	cn := &conn{nc: nc, addr: addr, clientID: clientID, ready: make(chan struct{}), dead: make(chan struct{})}

	// Handshake: "API\0" + version range, then the server's version frame.
	// Messages arriving before it (news, the official client notes) are
	// skipped.
	lift := bound(ctx, nc, c.cfg.HandshakeTimeout)
	cn.fr = wire.NewFrameReader(nc)
	err = func() error {
		if _, err := nc.Write(wire.Hello()); err != nil {
			return err
		}
		var fields [][]byte
		for {
			payload, err := cn.fr.Next()
			if err != nil {
				return err
			}
			if fields, err = wire.Split(payload, fields); err != nil {
				return err
			}
			v, t, ok := wire.ParseServerHello(fields)
			if !ok {
				c.log.Debug("ibkr message before the server version skipped", "id", string(fields[0]))
				continue
			}
			cn.version, cn.connTime = v, t
			return nil
		}
	}()
	lift()
	if err != nil {
		nc.Close()
		return nil, &StepError{Step: "handshake", Addr: addr, Err: stepCause(ctx, err, c.cfg.HandshakeTimeout, "no server version")}
	}
	if cn.version != wire.ServerVersion {
		nc.Close()
		return nil, &StepError{Step: "handshake", Addr: addr,
			Err: fmt.Errorf("%w: the server answered %d", ErrVersion, cn.version)}
	}

	// Bootstrap: startApi, then wait for nextValidId and managedAccounts in
	// either order. The reader goroutine starts here and owns the socket's
	// read side from now on.
	start, err := encStartAPI(clientID)
	if err != nil {
		nc.Close()
		return nil, err
	}
	c.wg.Add(1)
	go c.readLoop(cn)
	bctx, bcancel := context.WithTimeout(ctx, c.cfg.BootstrapTimeout)
	defer bcancel()
	if err := c.write(bctx, cn, start); err != nil {
		nc.Close()
		<-cn.dead
		return nil, &StepError{Step: "bootstrap", Addr: addr, Err: err}
	}
	select {
	case <-cn.ready:
		return cn, nil
	case <-cn.dead:
		nc.Close() // the reader closed it too; never leave the fd to a retry
		err := cn.bootErr
		if err == nil {
			// A close right after startApi is how the Gateway refuses a
			// client id that is in use without saying 326.
			err = fmt.Errorf("%w: connection closed before the Gateway was ready (client id %d)", errClientIDInUse, clientID)
		}
		return nil, &StepError{Step: "bootstrap", Addr: addr, Err: err}
	case <-bctx.Done():
		nc.Close()
		<-cn.dead
		var missing []string
		if !cn.gotAccts {
			missing = append(missing, "managedAccounts")
		}
		if !cn.gotID {
			missing = append(missing, "nextValidId")
		}
		err := context.Cause(bctx)
		if ctx.Err() == nil {
			err = fmt.Errorf("no %s within %s: %w", strings.Join(missing, " or "), c.cfg.BootstrapTimeout, context.DeadlineExceeded)
		}
		return nil, &StepError{Step: "bootstrap", Addr: addr, Err: err}
	}
}

// causeError words a low-level cause (io.EOF …) for people, keeping it
// for errors.Is.
type causeError struct {
	msg string
	err error
}

func (e *causeError) Error() string { return e.msg }
func (e *causeError) Unwrap() error { return e.err }

// unprefixed shows a *StepError without its "ibkr: " inside another
// message that has one.
func unprefixed(err error) error {
	if se, ok := err.(*StepError); ok {
		return &causeError{msg: se.text(), err: se}
	}
	return err
}

// install makes a ready connection the client's current one.
func (c *Client) install(cn *conn) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || cn.dropped {
		cn.nc.Close()
		if c.closed {
			return ErrClosed
		}
		return &StepError{Step: "connection", Addr: cn.addr, Err: errors.New("dropped right after the bootstrap")}
	}
	c.conn = cn
	c.dropErr = nil
	c.serverVersion, c.connTime, c.clientID = cn.version, cn.connTime, cn.clientID
	c.accounts = slices.Clone(cn.accounts)
	c.seq = max(c.seq, cn.nextID)
	close(c.up)
	return nil
}

// Close ends the connection and every goroutine the client started;
// pending requests fail with ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	cn := c.conn
	c.conn = nil
	c.mu.Unlock()
	c.stop()
	if cn != nil {
		cn.nc.Close()
	}
	c.wg.Wait()
	c.failAll(ErrClosed, true)
	return nil
}

// current returns the live connection, waiting through a reconnect when
// Config.Reconnect is set.
func (c *Client) current(ctx context.Context) (*conn, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, ErrClosed
		}
		if c.conn != nil {
			cn := c.conn
			c.mu.Unlock()
			return cn, nil
		}
		if !c.cfg.Reconnect {
			err := c.dropErr
			c.mu.Unlock()
			return nil, err
		}
		up, drop := c.up, c.dropErr
		c.mu.Unlock()
		select {
		case <-up:
		case <-c.life.Done():
		case <-ctx.Done():
			// Both causes: the deadline, and the drop (ErrUnreachable).
			return nil, fmt.Errorf("%w while reconnecting after %w", context.Cause(ctx), unprefixed(drop))
		}
	}
}

// write sends one frame after the token bucket allows it.
func (c *Client) write(ctx context.Context, cn *conn, frame []byte) error {
	if err := c.limiter.wait(ctx); err != nil {
		return context.Cause(ctx)
	}
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	_ = cn.nc.SetWriteDeadline(time.Now().Add(c.cfg.RequestTimeout))
	_, err := cn.nc.Write(frame)
	if err != nil {
		// The reader sees the close and reports the drop; its reason (the
		// Gateway closed the connection, say) beats the write's "use of
		// closed network connection". The reader never writes, so waiting
		// for it cannot deadlock; the timer only bounds the wait.
		cn.nc.Close()
		t := time.NewTimer(time.Second)
		defer t.Stop()
		select {
		case <-cn.dead:
			c.mu.Lock()
			drop := cn.dropErr
			c.mu.Unlock()
			if drop != nil {
				return drop
			}
		case <-t.C:
		}
		return &StepError{Step: "connection", Addr: cn.addr, Err: err}
	}
	return nil
}

// send writes on the current connection.
func (c *Client) send(ctx context.Context, frame []byte) error {
	cn, err := c.current(ctx)
	if err != nil {
		return err
	}
	return c.write(ctx, cn, frame)
}

// sendQuiet sends a cancel or other fire-and-forget message with its own
// short deadline, logging a failure.
func (c *Client) sendQuiet(frame []byte, what string) {
	ctx, cancel := context.WithTimeout(c.life, 2*time.Second)
	defer cancel()
	c.mu.Lock()
	cn := c.conn
	c.mu.Unlock()
	if cn == nil {
		return
	}
	if err := c.write(ctx, cn, frame); err != nil {
		c.log.Debug("ibkr send failed", "msg", what, "err", err)
	}
}

// nextID hands out the next request or order id.
func (c *Client) nextID() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.seq
	c.seq++
	return id
}

// readLoop is the connection's only reader.
func (c *Client) readLoop(cn *conn) {
	defer c.wg.Done()
	var fields [][]byte
	var err error
	for {
		var payload []byte
		payload, err = cn.fr.Next()
		if err != nil {
			break
		}
		var serr error
		fields, serr = wire.Split(payload, fields)
		if serr != nil {
			c.log.Warn("ibkr malformed message skipped", "err", serr)
			continue
		}
		c.dispatch(cn, fields)
	}
	// The socket is done with whatever ended the loop: release its fd now
	// (a drop or a refused client id must not leave it open).
	cn.nc.Close()
	c.onDrop(cn, err)
	close(cn.dead)
}

// onDrop handles the end of a connection's reader.
func (c *Client) onDrop(cn *conn, err error) {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		err = &causeError{msg: "closed by the Gateway", err: err}
	case errors.Is(err, net.ErrClosed):
		err = &causeError{msg: "closed", err: err}
	}
	drop := &StepError{Step: "connection", Addr: cn.addr, Err: err}
	c.mu.Lock()
	cn.dropped, cn.dropErr = true, drop
	if c.conn != cn {
		c.mu.Unlock()
		return
	}
	c.conn = nil
	c.dropErr = drop
	c.up = make(chan struct{})
	closed := c.closed
	reconnect := c.cfg.Reconnect && !closed
	c.mu.Unlock()
	if closed {
		return
	}
	c.log.Warn("ibkr connection dropped", "addr", cn.addr, "err", err, "reconnect", reconnect)
	c.failAll(drop, !reconnect)
	if reconnect {
		c.wg.Add(1)
		go c.reconnectLoop(cn.clientID)
	}
}

// failAll ends every pending request with err; streams and orders end too
// when final is set (no reconnect will revive them).
func (c *Client) failAll(err error, final bool) {
	c.mu.Lock()
	var rs []*request
	for id, r := range c.reqs {
		rs = append(rs, r)
		delete(c.reqs, id)
	}
	for k, r := range c.singles {
		rs = append(rs, r)
		delete(c.singles, k)
	}
	for id, r := range c.cancels {
		rs = append(rs, r)
		delete(c.cancels, id)
	}
	var subs []*Subscription
	if final {
		for id, s := range c.subs {
			subs = append(subs, s)
			delete(c.subs, id)
		}
	}
	c.mu.Unlock()
	for _, r := range rs {
		r.finish(err)
	}
	for _, s := range subs {
		s.end(err)
	}
}

// reconnectLoop redials with exponential backoff until it succeeds or the
// client closes, then restores streams and reconciles orders.
func (c *Client) reconnectLoop(clientID int) {
	defer c.wg.Done()
	backoff := c.cfg.ReconnectBackoff
	for attempt := 1; ; attempt++ {
		if err := c.clock.Sleep(c.life, backoff, nil); err != nil {
			return
		}
		cn, err := c.connectRetrying(c.life, clientID)
		if err == nil {
			err = c.install(cn)
		}
		if err == nil {
			c.log.Info("ibkr reconnected", "addr", c.cfg.Addr, "clientId", cn.clientID, "attempt", attempt)
			c.restore(true)
			return
		}
		if c.life.Err() != nil {
			return
		}
		c.log.Warn("ibkr reconnect failed", "attempt", attempt, "err", err, "next", backoff)
		backoff = min(2*backoff, c.cfg.ReconnectMaxBackoff)
	}
}

// restore resubscribes streams and, after a reconnect, sets the market
// data type again and reconciles orders whose fate the drop hid.
func (c *Client) restore(reconnected bool) {
	ctx, cancel := context.WithTimeout(c.life, c.cfg.RequestTimeout)
	defer cancel()
	if reconnected {
		c.mu.Lock()
		md := c.mdType
		c.mu.Unlock()
		if md != mdLive {
			if f, err := encReqMarketDataType(md); err == nil {
				_ = c.send(ctx, f)
			}
		}
	}
	c.resubscribe(ctx)
	if reconnected {
		c.reconcileInFlight(ctx)
	}
}

// ServerVersion is the negotiated protocol version (always 178).
func (c *Client) ServerVersion() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.serverVersion
}

// ConnTime is the connection time the Gateway reported.
func (c *Client) ConnTime() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connTime
}

// ClientID is the client id in use (Config.ClientID, or a later one after
// retries).
func (c *Client) ClientID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clientID
}

// Accounts are the managed accounts.
func (c *Client) Accounts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.accounts)
}

// FarmStatus is the latest data-farm notice per farm (2104, 2106, 2158 …).
func (c *Client) FarmStatus() []APIError {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.farms)
}

func farmName(msg string) string {
	if i := strings.LastIndexByte(msg, ':'); i >= 0 {
		return msg[i+1:]
	}
	return msg
}
