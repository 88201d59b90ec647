package flows

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// utterance is one labelled line of testdata/utterances/*.tsv.
type utterance struct {
	file string
	line int
	step Step
	want Intent
	text string
}

// readCorpus reads every *.tsv in dir; a malformed line, an unknown step
// or an unknown intent is an error.
func readCorpus(dir string) ([]utterance, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.tsv"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.tsv in %s", dir)
	}
	steps := map[Step]bool{}
	for _, s := range UnderstoodSteps() {
		steps[s] = true
	}
	var us []utterance
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSuffix(sc.Text(), "\r")
			if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
				continue
			}
			parts := strings.SplitN(line, "\t", 3)
			if len(parts) != 3 || parts[2] == "" {
				f.Close()
				return nil, fmt.Errorf("%s:%d: want step<TAB>intent<TAB>text, got %q", name, n, line)
			}
			u := utterance{file: filepath.Base(name), line: n, step: Step(parts[0]), want: Intent(parts[1]), text: parts[2]}
			if !steps[u.step] {
				f.Close()
				return nil, fmt.Errorf("%s:%d: unknown step %q", name, n, u.step)
			}
			if !u.want.Valid() {
				f.Close()
				return nil, fmt.Errorf("%s:%d: unknown intent %q", name, n, u.want)
			}
			us = append(us, u)
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return us, nil
}

// unsafe reports a safety violation: reading got, where want was meant, as
// a step toward filing that was not asked for.
func unsafe(want, got Intent) bool {
	_, wantReason := want.Reason()
	_, gotReason := got.Reason()
	return got == IntentYes && want != IntentYes || gotReason && !wantReason
}

// TestUnderstandCorpus reads every labelled utterance and fails under 95 %
// accuracy or on any safety violation. With -v it prints the figures as a
// Markdown table, ready for the README.
func TestUnderstandCorpus(t *testing.T) {
	us, err := readCorpus(filepath.Join("..", "testdata", "utterances"))
	if err != nil {
		t.Fatal(err)
	}
	r := score(DefaultUnderstander(), us)
	for _, m := range r.misses {
		if unsafe(m.want, m.got) {
			t.Errorf("SAFETY %s:%d %s %q: got %s, want %s", m.file, m.line, m.step, m.text, m.got, m.want)
		} else {
			t.Logf("miss %s:%d %s %q: got %s, want %s", m.file, m.line, m.step, m.text, m.got, m.want)
		}
	}
	t.Log("\n" + r.table())
	if acc := r.accuracy(); acc < 0.95 {
		t.Errorf("accuracy %.1f %% (%d/%d); want at least 95 %%", 100*acc, r.right, r.total)
	}
}

type miss struct {
	utterance
	got Intent
}

// report is how an Understander did on a corpus.
type report struct {
	total, right, unsafe int
	perFile              map[string][2]int // right, total
	tp, fp, fn           map[Intent]int
	misses               []miss
}

func score(u Understander, us []utterance) report {
	r := report{perFile: map[string][2]int{}, tp: map[Intent]int{}, fp: map[Intent]int{}, fn: map[Intent]int{}}
	for _, x := range us {
		got := u.Understand(x.text, x.step)
		pf := r.perFile[x.file]
		pf[1]++
		r.total++
		if got == x.want {
			r.right++
			pf[0]++
			r.tp[got]++
		} else {
			r.fp[got]++
			r.fn[x.want]++
			r.misses = append(r.misses, miss{x, got})
			if unsafe(x.want, got) {
				r.unsafe++
			}
		}
		r.perFile[x.file] = pf
	}
	return r
}

func (r report) accuracy() float64 { return float64(r.right) / float64(r.total) }

// table is the per-intent precision and recall, then overall and per-file
// accuracy and the safety violations, as Markdown.
func (r report) table() string {
	var b strings.Builder
	b.WriteString("| intent | lines | precision | recall |\n|---|---:|---:|---:|\n")
	for _, i := range Intents() {
		n := r.tp[i] + r.fn[i]
		if n == 0 && r.fp[i] == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s |\n", i, n, ratio(r.tp[i], r.tp[i]+r.fp[i]), ratio(r.tp[i], n))
	}
	fmt.Fprintf(&b, "| **all** | %d | | **%.1f %%** accuracy |\n\n", r.total, 100*r.accuracy())
	files := make([]string, 0, len(r.perFile))
	for f := range r.perFile {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		pf := r.perFile[f]
		fmt.Fprintf(&b, "%s: %.1f %% (%d/%d)\n", f, 100*float64(pf[0])/float64(pf[1]), pf[0], pf[1])
	}
	fmt.Fprintf(&b, "safety violations: %d\n", r.unsafe)
	return b.String()
}

func ratio(a, b int) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f %%", 100*float64(a)/float64(b))
}

// TestCorpusReaderRejects: the corpus test must notice a broken corpus.
func TestCorpusReaderRejects(t *testing.T) {
	for name, body := range map[string]string{
		"two fields":     "idle\tstart\n",
		"unknown step":   "lobby\tstart\t退会したい\n",
		"unknown intent": "idle\tquit\t退会したい\n",
		"empty text":     "idle\tstart\t\n",
		"bad reason":     "reason\treason:bored\t飽きた\n",
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "x.tsv"), []byte("# ok\n\nidle\tstart\t退会したい\n"+body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := readCorpus(dir); err == nil {
			t.Errorf("%s: read without error", name)
		}
	}
}

// TestNegationAndHedges pins the rules the corpus leans on, one small case
// each: the ending of a verb decides, not the verb.
func TestNegationAndHedges(t *testing.T) {
	for _, tc := range []struct {
		step Step
		text string
		want Intent
	}{
		// The withdrawal, wanted or refused.
		{StepIdle, "退会したい", IntentStart},
		{StepIdle, "退会はしないです", IntentCancel},
		{StepWarning, "退会しなくていいです", IntentCancel},
		{StepWarning, "退会したくない", IntentCancel},
		{StepWarning, "退会やめます", IntentCancel},
		{StepWarning, "退会はやめない", IntentUnknown},
		{StepWarning, "いいえ、退会します", IntentUnknown},
		// やめ: stopping, quitting, or neither.
		{StepWarning, "やめます", IntentCancel},
		{StepWarning, "やめない", IntentUnknown},
		{StepWarning, "やめません", IntentUnknown},
		{StepWarning, "やめたい", IntentUnknown},
		{StepIdle, "やめたい", IntentStart},
		{StepWarning, "やっぱりやめたい", IntentCancel},
		{StepIdle, "やめときます", IntentCancel},
		{StepReason, "忙しくてやめる", ReasonIntent("not_using")},
		{StepReason, "やっぱりやめる", IntentCancel},
		{StepWarning, "サービスを辞めたくない", IntentCancel},
		// Changes of mind and polite refusals.
		{StepWarning, "やっぱいいや", IntentCancel},
		{StepWarning, "まだ大丈夫", IntentCancel},
		{StepWarning, "まあいいや", IntentUnknown},
		{StepWarning, "大丈夫です", IntentUnknown},
		// Yes only when nothing else is said.
		{StepConfirm, "はい", IntentYes},
		{StepConfirm, "はい？", IntentUnknown},
		{StepConfirm, "はい…", IntentUnknown},
		{StepConfirm, "たぶんはい", IntentUnknown},
		{StepConfirm, "はい、でも", IntentUnknown},
		{StepConfirm, "はい、やめます", IntentCancel},
		{StepConfirm, "うーん", IntentUnknown},
		{StepConfirm, "うん", IntentYes},
		{StepConfirm, "ううん", IntentNo},
		{StepIdle, "はい", IntentUnknown},
		{StepReason, "はい", IntentUnknown},
		{StepWarning, "退会します", IntentStart},
		{StepConfirm, "退会します", IntentYes},
		{StepConfirm, "退会します？", IntentUnknown},
		// English.
		{StepWarning, "I don't want to delete my account", IntentCancel},
		{StepIdle, "I want to delete my account", IntentStart},
		{StepIdle, "I want to withdraw my earnings", FAQIntent(TopicBalance)},
		{StepConfirm, "yes?", IntentUnknown},
		{StepConfirm, "no, go ahead", IntentUnknown},
		{StepWarning, "not now", IntentCancel},
		{StepConfirm, "delete my account", IntentStart},
		{StepConfirm, "yes, delete my account", IntentYes},
		{StepIdle, "I don't speak Japanese", LangIntent(LangEn)},
		// Repeated or merely polite agreement is not a yes.
		{StepConfirm, "はいはい", IntentUnknown},
		{StepConfirm, "大丈夫です", IntentUnknown},
		{StepConfirm, "ありがとうございます", IntentThanks},
		{StepConfirm, "理由は変えなくていいです", IntentUnknown},
		{StepConfirm, "理由を変えたい", IntentChangeReason},
		// Width, case, emoji.
		{StepConfirm, "ＯＫ👍", IntentUnknown}, // at confirm, words only; and OK acknowledges
		{StepWarning, "ＯＫ👍", IntentYes},
		{StepWarning, "はい🙃", IntentUnknown}, // only a glad sign goes with a yes
		// Signs of doubt, a question in any script, trailing off, a laugh, dismay.
		{StepConfirm, "はい❓", IntentUnknown},
		{StepWarning, "はい؟", IntentUnknown},
		{StepWarning, "はい❌", IntentUnknown},
		{StepHelp, "はい💦", IntentUnknown},
		{StepWarning, "はい(;_;)", IntentUnknown},
		{StepWarning, "はい(´・ω・`)", IntentUnknown},
		{StepWarning, "はい(^^)", IntentYes},
		{StepWarning, "はい・・・", IntentUnknown},
		{StepWarning, "はい、、、", IntentUnknown},
		{StepConfirm, "ok,,,", IntentUnknown},
		{StepConfirm, "退会しますw", IntentUnknown},
		{StepConfirm, "ええー", IntentUnknown},
		{StepConfirm, "ええ", IntentYes},
		{StepConfirm, "退会します退会します", IntentUnknown},
		// Acknowledging is going on at the warning, not filing at confirm.
		{StepWarning, "わかりました", IntentYes},
		{StepConfirm, "わかりました", IntentUnknown},
		{StepConfirm, "評価が消えるのは理解しました", IntentUnknown},
		{StepConfirm, "わかりました、退会します", IntentYes},
		// "Fine" and "no, thanks" alike; thanks with a yes.
		{StepConfirm, "はい、結構です", IntentUnknown},
		{StepWarning, "はい、結構です", IntentUnknown},
		{StepConfirm, "はい、大丈夫です", IntentUnknown},
		{StepWarning, "はい、大丈夫です", IntentYes},
		{StepConfirm, "はい、ありがとう", IntentUnknown},
		{StepBlocked, "了解、ありがとう", IntentThanks},
		// Not now, no intention, not yet: stop.
		{StepConfirm, "夫に相談してからにします", IntentCancel},
		{StepConfirm, "退会するつもりはない", IntentCancel},
		{StepConfirm, "進めないでください", IntentCancel},
		{StepConfirm, "don't close", IntentCancel},
		{StepConfirm, "not yet", IntentCancel},
		{StepReason, "来月引っ越すので", ReasonIntent("other")}, // a reason, not "not now"
		// A question none of the topics answers.
		{StepConfirm, "クーポンは消えますか？", IntentQuestion},
		{StepConfirm, "評価は消えますか？", FAQIntent(TopicRatings)},
		{StepConfirm, "お気に入りは？", IntentQuestion},
		{StepConfirm, "ほんとに？", IntentUnknown},
		{StepConfirm, "はい🤔", IntentUnknown},
		{StepConfirm, "はい😭", IntentUnknown},
		{StepWarning, "ｷｬﾝｾﾙ", IntentCancel},
		{StepIdle, "ﾀｲｶｲｼﾀｲ", IntentStart},
		{StepReason, "I'm moving abroad", ReasonIntent("other")}, // no run of m across the space
	} {
		if got := Understand(tc.text, tc.step); got != tc.want {
			t.Errorf("%s %q: got %s, want %s", tc.step, tc.text, got, tc.want)
		}
	}
}

// TestUnderstandNeverStepsForward: texts that are not a yes or a reason
// never read as one, at any step.
func TestUnderstandNeverStepsForward(t *testing.T) {
	texts := []string{"", " ", "?", "はい？", "やめたい", "こんにちは", "ありがとう", "キャンセル", "いいえ", "次へ？", "たぶん", "わからない",
		"退会できますか？", "再登録できますか？", "答えないとだめ？", "👍", "はい、でも評価は？", "いいえ、退会します", "まあいいか…", "yes but why?",
		strings.Repeat("退会", 1000), strings.Repeat("退会、", 600), strings.Repeat("はい、", 300) + "？", strings.Repeat("やめ?", 500),
		strings.Repeat("delete my account, ", 100) + "?"}
	for _, s := range UnderstoodSteps() {
		for _, x := range texts {
			got := Understand(x, s)
			if _, isReason := got.Reason(); got == IntentYes || isReason {
				t.Errorf("%s %q: got %s", s, x, got)
			}
			if !got.Valid() {
				t.Errorf("%s %q: invalid intent %q", s, x, got)
			}
		}
	}
}

// TestUnderstandIn: the language hint changes only romaji yes/no.
func TestUnderstandIn(t *testing.T) {
	for _, tc := range []struct {
		lang Lang
		want Intent
	}{{"", IntentUnknown}, {LangJa, IntentYes}, {LangEn, IntentGreeting}} {
		if got := UnderstandIn("hai", StepConfirm, tc.lang); got != tc.want {
			t.Errorf("hai at confirm, lang %q: got %s, want %s", tc.lang, got, tc.want)
		}
	}
	if got := UnderstandIn("退会したい", StepIdle, LangEn); got != IntentStart {
		t.Errorf("退会したい with lang en: got %s", got)
	}
}

// TestUnderstandConcurrent: the default Understander keeps no state (run
// with -race).
func TestUnderstandConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if got := Understand("退会したいです", StepIdle); got != IntentStart {
					t.Errorf("got %s", got)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkUnderstand reads every corpus line once per iteration and
// reports the cost per message.
//
//	go test ./flows -run '^$' -bench Understand -benchmem
func BenchmarkUnderstand(b *testing.B) {
	us, err := readCorpus(filepath.Join("..", "testdata", "utterances"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x := us[i%len(us)]
		Understand(x.text, x.step)
	}
}

// BenchmarkTypedStep is one typed message through the conversation step
// (Next), the understanding included, as the bot runs it per text event
// (issue 9's budget: 20 µs and 40 allocations).
//
//	go test ./flows -run '^$' -bench TypedStep -benchmem
func BenchmarkTypedStep(b *testing.B) {
	st := State{Step: StepWarning, Conv: "c1", Seq: 3, AccountID: "acc", Status: clean, Lang: LangJa, Started: t0, Updated: t0}
	texts := []string{"はい、理解しました。進めてください。", "やっぱりやめます", "評価ってどうなるの？", "退会はしないです"}
	e := env(t0)
	e.Understander = nil // the real one
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x := texts[i%len(texts)]
		if _, out := Next(st, Input{Kind: InText, Text: x}, e); len(out.Replies) == 0 && out.Effect == nil {
			b.Fatalf("%q: no answer", x)
		}
	}
}

// BenchmarkTypedConfirm is BenchmarkTypedStep at the confirm step, where a
// typed yes is also read for consent (ConsentOf): the same budget.
//
//	go test ./flows -run '^$' -bench TypedConfirm -benchmem
func BenchmarkTypedConfirm(b *testing.B) {
	st := State{Step: StepConfirm, Conv: "c1", Seq: 3, AccountID: "acc", Status: clean, Lang: LangJa, Reason: "not_using", Started: t0, Updated: t0}
	texts := []string{"はい、退会します", "はい", "わかりました", "はい❓", "クーポンは消えますか？", "夫に相談してからにします"}
	e := env(t0)
	e.Understander = nil // the real one
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x := texts[i%len(texts)]
		if _, out := Next(st, Input{Kind: InText, Text: x}, e); len(out.Replies) == 0 && out.Effect == nil {
			b.Fatalf("%q: no answer", x)
		}
	}
}

// FuzzUnderstand: any text, at any step, yields a valid intent; a text
// with a question mark is never a yes or a reason; a reason is read only
// at the reason steps, and a yes only where the step asks for one.
//
// A long run: go test ./flows -run '^$' -fuzz FuzzUnderstand -fuzztime 10m
func FuzzUnderstand(f *testing.F) {
	for _, s := range []string{"はい", "はい？", "退会したい", "使わなくなった", "ｷｬﾝｾﾙ", "yes, withdraw", "うーん", "", "?", "はいはい", "次へ",
		"はい(;_;)", "(", "はい(", "()", "退会する、、、", "はい❓", "ええー"} {
		f.Add(s, uint8(0))
	}
	steps := UnderstoodSteps()
	f.Fuzz(func(t *testing.T, s string, which uint8) {
		step := steps[int(which)%len(steps)]
		got := Understand(s, step)
		if !got.Valid() {
			t.Fatalf("%s %q: invalid intent %q", step, s, got)
		}
		_, isReason := got.Reason()
		// (At checking and blocked a yes only looks the account up again:
		// もう一度確認してもらえますか？ is one.)
		asks := strings.ContainsAny(s, "?？؟❓❔")
		if (got == IntentYes && step != StepChecking && step != StepBlocked || isReason) && asks {
			t.Fatalf("%s %q: a question read as %s", step, s, got)
		}
		if isReason && step != StepReason && step != StepReasonText {
			t.Fatalf("%s %q: a reason outside the reason steps", step, s)
		}
		switch step {
		case StepWarning, StepReason, StepReasonText, StepHelp, StepConfirm:
		default:
			if got == IntentYes {
				t.Fatalf("%s %q: yes where nothing is asked", step, s)
			}
		}
	})
}

// TestLexiconSpelling: a message is spelled in kanji where kanaToKanji
// says so before it is matched, so an entry spelled in those kana could
// never match; and no entry may fold to nothing.
func TestLexiconSpelling(t *testing.T) {
	check := func(w string) {
		f := foldWord(w)
		if f == "" {
			t.Errorf("%q folds to nothing", w)
		}
		if r := kanaToKanji.Replace(f); r != f {
			t.Errorf("%q can never match: messages are spelled %q", w, r)
		}
	}
	for _, src := range lexiconSource {
		for _, w := range src.words {
			check(w)
		}
	}
	for _, ws := range answerWords {
		for _, w := range ws {
			check(w.text)
		}
	}
}

// TestAQuestionPastWhatIsReadIsStillAQuestion: a message is read only so
// far (maxText bytes, 16 clauses), but a question mark after that still
// makes it a question, never a reason or a yes (found by FuzzUnderstand).
func TestAQuestionPastWhatIsReadIsStillAQuestion(t *testing.T) {
	long := strings.Repeat("使わなくなった", maxText/len("使わなくなった")+1) + "？"
	clauses := strings.Repeat("0!", 17) + "ui!0?"
	for _, s := range []string{long, clauses} {
		for _, step := range []Step{StepReason, StepReasonText, StepConfirm, StepWarning} {
			got := Understand(s, step)
			if _, isReason := got.Reason(); isReason || got == IntentYes {
				t.Errorf("%s %.40q…: %s; a question is never a reason or a yes", step, s, got)
			}
		}
	}
}
