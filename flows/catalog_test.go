package flows

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/taikaibot/taikai"
)

// TestCatalogsAreComplete checks what the compiler cannot: every line of
// every catalog is written, every map covers all its keys, and each line
// takes the same arguments in every language (so no "%!s(MISSING)" ever
// reaches a user).
func TestCatalogsAreComplete(t *testing.T) {
	var acts []action
	for a := range actions {
		if a != actReason { // reason buttons are labelled by the reasons map
			acts = append(acts, a)
		}
	}
	want := map[string][]string{
		"remind":       names(append(slices.Clone(Steps), StepFiled)),
		"faq":          names(Topics),
		"faqShort":     names(Topics),
		"labels":       names(acts),
		"reasons":      names(taikai.Reasons),
		"stepNames":    names(append(slices.Clone(Steps), StepFiled)),
		"eventNames":   names(Transitions),
		"outcomeNames": names(taikai.Outcomes),
		"blockerNames": names(taikai.BlockerKinds),
	}
	// LINE's limit: a quick reply's label 20 characters (a Flex button's is 40).
	for lang, c := range catalogs {
		short := []string{c.linkButton, c.openOrder}
		for _, l := range c.labels {
			short = append(short, l)
		}
		for _, l := range c.reasons {
			short = append(short, l)
		}
		for _, l := range short {
			if n := utf8.RuneCountInString(l); n > 20 {
				t.Errorf("%s: label %q is %d characters; LINE shows 20", lang, l, n)
			}
		}
	}
	if len(catalogs) != 2 {
		t.Errorf("%d catalogs; want ja and en", len(catalogs))
	}
	verbs := map[string]string{}
	for lang, c := range catalogs {
		v := reflect.ValueOf(*c)
		for i := 0; i < v.NumField(); i++ {
			name, f := v.Type().Field(i).Name, v.Field(i)
			check := func(where, s string) {
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s: %s is empty", lang, where)
				}
				vs := formatVerbs(s)
				if prev, ok := verbs[where]; ok && prev != vs {
					t.Errorf("%s: %s takes %s; another language takes %s", lang, where, vs, prev)
				}
				verbs[where] = vs
			}
			switch f.Kind() {
			case reflect.String:
				check(name, f.String())
			case reflect.Array:
				for j := 0; j < f.Len(); j++ {
					check(fmt.Sprintf("%s[%d]", name, j), f.Index(j).String())
				}
			case reflect.Map:
				keys, ok := want[name]
				if !ok {
					t.Errorf("no keys known for map %s: add them to this test", name)
					continue
				}
				if f.Len() != len(keys) {
					t.Errorf("%s: %s has %d entries; want %d (%v)", lang, name, f.Len(), len(keys), keys)
				}
				for _, k := range keys {
					e := f.MapIndex(reflect.ValueOf(k).Convert(f.Type().Key()))
					if !e.IsValid() {
						t.Errorf("%s: %s lacks %q", lang, name, k)
						continue
					}
					check(name+"["+k+"]", e.String())
				}
			default:
				t.Errorf("catalog field %s is a %s: teach this test to check it", name, f.Kind())
			}
		}
	}
}

func names[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// formatVerbs lists the arguments a format string takes, as "1:s 2:d",
// resolving explicit indexes ("%[2]s") so that languages may order them
// differently.
func formatVerbs(s string) string {
	var args []string
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		i++
		if i < len(s) && s[i] == '%' {
			continue
		}
		if i < len(s) && s[i] == '[' {
			j := strings.IndexByte(s[i:], ']')
			n, _ = strconv.Atoi(s[i+1 : i+j])
			n--
			i += j + 1
		}
		for i < len(s) && strings.IndexByte("+-# 0123456789.", s[i]) >= 0 {
			i++
		}
		if i < len(s) {
			n++
			args = append(args, fmt.Sprintf("%d:%c", n, s[i]))
		}
	}
	slices.Sort(args)
	return strings.Join(slices.Compact(args), " ")
}

func TestFormatVerbs(t *testing.T) {
	for in, want := range map[string]string{
		"no verbs":               "",
		"%sさん、%d件":               "1:s 2:d",
		"%[2]s of %[1]s, %[3]d":  "1:s 2:s 3:d",
		"100%% %s":               "1:s",
		"%02d:%s":                "1:d 2:s",
		"%[1]s（%[2]s）%[1]s":      "1:s 2:s",
		"“%s” (order %s, by %s)": "1:s 2:s 3:s",
	} {
		if got := formatVerbs(in); got != want {
			t.Errorf("formatVerbs(%q) = %q; want %q", in, got, want)
		}
	}
}

var englishStatus = &taikai.Status{
	AccountID: "acc_en", DisplayName: "Emma Wilson", Rating: taikai.Rating{Average: 4.2, Count: 1}, CompletedOrders: 1,
	PurchasesInProgress:   []taikai.Order{{OrderID: "o-1", Title: "Logo design", Counterparty: "Studio A", Status: taikai.OrderDelivered, URL: "https://m.example/o-1"}},
	SalesAwaitingDelivery: []taikai.Order{{OrderID: "o-2", Title: "Translation", Counterparty: "Ken"}},
	PayoutsInProgress:     []taikai.Payout{{PayoutID: "p-1", AmountJPY: 45800, RequestedAt: "2026-11-21", ExpectedAt: "2026-11-30"}},
	SalesBalanceJPY:       1200,
}

// TestEveryStepSpeaksBothLanguages shows every step, in full and in one
// line, in each language: none may lack copy, and the English one may hold
// no Japanese (the account's data is English here).
func TestEveryStepSpeaksBothLanguages(t *testing.T) {
	for _, lang := range []Lang{LangJa, LangEn} {
		for _, step := range append(slices.Clone(Steps), StepFiled) {
			for _, reason := range taikai.Reasons {
				s := State{Step: step, Conv: "c1", Seq: 3, AccountID: "acc_en", Status: englishStatus, Lang: lang, Reason: reason, Updated: t0}
				if step == StepFiled {
					s = State{Step: StepIdle, Lang: lang, Filed: &Filed{ID: "wd-1", At: t0}}
				}
				e := env(t0)
				for _, show := range []func(*turn){(*turn).view, (*turn).remind} {
					tt := &turn{s: s, env: e, c: catalogFor(lang)}
					show(tt)
					var texts []string
					for _, r := range tt.out.Replies {
						texts = append(texts, r.Text)
						for _, c := range r.Choices {
							texts = append(texts, c.Label)
						}
						for _, c := range r.Cards {
							texts = append(append(texts, c.Title, c.Text), c.Lines...)
							if c.Note != "" {
								texts = append(texts, c.Note)
							}
						}
					}
					if len(tt.out.Replies) == 0 && tt.out.Effect == nil {
						t.Errorf("%s %s: nothing shown", lang, step)
					}
					for _, x := range texts {
						if strings.TrimSpace(x) == "" {
							t.Errorf("%s %s: empty text", lang, step)
						}
						if lang == LangEn && hasKana(x) {
							t.Errorf("en %s: Japanese in %q", step, x)
						}
						if lang == LangJa && strings.Contains(x, "下のボタン") {
							t.Errorf("ja %s: %q points at buttons LINE for PC does not show", step, x)
						}
					}
				}
			}
		}
	}
}

func hasKana(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Hiragana, unicode.Katakana) && r != 'ー' {
			return true
		}
	}
	return false
}

func TestStarsNeverRoundUp(t *testing.T) {
	for in, want := range map[float64]string{
		4.0: "4.0", 3.96: "3.9", 3.999: "3.9", 4.1: "4.1", 3.1: "3.1", 4.05: "4.0", 4.8: "4.8", 5: "5.0", 0.3: "0.3", 4.25: "4.2",
	} {
		if got := stars(in); got != want {
			t.Errorf("stars(%v) = %q; want %q", in, got, want)
		}
	}
}

func TestAmountsAndDatesFollowTheCatalog(t *testing.T) {
	for _, tc := range []struct {
		c          *catalog
		yen, date  string
		rating, at string
	}{
		{&ja, "-1,234,567円", "2026年11月30日", "★3.9・8件", "2026年11月26日 13:05"},
		{&en, "¥-1,234,567", "30 November 2026", "★3.9 from 8 ratings", "26 November 2026, 13:05 Japan time"},
	} {
		if got := tc.c.yen(-1234567); got != tc.yen {
			t.Errorf("yen: %q; want %q", got, tc.yen)
		}
		if got := tc.c.date("2026-11-30"); got != tc.date {
			t.Errorf("date: %q; want %q", got, tc.date)
		}
		if got := tc.c.ratingLine(taikai.Rating{Average: 3.96, Count: 8}); got != tc.rating {
			t.Errorf("rating: %q; want %q", got, tc.rating)
		}
		if got := tc.c.when(t0.Add(18*time.Hour + 5*time.Minute)); got != tc.at {
			t.Errorf("time: %q; want %q", got, tc.at)
		}
	}
	if got := en.ratingLine(taikai.Rating{Average: 5, Count: 1}); got != "★5.0 from 1 rating" {
		t.Errorf("one rating: %q", got)
	}
}

// TestTransitionsAreListed: every Transition constant declared in the
// package is in Transitions (which the staff labels are checked against),
// once.
func TestTransitionsAreListed(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok || g.Tok != token.CONST {
					continue
				}
				for _, spec := range g.Specs {
					vs := spec.(*ast.ValueSpec)
					if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Transition" {
						for _, v := range vs.Values {
							if lit, ok := v.(*ast.BasicLit); ok {
								s, _ := strconv.Unquote(lit.Value)
								declared = append(declared, s)
							}
						}
					}
				}
			}
		}
	}
	listed := names(Transitions)
	slices.Sort(declared)
	sorted := slices.Clone(listed)
	slices.Sort(sorted)
	if len(declared) < 10 || !slices.Equal(declared, sorted) {
		t.Errorf("Transition constants %v; Transitions lists %v", declared, listed)
	}
}

func TestStaffLabelsComeFromTheCatalogs(t *testing.T) {
	ja, en := StaffLabels(LangJa), StaffLabels(LangEn)
	for _, tc := range []struct{ got, want string }{
		{ja.Step(StepBlocked), "対応が必要な項目あり"},
		{en.Event(EvHandedOff), "Asked for a person"},
		{ja.Outcome(taikai.OutcomeNotFound), "アカウントが見つからない"},
		{en.Blocker(taikai.BlockerPayout), "Payout in progress"},
		{ja.Reason(taikai.ReasonNotUsing), "使わなくなった"},
		{ja.Yen(45800), "45,800円"},
		{en.Date("2026-11-30"), "30 November 2026"},
		{StaffLabels("xx").Event("while_paused"), "while_paused"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q; want %q", tc.got, tc.want)
		}
	}
	if ja.Known("while_paused") || !ja.Known(EvFiled) {
		t.Error("Known does not tell the catalog's transitions from others")
	}
	b := BackChoice(LangJa)
	if b.Label != "ボットに戻る" || !IsBack(Input{Kind: InPostback, Data: b.Data}) || !IsBack(Input{Kind: InText, Text: "ボットに戻る"}) {
		t.Errorf("BackChoice %+v is not read back as the way back to the bot", b)
	}
	if IsBack(Input{Kind: InText, Text: "退会したい"}) {
		t.Error("IsBack takes any text for the way back")
	}
}
