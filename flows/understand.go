package flows

import (
	"slices"
	"strings"

	"github.com/taikaibot/taikai"
)

// Intent is what a typed message means, given the step it answers. The
// conversation acts on intents, never on raw text (except a typed reason,
// which is kept in the user's own words).
//
// Besides the constants below there are parameterised intents:
// "reason:<code>" (taikai.Reason), "faq:<topic>" (Topic) and
// "lang:<ja|en>" (Lang).
type Intent string

// The plain intents.
const (
	// IntentStart: wants to begin (or restart) the withdrawal.
	IntentStart Intent = "start"
	// IntentCancel: does not want to go on, or changed their mind.
	IntentCancel Intent = "cancel"
	// IntentYes: an unambiguous agreement with what the step asks.
	IntentYes Intent = "yes"
	// IntentNo: a plain negative answer to the step's question.
	IntentNo Intent = "no"
	// IntentStaff: wants a person.
	IntentStaff Intent = "staff"
	// IntentUnlink: wants the account link removed.
	IntentUnlink Intent = "unlink"
	// IntentHelp: asks what to do or how this works.
	IntentHelp Intent = "help"
	// IntentGreeting: hello, good morning, …
	IntentGreeting Intent = "greeting"
	// IntentThanks: thank you, …
	IntentThanks Intent = "thanks"
	// IntentChangeReason: at the confirm step, wants to change the reason.
	IntentChangeReason Intent = "change_reason"
	// IntentBack: while waiting for a person, wants the bot back
	// (ボットに戻りたい, go back).
	IntentBack Intent = "back"
	// IntentQuestion: asks something none of the topics answers (coupons,
	// points, fees, notifications…). The bot says so and offers a person,
	// rather than give the answer to another question.
	IntentQuestion Intent = "question"
	// IntentUnknown: anything else, or anything unclear. The conversation
	// asks (with buttons) rather than guess.
	IntentUnknown Intent = "unknown"
)

// Topic is a question the bot can answer at any step.
type Topic string

// The topics of questions the bot answers.
const (
	TopicReregister       Topic = "reregister"        // can I register again?
	TopicMultipleAccounts Topic = "multiple_accounts" // can I hold two accounts?
	TopicRatings          Topic = "ratings"           // what happens to my ratings, record, data?
	TopicBalance          Topic = "balance"           // what about my sales balance / getting my earnings out?
	TopicPayout           Topic = "payout"            // my payout request in progress
	TopicDelivery         Topic = "delivery"          // what is formal delivery, how do I do it?
	TopicPurchase         Topic = "purchase"          // how do I complete a purchase?
	TopicUndo             Topic = "undo"              // can a withdrawal be undone?
	TopicLink             Topic = "link"              // why link my account?
	TopicStatus           Topic = "status"            // where am I / was it filed?
)

// Topics lists every topic.
var Topics = []Topic{TopicReregister, TopicMultipleAccounts, TopicRatings, TopicBalance, TopicPayout, TopicDelivery, TopicPurchase, TopicUndo, TopicLink, TopicStatus}

// Lang is the language a user is spoken to in.
type Lang string

// The languages of the catalogs.
const (
	LangJa Lang = "ja"
	LangEn Lang = "en"
)

// ReasonIntent is the intent of giving reason r.
func ReasonIntent(r taikai.Reason) Intent {
	if i, ok := reasonIntents[r]; ok {
		return i
	}
	return Intent("reason:" + string(r))
}

// FAQIntent is the intent of asking about t.
func FAQIntent(t Topic) Intent {
	if i, ok := faqIntents[t]; ok {
		return i
	}
	return Intent("faq:" + string(t))
}

// LangIntent is the intent of asking to be spoken to in l.
func LangIntent(l Lang) Intent {
	switch l {
	case LangJa:
		return langJa
	case LangEn:
		return langEn
	}
	return Intent("lang:" + string(l))
}

// The parameterised intents, made once: reading a message allocates none.
var (
	reasonIntents = func() map[taikai.Reason]Intent {
		m := map[taikai.Reason]Intent{}
		for _, r := range taikai.Reasons {
			m[r] = Intent("reason:" + string(r))
		}
		return m
	}()
	faqIntents = func() map[Topic]Intent {
		m := map[Topic]Intent{}
		for _, t := range Topics {
			m[t] = Intent("faq:" + string(t))
		}
		return m
	}()
	langJa, langEn = Intent("lang:" + string(LangJa)), Intent("lang:" + string(LangEn))
	allIntents     = intents()
	validIntents   = func() map[Intent]bool {
		m := map[Intent]bool{}
		for _, i := range allIntents {
			m[i] = true
		}
		return m
	}()
)

// Reason returns the reason of a "reason:" intent.
func (i Intent) Reason() (taikai.Reason, bool) {
	r, ok := strings.CutPrefix(string(i), "reason:")
	return taikai.Reason(r), ok && taikai.Reason(r).Valid()
}

// Topic returns the topic of a "faq:" intent.
func (i Intent) Topic() (Topic, bool) {
	t, ok := strings.CutPrefix(string(i), "faq:")
	if !ok {
		return "", false
	}
	for _, x := range Topics {
		if Topic(t) == x {
			return x, true
		}
	}
	return "", false
}

// Lang returns the language of a "lang:" intent.
func (i Intent) Lang() (Lang, bool) {
	switch i {
	case LangIntent(LangJa):
		return LangJa, true
	case LangIntent(LangEn):
		return LangEn, true
	}
	return "", false
}

// Intents lists every intent, parameterised ones expanded.
func Intents() []Intent { return slices.Clone(allIntents) }

func intents() []Intent {
	is := []Intent{IntentStart, IntentCancel, IntentYes, IntentNo, IntentStaff, IntentUnlink, IntentHelp, IntentGreeting, IntentThanks, IntentChangeReason, IntentBack, IntentQuestion, IntentUnknown}
	for _, r := range taikai.Reasons {
		is = append(is, ReasonIntent(r))
	}
	for _, t := range Topics {
		is = append(is, FAQIntent(t))
	}
	return append(is, LangIntent(LangJa), LangIntent(LangEn))
}

// Valid reports whether i is one of Intents.
func (i Intent) Valid() bool { return validIntents[i] }

// Understander reads what a user typed at a step. Implementations must be
// pure (no I/O) and safe for concurrent use.
type Understander interface {
	Understand(text string, step Step) Intent
}

// LangUnderstander is an Understander that also takes a hint: the
// language the user is spoken to in, for the few words whose meaning
// depends on it.
type LangUnderstander interface {
	Understander
	UnderstandIn(text string, step Step, lang Lang) Intent
}

// UnderstoodSteps lists the steps a text can be read at: the
// conversation's, and "filed" (the days after the withdrawal was filed).
func UnderstoodSteps() []Step {
	return append(slices.Clone(Steps), StepFiled)
}

// Understand reads text with the default Understander.
func Understand(text string, step Step) Intent { return patterns{}.Understand(text, step) }

// UnderstandIn reads text with the default Understander, given the
// language the user is spoken to in ("" if not known). It differs from
// Understand only for romaji yes/no typed with the input method off:
// "hai" is yes (where a yes is expected) for a Japanese speaker and a
// greeting for an English one; without a hint it is unknown.
func UnderstandIn(text string, step Step, lang Lang) Intent {
	return patterns{}.UnderstandIn(text, step, lang)
}

// DefaultUnderstander returns the default Understander: folding, a
// lexicon, and rules that read negation, hedging and questions (see
// understand_rules.go). It is pure and safe for concurrent use.
func DefaultUnderstander() LangUnderstander { return patterns{} }
