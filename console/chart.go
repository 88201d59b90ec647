package console

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Charts are SVG written on the server, sized by a viewBox so that they
// scale with the page. Each carries a <title> and a <desc> that says what
// it shows in words, and the page puts the same numbers in a table beside
// it, so nothing is known only from a colour or a line.

// palette is every colour the console uses; TestColoursContrast checks the
// pairs the pages put together against WCAG 2.2's minimum contrast (4.5:1
// for text, 3:1 for lines and marks).
var palette = struct {
	Text, Muted, Background, Surface, Border, Header, HeaderText, Accent, AccentText, Secondary, Link, Danger, Focus, Notice,
	NoticeText, Demo, DemoText, Grid, TableHead, ErrorBg, Said, Biggest string
	// Series are the lines and bars of charts, told apart also by dashes
	// and by order (legend and tables).
	Series []string
}{
	Text: "#1f2328", Muted: "#57606a", Background: "#f6f7f9", Surface: "#ffffff", Border: "#d0d7de",
	Header: "#0b5d3b", HeaderText: "#ffffff", Accent: "#08703f", AccentText: "#ffffff", Secondary: "#4a4f57", Link: "#0a58ca",
	Danger: "#b42318", Focus: "#1a5fb4", Notice: "#e8f5ec", NoticeText: "#1f2328", Demo: "#fff4ce", DemoText: "#3d2e00",
	Grid: "#e6e9ed", TableHead: "#eef0f3", ErrorBg: "#fdecea", Said: "#f3f6f9", Biggest: "#fff1f0",
	Series: []string{"#0b6bcb", "#c2410c", "#047857", "#7e22ce", "#a16207", "#be185d"},
}

// dashes tell series apart without colour.
var dashes = []string{"", "6 3", "2 3", "8 3 2 3", "1 2", "10 4"}

// series is one line (or one layer of bars) of a chart.
type series struct {
	Name string
	// Code names the series for tests and scripts (data-total).
	Code   string
	Values []int64
}

// chart is a chart's data: X labels, and one or more series over them.
type chart struct {
	Title, Desc string
	X           []string
	Series      []series
}

func (c chart) max(stacked bool) int64 {
	var m int64
	for i := range c.X {
		var sum int64
		for _, s := range c.Series {
			if stacked {
				sum += s.Values[i]
			} else {
				m = max(m, s.Values[i])
			}
		}
		m = max(m, sum)
	}
	return m
}

// niceMax rounds m up to 1, 2 or 5 times a power of ten, for the Y axis.
func niceMax(m int64) int64 {
	if m <= 0 {
		return 1
	}
	p := int64(math.Pow(10, math.Floor(math.Log10(float64(m)))))
	for _, f := range []int64{1, 2, 5, 10} {
		if f*p >= m {
			return f * p
		}
	}
	return 10 * p
}

const (
	chartW, chartH         = 640, 220
	padL, padR, padT, padB = 44, 12, 10, 28
	plotW, plotH           = chartW - padL - padR, chartH - padT - padB
	labelEvery             = 8 // at most this many X labels
	chartFont              = `font-family="system-ui,sans-serif" font-size="11"`
)

func (c chart) open(b *strings.Builder, id string) {
	fmt.Fprintf(b, `<svg viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t %s-d" class="chart" xmlns="http://www.w3.org/2000/svg">`, chartW, chartH, id, id)
	fmt.Fprintf(b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, html.EscapeString(c.Title), id, html.EscapeString(c.Desc))
}

// ticks is how many steps the Y axis of top has: whole numbers each.
func ticks(top int64) int64 {
	for _, n := range []int64{5, 4, 2} {
		if top%n == 0 && top >= n {
			return n
		}
	}
	return 1
}

// axes draws the Y grid with its values and the X labels; x gives a
// label's centre.
func (c chart) axes(b *strings.Builder, top int64, x func(i int) float64) {
	n := ticks(top)
	for i := int64(0); i <= n; i++ {
		v := top * i / n
		y := float64(padT+plotH) - float64(plotH)*float64(i)/float64(n)
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s"/>`, padL, chartW-padR, y, y, palette.Grid)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" fill="%s" %s>%d</text>`, padL-6, y+4, palette.Muted, chartFont, v)
	}
	step := max(1, (len(c.X)+labelEvery-1)/labelEvery)
	for i := 0; i < len(c.X); i += step {
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle" fill="%s" %s>%s</text>`, x(i), chartH-8, palette.Muted, chartFont, html.EscapeString(c.X[i]))
	}
}

// Lines draws c as lines, one per series.
func (c chart) Lines(id string) template.HTML {
	var b strings.Builder
	c.open(&b, id)
	top := niceMax(c.max(false))
	n := len(c.X)
	x := func(i int) float64 {
		if n == 1 {
			return padL + plotW/2
		}
		return padL + float64(plotW)*float64(i)/float64(n-1)
	}
	y := func(v int64) float64 { return float64(padT+plotH) - float64(plotH)*float64(v)/float64(top) }
	c.axes(&b, top, x)
	for si, s := range c.Series {
		col, dash := palette.Series[si%len(palette.Series)], dashes[si%len(dashes)]
		var pts []string
		for i, v := range s.Values {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" stroke-dasharray="%s" points="%s"><title>%s</title></polyline>`,
			col, dash, strings.Join(pts, " "), html.EscapeString(s.Name))
		if n <= 31 {
			for i, v := range s.Values {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s %s: %d</title></circle>`, x(i), y(v), col,
					html.EscapeString(c.X[i]), html.EscapeString(s.Name), v)
			}
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// Bars draws c as stacked bars, one column per X label.
func (c chart) Bars(id string) template.HTML {
	var b strings.Builder
	c.open(&b, id)
	top := niceMax(c.max(true))
	n := len(c.X)
	w := float64(plotW) / float64(max(n, 1))
	x := func(i int) float64 { return padL + w*float64(i) + w/2 }
	c.axes(&b, top, x)
	for i := range c.X {
		var base int64
		for si, s := range c.Series {
			v := s.Values[i]
			if v == 0 {
				continue
			}
			h := float64(plotH) * float64(v) / float64(top)
			yTop := float64(padT+plotH) - float64(plotH)*float64(base+v)/float64(top)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" stroke="%s" stroke-width="0.5"><title>%s %s: %d</title></rect>`,
				x(i)-w*0.35, yTop, w*0.7, h, palette.Series[si%len(palette.Series)], palette.Surface,
				html.EscapeString(c.X[i]), html.EscapeString(s.Name), v)
			base += v
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// Legend is a line chart's key: each series' name beside its colour and
// dash.
func (c chart) Legend() template.HTML {
	var b strings.Builder
	b.WriteString(`<ul class="legend">`)
	for si, s := range c.Series {
		fmt.Fprintf(&b, `<li><svg width="28" height="10" aria-hidden="true"><line x1="1" x2="27" y1="5" y2="5" stroke="%s" stroke-width="3" stroke-dasharray="%s"/></svg>%s</li>`,
			palette.Series[si%len(palette.Series)], dashes[si%len(dashes)], html.EscapeString(s.Name))
	}
	b.WriteString(`</ul>`)
	return template.HTML(b.String())
}

// Key is a bar chart's key: each series' name beside its colour, in the
// order the bars stack from the bottom.
func (c chart) Key() template.HTML {
	var b strings.Builder
	b.WriteString(`<ul class="legend">`)
	for si, s := range c.Series {
		fmt.Fprintf(&b, `<li><svg width="14" height="14" aria-hidden="true"><rect x="1" y="1" width="12" height="12" fill="%s"/></svg>%s</li>`,
			palette.Series[si%len(palette.Series)], html.EscapeString(s.Name))
	}
	b.WriteString(`</ul>`)
	return template.HTML(b.String())
}

// bar is a horizontal bar for a table cell: decoration, the numbers are in
// the cells beside it.
func bar(v, of int64, colour string) template.HTML {
	w := 0.0
	if of > 0 {
		w = 200 * float64(v) / float64(of)
	}
	return template.HTML(fmt.Sprintf(`<svg width="204" height="14" aria-hidden="true" class="bar"><rect x="0" y="1" width="%.1f" height="12" fill="%s"/></svg>`, w, colour))
}

// contrast is the WCAG 2.2 contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	v, _ := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	ch := func(x uint64) float64 {
		c := float64(x) / 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(v>>16&0xff) + 0.7152*ch(v>>8&0xff) + 0.0722*ch(v&0xff)
}
