package console

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai"
)

// AuditEntry is one entry of the audit log: a filing, or something staff
// did (paused, resumed, replied, wrote a note).
type AuditEntry struct {
	At   time.Time
	Kind string
	// Staff is who acted (staff actions); User the user's pseudonym (the
	// audit outlives the user's data, so it never holds the user id).
	Staff, User string
	// A filing's account, reason code, idempotency key and receipt.
	Account, Reason, Key, Receipt string
	// Chars is the length of a reply or a note (never its text).
	Chars int
	// Consent is what a filing's user was shown and agreed to (nil when
	// none was recorded).
	Consent *taikai.Consent
}

func auditEntry(m redis.XMessage) AuditEntry {
	str := func(k string) string { s, _ := m.Values[k].(string); return s }
	n, _ := strconv.ParseInt(str("at"), 10, 64)
	e := AuditEntry{At: time.UnixMilli(n), Kind: str("kind"), Staff: str("staff"), User: str("user"), Account: str("account"),
		Reason: str("reason"), Key: str("key"), Receipt: str("receipt")}
	e.Chars, _ = strconv.Atoi(str("chars"))
	if c := str("consent"); c != "" {
		var v taikai.Consent
		if json.Unmarshal([]byte(c), &v) == nil {
			e.Consent = &v
		}
	}
	if e.Kind == "" {
		e.Kind = auditFiling // written before staff actions were audited
	}
	return e
}

// Audit returns the latest entries, newest first.
func (j *Journal) Audit(ctx context.Context, limit int) ([]AuditEntry, error) {
	return j.AuditBetween(ctx, time.Time{}, time.Time{}, limit)
}

// AuditBetween returns the entries from from to to (zero: open), newest
// first, at most limit.
func (j *Journal) AuditBetween(ctx context.Context, from, to time.Time, limit int) ([]AuditEntry, error) {
	msgs, err := j.rdb.XRevRangeN(ctx, j.auditKey(), streamEnd(to), streamStart(from), int64(limit)).Result()
	if err != nil {
		return nil, err
	}
	out := make([]AuditEntry, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, auditEntry(m))
	}
	return out, nil
}

// EachAudit calls f with every entry from from to to (zero: open), oldest
// first, read in pages of 1,000.
func (j *Journal) EachAudit(ctx context.Context, from, to time.Time, f func(AuditEntry) error) error {
	start := streamStart(from)
	for {
		msgs, err := j.rdb.XRangeN(ctx, j.auditKey(), start, streamEnd(to), 1000).Result()
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if err := f(auditEntry(m)); err != nil {
				return err
			}
		}
		if len(msgs) < 1000 {
			return nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

func streamStart(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

func streamEnd(t time.Time) string {
	if t.IsZero() {
		return "+"
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}
