package wire

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Kind is what a field's text holds. Decoding checks it; encoding writes
// the text it is given.
type Kind uint8

const (
	Str    Kind = iota // any text
	Int                // decimal integer, "" allowed (read as 0)
	Float              // double, "" and the unset sentinels allowed
	Dec                // decimal quantity or price, "" allowed
	Bool               // 1/0
	Const              // fixed text: message ids and versions
	Repeat             // Sub, repeated as many times as the earlier Int field Count says
	Cond               // Sub, present only when If holds for the fields before it
)

// Field is one position in a layout.
type Field struct {
	Name    string
	Kind    Kind
	Default string // Const: the text; otherwise what Encode writes when no value is given
	Count   string // Repeat: name of the earlier field holding the number of groups
	Sub     []Field
	If      func(get func(string) string) bool // Cond
}

// Direction says who sends a message.
type Direction uint8

const (
	Outgoing Direction = iota // client → server (requests)
	Incoming                  // server → client
)

func (d Direction) String() string {
	if d == Outgoing {
		return "outgoing"
	}
	return "incoming"
}

// Layout is the field order of one message at ServerVersion. Fields starts
// with the message id (a Const), and the message version when it has one.
type Layout struct {
	Name   string
	ID     int
	Dir    Direction
	Fields []Field
}

// Msg is a message as names and text values. Groups holds the repeated
// blocks, by the Repeat field's name.
type Msg struct {
	Layout *Layout
	Values map[string]string
	Groups map[string][]map[string]string
}

// Get returns a value ("" when absent).
func (m Msg) Get(name string) string { return m.Values[name] }

// Int returns an integer value.
func (m Msg) Int(name string) (int64, error) {
	v, err := ParseInt([]byte(m.Values[name]))
	return v, m.wrap(name, err)
}

// Number returns a decimal value.
func (m Msg) Number(name string) (Number, error) {
	v, err := ParseNumber([]byte(m.Values[name]))
	return v, m.wrap(name, err)
}

// Float returns a double value.
func (m Msg) Float(name string) (float64, error) {
	v, err := ParseFloat([]byte(m.Values[name]))
	return v, m.wrap(name, err)
}

// Bool returns a boolean value.
func (m Msg) Bool(name string) (bool, error) {
	v, err := ParseBool([]byte(m.Values[name]))
	return v, m.wrap(name, err)
}

func (m Msg) wrap(name string, err error) error {
	if fe, ok := err.(*FieldError); ok && m.Layout != nil {
		fe.Message, fe.Field = m.Layout.Name, name
	}
	return err
}

// CountError reports a message with more or fewer fields than its layout:
// the real Gateway rejects such a request, and a client bug shows here.
type CountError struct {
	Message   string
	Got, Want int
	Missing   string // the first field that was missing, when too few
}

func (e *CountError) Error() string {
	if e.Missing != "" {
		return fmt.Sprintf("%s: %d fields, too few: field %q missing", e.Message, e.Got, e.Missing)
	}
	return fmt.Sprintf("%s: %d fields where the layout at v%d has %d", e.Message, e.Got, ServerVersion, e.Want)
}

// Encode appends the message as one frame to dst. Values not given take
// the field's Default; a name the layout does not have is an error, so a
// typo cannot silently send a default.
func (l *Layout) Encode(dst []byte, m Msg) ([]byte, error) {
	used := 0
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0) // length, patched below
	var err error
	dst, used, err = encodeFields(dst, l.Fields, m.Values, m.Groups, l.Name)
	if err != nil {
		return dst[:start], err
	}
	if used != len(m.Values) {
		for name := range m.Values {
			if !l.has(name) {
				return dst[:start], fmt.Errorf("%s: no field %q at v%d", l.Name, name, ServerVersion)
			}
		}
	}
	n := len(dst) - start - 4
	if n > MaxFrame {
		return dst[:start], fmt.Errorf("%s: %w", l.Name, ErrFrameTooLong)
	}
	dst[start], dst[start+1], dst[start+2], dst[start+3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return dst, nil
}

func encodeFields(dst []byte, fields []Field, vals map[string]string, groups map[string][]map[string]string, where string) ([]byte, int, error) {
	used := 0
	counts := map[string]string{}
	var findRepeats func([]Field)
	findRepeats = func(fs []Field) {
		for _, f := range fs {
			switch f.Kind {
			case Repeat:
				counts[f.Count] = strconv.Itoa(len(groups[f.Name]))
			case Cond:
				findRepeats(f.Sub)
			}
		}
	}
	findRepeats(fields)
	get := func(name string) string {
		if v, ok := vals[name]; ok {
			return v
		}
		if c, ok := counts[name]; ok {
			return c
		}
		for _, f := range fields {
			if f.Name == name {
				return f.Default
			}
		}
		return ""
	}
	for _, f := range fields {
		switch f.Kind {
		case Const:
			if v, ok := vals[f.Name]; ok && v != f.Default {
				return dst, used, fmt.Errorf("%s.%s is fixed at %q, not %q", where, f.Name, f.Default, v)
			}
			dst = append(append(dst, f.Default...), 0)
		case Repeat:
			gs := groups[f.Name]
			if c, _ := ParseInt([]byte(get(f.Count))); c != int64(len(gs)) {
				return dst, used, fmt.Errorf("%s.%s says %d groups, %d given", where, f.Count, c, len(gs))
			}
			for _, g := range gs {
				var err error
				var n int
				dst, n, err = encodeFields(dst, f.Sub, g, nil, where+"."+f.Name)
				if err != nil {
					return dst, used, err
				}
				if n != len(g) {
					return dst, used, fmt.Errorf("%s.%s: unknown field in group", where, f.Name)
				}
			}
		case Cond:
			if f.If(get) {
				var err error
				var n int
				dst, n, err = encodeFields(dst, f.Sub, vals, groups, where)
				if err != nil {
					return dst, used, err
				}
				used += n
			}
		default:
			v, ok := vals[f.Name]
			if strings.IndexByte(v, 0) >= 0 {
				return dst, used, fmt.Errorf("%s.%s contains a NUL byte, which would split the field", where, f.Name)
			}
			switch c, isCount := counts[f.Name]; {
			case ok:
				used++
			case isCount:
				v = c
			default:
				v = f.Default
			}
			dst = append(append(dst, v...), 0)
		}
	}
	return dst, used, nil
}

func (l *Layout) has(name string) bool {
	var walk func([]Field) bool
	walk = func(fs []Field) bool {
		for _, f := range fs {
			if f.Name == name && f.Kind != Repeat {
				return true
			}
			if f.Kind == Cond && walk(f.Sub) {
				return true
			}
		}
		return false
	}
	return walk(l.Fields)
}

// Decode reads a message's fields (the id included) by its layout. The
// field count must match exactly and every field must be of its kind.
func (l *Layout) Decode(fields [][]byte) (Msg, error) {
	m := Msg{Layout: l, Values: make(map[string]string, len(l.Fields))}
	i, err := decodeFields(fields, 0, l.Fields, m.Values, &m.Groups, l.Name)
	if err != nil {
		return m, err
	}
	if i != len(fields) {
		return m, &CountError{Message: l.Name, Got: len(fields), Want: i}
	}
	return m, nil
}

func decodeFields(fields [][]byte, i int, layout []Field, vals map[string]string, groups *map[string][]map[string]string, where string) (int, error) {
	get := func(name string) string { return vals[name] }
	for _, f := range layout {
		switch f.Kind {
		case Repeat:
			n, err := ParseInt([]byte(vals[f.Count]))
			// Each group takes at least one field: a count beyond the fields
			// left is a lie, refused before anything is allocated for it.
			if err != nil || n < 0 || n > int64(len(fields)-i) {
				return i, &FieldError{Message: where, Field: f.Count, Value: vals[f.Count], Want: "a group count"}
			}
			if *groups == nil {
				*groups = map[string][]map[string]string{}
			}
			gs := make([]map[string]string, 0, n)
			for range n {
				g := make(map[string]string, len(f.Sub))
				var err error
				var sub map[string][]map[string]string
				i, err = decodeFields(fields, i, f.Sub, g, &sub, where+"."+f.Name)
				if err != nil {
					return i, err
				}
				gs = append(gs, g)
			}
			(*groups)[f.Name] = gs
			continue
		case Cond:
			if f.If(get) {
				var err error
				i, err = decodeFields(fields, i, f.Sub, vals, groups, where)
				if err != nil {
					return i, err
				}
			}
			continue
		}
		if i >= len(fields) {
			return i, &CountError{Message: where, Got: len(fields), Missing: f.Name}
		}
		b := fields[i]
		i++
		if err := check(f, b); err != nil {
			err.Message, err.Field = where, f.Name
			return i, err
		}
		vals[f.Name] = string(b)
	}
	return i, nil
}

func check(f Field, b []byte) *FieldError {
	var err error
	switch f.Kind {
	case Const:
		if string(b) != f.Default {
			return &FieldError{Value: string(b), Want: strconv.Quote(f.Default)}
		}
	case Int:
		_, err = ParseInt(b)
	case Float:
		_, err = ParseFloat(b)
	case Dec:
		_, err = ParseNumber(b)
	case Bool:
		_, err = ParseBool(b)
	}
	if fe, ok := err.(*FieldError); ok {
		return fe
	}
	return nil
}

// Index is the position of a field that no Repeat or Cond precedes, for
// decoders on hot paths that read fields by position. It panics on a name
// the layout does not have there: a programming error caught at init.
func (l *Layout) Index(name string) int {
	for i, f := range l.Fields {
		if f.Kind == Repeat || f.Kind == Cond {
			break
		}
		if f.Name == name {
			return i
		}
	}
	panic(fmt.Sprintf("wire: %s has no fixed-position field %q", l.Name, name))
}

// FixedLen is the number of fields when no Repeat or Cond adds any, or -1
// when the layout has such parts.
func (l *Layout) FixedLen() int {
	if slices.ContainsFunc(l.Fields, func(f Field) bool { return f.Kind == Repeat || f.Kind == Cond }) {
		return -1
	}
	return len(l.Fields)
}
