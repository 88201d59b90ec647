package demo

// words are the demo's own words around the chat (prompts, notes), in the
// demo user's language; what the bot says comes from the bot.
type words struct {
	you, number, link, button, later, noOld, noButton, waitExample, nonceExample,
	impostor, webhookStatus, ruleBroken, opening, noLoginPage, loginPage, account, cancelled,
	pickNumber, linkPageStatus, intro, console, commands, late string
}

var wordsJa = words{
	you:            "あなた> ",
	number:         "番号> ",
	link:           "（リンク）",
	button:         "  （ボタン: %s）\n",
	later:          "  （%s 経過）\n",
	noOld:          "  （古いボタンはありません）",
	noButton:       "  （そのボタンはありません）",
	waitExample:    "  （例: /wait 25h、/wait 5d）",
	late:           "  （サンドボックス: 振込申請中の売上金は、振込予定日を過ぎても振込中のままになります）",
	nonceExample:   "  （例: /linknonce used-nonce-0000）",
	impostor:       "  （次の連携は別のLINEユーザーが開いたことにします）",
	webhookStatus:  "  （webhook: HTTP %d）\n",
	ruleBroken:     "  ！LINEのルール違反: %s\n",
	opening:        "  （リンクを開きます: %s ブラウザで開くこともできます）\n",
	noLoginPage:    "  （ログイン画面を開けませんでした）",
	loginPage:      "  ログイン画面（サンドボックス）: LINEと連携するアカウントを選んでください。",
	account:        "     [%d] %s（%s）\n",
	cancelled:      "  （ログインをやめました）",
	pickNumber:     "  （番号で選んでください。やめるときは /cancel）",
	linkPageStatus: "  （連携画面: HTTP %d）%s\n",
	intro:          "taikai demo — LINEのトークを再現しています（bot %s）。\n",
	console:        "スタッフ用コンソール: %s/console/ （トークン %s）  メトリクス: %s/metrics\n%s\n\n",
	commands: `コマンド:
  番号        ボタンを押す
  /sticker    スタンプを送る
  /image      画像を送る
  /old N      ひとつ前のメッセージのボタン N を押す（古いボタン）
  /double N   ボタン N を素早く2回押す
  /redeliver  直前のイベントをLINEが再送したことにする
  /wait 25h   時間を進める（/wait 5d で5日。お知らせの時間が来ていれば、ボットが送ります）
  /late       振込申請中の売上金を、振込予定日を過ぎても振込中のままにする
  /impostor   次の連携を別のLINEユーザーが開いたことにする（連携は失敗します）
  /linkfailed 連携に失敗したイベント（ユーザーが分かるもの）をLINEが送ったことにする
  /linknonce X  nonce X の連携イベントをLINEが送ったことにする（使用済み・不明な nonce など）
  /block      ブロックする    /unblock  ブロックを解除する
  /help       このヘルプ      /quit     終了する`,
}

var wordsEn = words{
	you:            "you> ",
	number:         "number> ",
	link:           " (link)",
	button:         "  (button: %s)\n",
	later:          "  (%s later)\n",
	noOld:          "  (no older buttons)",
	noButton:       "  (no such button)",
	waitExample:    "  (e.g. /wait 25h, /wait 5d)",
	late:           "  (sandbox: payouts being paid stay unpaid past their expected date)",
	nonceExample:   "  (e.g. /linknonce used-nonce-0000)",
	impostor:       "  (the next link will be opened by another LINE user)",
	webhookStatus:  "  (webhook: HTTP %d)\n",
	ruleBroken:     "  ! LINE rule broken: %s\n",
	opening:        "  (opening the link: %s — you can open it in a browser too)\n",
	noLoginPage:    "  (the login page could not be opened)",
	loginPage:      "  Login page (sandbox): choose the account to link to LINE.",
	account:        "     [%d] %s (%s)\n",
	cancelled:      "  (login cancelled)",
	pickNumber:     "  (choose by number; /cancel to stop)",
	linkPageStatus: "  (link page: HTTP %d) %s\n",
	intro:          "taikai demo — a LINE chat, reproduced (bot %s).\n",
	console:        "Staff console: %s/console/ (token %s)  Metrics: %s/metrics\n%s\n\n",
	commands: `Commands:
  N           press button N
  /sticker    send a sticker
  /image      send an image
  /old N      press button N of the previous message (an old button)
  /double N   press button N twice, quickly
  /redeliver  have LINE redeliver the last event
  /wait 25h   move the clock forward (/wait 5d: five days; a reminder that came due is sent)
  /late       have payouts being paid stay unpaid past their expected date
  /impostor   have another LINE user open the next link (the link fails)
  /linkfailed have LINE send a failed account-link event naming the user
  /linknonce X  have LINE send an account-link event with nonce X (used, unknown…)
  /block      block the bot   /unblock  unblock it
  /help       this help       /quit     quit`,
}

// wordsFor returns the demo's words for a LINE profile language.
func wordsFor(lang string) *words {
	if lang == "" || lang == "ja" {
		return &wordsJa
	}
	return &wordsEn
}
