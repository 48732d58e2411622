package ibkr

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// ErrUnreachable matches (errors.Is) every failure to reach a working
// Gateway: dial, handshake and bootstrap failures and dropped connections.
// The command line maps it to exit code 5.
var ErrUnreachable = errors.New("IB Gateway unreachable")

// ErrVersion reports a server that negotiated a protocol version other than
// wire.ServerVersion.
var ErrVersion = fmt.Errorf("unsupported TWS API server version (this client speaks %d; use %s)",
	wire.ServerVersion, wire.SupportedGateways)

// ErrLiveAccount refuses an order for an account whose id does not start
// with "DU" (a paper account) when Config.AllowLive is not set.
var ErrLiveAccount = errors.New("order refused: the account is a live (real-money) account and live trading is not enabled")

// ErrClosed is returned by calls on a closed Client.
var ErrClosed = errors.New("ibkr: client closed")

// errClientIDInUse is a bootstrap failure that a retry with the next client
// id may cure: error 326, or a close before the Gateway said it was ready.
var errClientIDInUse = errors.New("client id in use")

// StepError names the step of talking to the Gateway that failed, and how
// to fix it.
type StepError struct {
	Step string // "dial", "handshake", "bootstrap", "connection" or "request <name>"
	Addr string
	Err  error
}

func (e *StepError) Error() string { return "ibkr: " + e.text() }

// text is the message without the package prefix; a StepError wrapping
// another (a request cut by a dropped connection) names the address once.
func (e *StepError) text() string {
	var b strings.Builder
	b.WriteString(e.Step)
	inner, nested := e.Err.(*StepError)
	if e.Addr != "" && !(nested && inner.Addr == e.Addr) {
		b.WriteString(" ")
		b.WriteString(e.Addr)
	}
	if nested {
		b.WriteString(": ")
		b.WriteString(inner.text())
		return b.String()
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if hint := e.hint(); hint != "" {
		b.WriteString(" (")
		b.WriteString(hint)
		b.WriteString(")")
	}
	return b.String()
}

func (e *StepError) hint() string {
	if errors.Is(e.Err, ErrVersion) {
		return ""
	}
	var api *APIError
	if errors.As(e.Err, &api) {
		return ""
	}
	switch e.Step {
	case "dial":
		return "is IB Gateway running and API enabled on " + e.Addr + "?"
	case "handshake":
		return "the port accepted the connection but no TWS API answered: is this IB Gateway's API port, is it logged in with the paper-mode disclaimer accepted, and is this machine a trusted IP?"
	case "bootstrap":
		if errors.Is(e.Err, errClientIDInUse) {
			return "another program uses this client id: pick another, or restart the Gateway to free it"
		}
		return "the Gateway did not send its account list and next order id: is it still starting, or is the client id in use?"
	case "connection":
		return "the Gateway dropped the connection: nightly restart, another login, or it was closed"
	}
	if strings.HasPrefix(e.Step, "request ") && errors.Is(e.Err, context.DeadlineExceeded) {
		return "the Gateway did not answer in time: check its farm status and market-data subscriptions"
	}
	return ""
}

func (e *StepError) Unwrap() error { return e.Err }

// Is makes connection-level failures match ErrUnreachable. A version
// mismatch is not unreachable: the Gateway answered, it is the wrong one.
func (e *StepError) Is(target error) bool {
	if target != ErrUnreachable || errors.Is(e.Err, ErrVersion) {
		return false
	}
	switch e.Step {
	case "dial", "handshake", "bootstrap", "connection":
		return true
	}
	return false
}

// Class sorts the Gateway's error messages by what the client does with them.
type Class uint8

const (
	// RequestFailed ends the request (or order) whose id the error carries.
	RequestFailed Class = iota
	// Info is a notice: farm status, delayed data shown, order warnings.
	Info
	// Connectivity reports the Gateway's own link to IB: 1100 lost, 1101
	// restored with data lost (streams are resubscribed), 1102 restored.
	Connectivity
	// OrderNotice is 202 "order cancelled": the final state comes as an
	// orderStatus.
	OrderNotice
)

func (c Class) String() string {
	switch c {
	case Info:
		return "info"
	case Connectivity:
		return "connectivity"
	case OrderNotice:
		return "order notice"
	}
	return "request failed"
}

// Classify returns the class of a Gateway error code (reference/ibkr.md
// §2.4). Codes not listed end the request they name. 165 is the HMDS
// service's "query message", a notice about a historical request that
// goes on, not its failure (failures come as 162).
func Classify(code int) Class {
	switch {
	case code >= 2100 && code <= 2199, code == 10167, code == 399, code == 2174, code == 165:
		return Info
	case code == 1100, code == 1101, code == 1102, code == 1300:
		return Connectivity
	case code == 202:
		return OrderNotice
	}
	return RequestFailed
}

// APIError is an error message from the Gateway.
type APIError struct {
	ReqID   int64 // request or order id; -1 for session-wide notices
	Code    int
	Message string
	Class   Class
}

func (e *APIError) Error() string {
	if e.ReqID >= 0 {
		return fmt.Sprintf("IB error %d (id %d): %s", e.Code, e.ReqID, e.Message)
	}
	return fmt.Sprintf("IB error %d: %s", e.Code, e.Message)
}

func newAPIError(id int64, code int, msg string) *APIError {
	return &APIError{ReqID: id, Code: code, Message: msg, Class: Classify(code)}
}
