package deploy

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, …
	args string
	line int
}

// stage is a build stage: its FROM and what follows.
type stage struct {
	image, name string
	ins         []instruction
}

// parseDockerfile splits a Dockerfile into stages. (hadolint is not to be
// had here; this reads what the checks below need.)
func parseDockerfile(t *testing.T, src string) []stage {
	t.Helper()
	var stages []stage
	var cur strings.Builder
	start := 0
	flush := func() {
		s := strings.TrimSpace(cur.String())
		cur.Reset()
		if s == "" {
			return
		}
		cmd, args, _ := strings.Cut(s, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			st := stage{image: f[len(f)-1]}
			if len(f) >= 3 && strings.EqualFold(f[len(f)-2], "AS") {
				st.image, st.name = f[len(f)-3], f[len(f)-1]
			}
			stages = append(stages, st)
			return
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Errorf("Dockerfile:%d: %s before FROM", in.line, in.cmd)
			}
			return
		}
		stages[len(stages)-1].ins = append(stages[len(stages)-1].ins, in)
	}
	for i, l := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(l)
		if strings.HasPrefix(trimmed, "#") || trimmed == "" && cur.Len() == 0 {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	return stages
}

func (s stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range s.ins {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// execForm decodes an instruction's exec (JSON array) form.
func execForm(t *testing.T, in instruction, args string) []string {
	t.Helper()
	var v []string
	if err := json.Unmarshal([]byte(args), &v); err != nil {
		t.Errorf("Dockerfile:%d: %s %s is not in exec form (there is no shell in the image)", in.line, in.cmd, args)
	}
	return v
}

func dockerfile(t *testing.T) []stage {
	t.Helper()
	stages := parseDockerfile(t, string(read(t, "Dockerfile")))
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: want a build stage and a final stage, have %d stages", len(stages))
	}
	return stages
}

// dockerfileUser is the final stage's user id.
func dockerfileUser(t *testing.T) string {
	t.Helper()
	stages := dockerfile(t)
	users := stages[len(stages)-1].all("USER")
	if len(users) == 0 {
		return ""
	}
	uid, _, _ := strings.Cut(users[len(users)-1].args, ":")
	return uid
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Errorf("%q is not a number", s)
	}
	return n
}

var pinned = regexp.MustCompile(`^[^:@]+(:[A-Za-z0-9._-]+)?(@sha256:[0-9a-f]{64})?$`)

func TestDockerfile(t *testing.T) {
	stages := dockerfile(t)
	names := map[string]bool{}
	for _, s := range stages {
		m := pinned.FindStringSubmatch(s.image)
		if m == nil || m[1] == "" && m[2] == "" || m[1] == ":latest" {
			t.Errorf("FROM %s: pin a tag (not latest) or a digest", s.image)
		}
		names[s.name] = true
		for _, in := range s.ins {
			if in.cmd == "ADD" {
				t.Errorf("Dockerfile:%d: use COPY, not ADD", in.line)
			}
			if strings.Contains(in.args, "go build") {
				t.Errorf("Dockerfile:%d: go build here; build with .ci/build, as CI does", in.line)
			}
		}
	}

	// The build stage builds with the script CI uses, with the version.
	build := stages[0]
	builds := 0
	args := map[string]bool{}
	for _, in := range build.ins {
		if in.cmd == "ARG" {
			name, _, _ := strings.Cut(in.args, "=")
			args[name] = true
		}
		if in.cmd == "RUN" && in.args == ".ci/build /out/taikai" {
			builds++
			if !args["VERSION"] || !args["REVISION"] {
				t.Errorf("Dockerfile:%d: declare ARG VERSION and ARG REVISION before the build", in.line)
			}
		}
	}
	if builds != 1 {
		t.Errorf("the build stage should RUN .ci/build /out/taikai once, does %d times", builds)
	}

	// The final stage: static, no shell, non-root, checks itself.
	final := stages[len(stages)-1]
	if !strings.Contains(final.image, "distroless/static") {
		t.Errorf("final stage FROM %s: want distroless static (no shell, no libc)", final.image)
	}
	copies := final.all("COPY")
	if len(copies) != 1 || copies[0].args != "--from="+build.name+" /out/taikai /taikai" {
		t.Errorf("final stage: want only COPY --from=%s /out/taikai /taikai, have %+v", build.name, copies)
	}
	if uid := dockerfileUser(t); uid == "" || uid == "0" || strings.Trim(uid, "0123456789") != "" {
		t.Errorf("final stage: USER %q, want a numeric non-root user (Kubernetes' runAsNonRoot checks it)", uid)
	}
	hc := final.all("HEALTHCHECK")
	if len(hc) != 1 {
		t.Fatalf("final stage: want one HEALTHCHECK, have %d", len(hc))
	}
	opts, cmd, ok := strings.Cut(hc[0].args, "CMD ")
	if !ok || !strings.Contains(opts, "--interval=") || !strings.Contains(opts, "--timeout=") {
		t.Errorf("HEALTHCHECK %s: want --interval, --timeout and CMD", hc[0].args)
	}
	if got := execForm(t, hc[0], cmd); strings.Join(got, " ") != "/taikai healthcheck" {
		t.Errorf("HEALTHCHECK runs %q, want /taikai healthcheck", got)
	}
	if !scanCode(t).cmdStrings["healthcheck"] {
		t.Error("HEALTHCHECK runs taikai healthcheck, which cmd/taikai does not have")
	}
	for cmd, want := range map[string]string{"ENTRYPOINT": "/taikai", "CMD": "serve"} {
		in := final.all(cmd)
		if len(in) != 1 || strings.Join(execForm(t, in[0], in[0].args), " ") != want {
			t.Errorf("final stage: want %s [%q], have %+v", cmd, want, in)
		}
	}
	if e := final.all("EXPOSE"); len(e) != 1 || e[0].args != readmeDefault(t, "PORT") {
		t.Errorf("final stage: want EXPOSE %s (PORT's default), have %+v", readmeDefault(t, "PORT"), e)
	}

	// OCI labels, version and revision from build args of this stage.
	labels := map[string]string{}
	for _, in := range final.all("LABEL") {
		for _, m := range regexp.MustCompile(`([a-z.]+)="([^"]*)"`).FindAllStringSubmatch(in.args, -1) {
			labels[m[1]] = m[2]
		}
	}
	finalArgs := map[string]bool{}
	for _, in := range final.all("ARG") {
		name, _, _ := strings.Cut(in.args, "=")
		finalArgs[name] = true
	}
	for _, k := range []string{"title", "description", "source", "version", "revision"} {
		if labels["org.opencontainers.image."+k] == "" {
			t.Errorf("final stage: no LABEL org.opencontainers.image.%s", k)
		}
	}
	for k, arg := range map[string]string{"version": "VERSION", "revision": "REVISION"} {
		if labels["org.opencontainers.image."+k] != "${"+arg+"}" || !finalArgs[arg] {
			t.Errorf("final stage: org.opencontainers.image.%s should be ${%s}, from an ARG %s of this stage", k, arg, arg)
		}
	}
}

// TestOneBuildCommand keeps the build command in one place: .ci/build, which
// the Dockerfile (above) and .ci/run call.
func TestOneBuildCommand(t *testing.T) {
	script := string(read(t, ".ci/build"))
	if n := strings.Count(script, "go build"); n != 1 {
		t.Errorf(".ci/build: want one go build, have %d", n)
	}
	for _, flag := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/taikai"} {
		if !strings.Contains(script, flag) {
			t.Errorf(".ci/build: no %s", flag)
		}
	}
	ci := string(read(t, ".ci/run"))
	if !regexp.MustCompile(`(?m)^[^#]*\.ci/build `).MatchString(ci) {
		t.Errorf(".ci/run does not build with .ci/build")
	}
	if strings.Contains(ci, "go build") {
		t.Errorf(".ci/run: go build here; use .ci/build")
	}
}

// TestDockerignore checks that the build context keeps every file the build
// needs: the packages ./cmd/taikai imports from this module, their embedded
// files, go.mod, go.sum and .ci/build.
func TestDockerignore(t *testing.T) {
	var patterns []string
	for _, l := range strings.Split(string(read(t, ".dockerignore")), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			if strings.HasPrefix(l, "!") {
				t.Fatalf(".dockerignore: exceptions (%s) are not understood by this test", l)
			}
			patterns = append(patterns, strings.Trim(l, "/"))
		}
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "-f", `{{.Dir}}|{{join .GoFiles ","}}|{{join .EmbedFiles ","}}`, "./cmd/taikai")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	need := []string{"go.mod", "go.sum", ".ci/build"}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, "|")
		rel, err := filepath.Rel(abs, f[0])
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // the standard library or the module cache
		}
		for _, files := range f[1:] {
			for _, name := range strings.Split(files, ",") {
				if name != "" {
					need = append(need, filepath.ToSlash(filepath.Join(rel, name)))
				}
			}
		}
	}
	if len(need) < 10 {
		t.Fatalf("go list found only %v", need)
	}
	for _, path := range need {
		for _, p := range patterns {
			if ignored(p, path) {
				t.Errorf(".dockerignore: %q leaves %s out of the build", p, path)
			}
		}
	}
}

// ignored reports whether a .dockerignore pattern excludes path: the
// pattern matches it or one of its parent directories.
func ignored(pattern, path string) bool {
	parts := strings.Split(path, "/")
	for i := range parts {
		if ok, _ := filepath.Match(pattern, strings.Join(parts[:i+1], "/")); ok {
			return true
		}
	}
	return false
}
