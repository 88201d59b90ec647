package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/taikaibot/taikai/flows"
)

// reading is one line of `taikai intent`'s output.
type reading struct {
	Text   string       `json:"text"`
	Step   flows.Step   `json:"step"`
	Intent flows.Intent `json:"intent"`
}

// intent reads one text per line and prints how the bot reads each at the
// given step, as one JSON object per line: operators use it to see why a
// message was understood as it was.
func intent(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	steps := flows.UnderstoodSteps()
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = string(s)
	}
	fs := flag.NewFlagSet("intent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stepFlag := fs.String("step", string(flows.StepIdle), "the step the texts answer: "+strings.Join(names, ", "))
	langFlag := fs.String("lang", "", "the language the user is spoken to in, ja or en: a hint for romaji yes/no (hai, iie); unset, they are unknown")
	if err := fs.Parse(args); err != nil {
		return configErrorf("intent: %v", err)
	}
	if fs.NArg() > 0 {
		return configErrorf("intent: unexpected argument %q (texts are read from standard input)", fs.Arg(0))
	}
	step := flows.Step(*stepFlag)
	known := false
	for _, s := range steps {
		known = known || s == step
	}
	if !known {
		return configErrorf("intent: unknown step %q (want one of %s)", step, strings.Join(names, ", "))
	}
	lang := flows.Lang(*langFlag)
	if lang != "" && lang != flows.LangJa && lang != flows.LangEn {
		return configErrorf("intent: unknown language %q (want ja or en)", lang)
	}
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for sc.Scan() {
		text := strings.TrimSuffix(sc.Text(), "\r")
		if err := enc.Encode(reading{Text: text, Step: step, Intent: flows.UnderstandIn(text, step, lang)}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("intent: reading standard input: %w", err)
	}
	return w.Flush()
}
