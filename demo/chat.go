package demo

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/taikaibot/taikai/lineemu"
)

// Chat is a LINE chat in a terminal: the person types as the LINE user, sees
// the bot's messages with numbered buttons and presses one by typing its
// number. Lines starting with "/" are demo commands (/help lists them).
type Chat struct {
	Sys *System
	In  io.Reader
	Out io.Writer
	// Interactive: a person at a terminal (prompts, URLs); otherwise the
	// user's turns are read from In and echoed, so a run is a transcript.
	Interactive bool

	lines   *bufio.Scanner
	seen    int
	buttons []lineemu.Action   // the latest message set's buttons
	older   [][]lineemu.Action // earlier sets, newest last
	last    lineemu.Event
}

// w is the demo's own words, in the demo user's language.
func (c *Chat) w() *words { return wordsFor(c.Sys.Language) }

// Run chats until In ends or the user types /quit.
func (c *Chat) Run(ctx context.Context) error {
	c.lines = bufio.NewScanner(c.In)
	c.lines.Buffer(make([]byte, 64<<10), 1<<20)
	if c.Interactive {
		fmt.Fprintf(c.Out, c.w().intro, c.Sys.BotURL)
		fmt.Fprintf(c.Out, c.w().console, c.Sys.BotURL, ConsoleToken, c.Sys.BotURL, c.w().commands)
	}
	// The demo user adds the bot as a friend.
	if err := c.send(ctx, c.Sys.Emulator.Follow(User, false)); err != nil {
		return err
	}
	for {
		line, ok := c.read(c.w().you)
		if !ok {
			return nil
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue // a comment in a scripted conversation
		}
		if line == "/quit" {
			return nil
		}
		if err := c.turn(ctx, line); err != nil {
			return err
		}
	}
}

func (c *Chat) read(prompt string) (string, bool) {
	if c.Interactive {
		fmt.Fprint(c.Out, prompt)
	}
	if !c.lines.Scan() {
		return "", false
	}
	line := strings.TrimSpace(c.lines.Text())
	if !c.Interactive && line != "" && !strings.HasPrefix(line, "#") {
		fmt.Fprintf(c.Out, "%s%s\n", prompt, line)
	}
	return line, true
}

func (c *Chat) turn(ctx context.Context, line string) error {
	emu := c.Sys.Emulator
	cmd, arg, _ := strings.Cut(line, " ")
	switch cmd {
	case "/help":
		fmt.Fprintln(c.Out, c.w().commands)
		return nil
	case "/sticker":
		return c.send(ctx, emu.Sticker(User))
	case "/image":
		return c.send(ctx, emu.Image(User))
	case "/impostor":
		// The next account link is opened by another LINE user: LINE refuses it.
		emu.LinkAs(User, "U00000000000000000000000000000bad")
		fmt.Fprintln(c.Out, c.w().impostor)
		return nil
	case "/linkfailed":
		// LINE refused a link; this shape of the event names the user (and,
		// like every failed link, carries no reply token).
		ev := emu.AccountLink(User, "nonce-refused-0000", false)
		ev["source"] = map[string]any{"type": "user", "userId": User}
		return c.send(ctx, ev)
	case "/linknonce":
		if len(arg) < 10 {
			fmt.Fprintln(c.Out, c.w().nonceExample)
			return nil
		}
		return c.send(ctx, emu.AccountLink(User, arg, true))
	case "/block":
		return c.send(ctx, emu.Unfollow(User))
	case "/unblock":
		return c.send(ctx, emu.Follow(User, true))
	case "/redeliver":
		if c.last == nil {
			return nil
		}
		return c.send(ctx, lineemu.Redelivered(c.last))
	case "/wait":
		d, err := parseWait(arg)
		if err != nil {
			fmt.Fprintln(c.Out, c.w().waitExample)
			return nil
		}
		c.Sys.Clock.Advance(d)
		shown := d.String()
		if strings.Contains(arg, "d") {
			shown = arg // days read better as given
		}
		fmt.Fprintf(c.Out, c.w().later, shown)
		// Reminders that came due meanwhile go out now, as the replicas'
		// pollers would send them within seconds.
		if err := c.Sys.Remind(ctx); err != nil {
			return err
		}
		return c.settle()
	case "/late":
		c.Sys.Sandbox.DelayPayouts()
		fmt.Fprintln(c.Out, c.w().late)
		return nil
	case "/old":
		if len(c.older) == 0 {
			fmt.Fprintln(c.Out, c.w().noOld)
			return nil
		}
		return c.press(ctx, c.older[len(c.older)-1], arg, 1)
	case "/double":
		return c.press(ctx, c.buttons, arg, 2)
	}
	if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(c.buttons) {
		return c.press(ctx, c.buttons, line, 1)
	}
	return c.send(ctx, emu.Text(User, line))
}

// parseWait reads a /wait duration: Go's (25h, 90m), or days first (5d,
// 1d12h).
func parseWait(s string) (time.Duration, error) {
	days, rest, ok := strings.Cut(s, "d")
	if !ok {
		return time.ParseDuration(s)
	}
	n, err := strconv.Atoi(days)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("demo: %q is no duration", s)
	}
	d := time.Duration(n) * 24 * time.Hour
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil {
			return 0, err
		}
		d += r
	}
	return d, nil
}

// press presses button number arg of set, times times in quick succession.
func (c *Chat) press(ctx context.Context, set []lineemu.Action, arg string, times int) error {
	n, err := strconv.Atoi(arg)
	if err != nil || n < 1 || n > len(set) {
		fmt.Fprintln(c.Out, c.w().noButton)
		return nil
	}
	a := set[n-1]
	if a.Type == "uri" {
		return c.openLink(ctx, a.URI)
	}
	shown := a.DisplayText
	if shown == "" {
		shown = a.Label
	}
	fmt.Fprintf(c.Out, c.w().button, shown)
	var evs []lineemu.Event
	for i := 0; i < times; i++ {
		evs = append(evs, c.Sys.Emulator.Postback(User, a.Data))
	}
	// Each press is its own webhook, as on LINE.
	for _, ev := range evs {
		if err := c.post(ctx, ev); err != nil {
			return err
		}
	}
	return c.settle()
}

func (c *Chat) send(ctx context.Context, ev lineemu.Event) error {
	if err := c.post(ctx, ev); err != nil {
		return err
	}
	return c.settle()
}

func (c *Chat) post(ctx context.Context, ev lineemu.Event) error {
	c.last = ev
	code, err := c.Sys.Emulator.Send(ctx, ev)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		fmt.Fprintf(c.Out, c.w().webhookStatus, code)
	}
	return nil
}

// settle waits for the bot to finish and shows what it sent.
func (c *Chat) settle() error {
	c.Sys.Wait()
	msgs := c.Sys.Emulator.Messages(User)
	fresh := msgs[c.seen:]
	c.seen = len(msgs)
	if len(fresh) == 0 {
		return nil
	}
	if len(c.buttons) > 0 {
		c.older = append(c.older, c.buttons)
	}
	c.buttons = nil
	for _, m := range fresh {
		text, pressable := m.Shown(), m.Buttons()
		if m.Contents != nil && m.Contents.Type == "carousel" {
			text, pressable = c.carousel(m)
		}
		for i, l := range strings.Split(text, "\n") {
			switch {
			case i == 0:
				fmt.Fprintf(c.Out, "bot> %s\n", l)
			case l == "":
				fmt.Fprintln(c.Out)
			default:
				fmt.Fprintf(c.Out, "     %s\n", l)
			}
		}
		var labels []string
		for _, a := range pressable {
			c.buttons = append(c.buttons, a)
			l := fmt.Sprintf("[%d] %s", len(c.buttons), a.Label)
			if a.Type == "uri" {
				l += c.w().link
			}
			labels = append(labels, l)
		}
		if len(labels) > 0 {
			fmt.Fprintf(c.Out, "     %s\n", strings.Join(labels, "  "))
		}
	}
	for _, v := range c.Sys.Emulator.Violations() {
		fmt.Fprintf(c.Out, c.w().ruleBroken, v)
	}
	return nil
}

// carousel shows a carousel's bubbles one after another, each starting
// with ■, and what can be pressed: a link in a bubble is shown with its
// URL rather than numbered (it opens a web page the demo cannot show), so
// that the numbers stay those of the choices.
func (c *Chat) carousel(m lineemu.Message) (string, []lineemu.Action) {
	var parts []string
	var inside, pressable []lineemu.Action
	for i := range m.Contents.Contents {
		b := &m.Contents.Contents[i]
		lines := b.Texts()
		if len(lines) > 0 {
			lines[0] = "■ " + lines[0]
		}
		for _, a := range b.Actions() {
			inside = append(inside, a)
			if a.Type == "uri" {
				lines = append(lines, a.Label+c.w().link+": "+a.URI)
				continue
			}
			pressable = append(pressable, a)
		}
		parts = append(parts, strings.Join(lines, "\n"))
	}
	for _, a := range m.Buttons()[len(inside):] {
		pressable = append(pressable, a)
	}
	return strings.Join(parts, "\n\n"), pressable
}

// pageText is the heading and the first paragraph of an HTML page, as text.
func pageText(page string) string {
	var parts []string
	for _, re := range []*regexp.Regexp{pageHeading, pageParagraph} {
		if m := re.FindStringSubmatch(page); m != nil {
			parts = append(parts, html.UnescapeString(m[1]))
		}
	}
	return strings.Join(parts, ": ")
}

var (
	pageHeading   = regexp.MustCompile(`<h1>([^<]*)</h1>`)
	pageParagraph = regexp.MustCompile(`<p>([^<]*)</p>`)
)

var accountButton = regexp.MustCompile(`<button type="submit" name="account" value="([^"]+)">([^<]+)</button>`)

// openLink follows the account-link button: it opens the marketplace's link
// page, lets the person pick an account to log in as, and follows the
// redirect to LINE's account-link dialog, which sends the accountLink event.
func (c *Chat) openLink(ctx context.Context, link string) error {
	if c.Interactive {
		fmt.Fprintf(c.Out, c.w().opening, link)
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	res, err := hc.Get(link)
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	found := accountButton.FindAllStringSubmatch(string(page), -1)
	if len(found) == 0 {
		fmt.Fprintln(c.Out, c.w().noLoginPage)
		return nil
	}
	fmt.Fprintln(c.Out, c.w().loginPage)
	for i, f := range found {
		fmt.Fprintf(c.Out, c.w().account, i+1, html.UnescapeString(f[2]), f[1])
	}
	for {
		line, ok := c.read(c.w().number)
		if !ok {
			return nil
		}
		if line == "/cancel" {
			fmt.Fprintln(c.Out, c.w().cancelled)
			return nil
		}
		n, err := strconv.Atoi(line)
		for i, f := range found {
			if line == f[1] { // an account id works too
				n, err = i+1, nil
			}
		}
		if err != nil || n < 1 || n > len(found) {
			fmt.Fprintln(c.Out, c.w().pickNumber)
			continue
		}
		u, _ := url.Parse(link)
		form := url.Values{"linkToken": {u.Query().Get("linkToken")}, "account": {found[n-1][1]}}
		res, err := hc.PostForm(link, form)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			// What the page says (how to get a new link), as a user would read it.
			fmt.Fprintf(c.Out, c.w().linkPageStatus, res.StatusCode, pageText(string(body)))
		}
		return c.settle()
	}
}
