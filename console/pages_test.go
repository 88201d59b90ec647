package console

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
)

type fakeReplier struct {
	said []string
	err  error
}

func (r *fakeReplier) Say(_ context.Context, user, text, key string) error {
	if r.err != nil {
		return r.err
	}
	r.said = append(r.said, user+"|"+text+"|"+key)
	return nil
}

type fakeQuota struct {
	limit, used int64
	err         error
}

func (q *fakeQuota) MessageQuota(context.Context) (int64, int64, error) {
	return q.limit, q.used, q.err
}

// site is a console with a journal holding two cases: userA blocked
// (purchase, payout, balance) with staff having the conversation, userB
// waiting for staff.
type site struct {
	s     *Server
	j     *Journal
	reply *fakeReplier
	quota *fakeQuota
	now   time.Time
}

func newSite(t *testing.T) *site {
	t.Helper()
	e := newEnv(t)
	st := &site{j: NewJournal(e.rdb, e.prefix, Retention{}), reply: &fakeReplier{}, quota: &fakeQuota{limit: -1}, now: day0.Add(3 * 24 * time.Hour)}
	st.j.now = func() time.Time { return st.now }
	var err error
	st.s, err = New(Options{Journal: st.j, Handoff: &fakeHandoff{}, Users: map[string]string{staffName: staffPass}, Token: token,
		Replier: st.reply, Quota: st.quota, Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return st.now }, LiveEvery: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t1 := turnOf(userA, "postback", day0, flows.StepLinking, "c1", flows.EvStarted)
	st.j.Track(ctx, t1)
	t2 := turnOf(userA, "accountLink", day0.Add(2*time.Minute), flows.StepBlocked, "c1", flows.EvLinked, flows.EvChecked, flows.EvBlocked)
	t2.Checked = blockedStatus()
	t2.Replies = []flows.Reply{{Text: "山田花子さんが退会するには、先に次の3件の対応が必要です。"}, {Text: "対応が済んだら…", Choices: []flows.Choice{{Label: "もう一度確認する"}}}}
	st.j.Track(ctx, t2)
	t3 := turnOf(userA, "pause", day0.Add(time.Hour), flows.StepBlocked, "c1")
	t3.Handoff = taikai.HandoffPaused
	st.j.Track(ctx, t3)
	b := turnOf(userB, "postback", day0.Add(2*time.Hour), flows.StepWarning, "c2", flows.EvStarted, flows.EvChecked, flows.EvClear, flows.EvHandedOff)
	b.Handoff, b.State.AccountID, b.Pseudonym = taikai.HandoffRequested, "acc_b", "bbbbbbbbbbbb"
	st.j.Track(ctx, b)
	f := turnOf(userB, "postback", day0.Add(3*time.Hour), flows.StepIdle, "", flows.EvCancelled)
	f.Filing = &chat.Filing{Outcome: taikai.OutcomeNotFound}
	f.State.AccountID, f.Pseudonym, f.Handoff = "acc_b", "bbbbbbbbbbbb", taikai.HandoffRequested
	st.j.Track(ctx, f)
	return st
}

var bearerH = http.Header{"Authorization": {"Bearer " + token}}

func (st *site) get(t *testing.T, path string, lang string) (int, string) {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + token}}
	if lang != "" {
		h.Set("Accept-Language", lang)
	}
	w := do(st.s, http.MethodGet, path, nil, h)
	return w.Code, w.Body.String()
}

func (st *site) post(t *testing.T, path string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	_, page := st.get(t, "/console/audit", "")
	form.Set("csrf", csrfRe.FindStringSubmatch(page)[1])
	return do(st.s, http.MethodPost, path, form, bearerH)
}

// visibleText is what a page shows: its text, without markup, attributes,
// scripts or styles.
func visibleText(t *testing.T, page string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "style" || n.Data == "script" || n.Data == "code") {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data + " ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return b.String()
}

// codes are what the bot keeps that no one should read as such.
var codes = regexp.MustCompile(`\b(started|linked|checked|blocked|clear|warned|confirmed|filed|cancelled|expired|handed_off|` +
	`not_found|unavailable|purchase_in_progress|sale_awaiting_delivery|payout_in_progress|sales_balance|not_using|hard_to_earn|` +
	`reset_rating|linking|checking|reason_text|idle|while_paused|accountLink|postback)\b`)

var snakeCodes = regexp.MustCompile(`\b[a-z]+_[a-z_]+\b|\b(accountLink|postback)\b`)

func TestThePagesSpeakWordsNotCodes(t *testing.T) {
	st := newSite(t)
	for _, lang := range []string{"", "en-US,en;q=0.9,ja;q=0.5"} {
		for _, path := range []string{"/console/?days=7", "/console/conversations", "/console/conversations/" + userA, "/console/audit"} {
			code, page := st.get(t, path, lang)
			if code != http.StatusOK {
				t.Fatalf("%s: %d", path, code)
			}
			re := codes
			if lang != "" {
				re = snakeCodes // English words are many of the codes
			}
			if m := re.FindAllString(visibleText(t, page), -1); len(m) > 0 {
				t.Errorf("%s (%q) shows codes: %v", path, lang, m)
			}
			if strings.Contains(page, "%!") {
				t.Errorf("%s (%q): a format went wrong", path, lang)
			}
		}
	}
	_, ja := st.get(t, "/console/?days=7", "")
	_, en := st.get(t, "/console/?days=7", "en-GB,en;q=0.8")
	if !strings.Contains(ja, `<html lang="ja">`) || !strings.Contains(ja, "担当者に相談") || !strings.Contains(en, `<html lang="en">`) ||
		!strings.Contains(en, "Asked for a person") || strings.Contains(visibleText(t, en), "担当者") {
		t.Error("the overview is not in the browser's language (Japanese by default, English when asked)")
	}
	if _, fr := st.get(t, "/console/", "fr-FR,fr;q=0.9,en;q=0.8,ja;q=0.7"); !strings.Contains(fr, `lang="en"`) {
		t.Error("a French browser that prefers English to Japanese is not served English")
	}
}

func TestTheOverviewAnswersAtAGlance(t *testing.T) {
	st := newSite(t)
	_, page := st.get(t, "/console/?days=7", "")
	for _, want := range []string{
		`data-funnel="started">2<`, `data-funnel="checked">2<`, `data-funnel="clear">1<`, `data-conv="clear">50.0%<`,
		`最大の離脱`, `<div class="figure" id="waiting-now">1</div>`, `id="oldest-wait">2日</div>`,
		`data-outcome="not_found">1<`, `<title id="trend-t">`, `<desc id="trend-d">`, `role="img"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("overview lacks %s", want)
		}
	}
	if row := regexp.MustCompile(`(?s)<tr data-kind="purchase_in_progress">.*?</tr>`).FindString(page); !strings.Contains(row, `<td class="num">1</td>`) {
		t.Errorf("clearance row for purchases: %s", row)
	}
}

func TestTheCaseCard(t *testing.T) {
	st := newSite(t)
	code, page := st.get(t, "/console/conversations/"+userA, "")
	if code != http.StatusOK {
		t.Fatal(code)
	}
	text := visibleText(t, page)
	for _, want := range []string{"注文番号 o-100「ロゴ制作」", "45,800円（申請日 2026年10月30日、振込予定日 2026年11月10日）", "残高 1,200円",
		"2026-11-02 10:02時点", "山田花子さんが退会するには、先に次の3件の対応が必要です。", "もう一度確認する", "アカウント連携：アカウント連携、退会条件を確認、対応が必要な項目あり",
		"購入者・出品者", "対応が必要な項目あり"} {
		if !strings.Contains(text, want) {
			t.Errorf("case card lacks %q", want)
		}
	}
	if !strings.Contains(page, `id="reply-text"`) {
		t.Error("no reply form while staff have the conversation")
	}
	if _, p := st.get(t, "/console/conversations/"+userB, ""); strings.Contains(p, `id="reply-text"`) {
		t.Error("a reply form while the bot has the conversation")
	}
}

func TestNotesAreKeptAndAudited(t *testing.T) {
	st := newSite(t)
	w := st.post(t, "/console/conversations/"+userA+"/notes", url.Values{"note": {"  振込予定日を伝えた <b>済</b>  "}})
	if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "done=noted") {
		t.Fatalf("note: %d %s", w.Code, w.Header().Get("Location"))
	}
	_, page := st.get(t, "/console/conversations/"+userA, "")
	if !strings.Contains(page, "振込予定日を伝えた &lt;b&gt;済&lt;/b&gt;") {
		t.Error("the note is not on the card (escaped)")
	}
	es, _ := st.j.Audit(context.Background(), 10)
	if len(es) == 0 || es[0].Kind != auditNote || es[0].Staff != "token" || es[0].User != "a1b2c3d4e5f6" {
		t.Errorf("audit: %+v", es)
	}
	if w := st.post(t, "/console/conversations/"+userA+"/notes", url.Values{"note": {strings.Repeat("長", MaxNote+1)}}); !strings.Contains(w.Header().Get("Location"), "err=input") {
		t.Errorf("an overlong note: %s", w.Header().Get("Location"))
	}
	if w := st.post(t, "/console/conversations/U0000000000000000000000000000000f/notes", url.Values{"note": {"x"}}); w.Code != http.StatusNotFound {
		t.Errorf("a note on no case: %d", w.Code)
	}
}

func TestReplyingFromTheConsole(t *testing.T) {
	st := newSite(t)
	send := func(text string) string {
		t.Helper()
		w := st.post(t, "/console/conversations/"+userA+"/reply", url.Values{"text": {text}, "key": {"0123456789abcdef0123456789abcdef"}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("reply: %d", w.Code)
		}
		loc, _, _ := strings.Cut(w.Header().Get("Location"), "#") // a browser keeps the fragment
		return loc
	}
	if loc := send("担当の佐藤です。"); !strings.Contains(loc, "done=replied") || len(st.reply.said) != 1 ||
		st.reply.said[0] != userA+"|担当の佐藤です。|0123456789abcdef0123456789abcdef" {
		t.Fatalf("reply: %s, said %v", loc, st.reply.said)
	}
	es, _ := st.j.Audit(context.Background(), 1)
	if es[0].Kind != auditReply || es[0].Staff != "token" || es[0].Chars != 8 || es[0].Key != "0123456789abcdef0123456789abcdef" {
		t.Errorf("audit: %+v", es[0])
	}
	_, page := st.get(t, "/console/conversations/"+userA, "")
	if !strings.Contains(page, `id="staff-said">担当の佐藤です。<`) {
		t.Error("the card does not show what staff sent")
	}

	// The month's messages nearly spent: refused, politely, with the numbers.
	st.quota.limit, st.quota.used = 1000, 991
	loc := send("もう一通")
	_, page = st.get(t, loc, "")
	if len(st.reply.said) != 1 || !strings.Contains(loc, "err=quota") || !strings.Contains(page, "991 / 1000通") {
		t.Errorf("near the limit: %s, said %d", loc, len(st.reply.said))
	}
	st.quota.used = 900
	if loc := send("まだ送れる"); !strings.Contains(loc, "done=replied") {
		t.Errorf("well below the limit: %s", loc)
	}
	st.quota.err = errors.New("LINE is away")
	if loc := send("届かない"); !strings.Contains(loc, "err=quotaunknown") {
		t.Errorf("quota unknown: %s", loc)
	}
	st.quota.err, st.reply.err = nil, fmt.Errorf("bot: %w", chat.ErrNotPaused)
	if loc := send("停止していない"); !strings.Contains(loc, "err=notpaused") {
		t.Errorf("not paused: %s", loc)
	}
	st.reply.err = nil
	if w := st.post(t, "/console/conversations/"+userA+"/reply", url.Values{"text": {"x"}, "key": {"short"}}); !strings.Contains(w.Header().Get("Location"), "err=input") {
		t.Errorf("a bad key: %s", w.Header().Get("Location"))
	}
}

func TestSearch(t *testing.T) {
	st := newSite(t)
	for q, want := range map[string]string{
		"acc_a":        "/console/conversations/" + userA,
		" acc_b ":      "/console/conversations/" + userB,
		"bbbbbbbbbbbb": "/console/conversations/" + userB,
		userA:          "/console/conversations/" + userA,
		"acc_zzz":      "/console/conversations?nf=1&q=acc_zzz",
	} {
		w := do(st.s, http.MethodGet, "/console/search?q="+url.QueryEscape(q), nil, bearerH)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != want {
			t.Errorf("search %q: %d to %q; want %q", q, w.Code, w.Header().Get("Location"), want)
		}
	}
	if _, page := st.get(t, "/console/conversations?nf=1&q=acc_zzz", ""); !strings.Contains(page, "「acc_zzz」に当てはまるケースは見つかりませんでした") {
		t.Error("no word that nothing was found")
	}
}

func TestExports(t *testing.T) {
	st := newSite(t)
	st.post(t, "/console/conversations/"+userA+"/notes", url.Values{"note": {"x"}})
	w := do(st.s, http.MethodGet, "/console/export/funnel.csv?from=2026-11-01&to=2026-11-05", nil, bearerH)
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || !strings.Contains(w.Header().Get("Content-Disposition"), "taikai-funnel-20261101-20261105.csv") {
		t.Fatalf("funnel.csv: %d %v", w.Code, w.Header())
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 6 || rows[0][0] != "日付" || rows[0][1] != "会話数: 手続き開始" || rows[2][0] != "2026-11-02" || rows[2][1] != "2" {
		t.Errorf("funnel.csv: %v %v", err, rows)
	}
	w = do(st.s, http.MethodGet, "/console/export/audit.csv?from=2026-11-01&to=2026-11-30", nil, http.Header{"Authorization": {"Bearer " + token}, "Accept-Language": {"en"}})
	rows, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 2 || rows[0][1] != "What" || rows[1][1] != "Note" || rows[1][2] != "token" {
		t.Errorf("audit.csv: %v %v", err, rows)
	}
	if cell("=HYPERLINK(1)") != "'=HYPERLINK(1)" || cell("-1") != "'-1" || cell("acc") != "acc" {
		t.Error("a cell can be read as a formula")
	}
}

func TestTheQueueIsLive(t *testing.T) {
	st := newSite(t)
	srv := httptest.NewServer(st.s.Handler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/console/conversations/live", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content type %q", res.Header.Get("Content-Type"))
	}
	r := bufio.NewReader(res.Body)
	next := func() string {
		t.Helper()
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(line, "data: ") {
				return line
			}
		}
	}
	if first := next(); !strings.Contains(first, `"waiting":1`) || !strings.Contains(first, "担当者待ち 1件・対応中 1件") {
		t.Errorf("first event: %s", first)
	}
	// Another user asks for a person: the page hears of it.
	u := turnOf("U0000000000000000000000000000000c", "postback", st.now, flows.StepWarning, "c3", flows.EvHandedOff)
	u.Handoff = taikai.HandoffRequested
	st.j.Track(context.Background(), u)
	if second := next(); !strings.Contains(second, `"waiting":2`) {
		t.Errorf("after a second request: %s", second)
	}
	io.Copy(io.Discard, io.LimitReader(r, 0))
}

// TestThePagesAreAccessible checks each page's markup: one h1 and no
// heading level skipped, a caption on every table, a label for every
// field, a title and a description on every chart, no positive tabindex,
// a language, and a way to skip to the content first.
func TestThePagesAreAccessible(t *testing.T) {
	st := newSite(t)
	for _, path := range []string{"/console/login", "/console/?days=90", "/console/?days=1", "/console/conversations", "/console/conversations/" + userA,
		"/console/conversations/" + userB, "/console/audit"} {
		var page string
		if path == "/console/login" {
			page = do(st.s, http.MethodGet, path, nil, nil).Body.String()
		} else {
			_, page = st.get(t, path, "")
		}
		for _, p := range a11yProblems(page) {
			t.Errorf("%s: %s", path, p)
		}
	}
}

func a11yProblems(page string) []string {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	attr := func(n *html.Node, k string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val, true
			}
		}
		return "", false
	}
	labels := map[string]bool{}
	var fields []*html.Node
	h1, last, first := 0, 0, ""
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if first == "" && n.Data == "a" {
				first, _ = attr(n, "href")
			}
			switch n.Data {
			case "html":
				if l, _ := attr(n, "lang"); l == "" {
					problems = append(problems, "no lang")
				}
			case "h1", "h2", "h3", "h4":
				lv := int(n.Data[1] - '0')
				if lv == 1 {
					h1++
				}
				if lv > last+1 {
					problems = append(problems, fmt.Sprintf("heading h%d after h%d", lv, last))
				}
				last = lv
			case "table":
				if c := n.FirstChild; c == nil || !hasChild(n, "caption") {
					problems = append(problems, "a table without a caption")
				}
			case "label":
				if f, ok := attr(n, "for"); ok {
					labels[f] = true
				}
			case "input", "textarea", "select":
				if t, _ := attr(n, "type"); t != "hidden" {
					fields = append(fields, n)
				}
			case "svg":
				if r, _ := attr(n, "role"); r == "img" && (!hasChild(n, "title") || !hasChild(n, "desc")) {
					problems = append(problems, "a chart without a title and a description")
				}
				if r, _ := attr(n, "role"); r != "img" {
					if h, _ := attr(n, "aria-hidden"); h != "true" {
						problems = append(problems, "an svg that is neither an image nor hidden")
					}
				}
			}
			if ti, ok := attr(n, "tabindex"); ok && ti != "-1" && ti != "0" {
				problems = append(problems, "a positive tabindex")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if h1 != 1 {
		problems = append(problems, fmt.Sprintf("%d h1", h1))
	}
	for _, f := range fields {
		id, _ := attr(f, "id")
		if _, ok := attr(f, "aria-label"); !ok && !labels[id] {
			problems = append(problems, "a field without a label: "+id)
		}
	}
	if first != "#main" {
		problems = append(problems, "the first link is not the skip link: "+first)
	}
	return problems
}

func hasChild(n *html.Node, tag string) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.Data == tag {
			return true
		}
	}
	return false
}

// TestColoursContrast: every pair of colours the pages put together meets
// WCAG 2.2: 4.5:1 for text, 3:1 for lines, bars and the focus ring.
func TestColoursContrast(t *testing.T) {
	p := palette
	text := [][2]string{
		{p.Text, p.Surface}, {p.Text, p.Background}, {p.Text, p.TableHead}, {p.Text, p.Said}, {p.Text, p.Biggest},
		{p.Muted, p.Surface}, {p.Muted, p.Background}, {p.Link, p.Surface}, {p.Link, p.Background}, {p.Danger, p.Surface},
		{p.Danger, p.ErrorBg}, {p.Danger, p.Biggest}, {p.HeaderText, p.Header}, {p.Header, p.HeaderText}, {p.AccentText, p.Accent},
		{p.AccentText, p.Secondary}, {p.NoticeText, p.Notice}, {p.DemoText, p.Demo}, {p.Text, p.Surface},
	}
	for _, c := range text {
		if r := contrast(c[0], c[1]); r < 4.5 {
			t.Errorf("text %s on %s: %.2f:1; want 4.5:1", c[0], c[1], r)
		}
	}
	marks := [][2]string{{p.Focus, p.Surface}, {p.Focus, p.Background}, {p.Accent, p.Surface}}
	for _, s := range p.Series {
		marks = append(marks, [2]string{s, p.Surface})
	}
	for _, c := range marks {
		if r := contrast(c[0], c[1]); r < 3 {
			t.Errorf("mark %s on %s: %.2f:1; want 3:1", c[0], c[1], r)
		}
	}
	// The formula itself: black on white is 21:1, and a grey of 4.5:1.
	if r := contrast("#000000", "#ffffff"); r < 20.99 || r > 21.01 {
		t.Errorf("contrast of black on white: %.3f", r)
	}
	if r := contrast("#767676", "#ffffff"); r < 4.5 || r > 4.6 {
		t.Errorf("contrast of #767676 on white: %.3f; want 4.54", r)
	}
}

func TestWordsAreComplete(t *testing.T) {
	checkWords(t, wordsJa, wordsEn)
}
