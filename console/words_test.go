package console

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var verbRe = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

// verbs lists the arguments a format takes, as "d s".
func verbs(s string) string {
	var out []string
	for _, v := range verbRe.FindAllString(s, -1) {
		if v != "%%" {
			out = append(out, v[len(v)-1:])
		}
	}
	return strings.Join(out, " ")
}

// checkWords checks every language's words: each field written, each map
// with the same keys, each format taking the same arguments.
func checkWords(t *testing.T, langs ...words) {
	t.Helper()
	seen := map[string]string{}
	for _, w := range langs {
		v := reflect.ValueOf(w)
		for i := 0; i < v.NumField(); i++ {
			name, f := v.Type().Field(i).Name, v.Field(i)
			check := func(where, s string) {
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s: %s is empty", w.Lang, where)
				}
				if prev, ok := seen[where]; ok && prev != verbs(s) {
					t.Errorf("%s: %s takes %q; another language takes %q", w.Lang, where, verbs(s), prev)
				}
				seen[where] = verbs(s)
			}
			switch f.Kind() {
			case reflect.String:
				check(name, f.String())
			case reflect.Array:
				for j := 0; j < f.Len(); j++ {
					check(fmt.Sprintf("%s[%d]", name, j), f.Index(j).String())
				}
			case reflect.Map:
				var keys []string
				for _, k := range f.MapKeys() {
					keys = append(keys, fmt.Sprint(k.Interface()))
					check(name+"["+fmt.Sprint(k.Interface())+"]", f.MapIndex(k).String())
				}
				slices.Sort(keys)
				k := strings.Join(keys, ",")
				if prev, ok := seen[name+" keys"]; ok && prev != k {
					t.Errorf("%s: %s has keys %s; another language %s", w.Lang, name, k, prev)
				}
				seen[name+" keys"] = k
			default:
				t.Errorf("words field %s is a %s: teach this test to check it", name, f.Kind())
			}
		}
	}
}
