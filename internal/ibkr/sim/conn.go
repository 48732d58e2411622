package sim

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

const (
	handshakeTimeout = time.Minute
	writeTimeout     = 10 * time.Second
	maxQueued        = 100_000 // frames; a client this far behind is dropped
	rateWindow       = time.Second
	rateMax          = 50
)

// conn is one client connection: a reader goroutine that handles requests
// under the server's lock, and a writer goroutine that sends the frames
// they queue, in order, applying the delay, split-frames and
// disconnect-after faults.
type conn struct {
	s   *Server
	nc  net.Conn
	seq int

	// Guarded by s.mu.
	started    bool
	clientID   int
	mdType     int // requested market data type, 1 until reqMarketDataType
	positions  bool
	summaries  map[int64]bool
	mkt        map[int64]*subscription
	lost       bool // 1100 sent and not yet restored: no streaming ticks
	recent     []time.Time
	violations int
	lastViol   time.Time

	qmu      sync.Mutex // guards queue and flushing
	queue    []frame
	flushing bool // close once the queue is written
	wake     chan struct{}

	done      chan struct{}
	closeOnce sync.Once
	writerEnd chan struct{}
}

type frame struct {
	b  []byte
	at time.Time // when it was queued, for the delay fault
}

func newConn(s *Server, nc net.Conn, seq int) *conn {
	return &conn{
		s: s, nc: nc, seq: seq, mdType: 1,
		summaries: map[int64]bool{},
		mkt:       map[int64]*subscription{},
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
		writerEnd: make(chan struct{}),
	}
}

func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		c.nc.Close()
	})
}

// enqueue queues a frame for the writer. Called under s.mu, so frames from
// the reader and the market loop keep the order in which state changed.
func (c *conn) enqueue(b []byte) {
	c.qmu.Lock()
	if c.flushing {
		c.qmu.Unlock()
		return
	}
	if len(c.queue) >= maxQueued {
		c.qmu.Unlock()
		c.s.log.Warn("client too slow, dropping it", "conn", c.seq, "client", c.clientID)
		c.close()
		return
	}
	c.queue = append(c.queue, frame{b: b, at: time.Now()})
	c.qmu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// closeAfterFlush sends what is queued, then closes: the Gateway's way of
// refusing a connection with a reason.
func (c *conn) closeAfterFlush() {
	c.qmu.Lock()
	c.flushing = true
	c.qmu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// send encodes one message and queues it. An encoding error is a bug in
// the simulator, logged rather than sent half-made.
func (c *conn) send(l *wire.Layout, vals map[string]string) {
	c.sendGroups(l, vals, nil)
}

func (c *conn) sendGroups(l *wire.Layout, vals map[string]string, groups map[string][]map[string]string) {
	b, err := l.Encode(nil, wire.Msg{Values: vals, Groups: groups})
	if err != nil {
		c.s.log.Error("simulator bug: cannot encode", "msg", l.Name, "err", err)
		return
	}
	c.s.log.Debug("send", "conn", c.seq, "client", c.clientID, "msg", l.Name)
	c.enqueue(b)
}

// sendError sends an error message (4). id is the request, order or -1.
func (c *conn) sendError(id int64, code int, msg string) {
	c.send(wire.ErrorMsg, map[string]string{
		"id": strconv.FormatInt(id, 10), "errorCode": strconv.Itoa(code), "errorString": msg,
	})
}

func (c *conn) writeLoop() {
	defer c.s.wg.Done()
	defer close(c.writerEnd)
	sent := 0
	hello := true // the first frame is the server hello, not an API message
	for {
		c.qmu.Lock()
		batch := c.queue
		c.queue = nil
		flushing := c.flushing
		c.qmu.Unlock()
		for _, f := range batch {
			c.s.mu.Lock()
			fs := c.s.faults
			c.s.mu.Unlock()
			if fs.delay > 0 {
				if !c.sleep(time.Until(f.at.Add(fs.delay))) {
					return
				}
			}
			if err := c.write(f.b, fs.splitFrames); err != nil {
				c.close()
				return
			}
			if hello {
				hello = false
				if fs.disconnectAfter < 0 {
					c.s.log.Info("fault: disconnect after the handshake", "conn", c.seq)
					c.close()
					return
				}
				continue
			}
			sent++
			if fs.disconnectAfter > 0 && sent >= fs.disconnectAfter {
				c.s.log.Info("fault: disconnect", "conn", c.seq, "after", sent)
				c.close()
				return
			}
		}
		if flushing && len(batch) == 0 {
			c.close()
			return
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
	}
}

func (c *conn) sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.done:
		return false
	}
}

// write sends one frame, in pieces with short pauses under split-frames:
// the length prefix cut in two, then the payload in three parts.
func (c *conn) write(b []byte, split bool) error {
	if err := c.nc.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	if !split || len(b) < 4 {
		_, err := c.nc.Write(b)
		return err
	}
	n := len(b) - 4
	cuts := []int{0, 2, 4, 4 + n/3, 4 + 2*n/3, len(b)}
	for i := range len(cuts) - 1 {
		part := b[cuts[i]:cuts[i+1]]
		if len(part) == 0 {
			continue
		}
		if _, err := c.nc.Write(part); err != nil {
			return err
		}
		if !c.sleep(2 * time.Millisecond) {
			return net.ErrClosed
		}
	}
	return nil
}

func (c *conn) readLoop() {
	defer c.s.wg.Done()
	defer c.finish()
	if !c.handshake() {
		return
	}
	fr := wire.NewFrameReader(c.nc)
	var fields [][]byte
	for {
		payload, err := fr.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.s.log.Debug("read", "conn", c.seq, "err", err)
			}
			return
		}
		fields, err = wire.Split(payload, fields)
		if err != nil {
			c.s.mu.Lock()
			c.sendError(-1, codeReadError, fmt.Sprintf("Error reading request. %v", err))
			c.s.mu.Unlock()
			continue
		}
		c.s.mu.Lock()
		keep := c.handle(fields)
		c.s.mu.Unlock()
		if !keep {
			c.closeAfterFlush()
			return
		}
	}
}

// finish unregisters the connection once its reader has stopped; a
// connection being refused gets its last messages written first.
func (c *conn) finish() {
	c.qmu.Lock()
	flushing := c.flushing
	c.qmu.Unlock()
	if flushing {
		t := time.NewTimer(writeTimeout)
		select {
		case <-c.writerEnd:
		case <-t.C:
		}
		t.Stop()
	}
	c.close()
	c.s.mu.Lock()
	delete(c.s.conns, c)
	if c.started && c.s.clients[c.clientID] == c {
		delete(c.s.clients, c.clientID)
	}
	c.s.mu.Unlock()
	c.s.log.Debug("client disconnected", "conn", c.seq, "client", c.clientID)
}

// handshake reads "API\0" and the version range and answers with the
// server hello. A range without the server's version still gets the
// answer (an old Gateway does that), then the connection is closed.
func (c *conn) handshake() bool {
	if err := c.nc.SetReadDeadline(time.Now().Add(handshakeTimeout)); err != nil {
		return false
	}
	prefix := make([]byte, len(wire.HelloPrefix))
	if _, err := io.ReadFull(c.nc, prefix); err != nil || string(prefix) != wire.HelloPrefix {
		c.s.log.Debug("handshake: no API prefix", "conn", c.seq)
		return false
	}
	fr := wire.NewFrameReader(c.nc)
	payload, err := fr.Next()
	if err != nil {
		return false
	}
	lo, hi, opts, err := wire.ParseVersionRange(payload)
	if err != nil {
		c.s.log.Debug("handshake", "conn", c.seq, "err", err)
		return false
	}
	if err := c.nc.SetReadDeadline(time.Time{}); err != nil {
		return false
	}
	c.s.mu.Lock()
	v := c.s.cfg.ServerVersion
	connTime := c.s.marketNow().UTC().Format("20060102 15:04:05") + " UTC" // the simulated clock, like every other time
	c.enqueue(wire.ServerHello(v, connTime))
	c.s.mu.Unlock()
	c.s.log.Debug("handshake", "conn", c.seq, "min", lo, "max", hi, "options", opts, "answer", v)
	if v < lo || v > hi {
		c.s.log.Info("client wants another version; answered and closing", "conn", c.seq, "min", lo, "max", hi, "version", v)
		c.closeAfterFlush()
		return false
	}
	return true
}

// startAPI handles the first message, which must be startApi: the client
// id is checked and the bootstrap sent.
func (c *conn) startAPI(fields [][]byte) bool {
	msgID, _ := wire.ParseInt(fields[0])
	if msgID != int64(wire.StartAPI.ID) {
		c.sendError(-1, codeReadError, fmt.Sprintf("Error reading request. Message id %s. startApi (71) must come first.", fields[0]))
		return false
	}
	m, err := wire.StartAPI.Decode(fields)
	if err != nil {
		c.sendError(-1, codeReadError, fmt.Sprintf("Error reading request. Message id 71. %v", err))
		return false
	}
	id64, _ := m.Int("clientId")
	id := int(id64)
	s := c.s
	if s.clients[id] != nil || s.faults.clientIDInUse[id] {
		s.log.Info("client id in use", "conn", c.seq, "client", id)
		c.sendError(-1, codeClientIDInUse, "Unable to connect as the client id is already in use. Retry with a unique client id.")
		return false
	}
	c.started, c.clientID = true, id
	s.clients[id] = c
	s.log.Info("client started", "conn", c.seq, "client", id)
	ids := make([]string, len(s.accounts))
	for i, a := range s.accounts {
		ids[i] = a.id
	}
	c.send(wire.ManagedAccts, map[string]string{"accountsList": strings.Join(ids, ",")})
	c.send(wire.NextValidID, map[string]string{"orderId": strconv.FormatInt(s.nextOrderID(id), 10)})
	c.sendError(-1, 2104, "Market data farm connection is OK:usfarm")
	c.sendError(-1, 2106, "HMDS data farm connection is OK:ushmds")
	c.sendError(-1, 2158, "Sec-def data farm connection is OK:secdefnj")
	if code := s.faults.connectivity; code != 0 {
		c.connectivity(code, "")
	}
	return true
}

func (s *Server) nextOrderID(clientID int) int64 {
	if n, ok := s.nextID[clientID]; ok {
		return n
	}
	return 1
}

var connectivityText = map[int]string{
	1100: "Connectivity between IB and Trader Workstation has been lost.",
	1101: "Connectivity between IB and Trader Workstation has been restored - data lost.",
	1102: "Connectivity between IB and Trader Workstation has been restored - data maintained.",
	1300: "TWS socket port has been reset and this connection is being dropped. Please reconnect on the new port",
}

// connectivity sends a connectivity notice and applies what it means for
// streaming data.
func (c *conn) connectivity(code int, msg string) {
	if msg == "" {
		msg = connectivityText[code]
	}
	c.sendError(-1, code, msg)
	switch code {
	case 1100:
		c.lost = true
	case 1101:
		c.lost = false
		clear(c.mkt)
	case 1102:
		c.lost = false
	}
}

// rateLimited records a message under the rate-limit fault and reports
// whether the connection must now be dropped.
func (c *conn) rateLimited() (drop bool) {
	if !c.s.faults.rateLimit {
		c.recent = c.recent[:0]
		return false
	}
	now := c.s.cfg.Now()
	c.recent = append(c.recent, now)
	cut := 0
	for cut < len(c.recent) && now.Sub(c.recent[cut]) >= rateWindow {
		cut++
	}
	c.recent = c.recent[cut:]
	if len(c.recent) <= rateMax {
		return false
	}
	if c.violations > 0 && now.Sub(c.lastViol) < rateWindow {
		return false // the same burst: one error is enough
	}
	c.violations++
	c.lastViol = now
	c.sendError(-1, codeRate, fmt.Sprintf("Max rate of messages per second has been exceeded:max=%d rec=%d (%d)", rateMax, len(c.recent), c.violations))
	if c.violations >= 2 {
		c.s.log.Info("fault: rate limit violated twice, disconnecting", "conn", c.seq, "client", c.clientID)
		return true
	}
	return false
}
