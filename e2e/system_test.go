package e2e

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/taikaibot/taikai/demo"
	"github.com/taikaibot/taikai/internal/redistest"
	"github.com/taikaibot/taikai/lineemu"
	"github.com/taikaibot/taikai/marketplace/sandbox"
)

func TestRecordedPayloadsThroughTheSystem(t *testing.T) {
	for _, tc := range []struct {
		file    string
		replies int    // messages the user receives
		want    string // in the last one
	}{
		{"follow.json", 1, "友だち追加ありがとうございます"},
		{"follow_unblocked.json", 1, "友だち追加"},
		{"message_text_taikai.json", 1, "アカウントとの連携が必要です"},
		{"message_text_fullwidth.json", 1, "アカウントとの連携が必要です"},
		{"message_sticker.json", 2, "退会をご希望の場合は"},
		{"message_image.json", 2, "退会をご希望の場合は"},
		{"postback_withdraw_reason.json", 2, "退会をご希望の場合は"},
		{"two_events_same_user.json", 3, "連携をお待ちしています"},    // the question answered, then where the user is
		{"account_link_failed.json", 0, ""},                // names no one: nobody to answer
		{"account_link_failed_user.json", 2, "退会をご希望の場合は"}, // explained, by push (no reply token)
		{"account_link_ok.json", 2, "こちらでは"},               // unknown nonce: explained
		{"unfollow.json", 0, ""},
		{"unsend.json", 0, ""},
		{"unknown_event.json", 0, ""},
		{"standby_message.json", 0, ""},
		{"verify_empty_events.json", 0, ""},
		{"one_malformed_event.json", 1, "アカウントとの連携が必要です"},
		{"group_message.json", 1, "1対1のトーク"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			sys := startSystem(t)
			body := recorded(t, tc.file, sys.Clock.Now())
			code, err := sys.Emulator.Post(context.Background(), body)
			if err != nil || code != http.StatusOK {
				t.Fatalf("webhook: %d, %v; want 200", code, err)
			}
			wait(t, sys)
			got := texts(sys)
			if len(got) != tc.replies {
				t.Fatalf("%d messages %q; want %d", len(got), got, tc.replies)
			}
			if tc.want != "" && !strings.Contains(got[len(got)-1], tc.want) {
				t.Errorf("last message %q; want it to contain %q", got[len(got)-1], tc.want)
			}
			if !strings.Contains(string(body), "replyToken") {
				for _, m := range sys.Emulator.Messages(user) {
					if m.Via != "push" {
						t.Errorf("an event without a reply token answered by %s", m.Via)
					}
				}
			}
			noViolations(t, sys)
		})
	}
}

func TestRedeliveredPayloadIsAnsweredOnce(t *testing.T) {
	sys := startSystem(t)
	for _, f := range []string{"message_text_taikai.json", "message_text_taikai_redelivered.json", "message_text_taikai.json"} {
		body := recorded(t, f, sys.Clock.Now())
		if code, err := sys.Emulator.Post(context.Background(), body); err != nil || code != http.StatusOK {
			t.Fatalf("%s: %d %v", f, code, err)
		}
	}
	wait(t, sys)
	if got := texts(sys); len(got) != 1 {
		t.Errorf("%d messages; want 1 for one event delivered three times", len(got))
	}
}

func TestUsedReplyTokenFallsBackToPush(t *testing.T) {
	sys := startSystem(t)
	first := sys.Emulator.Text(user, "こんにちは")
	send(t, sys, first)
	// Another event carrying the same (now used) reply token.
	second := sys.Emulator.Text(user, "退会したい")
	second["replyToken"] = first["replyToken"]
	send(t, sys, second)
	msgs := sys.Emulator.Messages(user)
	last := msgs[len(msgs)-1]
	if last.Via != "push" || !strings.Contains(last.Shown(), "連携が必要です") {
		t.Errorf("last message via %s: %+v; want the answer pushed", last.Via, last)
	}
	if sys.Emulator.Rejected() != 1 {
		t.Errorf("rejected replies: %d; want 1", sys.Emulator.Rejected())
	}
	noViolations(t, sys)
}

func TestBlockerAppearingBeforeFilingIsExplained(t *testing.T) {
	sys := startSystem(t)
	toConfirm(t, sys, "acc_clean")
	// Meanwhile the user buys something.
	sys.Sandbox.Update("acc_clean", func(a *sandbox.Account) {
		a.Purchases = append(a.Purchases, sandbox.Order{ID: "o-9001", Title: "アイコン作成", Counterparty: "絵描きのアトリエ", Status: sandbox.OrderInProgress})
	})
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "退会する")))
	got := strings.Join(texts(sys), "\n")
	if sys.Sandbox.Filed() != 0 || !strings.Contains(got, "申請の直前に") || !strings.Contains(got, "o-9001") {
		t.Fatalf("filed %d; messages:\n%s\nwant the new blocker explained and nothing filed", sys.Sandbox.Filed(), got)
	}
	sys.Sandbox.Update("acc_clean", func(a *sandbox.Account) { a.Purchases[0].Status = sandbox.OrderCompleted })
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "もう一度確認する")))
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "理解して次へ進む")))
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "回答しない")))
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "退会する")))
	if sys.Sandbox.Filed() != 1 {
		t.Errorf("filed %d; want 1 after the blocker was cleared", sys.Sandbox.Filed())
	}
	if n := sys.Emulator.LoadingShown(user); n != 2 {
		t.Errorf("loading animation shown %d times; want once per status check (2)", n)
	}
	noViolations(t, sys)
}

func TestConcurrentTapsFileOnce(t *testing.T) {
	sys := startSystem(t)
	toConfirm(t, sys, "acc_clean")
	data := lastButton(t, sys, "退会する")
	// Five taps of the same button, in one body and in parallel bodies.
	evs := []lineemu.Event{sys.Emulator.Postback(user, data), sys.Emulator.Postback(user, data)}
	done := make(chan struct{})
	for i := 0; i < 3; i++ {
		go func() {
			sys.Emulator.Send(context.Background(), sys.Emulator.Postback(user, data))
			done <- struct{}{}
		}()
	}
	send(t, sys, evs...)
	for i := 0; i < 3; i++ {
		<-done
	}
	wait(t, sys)
	if n := sys.Sandbox.Filed(); n != 1 {
		t.Errorf("filed %d times; want 1", n)
	}
	if n := sys.Sandbox.Calls("withdraw"); n != 1 {
		t.Errorf("withdraw called %d times; want 1 (later taps are stale)", n)
	}
	noViolations(t, sys)
}

func TestMarketplaceDownIsToldAndRecovers(t *testing.T) {
	var down atomic.Bool
	rdb, prefix, _ := redistest.Redis(t)
	sys, err := demo.Start(demo.Config{Redis: rdb, KeyPrefix: prefix, MarketFaults: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() && strings.HasPrefix(r.URL.Path, "/v1/accounts/") {
				http.Error(w, "maintenance", http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		})
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	send(t, sys, sys.Emulator.Text(user, "退会したい"))
	down.Store(true)
	linkAs(t, sys, "acc_clean")
	got := texts(sys)
	if !strings.Contains(got[len(got)-1], "接続できず") {
		t.Fatalf("marketplace down: %q; want it said plainly", got[len(got)-1])
	}
	down.Store(false)
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "もう一度確認する")))
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "理解して次へ進む")))
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "回答しない")))
	down.Store(true)
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "退会する")))
	got = texts(sys)
	if !strings.Contains(got[len(got)-1], "退会はまだ完了していません") || sys.Sandbox.Filed() != 0 {
		t.Fatalf("filing while down: %q; want the user told nothing was filed", got[len(got)-1])
	}
	down.Store(false)
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "退会する")))
	if sys.Sandbox.Filed() != 1 {
		t.Errorf("filed %d after recovery; want 1", sys.Sandbox.Filed())
	}
	noViolations(t, sys)
}

// TestLogsHoldNoMessageText checks what the logs say of a whole withdrawal:
// request ids and pseudonyms, never what the user wrote nor their LINE id.
func TestLogsHoldNoMessageText(t *testing.T) {
	var logs syncBuffer
	sys := startSystemWith(t, demo.Config{Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	send(t, sys, sys.Emulator.Text(user, "退会したい"))
	linkAs(t, sys, "acc_clean")
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "理解して次へ進む")))
	send(t, sys, sys.Emulator.Text(user, "引っ越し先の事情123のため"))
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "退会する")))
	out := logs.String()
	for _, secret := range []string{"引っ越し先の事情123のため", "退会したい", user, demo.ChannelSecret, demo.AccessToken} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
	for _, want := range []string{"request=", "user=", "transition=filed"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q", want)
		}
	}
}

// TestUsedNonceKeepsTheLink sends, for a linked user, an account-link event
// whose nonce is unknown (used, expired): the link stays, and the user is
// told the attempt was not valid.
func TestUsedNonceKeepsTheLink(t *testing.T) {
	sys := startSystem(t)
	send(t, sys, sys.Emulator.Text(user, "退会したい"))
	linkAs(t, sys, "acc_clean")
	body := recorded(t, "account_link_used_nonce.json", sys.Clock.Now())
	if code, err := sys.Emulator.Post(context.Background(), body); err != nil || code != http.StatusOK {
		t.Fatalf("webhook: %d, %v", code, err)
	}
	wait(t, sys)
	got := texts(sys)
	if len(got) < 2 || !strings.Contains(got[len(got)-2], "現在のアカウント連携はそのままです") {
		t.Fatalf("messages %q; want the attempt called invalid, the link kept", got)
	}
	rec, err := sys.Store.Load(context.Background(), user)
	if err != nil || rec.Link != "acc_clean" {
		t.Errorf("link %q, %v; want acc_clean still", rec.Link, err)
	}
	// The conversation goes on where it was.
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "理解して次へ進む")))
	noViolations(t, sys)
}

// TestProfileIsReadOnce counts the LINE profile reads of a whole
// withdrawal, and of what follows it: the language is read once and kept.
func TestProfileIsReadOnce(t *testing.T) {
	var reads atomic.Int64
	sys := startSystemWith(t, demo.Config{Language: "en", LineFaults: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/v2/bot/profile/") {
				reads.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	}})
	send(t, sys, sys.Emulator.Follow(user, false))
	send(t, sys, sys.Emulator.Text(user, "close my account"))
	linkAs(t, sys, "acc_clean")
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "I understand, go on")))
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "Prefer not to say")))
	send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "Confirm closure")))
	send(t, sys, sys.Emulator.Sticker(user))
	got := texts(sys)
	if sys.Sandbox.Filed() != 1 || !strings.Contains(got[len(got)-1], "has been received") {
		t.Fatalf("filed %d; last message %q", sys.Sandbox.Filed(), got[len(got)-1])
	}
	if n := reads.Load(); n != 1 {
		t.Errorf("the profile was read %d times; want once", n)
	}
	noViolations(t, sys)
}
