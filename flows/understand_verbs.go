package flows

import "strings"

// mood is what the ending after a verb stem says: wanting it, refusing it,
// asking whether one can, having done it… It is read from the folded text
// right after the stem, so "やめ" in やめます (plain) and in やめない (neg)
// differ, and so do 退会したい (desire) and 退会はしないです (neg).
type mood uint8

const (
	mNoun         mood = iota // bare noun or an ending we don't know: 退会, 退会手続き
	mPlain                    // will, do, please do: 退会します, やめる, 退会お願いします
	mDesire                   // wants to: 退会したい, 辞めたい, 退会希望
	mNeg                      // won't, don't: 退会しない, やめません, 退会しなくていい
	mNegDesire                // doesn't want to: 退会したくない
	mRefrain                  // will leave it: やめとく, やめておきます
	mPotential                // can: 退会できる(?)
	mPotentialNeg             // can't: 退会できない
	mPast                     // did: 退会した, やめました
	mDone                     // was done: 退会できた, 退会済み, 退会されました
	mCond                     // if, after, before: 退会したら, 退会後, 退会する前に
)

// verbClass says how a stem conjugates.
type verbClass uint8

const (
	noVerb  verbClass = iota
	suru              // a noun that takes する: 退会, 中止, キャンセル
	ichidan           // a stem that takes る: やめ, 辞め, 続け
	godanS            // a stem that takes す: 消 (消す), 取り消 (取り消す)
	english           // an English verb phrase: its mood is read before it
)

// An ending is one way a stem may go on, and the mood it gives. Endings are
// tried in order, so a longer one comes before any ending it starts with.
type ending struct {
	text string
	m    mood
}

var suruEndings = foldEndings([]ending{
	// No intention of it: 退会するつもりはない, 退会する気はない.
	{"するつもりはな", mNeg}, {"するつもりもな", mNeg}, {"するつもりはありませ", mNeg}, {"するつもりない", mNeg}, {"するつもりありませ", mNeg},
	{"する気はな", mNeg}, {"する気もな", mNeg}, {"する気はありませ", mNeg}, {"する気ない", mNeg}, {"する気になれ", mNeg},
	{"お願いしませ", mNeg}, {"お願いしな", mNeg}, {"おねがいしませ", mNeg},
	// Obligation reads as wanting it; "if I don't" as a condition.
	{"しなきゃ", mDesire}, {"しなければ", mDesire}, {"しなくちゃ", mDesire}, {"しないと", mCond},
	{"したくな", mNegDesire}, {"したくありませ", mNegDesire}, {"したくね", mNegDesire}, {"したくは", mNegDesire},
	{"したい", mDesire}, {"したく", mDesire}, {"希望", mDesire}, {"しよう", mPlain}, {"しよっ", mPlain},
	{"しないで", mNeg}, {"しなくて", mNeg}, {"しない", mNeg}, {"しなく", mNeg}, {"しません", mNeg}, {"せず", mNeg}, {"せん", mNeg},
	{"されない", mNeg}, {"させない", mNeg}, {"いいです", mNeg}, {"いいや", mNeg}, {"いいかな", mNeg}, {"いい", mNeg}, {"もういい", mNeg}, {"大丈夫", mNeg},
	{"結構", mNeg}, {"いらな", mNeg}, {"不要", mNeg}, {"なしで", mNeg}, {"はいい", mNeg},
	{"できるように", mPotentialNeg}, {"できな", mPotentialNeg}, {"できませ", mPotentialNeg}, {"できね", mPotentialNeg}, {"出来な", mPotentialNeg}, {"出来ませ", mPotentialNeg},
	{"できたら", mCond}, {"できれば", mCond},
	{"できました", mDone}, {"できた", mDone}, {"できて", mDone}, {"出来た", mDone}, {"出来まし", mDone}, {"出来て", mDone},
	{"済", mDone}, {"終わ", mDone}, {"完了", mDone}, {"された", mDone}, {"されまし", mDone}, {"されて", mDone}, {"になって", mDone}, {"になりまし", mDone},
	{"できる", mPotential}, {"できます", mPotential}, {"でき", mPotential}, {"出来", mPotential}, {"可能", mPotential},
	{"したら", mCond}, {"したあと", mCond}, {"した後", mCond}, {"した場合", mCond}, {"した時", mCond}, {"したとき", mCond},
	{"すると", mCond}, {"しても", mCond}, {"すれば", mCond}, {"する前", mCond}, {"するまえ", mCond}, {"する場合", mCond},
	{"する時", mCond}, {"するとき", mCond}, {"する際", mCond}, {"するには", mPlain}, {"するため", mCond},
	{"前", mCond}, {"まえ", mCond}, {"後", mCond}, {"あと", mCond}, {"時", mCond}, {"の際", mCond}, {"の場合", mCond}, {"場合", mCond},
	{"理由", mCond}, {"ても", mCond}, {"したら", mCond},
	{"しました", mPast}, {"した", mPast}, {"してしま", mPast}, {"しちゃった", mPast}, {"してる", mPast}, {"している", mPast}, {"しています", mPast},
	{"します", mPlain}, {"する", mPlain}, {"して", mPlain}, {"しとく", mPlain}, {"しとき", mPlain}, {"しちゃ", mPlain},
	{"させて", mPlain}, {"さして", mPlain}, {"お願い", mPlain}, {"おねがい", mPlain}, {"で", mPlain}, {"を", mPlain},
})

var ichidanEndings = foldEndings([]ending{
	{"たくな", mNegDesire}, {"たくありませ", mNegDesire}, {"たくね", mNegDesire},
	{"たい", mDesire}, {"たく", mDesire}, {"なきゃ", mDesire}, {"なければ", mDesire},
	{"ないと", mCond},
	{"ないで", mNeg}, {"なくて", mNeg}, {"ない", mNeg}, {"なく", mNeg}, {"ません", mNeg}, {"ず", mNeg}, {"ねえ", mNeg},
	{"られな", mPotentialNeg}, {"れな", mPotentialNeg}, {"られませ", mPotentialNeg}, {"れませ", mPotentialNeg},
	{"られ", mPotential}, {"れる", mPotential}, {"れます", mPotential},
	{"とく", mRefrain}, {"とき", mRefrain}, {"とこ", mRefrain}, {"ておく", mRefrain}, {"ておき", mRefrain}, {"ておこ", mRefrain},
	{"たら", mCond}, {"ても", mCond}, {"れば", mCond}, {"る前", mCond}, {"るまえ", mCond}, {"る時", mCond}, {"るとき", mCond},
	{"ると", mCond}, {"た後", mCond}, {"たあと", mCond}, {"る場合", mCond}, {"るには", mPlain},
	{"ました", mPast}, {"ちゃった", mPast}, {"ちゃいました", mPast}, {"てしま", mPast}, {"た", mPast},
	{"ます", mPlain}, {"ましょう", mPlain}, {"る", mPlain}, {"よう", mPlain}, {"よっ", mPlain}, {"ろ", mPlain}, {"て", mPlain},
	{"ちゃ", mPlain}, {"させて", mPlain}, {"", mPlain},
})

var godanSEndings = foldEndings([]ending{
	{"したくな", mNegDesire}, {"したくありませ", mNegDesire},
	{"したい", mDesire}, {"したく", mDesire},
	{"さないで", mNeg}, {"さなくて", mNeg}, {"さない", mNeg}, {"さなく", mNeg}, {"しません", mNeg}, {"さず", mNeg},
	{"せな", mPotentialNeg}, {"せませ", mPotentialNeg},
	{"せる", mPotential}, {"せます", mPotential}, {"せ", mPotential},
	{"したら", mCond}, {"しても", mCond}, {"せば", mCond}, {"す前", mCond}, {"したあと", mCond}, {"した後", mCond},
	{"しました", mPast}, {"してしま", mPast}, {"しちゃった", mPast}, {"した", mPast},
	{"します", mPlain}, {"す", mPlain}, {"して", mPlain}, {"そう", mPlain}, {"しとく", mPlain}, {"しておく", mPlain}, {"し", mPlain},
})

// particles may stand between a noun and its する: 退会はしない, 退会を希望.
var particles = foldWords([]string{"は", "を", "も", "が", "って", "とか", "の手続きを", "の手続き", "手続きを", "手続き", "の申請を", "申請を", "の方", "のほう", "自体",
	"まだ", "もう", "やっぱり", "やっぱ", "今は", "今回は", "絶対", "ぜったい", "本当に", "ほんとに", "今すぐ", "すぐ", "早く", "とりあえず"})

// moodAfter reads the mood of a stem of class c from the text after it.
func moodAfter(c verbClass, rest string) mood {
	var es []ending
	switch c {
	case suru:
		// Particles and adverbs: 退会はまだしたくない.
		for range 3 {
			cut := false
			for _, p := range particles {
				if r, ok := strings.CutPrefix(rest, p); ok {
					rest, cut = r, true
					break
				}
			}
			if !cut {
				break
			}
		}
		es = suruEndings
	case ichidan:
		es = ichidanEndings
	case godanS:
		es = godanSEndings
	default:
		return mNoun
	}
	for _, e := range es {
		if strings.HasPrefix(rest, e.text) {
			return e.m
		}
	}
	return mNoun
}

// English: the mood of a verb phrase is read from the few words before it
// in its clause ("I don't want to delete my account").
var (
	enNeg    = foldWords([]string{"dont", "do not", "not", "never", "wont", "will not", "no longer", "doesnt", "didnt", "rather not"})
	enDesire = foldWords([]string{"want", "wanna", "would like", "like to", "need to", "trying to", "try to", "plan to", "going to", "gonna", "wish", "please", "help me", "how to", "how do i", "how can i"})
	enCant   = foldWords([]string{"cant", "cannot", "can not", "unable", "couldnt"})
)

// moodBefore reads the mood of an English verb phrase from the text of its
// clause before it.
func moodBefore(before string) mood {
	neg, desire, cant := false, false, false
	for _, w := range enNeg {
		if containsWord(before, w) {
			neg = true
		}
	}
	for _, w := range enDesire {
		if containsWord(before, w) {
			desire = true
		}
	}
	for _, w := range enCant {
		if containsWord(before, w) {
			cant = true
		}
	}
	switch {
	case cant:
		return mPotentialNeg
	case neg && desire:
		return mNegDesire
	case neg:
		return mNeg
	case desire:
		return mDesire
	}
	return mPlain
}

// containsWord reports whether w occurs in s as whole words.
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(w)
		if (j == 0 || !isASCIIAlnum(s[j-1])) && (end == len(s) || !isASCIIAlnum(s[end])) {
			return true
		}
		i = j + 1
	}
}

func foldEndings(es []ending) []ending {
	for i := range es {
		es[i].text = foldWord(es[i].text)
	}
	return es
}

func foldWords(ws []string) []string {
	for i := range ws {
		ws[i] = foldWord(ws[i])
	}
	return ws
}

// foldWord folds a lexicon entry as fold folds a message.
func foldWord(w string) string {
	f, _ := fold(w)
	return f
}
