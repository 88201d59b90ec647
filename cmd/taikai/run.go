package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"golang.org/x/term"

	"github.com/taikaibot/taikai/demo"
	"github.com/taikaibot/taikai/flows"
)

// configError is a missing or invalid setting or argument; main exits 2.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

func configErrorf(format string, args ...any) error {
	return &configError{fmt.Sprintf(format, args...)}
}

const usage = `usage:
  taikai serve               run the bot (configured by environment variables; see README)
  taikai demo [-v] [-lang en] [-hours H]
                             the whole system in one process, with a LINE chat in this terminal
  taikai replay URL FILE…    sign recorded webhook bodies with LINE_CHANNEL_SECRET and post them to URL
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
		return serve(ctx, cfg, slog.New(slog.NewJSONHandler(stdout, nil)))
	case "demo":
		return runDemo(ctx, args[2:], stdin, stdout, stderr)
	case "replay":
		return replay(ctx, args[2:], getenv, stdout)
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
	if err := fs.Parse(args); err != nil {
		return configErrorf("demo: %v", err)
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
