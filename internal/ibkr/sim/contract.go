package sim

import (
	"strconv"
	"strings"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// Every symbol trades as a US stock in USD, routed SMART. A few well-known
// ones get their real listing and name; the rest list on NYSE under their
// own symbol.
var listings = map[string]struct{ exchange, name string }{
	"AAPL": {"NASDAQ", "APPLE INC"},
	"MSFT": {"NASDAQ", "MICROSOFT CORP"},
	"SBUX": {"NASDAQ", "STARBUCKS CORP"},
	"AMZN": {"NASDAQ", "AMAZON.COM INC"},
	"GOOG": {"NASDAQ", "ALPHABET INC-CL C"},
	"NVDA": {"NASDAQ", "NVIDIA CORP"},
	"QQQ":  {"NASDAQ", "INVESCO QQQ TRUST SERIES 1"},
	"IBM":  {"NYSE", "INTL BUSINESS MACHINES CORP"},
	"SPY":  {"ARCA", "SPDR S&P 500 ETF TRUST"},
	"VTI":  {"ARCA", "VANGUARD TOTAL STOCK MKT ETF"},
	"VOO":  {"ARCA", "VANGUARD S&P 500 ETF"},
	"BND":  {"NASDAQ", "VANGUARD TOTAL BOND MARKET"},
	"GSPC": {"ARCA", "S&P 500 INDEX (SIMULATED AS A STOCK)"},
}

func primaryExchange(sym string) string {
	if l, ok := listings[sym]; ok {
		return l.exchange
	}
	return "NYSE"
}

func longName(sym string) string {
	if l, ok := listings[sym]; ok {
		return l.name
	}
	return sym + " (SIMULATED)"
}

func tradingClass(sym string) string {
	if primaryExchange(sym) == "NASDAQ" {
		return "NMS"
	}
	return sym
}

// resolve finds the stock a request's contract block names: by conId, by
// symbol, or both (which must agree). Anything but a USD stock on SMART or
// its listing exchange has no security definition here, nor has a symbol
// the unknown-symbol fault names.
func (s *Server) resolve(m wire.Msg) *symbol {
	var sym *symbol
	if id, _ := m.Int("conId"); id != 0 {
		sym = s.mkt.byCon[id]
		if sym == nil || sym.today < 0 {
			return nil
		}
		if name := m.Get("symbol"); name != "" && !strings.EqualFold(name, sym.name) {
			return nil
		}
	} else {
		sym = s.mkt.lookup(m.Get("symbol"))
		if sym == nil {
			return nil
		}
	}
	if t := m.Get("secType"); t != "" && t != "STK" {
		return nil
	}
	if cur := m.Get("currency"); cur != "" && cur != "USD" {
		return nil
	}
	switch ex := m.Get("exchange"); ex {
	case "", "SMART", primaryExchange(sym.name):
	default:
		return nil
	}
	if s.faults.unknown[sym.name] {
		return nil
	}
	return sym
}

func (c *conn) contractDetails(m wire.Msg) {
	id, _ := m.Int("reqId")
	reqID := strconv.FormatInt(id, 10)
	sym := c.s.resolve(m)
	if sym == nil {
		c.sendError(id, codeNoSecDef, noSecDef)
		return
	}
	hours := c.s.tradingHours()
	ex := primaryExchange(sym.name)
	c.send(wire.ContractData, map[string]string{
		"reqId": reqID, "symbol": sym.name, "secType": "STK", "exchange": "SMART", "currency": "USD",
		"localSymbol": sym.name, "marketName": tradingClass(sym.name), "tradingClass": tradingClass(sym.name),
		"conId": strconv.FormatInt(sym.conID, 10), "minTick": "0.01", "orderTypes": "LMT,MKT,STP,STP LMT",
		"validExchanges": "SMART," + ex, "priceMagnifier": "1", "longName": longName(sym.name), "primaryExchange": ex,
		"timeZoneId": zoneName, "tradingHours": hours, "liquidHours": hours, "aggGroup": "1", "marketRuleIds": "26,26",
		"stockType": "COMMON", "minSize": "1", "sizeIncrement": "1", "suggestedSizeIncrement": "100",
	})
	c.send(wire.ContractDataEnd, map[string]string{"reqId": reqID})
}

// tradingHours lists the session for AsOf and the following six weekdays,
// in the Gateway's "yyyymmdd:hhmm-yyyymmdd:hhmm;..." form; weekends are
// "yyyymmdd:CLOSED".
func (s *Server) tradingHours() string {
	var parts []string
	d := s.mkt.asOf
	for range 7 {
		day := d.Format("20060102")
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			parts = append(parts, day+":CLOSED")
		} else {
			parts = append(parts, day+":0930-"+day+":1600")
		}
		d = d.AddDate(0, 0, 1)
	}
	return strings.Join(parts, ";")
}
