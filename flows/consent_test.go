package flows

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestConsentOf(t *testing.T) {
	for want, texts := range map[Consent][]string{
		ConsentExplicit: {"退会します", "退会する", "退会する。", "退会します！", "退会します!!", "退会を申請します", "申請してください", "申請して下さい",
			"はい、退会します。", "はい退会します", "ﾀｲｶｲｽﾙ", "たいかいします", "うん、退会する", "わかりました、退会します", "退会します、お願いします",
			"close my account", "Close it", "yes, close it", "yes close it", "Confirm closure", "CONFIRM", " 退会 します "},
		ConsentBare: {"はい", "はい。", "はい！", "うん", "ええ", "yes", "Yes.", "YES", "sure", "お願いします", "はい、お願いします", "yes please", "yes, please"},
		ConsentNone: {"", "はい？", "はい?", "はい❓", "はい؟", "はい…", "はい・・・", "はい、、、", "はい。。", "ok,,,", "ﾊｲ､､､", "はいw", "はい笑",
			"はい(;_;)", "はい(´・ω・`)", "はい💦", "はい👍", "お願いします🙏", "❌退会する", "退会する×", "はーい", "ええー", "はいはい",
			"退会します退会します", "はい、ありがとう", "OK thanks", "はい、結構です", "はい、大丈夫です", "わかりました", "理解しました", "OK", "ok",
			"了解です", "承知しました", "評価が消えるのは理解しました", "たぶんはい", "はい、でも", "退会しません", "退会したい", "退会するつもりはない",
			"confirm closure...", "Confirm closure?", "close my account?", "don't close", "いいえ、退会します", "こんにちは、退会します",
			"退会する、、", "退会します。。。", "退会します、はい、お願いします、よろしく", "yes yes", "1", "退会する!?"},
	} {
		for _, s := range texts {
			if got := ConsentOf(s); got != want {
				t.Errorf("ConsentOf(%q) = %d; want %d", s, got, want)
			}
		}
	}
	// The words are written as messages are normalised, or they never match.
	for _, set := range [][]string{bareYes, consentLeads, explicitConsent, consentPlease} {
		for _, w := range set {
			if kanaToKanji.Replace(w) != w || strings.ToLower(w) != w {
				t.Errorf("consent word %q can never match", w)
			}
		}
	}
}

// confirmState is a user at the confirm step; summaryLast says whether the
// summary (and its question) was the last thing the bot said.
func confirmState(summaryLast bool) State {
	s := atStep(StepConfirm, clean)
	s.SummaryLast = summaryLast
	return s
}

// realEnv is env with the real understanding.
func realEnv() Env {
	e := env(t0)
	e.Understander = nil
	return e
}

// TestReviewedLinesNeverFile drives the confirm step with every line the
// corpus labels as anything but yes there (the review's eleven ways to file
// without an unambiguous yes among them), right after the summary's
// question, with the real understanding: none files. Lines labelled yes file
// right after the question only if they are a clean consent, and after an
// aside only if they are consent in their own words.
func TestReviewedLinesNeverFile(t *testing.T) {
	us, err := readCorpus(filepath.Join("..", "testdata", "utterances"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, u := range us {
		if u.step != StepConfirm {
			continue
		}
		n++
		for _, last := range []bool{true, false} {
			f := &fake{status: clean}
			s, r := drive(t, confirmState(last), text(u.text), realEnv(), f)
			c := ConsentOf(u.text)
			want := u.want == IntentYes && (c == ConsentExplicit || c == ConsentBare && last)
			if filed(f) && !want {
				t.Errorf("%s:%d %q (%s; summary last %v): filed", u.file, u.line, u.text, u.want, last)
			}
			if !filed(f) && want {
				t.Errorf("%s:%d %q (summary last %v): not filed; want it filed", u.file, u.line, u.text, last)
			}
			if !filed(f) && (len(r) == 0 || s.Step == StepConfirm && len(r[len(r)-1].Choices) == 0) {
				t.Errorf("%s:%d %q: %q; want an answer with the step's buttons", u.file, u.line, u.text, joined(r))
			}
		}
	}
	if n < 300 {
		t.Errorf("only %d confirm lines in the corpus", n)
	}
}

// TestABareYesAnswersOnlyTheSummary: a bare はい or yes files only as the
// direct answer to the summary's yes/no question. After anything else the
// bot said since — an answer to a question, a note on a sticker or a
// greeting, the re-ask after an unclear message, a stale button — it asks
// again, saying what to send; consent in its own words, or the button,
// still files.
func TestABareYesAnswersOnlyTheSummary(t *testing.T) {
	stale := Input{Kind: InPostback, Data: press{act: actConfirm, conv: "c1", seq: "2"}.encode()}
	for _, lang := range []Lang{LangJa, LangEn} {
		yes, explicit, ask := "はい", "退会します", ja.askConfirm
		if lang == LangEn {
			yes, explicit, ask = "yes", "close my account", en.askConfirm
		}
		for name, aside := range map[string]Input{
			"either/or":   text("夫に相談するかも"), // unclear: asked again
			"consult":     text("I'm not sure"),
			"a question":  text("再登録できますか？"),
			"en question": text("can I register again later?"),
			"a sticker":   {Kind: InSticker},
			"an image":    {Kind: InMedia},
			"a greeting":  text("こんにちは"),
			"thanks":      text("ありがとう"),
			"stale":       stale,
		} {
			s := confirmState(true)
			s.Lang = lang
			f := &fake{status: clean}
			s, _ = drive(t, s, aside, realEnv(), f)
			if s.SummaryLast || s.Step != StepConfirm {
				t.Fatalf("%s %s: step %s, summary last %v; want confirm, the question no longer last", lang, name, s.Step, s.SummaryLast)
			}
			for _, y := range []string{yes, "はい", "うん", "yes", "お願いします", "OK", "ok", "わかりました", "理解しました", "承知しました"} {
				f := &fake{status: clean}
				s2, r := drive(t, s, text(y), realEnv(), f)
				if filed(f) {
					t.Errorf("%s, after %s, %q: filed", lang, name, y)
				}
				if s2.SummaryLast {
					t.Errorf("%s, after %s, %q: the re-ask made a bare yes enough again", lang, name, y)
				}
				if (y == yes) && (len(r) == 0 || r[len(r)-1].Text != ask) {
					t.Errorf("%s, after %s, %q: %q; want %q", lang, name, y, joined(r), ask)
				}
			}
			for _, in := range []Input{text(explicit), text("退会を申請します"), tap(t, []Reply{{Choices: (&turn{s: s, c: catalogFor(lang)}).choices()}}, catalogFor(lang).labels[actConfirm])} {
				f := &fake{status: clean}
				if drive(t, s, in, realEnv(), f); !filed(f) {
					t.Errorf("%s, after %s, %+v: not filed; want consent in its own words to file", lang, name, in)
				}
			}
		}
		// Right after the summary, the bare yes answers its question.
		f := &fake{status: clean}
		if drive(t, confirmState(true), text(yes), realEnv(), f); !filed(f) {
			t.Errorf("%s: %q right after the summary: not filed", lang, yes)
		}
	}
	// The summary shown again (a change of mind about "no", the reason
	// changed, back from staff) opens the question again.
	f := &fake{status: clean}
	e := realEnv()
	s, _ := drive(t, confirmState(true), text("再登録できますか？"), e, f)
	s, r := drive(t, s, text("理由を変更する"), e, f)
	s, r = drive(t, s, tap(t, r, "使わなくなった"), e, f)
	s, r = drive(t, s, tap(t, r, "退会手続きを続ける"), e, f)
	if !s.SummaryLast || !strings.Contains(joined(r), "退会しますか？") {
		t.Fatalf("summary again: %q, summary last %v", joined(r), s.SummaryLast)
	}
	if drive(t, s, text("はい"), e, f); !filed(f) {
		t.Errorf("はい right after the summary shown again: not filed")
	}
}

// TestTheReviewScriptsNeverFile replays the review's eleven filing scripts
// from the confirm step on, as typed (with the real understanding).
func TestTheReviewScriptsNeverFile(t *testing.T) {
	for name, lines := range map[string][]string{
		"01 question echo": {"退会する？"},
		"02 either/or":     {"夫に相談してからにします", "はい"},
		"02b either/or en": {"I need to talk to my wife first", "yes"},
		"03 faq, got it":   {"再登録できますか？", "わかりました"},
		"03b faq, ok en":   {"can I register again later?", "ok"},
		"04 emoji":         {"はい❓"},
		"05 nakaguro":      {"はい・・・"},
		"06 kekkou":        {"はい、結構です"},
		"07 eee":           {"ええー"},
		"08 batsu":         {"退会する×"},
		"09 ack a fact":    {"評価が消えるのは理解しました"},
		"sticker, hai":     {"/sticker", "はい"},
		"greeting, hai":    {"こんにちは", "はい"},
	} {
		s := confirmState(true)
		if strings.HasSuffix(name, " en") {
			s.Lang = LangEn
		}
		f := &fake{status: clean}
		for _, l := range lines {
			in := text(l)
			if l == "/sticker" {
				in = Input{Kind: InSticker}
			}
			s, _ = drive(t, s, in, realEnv(), f)
		}
		if filed(f) {
			t.Errorf("%s: filed", name)
		}
	}
}

// TestConfirmFilesOnlyOnCleanConsent is a property over many generated
// messages: affirmations, alone and combined with every kind of marker —
// question and doubt marks, ellipses, emoji and kaomoji, laughs, hedges,
// negations, thanks and greetings, acknowledgements, repeats — typed at
// the confirm step right after the summary and after an aside. Nothing
// files but clean consent: consent words alone, with at most a plain stop.
func TestConfirmFilesOnlyOnCleanConsent(t *testing.T) {
	explicit := []string{"退会します", "退会する", "退会を申請します", "申請してください", "はい、退会します", "はい退会します", "わかりました、退会します",
		"close my account", "confirm closure", "close it", "yes, close it", "Confirm closure"}
	bare := []string{"はい", "うん", "yes", "Yes", "sure", "お願いします", "はい、お願いします", "yes please"}
	ack := []string{"OK", "ok", "わかりました", "了解です", "理解しました", "承知しました", "got it", "understood", "了解"}
	stops := map[string]bool{"": true, "。": true, "！": true, "!": true, ".": true, "\n": true}
	suffixes := []string{"", "。", "！", "!", ".", "？", "?", "??", "？！", "!?", "❓", "❔", "؟", "⁉", "…", "...", "・・・", "・・", "、、、", "、、", ",,,", "､､､",
		"。。", "‥", "．．．", "w", "www", "笑", "(笑)", "💦", "😅", "😮‍💨", "❌", "×", "✕", "🙅", "🙅‍♀️", "🤔", "😢", "😭", "(;_;)", "(´・ω・`)", "(T_T)",
		"(^_^;)", "(>_<)", "（；＿；）", "👍", "🙏", "🙇", "😊", "(^^)", "✨", "〜", "ー", "〜？", "かも", "かな", "かも…", "、たぶん", "、でも", "、でも評価は？", "、ありがとう",
		"、ありがとうございます", " thanks", " thank you", "、結構です", "、大丈夫です", "、こんにちは", "、しない", "ません", "、やめます", "、いいえ", " not", ", not yet",
		"、待って", "？本当に？", "、わかりました", "、理解しました", "って本当？", "んですか", "のかな", "、後で", "、来月", "、夫に相談してから", " lol", " maybe", " I guess",
		"、キャンセル", "、担当者と話したい", "、再登録できますか？", " 🙂", "\n", "\nでもやっぱり待って"}
	prefixes := []string{"", "❌", "🤔", "え、", "うーん、", "たぶん", "maybe ", "いいえ、", "no, ", "ありがとう、", "(;_;)", "えっと", "一応", "まあ", "？", "…",
		"こんにちは、", "thanks, ", "hmm ", "本当に？", "でも、", "いや、", "退会しないで、"}
	e := realEnv()
	n, files := 0, 0
	// try sends msg at the confirm step, the summary last or not; it files
	// only if msg is consent in its own words, or a bare yes right after
	// the summary's question.
	try := func(msg string, explicitOK, bareOK bool) {
		for _, last := range []bool{true, false} {
			f := &fake{status: clean}
			drive(t, confirmState(last), text(msg), e, f)
			n++
			if filed(f) {
				files++
			}
			if want := explicitOK || bareOK && last; filed(f) != want {
				t.Errorf("%q (summary last %v): filed %v; want %v", msg, last, filed(f), want)
			}
		}
	}
	for _, base := range append(append(append([]string(nil), explicit...), bare...), ack...) {
		for _, p := range prefixes {
			for _, sfx := range suffixes {
				plain := p == "" && stops[sfx]
				try(p+base+sfx, plain && isIn(explicit, base), plain && isIn(bare, base))
			}
		}
		for _, rep := range []string{base + base, base + "、" + base, base + " " + base} {
			try(rep, false, false)
		}
	}
	t.Logf("%d messages at the confirm step, %d filed", n, files)
	if n < 20000 {
		t.Errorf("only %d messages generated", n)
	}
}

func isIn(set []string, s string) bool {
	for _, x := range set {
		if x == s {
			return true
		}
	}
	return false
}

// TestConsentNeedsTheUnderstandingToo: the words alone are not enough; the
// understanding must read a yes too (a fake that reads 退会します as a
// question files nothing), and a yes of the understanding without consent
// words files nothing either.
func TestConsentNeedsTheUnderstandingToo(t *testing.T) {
	e := env(t0)
	e.Understander = says{"退会します": FAQIntent(TopicUndo), "はい、ありがとう": IntentYes}
	for _, x := range []string{"退会します", "はい、ありがとう"} {
		f := &fake{status: clean}
		if drive(t, confirmState(true), text(x), e, f); filed(f) {
			t.Errorf("%q: filed", x)
		}
	}
}
