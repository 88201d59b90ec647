package flows

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// normalize folds what a user types so that it compares equal to the
// words of a button (typing a button's words presses it): full-width and
// half-width forms (NFKC), case, spaces and trailing punctuation. Anything
// else typed is read by the understanding (Understand), never by phrase
// lists here.
func normalize(s string) string {
	s = norm.NFKC.String(s)
	s = strings.ToLower(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	return strings.TrimRight(s, ".。!！?？、,~〜…")
}
