package flows

import "github.com/taikaibot/taikai"

// Transitions lists every funnel transition, in funnel order (the
// conversation's way forward, then its ways out). TestTransitionsAreListed
// keeps it complete.
var Transitions = []Transition{EvStarted, EvLinked, EvChecked, EvBlocked, EvClear, EvWarned, EvReason, EvConfirmed, EvFiled,
	EvCancelled, EvExpired, EvHandedOff, EvReserved, EvReminded}

// Labels are the words staff read for the codes the bot keeps — steps,
// transitions, filing outcomes, blocker kinds and reasons — taken from the
// catalog the bot speaks from, so that the console and the chat never name
// a thing two ways. A code no catalog names (a runtime's own marker) is
// returned as it is, and Known says so.
type Labels struct{ c *catalog }

// StaffLabels returns the labels in l (Japanese when l is unknown).
func StaffLabels(l Lang) Labels { return Labels{catalogFor(l)} }

func label[K ~string](m map[K]string, k K) string {
	if s, ok := m[k]; ok {
		return s
	}
	return string(k)
}

// Step names a step (StepFiled included).
func (l Labels) Step(s Step) string { return label(l.c.stepNames, s) }

// Event names a funnel transition.
func (l Labels) Event(e Transition) string { return label(l.c.eventNames, e) }

// Known reports whether the catalog names transition e.
func (l Labels) Known(e Transition) bool { _, ok := l.c.eventNames[e]; return ok }

// Outcome names a filing outcome.
func (l Labels) Outcome(o taikai.Outcome) string { return label(l.c.outcomeNames, o) }

// Blocker names a blocker kind.
func (l Labels) Blocker(k taikai.BlockerKind) string { return label(l.c.blockerNames, k) }

// Reason names a reason code as its button does.
func (l Labels) Reason(r taikai.Reason) string { return label(l.c.reasons, r) }

// Yen writes an amount as the chat does (12,000円 or ¥12,000).
func (l Labels) Yen(n int64) string { return l.c.yen(n) }

// Date writes a YYYY-MM-DD date as the chat does; anything else as given.
func (l Labels) Date(s string) string { return l.c.date(s) }

// Rating writes a rating as the chat does (★4.8・52件).
func (l Labels) Rating(r taikai.Rating) string { return l.c.ratingLine(r) }

// Orders writes a count of completed orders as the chat does (完了50件).
func (l Labels) Orders(n int) string { return l.c.ordersLine(n) }

// BackChoice is the "back to the bot" button, in l, for a message staff
// send while they have the conversation: pressed or typed, it hands the
// user back to the bot at the step they were at (see IsBack).
func BackChoice(l Lang) Choice {
	return Choice{Label: catalogFor(l).labels[actBack], Data: press{act: actBack}.encode()}
}

// IsBack reports whether in is the "back to the bot" button, pressed (from
// any message) or typed.
func IsBack(in Input) bool { return (&turn{}).isBack(in) }
