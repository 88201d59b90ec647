package flows

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Consent is how a message typed at the confirm step consents to filing
// the withdrawal. The understanding says what a message means; this says
// whether its words are a consent clean enough to act on, and the
// conversation files on a typed message only when both agree. The confirm
// button, pressed or typed as its exact words, needs neither.
type Consent uint8

const (
	// ConsentNone: not a clean consent (a question, a doubt, an emoji, a
	// hedge, thanks, an acknowledgement, anything else): the bot asks.
	ConsentNone Consent = iota
	// ConsentBare: a bare yes (はい, うん, yes, はい、お願いします). It answers a
	// question, so it files only as the direct answer to the summary's
	// question "退会しますか？", when that was the last thing the bot said.
	ConsentBare
	// ConsentExplicit: consent in its own words (退会します, 退会を申請します,
	// 申請してください, close my account, confirm closure), alone or after a
	// yes or an acknowledgement (はい、退会します, わかりました、退会します).
	ConsentExplicit
)

// ConsentOf reads text as the confirm step's answer. It is a whitelist,
// literal but for width, case and spacing: the message must be made of
// consent words only, after a plain stop at the end (。 . or ! marks) is
// taken off. Any other character — a question or doubt mark, an ellipsis
// (・・・ 、、、), an emoji or kaomoji, a long mark (はーい), a laugh (w) — or
// any other word — thanks, a greeting, a hedge, a negation, a repeat — makes
// it ConsentNone. It reads no meaning into anything: that is the
// understanding's part.
func ConsentOf(text string) Consent {
	if len(text) > 200 {
		return ConsentNone
	}
	s := strings.ToLower(norm.NFKC.String(text))
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'ァ' && r <= 'ヶ':
			b.WriteRune(r - ('ァ' - 'ぁ')) // タイカイスル → たいかいする
		case r >= 'ぁ' && r <= 'ゖ', r >= 'a' && r <= 'z', unicode.Is(unicode.Han, r):
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		case r == '、' || r == ',' || r == '。' || r == '.' || r == '!':
			b.WriteRune(r)
		default:
			return ConsentNone // ? ❓ ・ … ー 〜 emoji, kaomoji, digits, symbols
		}
	}
	s = strings.TrimSpace(b.String())
	s = strings.TrimRight(s, "! ")
	if t, ok := strings.CutSuffix(s, "。"); ok {
		s = t
	} else if t, ok := strings.CutSuffix(s, "."); ok {
		s = t
	}
	if hasKanaWord(s) {
		s = kanaToKanji.Replace(s) // たいかいします → 退会します
	}
	// Clauses: one mark between them, never two (はい、、 trails off).
	var parts []string
	for {
		i := strings.IndexAny(s, "、,。.!")
		if i < 0 {
			break
		}
		parts = append(parts, strings.TrimSpace(s[:i]))
		_, size := utf8.DecodeRuneInString(s[i:])
		s = s[i+size:]
	}
	parts = append(parts, strings.TrimSpace(s))
	for i, p := range parts {
		if p == "" || len(parts) > 3 {
			return ConsentNone
		}
		parts[i] = spaced(p)
	}
	// A yes written together with what follows: はい退会します, yes close it.
	if len(parts) == 1 {
		for _, y := range consentLeads {
			if rest, ok := strings.CutPrefix(parts[0], y); ok && strings.TrimSpace(rest) != "" {
				parts = []string{y, strings.TrimSpace(rest)}
				break
			}
		}
	}
	// [lead] consent [please] | [yes] please | yes
	i := 0
	lead, bareLead := "", false
	if in(consentLeads, parts[i]) {
		lead, bareLead = parts[i], in(bareYes, parts[i])
		i++
	}
	switch {
	case i == len(parts):
		if bareLead {
			return ConsentBare // はい, yes
		}
		return ConsentNone // わかりました, OK: read, not "file it"
	case in(explicitConsent, parts[i]):
		i++
		if i < len(parts) && in(consentPlease, parts[i]) {
			i++
		}
		if i == len(parts) {
			return ConsentExplicit
		}
	case in(consentPlease, parts[i]) && (lead == "" || bareLead):
		if i+1 == len(parts) {
			return ConsentBare // お願いします, はい、お願いします
		}
	}
	return ConsentNone
}

// spaced keeps one space between two English words and none elsewhere
// (退会 します is 退会します).
func spaced(s string) string {
	var b strings.Builder
	var prev rune
	space := false
	for _, r := range s {
		if r == ' ' {
			space = true
			continue
		}
		if space && prev < utf8.RuneSelf && prev != 0 && r < utf8.RuneSelf {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

func in(set []string, s string) bool {
	for _, w := range set {
		if s == w {
			return true
		}
	}
	return false
}

var (
	// bareYes answers a yes/no question and nothing else.
	bareYes = []string{"はい", "うん", "ええ", "yes", "yeah", "yep", "sure", "yes please"}
	// consentLeads may come before a consent: a yes, or an acknowledgement
	// (which alone is no consent).
	consentLeads = append(append([]string(nil), bareYes...), "わかりました", "分かりました", "了解しました", "了解です",
		"承知しました", "承知いたしました", "理解しました", "ok", "okay")
	// explicitConsent says what is consented to.
	explicitConsent = []string{
		"退会する", "退会します", "退会を申請する", "退会を申請します", "退会を申請してください", "退会申請します", "退会の申請をお願いします",
		"申請する", "申請します", "申請してください", "申請をお願いします", "退会してください", "退会お願いします", "退会をお願いします",
		"退会でお願いします", "退会を確定します", "確定してください", "それでも退会します", "本当に退会します",
		"close my account", "close the account", "close it", "please close my account", "please close it", "confirm closure", "confirm",
		"confirm the closure", "file it", "file the closure", "please file it",
	}
	// consentPlease asks for what was asked (お願いします): a bare yes alone,
	// part of a consent after one.
	consentPlease = []string{"お願いします", "おねがいします", "お願いいたします", "お願い致します", "よろしくお願いします",
		"よろしくお願いいたします", "please"}
)

// agreementOnly reports whether text only agrees (はい, OK, わかりました,
// お願いします, …) without saying to what: an answer to a yes/no question,
// not to "go on, or keep your account?".
func agreementOnly(text string) bool {
	if ConsentOf(text) == ConsentBare {
		return true
	}
	s := strings.ToLower(norm.NFKC.String(text))
	s = strings.TrimRight(strings.TrimSpace(s), "!。. ")
	return in(consentLeads, s)
}
