package taikai_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The dependency rules, in the manner of Tailscale's tstest/deptest: for
// every package of the module, the packages it must not depend on, directly
// or not, and why. A banned package must exist, so that a rename cannot turn
// a rule into one that always passes.

const mod = "github.com/taikaibot/taikai"

// Groups of packages the rules name.
var (
	lineSDK  = []string{"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api", "github.com/line/line-bot-sdk-go/v8/linebot/webhook"}
	redisPkg = []string{"github.com/redis/go-redis/v9", "github.com/alicebob/miniredis/v2"}
	httpPkg  = []string{"net/http"}
	// The conversation and what passes between the runtime and the adapters.
	core = []string{mod + "/flows", mod + "/chat", mod + "/retry"}
	// The runtime.
	runtime = []string{mod + "/bot"}
	// One package per technology; none knows another.
	adapters = []string{mod + "/line", mod + "/webhook", mod + "/queue", mod + "/store", mod + "/console", mod + "/metrics", mod + "/marketplace"}
	// What builds replicas and hosts the binary.
	wiring = []string{mod + "/replica", mod + "/cmd/taikai"}
	// Stand-ins for LINE and the marketplace, and the system they make:
	// never in production code.
	standIns = []string{mod + "/lineemu", mod + "/marketplace/sandbox", mod + "/demo"}
	helpers  = []string{mod + "/internal/random", mod + "/internal/redistest", mod + "/internal/jsonw", mod + "/internal/rediskind"}
)

// rule bans groups for one reason.
type rule struct {
	why    string
	groups [][]string
}

func (r rule) bans(self string) map[string]string {
	m := map[string]string{}
	for _, g := range r.groups {
		for _, p := range g {
			if p != self {
				m[p] = r.why
			}
		}
	}
	return m
}

// rules lists every package of the module (by path below the module; "" is
// the domain) and what it must not depend on.
var rules = map[string][]rule{
	"": {{"the domain imports nothing of the project", [][]string{core, runtime, adapters, wiring, standIns, helpers}},
		{"the domain does no I/O", [][]string{httpPkg, redisPkg, lineSDK}}},
	"flows": {{"the conversation depends on the domain only", [][]string{{mod + "/chat", mod + "/retry"}, runtime, adapters, wiring, standIns}},
		{"the conversation is pure: no I/O, no LINE", [][]string{httpPkg, redisPkg, lineSDK}}},
	"chat": {{"chat is words between the runtime and the adapters", [][]string{{mod + "/retry"}, runtime, adapters, wiring, standIns}},
		{"chat knows no platform and does no I/O", [][]string{httpPkg, redisPkg, lineSDK}}},
	"retry": {{"the retry policy knows nothing of what it retries", [][]string{{mod + "/flows", mod + "/chat"}, runtime, adapters, wiring, standIns}},
		{"the retry policy is no client: its callers tell it what they got back", [][]string{httpPkg, redisPkg, lineSDK}}},
	"bot": {{"the runtime depends on flows, the domain and the small interfaces it declares", [][]string{adapters, wiring, standIns}},
		{"the runtime knows neither LINE, Redis nor HTTP: the adapters do", [][]string{httpPkg, redisPkg, lineSDK}}},
	"line":        {adapterRule, {"the LINE adapter keeps no state", [][]string{redisPkg}}},
	"webhook":     {adapterRule, {"the webhook hands events to an Intake; it knows no Redis and no flow", [][]string{redisPkg, core}}},
	"queue":       {adapterRule, {"the queue carries raw events: it knows no LINE, flow or HTTP", [][]string{lineSDK, httpPkg, {mod + "/flows", mod + "/chat"}}}},
	"store":       {adapterRule, {"the store keeps records: it knows no LINE, flow or HTTP", [][]string{lineSDK, httpPkg, core}}},
	"console":     {adapterRule, {"the console reads the journal; it knows no LINE", [][]string{lineSDK}}},
	"metrics":     {adapterRule, {"metrics are told what happened; they know no LINE", [][]string{lineSDK}}},
	"marketplace": {adapterRule, {"the marketplace client knows no LINE, flow or Redis", [][]string{lineSDK, redisPkg, {mod + "/flows", mod + "/chat"}}}},
	"replica": {{"production code never runs a stand-in; they are passed in", [][]string{standIns}},
		{"the binary builds replicas, not the other way round", [][]string{{mod + "/cmd/taikai"}}}},
	"cmd/taikai": nil, // it hosts everything
	"demo":       {{"the demo is started by the binary, not the other way round", [][]string{{mod + "/cmd/taikai"}}}},
	"lineemu": {{"the emulator stands for LINE: it shares no code with the bot, so it checks the bot independently", [][]string{core, runtime, adapters, wiring, {mod + "/marketplace/sandbox", mod + "/demo"}, lineSDK}},
		{"the emulator keeps its state in memory", [][]string{redisPkg}}},
	"marketplace/sandbox": {{"the sandbox stands for the marketplace: it serves the contract from the domain alone", [][]string{core, runtime, adapters, wiring, {mod + "/lineemu", mod + "/demo"}, helpers, lineSDK, redisPkg}}},
	"internal/random":     {{"a helper imports nothing of the project", [][]string{{mod}, core, runtime, adapters, wiring, standIns, {mod + "/internal/redistest"}}}},
	"internal/redistest":  {{"a test helper imports nothing of the project but helpers", [][]string{{mod}, core, runtime, adapters, wiring, standIns}}},
	"internal/jsonw":      {{"a helper imports nothing of the project", [][]string{{mod}, core, runtime, adapters, wiring, standIns, {mod + "/internal/redistest"}}}},
	"internal/rediskind":  {{"a helper imports nothing of the project", [][]string{{mod}, core, runtime, adapters, wiring, standIns, {mod + "/internal/redistest"}}}},
	"e2e":                 nil, // tests only
	"deploy":              nil, // tests of the deployment files only
	"bench":               {{"the benchmark drives taikai as a process, as LINE would; it serves the sandbox, nothing else of ours", [][]string{core, runtime, adapters, wiring, {mod + "/lineemu", mod + "/demo"}}}},
	"bench/echo":          {{"the baseline is the SDK's echo example: it shares no code with taikai", [][]string{{mod}, core, runtime, adapters, wiring, standIns, helpers}}},
	"richmenu": {{"the rich menu image is drawn from the conversation's words; it sends nothing", [][]string{{mod + "/chat", mod + "/retry"}, runtime, adapters, wiring, standIns}},
		{"drawing does no I/O", [][]string{httpPkg, redisPkg, lineSDK}}},
	"examples/marketplace": {{"an example of the marketplace side stands alone: it shares no code with the bot", [][]string{{mod}, core, runtime, adapters, wiring, standIns, helpers}}},
}

// adapterRule: adapters do not know each other, the runtime or the wiring,
// and never the stand-ins.
var adapterRule = rule{"an adapter depends on the domain (and the words and policy it shares with the runtime) only", [][]string{runtime, adapters, wiring, standIns}}

func path(rel string) string {
	if rel == "" {
		return mod
	}
	return mod + "/" + rel
}

// goList runs go list and returns its lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

type pkgInfo struct {
	imports, deps []string
}

// packages lists the module's packages with their direct imports and all
// their dependencies (tests excluded).
func packages(t *testing.T) map[string]pkgInfo {
	t.Helper()
	pkgs := map[string]pkgInfo{}
	for _, line := range goList(t, "-f", "{{.ImportPath}}\t{{join .Imports \" \"}}\t{{join .Deps \" \"}}", "./...") {
		f := strings.Split(line, "\t")
		pkgs[f[0]] = pkgInfo{imports: strings.Fields(f[1]), deps: strings.Fields(f[2])}
	}
	return pkgs
}

func TestDependencies(t *testing.T) {
	pkgs := packages(t)
	var listed []string
	for rel := range rules {
		listed = append(listed, path(rel))
	}
	for p := range pkgs {
		if !slices.Contains(listed, p) {
			t.Errorf("package %s has no dependency rules: add it to rules (and to the README's layout)", p)
		}
	}
	outside := map[string]bool{}
	for rel, rs := range rules {
		self := path(rel)
		info, ok := pkgs[self]
		if !ok {
			t.Errorf("rules name %s, which is not a package of the module", self)
			continue
		}
		for _, r := range rs {
			for bad, why := range r.bans(self) {
				if strings.HasPrefix(bad, mod) {
					if _, ok := pkgs[bad]; !ok {
						t.Errorf("%s: banned package %s does not exist (renamed?)", self, bad)
					}
				} else {
					outside[bad] = true
				}
				if slices.Contains(info.deps, bad) {
					t.Errorf("%s depends on %s: %s", self, bad, why)
				}
			}
		}
	}
	var ext []string
	for p := range outside {
		ext = append(ext, p)
	}
	sort.Strings(ext)
	for _, line := range goList(t, append([]string{"-e", "-f", "{{.ImportPath}}\t{{if .Error}}{{.Error}}{{end}}"}, ext...)...) {
		if p, err, _ := strings.Cut(line, "\t"); err != "" {
			t.Errorf("banned package %s does not exist: %s", p, err)
		}
	}
}

// TestReadmeLayoutIsTheImportGraph keeps the README's diagram true: its
// arrows are the module's imports, leaving out those of the domain and of
// internal/ helpers, which any package may import.
func TestReadmeLayoutIsTheImportGraph(t *testing.T) {
	pkgs := packages(t)
	drawn := readmeGraph(t)
	real := map[string]bool{}
	for p, info := range pkgs {
		for _, imp := range info.imports {
			if !strings.HasPrefix(imp, mod+"/") || strings.HasPrefix(imp, mod+"/internal/") {
				continue
			}
			real[p+" --> "+imp] = true
		}
	}
	for e := range real {
		if !drawn[e] {
			t.Errorf("README's layout lacks the arrow %s", strings.ReplaceAll(e, mod+"/", ""))
		}
	}
	for e := range drawn {
		if !real[e] {
			t.Errorf("README's layout draws %s, which no import makes", strings.ReplaceAll(e, mod+"/", ""))
		}
	}
}

// edgeRe matches a Mermaid arrow: id[label] --> id[label]. An id is a
// package's path below the module with "/" written "_"; the domain's is
// "taikai".
var edgeRe = regexp.MustCompile(`^\s*([A-Za-z_]+)(?:\[[^\]]*\])?\s*-->\s*([A-Za-z_]+)(?:\[[^\]]*\])?\s*$`)

func nodePath(id string) string {
	if id == "taikai" {
		return mod
	}
	return path(strings.ReplaceAll(id, "_", "/"))
}

// readmeGraph reads the arrows of the Mermaid diagram in README's Layout section.
func readmeGraph(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open("README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	edges := map[string]bool{}
	section, inDiagram := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			section = line == "## Layout"
		case section && line == "```mermaid":
			inDiagram = true
		case inDiagram && line == "```":
			inDiagram = false
		case inDiagram:
			if m := edgeRe.FindStringSubmatch(line); m != nil {
				edges[nodePath(m[1])+" --> "+nodePath(m[2])] = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(edges) == 0 {
		t.Fatal("README has no Mermaid diagram with arrows under ## Layout")
	}
	return edges
}
