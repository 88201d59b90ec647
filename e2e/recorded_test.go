package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

var timestampRe = regexp.MustCompile(`"timestamp":\s*(\d+)`)

// recorded reads a recorded webhook body and moves its events' timestamps
// to now (keeping their spacing), as if LINE had just sent it: the webhook
// skips events older than its replay window, and these were recorded in
// July 2026.
func recorded(t *testing.T, name string, now time.Time) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(repo, "testdata/webhook", name))
	if err != nil {
		t.Fatal(err)
	}
	var latest int64
	for _, m := range timestampRe.FindAllSubmatch(body, -1) {
		if ms, _ := strconv.ParseInt(string(m[1]), 10, 64); ms > latest {
			latest = ms
		}
	}
	shift := now.UnixMilli() - latest
	return timestampRe.ReplaceAllFunc(body, func(m []byte) []byte {
		ms, _ := strconv.ParseInt(string(timestampRe.FindSubmatch(m)[1]), 10, 64)
		return []byte(`"timestamp": ` + strconv.FormatInt(ms+shift, 10))
	})
}
