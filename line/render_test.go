package line

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/flows"
)

var yesNo = []flows.Choice{{Label: "はい", Data: "a=yes"}, {Label: "いいえ", Data: "a=no"}, {Label: "担当者に相談する", Data: "a=staff"}}

// decoded is a rendered message read back as LINE would.
type decoded struct {
	Type       string
	Text       string
	AltText    string
	Contents   *node
	QuickReply *struct {
		Items []struct {
			Type   string
			Action action
		}
	}
}

// node is any Flex container or component.
type node struct {
	Type     string
	Text     string
	Weight   string
	Style    string
	Size     string
	Body     *node
	Footer   *node
	Contents []node
	Action   *action
}

func decode(t *testing.T, replies []flows.Reply) []decoded {
	t.Helper()
	raw, err := Render(replies)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]decoded, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			t.Fatalf("message %d: %v: %s", i, err, r)
		}
	}
	return out
}

// buttons lists the actions of n's buttons, in order.
func buttons(n *node) []action {
	if n == nil {
		return nil
	}
	var as []action
	if n.Type == "button" && n.Action != nil {
		as = append(as, *n.Action)
	}
	as = append(as, buttons(n.Body)...)
	as = append(as, buttons(n.Footer)...)
	for i := range n.Contents {
		as = append(as, buttons(&n.Contents[i])...)
	}
	return as
}

// texts lists the texts of n's text components, in order.
func texts(n *node) []string {
	if n == nil {
		return nil
	}
	var ts []string
	if n.Type == "text" {
		ts = append(ts, n.Text)
	}
	ts = append(ts, texts(n.Body)...)
	ts = append(ts, texts(n.Footer)...)
	for i := range n.Contents {
		ts = append(ts, texts(&n.Contents[i])...)
	}
	return ts
}

func quick(m decoded) []action {
	if m.QuickReply == nil {
		return nil
	}
	var as []action
	for _, it := range m.QuickReply.Items {
		if it.Type != "action" {
			return nil
		}
		as = append(as, it.Action)
	}
	return as
}

func postbacks(cs []flows.Choice) []action {
	var as []action
	for _, c := range cs {
		as = append(as, action{Type: "postback", Label: c.Label, Data: c.Data, DisplayText: c.Label})
	}
	return as
}

// TestChoicesShowOnEveryClient: the step's choices are buttons in its
// message (a Flex bubble, which LINE for PC shows) and the same postbacks
// as quick replies on the last message (which the phone apps show), with
// the words as altText for notifications.
func TestChoicesShowOnEveryClient(t *testing.T) {
	msgs := decode(t, []flows.Reply{{Text: "一"}, {Text: "二\n三", Choices: yesNo}})
	if len(msgs) != 2 || msgs[0].Type != "text" || msgs[0].Text != "一" || msgs[0].QuickReply != nil {
		t.Fatalf("messages %+v; want a text, then the bubble", msgs)
	}
	m := msgs[1]
	if m.Type != "flex" || m.AltText != "二\n三" || m.Contents == nil || m.Contents.Type != "bubble" {
		t.Fatalf("last message %+v; want a bubble with altText", m)
	}
	if got := texts(m.Contents); !cmp.Equal(got, []string{"二\n三"}) {
		t.Errorf("bubble texts %q; want the reply's text", got)
	}
	if diff := cmp.Diff(postbacks(yesNo), buttons(m.Contents)); diff != "" {
		t.Errorf("bubble buttons (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(postbacks(yesNo), quick(m)); diff != "" {
		t.Errorf("quick replies (-want +got):\n%s", diff)
	}
}

func TestLinkIsTheBubblesFirstButton(t *testing.T) {
	link := &flows.Link{Label: "ログインして連携する", URL: "https://m.example/link?linkToken=a&b=c"}
	raw, err := Render([]flows.Reply{{Text: "ログインしてください。", Link: link, Choices: yesNo[1:]}})
	if err != nil || len(raw) != 1 {
		t.Fatalf("Render: %d messages, %v", len(raw), err)
	}
	if !strings.Contains(string(raw[0]), "linkToken=a&b=c") {
		t.Errorf("the URL is escaped: %s", raw[0])
	}
	var m decoded
	json.Unmarshal(raw[0], &m)
	want := append([]action{{Type: "uri", Label: link.Label, URI: link.URL}}, postbacks(yesNo[1:])...)
	if diff := cmp.Diff(want, buttons(m.Contents)); diff != "" {
		t.Errorf("buttons (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(postbacks(yesNo[1:]), quick(m)); diff != "" {
		t.Errorf("quick replies (-want +got):\n%s", diff)
	}
	if strings.Contains(m.AltText, "linkToken") {
		t.Errorf("altText %q shows the link token in notifications", m.AltText)
	}
	// A URL LINE would refuse (and the whole message with it) gets no button.
	for _, bad := range []string{"javascript:alert(1)", "https://m.example/注文", "https://m.example/a b", "/relative", "https://m.example/" + strings.Repeat("a", 1000)} {
		msgs := decode(t, []flows.Reply{{Text: "x", Link: &flows.Link{Label: "開く", URL: bad}}})
		if b := buttons(msgs[0].Contents); len(b) != 0 {
			t.Errorf("URL %q: buttons %+v; want none", bad, b)
		}
	}
}

var cards = []flows.Card{
	{Title: "購入した取引が完了していません", Lines: []string{"「LP制作」", "注文番号 o-4001", "出品者：ウェブ制作ラボ"}, Note: "承認してください。",
		Link: &flows.Link{Label: "注文を開く", URL: "https://m.example/o-4001"}, Text: "■ 購入…\nhttps://m.example/o-4001"},
	{Title: "売上金の残高が15,400円あります", Note: "振込申請をしてください。", Text: "■ 売上金…"},
}

// TestCardsAreACarousel: a reply with cards is its text, then a carousel
// of a bubble per card (title, facts, what to do, a button to the order),
// whose altText is the cards' plain text.
func TestCardsAreACarousel(t *testing.T) {
	msgs := decode(t, []flows.Reply{{Text: "次の2件の対応が必要です。", Cards: cards}, {Text: "済んだら押してください。", Choices: yesNo}})
	if len(msgs) != 3 || msgs[0].Text != "次の2件の対応が必要です。" || msgs[1].Type != "flex" || msgs[2].Type != "flex" {
		t.Fatalf("messages %+v; want the head, the carousel, the bubble", msgs)
	}
	c := msgs[1]
	if c.Contents.Type != "carousel" || len(c.Contents.Contents) != 2 || c.QuickReply != nil {
		t.Fatalf("carousel %+v; want 2 bubbles and no quick replies", c.Contents)
	}
	if c.AltText != cards[0].Text+"\n\n"+cards[1].Text {
		t.Errorf("altText %q; want the cards' text", c.AltText)
	}
	first := &c.Contents.Contents[0]
	if got, want := texts(first), append(append([]string{cards[0].Title}, cards[0].Lines...), cards[0].Note); !cmp.Equal(got, want) {
		t.Errorf("first card's texts %q; want %q", got, want)
	}
	if diff := cmp.Diff([]action{{Type: "uri", Label: "注文を開く", URI: "https://m.example/o-4001"}}, buttons(first)); diff != "" {
		t.Errorf("first card's button (-want +got):\n%s", diff)
	}
	if b := buttons(&c.Contents.Contents[1]); len(b) != 0 {
		t.Errorf("a card without a page has buttons %+v", b)
	}
	if len(quick(msgs[2])) != len(yesNo) {
		t.Errorf("quick replies not on the last message")
	}
}

// TestRenderKeepsLINELimits: at most five messages (the first replies
// folded into one text, a reply with cards counting two), 13 quick replies,
// labels cut to 20 and 40 grapheme clusters, a bubble within 30 KB and a
// carousel within 12 bubbles and 50 KB (else sent as text).
func TestRenderKeepsLINELimits(t *testing.T) {
	var replies []flows.Reply
	for i := 0; i < 4; i++ {
		replies = append(replies, flows.Reply{Text: fmt.Sprintf("%d", i), Choices: yesNo[:1]})
	}
	long := "とても長いボタンの名前です、二十文字を超えています。四十文字も超えるように、もう少し長く書いておきます"
	var choices []flows.Choice
	for i := 0; i < 15; i++ {
		choices = append(choices, flows.Choice{Label: long, Data: fmt.Sprintf("a=%d", i)})
	}
	replies = append(replies, flows.Reply{Text: "head", Cards: cards}, flows.Reply{Text: "last", Choices: choices})
	msgs := decode(t, replies)
	if len(msgs) != maxMessages {
		t.Fatalf("%d messages; want %d", len(msgs), maxMessages)
	}
	if msgs[0].Type != "text" || msgs[0].Text != "0\n\n1\n\n2" || msgs[1].Text != "3" || msgs[2].Text != "head" || msgs[3].Contents.Type != "carousel" {
		t.Errorf("messages %+v; want the first three folded into one text, the fourth, the head and the carousel", msgs)
	}
	last := msgs[len(msgs)-1]
	q := quick(last)
	if len(q) != maxQuickReplies {
		t.Fatalf("%d quick replies; want %d", len(q), maxQuickReplies)
	}
	if q[0].Label != "とても長いボタンの名前です、二十文字を…" || q[0].DisplayText != long {
		t.Errorf("quick reply label %q, displayText %q; want cut to 20 and whole", q[0].Label, q[0].DisplayText)
	}
	bs := buttons(last.Contents)
	if len(bs) != len(choices) || []rune(bs[0].Label)[39] != '…' || len([]rune(bs[0].Label)) != maxButtonLabel {
		t.Errorf("%d buttons, the first %q; want all %d, cut to 40", len(bs), bs[0].Label, len(choices))
	}
	for _, m := range msgs[:len(msgs)-1] {
		if m.QuickReply != nil {
			t.Errorf("quick replies on a message before the last: %+v", m)
		}
	}

	// Too big or too many for Flex: sent as text.
	var big []flows.Choice
	for i := 0; i < 60; i++ {
		big = append(big, flows.Choice{Label: "x", Data: strings.Repeat("d", 300)})
	}
	if m := decode(t, []flows.Reply{{Text: strings.Repeat("あ", 5000), Choices: big}}); m[0].Type != "text" || len(quick(m[0])) != maxQuickReplies {
		t.Errorf("a bubble over 30 KB: %s with %d quick replies; want text with them", m[0].Type, len(quick(m[0])))
	}
	many := make([]flows.Card, maxBubbles+1)
	for i := range many {
		many[i] = flows.Card{Title: "t", Text: fmt.Sprintf("card %d", i)}
	}
	if m := decode(t, []flows.Reply{{Cards: many}}); len(m) != 1 || m[0].Type != "text" || !strings.HasSuffix(m[0].Text, "card 12") {
		t.Errorf("13 cards: %+v; want their text", m)
	}
	heavy := make([]flows.Card, maxBubbles)
	for i := range heavy {
		heavy[i] = flows.Card{Title: strings.Repeat("あ", 2000), Text: "t"}
	}
	if m := decode(t, []flows.Reply{{Cards: heavy}}); m[0].Type != "text" {
		t.Errorf("a carousel over 50 KB: %s; want text", m[0].Type)
	}
	if m := decode(t, []flows.Reply{{Cards: heavy[:2]}}); m[0].Type != "flex" {
		t.Errorf("a carousel within 50 KB: %s; want flex", m[0].Type)
	}
}

func TestRenderSendsNoZeroFlex(t *testing.T) {
	raw, err := Render([]flows.Reply{{Text: "head", Cards: cards}, {Text: "二", Choices: yesNo}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range raw {
		// The SDK's Flex structs send "flex":0, which squeezes components
		// in horizontal boxes (line-bot-sdk-go#505); empty fields are noise.
		if s := string(r); strings.Contains(s, `"flex":`) || strings.Contains(s, `:""`) || strings.Contains(s, `:null`) || strings.Contains(s, `\u`) {
			t.Errorf("message carries zero or escaped fields: %s", s)
		}
	}
}

func TestRenderEncodesEachMessage(t *testing.T) {
	raw, err := Render([]flows.Reply{{Text: "一"}, {Text: "二", Choices: []flows.Choice{{Label: "はい", Data: "a=yes"}}}})
	if err != nil || len(raw) != 2 {
		t.Fatalf("Render: %d messages, %v; want 2", len(raw), err)
	}
	for i, want := range []string{"text", "flex"} {
		var m struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(raw[i], &m); err != nil || m.Type != want {
			t.Errorf("message %d: type %q, %v; want %s", i, m.Type, err, want)
		}
	}
	if raw, err := Render(nil); err != nil || len(raw) != 0 {
		t.Errorf("Render(nil) = %d messages, %v; want none", len(raw), err)
	}
}

func TestRetryKeyIsAStableUUID(t *testing.T) {
	a, b := RetryKey(demoUser, "01KXHMQFSR8SD8GWMM7MM953HP"), RetryKey(demoUser, "01KXHMQFSR8SD8GWMM7MM953HP")
	if a != b || len(a) != 36 || a[14] != '5' || RetryKey(demoUser, "other") == a {
		t.Errorf("RetryKey = %q, %q; want equal v5-layout UUIDs distinct per key", a, b)
	}
}

// TestWorstBlockedViewFits renders the largest blocked view the flow can
// make — more blockers than it lists, each with the longest title and
// counterparty it shows and a 1,000-character order URL, in both
// languages — and checks it stays a carousel within LINE's sizes.
func TestWorstBlockedViewFits(t *testing.T) {
	long := strings.Repeat("長", 200)
	st := &taikai.Status{AccountID: "acc_x", DisplayName: strings.Repeat("名", 100), SalesBalanceJPY: 123456789}
	for i := 0; i < 20; i++ {
		o := taikai.Order{OrderID: fmt.Sprintf("o-%d", i), Title: long, Counterparty: long, URL: "https://market.example/orders/" + strings.Repeat("x", 970)}
		st.PurchasesInProgress = append(st.PurchasesInProgress, o)
	}
	for _, lang := range []flows.Lang{flows.LangJa, flows.LangEn} {
		env := flows.Env{Now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), Expiry: flows.DefaultExpiry, NewConv: "5eed5eed5eed5eed"}
		s, _ := flows.Next(flows.State{AccountID: st.AccountID, Lang: lang}, flows.Input{Kind: flows.InText, Text: "退会したい", MessageID: "m1"}, env)
		_, out := flows.Next(s, flows.Input{Kind: flows.InStatus, Status: st, Of: flows.EffCheck}, env)
		raw, err := Render(out.Replies)
		if err != nil {
			t.Fatal(err)
		}
		var carousels int
		for _, r := range raw {
			var m decoded
			json.Unmarshal(r, &m)
			if m.Contents == nil || m.Contents.Type != "carousel" {
				continue
			}
			carousels++
			var c struct{ Contents json.RawMessage }
			json.Unmarshal(r, &c)
			if n := len(m.Contents.Contents); n != 11 || len(c.Contents) > maxCarouselBytes || units(m.AltText) > maxAltText {
				t.Errorf("%s: %d bubbles, %d bytes, altText %d units; want 11 within %d bytes and %d units", lang, n, len(c.Contents), units(m.AltText), maxCarouselBytes, maxAltText)
			}
			t.Logf("%s: the largest carousel is %d bytes, %d bubbles", lang, len(c.Contents), len(m.Contents.Contents))
		}
		if carousels != 1 || len(raw) > maxMessages {
			t.Errorf("%s: %d messages, %d carousels; want the blockers as one carousel", lang, len(raw), carousels)
		}
	}
}

// TestBoundIsAtLeastTheSize holds bound to what it promises: never less
// than the JSON's length, for the strings that encode longest (control
// characters, invalid UTF-8, quotes and backslashes) and for the longest
// field values render makes; and MaxInt for what it does not know.
func TestBoundIsAtLeastTheSize(t *testing.T) {
	worst := []string{"", "a", "\x00\x01\x1f", "\xff\xfe", "\"\\", "<&>", "日本語", "\u2028\u2029", "👨‍👩‍👧", strings.Repeat("\x01", 5000), strings.Repeat("長", 5000)}
	var vs []any
	for _, s := range worst {
		a := action{Type: "postback", Label: s, Data: s, DisplayText: s, URI: s}
		tx := text{Type: "text", Text: s, Wrap: true, Weight: s, Size: s, Color: s, Margin: s}
		btn := button{Type: "button", Style: s, Height: s, Action: a}
		bx := box{Type: "box", Layout: s, Spacing: s, Contents: []any{tx, btn, tx}}
		bb := bubble{Type: "bubble", Body: &bx, Footer: &bx}
		vs = append(vs, a, tx, btn, bx, bb, carousel{Type: "carousel", Contents: []bubble{bb, {Type: s}}})
	}
	for _, c := range []flows.Card{{Title: "t", Lines: []string{"\x00", "\xff"}, Note: "\"", Link: &flows.Link{Label: "\\", URL: "https://x.example/?a=1&b=2"}}} {
		vs = append(vs, cardBubble(c))
	}
	for _, v := range vs {
		if b, s := bound(v), size(v); b < s {
			t.Errorf("%T: bound %d < size %d", v, b, s)
		}
	}
	if bound(message{}) != math.MaxInt || bound(box{Contents: []any{message{}}}) != math.MaxInt || bound(bubble{Body: &box{Contents: []any{1}}}) != math.MaxInt {
		t.Error("a type bound does not know is bounded")
	}
}
