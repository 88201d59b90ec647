package taikai_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/taikaibot/taikai"
)

// FuzzValidUserID holds ValidUserID to the pattern it stands for.
func FuzzValidUserID(f *testing.F) {
	re := regexp.MustCompile(`^U[0-9a-f]{32}$`)
	for _, s := range []string{"", "U", "Ue8dafe9e1ea8071f3031bf970cc75bcf", "UE8DAFE9E1EA8071F3031BF970CC75BCF", "ue8dafe9e1ea8071f3031bf970cc75bcf",
		"Ue8dafe9e1ea8071f3031bf970cc75bcf\n", "Ue8dafe9e1ea8071f3031bf970cc75bc", "Ue8dafe9e1ea8071f3031bf970cc75bcfa", "U" + strings.Repeat("g", 32),
		"Ue8dafe9e1ea8071f3031bf970cc75bc}", "C" + strings.Repeat("0", 32), "U" + strings.Repeat("0", 31) + "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := taikai.ValidUserID(s), re.MatchString(s); got != want {
			t.Errorf("ValidUserID(%q) = %v; the pattern says %v", s, got, want)
		}
	})
}
