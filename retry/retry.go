// Package retry is the one policy for trying again: how many attempts, how
// long to wait between them (exponential backoff with jitter), how far to
// trust a server's Retry-After, and which HTTP answers are worth another
// attempt. The LINE and marketplace clients, the bot's event retry and the
// queue's acknowledgements all wait by it; `taikai serve` configures it.
//
// What a particular call may safely repeat stays with that call: a call
// that must not be repeated uses Once, and a call that learns on a retry
// that an earlier attempt went through (a used reply token, a push answered
// 409 for its retry key) reports success; an answer not worth another
// attempt is marked Permanent.
package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"
)

// Policy says how often and how patiently a failed call is tried again.
// The zero value tries once.
type Policy struct {
	// Attempts is how many times a call is tried in all (0 counts as 1); a
	// negative number means until the call gives up (Permanent) or its
	// context ends.
	Attempts int
	// Backoff bounds the first wait; each further attempt doubles the bound,
	// up to MaxBackoff. The wait is drawn at random below the bound (full
	// jitter, so that callers that failed together do not retry together),
	// plus a tenth of Backoff.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// MaxRetryAfter caps how long a server's Retry-After is honoured.
	MaxRetryAfter time.Duration
	// Retryable reports whether an answer with this HTTP status is worth
	// another attempt; nil means RetryableStatus.
	Retryable func(status int) bool
}

// Default is the policy unless configured otherwise: 3 attempts, waits
// bounded by 100ms doubling up to 5s, a Retry-After honoured up to 5s, on
// 429 and 5xx.
func Default() Policy {
	return Policy{Attempts: 3, Backoff: 100 * time.Millisecond, MaxBackoff: 5 * time.Second, MaxRetryAfter: 5 * time.Second}
}

// RetryableStatus is the default choice of statuses worth another attempt:
// 429 (throttled) and 5xx (the server failed). Other 4xx answers would only
// be refused again.
func RetryableStatus(status int) bool {
	return status == 429 || status >= 500
}

// Answer is what an attempt got back. The zero Answer is no answer: a
// timeout, a refused connection, or work that is not a call.
type Answer struct {
	// Status is the HTTP status.
	Status int
	// RetryAfter is the answer's Retry-After header, if any: seconds, or an
	// HTTP date.
	RetryAfter string
}

// Once returns p with a single attempt, for calls that must not be repeated
// (a single-use nonce).
func (p Policy) Once() Policy {
	p.Attempts = 1
	return p
}

// Forever returns p with no bound on attempts, for work that must not be
// given up (an event that later events of its user wait behind); the call
// itself decides when to stop, with Permanent.
func (p Policy) Forever() Policy {
	p.Attempts = -1
	return p
}

// Wait is how long to wait after the failed attempt number attempt
// (counting from 0) before the next one.
func (p Policy) Wait(attempt int) time.Duration {
	bound := p.MaxBackoff
	if attempt < 30 {
		if d := p.Backoff << attempt; d > 0 && d < bound {
			bound = d
		}
	}
	if bound <= 0 {
		return p.Backoff / 10
	}
	return p.Backoff/10 + rand.N(bound)
}

// retryAfter is the answer's Retry-After (seconds or an HTTP date), capped
// at MaxRetryAfter; ok is false when the answer has none.
func (p Policy) retryAfter(a Answer) (d time.Duration, ok bool) {
	v := a.RetryAfter
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		d = time.Duration(s) * time.Second
	} else if t, err := time.Parse(time.RFC1123, v); err == nil {
		d = max(time.Until(t), 0)
	} else {
		return 0, false
	}
	return min(d, p.MaxRetryAfter), true
}

// permanent marks an error not worth another attempt.
type permanent struct{ err error }

func (e permanent) Error() string { return e.err.Error() }
func (e permanent) Unwrap() error { return e.err }

// Permanent marks err as not worth another attempt: Do stops and returns
// err itself. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// Run is Do for work that is not a call with an answer (a Redis round
// trip): any error but a Permanent one is worth another attempt.
func (p Policy) Run(ctx context.Context, try func(attempt int) error) error {
	return p.Do(ctx, func(attempt int) (Answer, error) { return Answer{}, try(attempt) })
}

// Do calls try until it succeeds, fails for good, the attempts are spent or
// ctx ends, and returns try's last error (ctx's error if ctx ended while
// waiting). try gets the attempt number (from 0) and reports the answer it
// got, if any (the zero Answer when none came), and its error:
//   - nil: done;
//   - an error marked Permanent: done, failed;
//   - else, when no answer came or the answer's status is retryable, it is
//     tried again after the answer's Retry-After (up to MaxRetryAfter) or
//     the backoff. Any other answer is final.
func (p Policy) Do(ctx context.Context, try func(attempt int) (Answer, error)) error {
	for attempt := 0; ; attempt++ {
		res, err := try(attempt)
		if err == nil {
			return nil
		}
		var perm permanent
		if errors.As(err, &perm) {
			return perm.err
		}
		wait := p.Wait(attempt)
		if res.Status != 0 {
			retryable := p.Retryable
			if retryable == nil {
				retryable = RetryableStatus
			}
			if !retryable(res.Status) {
				return err
			}
			if d, ok := p.retryAfter(res); ok {
				wait = d
			}
		}
		if p.Attempts >= 0 && attempt+1 >= max(p.Attempts, 1) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}
