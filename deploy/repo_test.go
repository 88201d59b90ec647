package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// root is the repository, seen from this package's directory.
const root = ".."

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readYAML decodes a YAML file into a generic value (maps, slices, strings,
// float64, bool), the way JSON would.
func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := yaml.Unmarshal(read(t, path), &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// metric is a metric the code defines.
type metric struct {
	labels    map[string]bool
	histogram bool
}

// code is what the tests need to know of the module's (non-test) source.
type code struct {
	metrics map[string]*metric
	// strings holds every string literal, for label values and env names.
	strings map[string]bool
	// cmdStrings are the string literals of cmd/, where env is read.
	cmdStrings map[string]bool
	// collectors are the client_golang collectors registered (process, go).
	collectors map[string]bool
}

var envName = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)

// env reports whether the code could read the environment variable: its
// name is a string literal somewhere in cmd/ (where env is read; names are
// also passed through tables, so literal calls to getenv are not enough).
func (c *code) env(name string) bool { return envName.MatchString(name) && c.cmdStrings[name] }

// scanCode parses every non-test Go file of the module, leaving out
// examples/ (their own programs) and testdata/.
func scanCode(t *testing.T) *code {
	t.Helper()
	c := &code{metrics: map[string]*metric{}, strings: map[string]bool{}, collectors: map[string]bool{}, cmdStrings: map[string]bool{}}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "examples", "deploy", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		inCmd := strings.HasPrefix(filepath.ToSlash(path), "../cmd/")
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if s, ok := stringLit(n); ok {
					c.strings[s] = true
					if inCmd {
						c.cmdStrings[s] = true
					}
				}
			case *ast.CallExpr:
				c.call(n)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.metrics) == 0 {
		t.Fatal("found no metric definitions in the code")
	}
	return c
}

// call records a metric defined by a call: prometheus.NewCounterVec(opts,
// labels) and its kin, prometheus.NewDesc(name, help, labels, …), and the
// metrics package's own m.Gauge(name, help, label, f).
func (c *code) call(n *ast.CallExpr) {
	sel, ok := n.Fun.(*ast.SelectorExpr)
	if !ok {
		return
	}
	if x, ok := sel.X.(*ast.Ident); ok && x.Name == "collectors" {
		c.collectors[sel.Sel.Name] = true
	}
	fn := sel.Sel.Name
	var name string
	var labels []string
	switch {
	case strings.HasPrefix(fn, "New") && len(n.Args) > 0 && isOpts(n.Args[0]):
		name = optsName(n.Args[0])
		if len(n.Args) > 1 {
			labels = stringSlice(n.Args[1])
		}
	case (fn == "NewDesc" || fn == "Gauge") && len(n.Args) >= 3:
		name, _ = stringArg(n.Args[0])
		if fn == "NewDesc" {
			labels = stringSlice(n.Args[2])
		} else if l, ok := stringArg(n.Args[2]); ok {
			labels = []string{l}
		}
	}
	if name == "" {
		return
	}
	m := c.metrics[name]
	if m == nil {
		m = &metric{labels: map[string]bool{}}
		c.metrics[name] = m
	}
	for _, l := range labels {
		m.labels[l] = true
	}
	if strings.Contains(fn, "Histogram") {
		m.histogram = true
	}
}

// isOpts reports whether e is a prometheus.XxxOpts{…} literal.
func isOpts(e ast.Expr) bool {
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		return false
	}
	sel, ok := cl.Type.(*ast.SelectorExpr)
	return ok && strings.HasSuffix(sel.Sel.Name, "Opts")
}

func optsName(e ast.Expr) string {
	for _, el := range e.(*ast.CompositeLit).Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Name" {
				s, _ := stringArg(kv.Value)
				return s
			}
		}
	}
	return ""
}

func stringArg(e ast.Expr) (string, bool) {
	if b, ok := e.(*ast.BasicLit); ok {
		return stringLit(b)
	}
	return "", false
}

func stringLit(b *ast.BasicLit) (string, bool) {
	if b.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(b.Value)
	return s, err == nil
}

func stringSlice(e ast.Expr) []string {
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil
	}
	var out []string
	for _, el := range cl.Elts {
		if s, ok := stringArg(el); ok {
			out = append(out, s)
		}
	}
	return out
}

// readmeSection returns the README's lines from the heading (or bold
// paragraph start) that begins with start up to the next "## " heading.
func readmeSection(t *testing.T, start string) []string {
	t.Helper()
	lines := strings.Split(string(read(t, "README.md")), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, start) {
			var out []string
			for _, l := range lines[i+1:] {
				if strings.HasPrefix(l, "## ") {
					break
				}
				out = append(out, l)
			}
			return out
		}
	}
	t.Fatalf("README.md has no %q", start)
	return nil
}

var backticked = regexp.MustCompile("`([^`]*)`")

// readmeConfig is the set of variables in README's Configuration table.
func readmeConfig(t *testing.T) map[string]bool {
	t.Helper()
	vars := map[string]bool{}
	for _, l := range readmeSection(t, "## Configuration") {
		cells := strings.Split(l, "|")
		if len(cells) < 3 {
			continue
		}
		for _, m := range backticked.FindAllStringSubmatch(cells[1], -1) {
			if envName.MatchString(m[1]) {
				vars[m[1]] = true
			}
		}
	}
	if len(vars) < 10 {
		t.Fatalf("README's Configuration table: found only %v", vars)
	}
	return vars
}

// readmeDefault is a variable's default in README's Configuration table.
func readmeDefault(t *testing.T, name string) string {
	t.Helper()
	for _, l := range readmeSection(t, "## Configuration") {
		cells := strings.Split(l, "|")
		if len(cells) >= 5 && strings.Contains(cells[1], "`"+name+"`") {
			return strings.Trim(strings.TrimSpace(cells[3]), "`")
		}
	}
	t.Fatalf("README's Configuration table has no %s", name)
	return ""
}

var readmeMetric = regexp.MustCompile(`^(taikai_[a-z0-9_]+)(?:\{([a-z_,]*)\})?$`)

// readmeMetrics are the metrics (and their labels) of README's metrics table.
func readmeMetrics(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, l := range readmeSection(t, "## Support staff") {
		cells := strings.Split(l, "|")
		if len(cells) < 3 {
			continue
		}
		for _, m := range backticked.FindAllStringSubmatch(cells[1], -1) {
			if mm := readmeMetric.FindStringSubmatch(m[1]); mm != nil {
				var labels []string
				if mm[2] != "" {
					labels = strings.Split(mm[2], ",")
				}
				out[mm[1]] = labels
			}
		}
	}
	if len(out) < 5 {
		t.Fatalf("README's metrics table: found only %v", out)
	}
	return out
}

// TestReadmeMetricsAreTheCodes keeps README's metrics table, which the alerts
// and the dashboard are written from, in step with the code.
func TestReadmeMetricsAreTheCodes(t *testing.T) {
	c := scanCode(t)
	for name, labels := range readmeMetrics(t) {
		m := c.metrics[name]
		if m == nil {
			t.Errorf("README's metrics table names %s, which the code does not define", name)
			continue
		}
		got := map[string]bool{}
		for _, l := range labels {
			got[l] = true
		}
		for l := range m.labels {
			if !got[l] {
				t.Errorf("README: %s lacks its label %q", name, l)
			}
		}
		for l := range got {
			if !m.labels[l] {
				t.Errorf("README: %s has no label %q in the code", name, l)
			}
		}
	}
}

// TestReadmeConfigIsReadByTheCode keeps README's Configuration table, which
// the manifests are written from, to variables the code reads.
func TestReadmeConfigIsReadByTheCode(t *testing.T) {
	c := scanCode(t)
	for name := range readmeConfig(t) {
		if !c.env(name) {
			t.Errorf("README's Configuration table names %s, which nothing in cmd/ reads", name)
		}
	}
}
