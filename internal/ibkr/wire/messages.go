package wire

import "strconv"

// The layouts at ServerVersion, from reference/ibkr.md §2.3. Names follow
// the official API's so the tables can be checked against its sources.

func id(n int) Field       { return Field{Name: "msgId", Kind: Const, Default: strconv.Itoa(n)} }
func version(n int) Field  { return Field{Name: "version", Kind: Const, Default: strconv.Itoa(n)} }
func s(name string) Field  { return Field{Name: name, Kind: Str} }
func i(name string) Field  { return Field{Name: name, Kind: Int} }
func f(name string) Field  { return Field{Name: name, Kind: Float} }
func d(name string) Field  { return Field{Name: name, Kind: Dec} }
func b(name string) Field  { return Field{Name: name, Kind: Bool, Default: "0"} }
func i0(name string) Field { return Field{Name: name, Kind: Int, Default: "0"} }
func f0(name string) Field { return Field{Name: name, Kind: Float, Default: "0"} }

// strike goes out empty, as the official client sends its unset default
// (make_field_handle_empty(UNSET_DOUBLE)) in every request.
func strike() Field { return Field{Name: "strike", Kind: Float} }

func with(fs ...[]Field) []Field {
	var out []Field
	for _, f := range fs {
		out = append(out, f...)
	}
	return out
}

// contract is the 12-field contract block of market-data, contract-detail
// and historical requests.
func contract() []Field {
	return []Field{i0("conId"), s("symbol"), s("secType"), s("lastTradeDateOrContractMonth"), strike(), s("right"),
		s("multiplier"), s("exchange"), s("primaryExchange"), s("currency"), s("localSymbol"), s("tradingClass")}
}

// bagLegs follows a request's contract when its secType is BAG.
func bagLegs() Field {
	return Field{Name: "bag", Kind: Cond, If: func(get func(string) string) bool { return get("secType") == "BAG" },
		Sub: []Field{i0("comboLegsCount"), {Name: "comboLegs", Kind: Repeat, Count: "comboLegsCount",
			Sub: []Field{i("conId"), i("ratio"), s("action"), s("exchange")}}}}
}

func out(name string, msgID int, fs ...Field) *Layout {
	return &Layout{Name: name, ID: msgID, Dir: Outgoing, Fields: append([]Field{id(msgID)}, fs...)}
}

func in(name string, msgID int, fs ...Field) *Layout {
	return &Layout{Name: name, ID: msgID, Dir: Incoming, Fields: append([]Field{id(msgID)}, fs...)}
}

// Outgoing requests.
var (
	StartAPI             = out("startApi", 71, version(2), i("clientId"), s("optionalCapabilities"))
	ReqIDs               = out("reqIds", 8, version(1), i("numIds"))
	ReqManagedAccts      = out("reqManagedAccts", 17, version(1))
	ReqCurrentTime       = out("reqCurrentTime", 49, version(1))
	ReqPositions         = out("reqPositions", 61, version(1))
	CancelPositions      = out("cancelPositions", 64, version(1))
	ReqAccountSummary    = out("reqAccountSummary", 62, version(1), i("reqId"), s("group"), s("tags"))
	CancelAccountSummary = out("cancelAccountSummary", 63, version(1), i("reqId"))
	ReqMarketDataType    = out("reqMarketDataType", 59, version(1), i("marketDataType"))
	ReqMktData           = out("reqMktData", 1, with([]Field{version(11), i("reqId")}, contract(),
		[]Field{bagLegs(), b("deltaNeutralContract"), s("genericTickList"), b("snapshot"), b("regulatorySnapshot"), s("mktDataOptions")})...)
	CancelMktData      = out("cancelMktData", 2, version(2), i("reqId"))
	ReqContractDetails = out("reqContractDetails", 9, with([]Field{version(8), i("reqId")}, contract(),
		[]Field{b("includeExpired"), s("secIdType"), s("secId"), s("issuerId")})...)
	ReqHistoricalData = out("reqHistoricalData", 20, with([]Field{i("reqId")}, contract(),
		[]Field{b("includeExpired"), s("endDateTime"), s("barSizeSetting"), s("durationStr"), b("useRTH"), s("whatToShow"),
			{Name: "formatDate", Kind: Int, Default: "1"}, bagLegs(), b("keepUpToDate"), s("chartOptions")})...)
	CancelHistoricalData = out("cancelHistoricalData", 25, version(1), i("reqId"))
	CancelOrder          = out("cancelOrder", 4, version(1), i("orderId"), s("manualOrderCancelTime"))
	ReqOpenOrders        = out("reqOpenOrders", 5, version(1))
	ReqAllOpenOrders     = out("reqAllOpenOrders", 16, version(1))
	ReqAutoOpenOrders    = out("reqAutoOpenOrders", 15, version(1), b("bAutoBind"))
	ReqExecutions        = out("reqExecutions", 7, version(3), i("reqId"), i0("clientId"), s("acctCode"), s("time"),
		s("symbol"), s("secType"), s("exchange"), s("side"))
	ReqGlobalCancel = out("reqGlobalCancel", 58, version(1))
)

// Incoming messages.
var (
	TickPrice         = in("tickPrice", 1, version(6), i("reqId"), i("tickType"), d("price"), d("size"), i0("attrMask"))
	TickSize          = in("tickSize", 2, version(6), i("reqId"), i("tickType"), d("size"))
	TickGeneric       = in("tickGeneric", 45, version(6), i("reqId"), i("tickType"), f("value"))
	TickString        = in("tickString", 46, version(6), i("reqId"), i("tickType"), s("value"))
	OrderStatus       = in("orderStatus", 3, i("orderId"), s("status"), d("filled"), d("remaining"), d("avgFillPrice"), i("permId"), i("parentId"), d("lastFillPrice"), i("clientId"), s("whyHeld"), f("mktCapPrice"))
	ErrorMsg          = in("error", 4, version(2), i("id"), i("errorCode"), s("errorString"), s("advancedOrderRejectJson"))
	OpenOrderEnd      = in("openOrderEnd", 53, version(1))
	NextValidID       = in("nextValidId", 9, version(1), i("orderId"))
	ManagedAccts      = in("managedAccounts", 15, version(1), s("accountsList"))
	ContractData      = in("contractData", 10, i("reqId"), s("symbol"), s("secType"), s("lastTradeDateOrContractMonth"), f0("strike"), s("right"), s("exchange"), s("currency"), s("localSymbol"), s("marketName"), s("tradingClass"), i("conId"), d("minTick"), s("multiplier"), s("orderTypes"), s("validExchanges"), i0("priceMagnifier"), i0("underConId"), s("longName"), s("primaryExchange"), s("contractMonth"), s("industry"), s("category"), s("subcategory"), s("timeZoneId"), s("tradingHours"), s("liquidHours"), s("evRule"), f("evMultiplier"), i0("secIdListCount"), Field{Name: "secIdList", Kind: Repeat, Count: "secIdListCount", Sub: []Field{s("tag"), s("value")}}, i("aggGroup"), s("underSymbol"), s("underSecType"), s("marketRuleIds"), s("realExpirationDate"), s("stockType"), d("minSize"), d("sizeIncrement"), d("suggestedSizeIncrement"))
	ContractDataEnd   = in("contractDataEnd", 52, version(1), i("reqId"))
	ExecDetails       = in("execDetails", 11, i("reqId"), i("orderId"), i0("conId"), s("symbol"), s("secType"), s("lastTradeDateOrContractMonth"), f0("strike"), s("right"), s("multiplier"), s("exchange"), s("currency"), s("localSymbol"), s("tradingClass"), s("execId"), s("time"), s("acctNumber"), s("execExchange"), s("side"), d("shares"), d("price"), i("permId"), i("clientId"), i0("liquidation"), d("cumQty"), d("avgPrice"), s("orderRef"), s("evRule"), f("evMultiplier"), s("modelCode"), i0("lastLiquidity"), b("pendingPriceRevision"))
	ExecDetailsEnd    = in("execDetailsEnd", 55, version(1), i("reqId"))
	CommissionReport  = in("commissionReport", 59, version(1), s("execId"), d("commission"), s("currency"), d("realizedPNL"), f("yield"), i0("yieldRedemptionDate"))
	HistoricalData    = in("historicalData", 17, i("reqId"), s("startDateStr"), s("endDateStr"), i0("itemCount"), Field{Name: "bars", Kind: Repeat, Count: "itemCount", Sub: []Field{s("date"), d("open"), d("high"), d("low"), d("close"), d("volume"), d("wap"), i0("barCount")}})
	TickSnapshotEnd   = in("tickSnapshotEnd", 57, version(1), i("reqId"))
	MarketDataType    = in("marketDataType", 58, version(1), i("reqId"), i("marketDataType"))
	Position          = in("position", 61, version(3), s("account"), i0("conId"), s("symbol"), s("secType"), s("lastTradeDateOrContractMonth"), f0("strike"), s("right"), s("multiplier"), s("exchange"), s("currency"), s("localSymbol"), s("tradingClass"), d("position"), d("avgCost"))
	PositionEnd       = in("positionEnd", 62, version(1))
	AccountSummary    = in("accountSummary", 63, version(1), i("reqId"), s("account"), s("tag"), s("value"), s("currency"))
	AccountSummaryEnd = in("accountSummaryEnd", 64, version(1), i("reqId"))
	CurrentTime       = in("currentTime", 49, version(1), i("time"))
	TickReqParams     = in("tickReqParams", 81, i("tickerId"), d("minTick"), s("bboExchange"), i0("snapshotPermissions"))
)

// Out and In index the layouts by message id; ids repeat across the two
// directions (1 is reqMktData going out and tickPrice coming in).
var (
	Out = index(StartAPI, ReqIDs, ReqManagedAccts, ReqCurrentTime, ReqPositions, CancelPositions, ReqAccountSummary,
		CancelAccountSummary, ReqMarketDataType, ReqMktData, CancelMktData, ReqContractDetails, ReqHistoricalData,
		CancelHistoricalData, PlaceOrder, CancelOrder, ReqOpenOrders, ReqAllOpenOrders, ReqAutoOpenOrders, ReqExecutions,
		ReqGlobalCancel)
	In = index(TickPrice, TickSize, TickGeneric, TickString, OrderStatus, ErrorMsg, OpenOrder, OpenOrderEnd, NextValidID,
		ManagedAccts, ContractData, ContractDataEnd, ExecDetails, ExecDetailsEnd, CommissionReport, HistoricalData,
		TickSnapshotEnd, MarketDataType, Position, PositionEnd, AccountSummary, AccountSummaryEnd, CurrentTime, TickReqParams)
)

func index(ls ...*Layout) map[int]*Layout {
	m := make(map[int]*Layout, len(ls))
	for _, l := range ls {
		if m[l.ID] != nil {
			panic("wire: two layouts for message id " + strconv.Itoa(l.ID))
		}
		m[l.ID] = l
	}
	return m
}

// Lookup finds the layout for a message id in one direction.
func Lookup(dir Direction, msgID int) (*Layout, bool) {
	if dir == Outgoing {
		l, ok := Out[msgID]
		return l, ok
	}
	l, ok := In[msgID]
	return l, ok
}

// Decode reads a split message by its id in one direction. Unknown ids
// give ok=false and no error, so callers can log and skip them (protocol
// drift must not break a client).
func Decode(dir Direction, fields [][]byte) (m Msg, ok bool, err error) {
	msgID, err := ParseInt(fields[0])
	if err != nil {
		return Msg{}, false, err
	}
	l, ok := Lookup(dir, int(msgID))
	if !ok {
		return Msg{}, false, nil
	}
	m, err = l.Decode(fields)
	return m, true, err
}
