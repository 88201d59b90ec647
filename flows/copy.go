package flows

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/taikaibot/taikai"
)

// catalog is every piece of user-facing copy for one language. A second
// language is a second value of this type, chosen per user; the compiler
// then checks that no line is missing.
type catalog struct {
	greeting, idleHelp, offScript, sticker, media, inProgress, staleButton, ended,
	expired, nothingToCancel, cancelled, group, unlinked, notLinked string

	linkPrompt, linkButton, linkRetry, linked, linkNotFound, linkUnavailable, accountGone string

	checkPending, checkUnavailable, blockedHead, blockedFoot, blockedAtFiling, moreItems string
	purchase, purchaseDelivered, delivery, payout, balance                               string

	warning, noRating, reasonPrompt, reasonTextPrompt, reasonTruncated string
	helpResetRating, helpHardToEarn, helpHardToEarnURL                 string

	confirm, fileUnavailable, filed string

	staffAsked, staffUnavailable, paused, resumed string

	labels  map[action]string
	reasons map[taikai.Reason]string
	aliases map[action][]string
}

var ja = catalog{
	greeting:        "友だち追加ありがとうございます。\nこちらはマーケットプレイスの退会サポートです。退会を妨げている取引や売上金を確認し、解決の方法をご案内します。\n退会をご希望の場合は「退会したい」と送るか、下のボタンを押してください。",
	idleHelp:        "こちらでは退会のお手続きをお手伝いしています。\n「退会したい」と送るか、下のボタンを押してください。",
	offScript:       "すみません、そのメッセージにはお答えできません。下のボタンから選ぶか、ボタンの文言をそのまま送ってください。",
	sticker:         "スタンプありがとうございます。",
	media:           "画像やファイルなどは受け付けていません。",
	inProgress:      "退会のお手続きの途中です。続きはこちらです。",
	staleButton:     "そのボタンは以前のご案内のものです。現在のお手続きをご案内します。",
	ended:           "そのボタンのお手続きはすでに終了しています。",
	expired:         "前回の操作から時間が経ったため、お手続きはいったん終了しました。必要でしたら、もう一度最初からどうぞ。",
	nothingToCancel: "現在、進行中のお手続きはありません。",
	cancelled:       "退会のお手続きを中止しました。アカウントはこれまでどおりご利用いただけます。",
	group:           "このアカウントは1対1のトークでのみご利用いただけます。お手数ですが、個別のトークでお話しください。",
	unlinked:        "アカウントの連携を解除しました。",
	notLinked:       "連携しているアカウントはありません。",

	linkPrompt:      "退会のお手続きには、マーケットプレイスのアカウントとの連携が必要です。下のボタンからログインしてください（リンクの有効期限は10分です）。連携はいつでも解除できます。",
	linkButton:      "ログインして連携する",
	linkRetry:       "アカウント連携はまだ完了していません。連携に失敗した場合は、このLINEをお使いのご本人のアカウントでログインして、もう一度お試しください。",
	linked:          "アカウントの連携が完了しました。",
	linkNotFound:    "アカウント連携を確認できませんでした。リンクの有効期限（10分）が切れたか、すでに使われた可能性があります。",
	linkUnavailable: "ただいま連携用のリンクを発行できません。少し時間をおいて「連携をやり直す」を押してください。",
	accountGone:     "連携しているアカウントが見つかりませんでした。お手数ですが、もう一度アカウントを連携してください。",

	checkPending:      "退会の条件をまだ確認できていません。「もう一度確認する」を押してください。",
	checkUnavailable:  "ただいまマーケットプレイスに接続できず、退会の条件を確認できませんでした。少し時間をおいて「もう一度確認する」を押してください。",
	blockedHead:       "%sさんが退会するには、先に次の%d件の対応が必要です。",
	blockedFoot:       "対応が済んだら「もう一度確認する」を押してください。お手続きをやめることもできます。",
	blockedAtFiling:   "申請の直前に、対応が必要な項目が見つかりました。退会はまだ完了していません。",
	moreItems:         "ほか%d件",
	purchase:          "■ 購入した取引が完了していません\n「%s」（注文番号 %s／出品者：%s）\n→ 出品者に連絡して、取引を完了してください。",
	purchaseDelivered: "■ 購入した取引が完了していません\n「%s」（注文番号 %s／出品者：%s）\n→ 納品された内容を確認し、問題なければ承認して取引を完了してください。",
	delivery:          "■ 正式な納品が済んでいない販売があります\n「%s」（注文番号 %s／購入者：%s）\n→ トークルームから正式な納品を行ってください。",
	payout:            "■ 振込依頼中の売上金があります\n%s（申請日 %s、振込予定日 %s）\n→ 振込が完了するまでお待ちください。",
	balance:           "■ 売上金の残高が%sあります\n→ 振込申請をして、残高を0円にしてください。",

	warning:           "退会の前に、必ずご確認ください。\n\n・%sさんの評価（%s）と取引実績（完了%d件）は、退会するとすべて削除されます。\n・再登録しても、評価や実績は引き継がれません。\n・再登録はできますが、アカウントを同時に2つ以上持つことはできません。\n\n退会後は元に戻せません。",
	noRating:          "まだありません",
	reasonPrompt:      "差し支えなければ、退会の理由を教えてください（任意です）。ボタンを選ぶほか、理由を直接入力することもできます。",
	reasonTextPrompt:  "退会の理由をご自由に入力してください（500文字まで）。",
	reasonTruncated:   "理由は先頭の500文字までを受け付けました。",
	helpResetRating:   "現在の評価は★%s（%d件）と高い評価です。再登録すると評価はゼロからになり、今の評価は引き継がれません。評価をリセットする目的でしたら、退会しないほうがよいかもしれません。\nもちろん、このままお手続きを続けることもできます。",
	helpHardToEarn:    "サービスのタイトルや価格、サンプル画像を見直すと、売れやすくなることがあります。\nもちろん、このままお手続きを続けることもできます。",
	helpHardToEarnURL: "サービスのタイトルや価格、サンプル画像を見直すと、売れやすくなることがあります。販売のコツはこちらにまとめています。\n%s\nもちろん、このままお手続きを続けることもできます。",

	confirm:         "次の内容で退会を申請します。\n\nアカウント：%s\n理由：%s\n\n申請後は取り消せません。退会しますか？",
	fileUnavailable: "ただいま退会の申請を送信できませんでした。退会はまだ完了していません。少し時間をおいて、もう一度「退会する」を押してください。",
	filed:           "退会を受け付けました。\n受付番号：%s\n\nこれまでご利用いただき、ありがとうございました。LINEとのアカウント連携も解除しました。",

	staffAsked:       "担当者にお繋ぎします。このトークのまま、担当者からの返信をお待ちください。その間もボタンでお手続きを続けられます。",
	staffUnavailable: "ただいま担当者にお繋ぎできませんでした。少し時間をおいて、もう一度お試しください。",
	paused:           "ここからは担当者がこのトークでお答えします。返信まで少しお待ちください。",
	resumed:          "担当者との対応を終了しました。お手続きの続きはこちらです。",

	labels: map[action]string{
		actStart:        "退会の手続きを始める",
		actRelink:       "連携をやり直す",
		actCheck:        "もう一度確認する",
		actCancel:       "やめる",
		actContinue:     "理解して次へ進む",
		actSkipText:     "入力せずに進む",
		actHelpContinue: "退会手続きを続ける",
		actConfirm:      "退会する",
		actUnlink:       "連携を解除する",
		actStaff:        "担当者に相談する",
	},
	reasons: map[taikai.Reason]string{
		taikai.ReasonNotUsing:    "使わなくなった",
		taikai.ReasonHardToEarn:  "稼ぐのが難しい",
		taikai.ReasonResetRating: "評価をリセットしたい",
		taikai.ReasonOther:       "その他",
		taikai.ReasonNone:        "答えない",
	},
	aliases: map[action][]string{
		actCheck:        {"確認", "再確認", "もう一度", "確認する"},
		actContinue:     {"次へ", "進む", "はい", "理解しました", "ok"},
		actHelpContinue: {"続ける", "はい", "手続きを続ける"},
		actConfirm:      {"退会します", "はい", "はい、退会します"},
		actCancel:       {"いいえ", "退会をやめる"},
		actRelink:       {"再発行", "連携", "連携する"},
		actStart:        {"始める", "はじめる"},
		actStaff:        {"担当者", "担当者と話したい", "人と話したい", "オペレーター", "問い合わせ", "お問い合わせ"},
		actSkipText:     {"スキップ", "なし", "特になし"},
	},
}

// yen formats an amount: 12000 → "12,000円".
func yen(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String() + "円"
	}
	return b.String() + "円"
}

// date formats a YYYY-MM-DD date as "2026年11月27日"; anything else is shown as given.
func date(s string) string {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return s
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
}

// clip shortens s to at most n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func (c *catalog) rating(r taikai.Rating) string {
	if r.Count == 0 {
		return c.noRating
	}
	return fmt.Sprintf("★%.1f・%d件", r.Average, r.Count)
}

func (c *catalog) reasonLabel(r taikai.Reason, text string) string {
	if r == taikai.ReasonNone || r == "" {
		return "回答なし"
	}
	l := c.reasons[r]
	if text != "" {
		l += "（" + clip(text, 100) + "）"
	}
	return l
}

// maxItems bounds the blockers listed in one message, so the message stays
// well inside LINE's 5,000-character limit.
const maxItems = 10

// blockers explains every blocker of st, one paragraph each.
func (c *catalog) blockers(st *taikai.Status) (n int, text string) {
	var items []string
	order := func(format string, o taikai.Order) string {
		s := fmt.Sprintf(format, clip(o.Title, 40), o.OrderID, clip(o.Counterparty, 30))
		if o.URL != "" {
			s += "\n" + o.URL
		}
		return s
	}
	for _, o := range st.PurchasesInProgress {
		if o.Status == taikai.OrderDelivered {
			items = append(items, order(c.purchaseDelivered, o))
			continue
		}
		items = append(items, order(c.purchase, o))
	}
	for _, o := range st.SalesAwaitingDelivery {
		items = append(items, order(c.delivery, o))
	}
	for _, p := range st.PayoutsInProgress {
		items = append(items, fmt.Sprintf(c.payout, yen(p.AmountJPY), date(p.RequestedAt), date(p.ExpectedAt)))
	}
	if st.SalesBalanceJPY != 0 {
		items = append(items, fmt.Sprintf(c.balance, yen(st.SalesBalanceJPY)))
	}
	n = len(items)
	if n > maxItems {
		items = append(items[:maxItems], fmt.Sprintf(c.moreItems, n-maxItems))
	}
	return n, strings.Join(items, "\n\n")
}
