// Command tsunagu is the care-team server for home medical care.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"tsunagu/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, app.Env{Args: os.Args, Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}); err != nil {
		fmt.Fprintln(os.Stderr, "tsunagu:", err)
		os.Exit(1)
	}
}
