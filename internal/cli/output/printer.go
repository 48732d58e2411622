package output

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/wealthalloc/wealthalloc/internal/iostreams"
)

// Column describes one column of a Table.
type Column struct {
	Header string // shown on terminals
	Key    string // CSV header, snake_case
	Kind   Kind
}

// Table is a result as rows of values (decimal.Decimal, decimal.NullDecimal,
// portfolio.Date, string, ints). Totals, when set, is shown as a footer on
// terminals only: machine formats carry data rows alone.
type Table struct {
	Columns []Column
	Rows    [][]any
	Totals  []any
}

// Palette colours gains and losses. CN swaps them for readers who see red as up.
type Palette struct{ Up, Down string }

// Palettes by the display.colors config value.
var (
	PaletteUS = Palette{Up: "\x1b[32m", Down: "\x1b[31m"}
	PaletteCN = Palette{Up: "\x1b[31m", Down: "\x1b[32m"}
)

const reset = "\x1b[0m"

// Printer writes results in the chosen format.
type Printer struct {
	IO      *iostreams.IOStreams
	Format  Format
	Palette Palette
}

// Print writes t, or doc for JSON. doc should be a typed value whose decimals
// marshal as strings (shopspring/decimal does) and whose slices are non-nil.
func (p *Printer) Print(t Table, doc any) error {
	switch p.Format {
	case FormatJSON:
		return WriteJSON(p.IO.Out, doc)
	case FormatCSV:
		return writeCSV(p.IO.Out, t)
	}
	if !p.IO.IsStdoutTTY() {
		return writeTSV(p.IO.Out, t)
	}
	return p.writeTable(p.IO.Out, t)
}

// WriteJSON writes doc as one indented JSON document.
func WriteJSON(w io.Writer, doc any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

func writeCSV(w io.Writer, t Table) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = c.Key
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(t.Columns))
	for _, r := range t.Rows {
		for i := range t.Columns {
			rec[i] = raw(r[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeTSV is the piped form of a table: no header, no totals, raw values, so
// `cut -f` and `awk` see data only.
func writeTSV(w io.Writer, t Table) error {
	var b strings.Builder
	for _, r := range t.Rows {
		for i := range t.Columns {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(strings.ReplaceAll(raw(r[i]), "\t", " "))
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (p *Printer) writeTable(w io.Writer, t Table) error {
	colour := p.IO.ColorEnabled()
	cells := func(vals []any) []string {
		out := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			s, sign := human(vals[i], c.Kind)
			if colour && sign != 0 {
				col := p.Palette.Up
				if sign < 0 {
					col = p.Palette.Down
				}
				if col == "" {
					col = PaletteUS.Up
					if sign < 0 {
						col = PaletteUS.Down
					}
				}
				s = col + s + reset
			}
			out[i] = s
		}
		return out
	}
	aligns := make([]tw.Align, len(t.Columns))
	head := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = strings.ToUpper(c.Header)
		aligns[i] = tw.AlignRight
		if c.Kind == Text {
			aligns[i] = tw.AlignLeft
		}
	}
	tbl := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.Border{Left: tw.Off, Right: tw.Off, Top: tw.Off, Bottom: tw.Off},
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.On, ShowFooterLine: tw.On},
			},
		})),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
		tablewriter.WithFooterAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
	)
	tbl.Header(head...)
	for _, r := range t.Rows {
		if err := tbl.Append(cells(r)); err != nil {
			return fmt.Errorf("render table: %w", err)
		}
	}
	if t.Totals != nil {
		f := cells(t.Totals)
		fa := make([]any, len(f))
		for i := range f {
			fa[i] = f[i]
		}
		tbl.Footer(fa...)
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return nil
}
