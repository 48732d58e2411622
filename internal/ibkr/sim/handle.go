package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// Error codes the simulator sends (reference/ibkr.md §2.4).
const (
	codeRate           = 100
	codeDupOrderID     = 103
	codePriceTick      = 110
	codePacing         = 162
	codeNoSecDef       = 200
	codeRejected       = 201
	codeCancelled      = 202
	codeNoTicker       = 300
	codeReadError      = 320
	codeValidation     = 321
	codeProcessing     = 322
	codeClientIDInUse  = 326
	codeNotSubscribed  = 354
	codeBadOrderType   = 387
	codeZeroSize       = 434
	codeNeedAccount    = 436
	codeNoDateZone     = 2174
	codeCancelNotFound = 10147
	codeCancelDone     = 10148
	codeDelayedShown   = 10167
	codeDelayedOff     = 10168
	codeFractional     = 10243
	codeBadEndDate     = 10314
)

const noSecDef = "No security definition has been found for the request"

// handle decodes and serves one client message, under s.mu. It reports
// false when the connection must be closed.
func (c *conn) handle(fields [][]byte) bool {
	if !c.started {
		return c.startAPI(fields)
	}
	if c.rateLimited() {
		return false
	}
	msgID, err := wire.ParseInt(fields[0])
	if err != nil {
		c.sendError(-1, codeReadError, fmt.Sprintf("Error reading request. Message id %q is not a number.", fields[0]))
		return true
	}
	m, known, err := wire.Decode(wire.Outgoing, fields)
	if !known {
		c.s.log.Warn("unsupported message", "conn", c.seq, "client", c.clientID, "id", msgID, "fields", len(fields))
		c.sendError(-1, codeReadError, fmt.Sprintf("Error reading request. Message id %d. Unsupported message id.", msgID))
		return true
	}
	if err != nil {
		c.s.log.Warn("malformed request", "conn", c.seq, "client", c.clientID, "msg", m.Layout.Name, "err", err)
		c.sendError(requestID(m.Layout, fields), codeReadError, fmt.Sprintf("Error reading request. Message id %d. %v", msgID, err))
		return true
	}
	c.s.log.Debug("recv", "conn", c.seq, "client", c.clientID, "msg", m.Layout.Name)
	s := c.s
	switch m.Layout {
	case wire.StartAPI:
		c.sendError(-1, codeValidation, "Error validating request.-'startApi' : cause - the API session is already started")
	case wire.ReqIDs:
		c.send(wire.NextValidID, map[string]string{"orderId": strconv.FormatInt(s.nextOrderID(c.clientID), 10)})
	case wire.ReqManagedAccts:
		ids := make([]string, len(s.accounts))
		for i, a := range s.accounts {
			ids[i] = a.id
		}
		c.send(wire.ManagedAccts, map[string]string{"accountsList": strings.Join(ids, ",")})
	case wire.ReqCurrentTime:
		c.send(wire.CurrentTime, map[string]string{"time": strconv.FormatInt(s.marketNow().Unix(), 10)}) // the simulated market clock, like quote and fill times
	case wire.ReqPositions:
		c.positions = true
		for _, a := range s.accounts {
			for _, p := range a.sortedPositions() {
				c.sendPosition(a.id, p)
			}
		}
		c.send(wire.PositionEnd, nil)
	case wire.CancelPositions:
		c.positions = false
	case wire.ReqAccountSummary:
		c.accountSummary(m)
	case wire.CancelAccountSummary:
		id, _ := m.Int("reqId")
		delete(c.summaries, id)
	case wire.ReqMarketDataType:
		t, _ := m.Int("marketDataType")
		if t < 1 || t > 4 {
			c.sendError(-1, codeValidation, fmt.Sprintf("Error validating request.-'marketDataType' : cause - invalid market data type %d", t))
			break
		}
		c.mdType = int(t)
	case wire.ReqMktData:
		c.reqMktData(m)
	case wire.CancelMktData:
		id, _ := m.Int("reqId")
		if c.mkt[id] == nil {
			c.sendError(id, codeNoTicker, fmt.Sprintf("Can't find EId with tickerId:%d", id))
			break
		}
		delete(c.mkt, id)
	case wire.ReqContractDetails:
		c.contractDetails(m)
	case wire.ReqHistoricalData:
		c.historicalData(m)
	case wire.CancelHistoricalData:
		// Answers are sent whole at once, so there is never one to cancel.
	case wire.PlaceOrder:
		c.placeOrder(m)
	case wire.CancelOrder:
		c.cancelOrder(m)
	case wire.ReqOpenOrders:
		c.openOrders(false)
	case wire.ReqAllOpenOrders:
		c.openOrders(true)
	case wire.ReqAutoOpenOrders:
		// Orders placed in TWS itself do not exist here: nothing to bind.
	case wire.ReqExecutions:
		c.executions(m)
	case wire.ReqGlobalCancel:
		s.globalCancel()
	default:
		c.sendError(-1, codeReadError, fmt.Sprintf("Error reading request. Message id %d. Unsupported message id.", msgID))
	}
	return true
}

// requestID finds the request or order id of a message that failed to
// decode, so the client can tell which request failed; -1 when there is
// none or it is unreadable.
func requestID(l *wire.Layout, fields [][]byte) int64 {
	for i, f := range l.Fields {
		if f.Kind == wire.Repeat || f.Kind == wire.Cond {
			break
		}
		if f.Name == "reqId" || f.Name == "orderId" {
			if i < len(fields) {
				if v, err := wire.ParseInt(fields[i]); err == nil {
					return v
				}
			}
			break
		}
	}
	return -1
}

func (c *conn) sendPosition(acct string, p Position) {
	sym := c.s.mkt.syms[p.Symbol]
	c.send(wire.Position, map[string]string{
		"account": acct, "conId": strconv.FormatInt(sym.conID, 10), "symbol": p.Symbol, "secType": "STK",
		"exchange": primaryExchange(p.Symbol), "currency": "USD", "localSymbol": p.Symbol, "tradingClass": tradingClass(p.Symbol),
		"position": p.Quantity.String(), "avgCost": p.AvgCost.String(),
	})
}

// The account summary tags the simulator knows. The accounts are cash
// accounts: no margin requirement, buying power is the cash.
var summaryTags = []string{
	"AccountType", "NetLiquidation", "TotalCashValue", "SettledCash", "AccruedCash", "BuyingPower",
	"EquityWithLoanValue", "PreviousDayEquityWithLoanValue", "GrossPositionValue", "InitMarginReq", "MaintMarginReq",
	"AvailableFunds", "ExcessLiquidity", "Cushion", "Leverage",
}

func (c *conn) accountSummary(m wire.Msg) {
	id, _ := m.Int("reqId")
	if c.summaries[id] {
		c.sendError(id, codeProcessing, "Error processing request.-'bb' : cause - Duplicate ticker id")
		return
	}
	if len(c.summaries) >= 2 {
		c.sendError(id, codeProcessing, "Error processing request.-'bb' : cause - Maximum number of account summary requests exceeded")
		return
	}
	if g := m.Get("group"); g != "All" {
		c.sendError(id, codeValidation, fmt.Sprintf("Error validating request.-'bb' : cause - unknown group %q: the simulator has no advisor groups, use \"All\"", g))
		return
	}
	c.summaries[id] = true
	var tags []string
	for _, t := range strings.Split(m.Get("tags"), ",") {
		t = strings.TrimSpace(t)
		if t == "$LEDGER" || t == "$LEDGER:ALL" || t == "$LEDGER:USD" {
			tags = append(tags, "TotalCashValue", "NetLiquidation")
			continue
		}
		for _, known := range summaryTags {
			if strings.EqualFold(t, known) {
				tags = append(tags, known)
			}
		}
	}
	now := c.s.marketNow()
	reqID := strconv.FormatInt(id, 10)
	for _, a := range c.s.accounts {
		v := c.s.valuation(a, now)
		for _, t := range tags {
			val, cur := v[t], "USD"
			if t == "AccountType" {
				cur = ""
			}
			c.send(wire.AccountSummary, map[string]string{"reqId": reqID, "account": a.id, "tag": t, "value": val, "currency": cur})
		}
	}
	c.send(wire.AccountSummaryEnd, map[string]string{"reqId": reqID})
}

// valuation is an account's summary values at market time now.
func (s *Server) valuation(a *account, t time.Time) map[string]string {
	gross := decimal.Zero
	for _, p := range a.positions {
		sym := s.mkt.lookup(p.Symbol)
		price := p.AvgCost
		if sym != nil {
			price = s.mkt.priceAt(sym, t)
		}
		gross = gross.Add(p.Quantity.Mul(price).Abs())
	}
	netLiq := a.cash
	for _, p := range a.positions {
		sym := s.mkt.lookup(p.Symbol)
		price := p.AvgCost
		if sym != nil {
			price = s.mkt.priceAt(sym, t)
		}
		netLiq = netLiq.Add(p.Quantity.Mul(price))
	}
	funds := decimal.Max(a.cash, decimal.Zero)
	money := func(d decimal.Decimal) string { return d.StringFixed(2) }
	ratio := func(x, y decimal.Decimal) string {
		if y.IsZero() {
			return "0"
		}
		return x.DivRound(y, 6).String()
	}
	return map[string]string{
		"AccountType":                    "INDIVIDUAL",
		"NetLiquidation":                 money(netLiq),
		"TotalCashValue":                 money(a.cash),
		"SettledCash":                    money(a.cash),
		"AccruedCash":                    money(decimal.Zero),
		"BuyingPower":                    money(funds),
		"EquityWithLoanValue":            money(netLiq),
		"PreviousDayEquityWithLoanValue": money(netLiq),
		"GrossPositionValue":             money(gross),
		"InitMarginReq":                  money(decimal.Zero),
		"MaintMarginReq":                 money(decimal.Zero),
		"AvailableFunds":                 money(funds),
		"ExcessLiquidity":                money(funds),
		"Cushion":                        ratio(funds, netLiq),
		"Leverage":                       ratio(gross, netLiq),
	}
}
