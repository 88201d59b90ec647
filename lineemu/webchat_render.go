package lineemu

// Drawing the bot's messages as HTML for the web chat, from their JSON as
// the bot sent it: text, templates (buttons, confirm, carousel) and Flex
// (bubbles and carousels of boxes, texts, buttons, images, separators),
// generically, so that a new message shape shows without changes here. Every
// action becomes a button carrying the action in data-* attributes, which
// the page's script sends back as LINE would (a postback, a text message or
// a link opened).

import (
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
)

// obj is a JSON object of a message.
type obj = map[string]any

func str(o obj, k string) string {
	s, _ := o[k].(string)
	return s
}

func child(o obj, k string) obj {
	c, _ := o[k].(map[string]any)
	return c
}

func children(o obj, k string) []obj {
	var out []obj
	list, _ := o[k].([]any)
	for _, v := range list {
		if c, ok := v.(map[string]any); ok {
			out = append(out, c)
		}
	}
	return out
}

var esc = html.EscapeString

var colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$`)

// color is a Flex colour, if it is one (nothing else reaches a style).
func color(o obj, k string) string {
	if v := str(o, k); colorRe.MatchString(v) {
		return v
	}
	return ""
}

var urlRe = regexp.MustCompile(`https?://[^\s<>"'（）「」、。]+`)

// textHTML escapes text and links its URLs, as LINE does.
func textHTML(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range urlRe.FindAllStringIndex(s, -1) {
		b.WriteString(esc(s[last:m[0]]))
		u := s[m[0]:m[1]]
		fmt.Fprintf(&b, `<a href="%s" target="_blank" rel="noopener">%s</a>`, esc(u), esc(u))
		last = m[1]
	}
	b.WriteString(esc(s[last:]))
	return b.String()
}

// actionButton draws an action as a button; class says how it looks.
func actionButton(a obj, label, class, style string) string {
	if a == nil {
		return ""
	}
	if label == "" {
		label = str(a, "label")
	}
	attrs := fmt.Sprintf(` data-act="%s" data-label="%s"`, esc(str(a, "type")), esc(label))
	for _, k := range []string{"data", "text", "displayText", "uri"} {
		if v := str(a, k); v != "" {
			attrs += fmt.Sprintf(` data-%s="%s"`, strings.ToLower(k), esc(v))
		}
	}
	if style != "" {
		attrs += ` style="` + esc(style) + `"`
	}
	return fmt.Sprintf(`<button type="button" class="%s"%s>%s</button>`, class, attrs, esc(label))
}

// messageHTML draws one message the bot sent.
func messageHTML(raw json.RawMessage) string {
	var m obj
	if err := json.Unmarshal(raw, &m); err != nil {
		return `<div class="bubble text">` + esc(string(raw)) + `</div>`
	}
	switch str(m, "type") {
	case "text":
		return `<div class="bubble text">` + textHTML(str(m, "text")) + `</div>`
	case "template":
		return templateHTML(child(m, "template"))
	case "flex":
		return flexHTML(child(m, "contents"))
	case "image":
		return fmt.Sprintf(`<div class="bubble image"><img alt="" src="%s"></div>`, esc(str(m, "previewImageUrl")))
	case "sticker":
		return `<div class="bubble text">［スタンプ］</div>`
	}
	return fmt.Sprintf(`<div class="bubble text">［%s］%s</div>`, esc(str(m, "type")), esc(str(m, "altText")))
}

func templateHTML(t obj) string {
	var b strings.Builder
	card := func(c obj) {
		b.WriteString(`<div class="card">`)
		if u := str(c, "thumbnailImageUrl"); u != "" {
			fmt.Fprintf(&b, `<img class="thumb" alt="" src="%s">`, esc(u))
		}
		if s := str(c, "title"); s != "" {
			fmt.Fprintf(&b, `<div class="title">%s</div>`, esc(s))
		}
		fmt.Fprintf(&b, `<div class="body">%s</div><div class="actions %s">`, textHTML(str(c, "text")), esc(str(t, "type")))
		for _, a := range children(c, "actions") {
			b.WriteString(actionButton(a, "", "act tmpl", ""))
		}
		b.WriteString(`</div></div>`)
	}
	switch str(t, "type") {
	case "buttons", "confirm":
		card(t)
	case "carousel":
		b.WriteString(`<div class="carousel">`)
		for _, c := range children(t, "columns") {
			card(c)
		}
		b.WriteString(`</div>`)
	default:
		return fmt.Sprintf(`<div class="bubble text">［%s template］</div>`, esc(str(t, "type")))
	}
	return b.String()
}

// flexHTML draws a Flex container: a bubble or a carousel of bubbles.
func flexHTML(c obj) string {
	switch str(c, "type") {
	case "carousel":
		var b strings.Builder
		b.WriteString(`<div class="carousel">`)
		for _, bubble := range children(c, "contents") {
			b.WriteString(flexHTML(bubble))
		}
		b.WriteString(`</div>`)
		return b.String()
	case "bubble":
		var b strings.Builder
		fmt.Fprintf(&b, `<div class="flex bubble-%s">`, esc(str(c, "size")))
		for _, part := range []string{"header", "hero", "body", "footer"} {
			if p := child(c, part); p != nil {
				fmt.Fprintf(&b, `<div class="flex-%s">%s</div>`, part, component(p))
			}
		}
		b.WriteString(`</div>`)
		return b.String()
	}
	return fmt.Sprintf(`<div class="bubble text">［flex %s］</div>`, esc(str(c, "type")))
}

// sizes are Flex's spacing and margin keywords in pixels.
var sizes = map[string]string{"none": "0", "xs": "2px", "sm": "4px", "md": "8px", "lg": "12px", "xl": "16px", "xxl": "20px"}

// fontSizes are Flex's text size keywords.
var fontSizes = map[string]string{"xxs": "11px", "xs": "12px", "sm": "13px", "md": "15px", "lg": "17px", "xl": "19px", "xxl": "22px", "3xl": "26px", "4xl": "30px", "5xl": "36px"}

// length is a Flex size: a keyword, or pixels or a percentage as given.
func length(v string, keywords map[string]string) string {
	if k, ok := keywords[v]; ok {
		return k
	}
	if strings.HasSuffix(v, "px") || strings.HasSuffix(v, "%") {
		return v
	}
	return ""
}

// common returns the CSS every component may ask for: flex, margin,
// padding, background and alignment.
func common(c obj) string {
	var s []string
	if f, ok := c["flex"].(float64); ok {
		s = append(s, fmt.Sprintf("flex:%g %g auto", f, f))
	}
	if m := length(str(c, "margin"), sizes); m != "" {
		s = append(s, "margin-top:"+m)
	}
	for _, k := range []string{"paddingAll", "paddingTop", "paddingBottom", "paddingStart", "paddingEnd"} {
		if p := length(str(c, k), sizes); p != "" {
			prop := map[string]string{"paddingAll": "padding", "paddingTop": "padding-top", "paddingBottom": "padding-bottom",
				"paddingStart": "padding-left", "paddingEnd": "padding-right"}[k]
			s = append(s, prop+":"+p)
		}
	}
	if v := color(c, "backgroundColor"); v != "" {
		s = append(s, "background:"+v)
	}
	if v := str(c, "cornerRadius"); length(v, sizes) != "" {
		s = append(s, "border-radius:"+length(v, sizes))
	}
	if v := str(c, "align"); v != "" {
		s = append(s, "text-align:"+map[string]string{"start": "left", "end": "right", "center": "center"}[v])
	}
	return strings.Join(s, ";")
}

// component draws one Flex component.
func component(c obj) string {
	style := common(c)
	switch str(c, "type") {
	case "box":
		var b strings.Builder
		layout := str(c, "layout")
		if sp := length(str(c, "spacing"), sizes); sp != "" {
			style += ";gap:" + sp
		}
		fmt.Fprintf(&b, `<div class="box %s" style="%s">`, esc(layout), esc(style))
		for _, cc := range children(c, "contents") {
			b.WriteString(component(cc))
		}
		if a := child(c, "action"); a != nil {
			b.WriteString(actionButton(a, "", "act box-action", ""))
		}
		b.WriteString(`</div>`)
		return b.String()
	case "text":
		if fs := length(str(c, "size"), fontSizes); fs != "" {
			style += ";font-size:" + fs
		}
		if str(c, "weight") == "bold" {
			style += ";font-weight:bold"
		}
		if v := color(c, "color"); v != "" {
			style += ";color:" + v
		}
		if wrap, _ := c["wrap"].(bool); wrap {
			style += ";white-space:pre-wrap"
		}
		text := textHTML(str(c, "text"))
		if spans := children(c, "contents"); len(spans) > 0 {
			text = ""
			for _, sp := range spans {
				ss := ""
				if str(sp, "weight") == "bold" {
					ss += "font-weight:bold;"
				}
				if v := color(sp, "color"); v != "" {
					ss += "color:" + v + ";"
				}
				text += fmt.Sprintf(`<span style="%s">%s</span>`, esc(ss), esc(str(sp, "text")))
			}
		}
		return fmt.Sprintf(`<div class="ftext" style="%s">%s</div>`, esc(style), text)
	case "button":
		kind := str(c, "style")
		if kind == "" {
			kind = "link"
		}
		if v := color(c, "color"); v != "" {
			if kind == "link" {
				style += ";color:" + v
			} else {
				style += ";background:" + v
			}
		}
		return actionButton(child(c, "action"), "", "act fbtn "+esc(kind), style)
	case "separator":
		return `<hr class="fsep">`
	case "image":
		return fmt.Sprintf(`<img class="fimg" alt="" src="%s" style="%s">`, esc(str(c, "url")), esc(style))
	case "icon":
		return fmt.Sprintf(`<img class="ficon" alt="" src="%s">`, esc(str(c, "url")))
	case "filler", "spacer":
		return `<div class="ffill"></div>`
	}
	return ""
}
