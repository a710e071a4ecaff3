// Command tsunagu is the care-team server for home medical care.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"tsunagu/internal/app"
)

func main() {
	// The server's garbage is short-lived (a page's rows and JSON):
	// collecting at three times the live heap instead of twice halves the
	// collector's share of the CPU for a few more MB. GOGC still decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, app.Env{Args: os.Args, Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}); err != nil {
		fmt.Fprintln(os.Stderr, "tsunagu:", err)
		os.Exit(1)
	}
}
