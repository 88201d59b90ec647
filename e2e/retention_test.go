package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai/bot"
	"github.com/taikaibot/taikai/demo"
	"github.com/taikaibot/taikai/internal/redistest"
	"github.com/taikaibot/taikai/replica"
)

// kept is one Redis key that names the user or holds something of theirs.
type kept struct {
	key string
	ttl time.Duration // -1 when it has none
}

// keptOf lists every key under prefix whose name or content holds one of
// needles: the user's own keys, and any other that mentions them.
func keptOf(t *testing.T, rdb redis.UniversalClient, prefix string, needles ...string) []kept {
	t.Helper()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []kept
	for _, k := range keys {
		var content string
		switch rdb.Type(ctx, k).Val() {
		case "string":
			content = rdb.Get(ctx, k).Val()
		case "hash":
			content = fmt.Sprint(rdb.HGetAll(ctx, k).Val())
		case "list":
			content = fmt.Sprint(rdb.LRange(ctx, k, 0, -1).Val())
		case "set":
			content = fmt.Sprint(rdb.SMembers(ctx, k).Val())
		case "zset":
			content = fmt.Sprint(rdb.ZRange(ctx, k, 0, -1).Val())
		case "stream":
			content = fmt.Sprint(rdb.XRange(ctx, k, "-", "+").Val())
		}
		for _, n := range needles {
			if strings.Contains(k, n) || strings.Contains(content, n) {
				out = append(out, kept{key: strings.TrimPrefix(k, prefix), ttl: rdb.PTTL(ctx, k).Val()})
				break
			}
		}
	}
	return out
}

// memoKey is the key of what is remembered of user's filing, under the
// keyed hash of the user id.
func memoKey(user string) string {
	m := hmac.New(sha256.New, replica.PseudonymKey(demo.ChannelSecret))
	m.Write([]byte(user))
	return "memo:filed:" + hex.EncodeToString(m.Sum(nil))
}

// TestAWithdrawnOrUnlinkedUserLeavesNothing: once a user withdrew, nothing
// in Redis names them or holds their account but the audit record of the
// filing and, for a week, the receipt kept under their pseudonym; what the
// last save needs for a while (version, applied events, outbox, fence)
// expires within 10 minutes. An unlinked user likewise, without either.
func TestAWithdrawnOrUnlinkedUserLeavesNothing(t *testing.T) {
	for _, withdraw := range []bool{true, false} {
		name := map[bool]string{true: "withdrawn", false: "unlinked"}[withdraw]
		t.Run(name, func(t *testing.T) {
			rdb, prefix, mr := redistest.Redis(t)
			sys := startSystemWith(t, demo.Config{Redis: rdb, KeyPrefix: prefix})
			toConfirm(t, sys, "acc_clean")
			if withdraw {
				send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "退会する")))
				if sys.Sandbox.Filed() != 1 {
					t.Fatal("not filed")
				}
			} else {
				send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "退会をやめる")))
				send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "連携を解除する")))
				if ts := texts(sys); !strings.Contains(ts[len(ts)-1], "連携を解除しました") {
					t.Fatalf("not unlinked: %q", ts[len(ts)-1])
				}
			}
			for _, k := range keptOf(t, rdb, prefix, user, "acc_clean") {
				switch {
				case k.key == "console:audit" && withdraw:
					// The record of the filing: the account, not the user.
				case k.ttl > 0 && k.ttl <= 10*time.Minute:
					// Bookkeeping of the last save, on its way out.
				default:
					t.Errorf("%s kept (TTL %v)", k.key, k.ttl)
				}
			}
			ttl := rdb.PTTL(context.Background(), prefix+memoKey(user)).Val()
			if withdraw && (ttl <= 0 || ttl > 7*24*time.Hour) {
				t.Errorf("the receipt's memo: TTL %v; want at most 7 days", ttl)
			}
			if !withdraw && ttl != -2 {
				t.Errorf("a memo kept for an unlinked user (TTL %v)", ttl)
			}
			if mr == nil {
				return // the rest needs the embedded Redis's clock
			}
			mr.FastForward(10*time.Minute + time.Second)
			for _, k := range keptOf(t, rdb, prefix, user) {
				t.Errorf("10 minutes later, %s is still kept (TTL %v)", k.key, k.ttl)
			}
		})
	}
}

// TestAnUnfollowedUserIsKeptForBoundedTime: a linked user who blocks the
// bot in the middle of a withdrawal leaves only keys with a TTL, the link's
// 30 days at most; following again keeps the link for as long as they are
// around.
func TestAnUnfollowedUserIsKeptForBoundedTime(t *testing.T) {
	rdb, prefix, _ := redistest.Redis(t)
	sys := startSystemWith(t, demo.Config{Redis: rdb, KeyPrefix: prefix})
	toConfirm(t, sys, "acc_clean")
	send(t, sys, sys.Emulator.Unfollow(user))
	ks := keptOf(t, rdb, prefix, user, "acc_clean")
	link := false
	for _, k := range ks {
		if k.ttl <= 0 || k.ttl > bot.UnfollowedLinkTTL {
			t.Errorf("%s: TTL %v; want at most %v", k.key, k.ttl, bot.UnfollowedLinkTTL)
		}
		if k.key == "{"+user+"}:link" {
			link = true
			if k.ttl < bot.UnfollowedLinkTTL-time.Minute {
				t.Errorf("link TTL %v; want %v", k.ttl, bot.UnfollowedLinkTTL)
			}
		}
	}
	if !link {
		t.Errorf("no link kept after the unfollow (%v); want it kept for a while", ks)
	}
	send(t, sys, sys.Emulator.Follow(user, true))
	if ttl := rdb.PTTL(context.Background(), prefix+"{"+user+"}:link").Val(); ttl != -1 {
		t.Errorf("followed again: link TTL %v; want none", ttl)
	}
}

// TestAReservationIsKeptAsLongAsItsWaitAndNoLonger: a user waiting for a
// reminder keeps the conversation past the reminder (not the usual 48
// hours) and an entry in the reminders' index; unlinking, or blocking the
// bot, takes the entry out at once and leaves the rest as it would.
func TestAReservationIsKeptAsLongAsItsWaitAndNoLonger(t *testing.T) {
	for _, how := range []string{"unlink", "block"} {
		t.Run(how, func(t *testing.T) {
			rdb, prefix, _ := redistest.Redis(t)
			sys := startSystemWith(t, demo.Config{Redis: rdb, KeyPrefix: prefix, Start: conversationStart})
			send(t, sys, sys.Emulator.Text(user, "退会したい"))
			linkAs(t, sys, "acc_payout")
			send(t, sys, sys.Emulator.Postback(user, lastButton(t, sys, "振込後にお知らせを受け取る")))
			due := time.Date(2026, 11, 28, 10, 0, 0, 0, time.FixedZone("JST", 9*60*60))
			ctx := context.Background()
			if s, err := rdb.ZScore(ctx, prefix+"reminders", user).Result(); err != nil || int64(s) != due.UnixMilli() {
				t.Fatalf("the reminder's entry: %v, %v; want %v", s, err, due)
			}
			// Kept 48 hours past the reminder, however far it is.
			wait := due.Sub(sys.Clock.Now())
			if ttl := rdb.PTTL(ctx, prefix+"{"+user+"}:rec").Val(); ttl < wait+47*time.Hour || ttl > wait+49*time.Hour {
				t.Errorf("the conversation is kept %v; want the %v to the reminder and 48 hours more", ttl, wait.Round(time.Minute))
			}
			if how == "unlink" {
				send(t, sys, sys.Emulator.Text(user, "連携解除"))
			} else {
				send(t, sys, sys.Emulator.Unfollow(user))
			}
			if _, err := rdb.ZScore(ctx, prefix+"reminders", user).Result(); err != redis.Nil {
				t.Errorf("the reminder outlives the %s (%v)", how, err)
			}
			for _, k := range keptOf(t, rdb, prefix, user) {
				if k.ttl < 0 || (how == "unlink" && k.ttl > 10*time.Minute) || k.ttl > 30*24*time.Hour {
					t.Errorf("%s kept (TTL %v)", k.key, k.ttl)
				}
			}
		})
	}
}
