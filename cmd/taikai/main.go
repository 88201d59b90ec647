// Command taikai is the LINE withdrawal-support bot.
//
//	taikai serve               the production server
//	taikai demo                the whole system in one process, with a chat in the terminal
//	taikai replay URL FILE…    sign recorded webhook bodies and post them to a running bot
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "taikai:", err)
		var ce *configError
		if errors.As(err, &ce) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
