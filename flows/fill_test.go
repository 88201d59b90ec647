package flows

import (
	"fmt"
	"math"
	"testing"
)

// TestFillIsSprintf holds fill to fmt.Sprintf, for the formats it fills and
// those it hands on.
func TestFillIsSprintf(t *testing.T) {
	for _, tc := range []struct {
		format string
		args   []string
	}{
		{"", nil}, {"plain", nil}, {"%s", []string{"a"}}, {"「%s」（注文番号 %s／出品者：%s）", []string{"名前", "o-1", "\xff相手"}},
		{"%s%s", []string{"", ""}}, {"■ %s\n%s\n→ %s", []string{"a", "b", "c"}},
		{"%s", nil}, {"%s", []string{"a", "b"}}, {"100%", nil}, {"%d件", []string{"3"}}, {"%%s %s", []string{"x"}}, {"%q", []string{"x"}},
	} {
		as := make([]any, len(tc.args))
		for i, a := range tc.args {
			as[i] = a
		}
		if got, want := fill(tc.format, tc.args...), fmt.Sprintf(tc.format, as...); got != want {
			t.Errorf("fill(%q, %q) = %q; Sprintf gives %q", tc.format, tc.args, got, want)
		}
	}
	ja := catalogs[LangJa]
	for n, want := range map[int64]string{0: "0円", 15400: "15,400円", -1234567: "-1,234,567円", 999: "999円", math.MinInt64: "-9,223,372,036,854,775,808円"} {
		if got := ja.yen(n); got != want {
			t.Errorf("yen(%d) = %q; want %q", n, got, want)
		}
	}
}
