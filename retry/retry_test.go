package retry

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// fast is a policy whose waits are too short to matter.
var fast = Policy{Attempts: 3, Backoff: time.Microsecond, MaxBackoff: time.Microsecond, MaxRetryAfter: time.Microsecond}

func answer(status int, retryAfter ...string) Answer {
	a := Answer{Status: status}
	if len(retryAfter) > 0 {
		a.RetryAfter = retryAfter[0]
	}
	return a
}

var none Answer

var errFailed = errors.New("failed")

func TestDoTriesAgainOnlyWhatIsWorthIt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy Policy
		res    Answer // every attempt's answer
		err    error  // every attempt's error
		calls  int
	}{
		{"success", fast, answer(200), nil, 1},
		{"no answer", fast, none, errFailed, 3},
		{"5xx", fast, answer(503), errFailed, 3},
		{"429", fast, answer(429), errFailed, 3},
		{"4xx is final", fast, answer(400), errFailed, 1},
		{"409 is final", fast, answer(409), errFailed, 1},
		{"permanent", fast, none, Permanent(errFailed), 1},
		{"once", fast.Once(), answer(503), errFailed, 1},
		{"zero policy tries once", Policy{}, none, errFailed, 1},
		{"own choice of statuses", Policy{Attempts: 2, Retryable: func(s int) bool { return s == 418 }}, answer(418), errFailed, 2},
		{"own choice excludes 5xx", Policy{Attempts: 2, Retryable: func(s int) bool { return s == 418 }}, answer(503), errFailed, 1},
	} {
		calls := 0
		err := tc.policy.Do(context.Background(), func(attempt int) (Answer, error) {
			if attempt != calls {
				t.Errorf("%s: attempt %d on call %d", tc.name, attempt, calls)
			}
			calls++
			return tc.res, tc.err
		})
		if calls != tc.calls {
			t.Errorf("%s: %d calls; want %d", tc.name, calls, tc.calls)
		}
		if (err == nil) != (tc.err == nil) || (err != nil && !errors.Is(err, errFailed)) {
			t.Errorf("%s: Do = %v; want %v", tc.name, err, tc.err)
		}
		var perm permanent
		if errors.As(err, &perm) {
			t.Errorf("%s: Do returned the Permanent mark, not the error inside", tc.name)
		}
	}
}

func TestDoStopsAtTheFirstSuccess(t *testing.T) {
	calls := 0
	err := fast.Do(context.Background(), func(int) (Answer, error) {
		calls++
		if calls < 2 {
			return answer(502), errFailed
		}
		return none, nil
	})
	if err != nil || calls != 2 {
		t.Errorf("Do = %v after %d calls; want success on the second", err, calls)
	}
}

func TestForeverGoesOnUntilPermanent(t *testing.T) {
	calls := 0
	err := fast.Forever().Do(context.Background(), func(attempt int) (Answer, error) {
		calls++
		if attempt == 9 {
			return none, Permanent(errFailed)
		}
		return none, errFailed
	})
	if calls != 10 || !errors.Is(err, errFailed) {
		t.Errorf("Do = %v after %d calls; want errFailed after 10", err, calls)
	}
}

func TestDoEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := Policy{Attempts: -1, Backoff: time.Hour, MaxBackoff: time.Hour}.Do(ctx, func(int) (Answer, error) {
		calls++
		cancel()
		return none, errFailed
	})
	if calls != 1 || !errors.Is(err, context.Canceled) {
		t.Errorf("Do = %v after %d calls; want context.Canceled after 1", err, calls)
	}
}

func TestWaitIsBoundedExponentialBackoff(t *testing.T) {
	p := Policy{Backoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	for attempt, bound := range []time.Duration{100, 200, 400, 800, 1000, 1000, 1000} {
		bound *= time.Millisecond
		lo, hi := p.Backoff/10, p.Backoff/10+bound
		least, most := time.Duration(time.Hour), time.Duration(0)
		for i := 0; i < 2000; i++ {
			d := p.Wait(attempt)
			if d < lo || d >= hi {
				t.Fatalf("Wait(%d) = %v; want in [%v, %v)", attempt, d, lo, hi)
			}
			least, most = min(least, d), max(most, d)
		}
		// Jittered: spread over the range, not one value.
		if most-least < bound/2 {
			t.Errorf("Wait(%d) spans only [%v, %v] of [%v, %v)", attempt, least, most, lo, hi)
		}
	}
	if d := p.Wait(1000); d >= p.Backoff/10+p.MaxBackoff {
		t.Errorf("Wait(1000) = %v; want it capped", d)
	}
}

func TestRetryAfterIsHonouredAndCapped(t *testing.T) {
	p := Policy{MaxRetryAfter: 5 * time.Second}
	for _, tc := range []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"2", 2 * time.Second, true},
		{"0", 0, true},
		{"3600", 5 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{time.Now().Add(-time.Minute).UTC().Format(http.TimeFormat), 0, true},
		{time.Now().Add(time.Hour).UTC().Format(http.TimeFormat), 5 * time.Second, true},
	} {
		got, ok := p.retryAfter(answer(429, tc.header))
		if got != tc.want || ok != tc.ok {
			t.Errorf("Retry-After %q: %v, %v; want %v, %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDoWaitsForRetryAfterInsteadOfTheBackoff(t *testing.T) {
	// A backoff of an hour would hang the test: the answer's Retry-After (0)
	// must be what Do waits.
	p := Policy{Attempts: 2, Backoff: time.Hour, MaxBackoff: time.Hour, MaxRetryAfter: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	calls := 0
	err := p.Do(ctx, func(int) (Answer, error) {
		calls++
		return answer(429, "0"), errFailed
	})
	if calls != 2 || !errors.Is(err, errFailed) {
		t.Errorf("Do = %v after %d calls; want errFailed after 2, with no wait", err, calls)
	}
}

func TestRunTriesAgainAnyErrorButPermanent(t *testing.T) {
	calls := 0
	err := fast.Run(context.Background(), func(int) error {
		calls++
		return errFailed
	})
	if calls != 3 || !errors.Is(err, errFailed) {
		t.Errorf("Run = %v after %d calls; want errFailed after 3", err, calls)
	}
	calls = 0
	err = fast.Run(context.Background(), func(int) error {
		calls++
		return Permanent(errFailed)
	})
	if calls != 1 || !errors.Is(err, errFailed) {
		t.Errorf("Run = %v after %d calls; want errFailed after 1", err, calls)
	}
}
