package flows

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFlowsIsPure fails the build if the conversation reaches for I/O: it
// must not import HTTP, Redis or the LINE SDK, directly or indirectly.
func TestFlowsIsPure(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{"net/http", "github.com/redis/", "github.com/line/", "github.com/taikaibot/taikai/bot", "github.com/taikaibot/taikai/store", "github.com/taikaibot/taikai/marketplace"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f) {
				t.Errorf("flows depends on %s", dep)
			}
		}
	}
}
