package flows

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// An answer is a message made only of agreement (はい、お願いします), only
// of a refusal (いいえ), or of words of each. Yes is read only this way: a
// whole message of known words, so that anything added (a doubt, a
// question, a condition, "but…") leaves it unread and the bot asks.

// tok is the kind of an answer word.
type tok uint8

const (
	tNeutral  tok = iota // politeness and connectives: では, です, よろしく
	tYes                 // agreement: はい, うん, yes, sure
	tAck                 // acknowledgement: わかりました, 理解しました, 了解, OK, got it
	tAmbig               // fine or no thanks: 結構です
	tFine                // fine: 大丈夫です
	tThanks              // thanks: ありがとう, thank you
	tNext                // go on: 進みます, 次へ, 続けます
	tSkip                // skip a question: スキップ
	tPlease              // please do: お願いします
	tFile                // file it: 退会します, 申請してください (at confirm only)
	tFileWeak            // withdraw, delete it: file it only after a yes (yes, withdraw)
	tNo                  // no: いいえ, 違います
	tConcede             // even so: それでも (with a withdraw word, a yes to go on)
)

type answerWord struct {
	t    tok
	text string
}

var answerWords = buildAnswers([]answerWord{
	{tYes, "はい"}, {tYes, "うん"}, {tYes, "ええ"}, {tYes, "もちろん"},
	{tYes, "yes"}, {tYes, "yeah"}, {tYes, "yep"}, {tYes, "yup"}, {tYes, "sure"}, {tYes, "of course"}, {tYes, "im sure"}, {tYes, "i am sure"},
	{tYes, "agreed"}, {tYes, "i agree"}, {tYes, "sounds good"},

	// Acknowledgements say "I have read it": a yes to going on at the
	// warning and the advice, but at the confirm step, alone, no consent to
	// file (わかりました after an answer, 理解しました of what is lost).
	{tAck, "おk"}, {tAck, "おけ"}, {tAck, "おっけ"}, {tAck, "おけまる"}, {tAck, "ok"}, {tAck, "okay"}, {tAck, "okey"},
	{tAck, "了解"}, {tAck, "了解しました"}, {tAck, "了解です"}, {tAck, "承知しました"}, {tAck, "承知いたしました"}, {tAck, "承知致しました"}, {tAck, "了解いたしました"},
	{tAck, "承知です"}, {tAck, "了承しました"}, {tAck, "りょうかい"}, {tAck, "りょ"}, {tAck, "承知"}, {tAck, "了承"}, {tAck, "かしこまりました"},
	{tAck, "わかりました"}, {tAck, "分かりました"}, {tAck, "わかった"}, {tAck, "分かった"}, {tAck, "理解しました"}, {tAck, "理解しています"}, {tAck, "理解してます"},
	{tAck, "わかっています"}, {tAck, "わかってます"}, {tAck, "承知しています"}, {tAck, "理解した"},
	{tAck, "理解"}, {tAck, "把握しました"}, {tAck, "把握"}, {tAck, "確認しました"}, {tAck, "確認した"}, {tAck, "問題ありません"},
	{tAck, "問題ないです"}, {tAck, "問題ない"}, {tAck, "alright"}, {tAck, "all right"},
	{tAck, "understood"}, {tAck, "got it"}, {tAck, "i understand"}, {tAck, "noted"},
	{tAck, "間違いないです"}, {tAck, "間違いない"}, {tAck, "間違いありません"}, {tAck, "間違いはありません"}, {tAck, "内容に間違いはありません"}, {tAck, "内容に間違いありません"},

	// 結構です is as often "no, thank you" as "fine": with a bare yes
	// (はい、結構です) it leaves the answer open. So does 大丈夫です at the
	// confirm step (はい、大丈夫です), where only a plain yes files; at the
	// warning it answers "shall we go on?" (はい、大丈夫です).
	{tAmbig, "結構です"}, {tFine, "大丈夫"}, {tFine, "大丈夫です"},

	// Thanks with a bare yes (はい、ありがとう, OK thanks) may close the
	// conversation as well as agree.
	{tThanks, "ありがとう"}, {tThanks, "ありがとうございます"}, {tThanks, "ありがとうございました"}, {tThanks, "thanks"}, {tThanks, "thank you"}, {tThanks, "ty"}, {tThanks, "thx"},

	{tNext, "進みます"}, {tNext, "進む"}, {tNext, "進めます"}, {tNext, "進める"}, {tNext, "進めて"}, {tNext, "進めてください"}, {tNext, "進めてほしい"},
	{tNext, "進んでください"}, {tNext, "次へ"}, {tNext, "次に進みたい"}, {tNext, "進みたい"}, {tNext, "進みたいです"}, {tNext, "次へ進む"}, {tNext, "次へ進みます"}, {tNext, "次に進む"}, {tNext, "次に進みます"},
	{tNext, "次"}, {tNext, "つぎ"}, {tNext, "つぎへ"}, {tNext, "次で"}, {tNext, "次お願いします"}, {tNext, "先に進んで"}, {tNext, "先に進みます"},
	{tNext, "続けます"}, {tNext, "続ける"}, {tNext, "続けて"}, {tNext, "続けてください"}, {tNext, "続行"}, {tNext, "続行します"}, {tNext, "続行で"},
	{tNext, "手続きを続ける"}, {tNext, "手続きを続けます"}, {tNext, "手続きを続けてください"}, {tNext, "退会手続きを続ける"}, {tNext, "退会手続きを続けます"},
	{tNext, "手続きを進めて"}, {tNext, "手続きを進めてください"}, {tNext, "手続きを進めます"},
	{tNext, "理解して次へ進む"}, {tNext, "そのまま進"}, {tNext, "このまま進む"}, {tNext, "このまま進みます"}, {tNext, "このまま進めて"},
	{tNext, "このまま続け"}, {tNext, "このまま続けます"}, {tNext, "入力せずに進む"}, {tNext, "入力しないで進む"}, {tNext, "入力せず進む"},
	{tNext, "次に進んで"}, {tNext, "次に進んでください"}, {tNext, "次に進めて"}, {tNext, "次に進めてください"}, {tNext, "選ばずに"},
	{tNext, "go ahead"}, {tNext, "go on"}, {tNext, "proceed"}, {tNext, "continue"}, {tNext, "next"}, {tNext, "move on"},
	{tNext, "lets go"}, {tNext, "keep going"}, {tNext, "carry on"},

	{tSkip, "スキップ"}, {tSkip, "スキップで"}, {tSkip, "スキップします"}, {tSkip, "skip"}, {tSkip, "skip it"}, {tSkip, "skip this"},

	{tPlease, "お願いします"}, {tPlease, "おねがいします"}, {tPlease, "お願い"}, {tPlease, "お願いいたします"}, {tPlease, "お願い致します"},
	{tPlease, "お願いしまs"}, {tPlease, "please"}, {tPlease, "please do"}, {tPlease, "yes please"}, {tPlease, "do it"}, {tPlease, "just do it"},

	{tFile, "退会します"}, {tFile, "退会する"}, {tFile, "退会で"}, {tFile, "退会でお願いします"}, {tFile, "退会お願いします"}, {tFile, "退会をお願いします"},
	{tFile, "退会お願い"}, {tFile, "退会してください"}, {tFile, "退会させてください"}, {tFile, "退会を申請します"}, {tFile, "退会を確定"},
	{tFile, "退会を確定します"}, {tFile, "申請します"}, {tFile, "申請する"}, {tFile, "申請して"}, {tFile, "申請してください"},
	{tFile, "申請お願いします"}, {tFile, "申請で"}, {tFile, "確定"}, {tFile, "確定で"}, {tFile, "確定します"}, {tFile, "確定してください"},
	{tFile, "送信"}, {tFile, "送信します"}, {tFile, "実行"}, {tFile, "実行します"}, {tFile, "本当に退会します"},
	{tFile, "退会手続きを進めます"}, {tFile, "退会手続きを進めて"}, {tFile, "退会手続きを進めてください"},
	{tFile, "退会するで"}, {tFile, "退会の申請をお願いします"}, {tFile, "退会の申請をお願いいたします"}, {tFile, "退会申請をお願いします"},
	{tFile, "confirm"}, {tFile, "confirmed"}, {tFile, "submit"}, {tFile, "withdraw please"}, {tFile, "please withdraw"},
	// "Shall I close the account?" is answered in its own words.
	{tFile, "confirm closure"}, {tFile, "close my account"}, {tFile, "close it"}, {tFile, "close the account"}, {tFile, "please close it"},
	{tFile, "please close my account"},
	// Alone, "withdraw" and "delete my account" start a withdrawal at any
	// step; after a yes they file it.
	{tFileWeak, "withdraw"}, {tFileWeak, "withdraw my account"}, {tFileWeak, "delete my account"}, {tFileWeak, "delete it"},

	{tNeutral, "では"}, {tNeutral, "じゃあ"}, {tNeutral, "じゃ"}, {tNeutral, "それでは"}, {tNeutral, "それで"}, {tNeutral, "なら"},
	{tNeutral, "よろしく"},
	{tNeutral, "よろしくお願いします"}, {tNeutral, "よろしくお願いいたします"}, {tNeutral, "よろしくです"},
	{tNeutral, "です"}, {tNeutral, "ですね"}, {tNeutral, "っす"}, {tNeutral, "ね"}, {tNeutral, "よ"}, {tNeutral, "本当に"},
	{tNeutral, "ほんとに"}, {tNeutral, "すみません"}, {tNeutral, "ごめんなさい"}, {tNeutral, "申し訳ない"},
	{tNeutral, "so"}, {tNeutral, "then"}, {tNeutral, "just"}, {tNeutral, "and"},
	{tNeutral, "sorry"}, {tNeutral, "i"}, {tNeutral, "ok so"},
	// Connectives and courtesies: 大丈夫なので進めてください, yesで, 長い間お世話になりました.
	{tNeutral, "で"}, {tNeutral, "ので"}, {tNeutral, "なので"}, {tNeutral, "ください"}, {tNeutral, "このまま"}, {tNeutral, "色々と"}, {tNeutral, "内容は"},
	{tNeutral, "確認していただいて"}, {tNeutral, "ご確認いただき"}, {tNeutral, "お世話になりました"}, {tNeutral, "長い間お世話になりました"},
	{tNeutral, "長らくお世話になりました"},

	{tConcede, "それでも"},

	{tNo, "いいえ"}, {tNo, "いえ"}, {tNo, "いや"}, {tNo, "いやです"}, {tNo, "いやだ"}, {tNo, "嫌です"}, {tNo, "嫌だ"}, {tNo, "ううん"},
	{tNo, "ちがう"}, {tNo, "違う"}, {tNo, "違います"}, {tNo, "ちがいます"}, {tNo, "ちゃう"}, {tNo, "ちゃいます"}, {tNo, "そうじゃない"},
	{tNo, "そうではありません"}, {tNo, "そうじゃありません"}, {tNo, "ノー"}, {tNo, "no"}, {tNo, "nope"}, {tNo, "nah"}, {tNo, "not really"},
	{tNo, "negative"}, {tNo, "wrong"}, {tNo, "incorrect"}, {tNo, "thats wrong"}, {tNo, "no way"},
	{tNo, "definitely not"}, {tNo, "absolutely not"}, {tNo, "certainly not"}, {tNo, "of course not"}, {tNo, "no no"},
})

// answers finds answer words that start with a given rune, longest first.
type answers map[rune][]answerWord

func buildAnswers(ws []answerWord) answers {
	as := answers{}
	for _, w := range ws {
		w.text = foldWord(w.text)
		r, _ := utf8.DecodeRuneInString(w.text)
		as[r] = append(as[r], w)
	}
	for _, l := range as {
		sort.SliceStable(l, func(i, j int) bool { return len(l[i].text) > len(l[j].text) })
	}
	return as
}

// repeated is set in a kinds bit set when one agreement word comes twice in
// a row: はいはい is as often "yeah, yeah" as yes, and 退会します退会します is
// no calm decision.
const repeated = 1 << 15

// agreeing are the kinds a repeat makes doubtful.
const agreeing = 1<<tYes | 1<<tAck | 1<<tNext | 1<<tFile | 1<<tFileWeak

// consumes reports whether s, clause by clause, is made only of words of
// as; it adds their kinds to kinds (a bit set of tok, and repeated) if not
// nil.
func consumes(as answers, s string, kinds *uint16) bool {
	prev := ""
	for c := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || r == '?' }) {
		for c != "" {
			if c[0] == ' ' {
				c = c[1:]
				continue
			}
			r, _ := utf8.DecodeRuneInString(c)
			found := false
			for _, w := range as[r] {
				if !strings.HasPrefix(c, w.text) {
					continue
				}
				n := len(w.text)
				if n < len(c) && isASCIIAlnum(w.text[n-1]) && isASCIIAlnum(c[n]) {
					continue // "no" in "now"
				}
				if kinds != nil {
					*kinds |= 1 << w.t
					if agreeing&(1<<w.t) != 0 && w.text == prev {
						*kinds |= repeated
					}
				}
				prev = w.text
				c, found = c[n:], true
				break
			}
			if !found {
				return false
			}
		}
	}
	return true
}

// answerKinds is the set of answer-word kinds the message is made of, or 0
// if it is not made only of answer words.
func (a *analysis) answerKinds() uint16 {
	if !a.kindsRead {
		a.kindsRead = true
		if consumes(answerWords, a.s, &a.kinds) {
			return a.kinds
		}
		a.kinds = 0
		for i := 0; i < a.nc; i++ {
			c := a.text(a.clauses[i])
			if !consumes(answerWords, c, &a.kinds) && !acknowledges(c, &a.kinds) {
				a.kinds = 0
				break
			}
		}
	}
	return a.kinds
}

// acknowledges reports a clause that acknowledges something said, in
// words of its own, then in agreement only: 評価が消えるのは理解しました,
// 引き継がれないのも承知しています. It adds tAck to kinds.
func acknowledges(c string, kinds *uint16) bool {
	for _, m := range ackMarkers {
		i := strings.LastIndex(c, m)
		if i <= 0 {
			continue
		}
		var k uint16
		if consumes(answerWords, c[i+len(m):], &k) && k&(1<<tAck) != 0 && k&^(1<<tAck|1<<tNeutral) == 0 {
			*kinds |= k
			return true
		}
	}
	return false
}

var ackMarkers = foldWords([]string{"のは", "のも", "ことは", "ことも"})

type ans uint8

const (
	ansNone    ans = iota // not an answer: read on
	ansYes                // an unambiguous yes to what the step asks
	ansNo                 // a plain no
	ansUnclear            // an answer, but not one the step takes, or both yes and no
)

// answer reads a message made of answer words at step.
func (a *analysis) answer(step Step) ans {
	k := a.answerKinds()
	const agree = 1<<tYes | 1<<tAck | 1<<tNext | 1<<tSkip | 1<<tPlease | 1<<tFile | 1<<tFileWeak
	// What makes a bare yes more than a yes: a wish to go on, a please, a
	// decision in its own words (大丈夫です、お願いします).
	const more = 1<<tNext | 1<<tPlease | 1<<tFile | 1<<tFileWeak
	switch {
	case k&^(1<<tNeutral|1<<tConcede|1<<tAmbig|1<<tFine|1<<tThanks) == 0:
		return ansNone
	case k&(1<<tNo) != 0:
		if k&agree != 0 {
			return ansUnclear // いいえ、退会します
		}
		return ansNo
	case a.doubts() || k&repeated != 0:
		return ansUnclear // はい…, はい🤔, はい❌, はい(;_;), ええー, はいw, はいはい
	case k&(1<<tAmbig|1<<tThanks) != 0 && k&more == 0:
		return ansUnclear // はい、結構です; はい、大丈夫です; はい、ありがとう
	}
	var allowed uint16
	switch step {
	case StepWarning, StepHelp:
		if a.info.odd {
			return ansUnclear // はい🙃: only a glad sign goes with a yes
		}
		allowed = 1<<tYes | 1<<tAck | 1<<tNext | 1<<tPlease | 1<<tConcede
		if k&(1<<tYes|1<<tAck|1<<tPlease|1<<tConcede) != 0 {
			// はい、退会します; それでも退会します: going on, in withdraw
			// words (alone they are start: the bot shows the step).
			allowed |= 1<<tFile | 1<<tFileWeak
		}
	case StepConfirm:
		if a.info.symbols {
			return ansUnclear // at the last step, words only: はい👍 is asked about
		}
		if k&(1<<tAck|1<<tFine) != 0 && k&more == 0 {
			return ansUnclear // わかりました, OK: read, not "file it"; はい、大丈夫です
		}
		allowed = 1<<tYes | 1<<tAck | 1<<tNext | 1<<tPlease | 1<<tFile
		if k&(1<<tYes|1<<tPlease) != 0 {
			allowed |= 1 << tFileWeak // yes, withdraw
		}
	case StepReason, StepReasonText:
		// Not tSkip: スキップ is read as "rather not say" (reason:none)
		// by the reason rules.
		allowed = 1 << tNext
		if k&allowed != 0 {
			allowed |= 1 << tPlease // 次へお願いします
		}
	}
	switch {
	case k&(1<<tSkip) != 0:
		return ansUnclear
	case k&agree&^allowed == 0:
		return ansYes
	case k&(1<<tFile|1<<tFileWeak) != 0:
		return ansNone // 退会します before confirm: read on (start)
	}
	return ansUnclear
}

// doubts reports a sign that leaves an answer open: a hesitation (…, 、、、),
// a sign of doubt or distress (🤔, ❌, 💦, (;_;)), a hedge (たぶん), a laugh
// (はいw) or dismay (ええー).
func (a *analysis) doubts() bool {
	return a.info.ellipsis || a.info.doubt || a.has[cHedge] || a.info.laugh || a.info.dismay
}
