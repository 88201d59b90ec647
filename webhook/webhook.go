// Package webhook is the LINE webhook endpoint: it caps the body, verifies
// the signature over the raw bytes, parses just enough to dedupe and order
// the events, hands them over and answers 200, well inside LINE's 2 seconds.
// The full decoding of each event (the SDK's) happens later, off this path.
package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	linewebhook "github.com/line/line-bot-sdk-go/v8/linebot/webhook"
	"github.com/taikaibot/taikai/bot"
)

// MaxBody caps a webhook body. LINE documents none; 1 MiB is generous.
const MaxBody = 1 << 20

// Queue takes events for processing.
type Queue interface {
	Enqueue(ctx context.Context, evs []bot.Event) error
}

// Deduper remembers event ids: FirstSeen reports, per id, whether it is new;
// Forget undoes that for events that could not be handed over.
type Deduper interface {
	FirstSeen(ctx context.Context, ids []string) ([]bool, error)
	Forget(ctx context.Context, ids []string) error
}

// Handler serves POST /callback.
type Handler struct {
	Secret string
	Queue  Queue
	Dedupe Deduper
	Log    *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// lean is the part of an event the webhook needs. Decoding only this is an
// order of magnitude cheaper than the SDK's full decoding.
type lean struct {
	Type           string `json:"type"`
	WebhookEventID string `json:"webhookEventId"`
	Source         struct {
		Type    string `json:"type"`
		UserID  string `json:"userId"`
		GroupID string `json:"groupId"`
		RoomID  string `json:"roomId"`
	} `json:"source"`
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			log.Warn("webhook body too large", "limit", MaxBody)
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	sig := r.Header.Get("x-line-signature")
	if sig == "" || !linewebhook.ValidateSignature(h.Secret, sig, body) {
		log.Warn("webhook signature invalid", "present", sig != "")
		http.Error(w, "invalid signature", http.StatusBadRequest)
		return
	}
	var cb struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(body, &cb); err != nil {
		// Signed but unreadable: answering an error would only make LINE
		// send the same bytes again. The body is not logged (it may hold
		// what a user wrote).
		log.Error("webhook body undecodable; dropped", "bytes", len(body))
		ok(w)
		return
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	received := now()
	evs := make([]bot.Event, 0, len(cb.Events))
	ids := make([]string, 0, len(cb.Events))
	for _, raw := range cb.Events {
		var l lean
		if err := json.Unmarshal(raw, &l); err != nil {
			log.Warn("malformed event dropped", "bytes", len(raw))
			continue
		}
		id := l.WebhookEventID
		if id == "" {
			sum := sha256.Sum256(raw)
			id = "sha256:" + hex.EncodeToString(sum[:16])
		}
		evs = append(evs, bot.Event{ID: id, Key: orderKey(l, id), Raw: raw, Received: received})
		ids = append(ids, id)
	}
	if len(evs) == 0 {
		ok(w)
		return
	}
	first, err := h.Dedupe.FirstSeen(r.Context(), ids)
	if err != nil {
		log.Error("dedupe unavailable; asking LINE to redeliver", "err", err)
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	fresh := evs[:0]
	var freshIDs []string
	for i, ev := range evs {
		if first[i] {
			fresh = append(fresh, ev)
			freshIDs = append(freshIDs, ev.ID)
		} else {
			log.Info("duplicate event skipped", "event", ev.ID)
		}
	}
	if len(fresh) > 0 {
		if err := h.Queue.Enqueue(r.Context(), fresh); err != nil {
			// Not taken: forget the ids so that LINE's redelivery is processed.
			if ferr := h.Dedupe.Forget(context.WithoutCancel(r.Context()), freshIDs); ferr != nil {
				log.Error("forgetting event ids failed", "err", ferr)
			}
			log.Error("events not taken; asking LINE to redeliver", "err", err)
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
	}
	ok(w)
}

func ok(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte("{}"))
}

// orderKey groups the events that must be processed in order: one user's,
// or one group's or room's. An event naming none is ordered by itself.
func orderKey(l lean, id string) string {
	switch {
	case l.Source.UserID != "" && l.Source.Type == "user":
		return l.Source.UserID
	case l.Source.GroupID != "":
		return "group:" + l.Source.GroupID
	case l.Source.RoomID != "":
		return "room:" + l.Source.RoomID
	case l.Source.UserID != "":
		return l.Source.UserID
	}
	return "event:" + id
}
