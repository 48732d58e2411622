package app

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// HistoryOptions tune History.
type HistoryOptions struct {
	Duration string // "1Y", "6M", "30D", "2W" (IB's units)
	Bar      string // "1d" (daily bars are what prices holds)
	// End is the last date wanted; zero asks the gateway for "now".
	End     portfolio.Date
	Refresh bool // fetch even when the stored bars already cover the range
	Connect func(ctx context.Context) (HistorySource, error)
	// Progress is told when each symbol starts (nil: silent).
	Progress func(done, total int, symbol string)
	Now      func() time.Time // default time.Now
}

// HistoryLine says what happened to one symbol.
type HistoryLine struct {
	Symbol  string          `json:"symbol"`
	Bars    int             `json:"bars"`
	From    *portfolio.Date `json:"from,omitempty"`
	To      *portfolio.Date `json:"to,omitempty"`
	Skipped bool            `json:"skipped"` // already stored
}

var durationRE = regexp.MustCompile(`^\s*(\d+)\s*([SDWMY])\s*$`)

// ParseDuration turns "1Y", "6 M" or "30d" into IB's "1 Y" form and the
// number of calendar days it spans.
func ParseDuration(s string) (ib string, days int, err error) {
	m := durationRE.FindStringSubmatch(strings.ToUpper(s))
	if m == nil {
		return "", 0, fmt.Errorf("duration %q: want a number and a unit D, W, M or Y, such as 1Y or 30D", s)
	}
	n, _ := strconv.Atoi(m[1])
	if n <= 0 {
		return "", 0, fmt.Errorf("duration %q must be positive", s)
	}
	switch m[2] {
	case "S":
		days = (n + 86399) / 86400
	case "D":
		days = n
	case "W":
		days = 7 * n
	case "M":
		days = 31 * n
	case "Y":
		days = 366 * n
	}
	return m[1] + " " + m[2], days, nil
}

// barSizes maps the --bar values to IB bar sizes. prices keeps daily bars,
// so only daily is offered.
var barSizes = map[string]string{"1d": "1 day", "1day": "1 day", "day": "1 day"}

// History downloads daily bars per symbol into prices. Each symbol is
// stored in its own transaction as soon as it arrives, and a symbol whose
// stored bars already cover the range is skipped, so an interrupted run
// resumes where it stopped. The client paces the requests.
func (p *Portfolio) History(ctx context.Context, symbols []string, opt HistoryOptions) ([]HistoryLine, error) {
	ibDur, days, err := ParseDuration(opt.Duration)
	if err != nil {
		return nil, err
	}
	barSize, ok := barSizes[strings.ToLower(opt.Bar)]
	if !ok {
		return nil, fmt.Errorf("bar size %q: prices holds daily bars; use --bar 1d", opt.Bar)
	}
	var src HistorySource
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	out := make([]HistoryLine, 0, len(symbols))
	for i, sym := range symbols {
		if opt.Progress != nil {
			opt.Progress(i, len(symbols), sym)
		}
		line := HistoryLine{Symbol: sym}
		if !opt.Refresh {
			// Without an end date the range ends today in New York.
			end := opt.End
			if end == 0 {
				end = portfolio.DateOf(now().In(exchangeZone))
			}
			have, err := p.Store.Bars(ctx, sym, end.AddDays(-days), end)
			if err != nil {
				return out, err
			}
			// Weekends and holidays leave up to a few days uncovered at
			// either end of a complete range.
			if len(have) > 0 && have[0].Date <= end.AddDays(-days+5) && have[len(have)-1].Date >= end.AddDays(-4) {
				line.Skipped, line.Bars = true, len(have)
				line.From, line.To = &have[0].Date, &have[len(have)-1].Date
				out = append(out, line)
				continue
			}
		}
		if src == nil {
			if src, err = opt.Connect(ctx); err != nil {
				return out, err
			}
		}
		req := ibkr.HistoryRequest{Contract: ibkr.Contract{Symbol: sym}, Duration: ibDur, BarSize: barSize, WhatToShow: "TRADES", UseRTH: true}
		if opt.End != 0 {
			// The close of End in New York, sent in UTC with an explicit zone.
			req.End = time.Date(opt.End.Time().Year(), opt.End.Time().Month(), opt.End.Time().Day(), 16, 0, 0, 0, exchangeZone)
		}
		bars, err := src.HistoricalBars(ctx, req)
		if err != nil {
			return out, fmt.Errorf("history %s: %w", sym, err)
		}
		pbars := make([]portfolio.Bar, 0, len(bars))
		for _, b := range bars {
			d := portfolio.DateOf(b.Time)
			if b.Date != "" {
				if d, err = portfolio.ParseDate(b.Date); err != nil {
					return out, fmt.Errorf("history %s: bar date: %w", sym, err)
				}
			}
			pbars = append(pbars, portfolio.Bar{Symbol: sym, Date: d, Open: decimal.NewNullDecimal(b.Open), High: decimal.NewNullDecimal(b.High),
				Low: decimal.NewNullDecimal(b.Low), Close: b.Close, Volume: decimal.NewNullDecimal(b.Volume)})
		}
		if _, err := p.ImportPrices(ctx, "ibkr:"+sym, pbars); err != nil {
			return out, fmt.Errorf("history %s: %w", sym, err)
		}
		line.Bars = len(pbars)
		if len(pbars) > 0 {
			line.From, line.To = &pbars[0].Date, &pbars[len(pbars)-1].Date
		}
		out = append(out, line)
	}
	if opt.Progress != nil {
		opt.Progress(len(symbols), len(symbols), "")
	}
	return out, nil
}
