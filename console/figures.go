package console

import (
	"strconv"
	"strings"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/flows"
)

// figures are the overview's numbers, computed from the daily counters of
// a period: O(days × kinds), whatever the number of conversations.
type figures struct {
	Days []Day
	Sum  Counts
	// Funnel: conversations started in the period, per stage reached.
	Funnel []stage
	// Trend: per day, started, filed, blocked (conversations), cancelled,
	// handed off.
	Trend chart
	// Reasons: reasons given per day (per week over 31 days).
	Reasons chart
	// Clearance per blocker kind, the last row any kind.
	Clearance []clearance
	// StartToFiled: the filings of the period and the median's bucket.
	Filings   int64
	S2FMedian int // a bucket of durationEdges; -1 when there were none
	Outcomes  []named
	Found     []named
}

type stage struct {
	Event             flows.Transition
	Count             int64
	FromPrev, FromTop float64 // percent; -1 when the stage before had none
	Drop              int64
	Biggest           bool
}

type named struct {
	Code  string
	Label string
	Count int64
}

// within are the windows of the clearance table, in days.
var within = []int{7, 14, 30}

type clearance struct {
	Kind    string // a taikai.BlockerKind, or "any"
	Blocked int64
	// Rates are, per window, how many of those blocked at least that many
	// days ago filed within it, of how many.
	Rates   []rate
	Cleared int64
	// Median is the median's whole days to clear; -1 when none cleared.
	Median int
}

type rate struct {
	Days      int
	Filed, Of int64
}

// Percent is the rate in percent; -1 when nobody counts yet.
func (r rate) Percent() float64 {
	if r.Of == 0 {
		return -1
	}
	return 100 * float64(r.Filed) / float64(r.Of)
}

func compute(ds []Day, today time.Time, l flows.Labels, w *words) figures {
	f := figures{Days: ds, Sum: Counts{}, S2FMedian: -1}
	for _, d := range ds {
		f.Sum.Add(d.Counts)
	}
	// The funnel; the biggest drop is the lowest share going on.
	lowest := -1
	for i, e := range stages {
		s := stage{Event: e, Count: f.Sum.Get("stage", string(e)), FromPrev: -1, FromTop: -1}
		if i > 0 {
			prev := f.Funnel[i-1].Count
			if prev > 0 {
				s.FromPrev = 100 * float64(s.Count) / float64(prev)
				s.Drop = prev - s.Count
				if lowest < 0 || s.FromPrev < f.Funnel[lowest].FromPrev {
					lowest = i
				}
			}
			if top := f.Funnel[0].Count; top > 0 {
				s.FromTop = 100 * float64(s.Count) / float64(top)
			}
		}
		f.Funnel = append(f.Funnel, s)
	}
	if lowest > 0 && f.Funnel[lowest].Drop > 0 {
		f.Funnel[lowest].Biggest = true
	}

	// Trends per day.
	f.Trend = chart{Title: w.TrendsCaption}
	per := []struct {
		name, field string
	}{{w.Started, "funnel:started"}, {w.Filed, "funnel:filed"}, {w.BlockedConv, "conv:blocked"},
		{w.Cancelled, "funnel:cancelled"}, {w.HandedOff, "funnel:handed_off"}}
	codeOf := func(field string) string { _, c, _ := strings.Cut(field, ":"); return c }
	for _, d := range ds {
		f.Trend.X = append(f.Trend.X, shortDate(d.Date))
	}
	for _, p := range per {
		s := series{Name: p.name, Code: codeOf(p.field)}
		for _, d := range ds {
			s.Values = append(s.Values, d.Counts[p.field])
		}
		f.Trend.Series = append(f.Trend.Series, s)
	}

	// Reasons per day, or per week (ending today) over 31 days.
	group := 1
	if len(ds) > 31 {
		group = 7
	}
	var cols [][]Day
	for end := len(ds); end > 0; end -= group {
		cols = append([][]Day{ds[max(0, end-group):end]}, cols...)
	}
	f.Reasons = chart{}
	for _, c := range cols {
		label := shortDate(c[0].Date)
		if group > 1 {
			label = shortDate(c[0].Date) + "–"
		}
		f.Reasons.X = append(f.Reasons.X, label)
	}
	for _, r := range taikai.Reasons {
		s := series{Name: l.Reason(r), Code: string(r)}
		for _, c := range cols {
			var n int64
			for _, d := range c {
				n += d.Counts.Get("reason", string(r))
			}
			s.Values = append(s.Values, n)
		}
		f.Reasons.Series = append(f.Reasons.Series, s)
	}

	// Clearance: cohorts by the day of the first block.
	kinds := []string{}
	for _, k := range taikai.BlockerKinds {
		kinds = append(kinds, string(k))
	}
	kinds = append(kinds, "any")
	todayDate := day(today)
	for _, k := range kinds {
		c := clearance{Kind: k, Median: -1}
		var clr [91]int64
		for _, w := range within {
			c.Rates = append(c.Rates, rate{Days: w})
		}
		for _, d := range ds {
			n := d.Counts.Get("ublk", k)
			c.Blocked += n
			age := daysBetween(d.Date, todayDate)
			var fil [91]int64
			for b := 0; b <= 90; b++ {
				fil[b] = d.Counts[("fil:" + k + ":" + strconv.Itoa(b))]
				clr[b] += d.Counts[("clr:" + k + ":" + strconv.Itoa(b))]
			}
			for i, w := range within {
				if age < w {
					continue
				}
				c.Rates[i].Of += n
				for b := 0; b < w; b++ {
					c.Rates[i].Filed += fil[b]
				}
			}
		}
		for _, n := range clr {
			c.Cleared += n
		}
		c.Median = medianBucket(clr[:])
		f.Clearance = append(f.Clearance, c)
	}

	// Start to filing.
	hist := make([]int64, len(durationEdges)+1)
	for i := range hist {
		hist[i] = f.Sum.Get("s2f", strconv.Itoa(i))
		f.Filings += hist[i]
	}
	f.S2FMedian = medianBucket(hist)

	for _, o := range taikai.Outcomes {
		f.Outcomes = append(f.Outcomes, named{string(o), l.Outcome(o), f.Sum.Get("filing", string(o))})
	}
	for _, k := range taikai.BlockerKinds {
		f.Found = append(f.Found, named{string(k), l.Blocker(k), f.Sum.Get("blocker", string(k))})
	}
	return f
}

// medianBucket is the bucket that holds the median of a histogram; -1 for
// an empty one.
func medianBucket(h []int64) int {
	var total int64
	for _, n := range h {
		total += n
	}
	if total == 0 {
		return -1
	}
	var cum int64
	for i, n := range h {
		cum += n
		if 2*cum >= total {
			return i
		}
	}
	return len(h) - 1
}

// daysBetween is the whole days from date a to date b (YYYY-MM-DD).
func daysBetween(a, b string) int {
	ta, _ := time.Parse("2006-01-02", a)
	tb, _ := time.Parse("2006-01-02", b)
	return int(tb.Sub(ta).Hours() / 24)
}

// shortDate writes 2026-11-26 as 11/26.
func shortDate(d string) string {
	if len(d) != 10 {
		return d
	}
	m, _ := strconv.Atoi(d[5:7])
	dd, _ := strconv.Atoi(d[8:10])
	return strconv.Itoa(m) + "/" + strconv.Itoa(dd)
}
