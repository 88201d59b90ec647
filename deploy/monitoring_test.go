package deploy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	"sigs.k8s.io/yaml"
)

// selector is one metric in a PromQL expression, with its label matchers.
type selector struct {
	name     string
	matchers []matcher
}

type matcher struct{ label, op, value string }

var (
	ident     = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*`)
	matcherRe = regexp.MustCompile(`^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?`)
	grouping  = regexp.MustCompile(`\b(?:by|without|on|ignoring)\s*\(([^)]*)\)`)
)

// selectors finds the metric selectors of a PromQL expression: the names
// that look like metrics (taikai_*, process_*, go_*, up) and their {…}.
// promtool (in CI) checks the syntax; this checks the names against the code.
func selectors(expr string) ([]selector, error) {
	var out []selector
	for i := 0; i < len(expr); {
		r := rune(expr[i])
		switch {
		case r == '"':
			j := strings.IndexByte(expr[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("unterminated string in %q", expr)
			}
			i += j + 2
		case r == '[': // a range or subquery: [5m], [$__rate_interval], [10m:1m]
			j := strings.IndexByte(expr[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unterminated [ in %q", expr)
			}
			i += j + 1
		case r == '{' && i > 0 && expr[i-1] == '{': // a Grafana legend {{…}}: not here
			i++
		case unicode.IsLetter(r) || r == '_':
			name := ident.FindString(expr[i:])
			prev := byte(' ')
			if i > 0 {
				prev = expr[i-1]
			}
			i += len(name)
			if prev == '$' || prev == '.' || !metricLike(name) {
				continue
			}
			s := selector{name: name}
			rest := strings.TrimLeft(expr[i:], " ")
			if strings.HasPrefix(rest, "{") {
				i += len(expr[i:]) - len(rest) + 1
				for {
					if strings.HasPrefix(strings.TrimLeft(expr[i:], " "), "}") {
						i += strings.IndexByte(expr[i:], '}') + 1
						break
					}
					m := matcherRe.FindStringSubmatch(expr[i:])
					if m == nil {
						return nil, fmt.Errorf("cannot read the matchers of %s in %q", name, expr)
					}
					s.matchers = append(s.matchers, matcher{m[1], m[2], m[3]})
					i += len(m[0])
				}
			}
			out = append(out, s)
		default:
			i++
		}
	}
	return out, nil
}

func metricLike(name string) bool {
	return name == "up" || strings.HasPrefix(name, "taikai_") || strings.HasPrefix(name, "process_") || strings.HasPrefix(name, "go_")
}

var numeric = regexp.MustCompile(`^[0-9]+$`)

// checkExpr returns what is wrong with expr's metric names, labels and label
// values, against the code.
func (c *code) checkExpr(expr string) []string {
	sels, err := selectors(expr)
	if err != nil {
		return []string{err.Error()}
	}
	if len(sels) == 0 {
		return []string{fmt.Sprintf("no metric in %q", expr)}
	}
	var problems []string
	// Target labels that Prometheus adds to every series it scrapes.
	exprLabels := map[string]bool{"job": true, "instance": true}
	for _, s := range sels {
		labels := map[string]bool{"job": true, "instance": true}
		var own map[string]bool // the labels the code gives it
		switch {
		case s.name == "up":
		case strings.HasPrefix(s.name, "process_"):
			if !c.collectors["NewProcessCollector"] {
				problems = append(problems, fmt.Sprintf("%s: the code registers no process collector", s.name))
			}
		case strings.HasPrefix(s.name, "go_"):
			if !c.collectors["NewGoCollector"] {
				problems = append(problems, fmt.Sprintf("%s: the code registers no Go collector", s.name))
			}
		default:
			m, suffix := c.resolve(s.name)
			if m == nil {
				problems = append(problems, fmt.Sprintf("%s: no such metric in the code", s.name))
				continue
			}
			own = m.labels
			for l := range m.labels {
				labels[l] = true
			}
			if suffix == "_bucket" {
				labels["le"] = true
			}
		}
		for l := range labels {
			exprLabels[l] = true
		}
		for _, m := range s.matchers {
			if !labels[m.label] {
				problems = append(problems, fmt.Sprintf("%s has no label %q", s.name, m.label))
			}
			// A value the code sets is a literal in it, or a number
			// (HTTP statuses are formatted).
			if own[m.label] && m.op == "=" && m.value != "" && !numeric.MatchString(m.value) && !c.strings[m.value] {
				problems = append(problems, fmt.Sprintf("%s{%s=%q}: the code never uses the value %q", s.name, m.label, m.value, m.value))
			}
		}
	}
	for _, g := range grouping.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(g[1], ",") {
			if l = strings.TrimSpace(l); l != "" && !exprLabels[l] {
				problems = append(problems, fmt.Sprintf("grouping by %q: no metric in %q has that label", l, expr))
			}
		}
	}
	return problems
}

// resolve finds a metric by its exposed name: histograms are exposed as
// _bucket, _sum and _count series.
func (c *code) resolve(name string) (*metric, string) {
	if m := c.metrics[name]; m != nil {
		return m, ""
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if m := c.metrics[strings.TrimSuffix(name, suffix)]; m != nil && m.histogram && strings.HasSuffix(name, suffix) {
			return m, suffix
		}
	}
	return nil, ""
}

// TestSelectors checks the small PromQL reader itself, including that it
// finds what is wrong.
func TestSelectors(t *testing.T) {
	c := &code{
		metrics:    map[string]*metric{"taikai_a_total": {labels: map[string]bool{"outcome": true}}, "taikai_h_seconds": {labels: map[string]bool{"api": true}, histogram: true}},
		strings:    map[string]bool{"ok": true},
		collectors: map[string]bool{"NewProcessCollector": true},
	}
	for _, tc := range []struct {
		expr string
		bad  int
	}{
		{`sum by (outcome) (rate(taikai_a_total{outcome="ok"}[5m])) / sum(rate(taikai_a_total[5m]))`, 0},
		{`histogram_quantile(0.99, sum by (api, le) (rate(taikai_h_seconds_bucket{api=~"l.*"}[$__rate_interval])))`, 0},
		{`changes(process_start_time_seconds{job="taikai"}[15m]) > 2 and on() up == 0`, 0},
		{`rate(taikai_b_total[5m])`, 1},                                   // unknown metric
		{`rate(taikai_a_total{kind="x"}[5m])`, 1},                         // unknown label
		{`rate(taikai_a_total{outcome="nope"}[5m])`, 1},                   // a value the code never uses
		{`sum by (status) (rate(taikai_a_total[5m]))`, 1},                 // grouping by a missing label
		{`taikai_a_total_bucket`, 1},                                      // not a histogram
		{`go_goroutines`, 1},                                              // no Go collector
		{`sum(rate(taikai_h_seconds_count[5m])) > 0`, 0},                  // histogram count
		{`rate(taikai_a_total{outcome="ok", job="x"}[1h:5m])`, 0},         // subquery, target label
		{`vector(1)`, 1},                                                  // no metric at all
		{`max by (state) (taikai_a_total{outcome="ok",outcome!="x"})`, 1}, // state: missing label
	} {
		if got := c.checkExpr(tc.expr); len(got) != tc.bad {
			t.Errorf("checkExpr(%q) = %q, want %d problems", tc.expr, got, tc.bad)
		}
	}
}

// anchors are the GitHub anchors of docs/operating.md's headings.
func anchors(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, l := range strings.Split(string(read(t, "docs/operating.md")), "\n") {
		if !strings.HasPrefix(l, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(l, "#")))
		var b strings.Builder
		for _, r := range h {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		out[b.String()] = true
	}
	return out
}

const runbookPrefix = "https://github.com/taikaibot/taikai/blob/main/docs/operating.md#"

// TestAlerts checks every alerting rule: its expression names metrics,
// labels and values the code has, it has a severity, a summary and a
// runbook entry that exists.
func TestAlerts(t *testing.T) {
	c := scanCode(t)
	var doc struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert       string            `json:"alert"`
				Expr        string            `json:"expr"`
				For         string            `json:"for"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.UnmarshalStrict(read(t, "deploy/prometheus/alerts.yaml"), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Groups) != 1 {
		t.Fatalf("want one rule group, have %d", len(doc.Groups))
	}
	rules := doc.Groups[0].Rules
	if len(rules) == 0 {
		t.Fatal("no rules in alerts.yaml")
	}
	heads := anchors(t)
	seen := map[string]bool{}
	for _, r := range rules {
		if r.Alert == "" || seen[r.Alert] {
			t.Errorf("rule %q: every rule is an alert with a name of its own", r.Alert)
		}
		seen[r.Alert] = true
		for _, p := range c.checkExpr(r.Expr) {
			t.Errorf("%s: %s", r.Alert, p)
		}
		if s := r.Labels["severity"]; s != "critical" && s != "warning" {
			t.Errorf("%s: severity %q, want critical or warning", r.Alert, s)
		}
		if r.Annotations["summary"] == "" {
			t.Errorf("%s: no summary", r.Alert)
		}
		u := r.Annotations["runbook_url"]
		if !strings.HasPrefix(u, runbookPrefix) || !heads[strings.TrimPrefix(u, runbookPrefix)] {
			t.Errorf("%s: runbook_url %q is not a heading of docs/operating.md", r.Alert, u)
		}
	}
	// What the issue asks alerts for, by the metric each must watch.
	watched := map[string]bool{}
	for _, r := range rules {
		sels, _ := selectors(r.Expr)
		for _, s := range sels {
			watched[s.name] = true
		}
	}
	for _, name := range []string{
		"taikai_webhook_requests_total",          // webhook 5xx/503 rate
		"taikai_queue_events",                    // queue backlog (age is not exported)
		"taikai_outbound_requests_total",         // outbound error rate by API
		"taikai_filings_total",                   // filings failing
		"taikai_redis_errors_total",              // Redis errors
		"taikai_event_processing_seconds_bucket", // event latency p99
	} {
		if !watched[name] {
			t.Errorf("no alert watches %s", name)
		}
	}
}

// TestDashboard checks the Grafana dashboard: every query names metrics,
// labels and values the code has, every metric of README's table is shown,
// panels have unique ids, use the datasource variable and do not overlap.
func TestDashboard(t *testing.T) {
	c := scanCode(t)
	var d struct {
		UID        string `json:"uid"`
		Title      string `json:"title"`
		Templating struct {
			List []struct{ Name, Type, Query string } `json:"list"`
		} `json:"templating"`
		Panels []struct {
			ID         int    `json:"id"`
			Type       string `json:"type"`
			Title      string `json:"title"`
			Datasource *struct{ Type, UID string }
			GridPos    struct{ H, W, X, Y int } `json:"gridPos"`
			Targets    []struct {
				Expr       string `json:"expr"`
				RefID      string `json:"refId"`
				Datasource *struct{ Type, UID string }
			} `json:"targets"`
		} `json:"panels"`
	}
	dec := json.NewDecoder(strings.NewReader(string(read(t, "deploy/grafana/taikai.json"))))
	if err := dec.Decode(&d); err != nil {
		t.Fatal(err)
	}
	if d.UID == "" || d.Title == "" {
		t.Error("the dashboard needs a uid and a title")
	}
	dsVar := ""
	for _, v := range d.Templating.List {
		if v.Type == "datasource" && v.Query == "prometheus" {
			dsVar = "${" + v.Name + "}"
		}
	}
	if dsVar == "" {
		t.Fatal("no Prometheus datasource variable")
	}
	shown := map[string]bool{}
	ids := map[int]bool{}
	grid := map[[2]int]string{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.X < 0 || p.GridPos.W <= 0 || p.GridPos.X+p.GridPos.W > 24 || p.GridPos.H <= 0 {
			t.Errorf("%q: gridPos %+v is outside the 24-column grid", p.Title, p.GridPos)
		}
	cells:
		for x := p.GridPos.X; x < p.GridPos.X+p.GridPos.W; x++ {
			for y := p.GridPos.Y; y < p.GridPos.Y+p.GridPos.H; y++ {
				if other, ok := grid[[2]int{x, y}]; ok {
					t.Errorf("%q overlaps %q at (%d,%d)", p.Title, other, x, y)
					break cells
				}
				grid[[2]int{x, y}] = p.Title
			}
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != dsVar || len(p.Targets) == 0 {
			t.Errorf("%q: needs datasource %s and at least one query", p.Title, dsVar)
		}
		for _, q := range p.Targets {
			for _, prob := range c.checkExpr(q.Expr) {
				t.Errorf("%q: %s", p.Title, prob)
			}
			sels, _ := selectors(q.Expr)
			for _, s := range sels {
				m, _ := c.resolve(s.name)
				for name, mm := range c.metrics {
					if mm == m {
						shown[name] = true
					}
				}
			}
		}
	}
	var missing []string
	for name := range readmeMetrics(t) {
		if !shown[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("the dashboard shows nothing of %v", missing)
	}
}

// TestPrometheusComposeConfig checks that compose's Prometheus scrapes every
// replica in compose.yaml and loads the alerts.
func TestPrometheusComposeConfig(t *testing.T) {
	cfg := readYAML(t, "deploy/prometheus/prometheus.compose.yml")
	files, _ := cfg["rule_files"].([]any)
	if len(files) != 1 || files[0] != "alerts.yaml" {
		t.Errorf("rule_files = %v, want [alerts.yaml]", files)
	}
	var targets []string
	scs, _ := cfg["scrape_configs"].([]any)
	for _, sc := range scs {
		sc := sc.(map[string]any)
		if sc["job_name"] != "taikai" {
			continue // the alerts select job="taikai"
		}
		statics, _ := sc["static_configs"].([]any)
		for _, s := range statics {
			for _, tg := range s.(map[string]any)["targets"].([]any) {
				targets = append(targets, tg.(string))
			}
		}
	}
	sort.Strings(targets)
	want := composeReplicaTargets(t)
	if strings.Join(targets, " ") != strings.Join(want, " ") {
		t.Errorf("job taikai scrapes %v, want the replicas of compose.yaml: %v", targets, want)
	}
}
