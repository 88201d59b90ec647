package flows

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// StaffHours are when staff answer in the chat: some days of the week, one
// time range each day, in one time zone. Public holidays are not known.
// The zero value means "always" (no hours are mentioned to users).
type StaffHours struct {
	days        [7]bool // by time.Weekday
	open, close time.Duration
	loc         *time.Location
	spec        string
}

// DefaultStaffHours is what STAFF_HOURS defaults to.
const DefaultStaffHours = "Mon-Fri 10:00-18:00 Asia/Tokyo"

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseStaffHours reads hours written as "DAYS HH:MM-HH:MM [ZONE]":
// DAYS is a day (Mon) or a range of days (Mon-Fri, Sat-Sun), or several
// joined by commas (Mon-Wed,Fri); the closing time may be 24:00 and must
// come after the opening; ZONE is an IANA time zone, Asia/Tokyo if left
// out. "always" is every day, all day.
func ParseStaffHours(s string) (StaffHours, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "always") {
		return StaffHours{}, nil
	}
	f := strings.Fields(s)
	if len(f) < 2 || len(f) > 3 {
		return StaffHours{}, fmt.Errorf("staff hours %q: want DAYS HH:MM-HH:MM [ZONE], e.g. %q", s, DefaultStaffHours)
	}
	h := StaffHours{spec: s}
	for _, part := range strings.Split(f[0], ",") {
		from, to, isRange := strings.Cut(strings.ToLower(part), "-")
		a, ok1 := weekdays[from]
		b, ok2 := a, true
		if isRange {
			b, ok2 = weekdays[to]
		}
		if !ok1 || !ok2 {
			return StaffHours{}, fmt.Errorf("staff hours %q: %q is not a day or a range of days (Mon, Mon-Fri)", s, part)
		}
		for d := a; ; d = (d + 1) % 7 {
			h.days[d] = true
			if d == b {
				break
			}
		}
	}
	from, to, ok := strings.Cut(f[1], "-")
	var err1, err2 error
	h.open, err1 = clock(from)
	h.close, err2 = clock(to)
	if !ok || err1 != nil || err2 != nil || h.close <= h.open {
		return StaffHours{}, fmt.Errorf("staff hours %q: %q is not a time range like 10:00-18:00", s, f[1])
	}
	zone := "Asia/Tokyo"
	if len(f) == 3 {
		zone = f[2]
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return StaffHours{}, fmt.Errorf("staff hours %q: unknown time zone %q", s, zone)
	}
	h.loc = loc
	return h, nil
}

// clock parses "HH:MM" (00:00 to 24:00) as a time of day.
func clock(s string) (time.Duration, error) {
	hh, mm, ok := strings.Cut(s, ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || len(mm) != 2 || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m > 0) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// Always reports whether the hours are "always" (the zero value).
func (h StaffHours) Always() bool { return h.loc == nil }

// String returns the hours as they were written ("always" for the zero value).
func (h StaffHours) String() string {
	if h.Always() {
		return "always"
	}
	return h.spec
}

// Open reports whether staff answer at t.
func (h StaffHours) Open(t time.Time) bool {
	if h.Always() {
		return true
	}
	t = t.In(h.loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, h.loc)
	since := t.Sub(day)
	return h.days[t.Weekday()] && since >= h.open && since < h.close
}

// NextOpening returns when staff next start answering after t, or t itself
// when they answer at t. It is the zero time for the zero value.
func (h StaffHours) NextOpening(t time.Time) time.Time {
	if h.Always() || h.Open(t) {
		return t
	}
	local := t.In(h.loc)
	for i := 0; i <= 7; i++ {
		d := time.Date(local.Year(), local.Month(), local.Day()+i, 0, 0, 0, 0, h.loc)
		// Add the opening as a wall-clock time, so a DST change that day is honoured.
		o := time.Date(d.Year(), d.Month(), d.Day(), int(h.open/time.Hour), int(h.open%time.Hour/time.Minute), 0, 0, h.loc)
		if h.days[d.Weekday()] && o.After(t) {
			return o
		}
	}
	return time.Time{} // not reached: some day is always open
}
