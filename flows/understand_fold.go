package flows

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// fold prepares a message for matching, so that the many ways of typing one
// word compare equal. It returns the folded text and what the folding saw:
//
//   - NFKC: half-width kana become full-width (ｷｬﾝｾﾙ → キャンセル),
//     full-width letters and digits become ASCII (ＯＫ → OK);
//   - lower case; katakana become hiragana (キャンセル → きゃんせる), small
//     vowels become plain ones (はぃ → はい);
//   - long-vowel marks and tildes go (はーい → はい), and so do runs of
//     three or more of one kana (はいいい → はい) or of one ASCII letter
//     (yesss → yes; lexicon entries are folded the same way);
//   - emoji, kaomoji and other symbols go;
//   - punctuation and line breaks become one clause separator ',', question
//     marks become '?', an ellipsis (… or ..) becomes ',' and is reported as
//     hesitation;
//   - spaces go, except one between two ASCII words;
//   - at the end of a clause, a trailing っ, 笑 or run of w goes
//     (はいっ, はいw).
//
// Lexicon entries are folded with the same function, so they are written
// in their natural spelling.
func fold(s string) (string, foldInfo) {
	if !isASCII(s) {
		s = norm.NFKC.String(s)
	}
	var f foldInfo
	var buf [512]byte // on the stack: a message is read with one allocation
	out := buf[:0]
	// last and last2 are the two runes written last, for run collapsing.
	var last, last2 rune
	space := false // a space is pending between two ASCII words
	dots := 0      // consecutive dots seen, for an ellipsis
	sep := func() {
		out = trimClauseEnd(out)
		if n := len(out); n > 0 && out[n-1] != ',' && out[n-1] != '?' {
			out = append(out, ',')
		}
		last, last2, space = 0, 0, false
	}
	for _, r := range s {
		if r == '.' || r == '。' || r == '…' || r == '‥' {
			dots++
			if r == '…' || r == '‥' || dots == 2 {
				f.ellipsis = true
			}
			sep()
			continue
		}
		dots = 0
		switch {
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		case r >= utf8.RuneSelf && r < 0x3000:
			r = unicode.ToLower(r) // Latin, Greek, Cyrillic; not kana or kanji
		}
		switch {
		case r == '?' || r == '¿':
			out = trimClauseEnd(out)
			if n := len(out); n > 0 && out[n-1] == ',' {
				out = out[:n-1]
			}
			if n := len(out); n == 0 || out[n-1] != '?' {
				out = append(out, '?')
			}
			f.question = true
			last, last2, space = 0, 0, false
			continue
		case isSeparator(r):
			sep()
			continue
		case unicode.IsSpace(r):
			if last < utf8.RuneSelf && isASCIIAlnum(byte(last)) {
				space = true
			}
			last, last2 = 0, 0 // no run across a space: "i'm moving"
			continue
		case r == 'ー' || r == '~' || r == '〜':
			// Elongation goes (はーい → はい), except in うーん (hmm), which
			// must not become うん (yes).
			if last != 'う' {
				continue
			}
			r = 'ー'
			if last == r {
				continue
			}
		case r == '-' || r == '_' || r == '\'' || r == '’' || r == '‘' || r == '`':
			// A mark inside a word (don't, re-register).
			continue
		case r >= 'ァ' && r <= 'ヶ':
			r -= 'ァ' - 'ぁ'
			f.kana++
		case r >= 'ぁ' && r <= 'ゖ':
			f.kana++
		case unicode.Is(unicode.Han, r) || r == '々':
			f.han++
		case r < utf8.RuneSelf && isASCIIAlnum(byte(r)):
			if r >= 'a' && r <= 'z' {
				f.latin++
			}
		case r == '@' || r == '¥' || r == '$' || r == '%':
			// Kept: they carry meaning in a reason or an amount.
		default:
			// Emoji, kaomoji, symbols, other scripts.
			if r > utf8.RuneSelf {
				f.symbols = true
			}
			f.doubt = f.doubt || isDoubtEmoji(r)
			continue
		}
		switch r {
		case 'ぁ', 'ぃ', 'ぅ', 'ぇ', 'ぉ', 'ゎ', 'ゕ', 'ゖ':
			r = smallToPlain(r)
		}
		if r == last && (r == last2 || (r < utf8.RuneSelf && r >= 'a' && r <= 'z')) {
			continue // yesss, はいいい
		}
		if space {
			if r < utf8.RuneSelf && isASCIIAlnum(byte(r)) {
				out = append(out, ' ')
			}
			space = false
		}
		out = utf8.AppendRune(out, r)
		last2, last = last, r
	}
	out = trimClauseEnd(out)
	for n := len(out); n > 0 && out[n-1] == ','; n = len(out) {
		out = out[:n-1]
	}
	return string(out), f
}

// foldInfo is what folding saw besides the text.
type foldInfo struct {
	question bool // a question mark
	ellipsis bool // … or .. : hesitation
	symbols  bool // emoji, kaomoji or other symbols
	doubt    bool // an emoji of doubt or distress: 🤔 😢 😭 🥺
	han      int  // kanji
	kana     int  // hiragana and katakana
	latin    int  // ASCII letters
}

// isDoubtEmoji: a face that doubts or grieves; "はい🤔" is not a yes.
func isDoubtEmoji(r rune) bool {
	switch r {
	case '🤔', '😕', '😟', '😥', '😰', '😢', '😭', '🥺', '😣', '😞', '😔', '🙄', '😩', '😫', '😓', '😖', '🥲', '😬', '😨', '😧', '😦', '🫤', '😶':
		return true
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isASCIIAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b >= 'A' && b <= 'Z'
}

func isSeparator(r rune) bool {
	switch r {
	case ',', '、', '!', '！', ';', ':', '/', '・', '\n', '\r', '\t',
		'(', ')', '[', ']', '{', '}', '「', '」', '『', '』', '【', '】', '（', '）', '〈', '〉', '《', '》',
		'"', '“', '”':
		return true
	}
	return false
}

func smallToPlain(r rune) rune {
	switch r {
	case 'ぁ':
		return 'あ'
	case 'ぃ':
		return 'い'
	case 'ぅ':
		return 'う'
	case 'ぇ':
		return 'え'
	case 'ぉ':
		return 'お'
	case 'ゎ':
		return 'わ'
	case 'ゕ':
		return 'か'
	case 'ゖ':
		return 'け'
	}
	return r
}

// trimClauseEnd drops what decorates the end of a clause: a trailing っ
// (はいっ), 笑, or a run of w after Japanese (はいw).
func trimClauseEnd(b []byte) []byte {
	for {
		start := len(b)
		for start > 0 && b[start-1] != ',' && b[start-1] != '?' {
			start--
		}
		r, size := utf8.DecodeLastRune(b[start:])
		switch {
		case size == 0:
			return b
		case r == 'っ' || r == '笑':
			b = b[:len(b)-size]
		case r == 'w':
			i := len(b)
			for i > start && b[i-1] == 'w' {
				i--
			}
			if i == start {
				return b // "w" alone, or an English word
			}
			p, _ := utf8.DecodeLastRune(b[start:i])
			if p < utf8.RuneSelf {
				return b // an English word ending in w ("now")
			}
			b = b[:i]
		default:
			return b
		}
	}
}
