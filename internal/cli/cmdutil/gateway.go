package cmdutil

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/config"
	"github.com/wealthalloc/wealthalloc/internal/ibkr"
)

// GatewayFlags are the connection flags of commands that talk to IB Gateway.
type GatewayFlags struct {
	Addr     string
	ClientID int
	Timeout  time.Duration
	// Live is the order commands' --live: orders on live (non-DU) accounts
	// need it and trading.live: true in the config.
	Live bool
	cmd  *cobra.Command
}

// AddGatewayFlags registers --gateway, --client-id and --timeout on cmd.
func AddGatewayFlags(cmd *cobra.Command, g *GatewayFlags) {
	g.cmd = cmd
	cmd.Flags().StringVar(&g.Addr, "gateway", "", "IB Gateway/TWS address HOST:PORT (env WEALTHALLOC_GATEWAY; default 127.0.0.1:4002, Gateway paper)")
	cmd.Flags().IntVar(&g.ClientID, "client-id", 0, "TWS API client id (env WEALTHALLOC_CLIENT_ID; config gateway.client_id; default 17)")
	cmd.Flags().DurationVar(&g.Timeout, "timeout", 15*time.Second, "deadline for each request to the gateway")
}

// defaultClientID avoids 0, which TWS binds to manual orders.
const defaultClientID = 17

// GatewayConfig resolves the connection settings: flag > environment >
// config file > default.
func (f *Factory) GatewayConfig(g *GatewayFlags) (ibkr.Config, error) {
	c, err := f.Config()
	if err != nil {
		return ibkr.Config{}, err
	}
	addr := g.Addr
	if addr == "" {
		addr = f.Getenv("WEALTHALLOC_GATEWAY")
	}
	if addr == "" {
		host, port := c.Gateway.Host, c.Gateway.Port
		if host == "" {
			host = config.DefaultGatewayHost
		}
		if port == 0 {
			port = config.DefaultGatewayPort
		}
		addr = net.JoinHostPort(host, strconv.Itoa(port))
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return ibkr.Config{}, FlagErrorf("--gateway %q: want HOST:PORT, such as 127.0.0.1:4002", addr)
	}
	id := defaultClientID
	switch {
	case g.cmd != nil && g.cmd.Flags().Changed("client-id"):
		id = g.ClientID
	case f.Getenv("WEALTHALLOC_CLIENT_ID") != "":
		v, err := strconv.Atoi(f.Getenv("WEALTHALLOC_CLIENT_ID"))
		if err != nil {
			return ibkr.Config{}, fmt.Errorf("WEALTHALLOC_CLIENT_ID=%q is not a number", f.Getenv("WEALTHALLOC_CLIENT_ID"))
		}
		id = v
	case c.Gateway.ClientID != 0:
		id = c.Gateway.ClientID
	}
	if id < 0 {
		return ibkr.Config{}, FlagErrorf("--client-id %d: must be 0 or more", id)
	}
	if g.Live && !c.Trading.Live {
		return ibkr.Config{}, FlagErrorf("--live: orders on live accounts also need \"trading:\\n  live: true\" in %s", f.configPathOrDefault())
	}
	return ibkr.Config{Addr: addr, ClientID: id, RequestTimeout: g.Timeout, AllowLive: g.Live && c.Trading.Live, Logger: f.Logger}, nil
}

// Gateway connects to IB Gateway with the resolved settings; the
// connection is closed when the command ends.
func (f *Factory) Gateway(ctx context.Context, g *GatewayFlags) (*ibkr.Client, error) {
	cfg, err := f.GatewayConfig(g)
	if err != nil {
		return nil, err
	}
	f.Progress("connecting to %s", cfg.Addr)
	start := time.Now()
	c, err := ibkr.Dial(ctx, cfg)
	f.ProgressDone()
	if err != nil {
		return nil, err
	}
	f.Timed("gateway connect", start)
	f.closers = append(f.closers, c.Close)
	return c, nil
}

func (f *Factory) configPathOrDefault() string {
	if p, err := f.ConfigPath(); err == nil {
		return p
	}
	return "the config file"
}
