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
	// collecting at three times the live heap instead of twice takes a
	// tenth off a pull's CPU. The soft memory limit keeps that from
	// tripling the heap under many clients (64 timelines at once stay under
	// 300 MB of RSS); it leaves room for the record caches (up to ~80 MB,
	// internal/store/recordcache.go and api/pulljson.go) above the
	// garbage of a page. Above it the collector runs sooner, never fails an
	// allocation. GOGC and GOMEMLIMIT in the environment still decide.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(192 << 20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, app.Env{Args: os.Args, Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}); err != nil {
		fmt.Fprintln(os.Stderr, "tsunagu:", err)
		os.Exit(1)
	}
}
