package lineemu

// The message objects LINE accepts, checked as the Messaging API checks
// them: every property's type, the required ones, enums, lengths, counts,
// the "type" discriminators, and no property LINE does not know.
//
// The facts come from LINE's published schema, line/line-openapi
// messaging-api.yml (components/schemas; commit 6e4c2a2), named below by
// its component names, and from the Messaging API reference
// (https://developers.line.biz/en/reference/messaging-api/), which holds
// the limits the schema leaves out: #message-objects, #template-messages,
// #flex-message, #action-objects and #action-object-label-spec. Lengths are
// counted as LINE counts them (docs/messaging-api/text-character-count):
// in UTF-16 code units, but action labels, a postback's displayText and
// text, a message action's text, and a template's title and text in
// grapheme clusters.
//
// The emulator knows the message types a bot like this one sends: text,
// sticker, image, template and flex. Any other type (textV2, video, audio,
// location, imagemap, coupon) is refused as unsupported rather than passed
// unchecked.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/rivo/uniseg"
)

// Detail is one problem with a request, as LINE reports it in an error
// response's details (#error-responses): what is wrong, and where.
type Detail struct {
	Message  string `json:"message"`
	Property string `json:"property"`
}

func (d Detail) String() string { return d.Property + ": " + d.Message }

// kind is a JSON type.
type kind int

const (
	kString kind = iota
	kInt
	kBool
	kObject
	kArray
)

// measure says how a string's length is counted.
type measure int

const (
	inUnits     measure = iota // UTF-16 code units
	inGraphemes                // grapheme clusters
)

// field is one property of an object.
type field struct {
	kind     kind
	required bool
	enum     []string
	// min and max bound a string's length (counted by in) or an array's
	// items; max 0 is no bound.
	min, max int
	in       measure
	// of names the object (a schema or a union) a property or an array's
	// items must be.
	of string
	// format checks a string further; it returns what is wrong.
	format func(string) string
}

// object is a schema: its properties, and rules across them (check).
type object struct {
	fields map[string]field
	check  func(v *validator, o map[string]any, at string)
}

// union is a discriminated union on "type" (the schema's discriminator
// mappings): the value names the object. label is the rule for the label
// of an action in this place.
type union struct {
	of    map[string]string
	label *labelRule
}

// labelRule is #action-object-label-spec for one place of an action.
type labelRule struct {
	required bool
	max      int
}

// Shorthands for the tables.
func aString(max int) field           { return field{kind: kString, max: max} }
func aText(max int) field             { return field{kind: kString, max: max, in: inGraphemes} }
func oneOf(vals ...string) field      { return field{kind: kString, enum: vals} }
func anObject(of string) field        { return field{kind: kObject, of: of} }
func listOf(of string, max int) field { return field{kind: kArray, of: of, max: max} }
func required(f field) field          { f.required = true; return f }
func withFormat(f field, fn func(string) string) field {
	f.format = fn
	return f
}

var (
	integer  = field{kind: kInt}
	boolean  = field{kind: kBool}
	hexColor = withFormat(aString(0), colorFormat)
	// https is an image's URL: HTTPS, at most 2,000 characters.
	https = withFormat(aString(2000), httpsFormat)
	// uri is a URI action's: http, https, line or tel, at most 1,000.
	uri = withFormat(aString(1000), uriFormat)
	// Flex lengths: a keyword of the schema's Flex* enums, pixels or a percentage.
	spacing  = withFormat(aString(0), flexLength(false, "none", "xs", "sm", "md", "lg", "xl", "xxl"))
	offset   = withFormat(aString(0), flexLength(true, "none", "xs", "sm", "md", "lg", "xl", "xxl"))
	padding  = offset
	extent   = withFormat(aString(0), flexLength(true))
	radius   = withFormat(aString(0), flexLength(false, "none", "xs", "sm", "md", "lg", "xl", "xxl"))
	border   = withFormat(aString(0), flexLength(false, "none", "light", "normal", "medium", "semi-bold", "bold"))
	fontSize = withFormat(aString(0), flexLength(false, "xxs", "xs", "sm", "md", "lg", "xl", "xxl", "3xl", "4xl", "5xl"))
	imgSize  = withFormat(aString(0), flexLength(true, "xxs", "xs", "sm", "md", "lg", "xl", "xxl", "3xl", "4xl", "5xl", "full"))
	iconSize = withFormat(aString(0), flexLength(true, "xxs", "xs", "sm", "md", "lg", "xl", "xxl", "3xl", "4xl", "5xl"))
	pixels   = withFormat(aString(0), flexLength(false))
	ratio    = withFormat(aString(0), ratioFormat)
	position = oneOf("relative", "absolute")
	gravity  = oneOf("top", "bottom", "center")
	align    = oneOf("start", "end", "center")
)

// with returns the fields of base and more (allOf in the schema).
func with(base, more map[string]field) map[string]field {
	m := make(map[string]field, len(base)+len(more))
	maps.Copy(m, base)
	maps.Copy(m, more)
	return m
}

// Message: the properties every message has.
var messageFields = map[string]field{
	"type":       required(aString(0)),
	"quickReply": anObject("QuickReply"),
	"sender":     anObject("Sender"),
}

// offsets are the Flex components' position properties.
var offsets = map[string]field{
	"position": position, "offsetTop": offset, "offsetBottom": offset, "offsetStart": offset, "offsetEnd": offset,
}

// actionFields are Action's own: its type and label.
var actionFields = map[string]field{"type": required(aString(0)), "label": aText(0)}

// messageTypes are Message's discriminator values, the emulator's or not.
var messageTypes = []string{"text", "textV2", "sticker", "image", "video", "audio", "location", "imagemap", "template", "flex", "coupon"}

// unions are the schema's discriminated unions, and an action's by where it is.
var unions = map[string]union{
	// Message's discriminator, less the types the emulator does not check.
	"Message": {of: map[string]string{"text": "TextMessage", "sticker": "StickerMessage", "image": "ImageMessage", "template": "TemplateMessage", "flex": "FlexMessage"}},
	// Template's discriminator.
	"Template": {of: map[string]string{"buttons": "ButtonsTemplate", "confirm": "ConfirmTemplate", "carousel": "CarouselTemplate", "image_carousel": "ImageCarouselTemplate"}},
	// FlexContainer's discriminator.
	"FlexContainer": {of: map[string]string{"bubble": "FlexBubble", "carousel": "FlexCarousel"}},
	// FlexComponent's discriminator; FlexBox limits it by layout.
	"FlexComponent": {of: map[string]string{"box": "FlexBox", "button": "FlexButton", "image": "FlexImage", "video": "FlexVideo", "icon": "FlexIcon", "text": "FlexText", "span": "FlexSpan", "separator": "FlexSeparator", "filler": "FlexFiller"}},
	// A bubble's hero: a box, an image or a video (#bubble).
	"FlexHero": {of: map[string]string{"box": "FlexBox", "image": "FlexImage", "video": "FlexVideo"}},
	// A video's altContent: a box or an image (#f-video).
	"FlexAltContent": {of: map[string]string{"box": "FlexBox", "image": "FlexImage"}},
	// A text's contents: spans only (#f-text).
	"FlexSpans": {of: map[string]string{"span": "FlexSpan"}},
	// FlexBoxBackground's discriminator.
	"FlexBoxBackground": {of: map[string]string{"linearGradient": "FlexBoxLinearGradient"}},
	// Action's discriminator, by where the action is: the quick reply takes
	// the actions #quick-reply-button-object lists; camera, camera roll and
	// location work only there, and the rich menu switch only in rich menus.
	"QuickReplyAction":    {of: quickActions, label: &labelRule{true, 20}},
	"TemplateAction":      {of: messageActions, label: &labelRule{true, 20}},
	"TemplateDefault":     {of: messageActions, label: &labelRule{false, 20}},
	"ImageCarouselAction": {of: messageActions, label: &labelRule{false, 12}},
	"FlexButtonAction":    {of: messageActions, label: &labelRule{true, 40}},
	"FlexAction":          {of: messageActions, label: &labelRule{false, 40}},
}

// messageActions are the actions a message's buttons take (#action-objects).
var messageActions = map[string]string{
	"postback": "PostbackAction", "message": "MessageAction", "uri": "URIAction",
	"datetimepicker": "DatetimePickerAction", "clipboard": "ClipboardAction",
}

// quickActions are a quick reply's: those and the camera, camera roll and location.
var quickActions = func() map[string]string {
	m := maps.Clone(messageActions)
	m["camera"], m["cameraRoll"], m["location"] = "CameraAction", "CameraRollAction", "LocationAction"
	return m
}()

// objects are the schemas, by their component names in messaging-api.yml.
var objects = map[string]object{
	"QuickReply": {fields: map[string]field{"items": required(field{kind: kArray, of: "QuickReplyItem", min: 1, max: 13})}},
	"QuickReplyItem": {fields: map[string]field{
		"type": required(oneOf("action")), "imageUrl": https, "action": required(anObject("QuickReplyAction")),
	}},
	"Sender": {fields: map[string]field{"name": aString(20), "iconUrl": https}},

	"TextMessage": {fields: with(messageFields, map[string]field{
		"text": required(field{kind: kString, min: 1, max: 5000}), "emojis": listOf("Emoji", 20), "quoteToken": aString(0),
	})},
	"Emoji":          {fields: map[string]field{"index": required(integer), "productId": required(aString(0)), "emojiId": required(aString(0))}},
	"StickerMessage": {fields: with(messageFields, map[string]field{"packageId": required(aString(0)), "stickerId": required(aString(0)), "quoteToken": aString(0)})},
	"ImageMessage":   {fields: with(messageFields, map[string]field{"originalContentUrl": required(https), "previewImageUrl": required(https)})},

	"TemplateMessage": {fields: with(messageFields, map[string]field{
		"altText": required(field{kind: kString, min: 1, max: 1500}), "template": required(anObject("Template")),
	})},
	"ButtonsTemplate": {fields: map[string]field{
		"type": required(aString(0)), "thumbnailImageUrl": https, "imageAspectRatio": oneOf("rectangle", "square"),
		"imageSize": oneOf("cover", "contain"), "imageBackgroundColor": hexColor, "title": aText(40),
		"text": required(field{kind: kString, min: 1, max: 160, in: inGraphemes}), "defaultAction": anObject("TemplateDefault"),
		"actions": required(field{kind: kArray, of: "TemplateAction", min: 1, max: 4}),
	}, check: shortTextWithImageOrTitle},
	"ConfirmTemplate": {fields: map[string]field{
		"type": required(aString(0)), "text": required(field{kind: kString, min: 1, max: 240, in: inGraphemes}),
		"actions": required(field{kind: kArray, of: "TemplateAction", min: 2, max: 2}),
	}},
	"CarouselTemplate": {fields: map[string]field{
		"type": required(aString(0)), "columns": required(field{kind: kArray, of: "CarouselColumn", min: 1, max: 10}),
		"imageAspectRatio": oneOf("rectangle", "square"), "imageSize": oneOf("cover", "contain"),
	}, check: sameActionCount},
	"CarouselColumn": {fields: map[string]field{
		"thumbnailImageUrl": https, "imageBackgroundColor": hexColor, "title": aText(40),
		"text": required(field{kind: kString, min: 1, max: 120, in: inGraphemes}), "defaultAction": anObject("TemplateDefault"),
		"actions": required(field{kind: kArray, of: "TemplateAction", min: 1, max: 3}),
	}, check: shortTextWithImageOrTitle},
	"ImageCarouselTemplate": {fields: map[string]field{
		"type": required(aString(0)), "columns": required(field{kind: kArray, of: "ImageCarouselColumn", min: 1, max: 10}),
	}},
	"ImageCarouselColumn": {fields: map[string]field{"imageUrl": required(https), "action": required(anObject("ImageCarouselAction"))}},

	"FlexMessage": {fields: with(messageFields, map[string]field{
		"altText": required(field{kind: kString, min: 1, max: 1500}), "contents": required(anObject("FlexContainer")),
	})},
	"FlexBubble": {fields: map[string]field{
		"type": required(aString(0)), "direction": oneOf("ltr", "rtl"), "styles": anObject("FlexBubbleStyles"),
		"header": anObject("FlexBox"), "hero": anObject("FlexHero"), "body": anObject("FlexBox"), "footer": anObject("FlexBox"),
		"size": oneOf("nano", "micro", "deca", "hecto", "kilo", "mega", "giga"), "action": anObject("FlexAction"),
	}, check: bubbleSize},
	"FlexCarousel": {fields: map[string]field{
		"type": required(aString(0)), "contents": required(field{kind: kArray, of: "FlexBubble", min: 1, max: 12}),
	}, check: carouselRules},
	"FlexBubbleStyles": {fields: map[string]field{
		"header": anObject("FlexBlockStyle"), "hero": anObject("FlexBlockStyle"), "body": anObject("FlexBlockStyle"), "footer": anObject("FlexBlockStyle"),
	}},
	"FlexBlockStyle": {fields: map[string]field{"backgroundColor": hexColor, "separator": boolean, "separatorColor": hexColor}},
	"FlexBox": {fields: with(offsets, map[string]field{
		"type": required(aString(0)), "layout": required(oneOf("horizontal", "vertical", "baseline")),
		"contents": required(listOf("FlexComponent", 0)), "flex": integer, "spacing": spacing, "margin": spacing,
		"backgroundColor": hexColor, "borderColor": hexColor, "borderWidth": border, "cornerRadius": radius,
		"width": extent, "maxWidth": extent, "height": extent, "maxHeight": extent,
		"paddingAll": padding, "paddingTop": padding, "paddingBottom": padding, "paddingStart": padding, "paddingEnd": padding,
		"action":         anObject("FlexAction"),
		"justifyContent": oneOf("center", "flex-start", "flex-end", "space-between", "space-around", "space-evenly"),
		"alignItems":     oneOf("center", "flex-start", "flex-end"),
		"background":     anObject("FlexBoxBackground"),
	}), check: boxContents},
	"FlexBoxLinearGradient": {fields: map[string]field{
		"type": required(aString(0)), "angle": required(withFormat(aString(0), angleFormat)), "startColor": required(hexColor), "endColor": required(hexColor),
		"centerColor": hexColor, "centerPosition": withFormat(aString(0), percentFormat),
	}},
	"FlexButton": {fields: with(offsets, map[string]field{
		"type": required(aString(0)), "action": required(anObject("FlexButtonAction")), "flex": integer, "color": hexColor,
		"style": oneOf("primary", "secondary", "link"), "gravity": gravity, "margin": spacing,
		"height": oneOf("md", "sm"), "adjustMode": oneOf("shrink-to-fit"), "scaling": boolean,
	})},
	"FlexImage": {fields: with(offsets, map[string]field{
		"type": required(aString(0)), "url": required(https), "flex": integer, "margin": spacing, "align": align, "gravity": gravity,
		"size": imgSize, "aspectRatio": ratio, "aspectMode": oneOf("fit", "cover"), "backgroundColor": hexColor,
		"action": anObject("FlexAction"), "animated": boolean,
	})},
	"FlexVideo": {fields: map[string]field{
		"type": required(aString(0)), "url": required(https), "previewUrl": required(https), "altContent": required(anObject("FlexAltContent")),
		"aspectRatio": ratio, "action": anObject("FlexAction"),
	}},
	"FlexIcon": {fields: with(offsets, map[string]field{
		"type": required(aString(0)), "url": required(https), "size": iconSize, "aspectRatio": ratio, "margin": spacing, "scaling": boolean,
	})},
	"FlexText": {fields: with(offsets, map[string]field{
		"type": required(aString(0)), "text": aString(0), "contents": listOf("FlexSpans", 0), "adjustMode": oneOf("shrink-to-fit"),
		"flex": integer, "margin": spacing, "size": fontSize, "scaling": boolean, "align": align, "gravity": gravity,
		"wrap": boolean, "lineSpacing": pixels, "maxLines": integer, "weight": oneOf("regular", "bold"), "color": hexColor,
		"action": anObject("FlexAction"), "style": oneOf("normal", "italic"), "decoration": oneOf("none", "underline", "line-through"),
	}), check: textOrSpans},
	"FlexSpan": {fields: map[string]field{
		"type": required(aString(0)), "text": aString(0), "color": hexColor, "size": fontSize, "weight": oneOf("regular", "bold"),
		"style": oneOf("normal", "italic"), "decoration": oneOf("none", "underline", "line-through"),
	}},
	"FlexSeparator": {fields: map[string]field{"type": required(aString(0)), "margin": spacing, "color": hexColor}},
	"FlexFiller":    {fields: map[string]field{"type": required(aString(0)), "flex": integer}},

	"PostbackAction": {fields: with(actionFields, map[string]field{
		"data": required(aString(300)), "displayText": aText(300), "text": aText(300),
		"inputOption": oneOf("closeRichMenu", "openRichMenu", "openKeyboard", "openVoice"), "fillInText": aText(300),
	}), check: displayTextOrText},
	"MessageAction": {fields: with(actionFields, map[string]field{"text": required(field{kind: kString, min: 1, max: 300, in: inGraphemes})})},
	"URIAction":     {fields: with(actionFields, map[string]field{"uri": required(uri), "altUri": anObject("AltUri")})},
	"AltUri":        {fields: map[string]field{"desktop": required(uri)}},
	"DatetimePickerAction": {fields: with(actionFields, map[string]field{
		"data": required(aString(300)), "mode": required(oneOf("date", "time", "datetime")), "initial": aString(0), "max": aString(0), "min": aString(0),
	})},
	"ClipboardAction":  {fields: with(actionFields, map[string]field{"clipboardText": required(field{kind: kString, min: 1, max: 1000})})},
	"CameraAction":     {fields: actionFields},
	"CameraRollAction": {fields: actionFields},
	"LocationAction":   {fields: actionFields},
}

// CheckMessages checks the messages of a reply or push request against the
// schema and returns every problem found, as LINE lists them in a 400's
// details; none means LINE would take them.
func CheckMessages(raw []json.RawMessage) []Detail {
	v := &validator{}
	if len(raw) < 1 || len(raw) > MaxMessages {
		v.fail("messages", "Size must be between 1 and %d", MaxMessages)
	}
	for i, r := range raw {
		x, err := decodeJSON(r)
		at := fmt.Sprintf("messages[%d]", i)
		if err != nil {
			v.fail(at, "The request body could not be parsed as JSON: %v", err)
			continue
		}
		v.object(x, "Message", at, nil)
	}
	return v.details
}

// decodeJSON decodes b keeping numbers as written, so that 1.5 is no integer.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("data after the JSON value")
	}
	return x, nil
}

type validator struct {
	details []Detail
}

func (v *validator) fail(at, format string, args ...any) {
	v.details = append(v.details, Detail{Message: fmt.Sprintf(format, args...), Property: at})
}

// object checks that x is the object name, a union or a schema; label is
// the rule for an action's label where the action is.
func (v *validator) object(x any, name string, at string, label *labelRule) {
	o, ok := x.(map[string]any)
	if !ok {
		v.fail(at, "Must be an object")
		return
	}
	if u, ok := unions[name]; ok {
		t, _ := o["type"].(string)
		target, ok := u.of[t]
		if !ok {
			if name == "Message" && slices.Contains(messageTypes, t) {
				v.fail(at+".type", "Message type %q is not supported by the emulator", t)
				return
			}
			v.fail(at+".type", "Must be one of the following values: [%s]", strings.Join(slices.Sorted(maps.Keys(u.of)), ", "))
			return
		}
		v.object(o, target, at, u.label)
		return
	}
	s, ok := objects[name]
	if !ok {
		panic("lineemu: no schema " + name)
	}
	keys := slices.Collect(maps.Keys(o))
	for k, f := range s.fields {
		if _, present := o[k]; f.required && !present {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		f, known := s.fields[k]
		x, present := o[k]
		switch {
		case !known:
			v.fail(at+"."+k, "invalid property")
		case !present:
			v.fail(at+"."+k, "Must be specified")
		default:
			v.value(x, f, at+"."+k)
		}
	}
	if label != nil {
		l, _ := o["label"].(string)
		switch n := graphemes(l); {
		case label.required && strings.TrimSpace(l) == "":
			v.fail(at+".label", "Must be specified")
		case n > label.max:
			v.fail(at+".label", "Length must be at most %d, got %d", label.max, n)
		}
	}
	if s.check != nil {
		s.check(v, o, at)
	}
}

// value checks one property's value x against f.
func (v *validator) value(x any, f field, at string) {
	switch f.kind {
	case kString:
		s, ok := x.(string)
		if !ok {
			v.fail(at, "Must be a string")
			return
		}
		if f.enum != nil && !slices.Contains(f.enum, s) {
			v.fail(at, "Must be one of the following values: [%s]", strings.Join(f.enum, ", "))
			return
		}
		n := units(s)
		if f.in == inGraphemes {
			n = graphemes(s)
		}
		if n < f.min || (f.max > 0 && n > f.max) {
			v.fail(at, "Length must be between %d and %d, got %d", f.min, f.max, n)
			return
		}
		if f.format != nil {
			if p := f.format(s); p != "" {
				v.fail(at, "%s", p)
			}
		}
	case kInt:
		if n, ok := x.(json.Number); !ok || strings.ContainsAny(string(n), ".eE") {
			v.fail(at, "Must be an integer")
		}
	case kBool:
		if _, ok := x.(bool); !ok {
			v.fail(at, "Must be a boolean")
		}
	case kObject:
		v.object(x, f.of, at, nil)
	case kArray:
		xs, ok := x.([]any)
		if !ok {
			v.fail(at, "Must be an array")
			return
		}
		if len(xs) < f.min || (f.max > 0 && len(xs) > f.max) {
			v.fail(at, "Size must be between %d and %d, got %d", f.min, f.max, len(xs))
		}
		for i, e := range xs {
			v.object(e, f.of, fmt.Sprintf("%s[%d]", at, i), nil)
		}
	}
}

// Rules across properties.

// shortTextWithImageOrTitle: a buttons template's or carousel column's text
// is at most 60 characters with an image or a title (#buttons, #column-object).
func shortTextWithImageOrTitle(v *validator, o map[string]any, at string) {
	_, img := o["thumbnailImageUrl"]
	_, title := o["title"]
	if s, _ := o["text"].(string); (img || title) && graphemes(s) > 60 {
		v.fail(at+".text", "Length must be at most 60 with an image or a title, got %d", graphemes(s))
	}
}

// sameActionCount: every column of a carousel template has as many actions (#carousel).
func sameActionCount(v *validator, o map[string]any, at string) {
	cols, _ := o["columns"].([]any)
	want := -1
	for i, c := range cols {
		c, _ := c.(map[string]any)
		as, _ := c["actions"].([]any)
		if want < 0 {
			want = len(as)
		} else if len(as) != want {
			v.fail(fmt.Sprintf("%s.columns[%d].actions", at, i), "Every column must have the same number of actions (%d)", want)
		}
	}
}

// LINE's size limits for Flex JSON: a bubble 30 KB, a carousel 50 KB (#bubble,
// #f-carousel). Measured on the compact JSON; the reference does not say
// whether a KB is 1,000 or 1,024 bytes, so the stricter.
const (
	MaxBubbleBytes   = 30_000
	MaxCarouselBytes = 50_000
)

func jsonSize(o any) int {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	e.Encode(o)
	return b.Len() - 1
}

// bubbleSize: a bubble's JSON is at most 30 KB; a video hero needs a kilo,
// mega or giga bubble (#f-video).
func bubbleSize(v *validator, o map[string]any, at string) {
	if n := jsonSize(o); n > MaxBubbleBytes {
		v.fail(at, "A bubble's JSON must be at most %d bytes, got %d", MaxBubbleBytes, n)
	}
	if hero, _ := o["hero"].(map[string]any); hero["type"] == "video" {
		if size, _ := o["size"].(string); size != "" && !slices.Contains([]string{"kilo", "mega", "giga"}, size) {
			v.fail(at+".size", "A bubble with a video must be kilo, mega or giga")
		}
	}
}

// carouselRules: a carousel's JSON is at most 50 KB; its bubbles are all of
// one width; none holds a video (#f-carousel, #f-video).
func carouselRules(v *validator, o map[string]any, at string) {
	if n := jsonSize(o); n > MaxCarouselBytes {
		v.fail(at, "A carousel's JSON must be at most %d bytes, got %d", MaxCarouselBytes, n)
	}
	bubbles, _ := o["contents"].([]any)
	var first string
	for i, b := range bubbles {
		b, _ := b.(map[string]any)
		size, _ := b["size"].(string)
		if size == "" {
			size = "mega"
		}
		if i == 0 {
			first = size
		} else if size != first {
			v.fail(fmt.Sprintf("%s.contents[%d].size", at, i), "Every bubble of a carousel must be of one size (%s)", first)
		}
		if hero, _ := b["hero"].(map[string]any); hero["type"] == "video" {
			v.fail(fmt.Sprintf("%s.contents[%d].hero", at, i), "A bubble in a carousel cannot hold a video")
		}
	}
}

// boxContents: what a box may hold depends on its layout (#box): a baseline
// box icons, texts and fillers; the others boxes, buttons, images, texts,
// separators and fillers (a video only as a hero, a span only in a text).
func boxContents(v *validator, o map[string]any, at string) {
	allowed := []string{"box", "button", "filler", "image", "separator", "text"}
	if o["layout"] == "baseline" {
		allowed = []string{"filler", "icon", "text"}
	}
	cs, _ := o["contents"].([]any)
	for i, c := range cs {
		c, _ := c.(map[string]any)
		if t, _ := c["type"].(string); !slices.Contains(allowed, t) {
			v.fail(fmt.Sprintf("%s.contents[%d].type", at, i), "Must be one of the following values in a %v box: [%s]", o["layout"], strings.Join(allowed, ", "))
		}
	}
}

// textOrSpans: a text has its text or spans (#f-text).
func textOrSpans(v *validator, o map[string]any, at string) {
	_, t := o["text"]
	_, c := o["contents"]
	if !t && !c {
		v.fail(at+".text", "Must be specified (or contents)")
	}
}

// displayTextOrText: a postback has one of them at most (#postback-action).
func displayTextOrText(v *validator, o map[string]any, at string) {
	_, d := o["displayText"]
	_, t := o["text"]
	if d && t {
		v.fail(at, "displayText and text cannot both be set")
	}
}

// Formats.

var (
	pxRe      = regexp.MustCompile(`^(0|[1-9][0-9]*)(\.[0-9]+)?px$`)
	percentRe = regexp.MustCompile(`^(0|[1-9][0-9]*)(\.[0-9]+)?%$`)
	ratioRe   = regexp.MustCompile(`^([1-9][0-9]{0,5}):([1-9][0-9]{0,5})$`)
	angleRe   = regexp.MustCompile(`^(0|[1-9][0-9]*)(\.[0-9]+)?deg$`)
)

func colorFormat(s string) string {
	if !colorRe.MatchString(s) {
		return "Must be a hexadecimal hexColor code (#RRGGBB or #RRGGBBAA)"
	}
	return ""
}

func percentFormat(s string) string {
	if !percentRe.MatchString(s) {
		return "Must be a percentage"
	}
	return ""
}

func angleFormat(s string) string {
	if m := angleRe.FindStringSubmatch(s); m == nil {
		return "Must be an angle in degrees (e.g. 90deg)"
	} else if d, _ := strconv.ParseFloat(strings.TrimSuffix(s, "deg"), 64); d >= 360 {
		return "Must be less than 360deg"
	}
	return ""
}

// flexLength accepts pixels, a percentage if percent, and keywords.
func flexLength(percent bool, keywords ...string) func(string) string {
	return func(s string) string {
		if slices.Contains(keywords, s) || pxRe.MatchString(s) || (percent && percentRe.MatchString(s)) {
			return ""
		}
		what := "pixels"
		if percent {
			what += ", a percentage"
		}
		if len(keywords) > 0 {
			what += " or one of [" + strings.Join(keywords, ", ") + "]"
		}
		return "Must be " + what
	}
}

// ratioFormat: "{width}:{height}", each 1 to 100000, the height at most
// three times the width (#f-image).
func ratioFormat(s string) string {
	m := ratioRe.FindStringSubmatch(s)
	if m == nil {
		return "Must be {width}:{height}"
	}
	w, _ := strconv.Atoi(m[1])
	h, _ := strconv.Atoi(m[2])
	if w > 100000 || h > 100000 || h > 3*w {
		return "Width and height must be 1 to 100000, the height at most three times the width"
	}
	return ""
}

// httpsFormat: an image URL is HTTPS (#f-image, #image-message).
func httpsFormat(s string) string {
	if u, err := url.Parse(s); err != nil || u.Scheme != "https" || u.Host == "" || !encoded(s) {
		return "Must be an HTTPS URL, percent-encoded"
	}
	return ""
}

// uriFormat: a URI action opens http, https, line or tel (#uri-action).
func uriFormat(s string) string {
	u, err := url.Parse(s)
	if err != nil || !slices.Contains([]string{"http", "https", "line", "tel"}, u.Scheme) || !encoded(s) {
		return "invalid uri scheme: must be http, https, line or tel, percent-encoded"
	}
	return ""
}

// encoded reports whether s is percent-encoded: printable ASCII, no spaces
// (#url-encoding).
func encoded(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// units counts UTF-16 code units, as LINE counts text.
func units(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// graphemes counts grapheme clusters, as LINE counts labels.
func graphemes(s string) int { return uniseg.GraphemeClusterCount(s) }
