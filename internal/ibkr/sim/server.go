package sim

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// Server is a simulated IB Gateway. Its methods are safe for concurrent use.
type Server struct {
	cfg Config
	log *slog.Logger
	mkt *market

	wallStart time.Time // cfg.Now() at New: the market clock's zero
	stop      chan struct{}
	wg        sync.WaitGroup

	mu        sync.Mutex // guards everything below
	closed    bool
	looping   bool
	faults    faults
	listeners []net.Listener
	conns     map[*conn]struct{}
	clients   map[int]*conn // connected client ids
	connSeq   int
	accounts  []*account
	orders    []*order
	byKey     map[orderKey]*order
	execs     []*execution
	nextID    map[int]int64 // next valid order id per client id
	permSeq   int64
	execSeq   int
	pacer     pacer
	lastCheck time.Time // market time up to which resting orders were checked
}

type account struct {
	id        string
	cash      decimal.Decimal
	positions map[string]*Position
}

// New checks cfg and builds a server. It starts nothing: Serve, Start or
// ListenAndServe do.
func New(cfg Config) (*Server, error) {
	cfg = withDefaults(cfg)
	mkt, err := newMarket(cfg.Prices, cfg.AsOf, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("sim: prices: %w", err)
	}
	fs, err := compileFaults(cfg.Faults)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger, mkt: mkt,
		wallStart: cfg.Now(),
		stop:      make(chan struct{}),
		faults:    fs,
		conns:     map[*conn]struct{}{},
		clients:   map[int]*conn{},
		byKey:     map[orderKey]*order{},
		nextID:    map[int]int64{},
		permSeq:   1_000_000 + mkt.rng("perm").Int64N(1_000_000),
	}
	s.lastCheck = s.marketOpen()
	seen := map[string]bool{}
	for _, a := range cfg.Accounts {
		if a.ID == "" || seen[a.ID] {
			return nil, fmt.Errorf("sim: account id %q is empty or repeated", a.ID)
		}
		seen[a.ID] = true
		acct := &account{id: a.ID, cash: a.Cash, positions: map[string]*Position{}}
		for _, p := range a.Positions {
			if mkt.syms[p.Symbol] == nil {
				return nil, fmt.Errorf("sim: account %s holds %s, which has no prices", a.ID, p.Symbol)
			}
			if acct.positions[p.Symbol] != nil {
				return nil, fmt.Errorf("sim: account %s holds %s twice", a.ID, p.Symbol)
			}
			p := p
			acct.positions[p.Symbol] = &p
		}
		s.accounts = append(s.accounts, acct)
	}
	return s, nil
}

// marketOpen is 09:30 US/Eastern on AsOf, where the market clock starts.
func (s *Server) marketOpen() time.Time {
	open, _ := s.mkt.session(s.mkt.asOf)
	return open
}

// marketNow is the simulated market time: AsOf 09:30 US/Eastern plus the
// wall time since New, times Speed, held at 16:00 once reached.
func (s *Server) marketNow() time.Time {
	elapsed := time.Duration(float64(s.cfg.Now().Sub(s.wallStart)) * s.cfg.Speed)
	open, closing := s.mkt.session(s.mkt.asOf)
	t := open.Add(max(elapsed, 0))
	if t.After(closing) {
		return closing
	}
	return t
}

// ErrServerClosed is returned by Serve and Start after Close.
var ErrServerClosed = errors.New("sim: server closed")

// Serve accepts connections on l until Close, which makes it return nil.
func (s *Server) Serve(l net.Listener) error {
	if err := s.register(l); err != nil {
		return err
	}
	return s.accept(l)
}

// register adds a listener and starts the market clock with the first.
// The caller then runs accept, which the wait group counts.
func (s *Server) register(l net.Listener) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		if l != nil {
			l.Close()
		}
		return ErrServerClosed
	}
	s.listeners = append(s.listeners, l)
	if !s.looping {
		s.looping = true
		s.wg.Add(1)
		go s.marketLoop()
	}
	s.wg.Add(1)
	s.log.Info("gateway simulator listening", "addr", l.Addr().String(), "version", s.cfg.ServerVersion)
	return nil
}

func (s *Server) accept(l net.Listener) error {
	defer s.wg.Done()
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("sim: accept: %w", err)
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return nil
		}
		s.connSeq++
		c := newConn(s, nc, s.connSeq)
		s.conns[c] = struct{}{}
		s.wg.Add(2)
		s.mu.Unlock()
		s.log.Debug("client connected", "conn", c.seq, "remote", nc.RemoteAddr().String())
		go c.writeLoop()
		go c.readLoop()
	}
}

// ListenAndServe listens on addr and serves until Close.
func (s *Server) ListenAndServe(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	return s.Serve(l)
}

// Start listens on addr and serves in the background until Close. It
// returns the address actually listened on, so "127.0.0.1:0" works.
func (s *Server) Start(addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("sim: %w", err)
	}
	if err := s.register(l); err != nil {
		return "", err
	}
	go func() {
		if err := s.accept(l); err != nil {
			s.log.Error("gateway simulator stopped accepting", "err", err)
		}
	}()
	return l.Addr().String(), nil
}

// ServerVersion is the protocol version the server answers with
// (Config.ServerVersion, or wire.ServerVersion by default).
func (s *Server) ServerVersion() int { return s.cfg.ServerVersion }

// Addr is the address of the first listener ("" before Serve).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.listeners) == 0 {
		return ""
	}
	return s.listeners[0].Addr().String()
}

// Close stops listening, closes every connection and waits for all the
// server's goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	var err error
	for _, l := range s.listeners {
		if e := l.Close(); e != nil && !errors.Is(e, net.ErrClosed) {
			err = e
		}
	}
	for c := range s.conns {
		c.close()
	}
	close(s.stop)
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// SetFaults replaces the active faults. Invalid faults are logged and
// skipped; use ParseFault to check them first.
func (s *Server) SetFaults(fs ...Fault) {
	var ok []Fault
	for _, f := range fs {
		if _, err := ParseFault(f.String()); err != nil {
			s.log.Error("fault ignored", "err", err)
			continue
		}
		ok = append(ok, f)
	}
	c, _ := compileFaults(ok)
	s.mu.Lock()
	s.faults = c
	s.mu.Unlock()
}

// Broadcast sends an error message with id -1 to every connected client:
// connectivity codes (1100, 1101, 1102) or any notice. An empty msg takes
// the Gateway's text for known codes. 1100 pauses streaming market data
// until 1101 or 1102; 1101 also drops every market-data subscription, as
// the real "data lost" does, so clients must resubscribe.
func (s *Server) Broadcast(code int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.started {
			c.connectivity(code, msg)
		}
	}
}

// DropConnections closes every client socket now, as a Gateway restart or
// a network drop would, and keeps listening.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.close()
	}
}

// Accounts returns the accounts as they are now, positions sorted by
// symbol.
func (s *Server) Accounts() []Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Account, 0, len(s.accounts))
	for _, a := range s.accounts {
		out = append(out, Account{ID: a.id, Cash: a.cash, Positions: a.sortedPositions()})
	}
	return out
}

func (a *account) sortedPositions() []Position {
	ps := make([]Position, 0, len(a.positions))
	for _, p := range a.positions {
		ps = append(ps, *p)
	}
	slices.SortFunc(ps, func(x, y Position) int {
		switch {
		case x.Symbol < y.Symbol:
			return -1
		case x.Symbol > y.Symbol:
			return 1
		}
		return 0
	})
	return ps
}

func (s *Server) account(id string) *account {
	for _, a := range s.accounts {
		if a.id == id {
			return a
		}
	}
	return nil
}

// Orders returns every order received, rejected ones included, in the
// order they arrived.
func (s *Server) Orders() []OrderInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]OrderInfo, 0, len(s.orders))
	for _, o := range s.orders {
		out = append(out, o.OrderInfo)
	}
	return out
}

// marketLoop moves the market clock: it fills resting orders the
// intraday path crosses, expires DAY orders at the close and sends
// streaming market data.
func (s *Server) marketLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.TickInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		s.step()
		s.mu.Unlock()
	}
}

func (s *Server) step() {
	now := s.marketNow()
	s.checkOrders(now)
	for c := range s.conns {
		c.streamTicks(now)
	}
}
