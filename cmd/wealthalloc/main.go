// Command wealthalloc runs an Interactive Brokers portfolio from the terminal.
package main

import (
	"os"

	"github.com/wealthalloc/wealthalloc/internal/cli"
)

func main() { os.Exit(cli.Main()) }
