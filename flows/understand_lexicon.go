package flows

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// concept is what a lexicon entry stands for.
type concept uint8

const (
	cNone concept = iota

	// Verbs whose ending (or, in English, whose preceding words) is read
	// for a mood.
	cWithdraw // withdraw / delete the account
	cYame     // やめる, 辞める, quit: "stop this" or "quit the service"
	cStop     // stop this procedure: 中止, キャンセル, 取りやめ
	cErase    // 消す: withdrawing when the account is its object

	// Signals.
	cRefuse     // not now, never mind, I'll keep it: いいや, まだ大丈夫, 考えます
	cChangeMind // やっぱり, actually
	cHedge      // うーん, たぶん, maybe
	cWh         // a question word: どう, なぜ, いつ, what, how
	cAsk        // a request for information: 教えて, 知りたい, tell me
	cFiller     // words that look like others but aren't: いつも, 何も, どうも
	cObjProc    // the procedure as an object: 手続き, 申請
	cObjService // the service or account as an object: サービス, サイト, アカウント
	cKeepUsing  // keep using, keep trying: 使い続け, もう少し頑張
	cProceed    // go on, used in statements: 進めて, 続けて
	cWait       // wait: 待って
	cMoney      // money, for "withdraw my earnings"
	cReasonWord // 理由, reason
	cChange     // change, redo: 変え, 変更, 直
	cRecheck    // check again: もう一度確認, check again
	cDoneReport // dealt with it: 対応しました, 承認しました, I delivered it
	cLater      // not now: 来月, 明日また来ます, 夫に相談してから, not yet
	cShowList   // what is left, the list again: あと何が残って, 一覧, what's left
	cBack       // back to the bot: ボットに戻りたい, go back
	cOffTopic   // a subject no topic answers: クーポン, ポイント, 通知, お気に入り

	// Intents named by words.
	cStaff     // a person
	cStaffWeak // a person, if asked for: 問い合わせ, 電話, support
	cUnlink    // remove the account link
	cHelp      // how does this work, what do I do
	cGreeting  // hello, goodbye
	cThanks    // thank you
	cLangEn    // English
	cLangJa    // Japanese

	// FAQ topics, in order of precedence when several are named.
	cTopicMultiple
	cTopicReregister
	cTopicUndo
	cTopicPayout
	cTopicBalance
	cTopicPurchase
	cTopicDelivery
	cTopicLink
	cTopicStatus
	cTopicRatings
	cTopicRatingsWeak // どうなる, 消える: ratings only if nothing else is named
	cTopicStatusWeak  // どうなりました: the status, if nothing else is named
	cNewAccount       // a new account: a second one, or registering again

	// Reasons.
	cNotUsing
	cHardToEarn
	cFees // fees: hard to earn, unless they are moving to a cheaper service
	cResetRating
	cNoReason
	cReasonOther  // a subject that makes a reason: 引っ越し, 転職
	cSwitch       // moving to another service: 他のサービス, 乗り換え
	cReasonMarker // because: ので, から, ため
	cJudgement    // a complaint: 厳しすぎる, 遅い, keeps crashing

	nConcepts
)

// lexiconSource lists the words of each concept in their natural spelling;
// they are folded like messages, so キャンセル also matches ｷｬﾝｾﾙ and
// きゃんせる. English words match whole words only.
var lexiconSource = []struct {
	c     concept
	class verbClass
	words []string
}{
	{cWithdraw, suru, []string{"退界", "退怪"}}, // たいかい, mistyped
	{cWithdraw, suru, []string{"退会", "解約", "脱会", "登録解除", "登録を解除", "登録の解除", "会員解除",
		"アカウント削除", "アカウントを削除", "アカウントの削除", "アカウント消去", "アカウントを消去", "アカウント抹消", "アカウントを抹消",
		"垢消し", "アカ消し", "垢削除", "アカウント停止", "削除"}},
	{cWithdraw, godanS, []string{"アカウントけ", "アカウントをけ", "アカウントを消", "アカウント消", "アカウントも消", "垢を消", "垢消"}},
	{cWithdraw, english, []string{"delete my account", "delete the account", "delete account", "delete this account", "delete my profile",
		"delete it", "delete", "close it", "close", "close my account", "close the account", "close account", "cancel my account", "cancel my membership", "cancel membership",
		"cancel the account", "deactivate", "terminate my account", "remove my account", "withdraw", "withdrawal", "unsubscribe",
		"leave the site", "leave the service", "leave the platform", "leave this service", "leave this platform",
		"quit the service", "quit the site", "quit the platform", "account deletion", "delete my data", "account closed", "account deleted"}},
	{cYame, ichidan, []string{"やめ", "辞め", "止め", "已め"}},
	{cErase, godanS, []string{"消"}},
	{cYame, english, []string{"quit"}},
	{cStop, suru, []string{"中止", "キャンセル", "取りやめ", "取り止め", "中断", "ストップ", "辞退"}},
	{cStop, english, []string{"cancel", "stop", "abort"}},

	{cRefuse, noVerb, []string{"進めないで", "進めなくて", "進めなくてい", "先に進みたくな", "残す", "残しておく", "残しとく", "進みたくな", "進みたくありませ", "続けたくな", "think about it", "think it over"}},
	{cRefuse, noVerb, []string{"いいや", "やっぱなし", "やっぱりなし", "やっぱ無し", "やっぱり無し", "やっぱいい", "やっぱりいい", "もういい", "まだいい", "今はいい", "いまはいい", "今回はいい", "やっぱ大丈夫",
		"まだ大丈夫", "今は大丈夫", "今回は大丈夫", "また今度", "今度にし", "時にします", "ときにします", "時にしま", "また後で", "またあとで", "あとにし", "後にし", "後日にし", "今度で", "今じゃな",
		"考えます", "考えさせて", "考えてから", "考えさせ", "考え直", "考えてみ", "考えたい", "考えよう", "考えとき", "検討します", "検討したい", "保留", "見送",
		"残します", "残したい", "残しておき", "残しとき", "残すことに", "残そう", "残る事に", "残ることに", "気が変わ", "思いとどま", "思い留ま",
		"進まな", "進みませ", "続けませ", "続けな", "結構です", "けっこうです", "いらないです", "ならいいです", "ならいいや", "ならもういい", "なら結構",
		"never mind", "nevermind", "forget it", "changed my mind", "change my mind", "not now", "maybe later", "no thanks", "no thank you",
		"keep my account", "keep the account", "keep it", "ill keep", "i will stay", "ill stay", "stay", "ill pass", "pass", "im good", "not anymore", "not today"}},
	// Not now: at the decision steps, stopping for today (nothing is
	// filed; they may come back).
	{cLater, noVerb, []string{"来月", "来週", "明日", "あした", "明後日", "後日", "また来ます", "また来る", "また来よう", "出直", "時間をください", "時間ください", "時間くれ",
		"時間をもらえ", "時間がほしい", "時間が欲しい", "少し時間を", "相談してから", "してからにし", "てからにし", "てから決め", "てからにす", "てからにさせ", "落ち着いてから",
		"not yet", "later", "decide later", "next month", "next week", "tomorrow", "talk to my", "ask my", "check with my", "discuss it with",
		"need some time", "need time", "give me some time", "some other time", "another time", "another day"}},
	{cKeepUsing, noVerb, []string{"使い続け", "利用し続け", "続けてみ", "頑張ってみ", "がんばってみ", "頑張ります", "がんばります", "もう少し頑張", "もう少し続け", "もうちょっと続け", "続けようと",
		"もうちょっと頑張", "まだ使", "これからも使", "もう少し使", "keep trying", "keep using", "give it another", "try a bit", "try again"}},
	{cChangeMind, noVerb, []string{"やっぱ", "やっぱり", "やはり", "やっぱし", "気が変わ", "actually", "on second thought", "second thoughts"}},
	{cHedge, noVerb, []string{"うーん", "うーむ", "えっと", "えと", "まあ", "たぶん", "多分", "かも", "一応", "とりあえず", "迷", "悩",
		"どうしよう", "微妙", "気がする", "と思う", "と思います", "おそらく", "かもしれ", "ような", "みたいな",
		"maybe", "probably", "perhaps", "i guess", "i think", "not sure", "hmm", "um", "uh", "kinda", "sort of", "well", "i suppose"}},
	// どうなる asks as much as どう does (評価どうなるの).
	{cWh, noVerb, []string{"どうなる", "どうなり", "どうなっちゃ"}},
	// A past "what became of it" asks for the status, if nothing else is named.
	{cWh, noVerb, []string{"どうなりました", "どうなった"}},
	{cTopicStatusWeak, noVerb, []string{"どうなりました", "どうなった"}},
	// A new account: a second one before withdrawing, a re-registration after.
	{cNewAccount, noVerb, []string{"新しいアカウント", "新しくアカウント", "新規アカウント", "アカウントを新しく", "アカウントを新規", "新しいアカウントで", "new account"}},
	// Asking to check again, or saying the blockers were dealt with (at
	// blocked and checking, a yes to "check again").
	{cRecheck, noVerb, []string{"もう一度確認", "もう一回確認", "再確認", "再度確認", "確認お願い", "確認をお願い", "確認してください", "確認して",
		"確認し直", "チェックして", "もう一度見て", "もう一回見て", "再チェック", "check again", "recheck", "check it again", "please check", "look again"}},
	{cDoneReport, noVerb, []string{"終わりました", "終わらせました", "済みました", "済ませました", "対応しました", "対応済み", "完了しました", "解決しました",
		"承認しました", "承認済み", "承認しておきました", "承認しときました", "納品しました", "納品済", "納品しておきました", "申請しました", "申請済み", "申請しておきました",
		"取引を完了しました", "取引完了しました", "振込申請しました", "振込申請済み", "振込申請しておきました", "振り込み申請しました", "出金申請しました", "完了させました", "受け取りました", "しておきました", "しときました", "出金しました",
		"all done", "done", "finished", "fixed", "cleared", "resolved", "sorted it", "i delivered", "delivered it", "i requested", "requested a payout",
		"requested the payout", "i did everything", "did everything", "i did it", "did it", "i approved", "approved it", "i completed", "completed it",
		"ive done", "i have done", "i accepted", "accepted it", "i withdrew", "i paid", "ive approved", "i have approved", "ive delivered", "i have delivered",
		"ive requested", "i have requested", "ive completed", "i have completed", "ive accepted", "done it"}},
	// Asking what is left, or for the list again (at blocked: where things stand).
	{cShowList, noVerb, []string{"何が残", "なにが残", "あと何", "あとなに", "残りは", "リスト", "一覧", "whats left", "what is left", "what else is left", "is still left", "left to do", "what remains", "the list", "list again"}},
	{cBack, noVerb, []string{"ボットに戻", "ボットにもど", "ボットへ戻", "botに戻", "自動応答に戻", "戻る", "戻ります", "戻りたい", "もどる", "もどりたい", "もどります",
		"back to bot", "back to the bot", "go back", "back to the chatbot", "talk to the bot"}},
	{cOffTopic, noVerb, []string{"クーポン", "ポイント", "お気に入り", "フォロー", "フォロワー", "通知", "知られ", "メルマガ", "メール配信", "領収書", "請求書",
		"税金", "確定申告", "本人確認", "身分証", "ブロック", "coupon", "points", "favorites", "favourites", "follower", "followers", "notified", "notify", "notification",
		"newsletter", "invoice", "tax"}},
	{cWh, noVerb, []string{"どうすれば", "どうしたら", "どう", "なぜ", "なんで", "何で", "何故", "いつ", "どこ", "どれ", "どの", "どんな", "何を", "なにを", "何が", "なにが",
		"何の", "何ですか", "なんですか", "何日", "何時", "何円", "いくら", "何って", "なにって", "何ができ", "なにができ", "何すれば", "何したら",
		"what", "why", "when", "where", "how", "which", "who"}},
	// Words that contain others and mean something else: a phone number is
	// no phone call, a change of mind "if" is none, a role is no topic.
	{cFiller, noVerb, []string{"電話番号", "気が変わったら", "気が変わっても", "気が変わった時", "気が変わったとき", "出品者として", "購入者として", "どころ"}},
	{cFiller, noVerb, []string{"いつも", "いつか", "いつでも", "どうも", "どうしても", "どうでも", "どうせ", "どうぞ", "何も", "なにも", "何となく", "なんとなく",
		"何とか", "なんとか", "何か", "なにか", "どうか", "どうにか", "whatever", "anyhow"}},
	{cAsk, noVerb, []string{"教えて", "おしえて", "知りたい", "聞きたい", "確認したい", "伺いたい", "について", "ってこと", "tell me", "explain", "want to know", "wondering"}},
	{cObjProc, noVerb, []string{"手続き", "申請", "処理", "procedure", "process", "request"}},
	{cObjService, noVerb, []string{"サービス", "サイト", "アプリ", "ここ", "会員", "出品者", "アカウント", "マーケット", "service", "site", "platform", "app", "account"}},
	{cProceed, noVerb, []string{"進めて", "進めます", "進みます", "続けて", "続けます", "続行", "先に進", "go ahead", "proceed", "continue"}},
	{cWait, noVerb, []string{"待って", "まって", "待ってください", "ちょっと待", "お待ち", "後で", "あとで", "入力します", "書きます", "考え中", "wait", "hold on", "later"}},
	{cMoney, noVerb, []string{"earnings", "money", "balance", "sales", "funds", "proceeds", "cash", "payment", "income", "revenue", "payout", "売上", "売り上げ", "残高", "お金"}},
	{cReasonWord, noVerb, []string{"理由", "reason"}},
	{cChange, noVerb, []string{"変え", "変更", "直し", "直す", "修正", "訂正", "間違", "選び直", "選びなお", "もう一度選", "もう一回選", "選びたい", "にしたい", "にして", "にします", "戻りたい", "戻る", "戻って", "change", "different", "wrong"}},

	{cStaff, noVerb, []string{"人に代わ", "人に替わ", "人と代わ", "人に確認"}},
	{cStaff, noVerb, []string{"担当者", "担当の方", "担当の人", "担当さん", "人間", "人と話", "人に相談", "人に聞", "中の人", "有人", "オペレーター", "オペレータ",
		"スタッフ", "サポートの人", "サポートの方", "サポートセンター", "カスタマーサポート", "運営の人", "担当者に相談する",
		"human", "real person", "a person", "agent", "operator", "staff", "representative", "customer service", "customer support", "support team", "talk to someone"}},
	{cStaffWeak, noVerb, []string{"問い合わせ", "電話", "窓口", "運営に", "サポートに", "相談", "someone", "support"}},
	{cUnlink, noVerb, []string{"連携解除", "連携を解除", "連携の解除", "連携を外", "連携をはず", "連携を切", "連携切", "連携やめ", "連携をやめ", "連携を取り消",
		"連携も解除", "連携は解除", "連携をはずし", "unlink", "disconnect", "remove the link", "remove link"}},
	// Trouble with the step itself: asks what to do, not why.
	{cHelp, noVerb, []string{"ログインできな", "ログインできませ", "どこからログイン", "ログインの仕方", "ログイン方法", "期限が切れ", "期限切れ",
		"どれから", "何から", "押せば", "送れば", "やれば", "入力すれば"}},
	{cHelp, noVerb, []string{"使い方", "使いかた", "ヘルプ", "選べば", "どれを選", "何を選", "書けば", "何を書", "何を入力", "エラー", "うまくいか", "うまくいきませ", "うまくできな", "cant log in", "cannot log in", "cant login", "error", "which one", "わからない", "わかりません", "分からない", "分かりません", "わかんない", "わからん", "意味がわから",
		"意味不明", "どうすれば", "どうしたら", "何をすれば", "なにをすれば", "何すれば", "何したら", "どうやって使", "メニュー", "どういう意味", "どういうこと",
		"何ができ", "なにができ", "選択肢", "ボタンが", "出てこな", "何も起きな", "何も起きませ", "何も起こらな", "何も起こりませ", "反応しな", "動かな", "nothing happens", "できない", "できません", "開けない", "開かない", "進めない", "押せない",
		"help", "menu", "what do i do", "what should i do", "how does this work", "how do i use", "i dont understand", "confused", "what can you do", "doesnt work", "not working"}},
	{cGreeting, noVerb, []string{"やっほ"}},
	{cGreeting, noVerb, []string{"こんにちは", "こんにちわ", "こんちは", "こんちわ", "おはよ", "こんばんは", "こんばんわ", "おはよう", "はじめまして", "初めまして", "お疲れ様", "おつかれさま", "お疲れさま",
		"もしもし", "よろしく", "どうも", "さようなら", "さよなら", "バイバイ", "おやすみ", "お世話になっております", "お世話になります",
		"hello", "hi", "hey", "good morning", "good evening", "good afternoon", "yo", "bye", "goodbye"}},
	{cThanks, noVerb, []string{"あざした", "あざっした"}},
	{cThanks, noVerb, []string{"ありがとう", "ありがと", "有難う", "有り難う", "あざす", "あざっす", "あざます", "サンキュー", "サンキュ", "感謝", "助かりました", "助かります",
		"お世話になりました", "おせわになりました", "thanks for your help", "thank you for your help", "thanks for the help", "thank", "thanks", "thx", "ty", "appreciate", "cheers"}},
	{cLangEn, noVerb, []string{"english", "英語", "えいご", "eigo"}},
	{cLangJa, noVerb, []string{"日本語", "にほんご", "japanese", "nihongo"}},

	{cTopicMultiple, noVerb, []string{"2個目", "二個目", "何個まで", "いくつまで", "何個も", "1人1つ", "一人一つ", "1人1個", "一人1つ", "1人1アカウント", "一人一アカウント", "ひとり1つ", "1つまで", "一つまで", "ひとつまで"}},
	{cTopicMultiple, noVerb, []string{"アカウントを2つ", "アカウント2つ", "アカウントを二つ", "アカウント二つ", "アカウントを複数", "複数アカウント", "複数のアカウント",
		"複数アカ", "2つ目のアカウント", "二つ目のアカウント", "2つ目", "二つ目", "サブ垢", "サブアカ", "別アカ", "別垢", "複垢", "2垢", "もう一つアカウント", "別のアカウント", "別アカウント",
		"もうひとつアカウント", "アカウントを2個", "同時に持", "二つ持", "2つ持", "ふたつ持", "2個持", "複数持",
		"two accounts", "2 accounts", "multiple accounts", "second account", "more than one account", "another account", "two account"}},
	{cTopicReregister, noVerb, []string{"再登録", "再入会", "再加入", "もう一度登録", "また登録", "再度登録", "登録し直", "登録しなおし", "作り直せ", "また使え", "また利用",
		"戻ってこれ", "戻って来れ", "戻れ", "また使いたく", "使いたくなったら", "戻ってこられ", "復帰", "同じメール", "また作れ", "また作る", "もう一度作", "もう一回作", "同じメアド", "同じアドレス", "また入会", "もう一度入会", "もう一回登録", "新規登録",
		"register again", "reregister", "sign up again", "signup again", "come back", "rejoin", "join again", "new account later", "same email", "register later"}},
	{cTopicUndo, noVerb, []string{"戻れない", "戻れません", "account back", "return my account"}},
	{cTopicUndo, noVerb, []string{"取り消せ", "取り消し", "取消し", "取り消す", "元に戻", "もとに戻", "戻せ", "戻したい", "戻してほしい", "戻すこと", "戻す", "撤回", "復活", "復元", "なかったこと",
		"undo", "reverse", "restore", "reactivate", "revert", "take it back", "cancel my withdrawal", "cancel the withdrawal"}},
	{cTopicPayout, noVerb, []string{"振込依頼", "振込申請中", "振り込み依頼", "振込予定", "振り込み予定", "振込日", "振り込まれ", "振込まれ", "振込はいつ", "振り込みはいつ",
		"いつ振り込", "入金", "着金", "振込待ち", "振り込み待ち", "振込", "振り込み", "依頼中", "支払いはいつ",
		"payout", "transfer", "pending payment", "get paid", "be paid", "paid out", "receive my money", "money arrive", "payment arrive"}},
	{cTopicBalance, noVerb, []string{"売上金", "売り上げ金", "売上", "残高", "出金", "引き出", "換金", "0円", "ゼロ円", "報酬", "振込申請",
		"earnings", "balance", "withdraw my money", "my money", "funds", "sales money", "proceeds", "cash out"}},
	{cTopicPurchase, noVerb, []string{"purchased", "finish an order", "finish my order", "finish the order", "complete an order", "complete my order", "complete the order"}},
	{cTopicPurchase, noVerb, []string{"購入", "買った", "買い物", "承認", "受け取り", "受取", "出品者", "取引を完了", "取引の完了", "取引完了", "完了させ",
		"purchase", "bought", "buy", "order i placed", "accept the delivery", "seller"}},
	{cTopicDelivery, noVerb, []string{"納品", "正式な納品", "購入者", "販売した", "売った", "お届け", "deliver", "delivered", "delivering", "delivery", "buyer"}},
	{cTopicLink, noVerb, []string{"連携", "ログイン", "リンク", "link", "linking", "log in", "login", "connect"}},
	{cTopicStatus, noVerb, []string{"通りました", "通った", "still checking", "still processing", "account closed", "been closed", "is it closed", "was it closed", "closed yet", "it closed", "状況", "進捗", "状態", "完了", "できてな", "できていな", "確認中", "処理中", "手続き中", "できてますか", "できていますか", "できてる", "時間がかか", "時間かか", "how long", "受付番号", "受付", "受理", "完了しました", "完了した", "終わりました", "終わった", "終わって", "終わり", "かかりますか", "まだかか", "済んで", "済み",
		"どうなって", "今どこ", "どの段階", "反映", "まだダメ", "まだだめ", "できましたか", "できたか", "まだですか", "まだかな", "まだ終わ", "まだなの",
		"go through", "went through", "any update", "update", "any news", "progress", "is it done", "status", "processed", "completed", "done", "finished", "deleted now", "been deleted", "account deleted", "was it deleted", "receipt"}},
	{cTopicRatings, noVerb, []string{"購入履歴", "取引履歴", "購入した履歴"}},
	{cTopicRatings, noVerb, []string{"評価", "実績", "レビュー", "口コミ", "クチコミ", "履歴", "データ", "個人情報", "情報", "メッセージ", "星",
		"消える", "消えます", "消えちゃ", "消えて", "消え", "削除され", "消され", "deleted", "removed", "rating", "ratings", "review", "reviews", "track record", "history", "data", "feedback", "stars"}},
	{cTopicRatingsWeak, noVerb, []string{"どうなる", "どうなり", "どうなっちゃ", "残る", "残ります", "残らない", "引き継", "what happens", "lose", "lost"}},

	{cNotUsing, noVerb, []string{"どころじゃな", "どころではな", "dont have time", "do not have time", "have no time", "not enough time", "dont have the time", "not needed", "no longer needed", "dont really use", "dont need it", "not really using"}},
	{cNotUsing, noVerb, []string{"使わなくな", "使ってな", "使っていな", "使わない", "使うことがな", "使う機会", "使う予定", "使用しな", "使用してな", "利用しなくな",
		"利用してな", "利用していな", "利用しない", "利用する機会", "利用機会", "時間がな", "時間が取れ", "時間がとれ", "時間がありませ", "暇がな", "忙し", "いそがし",
		"必要なくな", "必要がなくな", "必要ない", "必要なくなり", "いらなくな", "要らなくな", "不要にな", "用がな", "用事がな", "ログインしてな", "開いてな",
		"もう使わ", "使う気", "興味がなくな", "興味なくな", "出品してな", "活動してな", "活動できな", "使う事がな", "使いません", "使わなくなり",
		"no longer use", "dont use", "not using", "never use", "dont need", "no longer need", "no time", "too busy", "busy", "havent used", "rarely use", "not use"}},
	{cHardToEarn, noVerb, []string{"買ってくれな", "誰も買", "買われな", "案件とれな", "案件が取れ", "案件取れ", "案件がとれ", "仕事が取れ", "仕事取れ", "cannot earn", "can not earn", "cant make money"}},
	{cHardToEarn, noVerb, []string{"稼げ", "稼ぐのが難し", "稼ぎにく", "稼ぎづら", "売れな", "売れませ", "売れづら", "売れにく", "儲から", "もうから", "儲けが", "利益が出な",
		"利益がな", "収入にならな", "収入が", "お金にならな", "依頼が来な", "依頼がこな", "依頼がな", "依頼が全く", "依頼がぜんぜん", "注文が来な", "注文がな", "注文がこな",
		"仕事がな", "仕事が来な", "案件がな", "単価が安", "安すぎ", "競争が激し", "ライバルが多", "集客", "売上が", "売り上げが", "稼ぐの",
		"cant sell", "no sales", "not selling", "doesnt sell", "dont sell", "no orders", "no one buys", "nobody buys", "not earning", "dont earn", "cant earn",
		"hard to earn", "not making money", "make money", "making any money", "make any money", "earn any", "not earning", "no clients", "no customers", "make any sales", "any sales", "any orders", "any clients", "any customers"}},
	{cFees, noVerb, []string{"手数料", "fees", "fee", "commission"}},
	{cResetRating, noVerb, []string{"評価が下が", "一から始め", "いちから始め", "1から始め", "まっさら", "真っさら", "白紙に", "評価つけられ", "変な評価"}},
	{cResetRating, noVerb, []string{"リセット", "評価をリセット", "評価リセット", "評価のリセット", "評価をやり直", "評価を消", "評価を一から", "評価をゼロ", "評価が悪", "評価が低", "低評価",
		"悪い評価", "悪評", "星1", "星１", "評価を下げ", "悪いレビュー", "悪い口コミ", "アカウントを作り直", "作り直した", "一からやり直", "イチからやり直", "1からやり直",
		"新しいアカウントで", "評価をつけられ", "評価がつい", "reset my rating", "reset rating", "reset my ratings", "bad rating", "low rating", "bad review",
		"negative review", "fresh start", "start over", "start fresh", "clean slate"}},
	{cNoReason, noVerb, []string{"答えない", "答えません", "回答しません", "言いません", "書きません", "答えたくな", "言いたくな", "書きたくな", "言いたくありませ", "書くことな", "書くことがな", "言うことな", "特に書くこと", "答えたくありませ", "書きたくありませ", "特に無し", "回答しな", "回答したくな", "無回答", "回答なし", "特になし", "特にない",
		"特にありません", "特に理由", "特には", "理由はない", "理由はな", "理由なし", "理由は特に", "秘密", "ひみつ", "内緒", "ないしょ", "ノーコメント", "ノーコメ", "控えます",
		"言えない", "伏せ", "教えたくな", "プライベート",
		"prefer not", "rather not", "no comment", "no reason", "none", "nothing", "n/a", "no particular"}},
	{cReasonOther, noVerb, []string{"人間関係", "気に入らな", "気に入りませ", "乗っ取", "不正ログイン", "不正アクセス", "ハッキング", "心配", "hacked", "compromised"}},
	{cReasonOther, noVerb, []string{"その他", "うまくいかなかった", "うまくいかなくな", "引っ越", "引越", "移住", "海外", "転職", "就職", "退職", "結婚", "出産", "育児", "子育て", "介護", "病気", "体調", "入院", "留学", "受験",
		"学業", "仕事", "本業", "家族", "家庭", "事情", "都合", "会社", "副業", "トラブル", "嫌がらせ", "迷惑", "怖", "不安", "不満", "使いにく", "使いづら", "使い勝手", "不便",
		"わかりにく", "分かりにく", "面倒", "めんどう", "めんどくさ", "うんざり", "疲れ", "つかれ", "嫌に", "いやに", "嫌だ", "合わな", "運営", "サポート", "対応が", "規約", "整理",
		"詐欺", "スパム", "セキュリティ", "プライバシー", "個人的", "一身上", "環境", "飽き", "UI", "アップデート", "改悪", "方針", "ルール", "キャンセルされ",
		"found a", "family", "health", "job", "work",
		"personal", "school", "privacy", "spam", "scam", "harassment", "trouble", "abroad", "policy", "other"}},
	{cSwitch, noVerb, []string{"他のサービス", "他社", "別のサービス", "別のサイト", "他のサイト", "他サービス", "他のアプリ", "別のアプリ",
		"移ります", "移る", "移行", "乗り換え", "他のプラットフォーム", "moving", "move to", "switching", "switch to", "another platform", "other platform",
		"another service", "other service"}},
	{cReasonMarker, noVerb, []string{"ので", "から", "ため", "せいで", "なった", "なりました", "なって", "しまった", "しまって", "ことにしました", "ことにした",
		"because", "since", "due to"}},
	{cJudgement, noVerb, []string{"confusing"}},
	{cJudgement, noVerb, []string{"厳し", "すぎる", "すぎて", "すぎます", "過ぎ", "悪い", "悪かった", "ひどい", "ひどかった", "遅い", "遅すぎ", "少ない", "高い", "高すぎ",
		"難しい", "合わない", "合いません", "納得でき", "できなかった", "なかった", "つまらな", "嫌い", "不安", "不満", "不便", "怖い", "困", "ストレス",
		"crash", "keeps", "too many", "too much", "too expensive", "bad", "slow", "annoying", "hate", "dont like", "doesnt allow", "not allowed", "expensive", "difficult"}},
}

// entry is one folded lexicon word.
type entry struct {
	text  string
	c     concept
	class verbClass
	// wordStart, wordEnd: the entry begins or ends with an ASCII letter,
	// so it must not touch another one there (no matching "no" in "now").
	wordStart, wordEnd bool
}

// lexicon finds the entries that start with a given rune, longest first.
type lexicon map[rune][]entry

// theLexicon is built once and only read.
var theLexicon = buildLexicon()

func buildLexicon() lexicon {
	lx := lexicon{}
	for _, src := range lexiconSource {
		for _, w := range src.words {
			f := foldWord(w)
			if f == "" {
				continue
			}
			r, _ := utf8.DecodeRuneInString(f)
			last, _ := utf8.DecodeLastRuneInString(f)
			lx[r] = append(lx[r], entry{text: f, c: src.c, class: src.class,
				wordStart: r < utf8.RuneSelf && isASCIIAlnum(byte(r)), wordEnd: last < utf8.RuneSelf && isASCIIAlnum(byte(last))})
		}
	}
	for _, es := range lx {
		sort.SliceStable(es, func(i, j int) bool { return len(es[i].text) > len(es[j].text) })
	}
	return lx
}

// hit is a lexicon entry found in a message.
type hit struct {
	c          concept
	class      verbClass
	start, end int
	clause     int // index of the clause it is in
}

// match finds entries in s from position i: at each position the longest
// entry that fits, then on from its end (maximal munch).
func (lx lexicon) match(s string, i int) (entry, bool) {
	r, _ := utf8.DecodeRuneInString(s[i:])
	if i > 0 && r < utf8.RuneSelf && isASCIIAlnum(byte(r)) && isASCIIAlnum(s[i-1]) {
		return entry{}, false // inside an English word
	}
	for _, e := range lx[r] {
		if !strings.HasPrefix(s[i:], e.text) {
			continue
		}
		end := i + len(e.text)
		if e.wordEnd && end < len(s) && isASCIIAlnum(s[end]) {
			// A plural still matches: "bad reviews".
			if s[end] != 's' || end+1 < len(s) && isASCIIAlnum(s[end+1]) {
				continue
			}
		}
		return e, true
	}
	return entry{}, false
}
