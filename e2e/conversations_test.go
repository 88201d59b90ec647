package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/taikaibot/taikai/demo"
	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/lineemu"
)

var (
	expectFiled = regexp.MustCompile(`(?m)^# expect filed=(\d+)$`)
	// "# language en": the user's LINE profile is in that language.
	profileLanguage = regexp.MustCompile(`(?m)^# language (\S+)$`)
)

// conversationStart is when every scripted conversation starts: a
// Wednesday evening in Tokyo, after staff hours (Mon-Fri 10:00-18:00), so
// that the times the bot shows are the same on every run.
var conversationStart = time.Date(2026, 11, 25, 19, 30, 0, 0, time.FixedZone("JST", 9*60*60))

// TestConversations replays whole conversations — signed webhooks through
// the real HTTP handler, the LINE emulator and the sandbox marketplace — and
// compares what the user saw with the golden transcript (-update rewrites it).
func TestConversations(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join(repo, "testdata/conversations/*.txt"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no conversations: %v", err)
	}
	// Every message of every conversation is checked again against LINE's
	// schema, on its own, and the shapes seen are counted: the checks must
	// have met every shape the bot sends.
	var mu sync.Mutex
	shapes, ran := map[string]int{}, 0
	t.Cleanup(func() {
		if ran < len(scripts) {
			return // -run picked some conversations
		}
		for _, shape := range []string{"text", "flex bubble", "flex bubble with a link", "flex carousel", "quick replies"} {
			if shapes[shape] == 0 {
				t.Errorf("no conversation sent a %s: the schema checks never met one (%v)", shape, shapes)
			}
		}
	})
	for _, script := range scripts {
		name := strings.TrimSuffix(filepath.Base(script), ".txt")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in, err := os.ReadFile(script)
			if err != nil {
				t.Fatal(err)
			}
			hours, err := flows.ParseStaffHours(flows.DefaultStaffHours)
			if err != nil {
				t.Fatal(err)
			}
			cfg := demo.Config{Start: conversationStart, StaffHours: hours}
			if m := profileLanguage.FindSubmatch(in); m != nil {
				cfg.Language = string(m[1])
			}
			sys := startSystemWith(t, cfg)
			var out bytes.Buffer
			chat := &demo.Chat{Sys: sys, In: bytes.NewReader(in), Out: &out}
			if err := chat.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, v := range sys.Emulator.Violations() {
				t.Errorf("LINE rule broken: %s", v)
			}
			mu.Lock()
			ran++
			mu.Unlock()
			for i, m := range sys.Emulator.Messages(user) {
				if ds := lineemu.CheckMessages([]json.RawMessage{m.Raw}); len(ds) > 0 {
					t.Errorf("message %d breaks LINE's schema: %v\n%s", i, ds, m.Raw)
				}
				mu.Lock()
				shapes[shape(m)]++
				if m.QuickReply != nil {
					shapes["quick replies"]++
				}
				mu.Unlock()
			}
			if m := expectFiled.FindSubmatch(in); m != nil {
				want, _ := strconv.Atoi(string(m[1]))
				if got := sys.Sandbox.Filed(); got != want {
					t.Errorf("filed %d withdrawals; want %d", got, want)
				}
				// Each with the record of what the user was shown and
				// agreed to, which the sandbox checked against the contract.
				if got := sys.Sandbox.Consents(); got != want {
					t.Errorf("%d of the %d withdrawals were filed with a consent record", got, want)
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

// shape names the kind of a message, for TestConversations's count.
func shape(m lineemu.Message) string {
	switch {
	case m.Contents != nil && m.Contents.Type == "bubble":
		for _, a := range m.Contents.Actions() {
			if a.Type == "uri" {
				return "flex bubble with a link"
			}
		}
		return "flex bubble"
	case m.Contents != nil:
		return "flex " + m.Contents.Type
	}
	return m.Type
}

// TestReadmeShowsRealTranscripts keeps the README's transcripts true: they
// must be the golden files, verbatim.
func TestReadmeShowsRealTranscripts(t *testing.T) {
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(repo, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	readme := read("README.md")
	clean := read("testdata/conversations/clean_withdrawal.golden")
	blocked := read("testdata/conversations/blocked_everything.golden")
	english := read("testdata/conversations/en_walkthrough.golden")
	from := []byte("番号> acc_many")
	i := bytes.Index(blocked, from)
	if i < 0 {
		t.Fatalf("blocked_everything.golden lacks %q, where the README's excerpt starts", from)
	}
	for name, want := range map[string][]byte{
		"clean_withdrawal.golden": clean, "blocked_everything.golden (from the login on)": blocked[i:], "en_walkthrough.golden": english,
	} {
		if !bytes.Contains(readme, want) {
			t.Errorf("README's transcript differs from testdata/conversations/%s; copy it in", name)
		}
	}
}
