package wire

import "math"

// PlaceOrder and OpenOrder are the two long order layouts at server version
// 178, derived from the official client's placeOrder and its openOrder
// decoder (reference/ibkr.md §2.3) and cross-checked against ib_async.
//
// Version gates at 178: faProfile is gone (dropped at 177); the PEG BEST /
// PEG MID fields (170) are in; customerAccount (183), professionalCustomer
// (184), bondAccruedInterest (185), the RFQ fields (187–189),
// includeOvernight (189), the CME tagging fields (192/193), the full order
// preview fields (195), submitter (198) and imbalanceOnly (199) are not.
//
// Defaults are what the official client sends for an Order() and
// Contract() left as constructed: unset numbers go as "" where it uses
// make_field_handle_empty, and literally (2147483647,
// 1.7976931348623157e+308) where it does not.
var (
	PlaceOrder = out("placeOrder", 3, placeOrderFields()...)
	OpenOrder  = in("openOrder", 5, openOrderFields()...)
)

// The official client's text for an unset double sent without
// make_field_handle_empty (Python's str(sys.float_info.max)), and the form
// a Java server sends it in.
const (
	ordUnsetDoubleOut = "1.7976931348623157e+308"
	ordUnsetDoubleIn  = "1.7976931348623157E308"
	ordUnsetInt       = "2147483647"
)

// ordDef gives a field another default.
func ordDef(fl Field, def string) Field { fl.Default = def; return fl }

// ordIf is a conditional block.
func ordIf(name string, pred func(get func(string) string) bool, sub ...Field) Field {
	return Field{Name: name, Kind: Cond, If: pred, Sub: sub}
}

// ordRepeat is a repeated block counted by an earlier field.
func ordRepeat(name, count string, sub ...Field) Field {
	return Field{Name: name, Kind: Repeat, Count: count, Sub: sub}
}

// ordIs holds when the field's text is one of vals.
func ordIs(name string, vals ...string) func(get func(string) string) bool {
	return func(get func(string) string) bool {
		v := get(name)
		for _, w := range vals {
			if v == w {
				return true
			}
		}
		return false
	}
}

// ordSet holds when the field's text is not empty (the official code's
// truthiness test on strings).
func ordSet(name string) func(get func(string) string) bool {
	return func(get func(string) string) bool { return get(name) != "" }
}

// ordPositive holds when an integer field (a count) is above zero.
func ordPositive(name string) func(get func(string) string) bool {
	return func(get func(string) string) bool {
		n, err := ParseInt([]byte(get(name)))
		return err == nil && n > 0
	}
}

// ordTrue holds when a boolean field is true.
func ordTrue(name string) func(get func(string) string) bool {
	return func(get func(string) string) bool {
		v, err := ParseBool([]byte(get(name)))
		return err == nil && v
	}
}

// ordScaleExtras is the official test for the scale-order extras:
// scalePriceIncrement > 0 and not exactly the unset double (an empty field
// reads as 0 here, and as the unset double there: false either way).
func ordScaleExtras(get func(string) string) bool {
	v, err := ParseFloat([]byte(get("scalePriceIncrement")))
	return err == nil && v > 0 && v != math.MaxFloat64
}

var (
	ordPegBench = ordIs("orderType", "PEG BENCH", "PEGBENCH")
	ordPegBest  = ordIs("orderType", "PEG BEST", "PEGBEST")
	ordPegMid   = ordIs("orderType", "PEG MID", "PEGMID")
)

// ordMidOffsets: PEG MID orders, and PEG BEST orders whose
// competeAgainstBestOffset is Infinity ("up to mid").
func ordMidOffsets(get func(string) string) bool {
	if ordPegMid(get) {
		return true
	}
	if !ordPegBest(get) {
		return false
	}
	v, err := ParseFloat([]byte(get("competeAgainstBestOffset")))
	return err == nil && math.IsInf(v, 1)
}

// Order condition types (order_condition.py).
const (
	ordCondPrice         = "1"
	ordCondTime          = "3"
	ordCondMargin        = "4"
	ordCondExecution     = "5"
	ordCondVolume        = "6"
	ordCondPercentChange = "7"
)

// ordConditions is the conditions block: a count, one group per condition,
// and two flags when there is at least one. A group is the type and the
// "a"/"o" connector, then the type's own fields: execution conditions
// secType|exchange|symbol; the others isMore|value, and the contract ones
// (price, volume, percent change) conId|exchange, price adding
// triggerMethod.
func ordConditions() []Field {
	return []Field{
		i0("conditionsCount"),
		ordRepeat("conditions", "conditionsCount",
			i("condType"), s("conjunctionConnection"),
			ordIf("ifOperatorCondition", ordIs("condType", ordCondPrice, ordCondTime, ordCondMargin, ordCondVolume, ordCondPercentChange),
				b("isMore"), s("value")),
			ordIf("ifContractCondition", ordIs("condType", ordCondPrice, ordCondVolume, ordCondPercentChange), i0("conId")),
			ordIf("ifExecutionCondition", ordIs("condType", ordCondExecution), s("secType")),
			ordIf("ifExchange", ordIs("condType", ordCondPrice, ordCondVolume, ordCondPercentChange, ordCondExecution), s("exchange")),
			ordIf("ifExecutionSymbol", ordIs("condType", ordCondExecution), s("symbol")),
			ordIf("ifPriceCondition", ordIs("condType", ordCondPrice), i0("triggerMethod")),
		),
		ordIf("ifConditions", ordPositive("conditionsCount"), b("conditionsIgnoreRth"), b("conditionsCancelOrder")),
	}
}

// ordComboLegs is the contract's combo legs (count, then 8 fields a leg).
func ordComboLegs() []Field {
	return []Field{
		i0("comboLegsCount"),
		ordRepeat("comboLegs", "comboLegsCount",
			i0("conId"), i0("ratio"), s("action"), s("exchange"), i0("openClose"), i0("shortSaleSlot"),
			s("designatedLocation"), ordDef(i("exemptCode"), "-1")),
	}
}

// ordComboPrices is the order's per-leg prices and the smart combo routing
// parameters.
func ordComboPrices() []Field {
	return []Field{
		i0("orderComboLegsCount"),
		ordRepeat("orderComboLegs", "orderComboLegsCount", d("price")),
		i0("smartComboRoutingParamsCount"),
		ordRepeat("smartComboRoutingParams", "smartComboRoutingParamsCount", s("tag"), s("value")),
	}
}

// ordAlgo is the algo strategy with its parameters when it is set.
func ordAlgo() []Field {
	return []Field{
		s("algoStrategy"),
		ordIf("ifAlgo", ordSet("algoStrategy"),
			i0("algoParamsCount"),
			ordRepeat("algoParams", "algoParamsCount", s("tag"), s("value"))),
	}
}

func ordPegBenchFields() Field {
	return ordIf("ifPegBench", ordPegBench,
		i0("referenceContractId"), b("isPeggedChangeAmountDecrease"), ordDef(d("peggedChangeAmount"), "0.0"),
		ordDef(d("referenceChangeAmount"), "0.0"), s("referenceExchangeId"))
}

// placeOrderFields is the official client's placeOrder at serverVersion 178
// (no version field since 145): 114 fields for a plain stock order.
func placeOrderFields() []Field {
	return with(
		[]Field{
			i("orderId"),
			// contract
			i0("conId"), s("symbol"), s("secType"), s("lastTradeDateOrContractMonth"), strike(), s("right"),
			s("multiplier"), s("exchange"), s("primaryExchange"), s("currency"), s("localSymbol"), s("tradingClass"),
			s("secIdType"), s("secId"),
			// main order fields
			s("action"), d("totalQuantity"), s("orderType"), d("lmtPrice"), d("auxPrice"),
			// extended order fields
			s("tif"), s("ocaGroup"), s("account"), s("openClose"), i0("origin"), s("orderRef"),
			ordDef(b("transmit"), "1"), i0("parentId"), b("blockOrder"), b("sweepToFill"), i0("displaySize"),
			i0("triggerMethod"), b("outsideRth"), b("hidden"),
			ordIf("ifBag", ordIs("secType", "BAG"), with(ordComboLegs(), ordComboPrices())...),
			s("sharesAllocation"), ordDef(d("discretionaryAmt"), "0"), s("goodAfterTime"), s("goodTillDate"),
			s("faGroup"), s("faMethod"), s("faPercentage"), s("modelCode"),
			i0("shortSaleSlot"), s("designatedLocation"), ordDef(i("exemptCode"), "-1"),
			i0("ocaType"), s("rule80A"), s("settlingFirm"), b("allOrNone"), i("minQty"), f("percentOffset"),
			b("eTradeOnly"), b("firmQuoteOnly"), d("nbboPriceCap"),
			i0("auctionStrategy"), d("startingPrice"), d("stockRefPrice"), f("delta"),
			d("stockRangeLower"), d("stockRangeUpper"), b("overridePercentageConstraints"),
			// volatility orders
			f("volatility"), i("volatilityType"), s("deltaNeutralOrderType"), d("deltaNeutralAuxPrice"),
			ordIf("ifDeltaNeutralOrder", ordSet("deltaNeutralOrderType"),
				i0("deltaNeutralConId"), s("deltaNeutralSettlingFirm"), s("deltaNeutralClearingAccount"),
				s("deltaNeutralClearingIntent"), s("deltaNeutralOpenClose"), b("deltaNeutralShortSale"),
				i0("deltaNeutralShortSaleSlot"), s("deltaNeutralDesignatedLocation")),
			b("continuousUpdate"), i("referencePriceType"), d("trailStopPrice"), f("trailingPercent"),
			// scale orders
			i("scaleInitLevelSize"), i("scaleSubsLevelSize"), d("scalePriceIncrement"),
			ordIf("ifScaleExtras", ordScaleExtras,
				d("scalePriceAdjustValue"), i("scalePriceAdjustInterval"), d("scaleProfitOffset"), b("scaleAutoReset"),
				i("scaleInitPosition"), i("scaleInitFillQty"), b("scaleRandomPercent")),
			s("scaleTable"), s("activeStartTime"), s("activeStopTime"),
			// hedge orders
			s("hedgeType"),
			ordIf("ifHedge", ordSet("hedgeType"), s("hedgeParam")),
			b("optOutSmartRouting"), s("clearingAccount"), s("clearingIntent"), b("notHeld"),
			b("deltaNeutralContractPresent"),
			ordIf("ifDeltaNeutralContract", ordTrue("deltaNeutralContractPresent"),
				i0("deltaNeutralContractConId"), f0("deltaNeutralContractDelta"), ordDef(d("deltaNeutralContractPrice"), "0")),
		},
		ordAlgo(),
		[]Field{
			s("algoId"), b("whatIf"), s("orderMiscOptions"), b("solicited"), b("randomizeSize"), b("randomizePrice"),
			ordPegBenchFields(),
		},
		ordConditions(),
		[]Field{
			s("adjustedOrderType"), ordDef(d("triggerPrice"), ordUnsetDoubleOut), ordDef(d("lmtPriceOffset"), ordUnsetDoubleOut),
			ordDef(d("adjustedStopPrice"), ordUnsetDoubleOut), ordDef(d("adjustedStopLimitPrice"), ordUnsetDoubleOut),
			ordDef(d("adjustedTrailingAmount"), ordUnsetDoubleOut), i0("adjustableTrailingUnit"),
			s("extOperator"), s("softDollarTierName"), s("softDollarTierVal"),
			ordDef(d("cashQty"), ordUnsetDoubleOut),
			s("mifid2DecisionMaker"), s("mifid2DecisionAlgo"), s("mifid2ExecutionTrader"), s("mifid2ExecutionAlgo"),
			b("dontUseAutoPriceForHedge"), b("isOmsContainer"), b("discretionaryUpToLimitPrice"),
			ordDef(b("usePriceMgmtAlgo"), ""), // None goes as ""
			ordDef(i("duration"), ordUnsetInt), ordDef(i("postToAts"), ordUnsetInt),
			b("autoCancelParent"), s("advancedErrorOverride"), s("manualOrderTime"),
			// PEG BEST / PEG MID (170)
			ordIf("ifIBKRATS", ordIs("exchange", "IBKRATS"), i("minTradeQty")),
			ordIf("ifPegBest", ordPegBest, i("minCompeteSize"), f("competeAgainstBestOffset")),
			ordIf("ifMidOffsets", ordMidOffsets, f("midOffsetAtWhole"), f("midOffsetAtHalf")),
		},
	)
}

// openOrderFields is the official openOrder decoder at serverVersion 178
// (decoder.py processOpenOrder with orderdecoder.py; no version field since
// 145): 127 fields for a plain order.
func openOrderFields() []Field {
	return with(
		[]Field{
			i("orderId"),
			// contract: 11 fields, no primaryExchange
			i0("conId"), s("symbol"), s("secType"), s("lastTradeDateOrContractMonth"), f0("strike"), s("right"),
			s("multiplier"), s("exchange"), s("currency"), s("localSymbol"), s("tradingClass"),
			// order
			s("action"), d("totalQuantity"), s("orderType"), d("lmtPrice"), d("auxPrice"), s("tif"), s("ocaGroup"),
			s("account"), s("openClose"), i0("origin"), s("orderRef"), i0("clientId"), i0("permId"),
			b("outsideRth"), b("hidden"), ordDef(d("discretionaryAmt"), "0"), s("goodAfterTime"),
			s("sharesAllocation"), s("faGroup"), s("faMethod"), s("faPercentage"), s("modelCode"),
			s("goodTillDate"), s("rule80A"), f("percentOffset"), s("settlingFirm"),
			i0("shortSaleSlot"), s("designatedLocation"), ordDef(i("exemptCode"), "-1"),
			i0("auctionStrategy"), d("startingPrice"), d("stockRefPrice"), f("delta"),
			d("stockRangeLower"), d("stockRangeUpper"),
			i("displaySize"), b("blockOrder"), b("sweepToFill"), b("allOrNone"), i("minQty"), i0("ocaType"),
			b("eTradeOnly"), b("firmQuoteOnly"), d("nbboPriceCap"),
			i0("parentId"), i0("triggerMethod"),
			// volatility orders
			f("volatility"), i("volatilityType"), s("deltaNeutralOrderType"), d("deltaNeutralAuxPrice"),
			ordIf("ifDeltaNeutralOrder", ordSet("deltaNeutralOrderType"),
				i0("deltaNeutralConId"), s("deltaNeutralSettlingFirm"), s("deltaNeutralClearingAccount"),
				s("deltaNeutralClearingIntent"), s("deltaNeutralOpenClose"), b("deltaNeutralShortSale"),
				i0("deltaNeutralShortSaleSlot"), s("deltaNeutralDesignatedLocation")),
			b("continuousUpdate"), i("referencePriceType"),
			d("trailStopPrice"), f("trailingPercent"), f("basisPoints"), i("basisPointsType"),
			s("comboLegsDescrip"),
		},
		ordComboLegs(),
		ordComboPrices(),
		[]Field{
			// scale orders
			i("scaleInitLevelSize"), i("scaleSubsLevelSize"), d("scalePriceIncrement"),
			ordIf("ifScaleExtras", ordScaleExtras,
				d("scalePriceAdjustValue"), i("scalePriceAdjustInterval"), d("scaleProfitOffset"), b("scaleAutoReset"),
				i("scaleInitPosition"), i("scaleInitFillQty"), b("scaleRandomPercent")),
			s("hedgeType"),
			ordIf("ifHedge", ordSet("hedgeType"), s("hedgeParam")),
			b("optOutSmartRouting"), s("clearingAccount"), s("clearingIntent"), b("notHeld"),
			b("deltaNeutralContractPresent"),
			ordIf("ifDeltaNeutralContract", ordTrue("deltaNeutralContractPresent"),
				i0("deltaNeutralContractConId"), f0("deltaNeutralContractDelta"), ordDef(d("deltaNeutralContractPrice"), "0")),
		},
		ordAlgo(),
		[]Field{
			b("solicited"), b("whatIf"),
			// order state
			s("status"),
			ordDef(s("initMarginBefore"), ordUnsetDoubleIn), ordDef(s("maintMarginBefore"), ordUnsetDoubleIn),
			ordDef(s("equityWithLoanBefore"), ordUnsetDoubleIn), ordDef(s("initMarginChange"), ordUnsetDoubleIn),
			ordDef(s("maintMarginChange"), ordUnsetDoubleIn), ordDef(s("equityWithLoanChange"), ordUnsetDoubleIn),
			ordDef(s("initMarginAfter"), ordUnsetDoubleIn), ordDef(s("maintMarginAfter"), ordUnsetDoubleIn),
			ordDef(s("equityWithLoanAfter"), ordUnsetDoubleIn),
			ordDef(d("commission"), ordUnsetDoubleIn), ordDef(d("minCommission"), ordUnsetDoubleIn),
			ordDef(d("maxCommission"), ordUnsetDoubleIn), s("commissionCurrency"), s("warningText"),
			b("randomizeSize"), b("randomizePrice"),
			ordPegBenchFields(),
		},
		ordConditions(),
		[]Field{
			s("adjustedOrderType"), ordDef(d("triggerPrice"), ordUnsetDoubleIn),
			ordDef(d("trailStopPrice2"), ordUnsetDoubleIn), // trailStopPrice again
			ordDef(d("lmtPriceOffset"), ordUnsetDoubleIn), ordDef(d("adjustedStopPrice"), ordUnsetDoubleIn),
			ordDef(d("adjustedStopLimitPrice"), ordUnsetDoubleIn), ordDef(d("adjustedTrailingAmount"), ordUnsetDoubleIn),
			i0("adjustableTrailingUnit"),
			s("softDollarTierName"), s("softDollarTierVal"), s("softDollarTierDisplayName"),
			ordDef(d("cashQty"), ordUnsetDoubleIn),
			b("dontUseAutoPriceForHedge"), b("isOmsContainer"), b("discretionaryUpToLimitPrice"),
			b("usePriceMgmtAlgo"), i("duration"), i("postToAts"), b("autoCancelParent"),
			// PEG BEST / PEG MID (170): always present in openOrder
			i("minTradeQty"), i("minCompeteSize"), f("competeAgainstBestOffset"),
			f("midOffsetAtWhole"), f("midOffsetAtHalf"),
		},
	)
}
