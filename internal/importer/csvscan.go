package importer

import (
	"encoding/csv"
	"strings"
)

// csvScanner splits CSV text into records exactly as encoding/csv.Reader
// does with Comment '#', FieldsPerRecord -1 and no lazy quotes (RFC 4180;
// a fuzz test checks the two agree), but without copying: an unquoted field,
// and a quoted one without "" escapes or line breaks, is a substring of the
// input. It is what makes ParseTradesCSV fast; the input must be in memory.
type csvScanner struct {
	s    string
	off  int // offset of the next unread line
	line int // lines read so far: the number of the current line
}

// csvSyntaxError is a CSV syntax error at a 1-based line and byte column,
// positioned as encoding/csv positions it.
type csvSyntaxError struct {
	line, col int
	msg       string
}

var (
	errBareQuote = csv.ErrBareQuote.Error()
	errQuote     = csv.ErrQuote.Error()
)

func newCSVScanner(s string) *csvScanner {
	return &csvScanner{s: strings.TrimPrefix(s, "\uFEFF")}
}

// readLine returns the next line without its terminator ("\n", or "\r\n"
// as encoding/csv normalises it, or a lone "\r" just before the end of the
// input, which encoding/csv drops), whether it had a "\n", and false at the
// end of the input.
func (c *csvScanner) readLine() (content string, nl, ok bool) {
	if c.off >= len(c.s) {
		return "", false, false
	}
	rest := c.s[c.off:]
	c.line++
	i := strings.IndexByte(rest, '\n')
	if i < 0 {
		c.off = len(c.s)
		return strings.TrimSuffix(rest, "\r"), false, true
	}
	c.off += i + 1
	content = rest[:i]
	if i > 0 && content[i-1] == '\r' {
		content = content[:i-1]
	}
	return content, true, true
}

// next appends the fields of the next record to dst. It returns them, the
// line of the record's first field and whether a field spans lines; ok is
// false at the end of the input. Blank lines and lines starting with '#' are
// skipped between records.
func (c *csvScanner) next(dst []string) (fields []string, line int, multi bool, ok bool, err *csvSyntaxError) {
	var content string
	var nl bool
	for {
		content, nl, ok = c.readLine()
		if !ok {
			return dst, 0, false, false, nil
		}
		if strings.HasPrefix(content, "#") || content == "" {
			continue // a comment or an empty line
		}
		break
	}
	line = c.line
	col := 1
	for {
		if content == "" || content[0] != '"' {
			// An unquoted field runs to the next comma or the end of the line.
			i := strings.IndexByte(content, ',')
			field := content
			if i >= 0 {
				field = content[:i]
			}
			if j := strings.IndexByte(field, '"'); j >= 0 {
				return dst, line, multi, true, &csvSyntaxError{c.line, col + j, errBareQuote}
			}
			dst = append(dst, field)
			if i < 0 {
				return dst, line, multi, true, nil
			}
			content = content[i+1:]
			col += i + 1
			continue
		}
		// A quoted field.
		content = content[1:]
		col++
		var b []byte // the field when it cannot be a substring
		for {
			i := strings.IndexByte(content, '"')
			if i >= 0 {
				part := content[:i]
				content = content[i+1:]
				col += i + 1
				switch {
				case strings.HasPrefix(content, `"`): // "" is a quote
					b = append(append(c.grow(b, part), part...), '"')
					content = content[1:]
					col++
					continue
				case strings.HasPrefix(content, ","): // end of the field
					dst = append(dst, c.finish(b, part))
					content = content[1:]
					col++
				case content == "": // end of the field and the record
					dst = append(dst, c.finish(b, part))
					return dst, line, multi, true, nil
				default:
					return dst, line, multi, true, &csvSyntaxError{c.line, col - 1, errQuote}
				}
				break
			}
			// The field goes on past the end of the line.
			b = append(c.grow(b, content), content...)
			col += len(content)
			if nl {
				b = append(b, '\n')
				col++
			}
			at := c.line
			var more bool
			content, nl, more = c.readLine()
			if !more || content == "" && !nl { // the input ends (perhaps with a lone "\r")
				return dst, line, multi, true, &csvSyntaxError{at, col, errQuote}
			}
			multi = true
			col = 1
		}
	}
}

// grow allocates b, the buffer of a field being unescaped, on first use.
func (c *csvScanner) grow(b []byte, next string) []byte {
	if b == nil {
		b = make([]byte, 0, len(next)+16)
	}
	return b
}

// finish returns a quoted field: the last part alone when nothing was
// buffered, else the buffer with the last part.
func (c *csvScanner) finish(b []byte, last string) string {
	if b == nil {
		return last
	}
	return string(append(b, last...))
}
