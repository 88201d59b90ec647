package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"
)

var (
	userRe  = regexp.MustCompile(`^U[0-9a-f]{32}$`)
	ulidRe  = regexp.MustCompile(`^[0-7][0-9A-HJKMNP-TV-Z]{25}$`)
	tokenRe = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// TestBodiesAreLINEs: what the load generator posts is what the SDK
// accepts from LINE: signed with the channel secret, and parsed into the
// events it was made of.
func TestBodiesAreLINEs(t *testing.T) {
	g := newGen(channelSecret)
	u := g.user()
	evs := []event{g.text(u, "退会したい \"quoted\"\n"), g.sticker(u), g.postback(u, "a=continue&c=1&s=2"), g.accountLink(u, "bm9uY2U")}
	evs[3].redelivery = true
	body := g.body(evs...)
	req := httptest.NewRequest(http.MethodPost, "/callback", bytes.NewReader(body))
	req.Header.Set("x-line-signature", g.signer().sign(body))
	cb, err := webhook.ParseRequest(channelSecret, req)
	if err != nil {
		t.Fatalf("the SDK refuses the body: %v\n%s", err, body)
	}
	if cb.Destination != g.dest || len(cb.Events) != 4 {
		t.Fatalf("destination %q, %d events; want %q, 4", cb.Destination, len(cb.Events), g.dest)
	}
	text, ok := cb.Events[0].(webhook.MessageEvent)
	if !ok {
		t.Fatalf("event 0 is %T; want a MessageEvent", cb.Events[0])
	}
	if m, ok := text.Message.(webhook.TextMessageContent); !ok || m.Text != "退会したい \"quoted\"\n" || m.Id == "" || m.QuoteToken == "" {
		t.Errorf("text message: %#v", text.Message)
	}
	if src, ok := text.Source.(webhook.UserSource); !ok || src.UserId != u || !userRe.MatchString(u) {
		t.Errorf("source %#v; want user %s (U and 32 hex digits)", text.Source, u)
	}
	if text.ReplyToken != evs[0].token || !tokenRe.MatchString(text.ReplyToken) {
		t.Errorf("reply token %q; want %q (32 hex digits)", text.ReplyToken, evs[0].token)
	}
	if text.WebhookEventId != evs[0].id || !ulidRe.MatchString(text.WebhookEventId) || text.Mode != webhook.EventMode_ACTIVE {
		t.Errorf("webhookEventId %q mode %q; want %q, a ULID, active", text.WebhookEventId, text.Mode, evs[0].id)
	}
	if text.DeliveryContext == nil || text.DeliveryContext.IsRedelivery {
		t.Errorf("event 0: deliveryContext %#v; want not a redelivery", text.DeliveryContext)
	}
	if st, ok := cb.Events[1].(webhook.MessageEvent); !ok {
		t.Errorf("event 1 is %T", cb.Events[1])
	} else if _, ok := st.Message.(webhook.StickerMessageContent); !ok {
		t.Errorf("event 1's message is %T; want a sticker", st.Message)
	}
	if pb, ok := cb.Events[2].(webhook.PostbackEvent); !ok || pb.Postback == nil || pb.Postback.Data != "a=continue&c=1&s=2" {
		t.Errorf("event 2: %#v; want the postback", cb.Events[2])
	}
	al, ok := cb.Events[3].(webhook.AccountLinkEvent)
	if !ok || al.Link == nil || al.Link.Result != webhook.LinkContentRESULT_OK || al.Link.Nonce != "bm9uY2U" {
		t.Errorf("event 3: %#v; want an ok account link", cb.Events[3])
	} else if al.DeliveryContext == nil || !al.DeliveryContext.IsRedelivery {
		t.Errorf("event 3: want a redelivery")
	}

	req = httptest.NewRequest(http.MethodPost, "/callback", bytes.NewReader(body))
	req.Header.Set("x-line-signature", newGen("another secret").signer().sign(body))
	if _, err := webhook.ParseRequest(channelSecret, req); err == nil {
		t.Error("a body signed with another secret was accepted")
	}
}

// TestNothingRepeats: users, event ids, reply tokens and bodies are never
// the same twice, also when made concurrently, and two runs share none.
func TestNothingRepeats(t *testing.T) {
	seen := map[string]bool{}
	var mu sync.Mutex
	add := func(kind, v string) {
		mu.Lock()
		defer mu.Unlock()
		if seen[kind+v] {
			t.Errorf("%s %q made twice", kind, v)
		}
		seen[kind+v] = true
	}
	for _, g := range []*gen{newGen(channelSecret), newGen(channelSecret)} {
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 2000 {
					e := g.text(g.user(), "こんにちは")
					add("user", e.user)
					add("id", e.id)
					add("token", e.token)
					add("body", string(g.body(e)))
				}
			})
		}
		wg.Wait()
	}
}

func TestULID(t *testing.T) {
	for _, tc := range []struct {
		ms   uint64
		hi   uint16
		lo   uint64
		want string
	}{
		{0, 0, 0, "00000000000000000000000000"},
		{1<<48 - 1, 0xffff, 1<<64 - 1, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"},
		// The spec's example, 01ARYZ6S41TSV4RRFFQ69G5FAV, has the time 1469918176385.
		{1469918176385, 0, 0, "01ARYZ6S410000000000000000"},
		{0, 0, 31, "0000000000000000000000000Z"},
		{0, 1, 0, "0000000000000G000000000000"},
	} {
		if got := ulid(tc.ms, tc.hi, tc.lo); got != tc.want {
			t.Errorf("ulid(%d, %#x, %#x) = %s; want %s", tc.ms, tc.hi, tc.lo, got, tc.want)
		}
	}
}

func TestParseStat(t *testing.T) {
	// A command name with spaces and a parenthesis, as /proc allows.
	line := []byte("4242 (taikai (x) y) S 1 4242 4242 0 -1 4194560 2616 0 0 0 1234 567 0 0 20 0 9 0 100 1000000 2000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n")
	got, err := parseStat(line)
	if err != nil || got != (1234+567)*clockTick {
		t.Errorf("parseStat = %v, %v; want %v", got, err, (1234+567)*clockTick)
	}
	if _, err := parseStat([]byte("4242 (x) S 1 2")); err == nil {
		t.Error("a short stat line was accepted")
	}
	status := []byte("Name:\ttaikai\nVmPeak:\t  900000 kB\nVmHWM:\t   18432 kB\nVmRSS:\t   12000 kB\n")
	if got, err := parseStatus(status, "VmHWM"); err != nil || got != 18432<<10 {
		t.Errorf("VmHWM = %d, %v; want %d", got, err, 18432<<10)
	}
	if _, err := parseStatus(status, "VmSwap"); err == nil {
		t.Error("a missing field was found")
	}
}

func TestParseProcStat(t *testing.T) {
	stat := []byte("cpu  300717 295 42892 322241 769 0 5822 4578 0 0\ncpu0 150000 100 20000 160000 300 0 3000 2000 0 0\n")
	want := time.Duration(300717+295+42892+0+5822+4578) * clockTick
	if got, err := parseProcStat(stat); err != nil || got != want {
		t.Errorf("parseProcStat = %v, %v; want %v (busy and stolen; not idle, not iowait)", got, err, want)
	}
	if _, err := parseProcStat([]byte("intr 1 2 3\n")); err == nil {
		t.Error("a file without the cpu line was accepted")
	}
}

func TestParseInfo(t *testing.T) {
	info := "# Clients\r\nconnected_clients:7\r\n# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\nmem_clients_normal:20000\r\n" +
		"# Stats\r\ntotal_connections_received:42\r\n# Commandstats\r\n" +
		"cmdstat_hset:calls=10,usec=31,usec_per_call=3.10,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_memory|usage:calls=3,usec=9,usec_per_call=3.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_info:calls=5,usec=50,usec_per_call=10.00,rejected_calls=0,failed_calls=0\r\n" +
		"# Keyspace\r\ndb0:keys=12,expires=3,avg_ttl=0\r\ndb9:keys=8,expires=0,avg_ttl=0\r\n"
	s := parseInfo(info)
	if s.clients != 7 || s.usedMem != 1048576 || s.clientMem != 20000 || s.conns != 42 || s.keys != 20 {
		t.Errorf("parsed %+v", s)
	}
	if got := s.cmds["hset"]; got != (cmdStat{10, 31}) {
		t.Errorf("hset %+v; want 10 calls, 31 µs", got)
	}
	before := parseInfo("cmdstat_hset:calls=4,usec=1\r\ncmdstat_hello:calls=1,usec=1\r\ntotal_connections_received:40\r\nused_memory:1000\r\n")
	d := s.sub(before)
	if d.calls != 6 || d.conns != 2 || d.mem != 1048576-1000 || d.hello != 0 {
		t.Errorf("delta %+v; want 6 calls (the benchmark's own INFO and MEMORY left out), 2 connections", d)
	}
}

func TestKeyPattern(t *testing.T) {
	for k, want := range map[string]string{
		"taikai:{Ue8dafe9e1ea8071f3031bf970cc75bcf}:conv":   "taikai:{U…}:conv",
		"taikai:{p13}:evt:01KXHMQFSR8SD8GWMM7MM953HP":       "taikai:{p…}:evt:<event>",
		"taikai:console:day:2026-11-26":                     "taikai:console:day:<date>",
		"taikai:{p2}:evt:sha256:0123456789abcdef0123456789": "taikai:{p…}:evt:<event>",
	} {
		if got := keyPattern(k); got != want {
			t.Errorf("keyPattern(%q) = %q; want %q", k, got, want)
		}
	}
}

// TestFakeLINE: the SDK's own client (what both bots use) can reply
// through the fake API; a token is good once; unknown tokens and a wrong
// access token are refused and counted.
func TestFakeLINE(t *testing.T) {
	f := newFakeLINE(accessToken)
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	api, err := messaging_api.NewMessagingApiAPI(accessToken, messaging_api.WithEndpoint(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	reply := func(api *messaging_api.MessagingApiAPI, token string) error {
		_, err := api.ReplyMessage(&messaging_api.ReplyMessageRequest{
			ReplyToken: token, Messages: []messaging_api.MessageInterface{messaging_api.TextMessage{Text: "hi"}},
		})
		return err
	}
	f.expect("0123456789abcdef0123456789abcdef", "Ue8dafe9e1ea8071f3031bf970cc75bcf")
	f.expect("fedcba9876543210fedcba9876543210", "Ue8dafe9e1ea8071f3031bf970cc75bcf")
	if n := f.unanswered(); n != 2 {
		t.Errorf("unanswered %d; want 2", n)
	}
	if err := reply(api, "0123456789abcdef0123456789abcdef"); err != nil {
		t.Fatalf("reply: %v", err)
	}
	if err := reply(api, "0123456789abcdef0123456789abcdef"); err == nil || !strings.Contains(err.Error(), "Invalid reply token") {
		t.Errorf("second use of a token: %v; want Invalid reply token", err)
	}
	if err := reply(api, "00000000000000000000000000000000"); err == nil {
		t.Error("an unknown token was accepted")
	}
	other, _ := messaging_api.NewMessagingApiAPI("wrong", messaging_api.WithEndpoint(srv.URL))
	if err := reply(other, "fedcba9876543210fedcba9876543210"); err == nil {
		t.Error("a wrong access token was accepted")
	}
	if _, err := api.ShowLoadingAnimation(&messaging_api.ShowLoadingAnimationRequest{ChatId: "Ue8dafe9e1ea8071f3031bf970cc75bcf", LoadingSeconds: 10}); err != nil {
		t.Errorf("loading: %v", err)
	}
	lt, err := api.IssueLinkToken("Ue8dafe9e1ea8071f3031bf970cc75bcf")
	if err != nil || lt.LinkToken == "" {
		t.Errorf("link token: %v %v", lt, err)
	}
	got := f.counts()
	want := lineCounts{replies: 1, loading: 1, linkTokens: 1, unknownToken: 1, reusedToken: 1, badAuth: 1}
	if got != want {
		t.Errorf("counts %+v; want %+v", got, want)
	}
	if n := f.unanswered(); n != 1 {
		t.Errorf("unanswered %d; want 1", n)
	}
	if f.lastReply.Load() == 0 {
		t.Error("the last reply's time was not kept")
	}
}

// TestFakeLINEDialog: LINE's account-link dialog sends the event once per
// link token, for the user the token was issued to.
func TestFakeLINEDialog(t *testing.T) {
	f := newFakeLINE(accessToken)
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	var linked []string
	f.setOnLink(func(_ context.Context, user, nonce string) error {
		linked = append(linked, user+" "+nonce)
		return nil
	})
	api, _ := messaging_api.NewMessagingApiAPI(accessToken, messaging_api.WithEndpoint(srv.URL))
	lt, err := api.IssueLinkToken("Ue8dafe9e1ea8071f3031bf970cc75bcf")
	if err != nil {
		t.Fatal(err)
	}
	open := func() int {
		res, err := http.Get(srv.URL + "/dialog/bot/accountLink?linkToken=" + lt.LinkToken + "&nonce=n0nce")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := open(); code != 200 {
		t.Errorf("dialog: HTTP %d; want 200", code)
	}
	if code := open(); code != 400 {
		t.Errorf("dialog with a used token: HTTP %d; want 400", code)
	}
	if len(linked) != 1 || linked[0] != "Ue8dafe9e1ea8071f3031bf970cc75bcf n0nce" {
		t.Errorf("linked %q; want the token's user once", linked)
	}
}

func TestQuantileAndMedian(t *testing.T) {
	var r loadResult
	for i := 1; i <= 100; i++ {
		r.lat = append(r.lat, time.Duration(i)*time.Millisecond)
	}
	if r.quantile(0.5) != 51*time.Millisecond || r.quantile(0.99) != 100*time.Millisecond {
		t.Errorf("p50 %v p99 %v; want 51ms 100ms", r.quantile(0.5), r.quantile(0.99))
	}
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median of 3,1,2 = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median of 4,1,3,2 = %v", m)
	}
}
