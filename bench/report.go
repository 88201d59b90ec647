package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func printHeader(w io.Writer) {
	fmt.Fprintf(w, "%-20s %7s %8s %7s %7s %9s %11s %8s %6s %6s %7s %7s %9s %9s %8s %7s\n",
		"run", "events", "events/s", "p50 ms", "p99 ms", "bot µs/ev", "redis µs/ev", "cmds/ev", "HELLO", "conns", "RSS MB", "B/user", "keys/user", "API conns", "drain ms", "others")
}

func printRun(w io.Writer, r result) {
	redisCPU, cmds, hello, conns, bpu, kpu := "-", "-", "-", "-", "-", "-"
	if d := r.redis; d != nil {
		if d.cpuOK {
			redisCPU = fmt.Sprintf("%.0f", us(perEvent(d.cpu, r.events)))
		}
		cmds = fmt.Sprintf("%.1f", float64(d.calls)/float64(max(r.events, 1)))
		hello = fmt.Sprint(d.hello)
		conns = fmt.Sprint(d.conns)
		bpu = fmt.Sprintf("%.0f", float64(d.mem)/float64(max(r.users, 1)))
		kpu = fmt.Sprintf("%.1f", float64(d.keys)/float64(max(r.users, 1)))
	}
	fmt.Fprintf(w, "%-20s %7d %8.0f %7.1f %7.1f %9.0f %11s %8s %6s %6s %7.1f %7s %9s %9d %8.0f %6.0f%%\n",
		r.label(), r.events, r.eps, ms(r.load.quantile(0.50)), ms(r.load.quantile(0.99)), us(perEvent(r.botCPU, r.events)),
		redisCPU, cmds, hello, conns, float64(r.rss)/(1<<20), bpu, kpu, r.line.conns, ms(r.drained), 100*r.others)
	for _, p := range r.problems {
		fmt.Fprintf(w, "  ! %s\n", p)
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// metric is one row of the summary: how to read it from a run.
type metric struct {
	name   string
	format string
	get    func(r result) (float64, bool)
}

var summaryMetrics = []metric{
	{"completed events/s", "%.0f", func(r result) (float64, bool) { return r.eps, true }},
	{"webhook answer p50 (ms)", "%.1f", func(r result) (float64, bool) { return ms(r.load.quantile(0.5)), true }},
	{"webhook answer p99 (ms)", "%.1f", func(r result) (float64, bool) { return ms(r.load.quantile(0.99)), true }},
	{"bot CPU per event (µs)", "%.0f", func(r result) (float64, bool) { return us(perEvent(r.botCPU, r.events)), true }},
	{"Redis CPU per event (µs)", "%.0f", func(r result) (float64, bool) {
		if r.redis == nil || !r.redis.cpuOK {
			return 0, false
		}
		return us(perEvent(r.redis.cpu, r.events)), true
	}},
	{"Redis commands per event", "%.1f", func(r result) (float64, bool) {
		if r.redis == nil {
			return 0, false
		}
		return float64(r.redis.calls) / float64(max(r.events, 1)), true
	}},
	{"new Redis connections (HELLO)", "%.0f", func(r result) (float64, bool) {
		if r.redis == nil {
			return 0, false
		}
		return float64(r.redis.hello), true
	}},
	{"bot peak RSS (MB)", "%.1f", func(r result) (float64, bool) { return float64(r.rss) / (1 << 20), true }},
	{"Redis bytes per user", "%.0f", func(r result) (float64, bool) {
		if r.redis == nil {
			return 0, false
		}
		return float64(r.redis.mem) / float64(max(r.users, 1)), true
	}},
	{"  less connection buffers", "%.0f", func(r result) (float64, bool) {
		if r.redis == nil {
			return 0, false
		}
		return float64(r.redis.dataMem) / float64(max(r.users, 1)), true
	}},
	{"Redis keys per user", "%.1f", func(r result) (float64, bool) {
		if r.redis == nil {
			return 0, false
		}
		return float64(r.redis.keys) / float64(max(r.users, 1)), true
	}},
	{"harness CPU per event (µs)", "%.0f", func(r result) (float64, bool) { return us(perEvent(r.self, r.events)), true }},
	{"machine used by others (%)", "%.0f", func(r result) (float64, bool) { return 100 * r.others, true }},
}

func printSummary(w io.Writer, o options, results []result) {
	for _, c := range o.concs {
		by := map[string][]result{}
		for _, r := range results {
			if r.c == c && r.round > 0 {
				by[r.system] = append(by[r.system], r)
			}
		}
		fmt.Fprintf(w, "\nc=%d, median of %d round(s)", c, o.rounds)
		fmt.Fprintf(w, "\n%-32s", "")
		for _, s := range o.systems {
			fmt.Fprintf(w, " %10s", s)
		}
		fmt.Fprintln(w)
		for _, m := range summaryMetrics {
			fmt.Fprintf(w, "%-32s", m.name)
			for _, s := range o.systems {
				var xs []float64
				for _, r := range by[s] {
					if v, ok := m.get(r); ok {
						xs = append(xs, v)
					}
				}
				if len(xs) == 0 {
					fmt.Fprintf(w, " %10s", "-")
					continue
				}
				fmt.Fprintf(w, " %10s", fmt.Sprintf(m.format, median(xs)))
			}
			fmt.Fprintln(w)
		}
		echo, taikai := by["echo"], by["taikai"]
		if len(echo) > 0 && len(taikai) > 0 {
			var ratios []string
			var rs []float64
			for i := range min(len(echo), len(taikai)) {
				x := taikai[i].eps / echo[i].eps
				rs = append(rs, x)
				ratios = append(ratios, fmt.Sprintf("%.2f×", x))
			}
			fmt.Fprintf(w, "%-32s %s (per round: %s)\n", "taikai / echo, events/s", fmt.Sprintf("%.2f×", median(rs)), strings.Join(ratios, " "))
		}
		if len(taikai) > 0 && taikai[0].redis != nil {
			printBreakdown(w, taikai)
		}
		for _, r := range taikai {
			if r.census != nil {
				fmt.Fprintf(w, "taikai's Redis keys after round %d (warm-up and measured users: %d):\n", r.round, r.allUsers)
				printCensus(w, r.census, r.allUsers)
			}
		}
	}
}

// printBreakdown lists Redis commands per event over all of a system's
// runs, most called first.
func printBreakdown(w io.Writer, runs []result) {
	total := redisDelta{cmds: map[string]cmdStat{}}
	var events int64
	for _, r := range runs {
		events += r.events
		for n, cs := range r.redis.cmds {
			t := total.cmds[n]
			total.cmds[n] = cmdStat{t.calls + cs.calls, t.usec + cs.usec}
			total.calls += cs.calls
		}
	}
	if events == 0 {
		return
	}
	fmt.Fprintf(w, "taikai's Redis commands per event, and µs inside them (over %d events; as Redis counts: a script's own calls are listed too, and its time includes theirs):\n  ", events)
	var parts, rare []string
	for _, n := range total.byCalls() {
		cs := total.cmds[n]
		if per := float64(cs.calls) / float64(events); per < 0.01 {
			rare = append(rare, strings.ToUpper(n))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.2f (%.1f µs),", strings.ToUpper(n), float64(cs.calls)/float64(events), float64(cs.usec)/float64(events)))
	}
	if len(rare) > 0 {
		parts = append(parts, fmt.Sprintf("and under 0.01 each: %s", strings.Join(rare, " ")))
	}
	fmt.Fprintln(w, strings.TrimSuffix(wrap(parts, 100, "  "), ","))
}

// wrap joins parts with spaces into lines of about width characters.
func wrap(parts []string, width int, indent string) string {
	var b strings.Builder
	n := 0
	for i, p := range parts {
		if i > 0 {
			if n+1+len([]rune(p)) > width {
				b.WriteString("\n" + indent)
				n = 0
			} else {
				b.WriteByte(' ')
				n++
			}
		}
		b.WriteString(p)
		n += len([]rune(p))
	}
	return b.String()
}

// printCensus lists keys by pattern: how many per user, and their memory
// per user (MEMORY USAGE, sampled).
func printCensus(w io.Writer, groups []keyGroup, users int64) {
	var keys, bytes int64
	for _, g := range groups {
		keys += g.keys
		bytes += g.bytes
	}
	fmt.Fprintf(w, "  %-44s %9s %9s %10s\n", "key", "keys", "per user", "B/user")
	for i, g := range groups {
		if i == 12 {
			fmt.Fprintf(w, "  … %d more patterns\n", len(groups)-12)
			break
		}
		fmt.Fprintf(w, "  %-44s %9d %9.2f %10.0f\n", g.pattern, g.keys, float64(g.keys)/float64(max(users, 1)), float64(g.bytes)/float64(max(users, 1)))
	}
	fmt.Fprintf(w, "  %-44s %9d %9.2f %10.0f  (MEMORY USAGE, sampled; used_memory also counts allocator and dict overhead)\n",
		"all", keys, float64(keys)/float64(max(users, 1)), float64(bytes)/float64(max(users, 1)))
}
