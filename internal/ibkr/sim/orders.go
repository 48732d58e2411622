package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// OrderInfo is an order as the simulator saw it, for tests.
type OrderInfo struct {
	ClientID     int
	OrderID      int64
	PermID       int64
	Account      string
	Symbol       string
	Action       string // BUY or SELL
	Quantity     decimal.Decimal
	OrderType    string // MKT, LMT, STP, STP LMT
	LimitPrice   decimal.Decimal
	AuxPrice     decimal.Decimal
	TIF          string // DAY or GTC
	OrderRef     string
	Status       string // PreSubmitted, Submitted, Filled, Cancelled, or Inactive when rejected
	Reason       string // why it was rejected: the error text sent
	Filled       decimal.Decimal
	AvgFillPrice decimal.Decimal
	Commission   decimal.Decimal
	Placed       time.Time // market time
}

type orderKey struct {
	clientID int
	orderID  int64
}

type order struct {
	OrderInfo
	sym       *symbol
	triggered bool // a stop order whose stop price has been reached
	checked   time.Time
}

func (o *order) working() bool { return o.Status == "PreSubmitted" || o.Status == "Submitted" }

type execution struct {
	id, time                  string
	at                        time.Time
	o                         *order
	account, side             string
	shares, price, commission decimal.Decimal
	realized                  *decimal.Decimal
	liquidity                 int // 1 added, 2 removed
}

var orderTypes = map[string]bool{"MKT": true, "LMT": true, "STP": true, "STP LMT": true}

func (c *conn) placeOrder(m wire.Msg) {
	s := c.s
	id, _ := m.Int("orderId")
	key := orderKey{c.clientID, id}
	now := s.marketNow()
	qty, errQ := m.Number("totalQuantity")
	lmt, errL := m.Number("lmtPrice")
	aux, errA := m.Number("auxPrice")
	o := &order{OrderInfo: OrderInfo{
		ClientID: c.clientID, OrderID: id, Account: m.Get("account"), Symbol: strings.ToUpper(m.Get("symbol")),
		Action: m.Get("action"), OrderType: strings.ToUpper(m.Get("orderType")), TIF: strings.ToUpper(m.Get("tif")),
		OrderRef: m.Get("orderRef"), Quantity: toDec(qty), LimitPrice: toDec(lmt), AuxPrice: toDec(aux), Placed: now,
	}, checked: now}
	if o.TIF == "" {
		o.TIF = "DAY"
	}
	if o.Account == "" && len(s.accounts) == 1 {
		o.Account = s.accounts[0].id
	}
	whatIf, _ := m.Bool("whatIf")
	old := s.byKey[key]
	reject := func(code int, msg string) {
		c.sendError(id, code, msg)
		if old != nil || whatIf {
			return
		}
		o.Status, o.Reason = "Inactive", msg
		s.orders = append(s.orders, o)
		s.bumpOrderID(key)
	}
	if old != nil && !old.working() {
		c.sendError(id, codeDupOrderID, "Duplicate order id")
		return
	}
	o.sym = s.resolve(m)
	parent, _ := m.Int("parentId")
	switch {
	case o.sym == nil:
		reject(codeNoSecDef, noSecDef)
	case o.Action != "BUY" && o.Action != "SELL":
		reject(codeRejected, fmt.Sprintf("Order rejected - reason:action %q is not BUY or SELL", o.Action))
	case !orderTypes[o.OrderType]:
		reject(codeBadOrderType, "Unsupported order type for this exchange and security type.")
	case errQ != nil || !qty.Set || o.Quantity.IsZero():
		reject(codeZeroSize, "The order size cannot be zero.")
	case o.Quantity.IsNegative():
		reject(codeRejected, "Order rejected - reason:The order size must be positive.")
	case !o.Quantity.IsInteger():
		reject(codeFractional, "Fractional-sized order cannot be placed via API.")
	case errL != nil || errA != nil:
		reject(codePriceTick, "The price does not conform to the minimum price variation for this contract.")
	case (o.OrderType == "LMT" || o.OrderType == "STP LMT") && !validPrice(lmt):
		reject(codePriceTick, "The price does not conform to the minimum price variation for this contract.")
	case (o.OrderType == "STP" || o.OrderType == "STP LMT") && !validPrice(aux):
		reject(codePriceTick, "The price does not conform to the minimum price variation for this contract.")
	case o.TIF != "DAY" && o.TIF != "GTC":
		reject(codeRejected, fmt.Sprintf("Order rejected - reason:time in force %q is not supported by the simulator (DAY, GTC)", o.TIF))
	case o.Account == "":
		reject(codeNeedAccount, "You must specify an allocation (either a single account, group, or profile).")
	case s.account(o.Account) == nil:
		reject(codeRejected, fmt.Sprintf("Order rejected - reason:account %s is not managed by this login", o.Account))
	case parent != 0 || m.Get("ocaGroup") != "":
		reject(codeRejected, "Order rejected - reason:attached and OCA orders are not supported by the simulator")
	case old != nil && (old.Symbol != o.sym.name || old.Action != o.Action || old.Account != o.Account):
		reject(codeRejected, "Order rejected - reason:a modification cannot change the contract, side or account")
	default:
		o.Symbol = o.sym.name
		why := s.cannotAfford(o, now)
		if whatIf {
			c.sendWhatIf(o, now, why)
			return
		}
		if why != "" {
			reject(codeRejected, "Order rejected - reason:"+why)
			return
		}
		s.acceptOrder(c, o, old, now)
	}
}

func toDec(n wire.Number) decimal.Decimal {
	if !n.Set {
		return decimal.Zero
	}
	return decimal.New(n.Coef, n.Exp)
}

// validPrice: set, positive and on the 0.01 tick.
func validPrice(n wire.Number) bool {
	d := toDec(n)
	return n.Set && d.IsPositive() && d.Mod(cent).IsZero()
}

func (s *Server) bumpOrderID(key orderKey) {
	if key.orderID >= s.nextOrderID(key.clientID) {
		s.nextID[key.clientID] = key.orderID + 1
	}
}

// cannotAfford checks a buy against the cash (the accounts are cash
// accounts); sells, short ones included, are not checked.
func (s *Server) cannotAfford(o *order, now time.Time) string {
	if o.Action != "BUY" {
		return ""
	}
	price := s.mkt.priceAt(o.sym, now)
	if o.OrderType == "LMT" || o.OrderType == "STP LMT" {
		price = decimal.Max(price, o.LimitPrice)
	}
	if o.OrderType == "STP" {
		price = decimal.Max(price, o.AuxPrice)
	}
	value := o.Quantity.Mul(price)
	cost := value.Add(s.commission(o.Quantity, value))
	if cash := s.account(o.Account).cash; cost.GreaterThan(cash) {
		return fmt.Sprintf("insufficient funds: the order costs about %s USD and the cash is %s USD", cost.StringFixed(2), cash.StringFixed(2))
	}
	return ""
}

// commission is IBKR fixed pricing: per share, at least Min, at most
// MaxPercent of the trade value (no cap when MaxPercent is 0), rounded to
// cents.
func (s *Server) commission(qty, value decimal.Decimal) decimal.Decimal {
	cm := s.cfg.Commission
	fee := decimal.Max(qty.Abs().Mul(cm.PerShare), cm.Min)
	if cm.MaxPercent.IsPositive() {
		fee = decimal.Min(fee, value.Abs().Mul(cm.MaxPercent).Div(decimal.NewFromInt(100)))
	}
	return fee.Round(2)
}

// acceptOrder makes an order (or a modification of a working one) live: it is
// acknowledged, and a marketable one fills at once.
func (s *Server) acceptOrder(c *conn, o *order, old *order, now time.Time) {
	if old != nil {
		old.Quantity, old.OrderType, old.LimitPrice, old.AuxPrice, old.TIF, old.OrderRef = o.Quantity, o.OrderType, o.LimitPrice, o.AuxPrice, o.TIF, o.OrderRef
		old.triggered, old.checked = false, now
		o = old
	} else {
		s.permSeq++
		o.PermID = s.permSeq
		s.orders = append(s.orders, o)
		s.byKey[orderKey{o.ClientID, o.OrderID}] = o
		s.bumpOrderID(orderKey{o.ClientID, o.OrderID})
	}
	// Stops wait in PreSubmitted until triggered, as IB simulates them.
	o.Status = "Submitted"
	if o.OrderType == "MKT" || o.OrderType == "STP" || o.OrderType == "STP LMT" {
		o.Status = "PreSubmitted"
	}
	s.log.Info("order", "client", o.ClientID, "id", o.OrderID, "action", o.Action, "qty", o.Quantity.String(),
		"symbol", o.Symbol, "type", o.OrderType, "lmt", o.LimitPrice.String(), "aux", o.AuxPrice.String(), "tif", o.TIF)
	if c != nil {
		c.sendOpenOrder(o)
		c.sendOrderStatus(o)
	}
	price := s.mkt.priceAt(o.sym, now)
	if fill, ok := s.marketable(o, price); ok {
		s.fill(o, fill, now, 2)
	}
}

// marketable reports whether o executes at price now, and at what price.
func (s *Server) marketable(o *order, price decimal.Decimal) (decimal.Decimal, bool) {
	buy := o.Action == "BUY"
	if !o.triggered && (o.OrderType == "STP" || o.OrderType == "STP LMT") {
		if buy && price.LessThan(o.AuxPrice) || !buy && price.GreaterThan(o.AuxPrice) {
			return decimal.Zero, false
		}
		o.triggered = true
	}
	switch o.OrderType {
	case "MKT", "STP":
		return price, true
	}
	if buy && price.LessThanOrEqual(o.LimitPrice) || !buy && price.GreaterThanOrEqual(o.LimitPrice) {
		return price, true
	}
	return decimal.Zero, false
}

// checkOrders walks each working order along the intraday path from where
// it was last checked to now: a resting limit fills at its limit price
// when the path reaches it, a stop triggers when the path reaches the stop
// and then fills (STP) at that minute's price or rests as a limit (STP
// LMT). DAY orders still working at the close are cancelled.
func (s *Server) checkOrders(now time.Time) {
	_, closing := s.mkt.session(s.mkt.asOf)
	for _, o := range s.orders {
		if !o.working() {
			continue
		}
		p := s.mkt.path(o.sym, o.sym.today)
		from := s.mkt.minuteOf(o.sym, o.sym.today, o.checked) + 1
		to := s.mkt.minuteOf(o.sym, o.sym.today, now)
		open, _ := s.mkt.session(o.sym.days[o.sym.today])
		for k := from; k <= to && o.working(); k++ {
			at := open.Add(time.Duration(k) * time.Minute)
			wasTriggered := o.triggered
			price, ok := s.marketable(o, p[k])
			if !ok {
				continue
			}
			if o.OrderType == "LMT" || (o.OrderType == "STP LMT" && wasTriggered) {
				price = o.LimitPrice // resting: the path came to the limit
			}
			s.fill(o, price, at, 1)
		}
		o.checked = now
		if o.working() && o.TIF == "DAY" && !now.Before(closing) {
			o.Status = "Cancelled"
			s.log.Info("DAY order expired at the close", "client", o.ClientID, "id", o.OrderID)
			if c := s.clients[o.ClientID]; c != nil {
				c.sendOrderStatus(o)
			}
		}
	}
}

// fill executes o whole at price: the account changes, the execution is
// recorded, and the owner, if connected, hears of it. The order of the
// Filled status, the execution and its commission report varies with the
// seed, as it does on a real Gateway.
func (s *Server) fill(o *order, price decimal.Decimal, at time.Time, liquidity int) {
	acct := s.account(o.Account)
	value := o.Quantity.Mul(price)
	fee := s.commission(o.Quantity, value)
	realized := acct.apply(o.Symbol, o.Action == "BUY", o.Quantity, price, fee)
	o.Status, o.Filled, o.AvgFillPrice, o.Commission = "Filled", o.Quantity, price, fee
	s.execSeq++
	e := &execution{
		id: fmt.Sprintf("%08x.%08x.01.01", uint32(o.PermID), uint32(s.execSeq)), at: at,
		time: at.In(eastern).Format("20060102 15:04:05") + " " + zoneName,
		o:    o, account: acct.id, side: "BOT", shares: o.Quantity, price: price, commission: fee,
		realized: realized, liquidity: liquidity,
	}
	if o.Action == "SELL" {
		e.side = "SLD"
	}
	s.execs = append(s.execs, e)
	s.log.Info("fill", "client", o.ClientID, "id", o.OrderID, "side", e.side, "qty", o.Quantity.String(),
		"symbol", o.Symbol, "price", price.String(), "commission", fee.String())
	if c := s.clients[o.ClientID]; c != nil {
		status := func() { c.sendOpenOrder(o); c.sendOrderStatus(o) }
		exec := func() { c.sendExecution(-1, e) }
		comm := func() { c.sendCommission(e) }
		orders := [][]func(){{status, exec, comm}, {exec, comm, status}, {exec, status, comm}}
		for _, f := range orders[s.mkt.rng("fill", strconv.FormatInt(o.PermID, 10)).IntN(len(orders))] {
			f()
		}
	}
	if s.faults.execCorrection {
		s.correct(e)
	}
	for c := range s.conns {
		if c.positions {
			p := acct.positions[o.Symbol]
			if p == nil {
				p = &Position{Symbol: o.Symbol, Quantity: decimal.Zero, AvgCost: decimal.Zero}
			}
			c.sendPosition(acct.id, *p)
		}
	}
}

// correct sends a correction of execution e, as IB does when it amends a
// fill: the same execution with the last segment of its execId incremented
// (….01.01 becomes ….01.02) and its own commission report. The account is
// not booked again; reqExecutions lists both revisions, as the Gateway
// does, and clients keep the latest.
func (s *Server) correct(e *execution) {
	c2 := *e
	i := strings.LastIndexByte(e.id, '.')
	n, _ := strconv.ParseUint(e.id[i+1:], 16, 64)
	c2.id = fmt.Sprintf("%s.%02x", e.id[:i], n+1)
	s.execs = append(s.execs, &c2)
	s.log.Info("fault: execution corrected", "execId", e.id, "correction", c2.id)
	if c := s.clients[e.o.ClientID]; c != nil {
		c.sendExecution(-1, &c2)
		c.sendCommission(&c2)
	}
}

// apply books a fill into the account: cash moves by the trade value and
// the commission; a position grows at an average cost that includes the
// commission, or shrinks at its average cost, realising the difference
// (less the whole commission). realized is nil for an opening trade.
func (a *account) apply(sym string, buy bool, qty, price, fee decimal.Decimal) *decimal.Decimal {
	value := qty.Mul(price)
	signed := qty
	if buy {
		a.cash = a.cash.Sub(value).Sub(fee)
	} else {
		a.cash = a.cash.Add(value).Sub(fee)
		signed = qty.Neg()
	}
	p := a.positions[sym]
	if p == nil {
		p = &Position{Symbol: sym, Quantity: decimal.Zero, AvgCost: decimal.Zero}
		a.positions[sym] = p
	}
	var realized *decimal.Decimal
	old := p.Quantity
	switch {
	case old.IsZero() || old.Sign() == signed.Sign():
		// Opening or adding: cost per share includes the commission (a short's
		// proceeds per share net of it).
		total := old.Abs().Mul(p.AvgCost).Add(value)
		if buy {
			total = total.Add(fee)
		} else {
			total = total.Sub(fee)
		}
		p.Quantity = old.Add(signed)
		p.AvgCost = total.DivRound(p.Quantity.Abs(), 8)
	default:
		closing := decimal.Min(qty, old.Abs())
		r := price.Sub(p.AvgCost).Mul(closing).Mul(decimal.NewFromInt(int64(old.Sign()))).Sub(fee).Round(2)
		realized = &r
		p.Quantity = old.Add(signed)
		if p.Quantity.Sign() == signed.Sign() {
			p.AvgCost = price // turned from long to short or back: the rest opens at the price
		}
	}
	if p.Quantity.IsZero() {
		delete(a.positions, sym)
	}
	return realized
}

func (c *conn) sendOpenOrder(o *order) {
	c.send(wire.OpenOrder, c.openOrderValues(o, o.Status))
}

func (c *conn) openOrderValues(o *order, status string) map[string]string {
	return map[string]string{
		"orderId": strconv.FormatInt(o.OrderID, 10), "conId": strconv.FormatInt(o.sym.conID, 10), "symbol": o.Symbol,
		"secType": "STK", "exchange": "SMART", "currency": "USD", "localSymbol": o.Symbol, "tradingClass": tradingClass(o.Symbol),
		"action": o.Action, "totalQuantity": o.Quantity.String(), "orderType": o.OrderType,
		"lmtPrice": o.LimitPrice.String(), "auxPrice": o.AuxPrice.String(), "tif": o.TIF, "account": o.Account,
		"orderRef": o.OrderRef, "clientId": strconv.Itoa(o.ClientID), "permId": strconv.FormatInt(o.PermID, 10),
		"status": status,
	}
}

func (c *conn) sendOrderStatus(o *order) {
	remaining := o.Quantity.Sub(o.Filled)
	c.send(wire.OrderStatus, map[string]string{
		"orderId": strconv.FormatInt(o.OrderID, 10), "status": o.Status, "filled": o.Filled.String(),
		"remaining": remaining.String(), "avgFillPrice": o.AvgFillPrice.String(), "permId": strconv.FormatInt(o.PermID, 10),
		"parentId": "0", "lastFillPrice": o.AvgFillPrice.String(), "clientId": strconv.Itoa(o.ClientID), "whyHeld": "",
		"mktCapPrice": "0",
	})
}

// sendWhatIf answers a what-if order: an openOrder with the margin and
// commission it would have, why it would be rejected as warningText, and
// nothing placed.
func (c *conn) sendWhatIf(o *order, now time.Time, warning string) {
	s := c.s
	price := s.mkt.priceAt(o.sym, now)
	if o.OrderType != "MKT" && o.OrderType != "STP" {
		price = o.LimitPrice
	}
	fee := s.commission(o.Quantity, o.Quantity.Mul(price))
	ewl := s.valuation(s.account(o.Account), now)["EquityWithLoanValue"]
	vals := c.openOrderValues(o, "PreSubmitted")
	for _, k := range []string{"initMarginBefore", "maintMarginBefore", "initMarginChange", "maintMarginChange", "initMarginAfter", "maintMarginAfter"} {
		vals[k] = "0"
	}
	vals["equityWithLoanBefore"], vals["equityWithLoanAfter"] = ewl, ewl
	vals["equityWithLoanChange"] = "0"
	vals["commission"], vals["minCommission"], vals["maxCommission"] = fee.String(), fee.String(), fee.String()
	vals["commissionCurrency"] = "USD"
	vals["whatIf"] = "1"
	vals["warningText"] = warning
	c.send(wire.OpenOrder, vals)
}

func (c *conn) sendExecution(reqID int64, e *execution) {
	o := e.o
	c.send(wire.ExecDetails, map[string]string{
		"reqId": strconv.FormatInt(reqID, 10), "orderId": strconv.FormatInt(o.OrderID, 10),
		"conId": strconv.FormatInt(o.sym.conID, 10), "symbol": o.Symbol, "secType": "STK", "exchange": primaryExchange(o.Symbol),
		"currency": "USD", "localSymbol": o.Symbol, "tradingClass": tradingClass(o.Symbol), "execId": e.id, "time": e.time,
		"acctNumber": e.account, "execExchange": primaryExchange(o.Symbol), "side": e.side, "shares": e.shares.String(),
		"price": e.price.String(), "permId": strconv.FormatInt(o.PermID, 10), "clientId": strconv.Itoa(o.ClientID),
		"cumQty": e.shares.String(), "avgPrice": e.price.String(), "orderRef": o.OrderRef,
		"lastLiquidity": strconv.Itoa(e.liquidity),
	})
}

func (c *conn) sendCommission(e *execution) {
	realized := "1.7976931348623157E308" // the Gateway's "no value"
	if e.realized != nil {
		realized = e.realized.String()
	}
	c.send(wire.CommissionReport, map[string]string{
		"execId": e.id, "commission": e.commission.String(), "currency": "USD", "realizedPNL": realized,
		"yield": "1.7976931348623157E308", "yieldRedemptionDate": "0",
	})
}

func (c *conn) cancelOrder(m wire.Msg) {
	id, _ := m.Int("orderId")
	o := c.s.byKey[orderKey{c.clientID, id}]
	switch {
	case o == nil:
		c.sendError(id, codeCancelNotFound, fmt.Sprintf("OrderId %d that needs to be cancelled is not found.", id))
	case !o.working():
		c.sendError(id, codeCancelDone, fmt.Sprintf("OrderId %d that needs to be cancelled cannot be cancelled, state: %s.", id, o.Status))
	default:
		c.s.cancel(o)
	}
}

// cancel ends a working order: orderStatus Cancelled, then the 202 notice.
func (s *Server) cancel(o *order) {
	o.Status = "Cancelled"
	s.log.Info("order cancelled", "client", o.ClientID, "id", o.OrderID)
	if c := s.clients[o.ClientID]; c != nil {
		c.sendOrderStatus(o)
		c.sendError(o.OrderID, codeCancelled, "Order Canceled - reason:")
	}
}

func (s *Server) globalCancel() {
	for _, o := range s.orders {
		if o.working() {
			s.cancel(o)
		}
	}
}

// openOrders answers reqOpenOrders (this client's working orders) and
// reqAllOpenOrders (every client's): openOrder and orderStatus for each,
// then openOrderEnd.
func (c *conn) openOrders(all bool) {
	for _, o := range c.s.orders {
		if o.working() && (all || o.ClientID == c.clientID) {
			c.sendOpenOrder(o)
			c.sendOrderStatus(o)
		}
	}
	c.send(wire.OpenOrderEnd, nil)
}

// executions answers reqExecutions: the executions matching the filter,
// each with its commission report, then execDetailsEnd. The time filter
// ("yyyymmdd hh:mm:ss" in US/Eastern, an explicit zone, or
// "yyyymmdd-hh:mm:ss" UTC) compares with the simulated market time of the
// executions.
func (c *conn) executions(m wire.Msg) {
	id, _ := m.Int("reqId")
	reqID := strconv.FormatInt(id, 10)
	clientID, _ := m.Int("clientId")
	var since time.Time
	if t := m.Get("time"); t != "" {
		var err error
		since, err = parseFilterTime(t)
		if err != nil {
			c.sendError(id, codeValidation, fmt.Sprintf("Error validating request.-'bX' : cause - execution filter time %q is not yyyymmdd hh:mm:ss", t))
			return
		}
	}
	side := strings.ToUpper(m.Get("side"))
	for _, e := range c.s.execs {
		o := e.o
		switch {
		case clientID != 0 && int64(o.ClientID) != clientID,
			m.Get("acctCode") != "" && m.Get("acctCode") != e.account,
			m.Get("symbol") != "" && !strings.EqualFold(m.Get("symbol"), o.Symbol),
			m.Get("secType") != "" && m.Get("secType") != "STK",
			m.Get("exchange") != "" && m.Get("exchange") != "SMART" && m.Get("exchange") != primaryExchange(o.Symbol),
			side != "" && side != o.Action && side != e.side,
			!since.IsZero() && e.at.Before(since):
			continue
		}
		c.sendExecution(id, e)
		c.sendCommission(e)
	}
	c.send(wire.ExecDetailsEnd, map[string]string{"reqId": reqID})
}

func parseFilterTime(v string) (time.Time, error) {
	if len(v) == 17 && v[8] == '-' {
		return time.ParseInLocation("20060102-15:04:05", v, time.UTC)
	}
	loc := eastern
	if len(v) > 17 {
		zone := strings.TrimSpace(v[17:])
		var err error
		if loc, err = time.LoadLocation(zone); err != nil {
			return time.Time{}, err
		}
		v = v[:17]
	}
	return time.ParseInLocation("20060102 15:04:05", v, loc)
}
