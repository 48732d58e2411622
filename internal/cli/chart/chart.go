// Package chart draws small plain-text charts for the terminal: a line chart
// of one or more series over dates, and horizontal bars. Colour is optional
// (ANSI codes only when the caller says so) and never the only cue: each
// series has its own glyph and the legend names it.
package chart

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// Series is one line of a chart. NaN values are gaps.
type Series struct {
	Name   string
	Values []float64 // one per date
	Glyph  rune
	Color  string // ANSI SGR code such as "\x1b[36m", used when colour is on
}

// Options shape a chart.
type Options struct {
	Width  int // columns of the plot area (without the axis); default 60
	Height int // rows; default 12
	Color  bool
	Format func(float64) string // y-axis labels; default %.0f
}

const reset = "\x1b[0m"

// Line draws the series over dates: y axis on the left, first, middle and
// last date under the plot, and a legend.
func Line(w io.Writer, dates []portfolio.Date, series []Series, o Options) error {
	if o.Width <= 0 {
		o.Width = 60
	}
	if o.Height <= 0 {
		o.Height = 12
	}
	if o.Format == nil {
		o.Format = func(v float64) string { return fmt.Sprintf("%.0f", v) }
	}
	n := len(dates)
	if n == 0 {
		_, err := io.WriteString(w, "(no data to chart)\n")
		return err
	}
	width := min(o.Width, n)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, v := range s.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 1) {
		_, err := io.WriteString(w, "(no data to chart)\n")
		return err
	}
	if hi == lo {
		hi, lo = hi+1, lo-1
	}
	grid := make([][]rune, o.Height)
	owner := make([][]int, o.Height)
	for r := range grid {
		grid[r] = []rune(strings.Repeat(" ", width))
		owner[r] = make([]int, width)
		for c := range owner[r] {
			owner[r][c] = -1
		}
	}
	row := func(v float64) int {
		r := int(math.Round((hi - v) / (hi - lo) * float64(o.Height-1)))
		return min(max(r, 0), o.Height-1)
	}
	// Later series are drawn first so the first one stays on top.
	for si := len(series) - 1; si >= 0; si-- {
		s := series[si]
		prev := -1
		for c := range width {
			i := c * (n - 1) / max(width-1, 1)
			if width == 1 {
				i = n - 1
			}
			if i >= len(s.Values) || math.IsNaN(s.Values[i]) {
				prev = -1
				continue
			}
			r := row(s.Values[i])
			a, b := r, r
			if prev >= 0 {
				a, b = min(prev, r), max(prev, r)
			}
			for y := a; y <= b; y++ {
				grid[y][c] = s.Glyph
				owner[y][c] = si
			}
			prev = r
		}
	}
	labels := make([]string, o.Height)
	lw := 0
	for r := range labels {
		if r == 0 || r == o.Height-1 || r == o.Height/2 {
			labels[r] = o.Format(hi - (hi-lo)*float64(r)/float64(o.Height-1))
		}
		lw = max(lw, len(labels[r]))
	}
	var b strings.Builder
	for r := range grid {
		fmt.Fprintf(&b, "%*s ┤", lw, labels[r])
		for c, ch := range grid[r] {
			if o.Color && owner[r][c] >= 0 && series[owner[r][c]].Color != "" {
				b.WriteString(series[owner[r][c]].Color + string(ch) + reset)
				continue
			}
			b.WriteRune(ch)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "%*s └%s\n", lw, "", strings.Repeat("─", width))
	first, last := dates[0].String(), dates[n-1].String()
	mid := dates[(n-1)/2].String()
	axis := []rune(strings.Repeat(" ", width+lw+2))
	put := func(at int, s string) {
		for i, ch := range s {
			if at+i >= 0 && at+i < len(axis) {
				axis[at+i] = ch
			}
		}
	}
	put(lw+2, first)
	if width >= 3*len(first)+4 {
		put(lw+2+width/2-len(mid)/2, mid)
	}
	put(lw+2+width-len(last), last)
	b.WriteString(strings.TrimRight(string(axis), " ") + "\n")
	b.WriteString(strings.Repeat(" ", lw+2))
	for i, s := range series {
		if i > 0 {
			b.WriteString("   ")
		}
		g := string(s.Glyph)
		if o.Color && s.Color != "" {
			g = s.Color + g + reset
		}
		b.WriteString(g + " " + s.Name)
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// Bar is one row of a bar chart. Value and Target are fractions (0.25 is
// 25%); a NaN Target means none.
type Bar struct {
	Label  string
	Value  float64
	Target float64
}

// Bars draws horizontal bars scaled to the largest value (or target), with
// eighth-block resolution, the value in percent, and the target marked │
// on the bar and stated after it.
func Bars(w io.Writer, bars []Bar, o Options) error {
	if o.Width <= 0 {
		o.Width = 40
	}
	top := 0.0
	lw := 0
	for _, b := range bars {
		top = math.Max(top, b.Value)
		if !math.IsNaN(b.Target) {
			top = math.Max(top, b.Target)
		}
		lw = max(lw, len([]rune(b.Label)))
	}
	if top <= 0 {
		top = 1
	}
	eighths := []rune(" ▏▎▍▌▋▊▉")
	var sb strings.Builder
	for _, b := range bars {
		cells := max(b.Value, 0) / top * float64(o.Width)
		full := int(cells)
		part := int(math.Round((cells - float64(full)) * 8))
		if part == 8 {
			full, part = full+1, 0
		}
		line := []rune(strings.Repeat("█", full))
		if part > 0 {
			line = append(line, eighths[part])
		}
		for len(line) < o.Width {
			line = append(line, ' ')
		}
		tgt := ""
		if !math.IsNaN(b.Target) {
			at := min(int(math.Round(b.Target/top*float64(o.Width))), o.Width-1)
			if line[at] == ' ' {
				line[at] = '│'
			} else {
				line[at] = '┃'
			}
			tgt = fmt.Sprintf("  target %5.1f%%  drift %+.1fpp", b.Target*100, (b.Value-b.Target)*100)
		}
		bar := string(line)
		if o.Color {
			bar = "\x1b[36m" + bar + reset
		}
		fmt.Fprintf(&sb, "%-*s %s %6.2f%%%s\n", lw, b.Label, bar, b.Value*100, tgt)
	}
	_, err := io.WriteString(w, sb.String())
	return err
}
