package importer

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
)

// newCSVReader returns a csv.Reader over r that tolerates a UTF-8 byte order
// mark, skips '#' comment lines and lets the caller check field counts.
func newCSVReader(r io.Reader) *csv.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && string(b) == "\uFEFF" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return cr
}

// readErr turns an error from csv.Reader.Read into a *RowError.
func readErr(file string, err error) *RowError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &RowError{File: file, Line: pe.Line, Column: pe.Column, Expected: "well-formed CSV: " + pe.Err.Error()}
	}
	return &RowError{File: file, Expected: "readable input: " + err.Error()}
}

// blank reports whether every field of rec is empty or white space.
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// readHeader reads the first non-blank record. It returns the trimmed,
// lower-cased names and the header's line, or ok == false at end of input.
func readHeader(cr *csv.Reader, file string) (names []string, line int, ok bool, err error) {
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil, 0, false, nil
		}
		if err != nil {
			return nil, 0, false, readErr(file, err)
		}
		if blank(rec) {
			continue
		}
		line, _ = cr.FieldPos(0)
		names = make([]string, len(rec))
		for i, f := range rec {
			names[i] = strings.TrimSpace(f)
		}
		return names, line, true, nil
	}
}

// fieldCountErr reports a record, starting on line, whose field count
// differs from the header's.
func fieldCountErr(file string, line, got, want int) *RowError {
	col := want + 1
	if got < want {
		col = got + 1
	}
	return &RowError{
		File: file, Line: line, Column: col, Field: "fields", Value: strconv.Itoa(got),
		Expected: strconv.Itoa(want) + " fields, one per header column (quote values that contain commas)",
	}
}

// separatorHint explains a one-column header that looks separated by
// something other than commas (as spreadsheets set to some locales save).
func separatorHint(names []string) string {
	if len(names) == 1 {
		for _, sep := range []string{";", "\t", "|"} {
			if strings.Contains(names[0], sep) {
				return "; the header looks separated by " + strconv.Quote(sep) + ": save the file as comma-separated"
			}
		}
	}
	return ""
}

// mapColumns sets idx[k] to the position of known[k] among the header names
// (-1 when absent), comparing names through norm. A repeated column, or any
// unknown one, is an error at the header line naming the column(s) and the
// known ones.
func mapColumns(file string, line int, names, known []string, norm func(string) string, idx []int) error {
	for i := range idx {
		idx[i] = -1
	}
	var unknown []string
	first := 0
	for i, n := range names {
		k := slices.Index(known, norm(n))
		if k < 0 {
			if unknown == nil {
				first = i + 1
			}
			unknown = append(unknown, n)
			continue
		}
		if idx[k] >= 0 {
			return &RowError{File: file, Line: line, Column: i + 1, Field: "column", Value: n,
				Expected: "each column once (it is also column " + strconv.Itoa(idx[k]+1) + ")"}
		}
		idx[k] = i
	}
	if unknown != nil {
		return &RowError{File: file, Line: line, Column: first, Field: "column", Value: strings.Join(unknown, ","),
			Expected: "only known columns: " + strings.Join(known, ", ") + separatorHint(names)}
	}
	return nil
}
