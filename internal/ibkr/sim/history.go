package sim

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

const hmds = "Historical Market Data Service error message:"

var durationRE = regexp.MustCompile(`^([1-9][0-9]*) ([SDWMY])$`)

// barSizes are the supported bar sizes, in seconds; 0 is a daily bar,
// -1 weekly, -2 monthly.
var barSizes = map[string]int{
	"1 secs": 1, "5 secs": 5, "10 secs": 10, "15 secs": 15, "30 secs": 30,
	"1 min": 60, "2 mins": 120, "3 mins": 180, "5 mins": 300, "10 mins": 600, "15 mins": 900, "20 mins": 1200, "30 mins": 1800,
	"1 hour": 3600, "2 hours": 7200, "3 hours": 10800, "4 hours": 14400, "8 hours": 28800,
	"1 day": 0, "1 week": -1, "1 month": -2,
}

var whatToShow = map[string]bool{"TRADES": true, "MIDPOINT": true, "BID": true, "ASK": true, "ADJUSTED_LAST": true}

type histBar struct {
	start                          time.Time
	open, high, low, close, volume decimal.Decimal
	count                          int64
	daily                          bool
}

func (c *conn) historicalData(m wire.Msg) {
	id, _ := m.Int("reqId")
	reqID := strconv.FormatInt(id, 10)
	validation := func(cause string) {
		c.sendError(id, codeValidation, "Error validating request.-'bS' : cause - "+cause)
	}
	if keep, _ := m.Bool("keepUpToDate"); keep {
		validation("keepUpToDate is not supported by the simulator")
		return
	}
	size, ok := barSizes[m.Get("barSizeSetting")]
	if !ok {
		validation(fmt.Sprintf("Historical data bar size setting %q is invalid.", m.Get("barSizeSetting")))
		return
	}
	dur := durationRE.FindStringSubmatch(m.Get("durationStr"))
	if dur == nil {
		validation(fmt.Sprintf("Historical data query duration %q is invalid: want <n> S|D|W|M|Y.", m.Get("durationStr")))
		return
	}
	what := m.Get("whatToShow")
	if !whatToShow[what] {
		validation(fmt.Sprintf("whatToShow %q is not one of TRADES, MIDPOINT, BID, ASK, ADJUSTED_LAST.", what))
		return
	}
	format, _ := m.Int("formatDate")
	if format != 1 && format != 2 {
		validation(fmt.Sprintf("formatDate %d is not 1 or 2.", format))
		return
	}
	end, warn, err := c.s.parseEnd(m.Get("endDateTime"))
	if err != nil {
		c.sendError(id, codeBadEndDate, "Historical Market Data Service error message:End Date/Time: The date, time, or time-zone entered is invalid. "+
			"The correct format is yyyymmdd hh:mm:ss xx/xxxx where yyyymmdd and xx/xxxx are optional. E.g.: 20031126 15:59:00 US/Eastern. "+
			"You can also provide yyyymmdd-hh:mm:ss time is in UTC.")
		return
	}
	sym := c.s.resolve(m)
	if sym == nil {
		c.sendError(id, codeNoSecDef, noSecDef)
		return
	}
	if c.s.faults.pacing {
		if why := c.s.pacer.admit(c.s.cfg.Now(), sym.name, what, m); why != "" {
			c.s.log.Info("fault: pacing violation", "conn", c.seq, "symbol", sym.name, "rule", why)
			c.sendError(id, codePacing, hmds+"API historical data query cancelled: pacing violation")
			return
		}
	}
	if warn {
		c.sendError(id, codeNoDateZone, "Warning: You submitted request with date-time attributes without explicit time zone. "+
			"Please switch to use yyyymmdd-hh:mm:ss in UTC or use instrument time zone, like US/Eastern. "+
			"Implied time zone functionality will be removed in the next API release")
	}
	n, _ := strconv.Atoi(dur[1])
	bars, start := c.s.bars(sym, size, n, dur[2], end)
	if len(bars) == 0 {
		c.sendError(id, codePacing, hmds+"HMDS query returned no data: "+sym.name+"@SMART "+titleCase(what))
		return
	}
	shift := decimal.Zero
	switch what {
	case "BID":
		shift = cent.Neg()
	case "ASK":
		shift = cent
	}
	groups := make([]map[string]string, len(bars))
	for i, b := range bars {
		vol := b.volume.String()
		if what != "TRADES" && what != "ADJUSTED_LAST" {
			vol = "-1"
		}
		wap := b.high.Add(b.low).Add(b.close).DivRound(decimal.NewFromInt(3), 4)
		groups[i] = map[string]string{
			"date": formatBarDate(b.start, b.daily, format), "open": b.open.Add(shift).String(),
			"high": b.high.Add(shift).String(), "low": b.low.Add(shift).String(), "close": b.close.Add(shift).String(),
			"volume": vol, "wap": wap.Add(shift).String(), "barCount": strconv.FormatInt(b.count, 10),
		}
	}
	b, err := wire.HistoricalData.Encode(nil, wire.Msg{
		Values: map[string]string{"reqId": reqID, "startDateStr": formatStamp(start, format), "endDateStr": formatStamp(end, format)},
		Groups: map[string][]map[string]string{"bars": groups},
	})
	if errors.Is(err, wire.ErrFrameTooLong) {
		c.sendError(id, codePacing, hmds+"Time length exceed max.")
		return
	}
	if err != nil {
		c.s.log.Error("simulator bug: cannot encode", "msg", "historicalData", "err", err)
		return
	}
	c.enqueue(b)
}

func titleCase(s string) string {
	return s[:1] + strings.ToLower(strings.ReplaceAll(s[1:], "_", " "))
}

// formatBarDate writes a bar's date as the Gateway does: daily, weekly and
// monthly bars are always yyyymmdd (IB documents that day bars have no
// other format); intraday bars are "yyyymmdd hh:mm:ss US/Eastern" or
// epoch seconds.
func formatBarDate(t time.Time, daily bool, format int64) string {
	if daily {
		return t.In(eastern).Format("20060102")
	}
	return formatStamp(t, format)
}

func formatStamp(t time.Time, format int64) string {
	if format == 2 {
		return strconv.FormatInt(t.Unix(), 10)
	}
	return t.In(eastern).Format("20060102 15:04:05") + " " + zoneName
}

// parseEnd reads endDateTime: "" is AsOf's close; "yyyymmdd hh:mm:ss ZONE"
// with an IANA zone; "yyyymmdd-hh:mm:ss" in UTC; "yyyymmdd hh:mm:ss"
// without a zone means US/Eastern and earns warning 2174. An end after
// AsOf's close is held there: the simulator has no later data.
func (s *Server) parseEnd(v string) (end time.Time, warn bool, err error) {
	_, closing := s.mkt.session(s.mkt.asOf)
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return closing, false, nil
	case len(v) == 17 && v[8] == '-':
		end, err = time.ParseInLocation("20060102-15:04:05", v, time.UTC)
	default:
		date, rest, _ := strings.Cut(v, " ")
		rest = strings.TrimSpace(rest)
		clock, zone, _ := strings.Cut(rest, " ")
		loc := eastern
		switch zone = strings.TrimSpace(zone); zone {
		case "":
			warn = true
		case "UTC", "GMT":
			loc = time.UTC
		default:
			loc, err = time.LoadLocation(zone)
			if err != nil {
				return time.Time{}, false, err
			}
		}
		if clock == "" {
			clock = "23:59:59"
		}
		end, err = time.ParseInLocation("20060102 15:04:05", date+" "+clock, loc)
	}
	if err != nil {
		return time.Time{}, false, err
	}
	if end.After(closing) {
		end = closing
	}
	return end, warn, nil
}

// bars builds the bars of a request ending at end: size in seconds (0
// daily, -1 weekly, -2 monthly), n units of unit back. "N D" means N
// trading days; W, M and Y are calendar spans; S is seconds.
func (s *Server) bars(sym *symbol, size, n int, unit string, end time.Time) ([]histBar, time.Time) {
	endDay := time.Date(end.In(eastern).Year(), end.In(eastern).Month(), end.In(eastern).Day(), 0, 0, 0, 0, eastern)
	last := -1 // last bar index on or before end's day
	for i, d := range sym.days {
		if d.After(endDay) || i > sym.today {
			break
		}
		last = i
	}
	if last < 0 {
		return nil, end
	}
	var start time.Time
	switch unit {
	case "S":
		start = end.Add(-time.Duration(n) * time.Second)
	case "D":
		first := max(last-n+1, 0)
		start = sym.days[first]
	case "W":
		start = end.AddDate(0, 0, -7*n)
	case "M":
		start = end.AddDate(0, -n, 0)
	case "Y":
		start = end.AddDate(-n, 0, 0)
	}
	if size <= 0 {
		// Daily bars from the input, on the 0.01 tick (unchanged when
		// already on it); weekly and monthly ones gather them.
		startDay := time.Date(start.In(eastern).Year(), start.In(eastern).Month(), start.In(eastern).Day(), 0, 0, 0, 0, eastern)
		var out []histBar
		for i := 0; i <= last; i++ {
			d := sym.days[i]
			if unit == "D" && d.Before(startDay) || unit != "D" && !d.After(startDay) {
				continue
			}
			b := tickBar(sym.bars[i])
			hb := histBar{start: d, open: b.Open, high: b.High, low: b.Low, close: b.Close, volume: b.Volume,
				count: max(b.Volume.IntPart()/100, 1), daily: true}
			if size < 0 && len(out) > 0 && samePeriod(out[len(out)-1].start, d, size) {
				out[len(out)-1] = merge(out[len(out)-1], hb)
				continue
			}
			out = append(out, hb)
		}
		return out, start
	}
	var out []histBar
	for i := 0; i <= last; i++ {
		open, closing := s.mkt.session(sym.days[i])
		if !closing.After(start) || !open.Before(end) {
			continue
		}
		p := s.mkt.path(sym, i)
		vols := s.mkt.minuteVolumes(sym, i)
		for k := range sessionMinutes {
			t := open.Add(time.Duration(k) * time.Minute)
			if !t.Add(time.Minute).After(start) || !t.Before(end) {
				continue
			}
			for _, mb := range minuteParts(p[k], p[k+1], vols[k], size) {
				mb.start = t.Add(mb.start.Sub(time.Time{}))
				if mb.start.Before(start) || !mb.start.Before(end) {
					continue
				}
				// Bars align to multiples of their size from midnight, clipped
				// to the open: 1-hour bars start 09:30, 10:00, 11:00, ...
				sinceMidnight := int(mb.start.Sub(sym.days[i]) / time.Second)
				bucket := sym.days[i].Add(time.Duration(sinceMidnight/size*size) * time.Second)
				if bucket.Before(open) {
					bucket = open
				}
				mb.start = bucket
				if len(out) > 0 && out[len(out)-1].start.Equal(bucket) {
					out[len(out)-1] = merge(out[len(out)-1], mb)
					continue
				}
				out = append(out, mb)
			}
		}
	}
	return out, start
}

// minuteParts is one minute of the path, from price a to b with volume v,
// as bars of size seconds: one bar for a minute or more; for bars of less
// than a minute the price holds at a and moves to b in the minute's last
// bar, and the volume is shared evenly (the rest in the last bar). Starts
// are offsets from the zero time.
func minuteParts(a, b, v decimal.Decimal, size int) []histBar {
	whole := histBar{open: a, high: decimal.Max(a, b), low: decimal.Min(a, b), close: b, volume: v, count: max(v.IntPart()/100, 1)}
	if size >= 60 {
		return []histBar{whole}
	}
	n := 60 / size
	share := v.Div(decimal.NewFromInt(int64(n))).Floor()
	out := make([]histBar, n)
	for j := range n {
		out[j] = histBar{start: time.Time{}.Add(time.Duration(j*size) * time.Second), open: a, high: a, low: a, close: a,
			volume: share, count: max(share.IntPart()/100, 1)}
	}
	last := whole
	last.start = out[n-1].start
	last.volume = v.Sub(share.Mul(decimal.NewFromInt(int64(n - 1))))
	last.count = max(last.volume.IntPart()/100, 1)
	out[n-1] = last
	return out
}

func samePeriod(a, b time.Time, size int) bool {
	if size == -2 {
		return a.Year() == b.Year() && a.Month() == b.Month()
	}
	ay, aw := a.ISOWeek()
	by, bw := b.ISOWeek()
	return ay == by && aw == bw
}

func merge(a, b histBar) histBar {
	a.high = decimal.Max(a.high, b.high)
	a.low = decimal.Min(a.low, b.low)
	a.close = b.close
	a.volume = a.volume.Add(b.volume)
	a.count += b.count
	return a
}
