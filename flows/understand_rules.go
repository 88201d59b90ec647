package flows

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/taikaibot/taikai"
)

// maxText bounds what is read of a message: a reason is at most 500
// characters, and nothing past the first 1,500 bytes changes what a
// message means to the bot.
const maxText = 1500

// analysis is one message, folded, with the lexicon entries found in it.
type analysis struct {
	s       string
	info    foldInfo
	hits    [48]hit
	n       int
	has     [nConcepts]bool
	clauses [16]clause
	nc      int
	// kinds caches answerKinds.
	kinds     uint16
	kindsRead bool
	// mused: the message ends wondering aloud (see musing).
	mused bool
}

// clause is a stretch of a message between separators.
type clause struct {
	start, end int
	q          bool // it is a question
}

func (a *analysis) read(text string) {
	if len(text) > maxText {
		i := maxText
		for i > 0 && !utf8.RuneStart(text[i]) {
			i--
		}
		asks := strings.ContainsFunc(text[i:], func(r rune) bool { return isQuestionMark(r) || r == '？' || r == '﹖' })
		text = text[:i]
		if asks {
			text += "?" // a question in the part not read is still a question
		}
	}
	a.s, a.info = fold(text)
	if hasKanaWord(a.s) {
		a.s = kanaToKanji.Replace(a.s)
	}
	s := a.s
	// Clauses.
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ',' && s[i] != '?' {
			continue
		}
		if i > start {
			if a.nc == len(a.clauses) {
				// Past the clauses we keep, the message is not read; a
				// question there still makes it a question.
				if strings.Contains(s[a.clauses[a.nc-1].end:], "?") {
					a.clauses[a.nc-1].q = true
				}
				s = s[:a.clauses[a.nc-1].end]
				a.s = s
				break
			}
			a.clauses[a.nc] = clause{start: start, end: i, q: i < len(s) && s[i] == '?'}
			a.nc++
		}
		start = i + 1
	}
	// Entries, by maximal munch; an entry that belongs to several concepts
	// counts for each.
	ci := 0
	for i := 0; i < len(s); {
		for ci < a.nc-1 && i >= a.clauses[ci].end {
			ci++
		}
		e, ok := theLexicon.match(s, i)
		if !ok {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		end := i + len(e.text)
		r, _ := utf8.DecodeRuneInString(s[i:])
		for _, x := range theLexicon[r] {
			if x.text == e.text && a.n < len(a.hits) {
				a.hits[a.n] = hit{c: x.c, class: x.class, start: i, end: end, clause: ci}
				a.n++
				a.has[x.c] = true
			}
		}
		i = end
	}
	for i := 0; i < a.nc; i++ {
		c := &a.clauses[i]
		c.q = c.q || a.asks(*c)
	}
	if a.musing() {
		a.clauses[a.nc-1].q, a.mused = false, true
	}
}

// musing reports a message that ends wondering aloud rather than asking:
// no question mark and no question word, and a last clause that ends in
// かな (もう使わないかな, 稼げないからかな…), or in か with a hesitation
// (うーん、ログインか…, 元に戻せないのか…).
func (a *analysis) musing() bool {
	if a.nc == 0 || a.info.question || a.has[cWh] {
		return false
	}
	t := a.text(a.clauses[a.nc-1])
	for _, e := range musingEnds {
		if strings.HasSuffix(t, e) {
			return true
		}
	}
	return strings.HasSuffix(t, "か") && (a.info.ellipsis || a.has[cHedge])
}

var musingEnds = foldWords([]string{"かな", "かなあ"})

// kanaToKanji spells in kanji the words people often type in kana
// (たいかいしたい, ﾂｶﾜﾅｸﾅｯﾀ), so the lexicon lists each word once.
var (
	kanaPairs = []string{
		"たいかい", "退会", "かいやく", "解約", "つかわ", "使わ", "つかって", "使って", "つかう", "使う", "つかい", "使い",
		"かせげ", "稼げ", "かせぐ", "稼ぐ", "うれな", "売れな", "うれま", "売れま", "ひょうか", "評価", "さいとうろく", "再登録",
		"とうろく", "登録", "うりあげ", "売上", "ざんだか", "残高", "ふりこみ", "振込", "のうひん", "納品", "こうにゅう", "購入",
		"れんけい", "連携", "りゆう", "理由", "かいじょ", "解除", "さくじょ", "削除", "しんせい", "申請", "てつづき", "手続き",
		"たんとうしゃ", "担当者", "たんとう", "担当", "じかん", "時間", "ひつよう", "必要", "とりけし", "取り消し", "もどせ", "戻せ", "じっせき", "実績",
		"しょうち", "承知", "りかい", "理解", "下さい", "ください", "こたえ", "答え", "へんこう", "変更", "つづけ", "続け",
		"すすみ", "進み", "すすむ", "進む", "とくに", "特に", "あきた", "飽きた", "あきちゃ", "飽きちゃ", "あきて", "飽きて",
	}
	kanaToKanji = strings.NewReplacer(kanaPairs...)
	// kanaWords indexes the kana spellings by their first rune, so that a
	// message is scanned once (the Replacer always allocates).
	kanaWords = func() map[rune][]string {
		m := map[rune][]string{}
		for i := 0; i < len(kanaPairs); i += 2 {
			r, _ := utf8.DecodeRuneInString(kanaPairs[i])
			m[r] = append(m[r], kanaPairs[i])
		}
		return m
	}()
)

func hasKanaWord(s string) bool {
	for i, r := range s {
		for _, k := range kanaWords[r] {
			if strings.HasPrefix(s[i:], k) {
				return true
			}
		}
	}
	return false
}

// text of a clause.
func (a *analysis) text(c clause) string { return a.s[c.start:c.end] }

// clauseEnd is where the clause of h ends.
func (a *analysis) clauseEnd(h hit) int {
	if h.clause < a.nc {
		return a.clauses[h.clause].end
	}
	return len(a.s)
}

// Japanese question endings, and English openings that ask.
var (
	jaQuestionEnds = foldWords([]string{"か", "かな", "かね", "かしら", "たっけ", "だっけ", "でしょう", "だろう", "かなあ"})
	enQuestionOpen = foldWords([]string{"can i", "can you", "could i", "could you", "do i", "do you", "does it", "does my", "does the", "did it", "did my",
		"did you", "is it", "is my", "is there", "is this", "are my", "are you", "are there", "was my", "was it", "will i", "will my", "will it",
		"would i", "should i", "may i", "am i", "have i", "has my", "has it", "is that", "any way", "is the"})
)

// asks reports whether a clause without a question mark is still a
// question: a question word (どう, なぜ, いつ; in English only first), a
// question ending (ですか, かな), or an English question opening.
func (a *analysis) asks(c clause) bool {
	t := a.text(c)
	for i := 0; i < a.n; i++ {
		h := a.hits[i]
		if h.c != cWh || h.start < c.start || h.end > c.end || a.embedded(h, c) {
			continue
		}
		if t[0] >= utf8.RuneSelf || h.start == c.start {
			return true
		}
	}
	for _, e := range jaQuestionEnds {
		if strings.HasSuffix(t, e) {
			return true
		}
	}
	for _, o := range enQuestionOpen {
		if strings.HasPrefix(t, o) && (len(t) == len(o) || t[len(o)] == ' ') {
			return true
		}
	}
	return false
}

// embedded reports a question word inside a statement about not knowing:
// どうやったらいいかわからなかった.
func (a *analysis) embedded(h hit, c clause) bool {
	rest := a.s[h.end:c.end]
	for _, w := range embedWords {
		if strings.Contains(rest, w) {
			return true
		}
	}
	return false
}

var embedWords = foldWords([]string{"かわから", "か分から", "か知ら", "かわかりませ", "か分かりませ"})

func (a *analysis) question() bool {
	for i := 0; i < a.nc; i++ {
		if a.clauses[i].q {
			return true
		}
	}
	return false
}

// moodOf is the mood of a verb hit.
func (a *analysis) moodOf(h hit) mood {
	if h.class == english {
		// The few words before the verb: "I don't want to delete my account".
		from := max(a.clauses[h.clause].start, h.start-48)
		return moodBefore(a.s[from:h.start])
	}
	return moodAfter(h.class, a.s[h.end:a.clauseEnd(h)])
}

// glue reports whether only a few kana of grammar stand between two hits
// of one clause (退会はやめます, 退会するのやめる).
func (a *analysis) glue(prev, next hit) bool {
	if prev.clause != next.clause || prev.end > next.start {
		return false
	}
	between := a.s[prev.end:next.start]
	if utf8.RuneCountInString(between) > 4 {
		return false
	}
	for _, r := range between {
		if r < 'ぁ' || r > 'ゖ' {
			return false
		}
	}
	return true
}

// verb is what a message says it will do with the withdrawal or with the
// procedure, read from its verb hits.
type verb struct {
	withdraw      mood // of the withdrawal (退会したい: desire)
	withdrawFound bool
	withdrawDone  bool // some mention says it was done (退会できているのか)
	stopProc      bool // stop the procedure, explicitly (退会やめます, キャンセル)
	stopProcNeg   bool // not stop it (キャンセルしない)
	stopAsked     bool // can one stop it (キャンセルできる？)
	yame          mood // やめ without an object: "stop this" or "quit"
	yameFound     bool
	yameQuit      bool // spelt 辞め: quitting (a membership), not stopping
}

func (a *analysis) verbs() verb {
	var v verb
	setW := func(m mood) {
		v.withdrawDone = v.withdrawDone || m == mDone
		// The strongest reading wins: a refusal over a wish over a mention.
		if !v.withdrawFound || rank(m) > rank(v.withdraw) {
			v.withdraw = m
		}
		v.withdrawFound = true
	}
	for i := 0; i < a.n; i++ {
		h := a.hits[i]
		var prev hit
		hasPrev := false
		if i > 0 {
			prev, hasPrev = a.hits[i-1], true
		}
		switch h.c {
		case cWithdraw:
			m := a.moodOf(h)
			if t := a.s[h.start:h.end]; h.class == english && m == mPlain && (strings.HasSuffix(t, "closed") || strings.HasSuffix(t, "deleted")) {
				m = mDone // "my account closed": said done, unless wanted ("I want my account closed")
			}
			// 退会やめます: the withdrawal is the object of the stopping.
			if i+1 < a.n && (a.hits[i+1].c == cYame || a.hits[i+1].c == cStop) && a.glue(h, a.hits[i+1]) {
				continue
			}
			setW(m)
		case cObjProc:
			// 申請しないでください: not doing the procedure is stopping it
			// (in a statement; 手続きしなくていいの？ asks).
			if h.class == noVerb && a.s[h.start] >= utf8.RuneSelf && !a.clauses[h.clause].q {
				if m := moodAfter(suru, a.s[h.end:a.clauseEnd(h)]); m == mNeg || m == mNegDesire {
					v.stopProc = true
				}
			}
		case cErase:
			// アカウントは消さないで, このサイト使わないので消してください:
			// erasing, with the account or the service named, is withdrawing.
			if hasPrev && prev.c == cObjService && a.glue(prev, h) || a.has[cObjService] && !a.has[cTopicRatings] {
				setW(a.moodOf(h))
			}
		case cYame, cStop:
			m := a.moodOf(h)
			if hasPrev && a.glue(prev, h) {
				switch prev.c {
				case cWithdraw, cObjProc, cYame:
					// Stopping the withdrawal or the procedure.
					switch m {
					case mNeg, mNegDesire:
						v.stopProcNeg = true
					case mPlain, mDesire, mRefrain, mNoun, mPast:
						v.stopProc = true
					case mPotential, mCond:
						v.stopAsked = true // 退会のキャンセルってできますか
					}
					continue
				case cObjService:
					// Quitting the service is withdrawing.
					setW(m)
					continue
				}
			}
			if h.c == cStop {
				switch m {
				case mNeg, mNegDesire:
					v.stopProcNeg = true
				case mPlain, mDesire, mRefrain, mNoun:
					v.stopProc = true
				case mPotential, mCond:
					v.stopAsked = true
				}
				continue
			}
			if !v.yameFound || rank(m) > rank(v.yame) {
				v.yame = m
				v.yameQuit = strings.HasPrefix(a.s[h.start:], "辞")
			}
			v.yameFound = true
		}
	}
	return v
}

// rank orders moods by how much they say about intent.
func rank(m mood) int {
	switch m {
	case mNeg, mNegDesire:
		return 5
	case mRefrain:
		return 4
	case mDesire:
		return 3
	case mPlain:
		return 2
	case mNoun:
		return 0
	}
	return 1
}

// patterns is the default Understander: folding, a lexicon, the mood of a
// few verbs read from their endings, and rules that prefer the safe answer.
// It keeps no state.
type patterns struct{}

func (p patterns) Understand(text string, step Step) Intent { return p.UnderstandIn(text, step, "") }

// UnderstandIn reads text at step; lang, if set, is the language the user
// is spoken to in, a hint for the few words whose meaning depends on it
// (see romaji).
func (patterns) UnderstandIn(text string, step Step, lang Lang) Intent {
	var a analysis
	a.read(text)
	if lang != "" {
		if i, ok := romaji(a.s, step, lang); ok {
			return i
		}
	}
	return a.decide(step)
}

// romaji reads the few words a Japanese user types with the input method
// off (hai, iie), which an English speaker means otherwise ("hai" is "hi").
// Without a hint they stay unknown.
func romaji(s string, step Step, lang Lang) (Intent, bool) {
	switch s {
	case "hai", "haai", "hai hai":
		if lang == LangEn {
			return IntentGreeting, true
		}
		return Understand("はい", step), true
	case "iie", "iya":
		if lang == LangJa {
			return Understand("いいえ", step), true
		}
	}
	return "", false
}

// decide is the rules, most specific first. The safe answer is the
// default: yes needs a message made only of agreement, a reason needs
// evidence of a reason, and a question is never either.
func (a *analysis) decide(step Step) Intent {
	if strings.Trim(a.s, ",?") == "" || a.s == "w" {
		if a.info.question {
			return IntentHelp // "?", "？？"
		}
		return IntentUnknown
	}
	reasonStep := step == StepReason || step == StepReasonText
	q := a.question()
	v := a.verbs()

	if l, ok := a.langSwitch(); ok {
		return LangIntent(l)
	}
	if a.wantsStaff(q) {
		return IntentStaff
	}
	if (step == StepConfirm || step == StepHelp) && a.has[cReasonWord] && a.has[cChange] && !a.negatedAfter(cChange) {
		return IntentChangeReason // at confirm, or at the advice for the reason given
	}
	if (a.has[cUnlink] || a.has[cTopicLink] && a.releases()) && !a.negatedAfter(cUnlink) {
		if q && !a.requests() {
			return FAQIntent(TopicLink)
		}
		return IntentUnlink
	}
	if a.backToBot(v) {
		return IntentBack // ボットに戻りたい, go back
	}
	if reasonStep && a.skips() {
		return ReasonIntent(taikai.ReasonNone) // スキップ, パス: the reason is optional
	}
	reason, isReason := a.reason(step)
	if (step == StepBlocked || step == StepChecking) && a.has[cShowList] && !v.withdrawFound {
		return FAQIntent(TopicStatus) // あと何が残ってますか, 一覧をもう一度: the list as it stands
	}
	if q && (step == StepBlocked || step == StepChecking) && a.has[cRecheck] && a.requests() && a.rechecks(v) {
		return IntentYes // 振込申請しました。確認してもらえますか
	}
	if q || a.has[cAsk] {
		// A question and then a decision (評価消えるのか…じゃあやめときます),
		// or self-talk (また今度にしようかな): the decision counts.
		if (!a.clauses[a.nc-1].q || !a.info.question && !a.has[cWh]) && a.cancels(step, v, false, true) {
			return IntentCancel
		}
		return a.asked(step, v)
	}
	if !reasonStep && a.raises() {
		if t, ok := a.topic(step, v); ok && !(t == TopicLink && a.troubled()) {
			return FAQIntent(t) // 取引がまだ終わってないみたいなんですが
		}
	}
	if reasonStep && a.needs() {
		return IntentHelp // 答えないとだめ
	}
	if a.cancels(step, v, isReason, false) {
		return IntentCancel
	}
	if isReason {
		return reason
	}
	if (step == StepBlocked || step == StepChecking) && a.rechecks(v) {
		return IntentYes // もう一度確認してください, 全部終わりました
	}
	switch a.answer(step) {
	case ansYes:
		return IntentYes
	case ansNo:
		return IntentNo
	case ansUnclear:
		const thankful = 1<<tYes | 1<<tAck | 1<<tNeutral | 1<<tThanks
		if a.has[cThanks] && a.answerKinds()&^thankful == 0 && !decision(step) {
			// 了解です、ありがとうございます, where no yes is asked; where one
			// is, はい、ありがとう may agree or close, and is asked about.
			return IntentThanks
		}
		return IntentUnknown
	}
	if a.has[cMoney] && a.hasEnglishWithdraw() || a.wantsTopic(cTopicBalance) {
		return FAQIntent(TopicBalance) // I want to withdraw my earnings
	}
	if step == StepFiled && a.has[cTopicUndo] {
		return FAQIntent(TopicUndo)
	}
	if v.withdrawDone && strings.Contains(a.s, "のか") {
		return FAQIntent(TopicStatus) // 本当に退会できたのか不安です
	}
	if i, ok := a.start(step, v); ok {
		return i
	}
	if a.has[cHelp] {
		return IntentHelp
	}
	if a.has[cThanks] {
		return IntentThanks
	}
	if a.has[cGreeting] && !a.raises() {
		return IntentGreeting // not こんにちは、出品した商品が表示されないんですが
	}
	if step == StepReasonText && a.looksLikeReason() {
		return ReasonIntent(taikai.ReasonOther)
	}
	return IntentUnknown
}

// decision reports a step that asks the user to decide (go on, file).
func decision(step Step) bool {
	return step == StepWarning || step == StepHelp || step == StepConfirm
}

// asked answers a question: a topic the bot knows, else what the question
// is about; never yes, never a reason.
func (a *analysis) asked(step Step, v verb) Intent {
	if a.offTopic(step) {
		return IntentQuestion // クーポンは消えますか: not the ratings' answer
	}
	t, ok := a.topic(step, v)
	if v.withdrawDone && (!ok || t == TopicLink || t == TopicRatings) {
		return FAQIntent(TopicStatus) // 本当に退会できているのか確認してもらえますか
	}
	if ok && t == TopicLink && a.troubled() {
		return IntentHelp // リンクの期限が切れました、どうしたらいい？
	}
	if ok {
		return FAQIntent(t)
	}
	if (step == StepBlocked || step == StepChecking) && v.withdrawFound && v.withdraw == mPotential && !a.has[cHelp] && !a.has[cWh] {
		return FAQIntent(TopicStatus) // これで退会できる？: where things stand now
	}
	if step == StepConfirm && v.withdrawFound && v.withdraw == mPlain && a.info.question {
		return IntentUnknown // 退会しますか？, close my account?: the question echoed
	}
	if v.withdrawFound {
		switch {
		case v.withdraw == mDone || v.withdraw == mPast:
			return FAQIntent(TopicStatus) // 退会できましたか
		case strings.Contains(a.s, "まだ") && (v.withdraw == mPotentialNeg || v.withdraw == mNoun):
			return FAQIntent(TopicStatus) // まだ退会できないですか？
		}
		switch v.withdraw {
		case mDesire, mPlain, mPotential, mNoun:
			// 退会しちゃおうかな: wondering aloud, past idle, is not asking.
			wondering := step != StepIdle && !a.info.question && !a.has[cWh]
			if !wondering && !a.has[cHedge] && !a.info.ellipsis && a.answer(step) == ansNone {
				return IntentStart // 退会できますか, 退会ってどうやるの
			}
		}
	}
	if v.yameFound && v.yame == mDesire && step == StepIdle {
		return IntentStart // 辞めたいんだけどどうすればいい？
	}
	if v.stopProc || v.stopAsked {
		after := v.withdrawFound && (v.withdraw == mCond || v.withdraw == mDone || v.withdraw == mPast)
		if step == StepFiled || step == StepIdle || after {
			return FAQIntent(TopicUndo) // 退会後にキャンセルできる？
		}
		return IntentCancel // キャンセルできますか
	}
	reasonStep := step == StepReason || step == StepReasonText
	if a.has[cHelp] || reasonStep && (a.needs() || a.has[cReasonWord]) {
		return IntentHelp
	}
	if a.has[cGreeting] && !a.info.question {
		return IntentGreeting
	}
	if a.asksAbout() {
		return IntentQuestion // お気に入りは？: a question none of the topics answers
	}
	return IntentUnknown
}

// offTopic: a question about something the bot has no answer for (coupons,
// points, notifications; fees, outside the reason steps), even when it also
// names a topic word (クーポンは消えますか, 振込手数料はかかりますか).
func (a *analysis) offTopic(step Step) bool {
	return a.has[cOffTopic] || a.has[cFees] && step != StepReason && step != StepReasonText
}

// asksAbout: a question with a subject of its own — two kanji, or three
// English words, outside the words the lexicon knows (お気に入りは？) — and
// no doubt in it: not a reaction (え、もう？, ほんとに？, はい？).
func (a *analysis) asksAbout() bool {
	if a.has[cHedge] || a.info.ellipsis || a.info.doubt || a.answerKinds() != 0 {
		return false
	}
	han := a.info.han
	for i := 0; i < a.n; i++ {
		h := a.hits[i]
		for _, r := range a.s[h.start:h.end] {
			if unicode.Is(unicode.Han, r) {
				han--
			}
		}
	}
	words := 0
	if a.info.latin > 0 {
		words = strings.Count(strings.Trim(a.s, ",?"), " ") + 1
	}
	return han >= 2 || words >= 3 && a.n == 0
}

// skips: the message only skips the question (スキップ, パス, skip).
func (a *analysis) skips() bool {
	for _, w := range skipWords {
		if a.s == w {
			return true
		}
	}
	return false
}

var skipWords = foldWords([]string{"スキップ", "スキップで", "スキップします", "スキップでお願いします", "パス", "パスで", "パスします", "パスでお願いします",
	"skip", "skip it", "skip this", "skip please", "pass"})

// backToBot: asking for the bot back, and nothing else (ボットに戻りたい,
// 戻る, go back); not 元に戻す (undo) or 戻るつもりはない.
func (a *analysis) backToBot(v verb) bool {
	if !a.has[cBack] || v.withdrawFound || a.has[cTopicUndo] || a.has[cReasonWord] {
		return false
	}
	rest := a.s
	for i := a.n - 1; i >= 0; i-- {
		if h := a.hits[i]; h.c == cBack {
			rest = rest[:h.start] + "," + rest[h.end:]
		}
	}
	return consumes(backFiller, rest, nil)
}

var backFiller = buildAnswers([]answerWord{
	{tNeutral, "ボット"}, {tNeutral, "bot"}, {tNeutral, "the bot"}, {tNeutral, "に"}, {tNeutral, "へ"}, {tNeutral, "を"}, {tNeutral, "ください"},
	{tNeutral, "下さい"}, {tNeutral, "お願いします"}, {tNeutral, "お願い"}, {tNeutral, "です"}, {tNeutral, "ます"}, {tNeutral, "もう"}, {tNeutral, "一旦"},
	{tNeutral, "いったん"}, {tNeutral, "やっぱり"}, {tNeutral, "やっぱ"}, {tNeutral, "please"}, {tNeutral, "i want to"}, {tNeutral, "i wanna"},
	{tNeutral, "id like to"}, {tNeutral, "let me"}, {tNeutral, "can i"}, {tNeutral, "can we"}, {tNeutral, "ok"}, {tNeutral, "i"}, {tNeutral, "to"},
	{tNeutral, "the"}, {tNeutral, "chatbot"}, {tNeutral, "ok so"}, {tNeutral, "すみません"}, {tNeutral, "はい"},
	// The endings of 戻: ボットに戻りたい, ボットにもどる.
	{tNeutral, "りたい"}, {tNeutral, "りたいです"}, {tNeutral, "ります"}, {tNeutral, "る"}, {tNeutral, "って"}, {tNeutral, "してください"}, {tNeutral, "して"},
})

// topic is the FAQ topic a question names, the first in precedence.
func (a *analysis) topic(step Step, v verb) (Topic, bool) {
	order := []struct {
		c concept
		t Topic
	}{
		{cTopicMultiple, TopicMultipleAccounts}, {cTopicReregister, TopicReregister}, {cTopicUndo, TopicUndo},
		{cTopicPayout, TopicPayout}, {cTopicBalance, TopicBalance}, {cTopicPurchase, TopicPurchase},
		{cTopicDelivery, TopicDelivery}, {cTopicStatus, TopicStatus}, {cTopicLink, TopicLink}, {cTopicRatings, TopicRatings},
	}
	for _, o := range order {
		if a.has[o.c] {
			if o.t == TopicBalance && a.when() {
				return TopicPayout, true // 振込申請したお金はいつ届きますか
			}
			return o.t, true
		}
	}
	if a.has[cMoney] && a.hasEnglishWithdraw() {
		return TopicBalance, true
	}
	if a.has[cNewAccount] {
		// A new account while this one exists is a second one; after the
		// withdrawal it is registering again.
		if step == StepFiled || v.withdrawFound && (v.withdraw == mCond || v.withdraw == mPast || v.withdraw == mDone) {
			return TopicReregister, true
		}
		return TopicMultipleAccounts, true
	}
	if a.has[cTopicRatingsWeak] && (v.withdrawFound || a.has[cObjService]) {
		return TopicRatings, true // 退会したらどうなる
	}
	if a.has[cTopicStatusWeak] {
		return TopicStatus, true // どうなりましたか
	}
	return "", false
}

// troubled: a help word other than a bare "can't" (連携しないと退会できないの
// asks why, not what to do).
func (a *analysis) troubled() bool {
	for i := 0; i < a.n; i++ {
		h := a.hits[i]
		if h.c != cHelp {
			continue
		}
		if t := a.s[h.start:h.end]; t != cantWords[0] && t != cantWords[1] {
			return true
		}
	}
	return false
}

var cantWords = foldWords([]string{"できない", "できません"})

// rechecks: at blocked or checking, asking to check again or saying the
// blockers were dealt with, plainly (no doubt, no wish to withdraw, which
// is start).
func (a *analysis) rechecks(v verb) bool {
	return (a.has[cRecheck] || a.has[cDoneReport]) && !v.withdrawFound && !a.has[cHedge] && !a.info.doubt && !a.info.ellipsis
}

// when reports a question about when: いつ, まだ, 届く, when.
func (a *analysis) when() bool {
	return strings.Contains(a.s, "いつ") || strings.Contains(a.s, "まだ") || strings.Contains(a.s, "届") || containsWord(a.s, "when")
}

// cancels reports whether the message says not to go on. In a question
// (asked) only a decision counts, not a mention of undoing.
func (a *analysis) cancels(step Step, v verb, isReason, asked bool) bool {
	if v.withdrawFound && (v.withdraw == mNeg || v.withdraw == mNegDesire) {
		return true // 退会はしないです, 退会しなくていいです
	}
	if v.stopProc {
		return true // 退会やめます, キャンセル
	}
	affirmed := a.answerKinds()&(1<<tYes|1<<tAck|1<<tNext|1<<tFile) != 0
	if a.has[cRefuse] && !affirmed && !a.resigned() {
		return true // やっぱいいや, まだ大丈夫, 考えます
	}
	if a.has[cKeepUsing] && step != StepIdle {
		return true // もう少し頑張ってみます
	}
	if a.has[cLater] && decision(step) && !asked {
		return true // 来月退会します, 夫に相談してからにします: not now
	}
	if a.has[cTopicUndo] && step != StepFiled && !asked && !a.undoPotential() {
		return true // 取り消し (before filing, cancelling is stopping)
	}
	if v.yameFound {
		change := a.has[cChangeMind]
		switch v.yame {
		case mRefrain:
			return true // やめときます
		case mPlain, mNoun, mPast:
			if isReason && !change {
				return false // 忙しくてやめる: the reason is what counts here
			}
			if step == StepIdle {
				return change && v.yame != mPast // at idle, やめます is quitting
			}
			return true
		case mDesire:
			return change && step != StepIdle // やっぱりやめたい
		}
	}
	return false
}

// undoPotential: the undo words speak of whether it can be undone
// (元に戻せないのか, 戻れない), not of undoing.
func (a *analysis) undoPotential() bool {
	for i := 0; i < a.n; i++ {
		h := a.hits[i]
		if h.c != cTopicUndo {
			continue
		}
		t, rest := a.s[h.start:h.end], a.s[h.end:]
		if strings.HasSuffix(t, "せ") || strings.HasSuffix(t, "ない") || strings.HasSuffix(t, "ません") || strings.HasPrefix(rest, "せ") || strings.HasPrefix(rest, "れ") {
			return true
		}
	}
	return false
}

// but reports a "but" followed by more: 退会したいけど評価消えるのはいやだな.
func (a *analysis) but() bool {
	for _, w := range butWords {
		i := strings.Index(a.s, w)
		if i < 0 || w == "でも" && strings.HasSuffix(a.s[:i], "それ") {
			continue // それでも: even so
		}
		if len(strings.Trim(a.s[i+len(w):], ",?")) > 0 {
			return true
		}
	}
	return false
}

var butWords = foldWords([]string{"けど", "けれど", "でも", "だけど", "but"})

// resigned: まあいいや is "oh well", not "never mind".
func (a *analysis) resigned() bool {
	return a.has[cHedge] && strings.Contains(a.s, "まあいいや")
}

// start reports whether the message asks to withdraw.
func (a *analysis) start(step Step, v verb) (Intent, bool) {
	if v.withdrawFound {
		switch v.withdraw {
		case mDesire, mPlain, mNoun:
			if step != StepIdle && (a.has[cHedge] || a.mused || a.but()) {
				return IntentUnknown, true // 辞めたいけど迷う, 退会しちゃおうかな
			}
			return IntentStart, true
		case mPotentialNeg:
			if step == StepIdle {
				return IntentStart, true // 退会できないんですけど
			}
			return IntentHelp, true
		}
	}
	if v.yameFound && !a.has[cHedge] && step == StepIdle {
		switch {
		case v.yame == mDesire:
			return IntentStart, true // やめたい: wants to quit
		case v.yame == mPlain || v.yame == mNoun:
			// 辞めます is quitting; a bare やめる or やめます, with nothing in
			// progress, may as well be "stop" (the cancel button's word):
			// it is asked about.
			if v.yameQuit || a.has[cObjService] {
				return IntentStart, true
			}
			return IntentUnknown, true
		}
	}
	return "", false
}

// reason reads a reason, at the reason steps only.
func (a *analysis) reason(step Step) (Intent, bool) {
	if step != StepReason && step != StepReasonText || a.has[cWait] {
		return "", false // 忙しいので後で答えます: not a reason yet
	}
	for i := 0; i < a.n; i++ {
		switch a.hits[i].c {
		case cNotUsing:
			return ReasonIntent(taikai.ReasonNotUsing), true
		case cHardToEarn:
			return ReasonIntent(taikai.ReasonHardToEarn), true
		case cResetRating:
			return ReasonIntent(taikai.ReasonResetRating), true
		case cFees:
			if !a.has[cSwitch] {
				return ReasonIntent(taikai.ReasonHardToEarn), true // 手数料が高い
			}
		}
	}
	if a.has[cNoReason] || a.noneWord() {
		return ReasonIntent(taikai.ReasonNone), true
	}
	if a.has[cReasonOther] || a.has[cSwitch] || a.has[cReasonMarker] && a.content() {
		return ReasonIntent(taikai.ReasonOther), true
	}
	return "", false
}

// noneWords are whole messages that say "no reason".
var noneWords = foldWords([]string{"なし", "無し", "ない", "ないです", "ありません", "特に", "none", "na", "nothing", "nope nothing", "no reason", "なしで", "なしです",
	"なんとなく", "何となく"})

func (a *analysis) noneWord() bool {
	for _, w := range noneWords {
		if a.s == w {
			return true
		}
	}
	return false
}

// content reports whether the message says something besides the
// withdrawal itself: two kanji, or three English words, outside the words
// about withdrawing.
func (a *analysis) content() bool {
	han, words := a.info.han, 0
	for i := 0; i < a.n; i++ {
		h := a.hits[i]
		if h.c == cWithdraw || h.c == cYame || h.c == cReasonMarker {
			for _, r := range a.s[h.start:h.end] {
				if r >= 0x4e00 && r <= 0x9fff {
					han--
				}
			}
		}
	}
	if a.info.latin > 0 {
		words = strings.Count(a.s, " ") + 1
	}
	return han >= 2 || words >= 3
}

// looksLikeReason: at reason_text, where the user was asked to type a
// reason, a judgement of something (厳しすぎる, keeps crashing) is one too;
// a remark about typing it (少々お待ちください, あとで書きます) is not.
func (a *analysis) looksLikeReason() bool {
	return a.has[cJudgement] && !a.has[cWait] && a.answerKinds() == 0
}

// wantsStaff: a person is asked for by name, or by a weaker word with a
// request (サポートに相談したい).
func (a *analysis) wantsStaff(q bool) bool {
	if a.has[cStaff] {
		// 担当者の対応が悪かったので: a reason that mentions staff.
		return !(a.has[cReasonMarker] && !a.requests() && !q)
	}
	return a.has[cStaffWeak] && (q || a.requests())
}

// requests reports whether the message asks for something to be done.
func (a *analysis) requests() bool {
	for _, w := range requestWords {
		if strings.Contains(a.s, w) {
			return true
		}
	}
	return false
}

var requestWords = foldWords([]string{"たい", "ください", "下さい", "お願い", "おねがい", "ますか", "できますか", "てほしい", "て欲しい", "てもらえ", "want", "please", "can i", "can you", "could you", "id like"})

// wantsTopic reports a wish about a topic, in the clause that names it:
// 売上金を引き出したい.
func (a *analysis) wantsTopic(c concept) bool {
	for i := 0; i < a.n; i++ {
		h := a.hits[i]
		if h.c != c {
			continue
		}
		t := a.text(a.clauses[h.clause])
		if strings.Contains(t, "たい") || containsWord(t, "want") || containsWord(t, "wanna") || containsWord(t, "need") || strings.Contains(t, "id like") {
			return true
		}
	}
	return false
}

// raises reports a statement that raises an issue and waits for an
// answer: …なんですが, …んですけど.
func (a *analysis) raises() bool {
	for _, w := range raiseEnds {
		if strings.HasSuffix(a.s, w) {
			return true
		}
	}
	return false
}

var raiseEnds = foldWords([]string{"んですが", "のですが", "んですけど", "のですけど", "んだけど", "んですけれど"})

// needs: must I (答えないとだめ？).
func (a *analysis) needs() bool {
	for _, w := range needWords {
		if strings.Contains(a.s, w) {
			return true
		}
	}
	return false
}

var needWords = foldWords([]string{"ないとだめ", "ないとダメ", "ないといけな", "なきゃだめ", "なきゃダメ", "なきゃいけな", "必須", "必要ですか", "必要なの", "have to", "must i", "required"})

func (a *analysis) hasEnglishWithdraw() bool {
	for i := 0; i < a.n; i++ {
		if h := a.hits[i]; h.c == cWithdraw && h.class == english {
			return true
		}
	}
	return false
}

// releases: 連携だけ解除したい (the link named, then released).
func (a *analysis) releases() bool {
	for _, w := range releaseWords {
		if strings.Contains(a.s, w) {
			return true
		}
	}
	return false
}

var releaseWords = foldWords([]string{"解除", "外し", "外す", "はずし", "切りたい", "切って"})

// negatedAfter reports a negation right after a word of c: 連携は解除しないで,
// 理由は変えなくていい.
func (a *analysis) negatedAfter(c concept) bool {
	for i := 0; i < a.n; i++ {
		h := a.hits[i]
		if h.c != c {
			continue
		}
		rest := a.s[h.end:a.clauseEnd(h)]
		for _, n := range negAfter {
			if strings.HasPrefix(rest, n) {
				return true
			}
		}
	}
	return false
}

var negAfter = []string{"しないで", "しなくて", "しません", "しない", "しなく", "さないで", "さない", "なくて", "なくてい", "ないで", "ません", "ない"}

// langNeg, in a language request, asks for the other language.
var langNeg = foldWords([]string{"dont", "cant", "わからない", "わかりません", "読めない", "話せない", "苦手"})

// langSwitch: "English please", 日本語でお願いします: a language word and
// nothing but words that ask for it.
func (a *analysis) langSwitch() (Lang, bool) {
	var l Lang
	switch {
	case a.has[cLangEn] && !a.has[cLangJa]:
		l = LangEn
	case a.has[cLangJa] && !a.has[cLangEn]:
		l = LangJa
	default:
		return "", false
	}
	rest := a.s
	for i := 0; i < a.n; i++ {
		if h := a.hits[i]; h.c == cLangEn || h.c == cLangJa {
			rest = a.s[:h.start] + "," + a.s[h.end:]
			break
		}
	}
	if !consumes(langFiller, rest, nil) {
		return "", false
	}
	for _, w := range langNeg {
		if strings.Contains(rest, w) {
			// I don't speak Japanese: the other one.
			if l == LangJa {
				return LangEn, true
			}
			return LangJa, true
		}
	}
	return l, true
}

var langFiller = buildAnswers([]answerWord{
	{tNeutral, "で"}, {tNeutral, "でお願いします"}, {tNeutral, "でおねがいします"}, {tNeutral, "でお願い"}, {tNeutral, "でお願いできますか"},
	{tNeutral, "で話して"}, {tNeutral, "で話してください"}, {tNeutral, "でいい"}, {tNeutral, "でいいです"}, {tNeutral, "で大丈夫"}, {tNeutral, "ですか"},
	{tNeutral, "にして"}, {tNeutral, "にしてください"}, {tNeutral, "に変えて"}, {tNeutral, "に変えてください"}, {tNeutral, "に切り替え"},
	{tNeutral, "に切り替えて"}, {tNeutral, "に切り替えてください"}, {tNeutral, "に戻して"}, {tNeutral, "に戻してください"}, {tNeutral, "対応"},
	{tNeutral, "わかりますか"}, {tNeutral, "わかる"}, {tNeutral, "で話せますか"}, {tNeutral, "できますか"}, {tNeutral, "でも"}, {tNeutral, "の方がいい"},
	{tNeutral, "すみません"}, {tNeutral, "お願いします"}, {tNeutral, "は"}, {tNeutral, "ok"}, {tNeutral, "please"}, {tNeutral, "pls"}, {tNeutral, "plz"},
	{tNeutral, "in"}, {tNeutral, "speak"}, {tNeutral, "can we talk"}, {tNeutral, "talk"}, {tNeutral, "can we"}, {tNeutral, "write"}, {tNeutral, "can you"}, {tNeutral, "do you"}, {tNeutral, "switch to"}, {tNeutral, "only"},
	{tNeutral, "i speak"}, {tNeutral, "i prefer"}, {tNeutral, "sorry"}, {tNeutral, "i dont speak"}, {tNeutral, "i cant read"},
	{tNeutral, "i dont understand"}, {tNeutral, "がわからない"}, {tNeutral, "わからない"}, {tNeutral, "がわかりません"}, {tNeutral, "わかりません"},
	{tNeutral, "が読めない"}, {tNeutral, "読めない"}, {tNeutral, "が話せない"}, {tNeutral, "話せない"}, {tNeutral, "が苦手"}, {tNeutral, "苦手"}, {tNeutral, "なので"}, {tNeutral, "is fine"}, {tNeutral, "?"},
	{tNeutral, "でおk"}, {tNeutral, "could you"}, {tNeutral, "表示"}, {tNeutral, "表示にしてください"}, {tNeutral, "表示に"}, {tNeutral, "で大丈夫です"},
	{tNeutral, "がいい"}, {tNeutral, "がいいです"}, {tNeutral, "にしてもらえますか"}, {tNeutral, "にしてもらえる"}, {tNeutral, "で頼む"}, {tNeutral, "で頼みます"},
	{tNeutral, "version"}, {tNeutral, "mode"}, {tNeutral, "change to"}, {tNeutral, "to"}, {tNeutral, "reply in"}, {tNeutral, "answer in"},
})
