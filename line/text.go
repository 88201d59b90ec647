package line

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// LINE measures text in two ways (docs/messaging-api/text-character-count):
// most fields in UTF-16 code units (🍎 is 2), but action labels, a
// postback's displayText and a template's title and text in grapheme
// clusters (👨‍👩‍👧 is 1). Cuts are made between grapheme clusters either
// way, so that no surrogate pair, emoji sequence or combining mark is split.

// units is the length of s in UTF-16 code units.
func units(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// ellipsis marks a cut: one code unit and one grapheme cluster.
const ellipsis = "…"

// clipUnits shortens s to at most n UTF-16 code units, marking the cut.
func clipUnits(s string, n int) string {
	if units(s) <= n {
		return s
	}
	return clip(s, n, units)
}

// clipGraphemes shortens s to at most n grapheme clusters, marking the cut.
func clipGraphemes(s string, n int) string {
	// A grapheme cluster is one rune or more: no more runes than n, no
	// more clusters (and no need to count them).
	if utf8.RuneCountInString(s) <= n || uniseg.GraphemeClusterCount(s) <= n {
		return s
	}
	return clip(s, n, func(string) int { return 1 })
}

// clip keeps the longest run of whole grapheme clusters of s whose size
// (each measured by size) leaves room for the ellipsis within n.
func clip(s string, n int, size func(string) int) string {
	room := n - size(ellipsis)
	end, used := 0, 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		k := size(g.Str())
		if used+k > room {
			break
		}
		used += k
		_, end = g.Positions()
	}
	return strings.TrimRightFunc(s[:end], isSpace) + ellipsis
}

func isSpace(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '\u3000' }
