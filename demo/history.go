package demo

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"sort"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/chat"
	"github.com/taikaibot/taikai/flows"
	"github.com/taikaibot/taikai/replica"
)

// FillHistory fills the console's journal with days of simulated
// conversations ending now, so that every chart of the console has
// something to show: simulated users go through the real conversation
// (flows.Next, the bot's own words), the marketplace's answers are made
// up, and each event is recorded through the journal's own API
// (Journal.Track) — the figures are counted as they would be in
// production. The journal is marked as holding demo data, and every
// console page says so. The same seed makes the same history.
func (s *System) FillHistory(ctx context.Context, days int, seed uint64) (conversations int, err error) {
	if len(s.Replicas) == 0 {
		return 0, fmt.Errorf("demo: no replica to record the history")
	}
	j := s.Replicas[0].Journal
	now := s.Clock.Now()
	h := &history{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: now, key: replica.PseudonymKey(ChannelSecret)}
	start := now.AddDate(0, 0, -days+1)
	first := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, japan)
	for d := 0; d < days; d++ {
		date := first.AddDate(0, 0, d)
		// Busier on weekdays, and more over time (the marketplace grows).
		n := 9 + 6*float64(d)/float64(max(days, 1))
		if wd := date.Weekday(); wd == time.Saturday || wd == time.Sunday {
			n *= 0.6
		}
		n += h.rng.NormFloat64() * 2
		for i := 0; i < int(math.Max(1, math.Round(n))); i++ {
			at := date.Add(time.Duration(8*60+h.rng.IntN(15*60)) * time.Minute)
			if at.After(now) {
				continue
			}
			h.person(at)
			conversations++
		}
	}
	// The queue as staff find it this morning: some wait, one is with staff.
	for _, ago := range []time.Duration{7 * time.Minute, 38 * time.Minute, 2*time.Hour + 10*time.Minute} {
		h.waiting(now.Add(-ago - 6*time.Minute))
		conversations++
	}
	sort.SliceStable(h.turns, func(a, b int) bool { return h.turns[a].At.Before(h.turns[b].At) })
	for _, t := range h.turns {
		if err := ctx.Err(); err != nil {
			return conversations, err
		}
		j.Track(ctx, t)
	}
	if err := j.Flush(ctx); err != nil {
		return conversations, err
	}
	if err := j.Recount(ctx); err != nil {
		return conversations, err
	}
	return conversations, j.MarkDemo(ctx, days, first, now)
}

// history is a simulation under way: the turns of every simulated user.
type history struct {
	rng   *rand.Rand
	now   time.Time
	key   []byte
	seq   int
	turns []chat.Turn
}

var japan = time.FixedZone("JST", 9*60*60)

// Simulated people: names, and what blocks them.
var (
	simNames  = []string{"佐藤 陽子", "鈴木 一郎", "高橋 美穂", "田中 大輝", "伊藤 彩", "渡辺 健太", "山本 由美", "中村 翔太", "小林 真央", "加藤 聡", "吉田 恵", "山田 拓也", "松本 結衣", "井上 直樹", "木村 愛"}
	simTitles = []string{"ロゴデザイン", "LP制作", "翻訳（英語→日本語）", "動画編集（10分）", "イラスト作成", "記事執筆 3,000字", "名刺デザイン", "ナレーション収録", "WordPress修正", "SNS運用代行"}
	simTexts  = []string{"手数料が高いと感じたためです", "本業が忙しくなり時間が取れないためです", "別のサービスに移ることにしました", "家族の事情で活動を休止します", "思っていた使い方と違ったためです"}
)

// person simulates one user who starts on the withdrawal at at, and all
// they do afterwards, until now.
type person struct {
	h       *history
	user    string
	pn      string
	account string
	s       flows.State
	handoff string
	at      time.Time
	last    []flows.Reply
	status  *taikai.Status
	done    bool
}

func (h *history) newPerson(at time.Time) *person {
	h.seq++
	m := hmac.New(sha256.New, []byte("demo history"))
	fmt.Fprintf(m, "%d", h.seq)
	user := "U" + hex.EncodeToString(m.Sum(nil))[:32]
	p := hmac.New(sha256.New, h.key)
	p.Write([]byte(user))
	return &person{h: h, user: user, pn: hex.EncodeToString(p.Sum(nil))[:12], account: fmt.Sprintf("acc_%05d", 10000+h.seq), at: at}
}

// wait moves the person's clock on by about d; it reports false once that
// is past now (the rest has not happened yet).
func (p *person) wait(d time.Duration) bool {
	d = time.Duration(float64(d) * (0.5 + p.h.rng.Float64()))
	p.at = p.at.Add(d)
	if p.at.After(p.h.now) {
		p.done = true
	}
	return !p.done
}

// event runs one input through the conversation as the bot would (effects
// answered by the simulation) and records the turn.
func (p *person) event(typ string, in flows.Input) {
	if p.done {
		return
	}
	env := flows.Env{Now: p.at, Expiry: flows.DefaultExpiry, NewConv: fmt.Sprintf("%08x", p.h.rng.Uint32())}
	tr := chat.Turn{User: p.user, Type: typ, At: p.at, Pseudonym: p.pn}
	cur := in
	p.s.Handoff = p.handoff
	for i := 0; i < 6; i++ {
		var out flows.Output
		p.s, out = flows.Next(p.s, cur, env)
		tr.Replies = append(tr.Replies, out.Replies...)
		tr.Events = append(tr.Events, out.Events...)
		if out.Effect == nil {
			break
		}
		e := out.Effect
		switch e.Kind {
		case flows.EffProfile:
			cur = flows.Input{Kind: flows.InProfile, Language: "ja"}
		case flows.EffIssueLink:
			cur = flows.Input{Kind: flows.InLinkURL, URL: "https://market.example/link?linkToken=demo"}
		case flows.EffResolveLink:
			cur = flows.Input{Kind: flows.InLinked, AccountID: p.account}
		case flows.EffCheck:
			tr.Checked = p.status
			cur = flows.Input{Kind: flows.InStatus, Status: p.status}
		case flows.EffFile:
			id := fmt.Sprintf("wd-%06d", p.h.seq)
			cur = flows.Input{Kind: flows.InFiled, Receipt: &taikai.Withdrawal{WithdrawalID: id, Status: "accepted"}}
			tr.Filing = &chat.Filing{Outcome: taikai.OutcomeFiled, AccountID: e.AccountID, Key: e.Key, Reason: e.Request.ReasonCode, Receipt: id}
		case flows.EffAskStaff:
			p.handoff = taikai.HandoffRequested
			cur = flows.Input{Kind: flows.InStaffAsked}
		case flows.EffLeaveStaff:
			p.handoff = ""
			cur = flows.Input{Kind: flows.InStaffLeft}
		default:
			cur = flows.Input{Kind: flows.InUnavailable}
		}
		cur.Of = e.Kind
	}
	if len(tr.Replies) > 0 {
		p.last = tr.Replies
	}
	tr.State, tr.Handoff = p.s, p.handoff
	p.h.turns = append(p.h.turns, tr)
}

// press presses the button for action act (and argument arg) of the last
// message; false when there is none.
func (p *person) press(act string, arg ...string) bool {
	if p.done || len(p.last) == 0 {
		return false
	}
	for _, c := range p.last[len(p.last)-1].Choices {
		v, err := url.ParseQuery(c.Data)
		if err == nil && v.Get("a") == act && (len(arg) == 0 || v.Get("r") == arg[0]) {
			p.event("postback", flows.Input{Kind: flows.InPostback, Data: c.Data})
			return true
		}
	}
	return false
}

// staff simulates staff taking the conversation over after a while,
// answering, and handing back.
func (p *person) staff() {
	if !p.wait(40 * time.Minute) {
		return
	}
	p.handoff = taikai.HandoffPaused
	p.event("pause", flows.Input{Kind: flows.InPaused})
	if !p.wait(25 * time.Minute) {
		return
	}
	p.handoff = ""
	p.event("resume", flows.Input{Kind: flows.InResumed})
}

func (h *history) chance(p float64) bool { return h.rng.Float64() < p }

func (h *history) blockers(at time.Time) *taikai.Status {
	st := &taikai.Status{}
	date := func(d int) string { return at.AddDate(0, 0, d).In(japan).Format("2006-01-02") }
	order := func() taikai.Order {
		return taikai.Order{OrderID: fmt.Sprintf("o-%d", 20000+h.rng.IntN(80000)), Title: simTitles[h.rng.IntN(len(simTitles))], Counterparty: "—"}
	}
	for st.Blocked() == false {
		if h.chance(0.4) {
			o := order()
			if h.chance(0.5) {
				o.Status = taikai.OrderDelivered
			}
			st.PurchasesInProgress = append(st.PurchasesInProgress, o)
		}
		if h.chance(0.3) {
			st.SalesAwaitingDelivery = append(st.SalesAwaitingDelivery, order())
		}
		if h.chance(0.25) {
			st.PayoutsInProgress = append(st.PayoutsInProgress, taikai.Payout{PayoutID: fmt.Sprintf("p-%d", 5000+h.rng.IntN(5000)),
				AmountJPY: int64(1000 + 100*h.rng.IntN(500)), RequestedAt: date(-2), ExpectedAt: date(5)})
		}
		if h.chance(0.3) {
			st.SalesBalanceJPY = int64(100 * (1 + h.rng.IntN(300)))
		}
	}
	return st
}

// person simulates one user from their first message.
func (h *history) person(at time.Time) {
	p := h.newPerson(at)
	name := simNames[h.rng.IntN(len(simNames))]
	clean := &taikai.Status{AccountID: p.account, DisplayName: name, Rating: taikai.Rating{Average: 3.5 + 1.5*h.rng.Float64(), Count: 1 + h.rng.IntN(80)},
		CompletedOrders: h.rng.IntN(90)}
	p.status = clean
	blocked := h.chance(0.35)
	if blocked {
		b := h.blockers(at)
		b.AccountID, b.DisplayName, b.Rating, b.CompletedOrders = p.account, name, clean.Rating, clean.CompletedOrders
		p.status = b
	}
	p.event("postback", flows.Input{Kind: flows.InPostback, Data: flows.StartData})
	if !h.chance(0.9) || !p.wait(3*time.Minute) {
		return // never linked
	}
	p.event("accountLink", flows.Input{Kind: flows.InLinkOK, Nonce: "demo-nonce-" + p.account})
	if blocked {
		switch r := h.rng.Float64(); {
		case r < 0.12:
			p.press("staff")
			p.staff()
			return
		case r < 0.7:
			// Clears the blockers in a few days (some take weeks), and comes back.
			days := math.Min(45, math.Exp(math.Log(4)+0.8*h.rng.NormFloat64()))
			if !p.wait(time.Duration(days * 24 * float64(time.Hour))) {
				return
			}
			p.status = clean
			p.event("postback", flows.Input{Kind: flows.InPostback, Data: flows.StartData})
			if p.s.Step == flows.StepLinking {
				p.event("accountLink", flows.Input{Kind: flows.InLinkOK, Nonce: "demo-nonce-" + p.account})
			}
		default:
			return // gives up, for now
		}
	}
	h.proceed(p)
}

// proceed takes a user from the warning to the end.
func (h *history) proceed(p *person) {
	if p.s.Step != flows.StepWarning || !p.wait(2*time.Minute) {
		return
	}
	switch r := h.rng.Float64(); {
	case r < 0.05:
		p.press("staff")
		p.staff()
		return
	case r < 0.12:
		p.press("cancel")
		return
	case r < 0.18:
		return // leaves it there
	}
	if h.chance(0.3) && !p.wait(time.Duration(30+h.rng.IntN(600))*time.Minute) {
		return // thinks it over (within the day, before the conversation expires)
	}
	p.press("continue")
	if !p.wait(90 * time.Second) {
		return
	}
	reasons := []taikai.Reason{taikai.ReasonNotUsing, taikai.ReasonHardToEarn, taikai.ReasonResetRating, taikai.ReasonOther, taikai.ReasonNone}
	weights := []float64{0.38, 0.24, 0.1, 0.16, 0.12}
	if p.at.After(h.now.AddDate(0, 0, -30)) {
		weights = []float64{0.3, 0.34, 0.08, 0.16, 0.12} // lately, more find it hard to earn
	}
	reason := reasons[pick(h.rng, weights)]
	p.press("reason", string(reason))
	if reason == taikai.ReasonOther && p.wait(2*time.Minute) {
		p.event("message", flows.Input{Kind: flows.InText, Text: simTexts[h.rng.IntN(len(simTexts))], MessageID: fmt.Sprintf("m%d", h.seq)})
		if p.s.Step == flows.StepReasonText {
			p.press("skip_text")
		}
	}
	if p.s.Step == flows.StepHelp && p.wait(2*time.Minute) {
		if h.chance(0.2) {
			p.press("cancel") // the advice helped
			return
		}
		p.press("help_continue")
	}
	think := time.Minute
	if h.chance(0.2) {
		think = time.Duration(60+h.rng.IntN(360)) * time.Minute
	}
	if p.s.Step != flows.StepConfirm || !p.wait(think) {
		return
	}
	if h.chance(0.06) {
		p.press("cancel")
		return
	}
	p.press("confirm")
}

// waiting simulates a user who asked for a person at at, and waits.
func (h *history) waiting(at time.Time) {
	p := h.newPerson(at)
	p.status = &taikai.Status{AccountID: p.account, DisplayName: simNames[h.rng.IntN(len(simNames))]}
	if h.chance(0.5) {
		p.status = h.blockers(at)
		p.status.AccountID, p.status.DisplayName = p.account, simNames[h.rng.IntN(len(simNames))]
	}
	p.event("postback", flows.Input{Kind: flows.InPostback, Data: flows.StartData})
	p.wait(2 * time.Minute)
	p.event("accountLink", flows.Input{Kind: flows.InLinkOK, Nonce: "demo-nonce-" + p.account})
	p.wait(2 * time.Minute)
	if !p.press("staff") {
		p.event("message", flows.Input{Kind: flows.InText, Text: "担当者と話したい", MessageID: "m-staff"})
	}
}

func pick(r *rand.Rand, weights []float64) int {
	x := r.Float64() * sumOf(weights)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func sumOf(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}
