package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/taikaibot/taikai/demo"
	"github.com/taikaibot/taikai/flows"
)

// configError is missing or invalid settings or arguments, one line each
// (a usage message may follow); main exits 2.
type configError struct{ problems []string }

func (e *configError) Error() string { return strings.Join(e.problems, "\n") }

func configErrorf(format string, args ...any) error {
	return &configError{[]string{fmt.Sprintf(format, args...)}}
}

const usage = `usage:
  taikai serve                       run the bot (configured by environment variables; see README)
  taikai check                       check every setting, reach Redis, the marketplace and LINE; exit 0 or 1
  taikai setup [-webhook-url URL] [-apply]
                                     show (and with -apply make) the LINE channel's settings: webhook, rich menu
  taikai erase [-by NAME] [-ticket REF] USER_ID
                                     erase what is kept for one LINE user, and log the erasure (-log prints the log)
  taikai healthcheck [-path /readyz] ask this container's server whether it is alive (or ready)
  taikai version                     the version, revision and Go version
  taikai demo [-v] [-lang en] [-hours H] [-history 90d]
                                     the whole system in one process, with a LINE chat in this terminal
  taikai emulator                    the LINE platform emulator, with a web chat (local systems, tests)
  taikai sandbox                     the sandbox marketplace (local systems, tests)
  taikai replay [-restamp] URL FILE…
                                     sign recorded webhook bodies with LINE_CHANNEL_SECRET and post them to URL
                                     (-restamp: their timestamps shifted to now; the bot skips events over 24h old)
  taikai intent [-step STEP] [-lang ja|en]
                                     read one text per line on stdin; print how the bot reads each, as JSON lines`

// run is the program: main only adds the process around it, so that tests
// can call it with their own arguments, environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		return configErrorf("no command\n%s", usage)
	}
	switch args[1] {
	case "serve":
		cfg, err := loadConfig(getenv)
		if err != nil {
			return err
		}
		log := slog.New(slog.NewJSONHandler(stdout, nil))
		tuneGC(getenv, cfg.Redis, log)
		return serve(ctx, cfg, log)
	case "check":
		return check(ctx, getenv, stdout)
	case "setup":
		return setup(ctx, args[2:], getenv, stdout, stderr)
	case "erase":
		return erase(ctx, args[2:], getenv, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, args[2:], getenv, stderr)
	case "version", "-version", "--version":
		return printVersion(stdout)
	case "demo":
		return runDemo(ctx, args[2:], stdin, stdout, stderr)
	case "emulator":
		return emulator(ctx, getenv, slog.New(slog.NewJSONHandler(stdout, nil)))
	case "sandbox":
		return sandboxServer(ctx, getenv, slog.New(slog.NewJSONHandler(stdout, nil)))
	case "replay":
		return replay(ctx, args[2:], getenv, stdout, stderr)
	case "intent":
		return intent(args[2:], stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return configErrorf("unknown command %q\n%s", args[1], usage)
}

func runDemo(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "log what the bot does (to stderr)")
	lang := fs.String("lang", "ja", "the demo user's LINE language (ja, en, …)")
	hours := fs.String("hours", flows.DefaultStaffHours, "when staff answer (as STAFF_HOURS)")
	history := fs.String("history", "", "fill the console with this many days of simulated conversations (e.g. 90d), marked as demo data")
	if err := fs.Parse(args); err != nil {
		return configErrorf("demo: %v", err)
	}
	days := 0
	if *history != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(*history, "d"))
		if err != nil || n < 1 || n > 400 {
			return configErrorf("demo: -history %q: want days, 1d to 400d (e.g. 90d)", *history)
		}
		days = n
	}
	staff, err := flows.ParseStaffHours(*hours)
	if err != nil {
		return configErrorf("demo: -hours: %v", err)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	sys, err := demo.Start(demo.Config{Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})), Language: *lang, StaffHours: staff})
	if err != nil {
		return err
	}
	defer sys.Close()
	if days > 0 {
		fmt.Fprintf(stderr, "simulating %d days of conversations for the console…\n", days)
		n, err := sys.FillHistory(ctx, days, 1)
		if err != nil {
			return fmt.Errorf("demo: -history: %w", err)
		}
		fmt.Fprintf(stderr, "%d simulated conversations in the console (marked as demo data).\n", n)
	}
	interactive := false
	if f, ok := stdin.(*os.File); ok {
		interactive = term.IsTerminal(int(f.Fd()))
	}
	chat := &demo.Chat{Sys: sys, In: stdin, Out: stdout, Interactive: interactive}
	done := make(chan error, 1)
	go func() { done <- chat.Run(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return nil
	}
}
