// Package webhook is the LINE webhook endpoint: it caps the body, verifies
// the signature over the raw bytes, parses just enough to dedupe and order
// the events, stores them durably and only then answers 200, well inside
// LINE's 2 seconds.
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
	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/internal/random"
)

// MaxBody caps a webhook body. LINE documents none; 1 MiB is generous.
const MaxBody = 1 << 20

// Intake stores events durably for processing, skipping ids it has seen,
// and reports how many were new. An error means some may not be stored.
type Intake interface {
	Add(ctx context.Context, evs []taikai.Event) (int, error)
}

// Handler serves POST /callback.
type Handler struct {
	Secret string
	Intake Intake
	Log    *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Count, if set, is told each request's outcome: ok, bad_signature,
	// too_large, unreadable, undecodable, unavailable.
	Count func(outcome string)
}

func (h *Handler) count(outcome string) {
	if h.Count != nil {
		h.Count(outcome)
	}
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
	// A request id ties the logs of this webhook and of its events together.
	rid := random.Hex(8)
	log = log.With("request", rid)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			log.Warn("webhook body too large", "limit", MaxBody)
			h.count("too_large")
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		h.count("unreadable")
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	sig := r.Header.Get("x-line-signature")
	if sig == "" || !linewebhook.ValidateSignature(h.Secret, sig, body) {
		log.Warn("webhook signature invalid", "present", sig != "")
		h.count("bad_signature")
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
		h.count("undecodable")
		ok(w)
		return
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	received := now()
	evs := make([]taikai.Event, 0, len(cb.Events))
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
		evs = append(evs, taikai.Event{ID: id, Key: orderKey(l, id), Raw: raw, Received: received, Request: rid})
	}
	if len(evs) == 0 {
		h.count("ok")
		ok(w)
		return
	}
	n, err := h.Intake.Add(r.Context(), evs)
	if err != nil {
		// Never 200 for an event not stored: a 5xx makes LINE redeliver.
		log.Error("events not stored; asking LINE to redeliver", "err", err)
		h.count("unavailable")
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	if n < len(evs) {
		log.Debug("duplicate events skipped", "count", len(evs)-n)
	}
	h.count("ok")
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
