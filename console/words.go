package console

import (
	"net/http"
	"strings"

	"golang.org/x/text/language"

	"github.com/taikaibot/taikai/flows"
)

// words are the console's own words — its pages' headings, columns,
// buttons and notes — in one language. What the bot's codes mean (steps,
// transitions, outcomes, blocker kinds, reasons) is not here: it comes
// from the bot's catalogs (flows.StaffLabels), so that console and chat
// never name a thing two ways. TestWordsAreComplete checks every field in
// every language, with the same format verbs.
type words struct {
	Lang, App, Skip, Nav, Overview, Conversations, Audit, SignOut, WaitingBadge, Demo string

	SignIn, SignInFailed, User, Password, Token string

	Period, PeriodDays, DaysOption, Funnel, FunnelNote, FunnelCaption, Stage, Count, FromPrev, FromStart, Drop,
	BiggestDrop, Trends, TrendsCaption, TrendsDesc, Started, Filed, BlockedConv, Cancelled, HandedOff, Date, ShowNumbers,
	ReasonsOverTime, ReasonsCaption, ReasonsDesc, Week, Clearance, ClearanceNote, ClearanceCaption, Kind, AnyKind,
	UsersBlocked, FiledWithin, Cleared, MedianClear, NotYet, MedianNote, DaysApprox, StartToFiled, StartToFiledNote,
	Handoffs, WaitingNow, OldestWait, WithStaffNow, Outcomes, OutcomesCaption, Found, FoundCaption, Export, ExportFunnel,
	ExportAudit, From, To, Download, NoData, Total, StepsNow, StepsNowCaption, StepsNowNote string

	Search, SearchLabel, SearchButton, SearchNone, Waiting, WithStaff, BlockedLong, Failing, Recent, Live, LiveCount,
	Column, Step, Since, Account, Blockers, Updated, WaitedSince, None, More, Newer, Older, ShowAll, Counted, StepSince string

	Case, Summary, LineUser, Pseudonym, LinkedAccount, Role, Needs, Handoff, HandoffRequested, HandoffPaused, Reason, HelpShown,
	Yes, Failures, BlockersAsOf, NoBlockers, NotChecked, PurchaseLine, SaleLine, PayoutLine, BalanceLine, MoreItems,
	BlockedSince, LastSaid, LastSaidNote, StaffSaid, Timeline, TimelineCaption, Event, Notes, NoNotes, AddNote, NoteLabel,
	NoteHelp, SaveNote, Reply, ReplyLabel, ReplyHelp, Send, Pause, Resume, Paused, Resumed, Replied, NoteSaved,
	QuotaRefused, QuotaUnknown, ReplyFailed, NotPaused, BadInput, WhilePaused, ChatBack string

	AuditTitle, AuditCaption, Time, What, Staff, Receipt, Key, Chars, Show string

	// A filing's consent record (the audit), and a reminder (the case card).
	Consent, ConsentRecorded, ConsentLang, WarningShown, WarningAcked, ConfirmShown, Confirmed, FiguresShown, CopyVersion,
	TextSHA, RemindAt string

	Stuck                           map[Stuck]string
	Roles                           map[string]string
	Types                           map[string]string
	AuditKinds                      map[string]string
	Minutes, Hours, Days, DaysRange string
	Ago                             [3]string // minutes, hours, days
}

// ja is the console in Japanese, the default.
var wordsJa = words{
	Lang: "ja", App: "taikai コンソール", Skip: "本文へスキップ", Nav: "メインメニュー", Overview: "概要", Conversations: "会話",
	Audit: "監査", SignOut: "ログアウト（%s）", WaitingBadge: "担当者待ち %d件",
	Demo: "デモデータ：シミュレーションした%d日分の会話です（%s〜%s）。実在の利用者のデータではありません。",

	SignIn: "サインイン", SignInFailed: "サインインできませんでした。入力内容をご確認ください。", User: "ユーザー名",
	Password: "パスワード", Token: "トークン",

	Period: "期間", PeriodDays: "過去%d日", DaysOption: "%d日", Funnel: "ファネル",
	FunnelNote:    "期間中に始まった会話が、どの段階まで進んだか（その後に進んだ分も含みます）。",
	FunnelCaption: "段階ごとの会話数と、前の段階からの進み具合", Stage: "段階", Count: "会話数", FromPrev: "前の段階から",
	FromStart: "開始から", Drop: "離脱", BiggestDrop: "最大の離脱", Trends: "日ごとの推移",
	TrendsCaption: "日ごとの推移（件数）", TrendsDesc: "期間中の合計：%s",
	Started: "開始", Filed: "退会受付", BlockedConv: "ブロック（会話数）", Cancelled: "中止", HandedOff: "担当者に相談",
	Date: "日付", ShowNumbers: "数値の表を表示", ReasonsOverTime: "退会理由の推移", ReasonsCaption: "退会理由の件数（%s）",
	ReasonsDesc: "期間中の合計：%s", Week: "%s〜の週", Clearance: "ブロッカーの解消",
	ClearanceNote:    "期間中に初めてブロックされた人が、その後に解消して退会するまで。○日以内の割合は、ブロックから○日以上たった人のうちの割合です。",
	ClearanceCaption: "ブロッカーの種類ごとの解消と退会", Kind: "種類", AnyKind: "いずれか",
	UsersBlocked: "ブロックされた人", FiledWithin: "%d日以内に退会", Cleared: "解消した人", MedianClear: "解消までの日数（中央値）",
	NotYet: "まだ判断できません", MedianNote: "中央値は、1日単位の度数分布から求めた概算です。",
	DaysApprox: "約%d日", StartToFiled: "開始から退会受付までの時間",
	StartToFiledNote: "中央値（期間中の退会受付%d件、時間帯別の度数分布から求めた概算）", Handoffs: "担当者への相談",
	WaitingNow: "待っている人", OldestWait: "最も長い待ち時間", WithStaffNow: "担当者が対応中", Outcomes: "申請の結果",
	OutcomesCaption: "退会申請の結果（件数）", Found: "確認で見つかった項目", FoundCaption: "退会条件の確認で見つかった項目（件数）",
	Export: "CSVで書き出す", ExportFunnel: "日ごとの集計", ExportAudit: "監査ログ", From: "開始日", To: "終了日",
	Download: "ダウンロード", NoData: "この期間のデータはありません。", Total: "合計",
	StepsNow: "いま各ステップにいる会話", StepsNowCaption: "ステップごとの会話数（1分ごとに集計）",
	StepsNowNote: "直近30日に動きのあった会話が、いまどのステップにいるか。",

	Search: "ケースを探す", SearchLabel: "LINEユーザーID・仮名（ログの12桁）・アカウントID", SearchButton: "検索",
	SearchNone: "「%s」に当てはまるケースは見つかりませんでした。", Waiting: "担当者を待っている人", WithStaff: "担当者が対応中",
	BlockedLong: "%sを超えてブロックされたまま", Failing: "エラーが続いている", Recent: "最近の会話",
	Live: "この一覧は自動で更新されます。", LiveCount: "担当者待ち %d件・対応中 %d件", Column: "ユーザー", Step: "ステップ",
	Since: "ステップ開始", Account: "アカウント", Blockers: "対応が必要な項目", Updated: "最終更新", WaitedSince: "待ち時間",
	None: "ありません。", More: "ほか%d件", Newer: "最新に戻る", Older: "さらに表示", ShowAll: "すべて表示（%d件）",
	Counted: "%s（%d）", StepSince: "%s（%sから）",

	Case: "ケース %s", Summary: "概要", LineUser: "LINEユーザーID", Pseudonym: "仮名（ログ）", LinkedAccount: "連携アカウント", Role: "立場",
	Needs: "要対応", Handoff: "担当者", HandoffRequested: "依頼あり（%s）", HandoffPaused: "対応中：%s（ボット停止）",
	Reason: "退会理由", HelpShown: "理由に合わせたご案内", Yes: "表示済み", Failures: "エラー回数",
	BlockersAsOf: "対応が必要な項目（%s時点）", NoBlockers: "対応が必要な項目はありませんでした。", NotChecked: "まだ確認していません。",
	PurchaseLine: "注文番号 %s「%s」", SaleLine: "注文番号 %s「%s」", PayoutLine: "%s（申請日 %s、振込予定日 %s）",
	BalanceLine: "残高 %s", MoreItems: "ほか%d件", BlockedSince: "初めてブロックされた日：%s",
	LastSaid: "ボットが最後に送った内容", LastSaidNote: "%s に送信。ボット自身の文面です（利用者の入力は、入力された退会理由の引用のみ）。",
	StaffSaid: "担当者が最後に送った内容（%s、%s）", Timeline: "経過", TimelineCaption: "新しい順（最大50件）",
	Event: "出来事", Notes: "メモ", NoNotes: "メモはまだありません。", AddNote: "メモを追加", NoteLabel: "メモ（担当者のみ閲覧）",
	NoteHelp: "ケースと一緒に保存され、退会や削除のときに一緒に消去されます（最大2,000文字）。監査ログには記入者と日時が残ります。",
	SaveNote: "メモを保存", Reply: "ユーザーに返信", ReplyLabel: "返信する内容",
	ReplyHelp: "LINEでプッシュメッセージとして送ります（最大2,000文字）。「ボットに戻る」ボタンが付きます。",
	Send:      "送信", Pause: "ボットを止めて担当者が対応する", Resume: "ボットに戻す",
	Paused:  "ボットを停止しました。ユーザーには担当者が対応すると伝えました。",
	Resumed: "ボットに戻しました。ユーザーには同じステップから続きを案内しました。", Replied: "返信を送りました。",
	NoteSaved:    "メモを保存しました。",
	QuotaRefused: "今月のメッセージ送信数が上限に近いため、送信しませんでした（%d / %d通）。LINE Official Account Managerから返信してください。",
	QuotaUnknown: "今月のメッセージ送信数を確認できなかったため、送信しませんでした。少し時間をおいてお試しください。",
	ReplyFailed:  "送信できませんでした。少し時間をおいてお試しください。", NotPaused: "ボットを止めてから返信してください。",
	BadInput: "入力内容をご確認ください（1〜2,000文字）。", WhilePaused: "担当者対応中のため応答せず",
	ChatBack: "ボットに戻る",

	AuditTitle: "監査", AuditCaption: "退会受付と担当者の操作（新しい順、最大500件）", Time: "日時", What: "内容",
	Staff: "担当者", Receipt: "受付番号", Key: "Idempotency-Key", Chars: "文字数", Show: "表示",

	Consent: "同意の記録", ConsentRecorded: "記録あり", ConsentLang: "言語", WarningShown: "注意事項を表示",
	WarningAcked: "注意事項を確認", ConfirmShown: "最終確認を表示", Confirmed: "退会を確定", FiguresShown: "表示した評価・実績",
	CopyVersion: "文面の版", TextSHA: "文面のSHA-256", RemindAt: "お知らせ予定：%s",

	Stuck: map[Stuck]string{NotStuck: "—", StuckWaiting: "担当者待ち", StuckWithStaff: "担当者対応中", StuckBlocked: "長期ブロック",
		StuckFailing: "エラー反復"},
	Roles: map[string]string{"": "—", "buyer": "購入者", "seller": "出品者", "buyer+seller": "購入者・出品者"},
	Types: map[string]string{"message": "メッセージ", "postback": "ボタン", "follow": "友だち追加", "unfollow": "ブロック",
		"accountLink": "アカウント連携", "unsend": "送信取消", "pause": "ボット停止", "resume": "ボットに戻す",
		"reply": "担当者の返信", "note": "メモ", "reminder": "振込後のお知らせ"},
	AuditKinds: map[string]string{auditFiling: "退会受付", auditPause: "ボット停止", auditResume: "ボットに戻す",
		auditReply: "返信", auditNote: "メモ"},
	Minutes: "%d分", Hours: "%d時間", Days: "%d日", DaysRange: "%s〜%s",
	Ago: [3]string{"%d分前", "%d時間前", "%d日前"},
}

// wordsEn is the console in English, for browsers that ask for it.
var wordsEn = words{
	Lang: "en", App: "taikai console", Skip: "Skip to content", Nav: "Main menu", Overview: "Overview",
	Conversations: "Conversations", Audit: "Audit", SignOut: "Sign out (%s)", WaitingBadge: "%d waiting for staff",
	Demo: "Demo data: %d days of simulated conversations (%s to %s). No real user's data.",

	SignIn: "Sign in", SignInFailed: "Could not sign in. Please check what you entered.", User: "User name",
	Password: "Password", Token: "Token",

	Period: "Period", PeriodDays: "Last %d days", DaysOption: "%d days", Funnel: "Funnel",
	FunnelNote:    "How far the conversations started in the period got (including later progress).",
	FunnelCaption: "Conversations per stage, and how many went on from the stage before", Stage: "Stage",
	Count: "Conversations", FromPrev: "From the stage before", FromStart: "From the start", Drop: "Dropped",
	BiggestDrop: "Biggest drop", Trends: "Per day", TrendsCaption: "Per day (counts)", TrendsDesc: "Totals in the period: %s",
	Started: "Started", Filed: "Filed", BlockedConv: "Blocked (conversations)", Cancelled: "Cancelled",
	HandedOff: "Asked for a person", Date: "Date", ShowNumbers: "Show the numbers", ReasonsOverTime: "Reasons over time",
	ReasonsCaption: "Reasons given (%s)", ReasonsDesc: "Totals in the period: %s", Week: "Week of %s",
	Clearance:        "Clearing blockers",
	ClearanceNote:    "Users first blocked in the period, and whether they cleared their blockers and closed the account. A rate within N days counts only users blocked at least N days ago.",
	ClearanceCaption: "Clearing and closing, per kind of blocker", Kind: "Kind", AnyKind: "Any",
	UsersBlocked: "Users blocked", FiledWithin: "Closed within %d days", Cleared: "Cleared",
	MedianClear: "Days to clear (median)", NotYet: "Too early to tell",
	MedianNote: "Medians are estimates from histograms in whole days.", DaysApprox: "about %d days",
	StartToFiled: "Time from start to filing", StartToFiledNote: "Median of %d filings in the period, estimated from a histogram of time ranges",
	Handoffs: "Asking for a person", WaitingNow: "Waiting now", OldestWait: "Longest wait", WithStaffNow: "With staff",
	Outcomes: "Filing outcomes", OutcomesCaption: "Outcomes of filings (counts)", Found: "Found at checks",
	FoundCaption: "Blockers found when checking the conditions (counts)", Export: "Export as CSV",
	ExportFunnel: "Figures per day", ExportAudit: "Audit log", From: "From", To: "To", Download: "Download",
	NoData: "No data for this period.", Total: "Total",
	StepsNow: "Conversations at each step now", StepsNowCaption: "Conversations per step (counted every minute)",
	StepsNowNote: "Where the conversations active in the last 30 days stand now.",

	Search: "Find a case", SearchLabel: "LINE user id, pseudonym (12 digits in logs) or account id", SearchButton: "Search",
	SearchNone: "No case matches “%s”.", Waiting: "Waiting for staff", WithStaff: "With staff",
	BlockedLong: "Blocked for more than %s", Failing: "Failing repeatedly", Recent: "Recent conversations",
	Live: "This list updates itself.", LiveCount: "%d waiting, %d with staff", Column: "User", Step: "Step",
	Since: "At the step since", Account: "Account", Blockers: "Open items", Updated: "Last event", WaitedSince: "Waiting for",
	None: "None.", More: "%d more", Newer: "Back to the newest", Older: "Show more", ShowAll: "Show all (%d)",
	Counted: "%s (%d)", StepSince: "%s (since %s)",

	Case: "Case %s", Summary: "Summary", LineUser: "LINE user id", Pseudonym: "Pseudonym (logs)", LinkedAccount: "Linked account", Role: "Role",
	Needs: "Needs attention", Handoff: "Staff", HandoffRequested: "Asked for a person (%s)", HandoffPaused: "With %s (bot paused)",
	Reason: "Reason", HelpShown: "Advice for the reason", Yes: "Shown", Failures: "Errors",
	BlockersAsOf: "Open items (as of %s)", NoBlockers: "Nothing was open.", NotChecked: "Not checked yet.",
	PurchaseLine: "Order %s “%s”", SaleLine: "Order %s “%s”", PayoutLine: "%s (requested %s, expected %s)",
	BalanceLine: "Balance %s", MoreItems: "%d more", BlockedSince: "First blocked: %s",
	LastSaid: "What the bot said last", LastSaidNote: "Sent %s. The bot's own words (of the user's, only a typed reason quoted back).",
	StaffSaid: "What staff sent last (%s, %s)", Timeline: "Timeline", TimelineCaption: "Newest first (50 at most)",
	Event: "What happened", Notes: "Notes", NoNotes: "No notes yet.", AddNote: "Add a note", NoteLabel: "Note (staff only)",
	NoteHelp: "Kept with the case and erased with it (2,000 characters at most). The audit log records who wrote it and when.",
	SaveNote: "Save the note", Reply: "Reply to the user", ReplyLabel: "Your message",
	ReplyHelp: "Sent as a LINE push message (2,000 characters at most), with a “Back to the bot” button.",
	Send:      "Send", Pause: "Pause the bot and take over", Resume: "Hand back to the bot",
	Paused:  "The bot is paused. The user was told a person will answer.",
	Resumed: "Handed back to the bot. The user was shown the step they were at.", Replied: "Your reply was sent.",
	NoteSaved:    "The note was saved.",
	QuotaRefused: "Not sent: this month's messages are nearly used up (%d of %d). Please reply from LINE Official Account Manager.",
	QuotaUnknown: "Not sent: this month's message count could not be read. Please try again in a moment.",
	ReplyFailed:  "Could not send. Please try again in a moment.", NotPaused: "Pause the bot before replying.",
	BadInput: "Please check what you entered (1 to 2,000 characters).", WhilePaused: "not answered: with staff",
	ChatBack: "Back to the bot",

	AuditTitle: "Audit", AuditCaption: "Filings and staff actions (newest first, 500 at most)", Time: "Time", What: "What",
	Staff: "Staff", Receipt: "Receipt", Key: "Idempotency-Key", Chars: "Characters", Show: "Show",

	Consent: "Consent record", ConsentRecorded: "Recorded", ConsentLang: "Language", WarningShown: "Warning shown",
	WarningAcked: "Warning acknowledged", ConfirmShown: "Summary shown", Confirmed: "Closure confirmed",
	FiguresShown: "Rating and record shown", CopyVersion: "Copy version", TextSHA: "Text SHA-256", RemindAt: "Reminder due %s",

	Stuck: map[Stuck]string{NotStuck: "—", StuckWaiting: "Waiting for staff", StuckWithStaff: "With staff",
		StuckBlocked: "Blocked for long", StuckFailing: "Failing repeatedly"},
	Roles: map[string]string{"": "—", "buyer": "Buyer", "seller": "Seller", "buyer+seller": "Buyer and seller"},
	Types: map[string]string{"message": "Message", "postback": "Button", "follow": "Added as friend", "unfollow": "Blocked the bot",
		"accountLink": "Account link", "unsend": "Unsent", "pause": "Bot paused", "resume": "Handed back to the bot",
		"reply": "Staff reply", "note": "Note", "reminder": "Payout reminder"},
	AuditKinds: map[string]string{auditFiling: "Filing", auditPause: "Bot paused", auditResume: "Handed back",
		auditReply: "Reply", auditNote: "Note"},
	Minutes: "%d min", Hours: "%d h", Days: "%d days", DaysRange: "%s to %s",
	Ago: [3]string{"%d min ago", "%d h ago", "%d days ago"},
}

// langOf is the language a request asks for: English when the browser's
// Accept-Language puts English before Japanese, else Japanese.
func langOf(r *http.Request) flows.Lang {
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil {
		return flows.LangJa
	}
	for _, t := range tags {
		base, _ := t.Base()
		switch strings.ToLower(base.String()) {
		case "ja":
			return flows.LangJa
		case "en":
			return flows.LangEn
		}
	}
	return flows.LangJa
}

func wordsFor(l flows.Lang) *words {
	if l == flows.LangEn {
		return &wordsEn
	}
	return &wordsJa
}
