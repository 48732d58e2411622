package gateway

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
)

// StatusOptions are the inputs of `gateway status`.
type StatusOptions struct {
	Factory *cmdutil.Factory
	Gateway cmdutil.GatewayFlags
}

// NewCmdStatus returns `gateway status`.
func NewCmdStatus(f *cmdutil.Factory, runF func(context.Context, *StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Connect to IB Gateway and show its version, accounts, data farms and round-trip time",
		Long: `Connect to IB Gateway (or TWS), show the server version it negotiated, the
managed accounts, the data-farm status messages and the round-trip time of
a current-time request, then disconnect. Exit code 5 when the gateway cannot
be reached; the error names the step that failed (dial, handshake or
bootstrap) and what to check.`,
		Example: `  wealthalloc gateway status
  wealthalloc gateway status --gateway 127.0.0.1:7497 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunStatus(cmd.Context(), opts)
		},
	}
	cmdutil.AddGatewayFlags(cmd, &opts.Gateway)
	return cmd
}

// StatusJSON is `gateway status -o json`.
type StatusJSON struct {
	Address       string     `json:"address"`
	ServerVersion int        `json:"server_version"`
	ConnTime      string     `json:"connection_time"`
	ClientID      int        `json:"client_id"`
	Accounts      []string   `json:"accounts"`
	Farms         []FarmJSON `json:"farms"`
	RoundTripMS   float64    `json:"round_trip_ms"`
	ServerTime    time.Time  `json:"server_time"`
}

// FarmJSON is one data-farm status message.
type FarmJSON struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// RunStatus connects and reports.
func RunStatus(ctx context.Context, opts *StatusOptions) error {
	f := opts.Factory
	pr, err := f.Printer()
	if err != nil {
		return err
	}
	cfg, err := f.GatewayConfig(&opts.Gateway)
	if err != nil {
		return err
	}
	c, err := f.Gateway(ctx, &opts.Gateway)
	if err != nil {
		return err
	}
	rtt, err := c.Ping(ctx)
	if err != nil {
		return err
	}
	now, err := c.CurrentTime(ctx)
	if err != nil {
		return err
	}
	doc := StatusJSON{Address: cfg.Addr, ServerVersion: c.ServerVersion(), ConnTime: c.ConnTime(), ClientID: c.ClientID(),
		Accounts: append([]string{}, c.Accounts()...), Farms: []FarmJSON{}, RoundTripMS: float64(rtt.Microseconds()) / 1000,
		ServerTime: now.UTC()}
	var farms []string
	for _, e := range c.FarmStatus() {
		doc.Farms = append(doc.Farms, FarmJSON{Code: e.Code, Message: e.Message})
		farms = append(farms, e.Message)
	}
	t := output.Table{Columns: []output.Column{{Header: "Field", Key: "field"}, {Header: "Value", Key: "value"}}}
	add := func(k, v string) { t.Rows = append(t.Rows, []any{k, v}) }
	add("address", doc.Address)
	add("server version", itoa(doc.ServerVersion))
	add("connection time", doc.ConnTime)
	add("client id", itoa(doc.ClientID))
	add("accounts", strings.Join(doc.Accounts, ", "))
	add("data farms", strings.Join(farms, "; "))
	add("round trip", rtt.Round(10*time.Microsecond).String())
	add("server time", doc.ServerTime.Format(time.RFC3339))
	return pr.Print(t, doc)
}
