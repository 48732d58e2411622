package ibkr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// The client's outgoing messages. Each returns one frame (length prefix
// included) built from the shared layout table in package wire, so the
// simulator parses exactly what the client writes. The golden tests in
// encode_test.go pin the bytes.

func encode(l *wire.Layout, vals map[string]string) ([]byte, error) {
	b, err := l.Encode(nil, wire.Msg{Values: vals})
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", l.Name, err)
	}
	return b, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func boolText(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func encStartAPI(clientID int) ([]byte, error) {
	return encode(wire.StartAPI, map[string]string{"clientId": strconv.Itoa(clientID), "optionalCapabilities": ""})
}

func encReqIDs(n int) ([]byte, error) {
	return encode(wire.ReqIDs, map[string]string{"numIds": strconv.Itoa(n)})
}

func encReqManagedAccts() ([]byte, error)  { return encode(wire.ReqManagedAccts, nil) }
func encReqCurrentTime() ([]byte, error)   { return encode(wire.ReqCurrentTime, nil) }
func encReqPositions() ([]byte, error)     { return encode(wire.ReqPositions, nil) }
func encCancelPositions() ([]byte, error)  { return encode(wire.CancelPositions, nil) }
func encReqOpenOrders() ([]byte, error)    { return encode(wire.ReqOpenOrders, nil) }
func encReqAllOpenOrders() ([]byte, error) { return encode(wire.ReqAllOpenOrders, nil) }
func encReqGlobalCancel() ([]byte, error)  { return encode(wire.ReqGlobalCancel, nil) }

func encReqAutoOpenOrders(autoBind bool) ([]byte, error) {
	return encode(wire.ReqAutoOpenOrders, map[string]string{"bAutoBind": boolText(autoBind)})
}

// DefaultSummaryTags is what AccountSummary asks for when given no tags.
var DefaultSummaryTags = []string{"NetLiquidation", "TotalCashValue", "SettledCash", "AccruedCash", "BuyingPower",
	"AvailableFunds", "ExcessLiquidity", "GrossPositionValue"}

func encReqAccountSummary(reqID int64, group string, tags []string) ([]byte, error) {
	return encode(wire.ReqAccountSummary, map[string]string{"reqId": itoa(reqID), "group": group, "tags": strings.Join(tags, ",")})
}

func encCancelAccountSummary(reqID int64) ([]byte, error) {
	return encode(wire.CancelAccountSummary, map[string]string{"reqId": itoa(reqID)})
}

// Market data types for reqMarketDataType.
const (
	mdLive          = 1
	mdFrozen        = 2
	mdDelayed       = 3
	mdDelayedFrozen = 4
)

func encReqMarketDataType(t int) ([]byte, error) {
	return encode(wire.ReqMarketDataType, map[string]string{"marketDataType": strconv.Itoa(t)})
}

// contractValues fills the 12-field contract block (the fields not named
// keep their layout defaults: empty, strike 0).
func contractValues(c Contract, vals map[string]string) map[string]string {
	c = c.withDefaults()
	vals["conId"] = itoa(c.ConID)
	vals["symbol"] = c.Symbol
	vals["secType"] = c.SecType
	vals["exchange"] = c.Exchange
	vals["primaryExchange"] = c.PrimaryExchange
	vals["currency"] = c.Currency
	return vals
}

func encReqMktData(reqID int64, c Contract, snapshot bool) ([]byte, error) {
	vals := contractValues(c, map[string]string{"reqId": itoa(reqID), "snapshot": boolText(snapshot)})
	return encode(wire.ReqMktData, vals)
}

func encCancelMktData(reqID int64) ([]byte, error) {
	return encode(wire.CancelMktData, map[string]string{"reqId": itoa(reqID)})
}

func encReqContractDetails(reqID int64, c Contract) ([]byte, error) {
	return encode(wire.ReqContractDetails, contractValues(c, map[string]string{"reqId": itoa(reqID)}))
}

// dailyBars reports whether a bar size is a day or longer, which the
// Gateway dates as yyyymmdd.
func dailyBars(barSize string) bool {
	s := strings.ToLower(barSize)
	return strings.Contains(s, "day") || strings.Contains(s, "week") || strings.Contains(s, "month")
}

// utcStamp is the explicit-UTC form IB accepts for endDateTime and the
// execution filter: "yyyymmdd-hh:mm:ss".
func utcStamp(t time.Time) string { return t.UTC().Format("20060102-15:04:05") }

func (r HistoryRequest) withDefaults() HistoryRequest {
	if r.WhatToShow == "" {
		r.WhatToShow = "TRADES"
	}
	if r.Duration == "" {
		r.Duration = "1 Y"
	}
	if r.BarSize == "" {
		r.BarSize = "1 day"
	}
	return r
}

func encReqHistoricalData(reqID int64, r HistoryRequest) ([]byte, error) {
	r = r.withDefaults()
	end := ""
	if !r.End.IsZero() {
		end = utcStamp(r.End)
	}
	// Daily bars come dated yyyymmdd (formatDate 1); intraday bars as epoch
	// seconds (formatDate 2), which needs no time-zone database to read.
	format := "1"
	if !dailyBars(r.BarSize) {
		format = "2"
	}
	vals := contractValues(r.Contract, map[string]string{
		"reqId": itoa(reqID), "endDateTime": end, "barSizeSetting": r.BarSize, "durationStr": r.Duration,
		"useRTH": boolText(r.UseRTH), "whatToShow": r.WhatToShow, "formatDate": format, "keepUpToDate": "0",
	})
	return encode(wire.ReqHistoricalData, vals)
}

func encCancelHistoricalData(reqID int64) ([]byte, error) {
	return encode(wire.CancelHistoricalData, map[string]string{"reqId": itoa(reqID)})
}

func encReqExecutions(reqID int64, f ExecFilter) ([]byte, error) {
	t := ""
	if !f.Since.IsZero() {
		t = utcStamp(f.Since)
	}
	return encode(wire.ReqExecutions, map[string]string{
		"reqId": itoa(reqID), "clientId": strconv.Itoa(f.ClientID), "acctCode": f.Account, "time": t, "symbol": f.Symbol,
	})
}

func encCancelOrder(orderID int64) ([]byte, error) {
	return encode(wire.CancelOrder, map[string]string{"orderId": itoa(orderID), "manualOrderCancelTime": ""})
}

// validate checks an order before anything is sent and fills defaults.
func (o Order) validate() (Order, error) {
	o.Contract = o.Contract.withDefaults()
	o.Action = strings.ToUpper(o.Action)
	if o.TIF == "" {
		o.TIF = TIFDay
	}
	var errs []error
	if o.OrderRef == "" {
		errs = append(errs, errors.New("an order reference (idempotency key) is required"))
	}
	if strings.ContainsRune(o.OrderRef, 0) || strings.ContainsRune(o.Account, 0) {
		errs = append(errs, errors.New("NUL in an order field"))
	}
	if o.Contract.Symbol == "" && o.Contract.ConID == 0 {
		errs = append(errs, errors.New("no symbol or contract id"))
	}
	if o.Action != "BUY" && o.Action != "SELL" {
		errs = append(errs, fmt.Errorf("action %q is not BUY or SELL", o.Action))
	}
	if !o.Quantity.IsPositive() {
		errs = append(errs, fmt.Errorf("quantity %s is not positive", o.Quantity))
	}
	if o.TIF != TIFDay && o.TIF != TIFGTC {
		errs = append(errs, fmt.Errorf("time in force %q is not DAY or GTC", o.TIF))
	}
	needLimit, needStop := false, false
	switch o.Type {
	case Market:
	case Limit:
		needLimit = true
	case Stop:
		needStop = true
	case StopLimit:
		needLimit, needStop = true, true
	default:
		errs = append(errs, fmt.Errorf("order type %q is not MKT, LMT, STP or STP LMT", o.Type))
	}
	if needLimit && !o.LimitPrice.IsPositive() {
		errs = append(errs, fmt.Errorf("%s order needs a positive limit price", o.Type))
	}
	if needStop && !o.StopPrice.IsPositive() {
		errs = append(errs, fmt.Errorf("%s order needs a positive stop price", o.Type))
	}
	if !needLimit {
		o.LimitPrice = o.LimitPrice.Sub(o.LimitPrice) // zero: not sent
	}
	if !needStop {
		o.StopPrice = o.StopPrice.Sub(o.StopPrice)
	}
	if len(errs) > 0 {
		return o, fmt.Errorf("invalid order: %w", errors.Join(errs...))
	}
	return o, nil
}

// encPlaceOrder writes a validated order. Prices not used by the order type
// go as "" (the official client's unset double).
func encPlaceOrder(orderID int64, o Order) ([]byte, error) {
	c := o.Contract.withDefaults()
	vals := map[string]string{
		"orderId": itoa(orderID),
		"conId":   itoa(c.ConID), "symbol": c.Symbol, "secType": c.SecType, "exchange": c.Exchange,
		"primaryExchange": c.PrimaryExchange, "currency": c.Currency,
		"action": o.Action, "totalQuantity": o.Quantity.String(), "orderType": string(o.Type),
		"tif": o.TIF, "account": o.Account, "orderRef": o.OrderRef, "transmit": "1",
		"outsideRth": boolText(o.OutsideRTH),
	}
	switch o.Type {
	case Limit:
		vals["lmtPrice"] = o.LimitPrice.String()
	case Stop:
		vals["auxPrice"] = o.StopPrice.String()
	case StopLimit:
		vals["lmtPrice"] = o.LimitPrice.String()
		vals["auxPrice"] = o.StopPrice.String()
	}
	return encode(wire.PlaceOrder, vals)
}
