package line

import (
	"strings"
	"testing"
)

// TestClipCountsAsLINEDoes: text is cut to a number of UTF-16 code units,
// labels to a number of grapheme clusters, and never inside either: no
// surrogate pair, emoji sequence or combining mark is split.
func TestClipCountsAsLINEDoes(t *testing.T) {
	family := "👨\u200d👩\u200d👧" // one grapheme cluster of 8 code units
	for _, tc := range []struct {
		name, in string
		n        int
		units    string
		graph    string
	}{
		{"fits", "あいう", 3, "あいう", "あいう"},
		{"kana", "あいうえお", 4, "あいう…", "あいう…"},
		{"apples", "🍎🍎🍎", 4, "🍎…", "🍎🍎🍎"},
		{"apples cut", "🍎🍎🍎🍎🍎", 4, "🍎…", "🍎🍎🍎…"},
		{"family", family + family + "x", 10, family + "…", family + family + "x"},
		{"combining", "e\u0301e\u0301e\u0301", 3, "e\u0301…", "e\u0301e\u0301e\u0301"},
		{"combining cut", "e\u0301e\u0301e\u0301e\u0301", 3, "e\u0301…", "e\u0301e\u0301…"},
		{"space before the cut", "ab cdef", 4, "ab…", "ab…"},
	} {
		if got := clipUnits(tc.in, tc.n); got != tc.units || units(got) > tc.n {
			t.Errorf("%s: clipUnits(%q, %d) = %q (%d units); want %q", tc.name, tc.in, tc.n, got, units(got), tc.units)
		}
		if got := clipGraphemes(tc.in, tc.n); got != tc.graph {
			t.Errorf("%s: clipGraphemes(%q, %d) = %q; want %q", tc.name, tc.in, tc.n, got, tc.graph)
		}
	}
	if n := units(strings.Repeat("🍎", 3) + "あa"); n != 8 {
		t.Errorf("units = %d; want 8", n)
	}
}
