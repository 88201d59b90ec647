// Command bench measures taikai against a baseline that does what the LINE
// SDK's echo example does, side by side on this machine, each bot as its
// own process:
//
//	go run ./bench -rounds 3 -c 16,64 -duration 10s
//
// It builds both bots, starts a fake Messaging API and (for taikai) a Redis
// of its own, and for each round and concurrency runs the two alternately:
// c goroutines post signed webhooks, each one text from a user never seen
// before, for the duration; then it waits until every event got its reply
// at the fake API. It prints per run and as medians: completed events/s,
// the webhook answer's p50 and p99, the bot's CPU per event and Redis's
// (from /proc), Redis commands per event (INFO commandstats), new Redis
// connections, the bot's peak RSS and Redis bytes per user, and the ratio
// of taikai to echo per round. A second workload (-flow) walks whole
// withdrawals through taikai, account link included, with redeliveries and
// off-script messages. -profile writes CPU and heap profiles of an extra
// run of each bot. The exit status is 1 when a sanity check failed (an
// event without exactly one reply, a webhook not answered 200, a call the
// fake API refused).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		if errors.Is(err, errSanity) {
			os.Exit(1)
		}
		os.Exit(2)
	}
}

// errSanity: the runs completed but a check failed.
var errSanity = errors.New("sanity checks failed")

// options are the command line.
type options struct {
	rounds       int
	concs        []int
	duration     time.Duration
	events       int64
	warmup       time.Duration
	text         string
	systems      []string
	redisURL     string
	redisArgs    []string
	flowUsers    int
	flowC        int
	profileDir   string
	outDir       string
	echoLog      bool
	drainTimeout time.Duration
	taikaiEnv    []string
	verbose      bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var concs, systems, redisArgs, taikaiEnv string
	fs.IntVar(&o.rounds, "rounds", 3, "rounds; each runs every system at every concurrency")
	fs.StringVar(&concs, "c", "16,64", "concurrencies: webhooks in flight at once (comma-separated)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long each run posts webhooks")
	fs.Int64Var(&o.events, "events", 0, "post this many events per run instead of for -duration")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "load before each measured window, drained and not counted")
	fs.StringVar(&o.text, "text", "こんにちは", "the text every user sends")
	fs.StringVar(&systems, "systems", "echo,taikai", "systems to run: echo, taikai")
	fs.StringVar(&o.redisURL, "redis", "", "Redis for taikai: empty starts a redis-server of its own per run (if installed, else redis://127.0.0.1:6379/9); a URL uses that server and flushes only its database")
	fs.StringVar(&redisArgs, "redis-args", "", "extra redis-server arguments, space-separated (e.g. '--appendonly yes --appendfsync everysec')")
	fs.IntVar(&o.flowUsers, "flow", 500, "users for the whole-flow workload (0: skip it)")
	fs.IntVar(&o.flowC, "flow-c", 16, "users walking the flow at once")
	fs.StringVar(&o.profileDir, "profile", "", "write CPU and heap profiles of an extra run of each system (at the highest -c) to this directory")
	fs.StringVar(&o.outDir, "out", "", "directory for binaries and logs (default: a temporary one, removed)")
	fs.BoolVar(&o.echoLog, "echo-log", true, "the echo bot logs as the SDK example does (false: ECHO_LOG=off)")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", 60*time.Second, "how long to wait for the backlog to drain after a run")
	fs.StringVar(&taikaiEnv, "taikai-env", "", "extra environment for taikai serve, comma-separated KEY=VALUE (e.g. WORKERS=128,QUEUE_PARTITIONS=32)")
	fs.BoolVar(&o.verbose, "v", false, "say what is happening (to stderr)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, s := range splitComma(concs) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 4096 {
			return o, fmt.Errorf("-c: %q is not a concurrency from 1 to 4096", s)
		}
		o.concs = append(o.concs, n)
	}
	o.systems = splitComma(systems)
	for _, s := range o.systems {
		if s != "echo" && s != "taikai" {
			return o, fmt.Errorf("-systems: unknown system %q", s)
		}
	}
	for _, kv := range splitComma(taikaiEnv) {
		if !strings.Contains(kv, "=") {
			return o, fmt.Errorf("-taikai-env: %q is not KEY=VALUE", kv)
		}
		o.taikaiEnv = append(o.taikaiEnv, kv)
	}
	o.redisArgs = strings.Fields(redisArgs)
	switch {
	case o.rounds < 1:
		return o, errors.New("-rounds must be at least 1")
	case len(o.concs) == 0 && (len(o.systems) > 0 || o.flowUsers > 0):
		return o, errors.New("-c: no concurrency given")
	case o.events == 0 && o.duration <= 0:
		return o, errors.New("-duration must be positive (or set -events)")
	case o.flowUsers > 0 && o.flowC < 1:
		return o, errors.New("-flow-c must be at least 1")
	}
	return o, nil
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	dir := o.outDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "taikai-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			return err
		}
	}
	r := &runner{o: o, dir: dir, out: stdout, log: io.Discard}
	if o.verbose {
		r.log = stderr
	}
	r.logf("building taikai and the echo baseline in %s", dir)
	if r.taikaiBin, r.echoBin, err = build(ctx, root, dir); err != nil {
		return err
	}
	if err := r.startHarness(); err != nil {
		return err
	}
	defer r.close()
	if err := r.chooseRedis(); err != nil {
		return err
	}

	fmt.Fprintf(stdout, "taikai bench: %s, %s, %d CPUs (shared with the load generator, the fake API and Redis), %s\n",
		revision(ctx, root), runtime.Version(), runtime.NumCPU(), r.redisInfo)
	window := fmt.Sprintf("%v per run", o.duration)
	if o.events > 0 {
		window = fmt.Sprintf("%d events per run", o.events)
	}
	if len(o.systems) > 0 {
		fmt.Fprintf(stdout, "load: one text (%q) per webhook, each from a new user; %s after a %v warm-up; %d round(s); echo logging %v\n\n",
			o.text, window, o.warmup, o.rounds, o.echoLog)
	}

	var results []result
	if len(o.systems) > 0 {
		fmt.Fprintln(stdout, "columns: events = replies counted at the fake API after the backlog drained; events/s = those over the time to the last; p50/p99 = webhook answer;")
		fmt.Fprintln(stdout, "  µs/ev = CPU (user+system, /proc) per event; cmds/ev = Redis commands per event (INFO commandstats, script internals included);")
		fmt.Fprintln(stdout, "  HELLO, conns = new Redis connections; RSS = the bot's peak (VmHWM); B/user, keys/user = Redis used_memory and keys added per user;")
		fmt.Fprintln(stdout, "  API conns = new connections to the fake Messaging API; drain = last reply after the last webhook answer;")
		fmt.Fprintln(stdout, "  others = the machine's CPU used by other processes (a few % is the kernel's network work for us; more: the machine was shared)")
		fmt.Fprintln(stdout)
		printHeader(stdout)
	}
	for round := 1; round <= o.rounds; round++ {
		for _, c := range o.concs {
			systems := o.systems
			if round%2 == 0 {
				// Alternate who goes first, so a drift in the machine's
				// load does not favour one.
				systems = reversed(systems)
			}
			for _, sys := range systems {
				if err := ctx.Err(); err != nil {
					return err
				}
				res, err := r.throughput(ctx, sys, c, round, false)
				if err != nil {
					return fmt.Errorf("round %d, %s, c=%d: %w", round, sys, c, err)
				}
				printRun(stdout, res)
				results = append(results, res)
			}
		}
	}
	if len(results) > 0 {
		printSummary(stdout, o, results)
	}

	var flows []flowResult
	if o.flowUsers > 0 {
		fmt.Fprintf(stdout, "\nwhole-flow workload: %d users, %d at once, each: 退会したい → link through the sandbox's login page and LINE's dialog → check (1 in 4 blocked by a balance, cleared, checked again) → 理解して次へ進む → reason → 退会する; 1 in 5 events redelivered, 1 in 4 users off-script twice\n",
			o.flowUsers, o.flowC)
		fr, err := r.flow(ctx, o.flowUsers, o.flowC)
		if err != nil {
			return fmt.Errorf("whole-flow workload: %w", err)
		}
		printFlow(stdout, fr)
		flows = append(flows, fr)
	}

	if o.profileDir != "" && len(o.systems) > 0 {
		c := slicesMax(o.concs)
		fmt.Fprintf(stdout, "\nprofiles (an extra run per system at c=%d, not in the figures above):\n", c)
		for _, sys := range o.systems {
			res, err := r.throughput(ctx, sys, c, 0, true)
			if err != nil {
				return fmt.Errorf("profile run %s: %w", sys, err)
			}
			printRun(stdout, res)
			for _, p := range res.profiles {
				fmt.Fprintf(stdout, "  %s\n", p)
			}
			results = append(results, res)
			if sys == "taikai" && len(res.profiles) == 2 {
				printTop(ctx, stdout, res.profiles[0], res.profiles[1])
			}
		}
	}

	var problems []string
	for _, res := range results {
		for _, p := range res.problems {
			problems = append(problems, fmt.Sprintf("%s: %s", res.label(), p))
		}
	}
	for _, fr := range flows {
		for _, p := range fr.problems {
			problems = append(problems, "whole flow: "+p)
		}
	}
	if len(problems) > 0 {
		fmt.Fprintln(stdout, "\nSANITY CHECKS FAILED:")
		for _, p := range problems {
			fmt.Fprintln(stdout, "  "+p)
		}
		return errSanity
	}
	fmt.Fprintln(stdout, "\nsanity: every event got exactly one reply; every webhook was answered 200; the fake API refused nothing")
	return nil
}

// revision names the commit measured, if git can tell.
func revision(ctx context.Context, root string) string {
	cmd := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "commit unknown"
	}
	return "commit " + strings.TrimSpace(string(out))
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func slicesMax(s []int) int {
	m := s[0]
	for _, v := range s {
		m = max(m, v)
	}
	return m
}

// printTop prints the top of a CPU profile (by own time and by time
// including callees) and of a heap profile (bytes allocated), with go tool
// pprof, if the go command is at hand.
func printTop(ctx context.Context, w io.Writer, cpu, heap string) {
	for _, v := range []struct {
		path string
		args []string
	}{
		{cpu, []string{"-top", "-nodecount=25"}},
		{cpu, []string{"-top", "-cum", "-nodecount=40"}},
		{heap, []string{"-top", "-sample_index=alloc_space", "-nodecount=20"}},
	} {
		args := append(append([]string{"tool", "pprof"}, v.args...), v.path)
		out, err := exec.CommandContext(ctx, "go", args...).Output()
		if err != nil {
			fmt.Fprintf(w, "  (go tool pprof: %v)\n", err)
			return
		}
		fmt.Fprintf(w, "\n  go tool pprof %s %s\n", strings.Join(v.args, " "), filepath.Base(v.path))
		for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
			if strings.HasPrefix(l, "Build ID") || strings.HasPrefix(l, "File:") {
				continue
			}
			fmt.Fprintln(w, "  "+l)
		}
	}
}
