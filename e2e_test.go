package taikai_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/taikaibot/taikai/demo"
	"github.com/taikaibot/taikai/internal/redistest"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/conversations")

func startSystem(t *testing.T) *demo.System { return startSystemWith(t, demo.Config{}) }

// startSystemWith starts the whole system on the test's Redis (REDIS_URL or
// the embedded one).
func startSystemWith(t *testing.T, cfg demo.Config) *demo.System {
	t.Helper()
	if cfg.Redis == nil {
		cfg.Redis, cfg.KeyPrefix, _ = redistest.Redis(t)
	}
	sys, err := demo.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	return sys
}

var expectFiled = regexp.MustCompile(`(?m)^# expect filed=(\d+)$`)

// TestConversations replays whole conversations — signed webhooks through
// the real HTTP handler, the LINE emulator and the sandbox marketplace — and
// compares what the user saw with the golden transcript (-update rewrites it).
func TestConversations(t *testing.T) {
	scripts, err := filepath.Glob("testdata/conversations/*.txt")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no conversations: %v", err)
	}
	for _, script := range scripts {
		name := strings.TrimSuffix(filepath.Base(script), ".txt")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in, err := os.ReadFile(script)
			if err != nil {
				t.Fatal(err)
			}
			sys := startSystem(t)
			var out bytes.Buffer
			chat := &demo.Chat{Sys: sys, In: bytes.NewReader(in), Out: &out}
			if err := chat.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, v := range sys.Emulator.Violations() {
				t.Errorf("LINE rule broken: %s", v)
			}
			if m := expectFiled.FindSubmatch(in); m != nil {
				want, _ := strconv.Atoi(string(m[1]))
				if got := sys.Sandbox.Filed(); got != want {
					t.Errorf("filed %d withdrawals; want %d", got, want)
				}
			} else {
				t.Errorf("script lacks a '# expect filed=N' line")
			}
			golden := strings.TrimSuffix(script, ".txt") + ".golden"
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), out.String()); diff != "" {
				t.Errorf("transcript differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// TestReadmeShowsRealTranscripts keeps the README's transcripts true: they
// must be the golden files, verbatim.
func TestReadmeShowsRealTranscripts(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	clean, _ := os.ReadFile("testdata/conversations/clean_withdrawal.golden")
	blocked, _ := os.ReadFile("testdata/conversations/blocked_everything.golden")
	i := bytes.Index(blocked, []byte("番号> acc_many"))
	if !bytes.Contains(readme, clean) || i < 0 || !bytes.Contains(readme, blocked[i:]) {
		t.Error("README's transcripts differ from testdata/conversations/{clean_withdrawal,blocked_everything}.golden; copy them in")
	}
}
