package flows

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// normalize folds what a user types so that variants compare equal:
// full-width and half-width forms (NFKC), case, spaces and trailing
// punctuation.
func normalize(s string) string {
	s = norm.NFKC.String(s)
	s = strings.ToLower(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	return strings.TrimRight(s, ".。!！?？、,~〜…")
}

// Phrases are compared after normalize, so list each once in plain form.
var (
	// startContains start the flow wherever they appear in a message.
	startContains = []string{"退会", "解約", "アカウント削除", "アカウントを削除", "アカウントの削除", "deletemyaccount", "deleteaccount", "closemyaccount", "withdraw"}
	// startExact start the flow only as the whole message ("やめたい" inside a
	// longer sentence may mean something else).
	startExact = []string{"やめたい", "辞めたい", "止めたい", "退会したい", "退会"}
	// cancelContains are checked before start phrases, since "退会をやめる"
	// contains "退会".
	cancelContains = []string{"退会をやめ", "退会しない", "退会しません", "退会はやめ", "キャンセル"}
	cancelExact    = []string{"やめる", "やめます", "中止", "中止する", "中止します", "取り消し", "cancel", "stop", "quit"}
	helpExact      = []string{"help", "ヘルプ", "?", "使い方", "メニュー", "menu"}
	unlinkExact    = []string{"連携解除", "連携を解除", "連携を解除する", "連携を解除したい", "unlink"}
)

func matchAny(n string, exact, contains []string) bool {
	for _, p := range exact {
		if n == p {
			return true
		}
	}
	for _, p := range contains {
		if strings.Contains(n, p) {
			return true
		}
	}
	return false
}

func isCancel(n string) bool     { return matchAny(n, cancelExact, cancelContains) }
func isStart(n string) bool      { return matchAny(n, startExact, startContains) }
func isStartExact(n string) bool { return matchAny(n, startExact, nil) }
func isHelp(n string) bool       { return matchAny(n, helpExact, nil) }
func isUnlinkText(n string) bool { return matchAny(n, unlinkExact, nil) }
