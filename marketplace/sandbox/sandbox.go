// Package sandbox serves the marketplace API contract (api/marketplace.yaml)
// from memory, with demo accounts, for the demo, the tests and a `taikai
// serve` without a marketplace configured. Its link page stands in for the
// marketplace's login. Blockers are derived from each account's orders,
// payouts and balance, as the real service would.
package sandbox

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/taikaibot/taikai"
)

// Order statuses in the sandbox.
const (
	OrderInProgress = "in_progress"         // work under way; no formal delivery yet
	OrderDelivered  = taikai.OrderDelivered // formally delivered, waiting for the buyer's approval
	OrderCompleted  = "completed"
	OrderCancelled  = "cancelled"
)

// Payout statuses in the sandbox.
const (
	PayoutRequested = "requested" // 振込申請中
	PayoutPaid      = "paid"
)

// Order is an order of a sandbox account.
type Order struct {
	ID, Title, Counterparty, Status string
}

// Payout is a payout request of a sandbox account. A requested payout is
// paid on its expected date, as the real service would: from the next day
// (in Japan) on it no longer blocks, unless it is Late.
type Payout struct {
	ID                      string
	AmountJPY               int64
	RequestedAt, ExpectedAt string
	Status                  string
	// Late: not paid on its date; it stays requested until paid by hand.
	Late bool
}

// Account is a marketplace account in the sandbox. Its blockers are
// derived from its orders, payouts and balance, as the real service would.
type Account struct {
	ID, Name        string
	Rating          taikai.Rating
	CompletedOrders int
	Purchases       []Order // as a buyer
	Sales           []Order // as a seller
	Payouts         []Payout
	BalanceJPY      int64
	Withdrawn       bool
}

// DemoAccounts returns the sandbox's demo accounts as of now (see
// DemoAccountsAt).
func DemoAccounts() []Account { return DemoAccountsAt(time.Now()) }

// DemoAccountsAt returns the sandbox's demo accounts, their payouts dated
// around today (in Japan) as of now: a clean one, one with no rating yet,
// one per blocker kind, two rated just under ★4.0 (★3.1 and ★3.96, for the
// rating advice), and one with every blocker. Seen on 25 November 2026,
// acc_payout's payout was requested on the 20th and is expected on the
// 27th.
func DemoAccountsAt(now time.Time) []Account {
	today := now.In(japan)
	day := func(days int) string { return today.AddDate(0, 0, days).Format("2006-01-02") }
	return []Account{
		{ID: "acc_clean", Name: "山田 花子", Rating: taikai.Rating{Average: 4.8, Count: 52}, CompletedOrders: 50},
		{ID: "acc_new", Name: "小林 結衣"},
		{ID: "acc_buyer", Name: "佐藤 健", Rating: taikai.Rating{Average: 4.5, Count: 3}, CompletedOrders: 3,
			Purchases: []Order{{"o-1001", "ロゴデザイン作成", "デザイン工房ミナト", OrderInProgress}, {"o-1000", "名刺デザイン", "デザイン工房ミナト", OrderCompleted}}},
		{ID: "acc_seller", Name: "鈴木 美咲", Rating: taikai.Rating{Average: 4.9, Count: 120}, CompletedOrders: 118,
			Sales: []Order{{"o-2001", "ブログ記事の執筆（3000字）", "高橋 誠", OrderInProgress}, {"o-2002", "商品説明文の作成", "中村 愛", OrderDelivered}}},
		{ID: "acc_payout", Name: "田中 翔", Rating: taikai.Rating{Average: 4.2, Count: 15}, CompletedOrders: 15,
			Payouts: []Payout{{"p-3001", 12000, day(-5), day(2), PayoutRequested, false}, {"p-3000", 8000, day(-36), day(-29), PayoutPaid, false}}},
		{ID: "acc_balance", Name: "伊藤 さくら", Rating: taikai.Rating{Average: 3.6, Count: 8}, CompletedOrders: 8, BalanceJPY: 3200},
		{ID: "acc_fair", Name: "木村 陽菜", Rating: taikai.Rating{Average: 3.1, Count: 8}, CompletedOrders: 8},
		{ID: "acc_edge", Name: "山本 拓海", Rating: taikai.Rating{Average: 3.96, Count: 25}, CompletedOrders: 24},
		{ID: "acc_many", Name: "渡辺 大輔", Rating: taikai.Rating{Average: 4.6, Count: 31}, CompletedOrders: 29,
			Purchases:  []Order{{"o-4001", "LP制作", "ウェブ制作ラボ", OrderDelivered}},
			Sales:      []Order{{"o-4101", "翻訳（英→日）", "加藤 亮", OrderInProgress}},
			Payouts:    []Payout{{"p-4201", 45800, day(-4), day(5), PayoutRequested, false}},
			BalanceJPY: 15400},
	}
}

// Options configure a Server.
type Options struct {
	// Token is the bearer token the API requires.
	Token string
	// AccountLinkURL is LINE's account-link dialog, where the link page sends
	// the user; default https://access.line.me/dialog/bot/accountLink.
	AccountLinkURL string
	// Accounts to serve; default DemoAccounts().
	Accounts []Account
	// OrderURL makes an order's URL from its id; default none.
	OrderURL func(orderID string) string
	// Now is the clock; default time.Now.
	Now func() time.Time
}

type nonce struct {
	account string
	expires time.Time
}

type answer struct {
	code int
	body []byte
}

// Server serves the marketplace API contract from memory. It is safe for
// concurrent use.
type Server struct {
	opts Options

	mu       sync.Mutex
	accounts map[string]*Account
	order    []string // account ids as given, for the link page
	nonces   map[string]nonce
	swept    time.Time         // when expired nonces were last dropped
	answers  map[string]answer // idempotency key (per account) → first answer
	consents map[string]taikai.Consent
	filed    int
	calls    map[string]int
}

// japan is where the marketplace's dates are.
var japan = time.FixedZone("JST", 9*60*60)

// NonceTTL is how long a link nonce is valid (LINE's link token lives 10 minutes).
const NonceTTL = 10 * time.Minute

// New returns a sandbox serving opts.Accounts.
func New(opts Options) *Server {
	if opts.AccountLinkURL == "" {
		opts.AccountLinkURL = "https://access.line.me/dialog/bot/accountLink"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Accounts == nil {
		opts.Accounts = DemoAccountsAt(opts.Now())
	}
	s := &Server{opts: opts, accounts: map[string]*Account{}, nonces: map[string]nonce{}, answers: map[string]answer{}, calls: map[string]int{},
		consents: map[string]taikai.Consent{}}
	for _, a := range opts.Accounts {
		a := a
		s.accounts[a.ID] = &a
		s.order = append(s.order, a.ID)
	}
	return s
}

// Handler serves the API under /v1/, the link page at /link and a selling
// guide at /guide/selling.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /v1/accounts/{id}/withdrawal-status", s.auth(s.handleStatus))
	mux.Handle("POST /v1/accounts/{id}/withdrawals", s.auth(s.handleWithdraw))
	mux.Handle("POST /v1/account-links", s.auth(s.handleResolve))
	mux.HandleFunc("GET /link", s.handleLinkPage)
	mux.HandleFunc("POST /link", s.handleLogin)
	mux.HandleFunc("GET /guide/selling", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><title>販売のコツ</title><h1>販売のコツ（サンドボックス）</h1><p>タイトルは具体的に、価格は相場を見て、サンプル画像を添えましょう。</p>`)
	})
	return mux
}

func (s *Server) auth(h http.HandlerFunc) http.Handler {
	want := []byte("Bearer " + s.opts.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
			return
		}
		h(w, r)
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// status derives an account's withdrawal status. Callers hold s.mu.
func (s *Server) status(a *Account) taikai.Status {
	st := taikai.Status{
		AccountID: a.ID, DisplayName: a.Name, Rating: a.Rating, CompletedOrders: a.CompletedOrders,
		PurchasesInProgress: []taikai.Order{}, SalesAwaitingDelivery: []taikai.Order{}, PayoutsInProgress: []taikai.Payout{},
		SalesBalanceJPY: a.BalanceJPY,
	}
	order := func(o Order) taikai.Order {
		t := taikai.Order{OrderID: o.ID, Title: o.Title, Counterparty: o.Counterparty, Status: o.Status}
		if s.opts.OrderURL != nil {
			t.URL = s.opts.OrderURL(o.ID)
		}
		return t
	}
	for _, o := range a.Purchases {
		// A purchase blocks until it is completed (or cancelled).
		if o.Status == OrderInProgress || o.Status == OrderDelivered {
			st.PurchasesInProgress = append(st.PurchasesInProgress, order(o))
		}
	}
	for _, o := range a.Sales {
		// A sale blocks until it is formally delivered.
		if o.Status == OrderInProgress {
			st.SalesAwaitingDelivery = append(st.SalesAwaitingDelivery, order(o))
		}
	}
	today := s.opts.Now().In(japan).Format("2006-01-02")
	for _, p := range a.Payouts {
		// Paid on its date: it blocks until the day after (dates compare as strings).
		if p.Status == PayoutRequested && (p.Late || p.ExpectedAt == "" || today <= p.ExpectedAt) {
			st.PayoutsInProgress = append(st.PayoutsInProgress, taikai.Payout{PayoutID: p.ID, AmountJPY: p.AmountJPY, RequestedAt: p.RequestedAt, ExpectedAt: p.ExpectedAt})
		}
	}
	return st
}

func (s *Server) account(id string) *Account {
	a := s.accounts[id]
	if a == nil || a.Withdrawn {
		return nil
	}
	return a
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["status"]++
	a := s.account(r.PathValue("id"))
	if a == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
		return
	}
	writeJSON(w, http.StatusOK, s.status(a))
}

func (s *Server) handleWithdraw(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" || len(key) > 255 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "idempotency_key_required"})
		return
	}
	var req taikai.WithdrawalRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil || !req.ReasonCode.Valid() {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad_request"})
		return
	}
	if req.Consent != (taikai.Consent{}) && (req.Consent.Check() != nil || req.Consent.ReasonCode != req.ReasonCode) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad_consent"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["withdraw"]++
	id := r.PathValue("id")
	k := id + "\x00" + key
	if ans, ok := s.answers[k]; ok {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(ans.code)
		w.Write(ans.body)
		return
	}
	a := s.account(id)
	var code int
	var v any
	switch {
	case a == nil:
		code, v = http.StatusNotFound, map[string]string{"error": "not_found"}
	case s.status(a).Blocked():
		code = http.StatusConflict
		v = struct {
			Error string `json:"error"`
			taikai.Status
		}{"blocked", s.status(a)}
	default:
		s.filed++
		a.Withdrawn = true
		if req.Consent != (taikai.Consent{}) {
			s.consents[id] = req.Consent // kept with the withdrawal, as the user's consent
		}
		code, v = http.StatusCreated, taikai.Withdrawal{WithdrawalID: fmt.Sprintf("wd-%06d", s.filed), Status: "accepted"}
	}
	body, _ := json.Marshal(v)
	s.answers[k] = answer{code, body}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(body)
}

func (s *Server) handleResolve(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Nonce string `json:"nonce"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req); err != nil || req.Nonce == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad_request"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.nonces[req.Nonce]
	delete(s.nonces, req.Nonce) // single use
	if !ok || s.opts.Now().After(n.expires) || s.account(n.account) == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"account_id": n.account})
}

var linkPage = template.Must(template.New("link").Parse(`<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>ログイン（サンドボックス）</title></head>
<body>
<h1>マーケットプレイスにログイン（サンドボックス）</h1>
{{if .Token}}<p>LINEと連携するアカウントを選んでください。</p>
<form method="post">
<input type="hidden" name="linkToken" value="{{.Token}}">
{{range .Accounts}}<p><button type="submit" name="account" value="{{.ID}}">{{.Name}}</button> <small>{{.ID}}</small></p>
{{end}}</form>
<p><small>連携はいつでも解除できます（トークで「連携解除」と送ってください）。</small></p>
{{else}}<p>リンクが正しくありません。LINEのトークに戻り、「ログイン用リンクを表示」と送って、新しいリンクからもう一度お試しください。</p>{{end}}
</body></html>`))

// loginFailedPage is shown when a login cannot be completed.
const loginFailedPage = `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>ログインできませんでした</title></head>
<body>
<h1>ログインできませんでした</h1>
<p>リンクの有効期限が切れたか、すでに使われた可能性があります。LINEのトークに戻り、「ログイン用リンクを表示」と送って、新しいリンクからもう一度お試しください。</p>
</body></html>`

func (s *Server) handleLinkPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	var accs []Account
	for _, id := range s.order {
		if a := s.accounts[id]; !a.Withdrawn {
			accs = append(accs, *a)
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	linkPage.Execute(w, map[string]any{"Token": r.URL.Query().Get("linkToken"), "Accounts": accs})
}

// handleLogin stands in for the marketplace's login: the chosen account is
// "logged in", a nonce is made for it and the user is sent to LINE.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	token, account := r.PostFormValue("linkToken"), r.PostFormValue("account")
	s.mu.Lock()
	ok := token != "" && s.account(account) != nil
	var n string
	if ok {
		b := make([]byte, 16) // 128 bits, as LINE recommends
		rand.Read(b)
		n = base64.RawURLEncoding.EncodeToString(b)
		now := s.opts.Now()
		s.sweep(now)
		s.nonces[n] = nonce{account: account, expires: now.Add(NonceTTL)}
	}
	s.mu.Unlock()
	if !ok {
		// Most often the link is old (its token expired, or the page was
		// left open): say how to get a new one.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, loginFailedPage)
		return
	}
	q := url.Values{"linkToken": {token}, "nonce": {n}}
	http.Redirect(w, r, s.opts.AccountLinkURL+"?"+q.Encode(), http.StatusFound)
}

// sweep drops expired nonces (those never resolved would otherwise stay
// for good), at most once a minute. Callers hold s.mu.
func (s *Server) sweep(now time.Time) {
	if now.Sub(s.swept) < time.Minute {
		return
	}
	s.swept = now
	for k, n := range s.nonces {
		if now.After(n.expires) {
			delete(s.nonces, k)
		}
	}
}

// Update changes an account under the sandbox's lock (tests use it to clear
// or add blockers). It reports whether the account exists.
func (s *Server) Update(id string, f func(a *Account)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[id]
	if a == nil {
		return false
	}
	f(a)
	return true
}

// Calls reports how often an API operation ("status", "withdraw") was called.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// Consent returns the consent record filed with account id's withdrawal,
// if one was.
func (s *Server) Consent(id string) (taikai.Consent, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.consents[id]
	return c, ok
}

// Consents counts the withdrawals filed with a consent record.
func (s *Server) Consents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.consents)
}

// DelayPayouts makes every payout still requested late: not paid on its
// expected date (the demo's /late).
func (s *Server) DelayPayouts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.accounts {
		for i := range a.Payouts {
			if a.Payouts[i].Status == PayoutRequested {
				a.Payouts[i].Late = true
			}
		}
	}
}

// Filed reports how many withdrawals were filed.
func (s *Server) Filed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.filed
}
