package taikai

import "time"

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
