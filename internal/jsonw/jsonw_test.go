package jsonw

import (
	"encoding/json"
	"testing"
)

func FuzzAppendStringIsMarshal(f *testing.F) {
	for _, s := range []string{"", "plain", `q"uote\`, "<&>", "退会", "\x00\x1f", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("AppendString(%q) = %s; want %s", s, got[1:], want)
		}
	})
}
