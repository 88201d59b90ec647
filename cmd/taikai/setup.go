package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/taikaibot/taikai/richmenu"
)

// menuPrefix starts the name of every rich menu setup makes: that is how it
// knows its own menus from those someone else made.
const menuPrefix = "taikai richmenu "

// lineClients are the Messaging API's clients: api.line.me, and
// api-data.line.me for the rich menu image.
type lineClients struct {
	api  *messaging_api.MessagingApiAPI
	blob *messaging_api.MessagingApiBlobAPI
	base string
}

// lineURLs returns the Messaging API's base URL and its data API's (where
// images are uploaded): LINE_API_BASE_URL (default https://api.line.me) and
// LINE_DATA_API_BASE_URL, which defaults to https://api-data.line.me with
// LINE's own API and to LINE_API_BASE_URL otherwise (the emulator serves
// both).
func lineURLs(getenv func(string) string) (api, data string, ps problems) {
	api, data = strings.TrimRight(getenv("LINE_API_BASE_URL"), "/"), strings.TrimRight(getenv("LINE_DATA_API_BASE_URL"), "/")
	if api == "" {
		api = "https://api.line.me"
	}
	if data == "" {
		data = api
		if api == "https://api.line.me" {
			data = "https://api-data.line.me"
		}
	}
	for _, u := range []struct{ name, val string }{{"LINE_API_BASE_URL", api}, {"LINE_DATA_API_BASE_URL", data}} {
		if !httpURL(u.val) {
			ps.add(u.name, "%s=%q is not an http(s) URL", u.name, redactURL(u.val))
		}
	}
	return api, data, ps
}

func newLineClients(token, api, data string, timeout time.Duration) (*lineClients, error) {
	hc := &http.Client{Timeout: timeout}
	a, err := messaging_api.NewMessagingApiAPI(token, messaging_api.WithEndpoint(api), messaging_api.WithHTTPClient(hc))
	if err != nil {
		return nil, err
	}
	b, err := messaging_api.NewMessagingApiBlobAPI(token, messaging_api.WithBlobEndpoint(data), messaging_api.WithBlobHTTPClient(hc))
	if err != nil {
		return nil, err
	}
	return &lineClients{api: a, blob: b, base: api}, nil
}

// lineError says what a failed Messaging API call means, from its status.
func lineError(call string, res *http.Response, err error) error {
	if res == nil {
		return fmt.Errorf("%s: no answer: %v", call, err)
	}
	switch res.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Errorf("%s: 401: LINE did not accept LINE_CHANNEL_ACCESS_TOKEN (wrong, revoked or expired)", call)
	case http.StatusTooManyRequests:
		return fmt.Errorf("%s: 429: over LINE's rate limit; try again later", call)
	}
	var e messaging_api.ErrorResponse
	if b, rerr := io.ReadAll(res.Body); rerr == nil && json.Unmarshal(b, &e) == nil && e.Message != "" {
		msg := e.Message
		for _, d := range e.Details {
			msg += fmt.Sprintf("; %s: %s", d.Property, d.Message)
		}
		return fmt.Errorf("%s: %d: %s", call, res.StatusCode, msg)
	}
	return fmt.Errorf("%s: %d", call, res.StatusCode)
}

// wantedMenu is the rich menu setup keeps: the richmenu package's image and
// areas, named after a hash of both, so that a changed image or area makes a
// new menu and an unchanged one is recognised.
type wantedMenu struct {
	req   messaging_api.RichMenuRequest
	image []byte
	areas []richmenu.Area
}

// renderMenu draws the rich menu once per process: the image never changes
// within one, and drawing it takes about half a second (tests run setup
// many times).
var renderMenu = sync.OnceValues(func() (renderedMenu, error) {
	img, areas, err := richmenu.Render()
	return renderedMenu{img, areas}, err
})

type renderedMenu struct {
	png   []byte
	areas []richmenu.Area
}

func newWantedMenu() (*wantedMenu, error) {
	r, err := renderMenu()
	img, areas := r.png, r.areas
	if err != nil {
		return nil, fmt.Errorf("rich menu image: %w", err)
	}
	req := messaging_api.RichMenuRequest{
		Size:        &messaging_api.RichMenuSize{Width: richmenu.Width, Height: richmenu.Height},
		Selected:    true,
		ChatBarText: richmenu.ChatBarText,
	}
	for _, a := range areas {
		b := a.Bounds
		req.Areas = append(req.Areas, messaging_api.RichMenuArea{
			Bounds: &messaging_api.RichMenuBounds{X: int64(b.Min.X), Y: int64(b.Min.Y), Width: int64(b.Dx()), Height: int64(b.Dy())},
			// displayText shows the tap in the chat as the user's message.
			Action: &messaging_api.PostbackAction{Label: a.Label, Data: a.Data, DisplayText: a.Label},
		})
	}
	def, err := json.Marshal(&req)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write(def)
	h.Write(img)
	req.Name = menuPrefix + hex.EncodeToString(h.Sum(nil))[:12]
	return &wantedMenu{req: req, image: img, areas: areas}, nil
}

func (m *wantedMenu) describe() string {
	var as []string
	for _, a := range m.areas {
		as = append(as, fmt.Sprintf("「%s」 → postback %s", a.Label, a.Data))
	}
	return fmt.Sprintf("%q, %d×%d, chat bar %q, %s; image PNG, %d KB", m.req.Name, m.req.Size.Width, m.req.Size.Height,
		m.req.ChatBarText, strings.Join(as, ", "), (len(m.image)+1023)/1024)
}

// setup shows what it would change in the LINE channel and, with -apply,
// changes it: the webhook endpoint (set, then tested) and the rich menu
// (created with its image and made the default; the menus it made before
// deleted). It changes nothing that is already as wanted, so a second run
// does nothing.
func setup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	apply := fs.Bool("apply", false, "make the changes (without it, setup only shows them)")
	hookURL := fs.String("webhook-url", "", "the bot's webhook endpoint, https://<host>/callback")
	if err := fs.Parse(args); err != nil {
		return configErrorf("setup: %v", err)
	}
	var ps problems
	token := getenv("LINE_CHANNEL_ACCESS_TOKEN")
	if token == "" {
		ps.add("LINE_CHANNEL_ACCESS_TOKEN", "LINE_CHANNEL_ACCESS_TOKEN is not set")
	}
	api, data, ups := lineURLs(getenv)
	ps = append(ps, ups...)
	if u := *hookURL; u != "" && (!httpURL(u) || len(u) > 500) {
		ps.add("-webhook-url", "-webhook-url %q is not an http(s) URL of at most 500 characters", u)
	} else if strings.HasPrefix(u, "http:") && api == "https://api.line.me" {
		ps.add("-webhook-url", "-webhook-url %q: LINE takes only HTTPS endpoints (with a certificate from a public CA)", u)
	}
	if err := ps.err(); err != nil {
		return err
	}
	lc, err := newLineClients(token, api, data, 15*time.Second)
	if err != nil {
		return err
	}
	menu, err := newWantedMenu()
	if err != nil {
		return err
	}
	s := &setupRun{lc: lc, out: stdout, apply: *apply}
	return s.run(*hookURL, menu)
}

type setupRun struct {
	lc      *lineClients
	out     io.Writer
	apply   bool
	changes int // changes shown (dry run) or made
}

func (s *setupRun) printf(format string, args ...any) { fmt.Fprintf(s.out, format+"\n", args...) }

func (s *setupRun) run(hookURL string, menu *wantedMenu) error {
	api := s.lc.api
	s.printf("LINE channel (%s)", s.lc.base)
	res, info, err := api.GetBotInfoWithHttpInfo()
	if err != nil {
		return lineError("GET /v2/bot/info", res, err)
	}
	chat := "off (bot only)"
	if info.ChatMode == messaging_api.BotInfoResponseCHAT_MODE_CHAT {
		chat = "on (staff can answer in LINE Official Account Manager)"
	}
	s.printf("  bot:           %s (%s), user id %s", info.DisplayName, info.BasicId, info.UserId)
	s.printf("  chat:          %s; mark as read: %s", chat, info.MarkAsReadMode)

	if err := s.webhook(hookURL); err != nil {
		return err
	}
	if err := s.richMenu(menu); err != nil {
		return err
	}

	s.printf("By hand, once (the Messaging API can neither read nor set these):")
	s.printf("  - LINE Developers console → Messaging API → Webhook redelivery: on. Whether it is on cannot be read through the API.")
	s.printf("  - LINE Official Account Manager → 応答設定: Greeting message off, Auto-response off, Webhook on (docs/operating.md).")
	switch {
	case s.changes == 0:
		s.printf("Nothing to change.")
	case !s.apply:
		s.printf("%d change(s) to make: run again with -apply to make them.", s.changes)
	default:
		s.printf("Done: %d change(s) made.", s.changes)
	}
	return nil
}

// webhook reports the webhook endpoint and sets it to want (if given and
// different); with -apply it then tests it, as LINE Developers console's
// Verify button does.
func (s *setupRun) webhook(want string) error {
	api := s.lc.api
	s.printf("Webhook")
	res, cur, err := api.GetWebhookEndpointWithHttpInfo()
	current, active := "", false
	switch {
	case err == nil:
		current, active = cur.Endpoint, cur.Active
	case res != nil && res.StatusCode == http.StatusNotFound:
	default:
		return lineError("GET /v2/bot/channel/webhook/endpoint", res, err)
	}
	shown := current
	if shown == "" {
		shown = "(none)"
	}
	switch {
	case want == "":
		s.printf("  endpoint:      %s (give -webhook-url to set it)", shown)
	case want == current:
		s.printf("  endpoint:      %s (as wanted)", shown)
	default:
		s.changes++
		if !s.apply {
			s.printf("  endpoint:      %s → %s (would set)", shown, want)
		} else {
			if res, _, err := api.SetWebhookEndpointWithHttpInfo(&messaging_api.SetWebhookEndpointRequest{Endpoint: want}); err != nil {
				return lineError("PUT /v2/bot/channel/webhook/endpoint", res, err)
			}
			s.printf("  endpoint:      %s → %s (set; LINE may take a minute to use it)", shown, want)
			// Whether "Use webhook" is on is known once there is an endpoint.
			if res, cur, err := api.GetWebhookEndpointWithHttpInfo(); err == nil {
				active = cur.Active
			} else {
				return lineError("GET /v2/bot/channel/webhook/endpoint", res, err)
			}
		}
		current = want
	}
	switch {
	case current == "" || shown == "(none)" && !s.apply: // not known before there is an endpoint
	case active:
		s.printf("  Use webhook:   on")
	default:
		s.printf("  Use webhook:   off: turn it on in LINE Developers console → Messaging API (the API cannot)")
	}
	if !s.apply || current == "" {
		return nil
	}
	// The test sends a signed body without events; the bot must answer 200.
	res, t, err := api.TestWebhookEndpointWithHttpInfo(&messaging_api.TestWebhookEndpointRequest{})
	if err != nil {
		return lineError("POST /v2/bot/channel/webhook/test", res, err)
	}
	if !t.Success {
		hint := ""
		if t.StatusCode == http.StatusBadRequest {
			hint = " (a 400 from the bot: is its LINE_CHANNEL_SECRET this channel's?)"
		}
		return fmt.Errorf("webhook test failed: %s, %s, status %d%s", t.Reason, t.Detail, t.StatusCode, hint)
	}
	s.printf("  test:          ok, the bot answered %d", t.StatusCode)
	return nil
}

// richMenu keeps the wanted menu as the default: created (with its image)
// unless a complete one of the same name exists, made the default, and the
// menus setup made before deleted once it is.
func (s *setupRun) richMenu(menu *wantedMenu) error {
	api := s.lc.api
	s.printf("Rich menu")
	s.printf("  wanted:        %s", menu.describe())
	res, list, err := api.GetRichMenuListWithHttpInfo()
	if err != nil {
		return lineError("GET /v2/bot/richmenu/list", res, err)
	}
	defID := ""
	res, def, err := api.GetDefaultRichMenuIdWithHttpInfo()
	switch {
	case err == nil:
		defID = def.RichMenuId
	case res != nil && res.StatusCode == http.StatusNotFound:
	case res != nil && res.StatusCode == http.StatusForbidden:
		s.printf("  note:          the default menu was set in LINE Official Account Manager; the one set here takes priority")
	default:
		return lineError("GET /v2/bot/user/all/richmenu", res, err)
	}

	var keep string
	var old, others []messaging_api.RichMenuResponse
	for _, m := range list.Richmenus {
		if !strings.HasPrefix(m.Name, menuPrefix) {
			others = append(others, m)
			continue
		}
		if m.Name == menu.req.Name && keep == "" {
			complete, err := s.hasImage(m.RichMenuId)
			if err != nil {
				return err
			}
			if complete {
				keep = m.RichMenuId
				continue
			}
		}
		// An older version, a duplicate, or one left without its image by
		// an interrupted run.
		old = append(old, m)
	}
	created := false
	if keep == "" {
		s.changes++
		created = true
		if !s.apply {
			s.printf("  would create it, upload its image and make it the default")
		} else {
			res, created, err := api.CreateRichMenuWithHttpInfo(&menu.req)
			if err != nil {
				return lineError("POST /v2/bot/richmenu", res, err)
			}
			keep = created.RichMenuId
			if res, _, err := s.lc.blob.SetRichMenuImageWithHttpInfo(keep, "image/png", bytes.NewReader(menu.image)); err != nil {
				return lineError("POST /v2/bot/richmenu/{id}/content", res, err)
			}
			s.printf("  created:       %s, with its image", keep)
		}
	}
	if keep != "" && keep != defID {
		if !created {
			s.changes++
		}
		if !s.apply {
			s.printf("  would make %s the default", keep)
		} else {
			if res, _, err := api.SetDefaultRichMenuWithHttpInfo(keep); err != nil {
				return lineError("POST /v2/bot/user/all/richmenu/{id}", res, err)
			}
			s.printf("  default:       %s", keep)
		}
	} else if keep != "" {
		s.printf("  default:       %s (as wanted)", keep)
	}
	for _, m := range old {
		s.changes++
		if !s.apply {
			s.printf("  would delete:  %s %q (made by an earlier setup)", m.RichMenuId, m.Name)
			continue
		}
		if res, _, err := api.DeleteRichMenuWithHttpInfo(m.RichMenuId); err != nil && (res == nil || res.StatusCode != http.StatusNotFound) {
			return lineError("DELETE /v2/bot/richmenu/{id}", res, err)
		}
		s.printf("  deleted:       %s %q (made by an earlier setup)", m.RichMenuId, m.Name)
	}
	for _, m := range others {
		s.printf("  left alone:    %s %q (not made by taikai setup)", m.RichMenuId, m.Name)
	}
	return nil
}

// hasImage reports whether a rich menu has its image (a run interrupted
// between creating a menu and uploading its image leaves one without).
func (s *setupRun) hasImage(id string) (bool, error) {
	res, _, err := s.lc.blob.GetRichMenuImageWithHttpInfo(id)
	if res != nil {
		defer res.Body.Close()
	}
	switch {
	case err == nil:
		io.Copy(io.Discard, res.Body)
		return true, nil
	case res != nil && res.StatusCode == http.StatusNotFound:
		return false, nil
	}
	return false, lineError("GET /v2/bot/richmenu/{id}/content", res, err)
}
