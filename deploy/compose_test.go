package deploy

import (
	"net/url"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// service is the part of a compose service these tests read.
type service struct {
	Image       string            `json:"image"`
	Build       any               `json:"build"`
	Command     []string          `json:"command"`
	Environment map[string]string `json:"environment"`
	ReadOnly    bool              `json:"read_only"`
	User        string            `json:"user"`
	CapDrop     []string          `json:"cap_drop"`
	SecurityOpt []string          `json:"security_opt"`
	Volumes     []string          `json:"volumes"`
	Networks    map[string]struct {
		Aliases []string `json:"aliases"`
	} `json:"networks"`
	DependsOn map[string]struct {
		Condition string `json:"condition"`
	} `json:"depends_on"`
}

// pendingEnv are variables compose.yaml sets for commands that are not
// written yet. Drop a name once the code reads it; the test fails if it is
// read and still listed.
var pendingEnv = map[string]string{}

func readCompose(t *testing.T) map[string]service {
	t.Helper()
	var doc struct {
		Services map[string]service `json:"services"`
	}
	if err := yaml.Unmarshal(read(t, "compose.yaml"), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Services) == 0 {
		t.Fatal("compose.yaml has no services")
	}
	return doc.Services
}

// byCommand returns the names of the services running `taikai cmd`.
func byCommand(svcs map[string]service, cmd string) []string {
	var out []string
	for name, s := range svcs {
		if len(s.Command) > 0 && s.Command[0] == cmd {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// composeReplicaTargets are the host:port of every `taikai serve` replica.
func composeReplicaTargets(t *testing.T) []string {
	svcs := readCompose(t)
	var out []string
	for _, name := range byCommand(svcs, "serve") {
		out = append(out, name+":"+port(t, svcs[name]))
	}
	return out
}

func port(t *testing.T, s service) string {
	t.Helper()
	if p := s.Environment["PORT"]; p != "" {
		return p
	}
	return readmeDefault(t, "PORT")
}

// hostPort is the host and port of a URL, the port defaulted by scheme.
func hostPort(t *testing.T, raw string) (host, port, path string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Errorf("%q is not a URL", raw)
		return "", "", ""
	}
	port = u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443", "redis": "6379"}[u.Scheme]
	}
	return u.Hostname(), port, u.Path
}

func TestCompose(t *testing.T) {
	c := scanCode(t)
	config := readmeConfig(t)
	svcs := readCompose(t)
	replicas := byCommand(svcs, "serve")
	if len(replicas) != 2 {
		t.Fatalf("services running taikai serve: %v, want two replicas", replicas)
	}
	emulators, sandboxes := byCommand(svcs, "emulator"), byCommand(svcs, "sandbox")
	if len(emulators) != 1 || len(sandboxes) != 1 || len(byCommand(svcs, "setup")) != 1 {
		t.Fatalf("want one emulator, one sandbox and one setup service; have %v, %v, %v", emulators, sandboxes, byCommand(svcs, "setup"))
	}
	emu, sandbox := svcs[emulators[0]], svcs[sandboxes[0]]

	// Every service of taikai's image is built from this repository's
	// Dockerfile and runs locked down, like the Kubernetes pods; it runs a
	// command the binary has, with flags it has.
	for name, s := range svcs {
		if s.Image != svcs[replicas[0]].Image {
			continue
		}
		for i, a := range s.Command {
			if flag, isFlag := strings.CutPrefix(a, "-"); isFlag && !c.cmdStrings[flag] || i == 0 && !c.cmdStrings[a] {
				t.Errorf("%s: %q is not a command or flag of cmd/taikai", name, a)
			}
		}
		if b, ok := s.Build.(map[string]any); !ok || b["context"] != "." {
			t.Errorf("%s: build.context = %v, want .", name, s.Build)
		}
		if uid, _, _ := strings.Cut(s.User, ":"); uid == "" || uid == "0" || strings.Trim(uid, "0123456789") != "" {
			t.Errorf("%s: user %q, want a numeric user other than root", name, s.User)
		}
		if !s.ReadOnly || strings.Join(s.CapDrop, ",") != "ALL" || !contains(s.SecurityOpt, "no-new-privileges:true") {
			t.Errorf("%s: want read_only, cap_drop [ALL] and no-new-privileges", name)
		}
		for k := range s.Environment {
			if _, pending := pendingEnv[k]; pending {
				if c.env(k) {
					t.Errorf("%s is read by the code now: drop it from pendingEnv", k)
				}
				continue
			}
			if !c.env(k) {
				t.Errorf("%s: %s is not a variable the code reads", name, k)
			}
		}
	}

	var alias string
	for _, name := range replicas {
		s := svcs[name]
		for k := range s.Environment {
			if !config[k] {
				t.Errorf("%s: %s is not in README's Configuration table", name, k)
			}
		}
		env := s.Environment
		if env["LINE_CHANNEL_SECRET"] != emu.Environment["LINE_CHANNEL_SECRET"] || env["LINE_CHANNEL_ACCESS_TOKEN"] != emu.Environment["LINE_CHANNEL_ACCESS_TOKEN"] {
			t.Errorf("%s: its LINE channel secret and token must be the emulator's", name)
		}
		if env["MARKETPLACE_API_TOKEN"] == "" || env["MARKETPLACE_API_TOKEN"] != sandbox.Environment["MARKETPLACE_API_TOKEN"] {
			t.Errorf("%s: MARKETPLACE_API_TOKEN must be the sandbox's", name)
		}
		if h, p, _ := hostPort(t, env["LINE_API_BASE_URL"]); h != emulators[0] || p != port(t, emu) {
			t.Errorf("%s: LINE_API_BASE_URL %q is not the emulator (%s:%s)", name, env["LINE_API_BASE_URL"], emulators[0], port(t, emu))
		}
		if h, p, _ := hostPort(t, env["MARKETPLACE_API_URL"]); h != sandboxes[0] || p != port(t, sandbox) {
			t.Errorf("%s: MARKETPLACE_API_URL %q is not the sandbox (%s:%s)", name, env["MARKETPLACE_API_URL"], sandboxes[0], port(t, sandbox))
		}
		if env["CONSOLE"] != "on" || env["CONSOLE_USERS"] == "" && env["CONSOLE_TOKEN"] == "" {
			t.Errorf("%s: the console should be on, with credentials", name)
		}
		redisHost, _, _ := hostPort(t, env["REDIS_URL"])
		checkRedis(t, svcs, redisHost)
		if s.DependsOn[redisHost].Condition != "service_healthy" {
			t.Errorf("%s: should wait for %s to be healthy", name, redisHost)
		}
		aliases := s.Networks["default"].Aliases
		if len(aliases) != 1 || alias != "" && aliases[0] != alias {
			t.Errorf("%s: the replicas share one network alias, have %v", name, aliases)
		} else {
			alias = aliases[0]
		}
	}

	// The emulator and setup deliver webhooks to the replicas' shared name.
	hooks := []string{emu.Environment["WEBHOOK_URL"]}
	setup := svcs[byCommand(svcs, "setup")[0]]
	for i, a := range setup.Command {
		if a == "-webhook-url" && i+1 < len(setup.Command) {
			hooks = append(hooks, setup.Command[i+1])
		}
	}
	if len(hooks) != 2 {
		t.Errorf("setup: want -webhook-url, have %v", setup.Command)
	}
	for _, h := range hooks {
		if host, p, path := hostPort(t, h); host != alias || p != port(t, svcs[replicas[0]]) || path != "/callback" {
			t.Errorf("webhook endpoint %q: want http://%s:%s/callback", h, alias, port(t, svcs[replicas[0]]))
		}
	}

	// Prometheus reads this repository's config, which loads the alerts.
	prom, ok := svcs["prometheus"]
	if !ok {
		t.Fatal("no prometheus service")
	}
	mount := ""
	for _, v := range prom.Volumes {
		if src, dst, _ := strings.Cut(v, ":"); src == "./deploy/prometheus" {
			mount = strings.TrimSuffix(dst, ":ro")
		}
	}
	if mount == "" || !contains(prom.Command, "--config.file="+mount+"/prometheus.compose.yml") {
		t.Errorf("prometheus: want ./deploy/prometheus mounted and --config.file=<mount>/prometheus.compose.yml; have %v %v", prom.Volumes, prom.Command)
	}
}

// checkRedis checks the Redis service: AOF on, fsync every second, its data
// in a named volume.
func checkRedis(t *testing.T, svcs map[string]service, name string) {
	t.Helper()
	r, ok := svcs[name]
	if !ok {
		t.Errorf("REDIS_URL names %q, which is not a service", name)
		return
	}
	cmd := " " + strings.Join(r.Command, " ") + " "
	if !strings.Contains(cmd, " --appendonly yes ") || !strings.Contains(cmd, " --appendfsync everysec ") {
		t.Errorf("%s: command %v, want --appendonly yes --appendfsync everysec", name, r.Command)
	}
	vol := false
	for _, v := range r.Volumes {
		src, dst, _ := strings.Cut(v, ":")
		vol = vol || dst == "/data" && !strings.ContainsAny(src, "./")
	}
	if !vol {
		t.Errorf("%s: want a named volume at /data, have %v", name, r.Volumes)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
