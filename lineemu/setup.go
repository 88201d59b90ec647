package lineemu

// The channel's settings that `taikai setup` manages through the Messaging
// API: the webhook endpoint (get, set, test), rich menus (create, list, get,
// delete, upload and download the image, the default menu) and the bot's
// info. Bodies are checked against the Messaging API reference
// (https://developers.line.biz/en/reference/messaging-api/): #webhook-settings,
// #rich-menu, #rich-menu-object, #upload-rich-menu-image, #get-bot-info.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // rich menu images are JPEG or PNG
	_ "image/png"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/taikaibot/taikai/internal/random"
)

// Limits of the channel settings, from the Messaging API reference.
const (
	MaxWebhookURL      = 500     // #set-webhook-endpoint-url
	MaxRichMenus       = 1000    // #create-rich-menu
	MaxRichMenuAreas   = 20      // #rich-menu-object
	MaxChatBarText     = 14      // #rich-menu-object
	MaxRichMenuName    = 300     // #rich-menu-object
	MaxRichMenuImage   = 1 << 20 // #upload-rich-menu-image: 1 MB
	MaxRichMenuLabel   = 20      // #action-object-label-spec: optional in rich menus
	webhookTestTimeout = 2 * time.Second
)

// Rate limits per hour of the setting calls LINE limits most
// (#rate-limits): a setup that is not idempotent runs into them.
var hourlyLimits = map[string]int{"webhook test": 60, "create rich menu": 100, "delete rich menu": 100}

// BotInfo is what GET /v2/bot/info answers.
type BotInfo struct {
	UserID         string `json:"userId"`
	BasicID        string `json:"basicId"`
	DisplayName    string `json:"displayName"`
	ChatMode       string `json:"chatMode"`
	MarkAsReadMode string `json:"markAsReadMode"`
}

// Bounds is a rich menu area's rectangle, in the image's pixels.
type Bounds struct {
	X      int64 `json:"x"`
	Y      int64 `json:"y"`
	Width  int64 `json:"width"`
	Height int64 `json:"height"`
}

// Contains reports whether the point (x, y) is in b.
func (b Bounds) Contains(x, y int64) bool {
	return x >= b.X && x < b.X+b.Width && y >= b.Y && y < b.Y+b.Height
}

// RichMenuArea is a tappable area of a rich menu.
type RichMenuArea struct {
	Bounds Bounds `json:"bounds"`
	Action Action `json:"action"`
}

// RichMenu is a rich menu created through the API, as LINE's rich menu
// response object.
type RichMenu struct {
	ID   string `json:"richMenuId"`
	Size struct {
		Width  int64 `json:"width"`
		Height int64 `json:"height"`
	} `json:"size"`
	Selected    bool           `json:"selected"`
	Name        string         `json:"name"`
	ChatBarText string         `json:"chatBarText"`
	Areas       []RichMenuArea `json:"areas"`
}

// channelSettings are the channel's rich menus and webhook settings.
type channelSettings struct {
	mu              sync.Mutex
	menus           []*RichMenu       // in creation order
	images          map[string][]byte // rich menu id → its image
	imageTypes      map[string]string
	defaultMenu     string
	webhookInactive bool
	calls           map[string][]time.Time // rate-limited calls in the last hour
}

func (c *channelSettings) init() {
	if c.images == nil {
		c.images, c.imageTypes, c.calls = map[string][]byte{}, map[string]string{}, map[string][]time.Time{}
	}
}

// setupRoutes adds the channel-settings endpoints to mux. The upload and
// download of rich menu images are on api-data.line.me at LINE; the
// emulator serves them on its one address.
func (e *Emulator) setupRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v2/bot/info", e.auth(e.handleBotInfo))
	mux.HandleFunc("GET /v2/bot/channel/webhook/endpoint", e.auth(e.handleGetWebhook))
	mux.HandleFunc("PUT /v2/bot/channel/webhook/endpoint", e.auth(e.handleSetWebhook))
	mux.HandleFunc("POST /v2/bot/channel/webhook/test", e.auth(e.handleTestWebhook))
	mux.HandleFunc("POST /v2/bot/richmenu", e.auth(e.handleCreateRichMenu))
	mux.HandleFunc("GET /v2/bot/richmenu/list", e.auth(e.handleListRichMenus))
	mux.HandleFunc("GET /v2/bot/richmenu/{id}", e.auth(e.handleGetRichMenu))
	mux.HandleFunc("DELETE /v2/bot/richmenu/{id}", e.auth(e.handleDeleteRichMenu))
	mux.HandleFunc("POST /v2/bot/richmenu/{id}/content", e.auth(e.handleUploadRichMenuImage))
	mux.HandleFunc("GET /v2/bot/richmenu/{id}/content", e.auth(e.handleDownloadRichMenuImage))
	mux.HandleFunc("POST /v2/bot/user/all/richmenu/{id}", e.auth(e.handleSetDefaultRichMenu))
	mux.HandleFunc("GET /v2/bot/user/all/richmenu", e.auth(e.handleGetDefaultRichMenu))
	mux.HandleFunc("DELETE /v2/bot/user/all/richmenu", e.auth(e.handleClearDefaultRichMenu))
}

// Info is the bot's info, as GET /v2/bot/info answers it.
func (e *Emulator) Info() BotInfo {
	return BotInfo{UserID: e.opts.Destination, BasicID: "@000taikai", DisplayName: "退会サポート", ChatMode: "bot", MarkAsReadMode: "auto"}
}

// WebhookURL is the channel's webhook endpoint ("" if none is set).
func (e *Emulator) WebhookURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.webhookURL
}

// SetWebhookActive turns "Use webhook" on or off, as the LINE Developers
// console does (the API cannot). While it is off, GET
// /v2/bot/channel/webhook/endpoint says so; events are still posted.
func (e *Emulator) SetWebhookActive(on bool) {
	e.settings.mu.Lock()
	e.settings.webhookInactive = !on
	e.settings.mu.Unlock()
}

// RichMenus returns the rich menus created through the API, oldest first.
func (e *Emulator) RichMenus() []RichMenu {
	c := &e.settings
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []RichMenu
	for _, m := range c.menus {
		out = append(out, *m)
	}
	return out
}

// DefaultRichMenu returns the default rich menu and its image, if one is set.
func (e *Emulator) DefaultRichMenu() (RichMenu, []byte, bool) {
	c := &e.settings
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.menus {
		if m.ID == c.defaultMenu {
			return *m, c.images[m.ID], true
		}
	}
	return RichMenu{}, nil, false
}

// allow counts a rate-limited call; false means it is over the hourly limit.
func (e *Emulator) allow(call string) bool {
	c := &e.settings
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	now := e.opts.Now()
	recent := slices.DeleteFunc(c.calls[call], func(t time.Time) bool { return now.Sub(t) >= time.Hour })
	if len(recent) >= hourlyLimits[call] {
		c.calls[call] = recent
		return false
	}
	c.calls[call] = append(recent, now)
	return true
}

func rateLimited(w http.ResponseWriter) {
	writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "The API rate limit has been exceeded. Try again later."})
}

// detail is one problem with a request body, named by its property.
type detail struct {
	Message  string `json:"message"`
	Property string `json:"property"`
}

// invalid answers 400 with LINE's error shape for a body with problems, and
// records them as a violation.
func (e *Emulator) invalid(w http.ResponseWriter, what string, details []detail) {
	msg := fmt.Sprintf("%s: the request body has %d error(s):", what, len(details))
	for _, d := range details {
		msg += fmt.Sprintf(" %s %s;", d.Property, d.Message)
	}
	e.mu.Lock()
	e.violations = append(e.violations, msg)
	e.mu.Unlock()
	writeJSON(w, http.StatusBadRequest, map[string]any{
		"message": fmt.Sprintf("The request body has %d error(s)", len(details)), "details": details,
	})
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not found"})
}

func (e *Emulator) handleBotInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, e.Info())
}

func (e *Emulator) handleGetWebhook(w http.ResponseWriter, r *http.Request) {
	u := e.WebhookURL()
	if u == "" {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Webhook endpoint not found"})
		return
	}
	e.settings.mu.Lock()
	active := !e.settings.webhookInactive
	e.settings.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"endpoint": u, "active": active})
}

// checkWebhookURL applies LINE's rules for a webhook URL: a valid HTTPS URL
// of at most 500 characters (http too when the emulator allows it).
func (e *Emulator) checkWebhookURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case len(raw) > MaxWebhookURL:
		return fmt.Sprintf("is %d characters; max %d", len(raw), MaxWebhookURL)
	case err != nil || u.Host == "" || u.User != nil:
		return "is not a valid URL"
	case u.Scheme == "https", u.Scheme == "http" && e.opts.AllowHTTPWebhook:
		return ""
	}
	return "must be an HTTPS URL"
}

func (e *Emulator) handleSetWebhook(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Endpoint *string `json:"endpoint"`
	}
	if !e.readJSON(w, r, &req) {
		return
	}
	if req.Endpoint == nil {
		e.invalid(w, "set webhook endpoint", []detail{{"must be specified", "endpoint"}})
		return
	}
	if p := e.checkWebhookURL(*req.Endpoint); p != "" {
		e.violate(w, http.StatusBadRequest, "set webhook endpoint: %q %s (Invalid webhook endpoint URL)", *req.Endpoint, p)
		return
	}
	e.SetWebhookURL(*req.Endpoint)
	writeJSON(w, http.StatusOK, map[string]any{})
}

// handleTestWebhook sends what LINE sends to test an endpoint: a signed
// body with no events, answered within 2 seconds.
func (e *Emulator) handleTestWebhook(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Endpoint *string `json:"endpoint"`
	}
	if !e.readJSON(w, r, &req) {
		return
	}
	target := e.WebhookURL()
	if req.Endpoint != nil {
		if p := e.checkWebhookURL(*req.Endpoint); p != "" {
			e.violate(w, http.StatusBadRequest, "test webhook endpoint: %q %s (Invalid webhook endpoint URL)", *req.Endpoint, p)
			return
		}
		target = *req.Endpoint
	}
	if target == "" {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Webhook endpoint not found"})
		return
	}
	if !e.allow("webhook test") {
		rateLimited(w)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), webhookTestTimeout)
	defer cancel()
	code, err := e.PostTo(ctx, target, e.Body([]Event{}...)) // "events": []
	res := map[string]any{"success": false, "timestamp": e.opts.Now().UTC().Format("2006-01-02T15:04:05.000Z"), "statusCode": code}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		res["statusCode"], res["reason"], res["detail"] = 0, "REQUEST_TIMEOUT", "Request timeout"
	case err != nil:
		res["statusCode"], res["reason"], res["detail"] = 0, "COULD_NOT_CONNECT", "Failure to connect"
	case code/100 == 2:
		res["success"], res["reason"], res["detail"] = true, "OK", fmt.Sprint(code)
	default:
		res["reason"], res["detail"] = "ERROR_STATUS_CODE", fmt.Sprint(code)
	}
	writeJSON(w, http.StatusOK, res)
}

// richMenuRequest is a rich menu object as sent, with pointers to tell a
// missing property from a zero one.
type richMenuRequest struct {
	Size *struct {
		Width  *int64 `json:"width"`
		Height *int64 `json:"height"`
	} `json:"size"`
	Selected    *bool   `json:"selected"`
	Name        *string `json:"name"`
	ChatBarText *string `json:"chatBarText"`
	Areas       *[]struct {
		Bounds *struct {
			X      *int64 `json:"x"`
			Y      *int64 `json:"y"`
			Width  *int64 `json:"width"`
			Height *int64 `json:"height"`
		} `json:"bounds"`
		Action *Action `json:"action"`
	} `json:"areas"`
}

// check returns the problems of a rich menu object (#rich-menu-object) and,
// if there are none, the menu.
func (q richMenuRequest) check() (*RichMenu, []detail) {
	var ds []detail
	bad := func(prop, format string, args ...any) { ds = append(ds, detail{fmt.Sprintf(format, args...), prop}) }
	m := &RichMenu{}
	switch {
	case q.Size == nil:
		bad("size", "must be specified")
	case q.Size.Width == nil || q.Size.Height == nil:
		bad("size", "width and height must be specified")
	default:
		wd, ht := *q.Size.Width, *q.Size.Height
		if wd < 800 || wd > 2500 {
			bad("size.width", "must be between 800 and 2500")
		}
		if ht < 250 {
			bad("size.height", "must be at least 250")
		}
		if ht > 0 && float64(wd)/float64(ht) < 1.45 {
			bad("size", "aspect ratio (width / height) must be at least 1.45")
		}
		m.Size.Width, m.Size.Height = wd, ht
	}
	if q.Selected == nil {
		bad("selected", "must be specified")
	} else {
		m.Selected = *q.Selected
	}
	if q.Name == nil || *q.Name == "" {
		bad("name", "must be specified")
	} else if n := graphemes(*q.Name); n > MaxRichMenuName {
		bad("name", "size must be between 0 and %d", MaxRichMenuName)
	} else {
		m.Name = *q.Name
	}
	if q.ChatBarText == nil || *q.ChatBarText == "" {
		bad("chatBarText", "must be specified")
	} else if graphemes(*q.ChatBarText) > MaxChatBarText {
		bad("chatBarText", "size must be between 0 and %d", MaxChatBarText)
	} else {
		m.ChatBarText = *q.ChatBarText
	}
	if q.Areas == nil {
		bad("areas", "must be specified")
		return nil, ds
	}
	if len(*q.Areas) > MaxRichMenuAreas {
		bad("areas", "size must be between 0 and %d", MaxRichMenuAreas)
	}
	for i, a := range *q.Areas {
		p := fmt.Sprintf("areas[%d]", i)
		var area RichMenuArea
		if b := a.Bounds; b == nil || b.X == nil || b.Y == nil || b.Width == nil || b.Height == nil {
			bad(p+".bounds", "x, y, width and height must be specified")
		} else {
			area.Bounds = Bounds{*b.X, *b.Y, *b.Width, *b.Height}
			if *b.X < 0 || *b.Y < 0 {
				bad(p+".bounds", "x and y must be 0 or more")
			}
			if *b.Width < 1 || *b.Height < 1 {
				bad(p+".bounds", "width and height must be 1 or more")
			}
		}
		if a.Action == nil {
			bad(p+".action", "must be specified")
			continue
		}
		area.Action = *a.Action
		if msg := checkMenuAction(*a.Action); msg != "" {
			bad(p+".action", "%s", msg)
		}
		m.Areas = append(m.Areas, area)
	}
	if len(ds) > 0 {
		return nil, ds
	}
	return m, nil
}

// checkMenuAction checks an area's action: in a rich menu the label is
// optional (spoken by screen readers), at most 20 characters.
func checkMenuAction(a Action) string {
	if graphemes(a.Label) > MaxRichMenuLabel {
		return fmt.Sprintf("label is %d characters; max %d", graphemes(a.Label), MaxRichMenuLabel)
	}
	switch a.Type {
	case "postback":
		if a.Data == "" || units(a.Data) > 300 {
			return "postback data must be 1 to 300 characters"
		}
		if a.DisplayText != "" && a.Text != "" {
			return "displayText and text are mutually exclusive"
		}
		if graphemes(a.DisplayText) > 300 {
			return "displayText over 300 characters"
		}
	case "message":
		if a.Text == "" || graphemes(a.Text) > 300 {
			return "message action text must be 1 to 300 characters"
		}
	case "uri":
		u, err := url.Parse(a.URI)
		if err != nil || len(a.URI) > 1000 || !(u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "line" || u.Scheme == "tel") {
			return "invalid uri"
		}
	case "":
		return "type must be specified"
	default:
		return fmt.Sprintf("action type %q not supported by the emulator", a.Type)
	}
	return ""
}

func (e *Emulator) handleCreateRichMenu(w http.ResponseWriter, r *http.Request) {
	var req richMenuRequest
	if !e.readJSON(w, r, &req) {
		return
	}
	m, ds := req.check()
	if len(ds) > 0 {
		e.invalid(w, "create rich menu", ds)
		return
	}
	if !e.allow("create rich menu") {
		rateLimited(w)
		return
	}
	c := &e.settings
	c.mu.Lock()
	if len(c.menus) >= MaxRichMenus {
		c.mu.Unlock()
		e.violate(w, http.StatusBadRequest, "create rich menu: the maximum of %d rich menus has been reached", MaxRichMenus)
		return
	}
	m.ID = "richmenu-" + random.Hex(16)
	c.menus = append(c.menus, m)
	c.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"richMenuId": m.ID})
}

func (e *Emulator) handleListRichMenus(w http.ResponseWriter, r *http.Request) {
	menus := e.RichMenus()
	if menus == nil {
		menus = []RichMenu{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"richmenus": menus})
}

// menu finds a rich menu by id. Callers hold c.mu.
func (c *channelSettings) menu(id string) (int, *RichMenu) {
	for i, m := range c.menus {
		if m.ID == id {
			return i, m
		}
	}
	return -1, nil
}

func (e *Emulator) handleGetRichMenu(w http.ResponseWriter, r *http.Request) {
	c := &e.settings
	c.mu.Lock()
	_, m := c.menu(r.PathValue("id"))
	var copy RichMenu
	if m != nil {
		copy = *m
	}
	c.mu.Unlock()
	if m == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, copy)
}

func (e *Emulator) handleDeleteRichMenu(w http.ResponseWriter, r *http.Request) {
	if !e.allow("delete rich menu") {
		rateLimited(w)
		return
	}
	c := &e.settings
	c.mu.Lock()
	i, m := c.menu(r.PathValue("id"))
	if m != nil {
		c.menus = slices.Delete(c.menus, i, i+1)
		delete(c.images, m.ID)
		delete(c.imageTypes, m.ID)
		if c.defaultMenu == m.ID {
			c.defaultMenu = ""
		}
	}
	c.mu.Unlock()
	if m == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

// handleUploadRichMenuImage takes a rich menu's image: JPEG or PNG, at most
// 1 MB, 800 to 2500 pixels wide, at least 250 high, an aspect ratio of at
// least 1.45, and (the emulator checks this too) the size of the rich menu
// it is for, which the reference asks the menu to match. An image cannot be
// replaced.
func (e *Emulator) handleUploadRichMenuImage(w http.ResponseWriter, r *http.Request) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "image/png" && mt != "image/jpeg" {
		e.violate(w, http.StatusUnsupportedMediaType, "upload rich menu image: Content-Type %q; must be image/jpeg or image/png", r.Header.Get("Content-Type"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRichMenuImage+1))
	if err != nil {
		e.violate(w, http.StatusBadRequest, "upload rich menu image: unreadable body")
		return
	}
	id := r.PathValue("id")
	c := &e.settings
	c.mu.Lock()
	c.init()
	_, m := c.menu(id)
	_, has := c.images[id]
	var size [2]int64
	if m != nil {
		size = [2]int64{m.Size.Width, m.Size.Height}
	}
	c.mu.Unlock()
	switch {
	case m == nil:
		notFound(w)
		return
	case has:
		e.violate(w, http.StatusBadRequest, "upload rich menu image: An image has already been uploaded to the richmenu")
		return
	case len(body) > MaxRichMenuImage:
		e.violate(w, http.StatusBadRequest, "upload rich menu image: %d bytes; max 1 MB", len(body))
		return
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	switch {
	case err != nil || "image/"+format != mt:
		e.violate(w, http.StatusBadRequest, "upload rich menu image: the body is not a %s image", mt)
		return
	case cfg.Width < 800 || cfg.Width > 2500 || cfg.Height < 250 || float64(cfg.Width)/float64(cfg.Height) < 1.45:
		e.violate(w, http.StatusBadRequest, "upload rich menu image: %d×%d: The image size is not allowed for richmenu", cfg.Width, cfg.Height)
		return
	case int64(cfg.Width) != size[0] || int64(cfg.Height) != size[1]:
		e.violate(w, http.StatusBadRequest, "upload rich menu image: %d×%d does not match the rich menu's size %d×%d", cfg.Width, cfg.Height, size[0], size[1])
		return
	}
	c.mu.Lock()
	if _, again := c.images[id]; again {
		c.mu.Unlock()
		e.violate(w, http.StatusBadRequest, "upload rich menu image: An image has already been uploaded to the richmenu")
		return
	}
	c.images[id], c.imageTypes[id] = body, mt
	c.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{})
}

func (e *Emulator) handleDownloadRichMenuImage(w http.ResponseWriter, r *http.Request) {
	c := &e.settings
	c.mu.Lock()
	img, typ := c.images[r.PathValue("id")], c.imageTypes[r.PathValue("id")]
	c.mu.Unlock()
	if img == nil {
		notFound(w)
		return
	}
	w.Header().Set("Content-Type", typ)
	w.Write(img)
}

func (e *Emulator) handleSetDefaultRichMenu(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c := &e.settings
	c.mu.Lock()
	_, m := c.menu(id)
	_, has := c.images[id]
	if m != nil && has {
		c.defaultMenu = id
	}
	c.mu.Unlock()
	switch {
	case m == nil:
		notFound(w)
	case !has:
		e.violate(w, http.StatusBadRequest, "set default rich menu: must upload richmenu image before applying it to user")
	default:
		writeJSON(w, http.StatusOK, map[string]any{})
	}
}

func (e *Emulator) handleGetDefaultRichMenu(w http.ResponseWriter, r *http.Request) {
	c := &e.settings
	c.mu.Lock()
	id := c.defaultMenu
	c.mu.Unlock()
	if id == "" {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "no default richmenu", "details": []any{}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"richMenuId": id})
}

func (e *Emulator) handleClearDefaultRichMenu(w http.ResponseWriter, r *http.Request) {
	c := &e.settings
	c.mu.Lock()
	c.defaultMenu = ""
	c.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{})
}
