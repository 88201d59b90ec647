package flows

import (
	"testing"
	"time"
)

func TestParseStaffHours(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	at := func(s string) time.Time {
		x, err := time.ParseInLocation("2006-01-02 15:04", s, tokyo)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	def, err := ParseStaffHours(DefaultStaffHours)
	if err != nil {
		t.Fatal(err)
	}
	// 2026-11-25 is a Wednesday.
	for _, tc := range []struct {
		hours string
		at    string
		open  bool
		next  string // "" = at itself
	}{
		{DefaultStaffHours, "2026-11-25 10:00", true, ""},
		{DefaultStaffHours, "2026-11-25 17:59", true, ""},
		{DefaultStaffHours, "2026-11-25 18:00", false, "2026-11-26 10:00"},
		{DefaultStaffHours, "2026-11-25 09:59", false, "2026-11-25 10:00"},
		{DefaultStaffHours, "2026-11-27 19:30", false, "2026-11-30 10:00"}, // Friday evening → Monday
		{DefaultStaffHours, "2026-11-28 12:00", false, "2026-11-30 10:00"}, // Saturday
		{"Sat-Mon 09:30-24:00 Asia/Tokyo", "2026-11-29 23:59", true, ""},
		{"Sat-Mon 09:30-24:00 Asia/Tokyo", "2026-11-25 12:00", false, "2026-11-28 09:30"},
		{"mon,wed-thu 10:00-12:00", "2026-11-24 11:00", false, "2026-11-25 10:00"}, // Tuesday; zone defaults to Tokyo
		{"Sun 00:00-24:00 UTC", "2026-11-29 08:59", false, "2026-11-29 09:00"},     // Saturday 23:59 UTC
		{"Sun 00:00-24:00 UTC", "2026-11-30 08:59", true, ""},                      // Sunday 23:59 UTC
	} {
		h, err := ParseStaffHours(tc.hours)
		if err != nil {
			t.Fatalf("%q: %v", tc.hours, err)
		}
		now := at(tc.at)
		if got := h.Open(now); got != tc.open {
			t.Errorf("%q at %s: open %v; want %v", tc.hours, tc.at, got, tc.open)
		}
		want := now
		if tc.next != "" {
			want = at(tc.next)
		}
		if got := h.NextOpening(now); !got.Equal(want) {
			t.Errorf("%q at %s: next opening %s; want %s", tc.hours, tc.at, got.In(tokyo), want)
		}
	}
	if def.String() != DefaultStaffHours || def.Always() {
		t.Errorf("default hours read as %q", def)
	}
	always, err := ParseStaffHours("always")
	if err != nil || !always.Always() || !always.Open(at("2026-11-28 03:00")) {
		t.Errorf("always: %v %v", always, err)
	}
	var zero StaffHours
	if !zero.Open(time.Now()) || zero.String() != "always" {
		t.Errorf("the zero value must mean always")
	}
	for _, bad := range []string{"", "Mon-Fri", "Mon-Fri 10-18", "Mon-Fri 18:00-10:00", "Mon-Fry 10:00-18:00", "Mon-Fri 10:00-25:00", "Mon-Fri 10:00-18:00 Mars/Base", "Mon-Fri 10:00-18:00 Asia/Tokyo extra", "Mon-Fri 10:0-18:00"} {
		if _, err := ParseStaffHours(bad); err == nil {
			t.Errorf("ParseStaffHours(%q) accepted", bad)
		}
	}
}
