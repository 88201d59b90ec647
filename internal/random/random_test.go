package random

import "testing"

func TestHex(t *testing.T) {
	a, b := Hex(8), Hex(8)
	if len(a) != 16 || a == b {
		t.Errorf("Hex(8) = %q, %q; want 16 hex digits, different each time", a, b)
	}
}
