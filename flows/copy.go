package flows

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/taikaibot/taikai"
)

// catalog is every word the user sees, in one language: messages, button
// labels, and how dates, amounts and ratings are written. There is one
// value per language (ja, en). The compiler cannot tell an empty or missing
// line; TestCatalogsAreComplete does: every field set, every map complete,
// and the same format verbs in every language.
type catalog struct {
	// The conversation around the steps.
	greeting, idleHelp, offScript, sticker, media, inProgress, staleButton, doubleTap, beforeStep, ended,
	expired, nothingToCancel, cancelled, group, unlinked, unlinkedStopped, notLinked,
	hello, welcome, langSet string
	// cantAnswer: a question none of the topics answers; a person can.
	cantAnswer string

	// Linking.
	linkPrompt, linkButton, linkRetry, linkFailed, linked, linkNotFound, linkInvalidKept,
	linkUnavailable, accountGone string

	// Checking and blockers. blockedHead takes the name and the count.
	// blockedSame takes the count: a check found the blockers it found before.
	// checkLimit takes the seconds to wait.
	checkPending, checkUnavailable, checkLimit, blockedHead, blockedHeadOne, blockedFoot, blockedFootOne, blockedFootWait, blockedAtFiling,
	blockedSame, blockedSameOne, moreItems string

	// A reservation: the reminder after a payout. blockedFootRemind (the
	// blocked step's foot when a reminder is offered), reservedSet (the
	// reminder just set) and reserved (the step shown again) take when it
	// is due. remindedCheck opens what the reminder found; ready says the
	// way is clear. remindUnavailable: the reminder's check failed;
	// reserveUnavailable: the reminder could not be set.
	blockedFootRemind, reservedSet, reserved, remindedCheck, ready, remindUnavailable, reserveUnavailable string

	// A blocker, in parts that its plain-text form and its card share: what
	// blocks (the title; balanceTitle takes the amount), what to do, and the
	// facts. blockerText lays one out as text (the title, the facts in one
	// line, what to do), blockerTextBare one without facts; the facts line
	// takes the order's title, id and counterparty, or the amount and the
	// dates. On a card each fact has a line of its own, and openOrder is
	// the button that opens the order.
	blockerText, blockerTextBare                                               string
	purchaseTitle, deliveryTitle, payoutTitle, balanceTitle                    string
	purchaseTodo, purchaseDeliveredTodo, deliveryTodo, payoutTodo, balanceTodo string
	purchaseFacts, deliveryFacts, payoutFacts                                  string
	orderTitle, orderID, seller, buyer, requestedOn, expectedOn, openOrder     string

	// The warning takes the name, the rating line and the orders line;
	// warningNone, for an account with no rating and no orders, the name.
	warning, warningNone string
	// Reasons.
	reasonPrompt, reasonTextPrompt, reasonTruncated, reasonUnclear, reasonTextUnclear, reasonWithText string
	// reasonNotGiven is the reason in the summary when none was given.
	reasonNotGiven string

	// Advice per reason; each takes what it names.
	adviceNotUsing, adviceHardToEarn, adviceHardToEarnURL, adviceResetHigh, adviceResetLow string

	// Confirm: name, reason, and the loss line (lossLine takes the rating and orders lines).
	confirm, lossLine, lossLineNone, declined, fileUnavailable, filed string
	// After filing: the receipt (id, time) and a closing.
	filedStatus, filedThanks string

	// Questions asked when a text at a decision step is unclear.
	askWarning, askHelp, askConfirm string
	// pickOne answers a bare yes to a question of two choices (go on, or
	// keep the account?): it does not say which.
	pickOne string

	// Staff. staffAskedClosed and staffWaitClosed take the next opening.
	// staffGot acknowledges the first message to staff (staffGotClosed
	// outside staff hours, with the next opening).
	staffAsked, staffAskedClosed, staffWait, staffWaitClosed, staffGot, staffGotClosed, staffLeft, staffUnavailable, backUnavailable, paused, resumed string

	// How things are written. yen takes the grouped digits; rating the
	// stars and the count; orders the count; opening the day, the weekday
	// and the time.
	yenFormat, rating, ratingOne, noRating, orders, ordersOne     string
	dateLayout, dayLayout, timeLayout, receiptTimeLayout, opening string
	weekdays                                                      [7]string

	// remind is each step in one line, shown with its buttons after an
	// answer that is not the step itself.
	remind map[Step]string
	// faq answers each topic; faqShort answers it again, in one line.
	faq, faqShort map[Topic]string
	// faqPayoutOn answers the payout question with the payout's amount
	// and expected date.
	faqPayoutOn string
	// faqBalanceOn answers the balance question with the balance as last
	// looked up (%s); faqBalanceZero when it was 0 yen.
	faqBalanceOn, faqBalanceZero string

	labels  map[action]string
	reasons map[taikai.Reason]string

	// What staff read in the console for the codes the bot keeps: steps,
	// the funnel's transitions, filing outcomes and blocker kinds (reasons
	// are named by reasons). Exported through StaffLabels.
	stepNames    map[Step]string
	eventNames   map[Transition]string
	outcomeNames map[taikai.Outcome]string
	blockerNames map[taikai.BlockerKind]string
}

// catalogs are the catalogs by language.
var catalogs = map[Lang]*catalog{LangJa: &ja, LangEn: &en}

// catalogFor returns l's catalog (Japanese if l is unknown).
func catalogFor(l Lang) *catalog {
	if c, ok := catalogs[l]; ok {
		return c
	}
	return &ja
}

// LangOf maps a LINE profile's language tag (BCP 47) to a catalog:
// Japanese for ja and when the tag is unknown (the profile withholds it
// without the user's consent), English for any other language.
func LangOf(tag string) Lang {
	tag = strings.ToLower(tag)
	if tag == "" || tag == "ja" || strings.HasPrefix(tag, "ja-") {
		return LangJa
	}
	return LangEn
}

// japan is where the marketplace is: times shown to users are Japan time.
var japan = time.FixedZone("JST", 9*60*60)

// yen formats an amount: 12000 → "12,000円" (or "¥12,000").
func (c *catalog) yen(n int64) string {
	var digits, grouped [32]byte
	s := strconv.AppendInt(digits[:0], n, 10)
	b := grouped[:0]
	if s[0] == '-' {
		b, s = append(b, '-'), s[1:]
	}
	for i, d := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, d)
	}
	return fill(c.yenFormat, string(b))
}

// date formats a YYYY-MM-DD date; anything else is shown as given.
func (c *catalog) date(s string) string {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return s
	}
	return t.Format(c.dateLayout)
}

// when formats the time of an event, in Japan time.
func (c *catalog) when(t time.Time) string { return t.In(japan).Format(c.receiptTimeLayout) }

// openingAt formats when staff next answer, in Japan time, with the weekday.
func (c *catalog) openingAt(t time.Time) string {
	t = t.In(japan)
	return fmt.Sprintf(c.opening, t.Format(c.dayLayout), c.weekdays[t.Weekday()], t.Format(c.timeLayout))
}

// stars writes a rating average with one decimal, cut rather than rounded,
// so that 3.96 reads ★3.9 and never ★4.0: a rating is never shown above a
// threshold it does not reach. It cuts the shortest decimal form of the
// value, which (unlike multiplying by ten) is exact for 4.0 or 4.1.
func stars(avg float64) string {
	s := strconv.FormatFloat(avg, 'f', -1, 64)
	i := strings.IndexByte(s, '.')
	if i < 0 {
		return s + ".0"
	}
	return s[:min(len(s), i+2)]
}

// ratingLine is "★4.8・52件" or the catalog's "none yet".
func (c *catalog) ratingLine(r taikai.Rating) string {
	switch r.Count {
	case 0:
		return c.noRating
	case 1:
		return fmt.Sprintf(c.ratingOne, stars(r.Average), r.Count)
	}
	return fmt.Sprintf(c.rating, stars(r.Average), r.Count)
}

// ordersLine is "完了50件".
func (c *catalog) ordersLine(n int) string {
	if n == 1 {
		return fmt.Sprintf(c.ordersOne, n)
	}
	return fmt.Sprintf(c.orders, n)
}

// clip shortens s to at most n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func (c *catalog) reasonLabel(r taikai.Reason, text string) string {
	if r == "" {
		r = taikai.ReasonNone
	}
	l := c.reasons[r]
	if r == taikai.ReasonNone {
		l = c.reasonNotGiven
	}
	if text != "" {
		l = fmt.Sprintf(c.reasonWithText, l, clip(text, 100))
	}
	return l
}

// maxItems bounds the blockers listed in one reply, so that its text stays
// well inside LINE's 5,000 characters and its cards inside a carousel's 12
// bubbles (with the one that counts the rest).
const maxItems = 10

// blockers explains every blocker of st, one card each (the ones past
// maxItems counted on a last card).
func (c *catalog) blockers(st *taikai.Status) (n int, cards []Card) {
	order := func(title, todo, facts, who string, o taikai.Order) Card {
		name, party := clip(o.Title, 40), clip(o.Counterparty, 30)
		card := Card{
			Title: title,
			Lines: []string{fill(c.orderTitle, name), fill(c.orderID, o.OrderID), fill(who, party)},
			Note:  todo,
			Text:  fill(c.blockerText, title, fill(facts, name, o.OrderID, party), todo),
		}
		if o.URL != "" {
			card.Link = &Link{Label: c.openOrder, URL: o.URL}
			card.Text += "\n" + o.URL
		}
		return card
	}
	if k := len(st.PurchasesInProgress) + len(st.SalesAwaitingDelivery) + len(st.PayoutsInProgress) + 1; k > 1 || st.SalesBalanceJPY != 0 {
		cards = make([]Card, 0, k)
	}
	for _, o := range st.PurchasesInProgress {
		todo := c.purchaseTodo
		if o.Status == taikai.OrderDelivered {
			todo = c.purchaseDeliveredTodo
		}
		cards = append(cards, order(c.purchaseTitle, todo, c.purchaseFacts, c.seller, o))
	}
	for _, o := range st.SalesAwaitingDelivery {
		cards = append(cards, order(c.deliveryTitle, c.deliveryTodo, c.deliveryFacts, c.buyer, o))
	}
	for _, p := range st.PayoutsInProgress {
		amount, requested, expected := c.yen(p.AmountJPY), c.date(p.RequestedAt), c.date(p.ExpectedAt)
		cards = append(cards, Card{
			Title: c.payoutTitle,
			Lines: []string{amount, fill(c.requestedOn, requested), fill(c.expectedOn, expected)},
			Note:  c.payoutTodo,
			Text:  fill(c.blockerText, c.payoutTitle, fill(c.payoutFacts, amount, requested, expected), c.payoutTodo),
		})
	}
	if st.SalesBalanceJPY != 0 {
		title := fill(c.balanceTitle, c.yen(st.SalesBalanceJPY))
		cards = append(cards, Card{Title: title, Note: c.balanceTodo, Text: fill(c.blockerTextBare, title, c.balanceTodo)})
	}
	n = len(cards)
	if n > maxItems {
		more := fmt.Sprintf(c.moreItems, n-maxItems)
		cards = append(cards[:maxItems], Card{Title: more, Text: more})
	}
	return n, cards
}

// fill is fmt.Sprintf(format, args...) for a format whose verbs are all %s
// and as many as args, without boxing each argument in an interface; any
// other format goes to fmt.Sprintf.
func fill(format string, args ...string) string {
	n, verbs := len(format), 0
	for i := 0; i < len(format); i++ {
		if format[i] == '%' {
			if i+1 == len(format) || format[i+1] != 's' {
				return sprintf(format, args)
			}
			verbs++
			i++
		}
	}
	if verbs != len(args) {
		return sprintf(format, args)
	}
	for _, a := range args {
		n += len(a)
	}
	var b strings.Builder
	b.Grow(n)
	k := 0
	for i := 0; i < len(format); i++ {
		if format[i] == '%' {
			b.WriteString(args[k])
			k++
			i++
			continue
		}
		b.WriteByte(format[i])
	}
	return b.String()
}

func sprintf(format string, args []string) string {
	as := make([]any, len(args))
	for i, a := range args {
		as[i] = a
	}
	return fmt.Sprintf(format, as...)
}
