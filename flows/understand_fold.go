package flows

import (
	"strings"
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
//   - emoji, kaomoji and other symbols go, and are reported: as doubt when
//     they doubt, deny or grieve (🤔 ❌ 🙅 💦 😅 (;_;) (´・ω・`)), as odd when
//     they are not plainly glad (👍 🙇 😊 are);
//   - punctuation and line breaks become one clause separator ',', question
//     marks (? ？ ؟ ❓ ❔) become '?', an ellipsis (… ‥ .. 。。 ・・ 、、 ,,)
//     becomes ',' and is reported as hesitation;
//   - an elongated え (ええー, えー) is reported as dismay: it is no ええ;
//   - spaces go, except one between two ASCII words;
//   - at the end of a clause, a trailing っ, 笑 or run of w goes
//     (はいっ, はいw); a laugh is reported.
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
	space := false   // a space is pending between two ASCII words
	dots := 0        // consecutive dots seen, for an ellipsis
	var prevSep rune // the separator just seen, if the last rune was one
	sep := func() {
		out = trimClauseEnd(out, &f)
		if n := len(out); n > 0 && out[n-1] != ',' && out[n-1] != '?' {
			out = append(out, ',')
		}
		last, last2, space = 0, 0, false
	}
	skip := -1 // the end of a kaomoji being skipped (a byte offset in s)
	for i, r := range s {
		if i < skip {
			continue
		}
		if r == '(' {
			if end, face := kaomoji(s, i); end > i {
				// (;_;), (´・ω・`), (笑): a face, not words.
				f.symbols, f.kaomoji = true, true
				f.doubt = f.doubt || face == faceDoubt
				f.laugh = f.laugh || face == faceLaugh
				f.odd = f.odd || face != faceGlad
				skip = end
				sep()
				prevSep = 0
				continue
			}
		}
		if r == '.' || r == '。' || r == '…' || r == '‥' {
			dots++
			if r == '…' || r == '‥' || dots == 2 {
				f.ellipsis = true
			}
			sep()
			prevSep = 0
			continue
		}
		dots = 0
		if r == '、' || r == ',' || r == '・' {
			// One is a clause break (はい、退会します); two or more in a row
			// trail off (はい、、、, はい・・・, ok,,,).
			if prevSep == r {
				f.ellipsis = true
			}
			prevSep = r
			sep()
			continue
		}
		prevSep = 0
		switch {
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		case r >= utf8.RuneSelf && r < 0x3000:
			r = unicode.ToLower(r) // Latin, Greek, Cyrillic; not kana or kanji
		}
		switch {
		case isQuestionMark(r):
			out = trimClauseEnd(out, &f)
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
			if last == 'え' {
				f.dismay = true // ええー, えー: dismay, not ええ (yes)
			}
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
			switch {
			case isDoubtEmoji(r):
				f.doubt = true
			case !isGladEmoji(r):
				f.odd = true
			}
			continue
		}
		switch r {
		case 'ぁ', 'ぃ', 'ぅ', 'ぇ', 'ぉ', 'ゎ', 'ゕ', 'ゖ':
			r = smallToPlain(r)
		}
		if r == last && (r == last2 || (r < utf8.RuneSelf && r >= 'a' && r <= 'z')) {
			if r == 'え' {
				f.dismay = true // えええ
			}
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
	out = trimClauseEnd(out, &f)
	for n := len(out); n > 0 && out[n-1] == ','; n = len(out) {
		out = out[:n-1]
	}
	return string(out), f
}

// foldInfo is what folding saw besides the text.
type foldInfo struct {
	question bool // a question mark: ? ？ ؟ ❓ ❔
	ellipsis bool // … ‥ .. 。。 ・・ 、、 ,, : hesitation
	symbols  bool // emoji, kaomoji or other symbols
	doubt    bool // a sign of doubt, refusal or distress: 🤔 ❌ 🙅 💦 😅 (;_;)
	odd      bool // a symbol that is not plainly glad (👍 🙇 😊 are)
	kaomoji  bool // a face in brackets: (^^) (;_;) (笑)
	laugh    bool // a laugh at the end of a clause: w, 笑, (笑)
	dismay   bool // an elongated え: ええー, えー
	han      int  // kanji
	kana     int  // hiragana and katakana
	latin    int  // ASCII letters
}

// isQuestionMark: ? and the marks that ask as it does, in any script or
// as an emoji (はい؟, はい❓ are questions, not answers).
func isQuestionMark(r rune) bool {
	switch r {
	case '?', '¿', '؟', '❓', '❔', '‽', '⸮', '⁇', '⁈', '⁉':
		return true
	}
	return false
}

// isDoubtEmoji: a sign that doubts, refuses, sweats or grieves; "はい🤔",
// "はい❌", "はい💦", "退会する×" are not a yes.
func isDoubtEmoji(r rune) bool {
	switch r {
	case '🤔', '😕', '😟', '😥', '😰', '😢', '😭', '🥺', '😣', '😞', '😔', '🙄', '😩', '😫', '😓', '😖', '🥲', '😬', '😨', '😧', '😦', '🫤', '😶',
		'❌', '❎', '✖', '✕', '✗', '✘', '×', '🙅', '🚫', '⛔', '💦', '😅', '💨', '😮', '😯', '😲', '😱', '😳', '😐', '😑', '🫠', '😵', '🥶', '⚠', '💧', '😿', '🆖', '👎':
		return true
	}
	return false
}

// isGladEmoji: a sign of agreement, thanks or good cheer, and the marks
// that only shape an emoji (variation selectors, joiners, skin tones,
// gender signs): "はい👍", "はい🙇‍♀️" are still a yes where a yes is asked.
func isGladEmoji(r rune) bool {
	switch r {
	case '👍', '👌', '🙆', '⭕', '🙇', '🙏', '😊', '☺', '🙂', '😀', '😃', '😄', '😁', '✨', '💪', '🆗', '✅', '✔', '☑', '💯', '🎉',
		'♪', '♫', '☆', '★', '❤', '💕', '♡', '😉', '🌸', '⭐', '🌟', '💖', '😌',
		'\u200d', '\ufe0f', '\ufe0e', '♀', '♂':
		return true
	}
	return r >= 0x1f3fb && r <= 0x1f3ff // skin tones
}

// face is what a kaomoji shows.
type face uint8

const (
	faceOther face = iota // (・・), (｀・ω・´)
	faceGlad              // (^^), (^_^), (*^▽^*)
	faceDoubt             // (;_;), (T_T), (>_<), (´・ω・`), (^_^;), (汗)
	faceLaugh             // (笑)
)

// kaomoji reports a face in brackets starting at s[i] ('('; NFKC has made
// （ one): up to 12 characters before ')', with no word in them — no kana,
// no kanji but 笑 汗 泣 涙, no two ASCII letters in a row. It returns the
// byte offset after the ')' (or i if there is no face) and what the face
// shows.
func kaomoji(s string, i int) (end int, f face) {
	inner := s[i+1:]
	n, letters, prevLetter := 0, 0, false
	hasHappy := false
	for j, r := range inner {
		if r == ')' {
			if n == 0 {
				return i, faceOther
			}
			end, body := i+1+j+1, inner[:j]
			switch body {
			case "笑", "爆笑", "w", "ww", "www":
				return end, faceLaugh
			}
			// (´・ω・`) is sad, (｀・ω・´) determined: NFKC has written ´
			// as a space and a combining acute.
			first, _ := utf8.DecodeRuneInString(strings.TrimLeft(body, " "))
			switch {
			case first == '´' || first == '\u0301' || strings.ContainsAny(body, ";TДд〒><汗泣涙ㅠ") || strings.ContainsRune(body, '_') && !hasHappy:
				return end, faceDoubt
			case hasHappy:
				return end, faceGlad
			}
			return end, faceOther
		}
		n++
		if n > 12 || r == '(' {
			return i, faceOther
		}
		switch {
		case r >= 'ぁ' && r <= 'ゖ', r >= 'ァ' && r <= 'ヶ' && r != 'ノ' && r != 'ヮ' && r != 'ツ':
			return i, faceOther // words, not a face (ノ and ツ draw arms and mouths)
		case unicode.Is(unicode.Han, r) && !strings.ContainsRune("笑汗泣涙爆", r):
			return i, faceOther
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'):
			letters++
			if prevLetter && r != 'w' {
				return i, faceOther // (yes), (ok): a word
			}
			prevLetter = true
			continue
		case r == '^' || r == '∀' || r == '▽' || r == '≧' || r == '◡' || r == 'ᴗ' || r == '*':
			hasHappy = true
		}
		prevLetter = false
	}
	return i, faceOther
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
// (はいっ), 笑, or a run of w after Japanese (はいw). A laugh is noted in f.
func trimClauseEnd(b []byte, f *foldInfo) []byte {
	for {
		start := len(b)
		for start > 0 && b[start-1] != ',' && b[start-1] != '?' {
			start--
		}
		r, size := utf8.DecodeLastRune(b[start:])
		switch {
		case size == 0:
			return b
		case r == 'っ':
			b = b[:len(b)-size]
		case r == '笑':
			f.laugh = true
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
			f.laugh = true
			b = b[:i]
		default:
			return b
		}
	}
}
