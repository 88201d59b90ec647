// Command taikai is the LINE withdrawal-support bot.
//
//	taikai serve               the production server
//	taikai check               every setting checked, Redis, the marketplace and LINE reached
//	taikai setup [-apply]      the LINE channel's webhook endpoint and rich menu
//	taikai erase USER_ID       erase what is kept for one LINE user, with an entry in the erasure log
//	taikai healthcheck         the container's health check (no shell or curl in the image)
//	taikai version             version, revision, Go version
//	taikai demo                the whole system in one process, with a chat in the terminal
//	taikai emulator            the LINE platform emulator with a web chat (compose.yaml)
//	taikai sandbox             the sandbox marketplace (compose.yaml)
//	taikai replay URL FILE…    sign recorded webhook bodies (-restamp: as sent now) and post them to a running bot
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
	if err == nil {
		return
	}
	var ce *configError
	if errors.As(err, &ce) && len(ce.problems) > 1 {
		for _, p := range ce.problems {
			fmt.Fprintln(os.Stderr, "taikai:", p)
		}
	} else {
		fmt.Fprintln(os.Stderr, "taikai:", err)
	}
	if ce != nil {
		os.Exit(2)
	}
	os.Exit(1)
}
