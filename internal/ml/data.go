package ml

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Series is a time series of one value per timestamp, optionally with a
// volume, in time order.
type Series struct {
	Name   string
	Times  []string // as given: dates (YYYY-MM-DD) or NAB timestamps
	Values []float64
	Volume []float64 // nil when the data has none
}

// ParseNAB reads a Numenta Anomaly Benchmark CSV: a header line
// "timestamp,value" and one row per point.
func ParseNAB(r io.Reader, name string) (Series, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		return Series{}, fmt.Errorf("read %s: %w", name, err)
	}
	s := Series{Name: name}
	for i, rec := range recs {
		if i == 0 && len(rec) > 0 && strings.EqualFold(strings.TrimSpace(rec[0]), "timestamp") {
			continue
		}
		if len(rec) < 2 {
			return Series{}, fmt.Errorf("%s line %d: want timestamp,value", name, i+1)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return Series{}, fmt.Errorf("%s line %d: value %q is not a number", name, i+1, rec[1])
		}
		s.Times = append(s.Times, strings.TrimSpace(rec[0]))
		s.Values = append(s.Values, v)
	}
	if len(s.Values) == 0 {
		return Series{}, fmt.Errorf("%s: no data rows", name)
	}
	return s, nil
}

// ParseWideCloses reads a wide CSV of closes: one column per symbol and a
// column named Date (anywhere), as in the bundled plotly stockdata.csv.
func ParseWideCloses(r io.Reader) (map[string]Series, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read closes: %w", err)
	}
	if len(recs) < 2 {
		return nil, fmt.Errorf("closes: no data rows")
	}
	dateCol := -1
	for i, h := range recs[0] {
		if strings.EqualFold(strings.TrimSpace(h), "date") {
			dateCol = i
		}
	}
	if dateCol < 0 {
		return nil, fmt.Errorf("closes: no Date column")
	}
	out := map[string]Series{}
	for i, h := range recs[0] {
		if i == dateCol {
			continue
		}
		s := Series{Name: strings.TrimSpace(h)}
		for _, rec := range recs[1:] {
			v, err := strconv.ParseFloat(rec[i], 64)
			if err != nil {
				return nil, fmt.Errorf("closes %s %s: %w", h, rec[dateCol], err)
			}
			s.Times = append(s.Times, rec[dateCol])
			s.Values = append(s.Values, v)
		}
		out[s.Name] = s
	}
	return out, nil
}

// ParseNABTimes parses NAB timestamps ("2014-11-02 00:00:00" or with a
// fractional second).
func ParseNABTimes(ts []string) ([]time.Time, error) {
	out := make([]time.Time, len(ts))
	for i, s := range ts {
		t, err := parseStamp(s)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

func parseStamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02 15:04:05.999999", "2006-01-02 15:04:05", "2006-01-02T15:04:05Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q: want YYYY-MM-DD[ HH:MM:SS]", s)
}

// Window is a labelled anomaly window [Start, End], inclusive.
type Window struct {
	Start, End time.Time
}

// NABLabels reads the entry key of a NAB combined_labels.json (a list of
// anomaly timestamps) and, if windows is not nil, of combined_windows.json
// (a list of [start, end] pairs). Without windows, each label becomes a
// window of halfWidth points' duration either side (the caller converts).
func NABLabels(labels, windows []byte, key string) (points []time.Time, wins []Window, err error) {
	var lab map[string][]string
	if err := json.Unmarshal(labels, &lab); err != nil {
		return nil, nil, fmt.Errorf("labels: %w", err)
	}
	ls, ok := lab[key]
	if !ok {
		return nil, nil, fmt.Errorf("labels: no entry %q", key)
	}
	for _, s := range ls {
		t, err := parseStamp(s)
		if err != nil {
			return nil, nil, fmt.Errorf("labels %s: %w", key, err)
		}
		points = append(points, t)
	}
	if windows == nil {
		return points, nil, nil
	}
	var win map[string][][]string
	if err := json.Unmarshal(windows, &win); err != nil {
		return nil, nil, fmt.Errorf("windows: %w", err)
	}
	ws, ok := win[key]
	if !ok {
		return nil, nil, fmt.Errorf("windows: no entry %q", key)
	}
	for _, pair := range ws {
		if len(pair) != 2 {
			return nil, nil, fmt.Errorf("windows %s: want [start, end] pairs", key)
		}
		a, err := parseStamp(pair[0])
		if err != nil {
			return nil, nil, err
		}
		b, err := parseStamp(pair[1])
		if err != nil {
			return nil, nil, err
		}
		wins = append(wins, Window{Start: a, End: b})
	}
	return points, wins, nil
}
