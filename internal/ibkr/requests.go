package ibkr

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the zones IB names must resolve on machines without a zoneinfo database

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// CurrentTime asks the Gateway for its clock.
func (c *Client) CurrentTime(ctx context.Context) (time.Time, error) {
	if err := acquire(ctx, c.semCurrentTime); err != nil {
		return time.Time{}, c.stepErr("currentTime", err)
	}
	defer func() { <-c.semCurrentTime }()
	var t time.Time
	r := newRequest("currentTime")
	r.key = "currentTime"
	r.handle = func(m wire.Msg) bool {
		t = time.Unix(integer(m, "time"), 0).UTC()
		return true
	}
	err := c.run(ctx, r, func(int64) ([]byte, error) { return encReqCurrentTime() }, nil)
	return t, err
}

// Ping is the round trip of a reqCurrentTime.
func (c *Client) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	if _, err := c.CurrentTime(ctx); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// Positions lists every position in every managed account.
func (c *Client) Positions(ctx context.Context) ([]Position, error) {
	if err := acquire(ctx, c.semPositions); err != nil {
		return nil, c.stepErr("positions", err)
	}
	defer func() { <-c.semPositions }()
	out := []Position{}
	r := newRequest("positions")
	r.key = "positions"
	r.handle = func(m wire.Msg) bool {
		if m.Layout == wire.PositionEnd {
			return true
		}
		out = append(out, Position{
			Account: m.Get("account"),
			Contract: Contract{ConID: integer(m, "conId"), Symbol: m.Get("symbol"), SecType: m.Get("secType"),
				Exchange: m.Get("exchange"), Currency: m.Get("currency")},
			Quantity: dec(num(m, "position")),
			AvgCost:  dec(num(m, "avgCost")),
		})
		return false
	}
	// reqPositions subscribes to updates; one answer is all we want, so the
	// subscription is cancelled however the request ends (run sends the
	// cancel itself on a timeout).
	cancel := func(int64) ([]byte, error) { return encCancelPositions() }
	err := c.run(ctx, r, func(int64) ([]byte, error) { return encReqPositions() }, cancel)
	var api *APIError
	if err == nil || errors.As(err, &api) {
		if f, ferr := encCancelPositions(); ferr == nil {
			c.sendQuiet(f, "cancelPositions")
		}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AccountSummary returns summary values for all accounts; no tags means
// DefaultSummaryTags.
func (c *Client) AccountSummary(ctx context.Context, tags ...string) ([]AccountValue, error) {
	if len(tags) == 0 {
		tags = DefaultSummaryTags
	}
	for _, t := range tags {
		if t == "" || strings.ContainsAny(t, ",\x00") {
			return nil, fmt.Errorf("ibkr: account summary tag %q is not a tag name", t)
		}
	}
	out := []AccountValue{}
	r := newRequest("accountSummary")
	r.handle = func(m wire.Msg) bool {
		if m.Layout == wire.AccountSummaryEnd {
			return true
		}
		if m.Layout == wire.AccountSummary {
			out = append(out, AccountValue{Account: m.Get("account"), Tag: m.Get("tag"), Value: m.Get("value"), Currency: m.Get("currency")})
		}
		return false
	}
	err := c.run(ctx, r, func(id int64) ([]byte, error) { return encReqAccountSummary(id, "All", tags) }, encCancelAccountSummary)
	if err == nil {
		// The request stays subscribed until cancelled, and the Gateway
		// allows only two at a time (322).
		if f, ferr := encCancelAccountSummary(r.id); ferr == nil {
			c.sendQuiet(f, "cancelAccountSummary")
		}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ContractDetails lists the contracts matching ct (empty fields match any).
func (c *Client) ContractDetails(ctx context.Context, ct Contract) ([]ContractDetails, error) {
	ct = ct.withDefaults()
	out := []ContractDetails{}
	r := newRequest("contractDetails " + ct.Symbol)
	r.handle = func(m wire.Msg) bool {
		if m.Layout == wire.ContractDataEnd {
			return true
		}
		if m.Layout != wire.ContractData {
			return false
		}
		out = append(out, ContractDetails{
			Contract: Contract{ConID: integer(m, "conId"), Symbol: m.Get("symbol"), SecType: m.Get("secType"),
				Exchange: m.Get("exchange"), PrimaryExchange: m.Get("primaryExchange"), Currency: m.Get("currency")},
			LongName: m.Get("longName"), TimeZoneID: m.Get("timeZoneId"), MinTick: dec(num(m, "minTick")),
			MarketName: m.Get("marketName"), Industry: m.Get("industry"), Category: m.Get("category"),
			Subcategory: m.Get("subcategory"), StockType: m.Get("stockType"), ValidExchanges: m.Get("validExchanges"),
			OrderTypes: m.Get("orderTypes"), TradingHours: m.Get("tradingHours"), LiquidHours: m.Get("liquidHours"),
			MinSize: nullDec(num(m, "minSize")), SizeIncrement: nullDec(num(m, "sizeIncrement")),
		})
		return false
	}
	err := c.run(ctx, r, func(id int64) ([]byte, error) { return encReqContractDetails(id, ct) }, nil)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// HistoricalBars downloads bars. Requests are paced to IB's historical-data
// limits: an identical request within 15 s is answered from the previous
// result, and otherwise the call waits rather than provoking a pacing
// violation, telling Config.OnPacingWait first. A wait longer than ctx's
// deadline allows fails at once with context.DeadlineExceeded.
func (c *Client) HistoricalBars(ctx context.Context, hr HistoryRequest) ([]Bar, error) {
	hr = hr.withDefaults()
	hr.Contract = hr.Contract.withDefaults()
	ct := hr.Contract
	end := ""
	if !hr.End.IsZero() {
		end = utcStamp(hr.End)
	}
	contractKey := strings.Join([]string{strconv.FormatInt(ct.ConID, 10), ct.Symbol, ct.SecType, ct.Exchange,
		ct.PrimaryExchange, ct.Currency, hr.WhatToShow}, "|")
	key := strings.Join([]string{contractKey, end, hr.Duration, hr.BarSize, strconv.FormatBool(hr.UseRTH)}, "|")
	weight := 1
	if hr.WhatToShow == "BID_ASK" {
		weight = 2
	}
	bars, cached, err := c.pacer.acquire(ctx, key, contractKey, weight, smallBars(hr.BarSize), c.cfg.OnPacingWait)
	if err != nil {
		return nil, c.stepErr("historicalData "+ct.Symbol, err)
	}
	if cached {
		return bars, nil
	}
	daily := dailyBars(hr.BarSize)
	out := []Bar{}
	var perr error
	r := newRequest("historicalData " + ct.Symbol)
	r.handle = func(m wire.Msg) bool {
		if m.Layout != wire.HistoricalData {
			return false
		}
		for _, g := range m.Groups["bars"] {
			b, err := parseBar(g, daily)
			if err != nil {
				perr = err
				continue
			}
			out = append(out, b)
		}
		return true
	}
	err = c.run(ctx, r, func(id int64) ([]byte, error) { return encReqHistoricalData(id, hr) }, encCancelHistoricalData)
	if err == nil && perr != nil {
		err = fmt.Errorf("ibkr: historical bars for %s: %w", ct.Symbol, perr)
	}
	c.pacer.release(key, out, err == nil)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func groupNum(g map[string]string, name string) wire.Number {
	n, _ := wire.ParseNumber([]byte(g[name]))
	return n
}

func parseBar(g map[string]string, daily bool) (Bar, error) {
	b := Bar{
		Open: dec(groupNum(g, "open")), High: dec(groupNum(g, "high")), Low: dec(groupNum(g, "low")),
		Close: dec(groupNum(g, "close")), Volume: dec(groupNum(g, "volume")), WAP: dec(groupNum(g, "wap")),
	}
	b.Count, _ = wire.ParseInt([]byte(g["barCount"]))
	t, isDate, err := parseBarTime(g["date"])
	if err != nil {
		return b, err
	}
	b.Time = t
	if isDate || daily {
		b.Date = t.Format(time.DateOnly)
	}
	return b, nil
}

// parseBarTime reads a bar's date: yyyymmdd (daily), epoch seconds
// (formatDate 2), or "yyyymmdd hh:mm:ss[ zone]" with one or two spaces.
func parseBarTime(s string) (t time.Time, isDate bool, err error) {
	s = strings.TrimSpace(s)
	if len(s) == 8 {
		t, err := time.Parse("20060102", s)
		if err == nil {
			return t, true, nil
		}
	}
	if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(sec, 0).UTC(), false, nil
	}
	t, err = parseIBTime(s)
	return t, false, err
}

// parseIBTime reads "yyyymmdd hh:mm:ss[ zone]" and "yyyymmdd-hh:mm:ss"
// (UTC). A missing zone means UTC. The zone is an IANA name (US/Eastern,
// Europe/Zurich, Asia/Hong_Kong …) or one of the abbreviations and
// Windows/Java names IB sends (EST, EDT, MET, "Central European Standard
// Time" …, see ibZones); a zone it does not know is an error rather than a
// silent UTC.
func parseIBTime(s string) (time.Time, error) {
	f := strings.Fields(s)
	if len(f) == 1 {
		if t, err := time.Parse("20060102-15:04:05", f[0]); err == nil {
			return t, nil
		}
	}
	if len(f) < 2 {
		return time.Time{}, fmt.Errorf("time %q is not yyyymmdd hh:mm:ss", s)
	}
	loc := time.UTC
	if len(f) >= 3 {
		zone := strings.Join(f[2:], " ")
		l, err := ibLocation(zone)
		if err != nil {
			return time.Time{}, fmt.Errorf("time %q: %w", s, err)
		}
		loc = l
	}
	t, err := time.ParseInLocation("20060102 15:04:05", f[0]+" "+f[1], loc)
	if err != nil {
		return time.Time{}, errors.New("time " + strconv.Quote(s) + " is not yyyymmdd hh:mm:ss")
	}
	return t.UTC(), nil
}

// ibZones maps the zone names IB writes that are not IANA names, or are
// IANA names meaning something else (EST is a fixed UTC-5 there, while IB
// writes EST for New York time all year), to IANA locations. Keys are
// upper case.
var ibZones = map[string]string{
	"EST": "America/New_York", "EDT": "America/New_York", "EST5EDT": "America/New_York",
	"EASTERN STANDARD TIME": "America/New_York", "EASTERN DAYLIGHT TIME": "America/New_York",
	"CST": "America/Chicago", "CDT": "America/Chicago", "CST6CDT": "America/Chicago",
	"CENTRAL STANDARD TIME": "America/Chicago", "CENTRAL DAYLIGHT TIME": "America/Chicago",
	"MST": "America/Denver", "MDT": "America/Denver", "MST7MDT": "America/Denver",
	"MOUNTAIN STANDARD TIME": "America/Denver", "MOUNTAIN DAYLIGHT TIME": "America/Denver",
	"PST": "America/Los_Angeles", "PDT": "America/Los_Angeles", "PST8PDT": "America/Los_Angeles",
	"PACIFIC STANDARD TIME": "America/Los_Angeles", "PACIFIC DAYLIGHT TIME": "America/Los_Angeles",
	"UTC": "UTC", "GMT": "UTC", "Z": "UTC", "ZULU": "UTC", "COORDINATED UNIVERSAL TIME": "UTC", "GREENWICH MEAN TIME": "UTC",
	"MET": "Europe/Berlin", "MEST": "Europe/Berlin", "CET": "Europe/Berlin", "CEST": "Europe/Berlin",
	"CENTRAL EUROPEAN STANDARD TIME": "Europe/Berlin", "CENTRAL EUROPEAN SUMMER TIME": "Europe/Berlin",
	"CENTRAL EUROPEAN TIME": "Europe/Berlin", "MIDDLE EUROPE TIME": "Europe/Berlin", "W. EUROPE STANDARD TIME": "Europe/Berlin",
	"BST": "Europe/London", "GB": "Europe/London", "BRITISH SUMMER TIME": "Europe/London", "GMT STANDARD TIME": "Europe/London",
	"HKT": "Asia/Hong_Kong", "HONG KONG TIME": "Asia/Hong_Kong", "HONG KONG STANDARD TIME": "Asia/Hong_Kong",
	"JST": "Asia/Tokyo", "JAPAN STANDARD TIME": "Asia/Tokyo", "TOKYO STANDARD TIME": "Asia/Tokyo",
	"AEST": "Australia/Sydney", "AEDT": "Australia/Sydney",
	"AUS EASTERN STANDARD TIME": "Australia/Sydney", "AUSTRALIAN EASTERN STANDARD TIME": "Australia/Sydney",
	"CHINA STANDARD TIME": "Asia/Shanghai", "SINGAPORE STANDARD TIME": "Asia/Singapore",
}

// ibLocation resolves a zone name IB wrote.
func ibLocation(zone string) (*time.Location, error) {
	name := zone
	if iana, ok := ibZones[strings.ToUpper(zone)]; ok {
		name = iana
	}
	if name == "" || strings.EqualFold(name, "Local") {
		return nil, fmt.Errorf("unknown time zone %q", zone)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", zone)
	}
	return loc, nil
}
