package bot

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxErrLog caps an error in a log line, in bytes.
const maxErrLog = 160

// quoted matches a Go-quoted string in an error: what an error quotes came
// from outside (a URL with an id in its path, a value taken from input).
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// scrub makes an error fit for a log line. Errors come from the adapters
// and the SDKs, which may put ids in them (a URL's path holds the user id
// or the account id; a refusal quotes what it refused): the ids the call
// was about are replaced by their pseudonyms, the keyed hash logs use for
// users — an account's is the one the marketplace client's errors use —
// anything quoted by a plain hash and its length, and only the first line
// is kept, capped.
func (b *Bot) scrub(err error, ids ...string) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	for _, id := range ids {
		if len(id) >= 4 { // shorter is no id, and could match anywhere
			s = strings.ReplaceAll(s, id, b.pseudonym(id))
		}
	}
	s = quoted.ReplaceAllStringFunc(s, func(q string) string { return inputHash(q[1 : len(q)-1]) })
	if len(s) > maxErrLog {
		cut := maxErrLog
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// inputHash stands for something taken from input in a log line: a plain
// hash (the input is not secret as such, but may be personal) and its
// length, so that two log lines about the same thing can be matched.
func inputHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(h[:6]) + "/" + strconv.Itoa(len(s))
}
