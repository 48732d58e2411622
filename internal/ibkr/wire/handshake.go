package wire

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// ServerVersion is the one protocol version this package speaks. Versions
// from 201 on replace text ids with binary ones and move to protobuf.
const ServerVersion = 178

// SupportedGateways names the IB releases known to negotiate ServerVersion,
// for the message shown when a server answers with anything else.
const SupportedGateways = "IB Gateway or TWS 10.30 or later (they answer 178 when asked for v178..178)"

// Hello is what a client sends first: the raw "API\0" prefix, then one
// frame asking for exactly ServerVersion.
func Hello() []byte {
	return AppendFrame([]byte("API\x00"), []byte(fmt.Sprintf("v%d..%d", ServerVersion, ServerVersion)))
}

// HelloPrefix is the four bytes that open every client connection.
const HelloPrefix = "API\x00"

// ParseVersionRange reads a client's version frame, "v<min>..<max>" with
// optional " <connectOptions>".
func ParseVersionRange(payload []byte) (lo, hi int, options string, err error) {
	s := string(payload)
	if i := strings.IndexByte(s, ' '); i >= 0 {
		s, options = s[:i], s[i+1:]
	}
	rest, ok := strings.CutPrefix(s, "v")
	a, b, ok2 := strings.Cut(rest, "..")
	if !ok || !ok2 {
		// A bare "v178" asks for one version.
		if ok && !ok2 {
			a, b = rest, rest
		} else {
			return 0, 0, "", fmt.Errorf("%w: version request %q is not v<min>..<max>", ErrMalformed, payload)
		}
	}
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || lo <= 0 || hi < lo {
		return 0, 0, "", fmt.Errorf("%w: version request %q is not v<min>..<max>", ErrMalformed, payload)
	}
	return lo, hi, options, nil
}

// ServerHello is the server's answer: its version and connection time.
func ServerHello(version int, connTime string) []byte {
	var b bytes.Buffer
	b.WriteString(strconv.Itoa(version))
	b.WriteByte(0)
	b.WriteString(connTime)
	b.WriteByte(0)
	return AppendFrame(nil, b.Bytes())
}

// ParseServerHello reads the server's version frame. A frame that does not
// start with a bare integer is some other message arriving early (the
// official client notes news can precede the version); ok is then false.
func ParseServerHello(fields [][]byte) (version int, connTime string, ok bool) {
	if len(fields) != 2 {
		return 0, "", false
	}
	v, err := strconv.Atoi(string(fields[0]))
	// A connection time starts with its yyyymmdd date: a two-field message
	// whose id happens to be ≥ 100 is not taken for the version reply.
	if err != nil || v < 100 || len(fields[1]) < 8 || fields[1][0] < '0' || fields[1][0] > '9' {
		return 0, "", false
	}
	return v, string(fields[1]), true
}
