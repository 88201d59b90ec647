package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The wire types of api/marketplace.yaml.

type rating struct {
	Average float64 `json:"average"`
	Count   int     `json:"count"`
}

type order struct {
	OrderID      string `json:"order_id"`
	Title        string `json:"title"`
	Counterparty string `json:"counterparty"`
	Status       string `json:"status"`
	URL          string `json:"url,omitempty"`
}

type payout struct {
	PayoutID    string `json:"payout_id"`
	AmountJPY   int64  `json:"amount_jpy"`
	RequestedAt string `json:"requested_at"`
	ExpectedAt  string `json:"expected_at"`
}

// status is GET /v1/accounts/{account_id}/withdrawal-status. Slices are
// never nil: the contract wants [] for none.
type status struct {
	AccountID             string   `json:"account_id"`
	DisplayName           string   `json:"display_name"`
	Rating                rating   `json:"rating"`
	CompletedOrders       int      `json:"completed_orders"`
	PurchasesInProgress   []order  `json:"purchases_in_progress"`
	SalesAwaitingDelivery []order  `json:"sales_awaiting_delivery"`
	PayoutsInProgress     []payout `json:"payouts_in_progress"`
	SalesBalanceJPY       int64    `json:"sales_balance_jpy"`
}

func (s status) blocked() bool {
	return len(s.PurchasesInProgress)+len(s.SalesAwaitingDelivery)+len(s.PayoutsInProgress) > 0 || s.SalesBalanceJPY != 0
}

type withdrawalRequest struct {
	ReasonCode string   `json:"reason_code"`
	ReasonText string   `json:"reason_text"`
	Channel    string   `json:"channel"`
	Consent    *consent `json:"consent,omitempty"`
}

// consent is what the user was shown and agreed to in the chat, and when
// (optional). Keep it with the withdrawal: it is the user's consent.
type consent struct {
	Language   string `json:"language"`
	ReasonCode string `json:"reason_code"`
	Warning    struct {
		shownText
		AcknowledgedAt string `json:"acknowledged_at"`
		Rating         rating `json:"rating"`
		CompletedOrds  int    `json:"completed_orders"`
	} `json:"warning"`
	Confirm struct {
		shownText
		ConfirmedAt string `json:"confirmed_at"`
	} `json:"confirm"`
}

// shownText is a text as the bot showed it: its copy's version, the
// SHA-256 of the exact text, and when.
type shownText struct {
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	ShownAt string `json:"shown_at"`
}

var (
	copyVersion = regexp.MustCompile(`^[a-z]{2}-[0-9a-f]{12}$`)
	textSHA256  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// valid reports whether c follows the contract's schema, for a request
// with reason code reason.
func (c *consent) valid(reason string) bool {
	ok := (c.Language == "ja" || c.Language == "en") && c.ReasonCode == reason
	for _, s := range []struct {
		t  shownText
		at string
	}{{c.Warning.shownText, c.Warning.AcknowledgedAt}, {c.Confirm.shownText, c.Confirm.ConfirmedAt}} {
		ok = ok && copyVersion.MatchString(s.t.Version) && textSHA256.MatchString(s.t.SHA256)
		for _, at := range []string{s.t.ShownAt, s.at} {
			_, err := time.Parse(time.RFC3339Nano, at)
			ok = ok && err == nil
		}
	}
	return ok
}

var reasonCodes = map[string]bool{"not_using": true, "hard_to_earn": true, "reset_rating": true, "other": true, "none": true}

// answer is a recorded response, replayed for a repeated Idempotency-Key.
type answer struct {
	code int
	body []byte
}

// nonce is an account-link nonce: whom it is for and until when.
type nonce struct {
	account string
	expires time.Time
}

// nonceTTL is how long a link nonce is valid (LINE's guidance: about 10 minutes).
const nonceTTL = 10 * time.Minute

// server is the example marketplace. Replace accounts with your database,
// and answers and nonces with storage shared by all your replicas (the same
// database, or Redis): both must survive a restart and be seen by every
// instance, or an idempotent retry could file twice.
type server struct {
	token  string
	dialog string // LINE's account-link dialog
	now    func() time.Time

	mu        sync.Mutex
	accounts  map[string]*status
	withdrawn map[string]bool
	answers   map[string]answer // by account id and Idempotency-Key
	nonces    map[string]nonce
	consents  map[string]consent // by account: kept with the withdrawal
	filed     int
}

func newServer(token, dialog string, accounts map[string]*status, now func() time.Time) *server {
	return &server{token: token, dialog: dialog, now: now, accounts: accounts,
		withdrawn: map[string]bool{}, answers: map[string]answer{}, nonces: map[string]nonce{}, consents: map[string]consent{}}
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /v1/accounts/{account_id}/withdrawal-status", s.auth(s.handleStatus))
	mux.Handle("POST /v1/accounts/{account_id}/withdrawals", s.auth(s.handleWithdraw))
	mux.Handle("POST /v1/account-links", s.auth(s.handleResolveLink))
	mux.HandleFunc("GET /line/link", s.handleLinkPage)
	mux.HandleFunc("POST /line/link", s.handleLinkLogin)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	return mux
}

// auth checks the bearer token, in constant time.
func (s *server) auth(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1 {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
			return
		}
		next(w, r)
	})
}

func (s *server) handleStatus(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	st, ok := s.account(r.PathValue("account_id"))
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// account is an account still open. Callers hold mu.
func (s *server) account(id string) (status, bool) {
	st, ok := s.accounts[id]
	if !ok || s.withdrawn[id] {
		return status{}, false
	}
	return *st, true
}

// handleWithdraw files a withdrawal once per Idempotency-Key: the first
// answer, whatever it was (201, 409, 404), is recorded and replayed.
func (s *server) handleWithdraw(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	var req withdrawalRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
	if key == "" || len(key) > 255 || dec.Decode(&req) != nil || !reasonCodes[req.ReasonCode] ||
		req.Channel != "line" || utf8.RuneCountInString(req.ReasonText) > 500 || (req.Consent != nil && !req.Consent.valid(req.ReasonCode)) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad_request"})
		return
	}
	id := r.PathValue("account_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	ak := id + "\x00" + key
	if a, ok := s.answers[ak]; ok {
		writeRaw(w, a.code, a.body)
		return
	}
	code, body := s.file(id, req)
	s.answers[ak] = answer{code, body}
	writeRaw(w, code, body)
}

// file checks the blockers again (they may have appeared since the bot
// looked) and withdraws. Callers hold mu.
func (s *server) file(id string, req withdrawalRequest) (int, []byte) {
	st, ok := s.account(id)
	if !ok {
		return marshal(http.StatusNotFound, map[string]string{"error": "not_found"})
	}
	if st.blocked() {
		return marshal(http.StatusConflict, struct {
			Error string `json:"error"`
			status
		}{"blocked", st})
	}
	// Here your system closes the account and keeps req.ReasonCode,
	// req.ReasonText and req.Consent for your records.
	s.withdrawn[id] = true
	if req.Consent != nil {
		s.consents[id] = *req.Consent
	}
	s.filed++
	return marshal(http.StatusCreated, map[string]string{
		"withdrawal_id": fmt.Sprintf("wd-%06d", s.filed), "status": "accepted",
	})
}

// handleResolveLink consumes a nonce: it answers once, then 404.
func (s *server) handleResolveLink(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Nonce string `json:"nonce"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req); err != nil || req.Nonce == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad_request"})
		return
	}
	s.mu.Lock()
	n, ok := s.nonces[req.Nonce]
	delete(s.nonces, req.Nonce)
	s.mu.Unlock()
	if !ok || s.now().After(n.expires) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"account_id": n.account})
}

var linkPage = template.Must(template.New("link").Parse(`<!doctype html>
<html lang="ja"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>LINEと連携</title>
<h1>LINEとアカウントを連携</h1>
{{if .Error}}<p>{{.Error}}</p>{{end}}
<form method="post">
<input type="hidden" name="linkToken" value="{{.LinkToken}}">
<!-- An example only: your page signs the user in as usual instead. -->
<label>アカウントID <input name="account_id" required></label>
<button>ログインして連携する</button>
</form>
`))

// handleLinkPage is where the bot's login button leads
// (MARKETPLACE_LINK_URL?linkToken=…). Your real page signs the user in.
func (s *server) handleLinkPage(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("linkToken")
	if tok == "" {
		http.Error(w, "linkToken is missing", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	linkPage.Execute(w, map[string]string{"LinkToken": tok})
}

// handleLinkLogin is the signed-in user coming back: it makes a nonce for
// that account and sends the browser to LINE's account-link dialog, which
// tells the bot (accountLink event) and the bot resolves the nonce.
func (s *server) handleLinkLogin(w http.ResponseWriter, r *http.Request) {
	tok, id := r.PostFormValue("linkToken"), r.PostFormValue("account_id")
	s.mu.Lock()
	_, ok := s.account(id)
	s.mu.Unlock()
	if tok == "" || !ok {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		linkPage.Execute(w, map[string]string{"LinkToken": tok, "Error": "アカウントが見つかりません。"})
		return
	}
	b := make([]byte, 16) // 128 bits
	rand.Read(b)
	n := hex.EncodeToString(b)
	s.mu.Lock()
	s.nonces[n] = nonce{account: id, expires: s.now().Add(nonceTTL)}
	s.mu.Unlock()
	http.Redirect(w, r, s.dialog+"?"+url.Values{"linkToken": {tok}, "nonce": {n}}.Encode(), http.StatusSeeOther)
}

func marshal(code int, v any) (int, []byte) {
	b, _ := json.Marshal(v)
	return code, b
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	_, b := marshal(code, v)
	writeRaw(w, code, b)
}

func writeRaw(w http.ResponseWriter, code int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(body)
}

// exampleAccounts are two accounts: one that may withdraw, one that may not.
func exampleAccounts() map[string]*status {
	return map[string]*status{
		"acc_clean": {AccountID: "acc_clean", DisplayName: "山田 花子", Rating: rating{4.8, 52}, CompletedOrders: 50,
			PurchasesInProgress: []order{}, SalesAwaitingDelivery: []order{}, PayoutsInProgress: []payout{}},
		"acc_balance": {AccountID: "acc_balance", DisplayName: "伊藤 さくら", Rating: rating{4.5, 8}, CompletedOrders: 9,
			PurchasesInProgress: []order{}, SalesAwaitingDelivery: []order{}, PayoutsInProgress: []payout{}, SalesBalanceJPY: 3200},
	}
}
