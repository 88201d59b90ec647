package bot

import (
	"log/slog"

	"github.com/taikaibot/taikai/flows"
)

// memo keeps the results of the effects run while one event is processed.
// When a save loses its compare-and-set (or Redis fails before it), the
// event is stepped again on fresh state, and the flow asks for its effects
// again: a memoised effect is answered with the result it had, not run
// again. This is what makes the single-use ones safe — a link nonce is
// resolved once (a second resolution is refused, and the link would be
// lost) — and spares the others' cost: a filing is sent once (its
// idempotency key makes a second one harmless, not free), the status is
// looked up once, one link token and one profile read serve the event.
//
// The staff queue's effects are not memoised: they write the handoff state,
// which the fresh state already holds, and repeating them is harmless.
//
// A memo lives as long as its event's processing, which is short, so a
// result reused is never stale by more than the retries took.
//
// An event asks for a few effects at most: they are kept in slices, looked
// through in order (a map of each, made per event, cost more).
type memo struct {
	results []result
	// calls counts, per effect, how often the current attempt asked for it.
	calls []count
}

type result struct {
	c  call
	in flows.Input
}

type count struct {
	e flows.Effect
	n int
}

// count is how often the current attempt asked for e.
func (m *memo) count(e flows.Effect) *int {
	for i := range m.calls {
		if m.calls[i].e == e {
			return &m.calls[i].n
		}
	}
	m.calls = append(m.calls, count{e: e})
	return &m.calls[len(m.calls)-1].n
}

// call is the n-th request of an effect within an attempt: an attempt
// replays the one before it, request for request.
type call struct {
	e flows.Effect
	n int
}

// memoised reports whether the results of effects of kind k are kept.
func memoised(k flows.EffectKind) bool {
	switch k {
	case flows.EffResolveLink, flows.EffFile, flows.EffCheck, flows.EffIssueLink, flows.EffProfile:
		return true
	}
	return false
}

// begin starts an attempt.
func (m *memo) begin() { m.calls = m.calls[:0] }

// run returns e's result: the one kept, or do's, which is then kept.
func (m *memo) run(e flows.Effect, do func() flows.Input) flows.Input {
	if !memoised(e.Kind) {
		return do()
	}
	n := m.count(e)
	c := call{e, *n}
	*n++
	for _, r := range m.results {
		if r.c == c {
			return r.in
		}
	}
	res := do()
	m.results = append(m.results, result{c, res})
	return res
}

// report logs a nonce resolved or a withdrawal filed whose result the last
// attempt did not take up: the conversation had changed meanwhile (staff
// took it over, say) so that the flow no longer asked for it. A filing is
// not lost (confirming again replays its receipt, by its idempotency key);
// a link is, and the user links again.
func (m *memo) report(log *slog.Logger, attrs ...any) {
	for _, r := range m.results {
		c, res := r.c, r.in
		if c.n < *m.count(c.e) {
			continue
		}
		switch {
		case c.e.Kind == flows.EffResolveLink && res.Kind == flows.InLinked,
			c.e.Kind == flows.EffFile && res.Kind == flows.InFiled:
			log.Warn("an effect's result was not applied: the conversation changed meanwhile", append(attrs, "effect", string(c.e.Kind))...)
		}
	}
}
