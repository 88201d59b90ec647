package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestIntent runs `taikai intent` as a user would: texts on stdin, one
// JSON object per line out, in order.
func TestIntent(t *testing.T) {
	in := strings.NewReader("退会したい\nやっぱりやめます\r\nはい？\n\n再登録できますか？\nhai\n")
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"taikai", "intent", "-step", "confirm", "-lang", "ja"}, env(nil), in, &out, &errs); err != nil {
		t.Fatalf("intent: %v (stderr %q)", err, errs.String())
	}
	want := []reading{
		{"退会したい", "confirm", "start"},
		{"やっぱりやめます", "confirm", "cancel"},
		{"はい？", "confirm", "unknown"},
		{"", "confirm", "unknown"},
		{"再登録できますか？", "confirm", "faq:reregister"},
		{"hai", "confirm", "yes"},
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, l := range lines {
		var got reading
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatalf("line %d %q: %v", i+1, l, err)
		}
		if got != want[i] {
			t.Errorf("line %d: got %+v, want %+v", i+1, got, want[i])
		}
	}
	if !strings.Contains(lines[0], `"text":"退会したい"`) {
		t.Errorf("Japanese is escaped: %s", lines[0])
	}
}

// TestIntentDefaults: the step defaults to idle and no language hint.
func TestIntentDefaults(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"taikai", "intent"}, env(nil), strings.NewReader("やめたい\nhai\n"), &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	want := `{"text":"やめたい","step":"idle","intent":"start"}` + "\n" + `{"text":"hai","step":"idle","intent":"unknown"}` + "\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

// TestIntentRejects: a wrong step, language or argument is a usage error
// (exit code 2), and nothing is printed on stdout.
func TestIntentRejects(t *testing.T) {
	for _, args := range [][]string{
		{"-step", "lobby"},
		{"-lang", "fr"},
		{"-nope"},
		{"退会したい"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"taikai", "intent"}, args...), env(nil), strings.NewReader("はい\n"), &out, &bytes.Buffer{})
		var ce *configError
		if !errors.As(err, &ce) {
			t.Errorf("%v: err %v; want a usage error", args, err)
		}
		if out.Len() != 0 {
			t.Errorf("%v: printed %q", args, out.String())
		}
	}
}
