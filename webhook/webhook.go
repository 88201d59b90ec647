// Package webhook is the LINE webhook endpoint: it caps the body, verifies
// the signature over the raw bytes, parses just enough to dedupe and order
// the events, stores them durably and only then answers 200, well inside
// LINE's 2 seconds.
// The full decoding of each event (the SDK's) happens later, off this path.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/taikaibot/taikai"
	"github.com/taikaibot/taikai/internal/random"
)

// MaxBody caps a webhook body. LINE documents none; 1 MiB is generous.
const MaxBody = 1 << 20

// Defaults of Handler.MaxAge and Handler.Timeout.
const (
	// DefaultMaxAge is the oldest event stored: the intake remembers ids for
	// 25 hours, so an older event (a signed body captured and replayed once
	// its dedupe mark is gone) could run again.
	DefaultMaxAge = 24 * time.Hour
	// DefaultTimeout bounds storing a webhook's events. LINE waits 2 s for
	// the answer; a 503 in time makes it redeliver, a timeout may not.
	DefaultTimeout = 800 * time.Millisecond
)

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
	// Reject, if set, is told each event dropped at intake, by reason:
	// stale (older than MaxAge), bad_user_id (a source.userId that is not
	// "U" and 32 lowercase hex digits).
	Reject func(reason string)
	// MaxAge is the oldest event stored, by its LINE timestamp; older ones
	// are logged and skipped. It must not exceed the time the intake
	// remembers event ids. Default DefaultMaxAge.
	MaxAge time.Duration
	// Timeout bounds storing the events, so that the answer (503 when Redis
	// does not take them) reaches LINE within a second. Default
	// DefaultTimeout.
	Timeout time.Duration

	macs sync.Pool // of *keyedMAC
}

func (h *Handler) reject(reason string) {
	if h.Reject != nil {
		h.Reject(reason)
	}
}

func (h *Handler) count(outcome string) {
	if h.Count != nil {
		h.Count(outcome)
	}
}

// lean is the part of an event the webhook needs. Decoding only this is an
// order of magnitude cheaper than the SDK's full decoding.
type lean struct {
	Type string `json:"type"`
	// Timestamp is read only when it is a number: an event whose fields
	// are malformed goes on, to be counted as such where it is decoded.
	Timestamp      json.RawMessage `json:"timestamp"`
	WebhookEventID string          `json:"webhookEventId"`
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
	// A request id ties the logs of this webhook and of its events together
	// (each log line names it: a logger With it would format it for every
	// request, logged or not).
	rid := random.Hex(8)
	body, err := readBody(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			log.Warn("webhook body too large", "request", rid, "limit", MaxBody)
			h.count("too_large")
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		h.count("unreadable")
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	sig := r.Header.Get("x-line-signature")
	if sig == "" || !h.validSignature(sig, body) {
		log.Warn("webhook signature invalid", "request", rid, "present", sig != "")
		h.count("bad_signature")
		http.Error(w, "invalid signature", http.StatusBadRequest)
		return
	}
	events, err := parse(body)
	if err != nil {
		// Signed but unreadable: answering an error would only make LINE
		// send the same bytes again. The body is not logged (it may hold
		// what a user wrote).
		log.Error("webhook body undecodable; dropped", "request", rid, "bytes", len(body))
		h.count("undecodable")
		ok(w)
		return
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	received := now()
	maxAge := h.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	evs := make([]taikai.Event, 0, len(events))
	for _, e := range events {
		raw, l := e.raw, e.l
		if e.err != nil {
			log.Warn("malformed event dropped", "request", rid, "bytes", len(raw))
			continue
		}
		id := eventID(l.WebhookEventID, raw)
		if l.Source.UserID != "" && !taikai.ValidUserID(l.Source.UserID) {
			// Not LINE's: never let it reach a key (a '}' would break the
			// hash tag) or a log line (it may be of any size).
			log.Warn("event with a malformed user id dropped", "request", rid, "event", id, "user_sha256", digest(l.Source.UserID), "bytes", len(l.Source.UserID))
			h.reject("bad_user_id")
			continue
		}
		if ms, err := strconv.ParseInt(string(l.Timestamp), 10, 64); err == nil && received.Sub(time.UnixMilli(ms)) > maxAge {
			// Its dedupe mark may be gone: a replayed body would run again.
			log.Warn("event older than the replay window skipped", "request", rid, "event", id, "age", received.Sub(time.UnixMilli(ms)).Round(time.Second).String())
			h.reject("stale")
			continue
		}
		evs = append(evs, taikai.Event{ID: id, Key: orderKey(l, id), Raw: raw, Received: received, Request: rid})
	}
	if len(evs) == 0 {
		h.count("ok")
		ok(w)
		return
	}
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	n, err := h.Intake.Add(ctx, evs)
	if err != nil {
		// Never 200 for an event not stored: a 5xx makes LINE redeliver.
		log.Error("events not stored; asking LINE to redeliver", "request", rid, "err", err)
		h.count("unavailable")
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	if n < len(evs) {
		log.Debug("duplicate events skipped", "request", rid, "count", len(evs)-n)
	}
	h.count("ok")
	ok(w)
}

// readBody reads the body, up to MaxBody (a *http.MaxBytesError past it),
// into a buffer of its announced length when it has one.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, MaxBody)
	if n := r.ContentLength; n > 0 && n <= MaxBody {
		// Then one byte more, to see the end (net/http ends a body at its
		// announced length; another reader may not).
		body := make([]byte, n)
		if _, err := io.ReadFull(rd, body); err != nil {
			return nil, err
		}
		var one [1]byte
		switch k, err := io.ReadFull(rd, one[:]); {
		case err == io.EOF:
			return body, nil
		case err != nil:
			return nil, err
		default:
			rest, err := io.ReadAll(rd)
			if err != nil {
				return nil, err
			}
			return append(append(body, one[:k]...), rest...), nil
		}
	}
	return io.ReadAll(rd)
}

// validSignature says whether sig (x-line-signature) is the base64 of the
// HMAC-SHA256 of body under the channel secret, as the SDK's
// ValidateSignature does, with a MAC from a pool instead of a new one.
func (h *Handler) validSignature(sig string, body []byte) bool {
	var want [64]byte
	if base64.StdEncoding.DecodedLen(len(sig)) > len(want) {
		return false // longer than any HMAC-SHA256
	}
	n, err := base64.StdEncoding.Decode(want[:], []byte(sig))
	if err != nil {
		return false
	}
	m := h.macs.Get()
	if m == nil || m.(*keyedMAC).secret != h.Secret {
		m = &keyedMAC{secret: h.Secret, mac: hmac.New(sha256.New, []byte(h.Secret))}
	}
	km := m.(*keyedMAC)
	defer h.macs.Put(km)
	km.mac.Reset()
	km.mac.Write(body)
	var sum [sha256.Size]byte
	return hmac.Equal(km.mac.Sum(sum[:0]), want[:n])
}

// keyedMAC is an HMAC-SHA256 under secret.
type keyedMAC struct {
	secret string
	mac    hash.Hash
}

// eventID is the id an event is deduped by: LINE's webhookEventId (a
// ULID) when it is safe in a Redis key, else a hash of it; a hash of the
// event when it has none.
func eventID(id string, raw []byte) string {
	switch {
	case id == "":
		sum := sha256.Sum256(raw)
		return "sha256:" + hex.EncodeToString(sum[:16])
	case len(id) > 64 || strings.Trim(id, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_") != "":
		return "id-sha256:" + digest(id)
	}
	return id
}

// digest stands for something taken from input, in logs and keys: 128 bits
// of its SHA-256, whatever its length.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
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
