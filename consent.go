package taikai

import (
	"fmt"
	"regexp"
	"time"
)

// Consent is the record of what a user was shown and agreed to before a
// withdrawal was filed: when the warning (what is lost, for good) was shown
// and acknowledged, the figures it showed, when the confirmation summary
// was shown and confirmed, in which language, for which reason, and which
// words exactly (a version of the catalog's copy, and a SHA-256 of the text
// as shown). It is sent with the filing and kept in the audit log. It holds
// no words of the user's: the typed reason travels in the request itself.
//
// Times are RFC 3339 in UTC, to the millisecond (see Stamp): when a step was
// shown by the bot's clock, when the user acted by the chat platform's
// (LINE's event timestamp). The zero Consent means none was recorded.
type Consent struct {
	// Language is the language the user was spoken to in ("ja", "en").
	Language string `json:"language"`
	// ReasonCode is the reason confirmed.
	ReasonCode Reason         `json:"reason_code"`
	Warning    ConsentWarning `json:"warning"`
	Confirm    ConsentConfirm `json:"confirm"`
}

// Shown is a text as it was shown: the version of its copy (the catalog's
// template: a change of copy changes it) and the SHA-256 of the exact text,
// in lower-case hex.
type Shown struct {
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	ShownAt string `json:"shown_at"`
}

// ConsentWarning is the warning as shown, and its acknowledgement.
type ConsentWarning struct {
	Shown
	AcknowledgedAt string `json:"acknowledged_at"`
	// The figures the warning showed as lost.
	Rating          Rating `json:"rating"`
	CompletedOrders int    `json:"completed_orders"`
}

// ConsentConfirm is the confirmation summary as shown, and the user's yes.
type ConsentConfirm struct {
	Shown
	ConfirmedAt string `json:"confirmed_at"`
}

// StampLayout is how Consent writes times: RFC 3339, milliseconds, UTC.
const StampLayout = "2006-01-02T15:04:05.000Z07:00"

// Stamp writes t as Consent does.
func Stamp(t time.Time) string { return t.UTC().Format(StampLayout) }

// Check reports whether c is well formed as the contract has it (a
// marketplace may use it to refuse a malformed record): a known language
// and reason, versions and hashes in their forms, times in RFC 3339.
func (c Consent) Check() error {
	if c.Language != "ja" && c.Language != "en" {
		return fmt.Errorf("consent: language %q", c.Language)
	}
	if !c.ReasonCode.Valid() {
		return fmt.Errorf("consent: reason_code %q", c.ReasonCode)
	}
	for _, s := range []struct {
		name string
		v    Shown
		at   string
	}{{"warning", c.Warning.Shown, c.Warning.AcknowledgedAt}, {"confirm", c.Confirm.Shown, c.Confirm.ConfirmedAt}} {
		if !versionRe.MatchString(s.v.Version) {
			return fmt.Errorf("consent: %s.version %q", s.name, s.v.Version)
		}
		if !sha256Re.MatchString(s.v.SHA256) {
			return fmt.Errorf("consent: %s.sha256 is not 64 hex digits", s.name)
		}
		for _, t := range []string{s.v.ShownAt, s.at} {
			if _, err := time.Parse(time.RFC3339Nano, t); err != nil {
				return fmt.Errorf("consent: %s: a time %q", s.name, t)
			}
		}
	}
	if c.Warning.Rating.Count < 0 || c.Warning.CompletedOrders < 0 {
		return fmt.Errorf("consent: negative figures")
	}
	return nil
}

var (
	versionRe = regexp.MustCompile(`^[a-z]{2}-[0-9a-f]{12}$`)
	sha256Re  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)
