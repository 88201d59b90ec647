package lineemu

import (
	"net/http"
	"sync"
	"time"
)

// quota is the channel's monthly message budget, as LINE keeps it
// (https://developers.line.biz/en/reference/messaging-api/#get-quota and
// #get-consumption): a target limit, or none, and the messages that count
// against it this month. Replies are free; a push counts once per
// recipient (one here: pushes go to one user). At the limit a push is
// refused with 429, as LINE refuses it.
type quota struct {
	mu    sync.Mutex
	limit int64 // 0: no target set (type "none")
	month string
	used  int64
}

var japan = time.FixedZone("JST", 9*60*60)

// SetQuota sets the channel's monthly target (0 for none) and how many
// messages count against it this month.
func (e *Emulator) SetQuota(limit, used int64) {
	q := &e.quota
	q.mu.Lock()
	defer q.mu.Unlock()
	q.limit, q.used, q.month = limit, used, e.opts.Now().In(japan).Format("2006-01")
}

// QuotaUsed is how many messages count against the budget this month.
func (e *Emulator) QuotaUsed() int64 {
	q := &e.quota
	q.mu.Lock()
	defer q.mu.Unlock()
	q.roll(e.opts.Now())
	return q.used
}

// roll starts a new month's count when the month changed.
func (q *quota) roll(now time.Time) {
	if m := now.In(japan).Format("2006-01"); m != q.month {
		q.month, q.used = m, 0
	}
}

// quotaRoutes adds the quota endpoints to mux.
func (e *Emulator) quotaRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v2/bot/message/quota", e.auth(func(w http.ResponseWriter, r *http.Request) {
		q := &e.quota
		q.mu.Lock()
		limit := q.limit
		q.mu.Unlock()
		if limit <= 0 {
			writeJSON(w, http.StatusOK, map[string]any{"type": "none"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"type": "limited", "value": limit})
	}))
	mux.HandleFunc("GET /v2/bot/message/quota/consumption", e.auth(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"totalUsage": e.QuotaUsed()})
	}))
}

// counted counts a push that went out against the month's budget, and
// refuses one beyond it.
func (e *Emulator) counted(push http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := &e.quota
		q.mu.Lock()
		q.roll(e.opts.Now())
		full := q.limit > 0 && q.used >= q.limit
		q.mu.Unlock()
		if full {
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "You have reached your monthly limit."})
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		push(sw, r)
		if sw.code == http.StatusOK {
			q.mu.Lock()
			q.used++
			q.mu.Unlock()
		}
	}
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}
