package importer

import (
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// scanned is what a CSV reader made of an input: the records, the line of
// every field, and the syntax error that stopped it (line, column), if any.
type scanned struct {
	Records    [][]string
	FieldLines [][]int
	ErrAt      [2]int
}

func scanWithScanner(s string) scanned {
	var out scanned
	sc := newCSVScanner(s)
	for {
		rec, line, multi, ok, err := sc.next(nil)
		if err != nil {
			out.ErrAt = [2]int{err.line, err.col}
			return out
		}
		if !ok {
			return out
		}
		lines := make([]int, len(rec))
		l := line
		for i, f := range rec {
			lines[i] = l
			if multi {
				l += strings.Count(f, "\n")
			}
		}
		out.Records = append(out.Records, rec)
		out.FieldLines = append(out.FieldLines, lines)
	}
}

func scanWithEncodingCSV(s string) scanned {
	var out scanned
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(s, "\uFEFF")))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			out.ErrAt = [2]int{pe.Line, pe.Column}
			return out
		}
		lines := make([]int, len(rec))
		for i := range rec {
			lines[i], _ = r.FieldPos(i)
		}
		out.Records = append(out.Records, rec)
		out.FieldLines = append(out.FieldLines, lines)
	}
}

var csvScannerCases = []string{
	"",
	"a,b,c\n1,2,3\n",
	"a,b\r\n1,2\r\n",
	"a,b\r\n1,2\r",
	"a,b\n1,2",
	"\uFEFFa,b\n",
	"\n\n# c,d\n  \na,,\n,\n",
	"#only\n",
	`"a","b""c",d` + "\n",
	"\"multi\nline\",x\n\"r\r\nn\",y\n",
	"\"a\n\n\nb\",c\nd,e\n",
	"a,\"b\"\"\n\"\"c\",d,\"\"\n",
	"a\"b,c\n",
	"\"a\"b,c\n",
	"\"unterminated\n",
	"\"unterminated",
	"x,\"open\nstill\n",
	"a\rb,c\r\r\n",
	"\"a\",\"\"\n",
	"a,b,\n,,\n\"\"\n",
	"é,\"ü\",#\n#x\n",
	",\"\n#not a comment\n\",z\n",
}

func TestCSVScannerMatchesEncodingCSV(t *testing.T) {
	for _, in := range csvScannerCases {
		if diff := cmp.Diff(scanWithEncodingCSV(in), scanWithScanner(in)); diff != "" {
			t.Errorf("input %q: (-encoding/csv +scanner):\n%s", in, diff)
		}
	}
}

func FuzzCSVScanner(f *testing.F) {
	for _, in := range csvScannerCases {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if diff := cmp.Diff(scanWithEncodingCSV(in), scanWithScanner(in)); diff != "" {
			t.Errorf("input %q: (-encoding/csv +scanner):\n%s", in, diff)
		}
	})
}
