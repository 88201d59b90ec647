package lineemu_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/taikaibot/taikai/lineemu"
)

// Valid messages of each kind; every case below breaks one rule in a copy.
const (
	textMsg  = `{"type":"text","text":"こんにちは","emojis":[{"index":0,"productId":"p","emojiId":"001"}],"sender":{"name":"サポート","iconUrl":"https://x.example/i.png"},"quickReply":{"items":[{"type":"action","imageUrl":"https://x.example/q.png","action":{"type":"postback","label":"はい","data":"a=yes","displayText":"はい"}},{"type":"action","action":{"type":"camera","label":"カメラ"}},{"type":"action","action":{"type":"location","label":"位置"}}]}}`
	sticker  = `{"type":"sticker","packageId":"446","stickerId":"1988"}`
	imageMsg = `{"type":"image","originalContentUrl":"https://x.example/o.jpg","previewImageUrl":"https://x.example/p.jpg"}`
	buttons  = `{"type":"template","altText":"alt","template":{"type":"buttons","thumbnailImageUrl":"https://x.example/t.jpg","imageAspectRatio":"square","imageSize":"contain","imageBackgroundColor":"#FFFFFF","title":"題","text":"本文","defaultAction":{"type":"uri","uri":"https://x.example/"},"actions":[{"type":"postback","label":"押す","data":"d"},{"type":"message","label":"送る","text":"はい"},{"type":"uri","label":"開く","uri":"https://x.example/?a=1&b=2","altUri":{"desktop":"https://x.example/pc"}},{"type":"datetimepicker","label":"日付","data":"d","mode":"date"}]}}`
	confirm  = `{"type":"template","altText":"alt","template":{"type":"confirm","text":"よろしいですか？","actions":[{"type":"message","label":"はい","text":"はい"},{"type":"clipboard","label":"コピー","clipboardText":"abc"}]}}`
	columns  = `{"type":"template","altText":"alt","template":{"type":"carousel","imageAspectRatio":"rectangle","columns":[{"text":"一","actions":[{"type":"message","label":"a","text":"a"}]},{"title":"二","text":"二","thumbnailImageUrl":"https://x.example/t.jpg","actions":[{"type":"message","label":"b","text":"b"}]}]}}`
	pictures = `{"type":"template","altText":"alt","template":{"type":"image_carousel","columns":[{"imageUrl":"https://x.example/1.jpg","action":{"type":"uri","uri":"https://x.example/"}}]}}`
	// bubble holds every Flex component and block.
	bubble = `{"type":"flex","altText":"alt","contents":{"type":"bubble","size":"kilo","direction":"ltr",
		"styles":{"header":{"backgroundColor":"#00ff00"},"footer":{"separator":true,"separatorColor":"#000000"}},
		"header":{"type":"box","layout":"vertical","contents":[{"type":"text","text":"見出し","weight":"bold","size":"xl"}]},
		"hero":{"type":"image","url":"https://x.example/h.jpg","size":"full","aspectRatio":"20:13","aspectMode":"cover","action":{"type":"uri","uri":"https://x.example/"}},
		"body":{"type":"box","layout":"vertical","spacing":"sm","paddingAll":"10%","cornerRadius":"4px","borderWidth":"light","borderColor":"#cccccc","backgroundColor":"#FFFFFF00",
			"justifyContent":"center","alignItems":"flex-start","background":{"type":"linearGradient","angle":"90deg","startColor":"#000000","endColor":"#ffffff","centerPosition":"50%"},
			"contents":[
				{"type":"text","text":"本文","wrap":true,"maxLines":3,"flex":0,"margin":"md","color":"#666666","align":"start","gravity":"center","lineSpacing":"4px","style":"italic","decoration":"underline","adjustMode":"shrink-to-fit","scaling":true},
				{"type":"text","contents":[{"type":"span","text":"a","weight":"bold","color":"#ff0000","size":"sm"},{"type":"span","text":"b","decoration":"line-through"}]},
				{"type":"box","layout":"baseline","contents":[{"type":"icon","url":"https://x.example/s.png","size":"sm"},{"type":"text","text":"4.0","size":"12px"},{"type":"filler","flex":1}]},
				{"type":"box","layout":"horizontal","position":"relative","offsetTop":"4px","width":"50%","action":{"type":"postback","data":"d"},"contents":[{"type":"image","url":"https://x.example/i.png","size":"xxs"},{"type":"separator","color":"#eeeeee"}]}
			]},
		"footer":{"type":"box","layout":"vertical","contents":[
			{"type":"button","style":"primary","height":"sm","color":"#06c755","action":{"type":"uri","label":"ログインして連携する","uri":"https://x.example/link?t=1"}},
			{"type":"button","style":"secondary","action":{"type":"postback","label":"退会をやめる","data":"a=cancel","displayText":"退会をやめる"}}
		]}}}`
	video  = `{"type":"flex","altText":"alt","contents":{"type":"bubble","hero":{"type":"video","url":"https://x.example/v.mp4","previewUrl":"https://x.example/v.jpg","altContent":{"type":"image","url":"https://x.example/v.jpg"},"aspectRatio":"16:9"}}}`
	slides = `{"type":"flex","altText":"alt","contents":{"type":"carousel","contents":[{"type":"bubble","body":{"type":"box","layout":"vertical","contents":[{"type":"text","text":"一"}]}},{"type":"bubble","body":{"type":"box","layout":"vertical","contents":[]}}]}}`
)

// edit returns msg with the value at path (dots and [i]) set to v, or
// removed if v is remove.
func edit(t *testing.T, msg, path string, v any) string {
	t.Helper()
	var root any
	if err := json.Unmarshal([]byte(msg), &root); err != nil {
		t.Fatalf("bad fixture: %v", err)
	}
	steps := regexp.MustCompile(`[^.\[\]]+|\[\d+\]`).FindAllString(path, -1)
	cur := root
	for i, s := range steps {
		last := i == len(steps)-1
		if strings.HasPrefix(s, "[") {
			n, _ := strconv.Atoi(s[1 : len(s)-1])
			xs := cur.([]any)
			if last {
				xs[n] = v
				break
			}
			cur = xs[n]
			continue
		}
		m := cur.(map[string]any)
		if last {
			if v == remove {
				delete(m, s)
			} else {
				m[s] = v
			}
			break
		}
		cur = m[s]
	}
	b, _ := json.Marshal(root)
	return string(b)
}

// remove, as edit's value, deletes the property.
var remove any = &struct{}{}

func obj(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		panic(err)
	}
	return v
}

func repeat(s string, n int) string { return strings.Repeat(s, n) }

// family is one grapheme cluster of five code points and eight UTF-16 units.
const family = "👨\u200d👩\u200d👧"

func TestValidMessagesPass(t *testing.T) {
	for name, m := range map[string]string{
		"text": textMsg, "sticker": sticker, "image": imageMsg, "buttons": buttons, "confirm": confirm,
		"carousel template": columns, "image carousel": pictures, "bubble": bubble, "video": video, "carousel": slides,
	} {
		if ds := lineemu.CheckMessages([]json.RawMessage{json.RawMessage(m)}); len(ds) > 0 {
			t.Errorf("%s: %v; want none", name, ds)
		}
	}
	// Limits reached, not passed: LINE counts text in UTF-16 units and
	// labels in grapheme clusters.
	for name, m := range map[string]string{
		"5000 units":             fmt.Sprintf(`{"type":"text","text":%q}`, repeat("🍎", 2500)),
		"20 clusters of emoji":   edit(t, textMsg, "quickReply.items[0].action.label", repeat(family, 20)),
		"40 clusters in a Flex":  edit(t, bubble, "contents.footer.contents[1].action.label", repeat("あ", 40)),
		"1500 units of altText":  edit(t, bubble, "altText", repeat("🍎", 750)),
		"1500 template altText":  edit(t, buttons, "altText", repeat("a", 1500)),
		"160 without title":      edit(t, edit(t, edit(t, buttons, "template.title", remove), "template.thumbnailImageUrl", remove), "template.text", repeat("あ", 160)),
		"12 bubbles":             edit(t, slides, "contents.contents", bubbles(12, 10)),
		"an empty box":           edit(t, slides, "contents.contents[0].body.contents", []any{}),
		"300 units of data":      edit(t, textMsg, "quickReply.items[0].action.data", repeat("d", 300)),
		"a tel link":             edit(t, buttons, "template.actions[2].uri", "tel:0312345678"),
		"a bubble just in 30 KB": edit(t, slides, "contents.contents[0].body.contents[0].text", repeat("a", lineemu.MaxBubbleBytes-200)),
	} {
		if ds := lineemu.CheckMessages([]json.RawMessage{json.RawMessage(m)}); len(ds) > 0 {
			t.Errorf("%s: %v; want none", name, ds)
		}
	}
}

// bubbles is n bubbles whose text is size bytes long.
func bubbles(n, size int) []any {
	var bs []any
	for i := 0; i < n; i++ {
		bs = append(bs, obj(fmt.Sprintf(`{"type":"bubble","body":{"type":"box","layout":"vertical","contents":[{"type":"text","text":%q}]}}`, repeat("a", size))))
	}
	return bs
}

// TestEveryRuleCanFail breaks each rule of the schema in a valid message:
// LINE's answer must name the property and say what is wrong.
func TestEveryRuleCanFail(t *testing.T) {
	qr := func(path string, v any) string { return edit(t, textMsg, "quickReply."+path, v) }
	body := func(path string, v any) string { return edit(t, bubble, "contents.body."+path, v) }
	for _, tc := range []struct {
		name, msg, at, says string
	}{
		// Message and its common properties.
		{"an unsupported type", `{"type":"textV2","text":"x"}`, "messages[0].type", "not supported by the emulator"},
		{"an unknown type", `{"type":"banner","text":"x"}`, "messages[0].type", "Must be one of"},
		{"no type", `{"text":"x"}`, "messages[0].type", "Must be one of"},
		{"not an object", `"hello"`, "messages[0]", "Must be an object"},
		{"an unknown property", edit(t, textMsg, "color", "red"), "messages[0].color", "invalid property"},
		{"no text", edit(t, textMsg, "text", remove), "messages[0].text", "Must be specified"},
		{"an empty text", edit(t, textMsg, "text", ""), "messages[0].text", "Length"},
		{"a text of 5001 units", edit(t, textMsg, "text", repeat("🍎", 2500)+"a"), "messages[0].text", "got 5001"},
		{"a text that is a number", edit(t, textMsg, "text", 5), "messages[0].text", "Must be a string"},
		{"21 emojis", edit(t, textMsg, "emojis", []any{obj(`{"index":0,"productId":"p","emojiId":"1"}`), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}), "messages[0].emojis", "Size must be between 0 and 20"},
		{"an emoji index of 1.5", edit(t, textMsg, "emojis[0].index", 1.5), "messages[0].emojis[0].index", "integer"},
		{"an emoji without product", edit(t, textMsg, "emojis[0].productId", remove), "messages[0].emojis[0].productId", "Must be specified"},
		{"a sender name of 21", edit(t, textMsg, "sender.name", repeat("a", 21)), "messages[0].sender.name", "got 21"},
		{"a sender icon over http", edit(t, textMsg, "sender.iconUrl", "http://x.example/i.png"), "messages[0].sender.iconUrl", "HTTPS"},
		{"a sticker without id", edit(t, sticker, "stickerId", remove), "messages[0].stickerId", "Must be specified"},
		{"an image preview over http", edit(t, imageMsg, "previewImageUrl", "http://x.example/p.jpg"), "messages[0].previewImageUrl", "HTTPS"},

		// Quick replies.
		{"14 quick replies", qr("items", []any{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}), "messages[0].quickReply.items", "Size must be between 1 and 13"},
		{"no quick replies", qr("items", []any{}), "messages[0].quickReply.items", "Size must be between 1 and 13"},
		{"quick replies not an object", edit(t, textMsg, "quickReply", []any{}), "messages[0].quickReply", "Must be an object"},
		{"an item without type", qr("items[0].type", remove), "messages[0].quickReply.items[0].type", "Must be specified"},
		{"an item of another type", qr("items[0].type", "button"), "messages[0].quickReply.items[0].type", "Must be one of the following values: [action]"},
		{"an item icon over http", qr("items[0].imageUrl", "http://x.example/q.png"), "messages[0].quickReply.items[0].imageUrl", "HTTPS"},
		{"an item without action", qr("items[0].action", remove), "messages[0].quickReply.items[0].action", "Must be specified"},
		{"a quick reply without label", qr("items[1].action.label", remove), "messages[0].quickReply.items[1].action.label", "Must be specified"},
		{"a quick reply label of 21", qr("items[0].action.label", repeat(family, 21)), "messages[0].quickReply.items[0].action.label", "at most 20, got 21"},
		{"a rich menu switch in a quick reply", qr("items[0].action", obj(`{"type":"richmenuswitch","label":"a","richMenuAliasId":"x","data":"d"}`)), "messages[0].quickReply.items[0].action.type", "Must be one of"},

		// Actions.
		{"postback data of 301", qr("items[0].action.data", repeat("d", 301)), "messages[0].quickReply.items[0].action.data", "got 301"},
		{"postback data in emoji", qr("items[0].action.data", repeat("🍎", 151)), "messages[0].quickReply.items[0].action.data", "got 302"},
		{"postback without data", qr("items[0].action.data", remove), "messages[0].quickReply.items[0].action.data", "Must be specified"},
		{"displayText and text", qr("items[0].action.text", "はい"), "messages[0].quickReply.items[0].action", "cannot both"},
		{"displayText of 301", qr("items[0].action.displayText", repeat("あ", 301)), "messages[0].quickReply.items[0].action.displayText", "got 301"},
		{"an unknown input option", qr("items[0].action.inputOption", "openCamera"), "messages[0].quickReply.items[0].action.inputOption", "Must be one of"},
		{"an unknown action property", qr("items[0].action.color", "red"), "messages[0].quickReply.items[0].action.color", "invalid property"},
		{"a message action without text", edit(t, buttons, "template.actions[1].text", remove), "messages[0].template.actions[1].text", "Must be specified"},
		{"a message action text of 301", edit(t, buttons, "template.actions[1].text", repeat("あ", 301)), "messages[0].template.actions[1].text", "got 301"},
		{"an ftp link", edit(t, buttons, "template.actions[2].uri", "ftp://x.example/"), "messages[0].template.actions[2].uri", "invalid uri scheme"},
		{"a link not encoded", edit(t, buttons, "template.actions[2].uri", "https://x.example/注文"), "messages[0].template.actions[2].uri", "percent-encoded"},
		{"a link of 1001", edit(t, buttons, "template.actions[2].uri", "https://x.example/"+repeat("a", 983)), "messages[0].template.actions[2].uri", "got 1001"},
		{"a desktop link over ftp", edit(t, buttons, "template.actions[2].altUri.desktop", "ftp://x"), "messages[0].template.actions[2].altUri.desktop", "invalid uri scheme"},
		{"a date picker without mode", edit(t, buttons, "template.actions[3].mode", remove), "messages[0].template.actions[3].mode", "Must be specified"},
		{"a date picker of months", edit(t, buttons, "template.actions[3].mode", "month"), "messages[0].template.actions[3].mode", "Must be one of"},
		{"a clipboard of 1001", edit(t, confirm, "template.actions[1].clipboardText", repeat("a", 1001)), "messages[0].template.actions[1].clipboardText", "got 1001"},
		{"a camera in a template", edit(t, confirm, "template.actions[1]", obj(`{"type":"camera","label":"c"}`)), "messages[0].template.actions[1].type", "Must be one of"},

		// Templates.
		{"a template altText of 1501", edit(t, buttons, "altText", repeat("🍎", 750)+"a"), "messages[0].altText", "got 1501"},
		{"a template without altText", edit(t, buttons, "altText", remove), "messages[0].altText", "Must be specified"},
		{"a template of another type", edit(t, buttons, "template.type", "list"), "messages[0].template.type", "Must be one of"},
		{"a buttons text of 161", edit(t, edit(t, edit(t, buttons, "template.title", remove), "template.thumbnailImageUrl", remove), "template.text", repeat("あ", 161)), "messages[0].template.text", "got 161"},
		{"a buttons text of 61 with a title", edit(t, buttons, "template.text", repeat("あ", 61)), "messages[0].template.text", "at most 60"},
		{"a buttons title of 41", edit(t, buttons, "template.title", repeat("あ", 41)), "messages[0].template.title", "got 41"},
		{"five buttons", edit(t, buttons, "template.actions", []any{obj(`{"type":"message","label":"a","text":"a"}`), 2, 3, 4, 5}), "messages[0].template.actions", "Size must be between 1 and 4"},
		{"no buttons", edit(t, buttons, "template.actions", []any{}), "messages[0].template.actions", "Size must be between 1 and 4"},
		{"a wide image", edit(t, buttons, "template.imageAspectRatio", "wide"), "messages[0].template.imageAspectRatio", "Must be one of"},
		{"a colour by name", edit(t, buttons, "template.imageBackgroundColor", "white"), "messages[0].template.imageBackgroundColor", "hexadecimal"},
		{"a template label of 21", edit(t, buttons, "template.actions[0].label", repeat("a", 21)), "messages[0].template.actions[0].label", "at most 20"},
		{"a template button without label", edit(t, buttons, "template.actions[0].label", remove), "messages[0].template.actions[0].label", "Must be specified"},
		{"a confirm of three", edit(t, confirm, "template.actions", []any{obj(`{"type":"message","label":"a","text":"a"}`), obj(`{"type":"message","label":"a","text":"a"}`), obj(`{"type":"message","label":"a","text":"a"}`)}), "messages[0].template.actions", "Size must be between 2 and 2"},
		{"a confirm text of 241", edit(t, confirm, "template.text", repeat("あ", 241)), "messages[0].template.text", "got 241"},
		{"11 columns", edit(t, columns, "template.columns", []any{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}), "messages[0].template.columns", "Size must be between 1 and 10"},
		{"columns of unequal actions", edit(t, columns, "template.columns[1].actions", []any{obj(`{"type":"message","label":"a","text":"a"}`), obj(`{"type":"message","label":"b","text":"b"}`)}), "messages[0].template.columns[1].actions", "same number"},
		{"a column text of 121", edit(t, columns, "template.columns[0].text", repeat("あ", 121)), "messages[0].template.columns[0].text", "got 121"},
		{"an image column label of 13", edit(t, pictures, "template.columns[0].action.label", repeat("a", 13)), "messages[0].template.columns[0].action.label", "at most 12"},
		{"an image column without image", edit(t, pictures, "template.columns[0].imageUrl", remove), "messages[0].template.columns[0].imageUrl", "Must be specified"},

		// Flex containers.
		{"a Flex altText of 1501", edit(t, bubble, "altText", repeat("a", 1501)), "messages[0].altText", "got 1501"},
		{"a Flex message without contents", edit(t, bubble, "contents", remove), "messages[0].contents", "Must be specified"},
		{"a container of another type", edit(t, bubble, "contents.type", "box"), "messages[0].contents.type", "Must be one of"},
		{"a huge bubble size", edit(t, bubble, "contents.size", "huge"), "messages[0].contents.size", "Must be one of"},
		{"a direction upwards", edit(t, bubble, "contents.direction", "up"), "messages[0].contents.direction", "Must be one of"},
		{"a bubble property LINE lacks", edit(t, bubble, "contents.flex", 0), "messages[0].contents.flex", "invalid property"},
		{"a bubble over 30 KB", edit(t, slides, "contents.contents[0].body.contents[0].text", repeat("a", lineemu.MaxBubbleBytes)), "messages[0].contents.contents[0]", "at most 30000 bytes"},
		{"a block style separator in words", edit(t, bubble, "contents.styles.footer.separator", "yes"), "messages[0].contents.styles.footer.separator", "boolean"},
		{"a body that is a text", edit(t, bubble, "contents.body", obj(`{"type":"text","text":"x"}`)), "messages[0].contents.body.layout", "Must be specified"},
		{"13 bubbles", edit(t, slides, "contents.contents", bubbles(13, 1)), "messages[0].contents.contents", "Size must be between 1 and 12"},
		{"a carousel over 50 KB", edit(t, slides, "contents.contents", bubbles(4, 13_000)), "messages[0].contents", "at most 50000 bytes"},
		{"bubbles of two sizes", edit(t, slides, "contents.contents[1].size", "kilo"), "messages[0].contents.contents[1].size", "one size"},
		{"a box in a carousel", edit(t, slides, "contents.contents[1]", obj(`{"type":"box","layout":"vertical","contents":[]}`)), "messages[0].contents.contents[1].layout", "invalid property"},
		{"a video in a carousel", edit(t, slides, "contents.contents[0].hero", obj(`{"type":"video","url":"https://x.example/v.mp4","previewUrl":"https://x.example/v.jpg","altContent":{"type":"image","url":"https://x.example/v.jpg"}}`)), "messages[0].contents.contents[0].hero", "cannot hold a video"},
		{"a video in a small bubble", edit(t, video, "contents.size", "micro"), "messages[0].contents.size", "kilo, mega or giga"},
		{"a video without altContent", edit(t, video, "contents.hero.altContent", remove), "messages[0].contents.hero.altContent", "Must be specified"},
		{"a text as a hero", edit(t, video, "contents.hero", obj(`{"type":"text","text":"x"}`)), "messages[0].contents.hero.type", "Must be one of"},

		// Boxes.
		{"a grid layout", body("layout", "grid"), "messages[0].contents.body.layout", "Must be one of"},
		{"a box without contents", body("contents", remove), "messages[0].contents.body.contents", "Must be specified"},
		{"a flex of 1.5", body("contents[3].flex", 1.5), "messages[0].contents.body.contents[3].flex", "integer"},
		{"a spacing by name", body("spacing", "wide"), "messages[0].contents.body.spacing", "pixels"},
		{"a spacing in percent", body("spacing", "5%"), "messages[0].contents.body.spacing", "pixels"},
		{"a padding by name", body("paddingAll", "wide"), "messages[0].contents.body.paddingAll", "percentage"},
		{"a colour of five digits", body("backgroundColor", "#12345"), "messages[0].contents.body.backgroundColor", "hexadecimal"},
		{"a round corner", body("cornerRadius", "round"), "messages[0].contents.body.cornerRadius", "pixels"},
		{"a thick border", body("borderWidth", "thick"), "messages[0].contents.body.borderWidth", "pixels"},
		{"a middle justification", body("justifyContent", "middle"), "messages[0].contents.body.justifyContent", "Must be one of"},
		{"a gradient without angle", body("background.angle", remove), "messages[0].contents.body.background.angle", "Must be specified"},
		{"a gradient of 400deg", body("background.angle", "400deg"), "messages[0].contents.body.background.angle", "less than 360deg"},
		{"a radial gradient", body("background.type", "radialGradient"), "messages[0].contents.body.background.type", "Must be one of"},
		{"a width by name", body("contents[3].width", "wide"), "messages[0].contents.body.contents[3].width", "pixels"},
		{"a box position by name", body("contents[3].position", "fixed"), "messages[0].contents.body.contents[3].position", "Must be one of"},
		{"a button in a baseline box", body("contents[2].contents[0]", obj(`{"type":"button","action":{"type":"message","label":"a","text":"a"}}`)), "messages[0].contents.body.contents[2].contents[0].type", "baseline box"},
		{"an icon in a vertical box", body("contents[0]", obj(`{"type":"icon","url":"https://x.example/s.png"}`)), "messages[0].contents.body.contents[0].type", "vertical box"},
		{"a span in a box", body("contents[0]", obj(`{"type":"span","text":"a"}`)), "messages[0].contents.body.contents[0].type", "vertical box"},
		{"a video in a box", body("contents[0]", obj(`{"type":"video","url":"https://x.example/v.mp4","previewUrl":"https://x.example/v.jpg","altContent":{"type":"image","url":"https://x.example/v.jpg"}}`)), "messages[0].contents.body.contents[0].type", "vertical box"},
		{"an unknown component", body("contents[0]", obj(`{"type":"chart"}`)), "messages[0].contents.body.contents[0].type", "Must be one of"},

		// Texts and spans.
		{"a text without text", body("contents[0].text", remove), "messages[0].contents.body.contents[0].text", "Must be specified"},
		{"a text holding a text", body("contents[1].contents[0]", obj(`{"type":"text","text":"a"}`)), "messages[0].contents.body.contents[1].contents[0].type", "Must be one of the following values: [span]"},
		{"a text size by name", body("contents[0].size", "huge"), "messages[0].contents.body.contents[0].size", "pixels"},
		{"a heavy weight", body("contents[0].weight", "heavy"), "messages[0].contents.body.contents[0].weight", "Must be one of"},
		{"max lines in words", body("contents[0].maxLines", "3"), "messages[0].contents.body.contents[0].maxLines", "integer"},
		{"wrap in words", body("contents[0].wrap", "yes"), "messages[0].contents.body.contents[0].wrap", "boolean"},
		{"a line spacing in percent", body("contents[0].lineSpacing", "5%"), "messages[0].contents.body.contents[0].lineSpacing", "pixels"},
		{"a text property LINE lacks", body("contents[0].font", "serif"), "messages[0].contents.body.contents[0].font", "invalid property"},
		{"a blinking span", body("contents[1].contents[1].decoration", "blink"), "messages[0].contents.body.contents[1].contents[1].decoration", "Must be one of"},

		// Buttons, images, icons, separators, fillers.
		{"a button without action", edit(t, bubble, "contents.footer.contents[0].action", remove), "messages[0].contents.footer.contents[0].action", "Must be specified"},
		{"a Flex button without label", edit(t, bubble, "contents.footer.contents[1].action.label", remove), "messages[0].contents.footer.contents[1].action.label", "Must be specified"},
		{"a Flex button label of 41", edit(t, bubble, "contents.footer.contents[1].action.label", repeat("あ", 41)), "messages[0].contents.footer.contents[1].action.label", "at most 40"},
		{"a danger button", edit(t, bubble, "contents.footer.contents[0].style", "danger"), "messages[0].contents.footer.contents[0].style", "Must be one of"},
		{"a large button", edit(t, bubble, "contents.footer.contents[0].height", "lg"), "messages[0].contents.footer.contents[0].height", "Must be one of"},
		{"a button property LINE lacks", edit(t, bubble, "contents.footer.contents[0].text", "x"), "messages[0].contents.footer.contents[0].text", "invalid property"},
		{"an image over http", edit(t, bubble, "contents.hero.url", "http://x.example/h.jpg"), "messages[0].contents.hero.url", "HTTPS"},
		{"an image too tall", edit(t, bubble, "contents.hero.aspectRatio", "1:4"), "messages[0].contents.hero.aspectRatio", "three times"},
		{"an image ratio in words", edit(t, bubble, "contents.hero.aspectRatio", "wide"), "messages[0].contents.hero.aspectRatio", "{width}:{height}"},
		{"an image size by name", edit(t, bubble, "contents.hero.size", "huge"), "messages[0].contents.hero.size", "pixels"},
		{"an image action label of 41", edit(t, bubble, "contents.hero.action.label", repeat("a", 41)), "messages[0].contents.hero.action.label", "at most 40"},
		{"an icon without url", body("contents[2].contents[0].url", remove), "messages[0].contents.body.contents[2].contents[0].url", "Must be specified"},
		{"a separator coloured by name", body("contents[3].contents[1].color", "grey"), "messages[0].contents.body.contents[3].contents[1].color", "hexadecimal"},
		{"a filler flex in words", body("contents[2].contents[2].flex", "1"), "messages[0].contents.body.contents[2].contents[2].flex", "integer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := lineemu.CheckMessages([]json.RawMessage{json.RawMessage(tc.msg)})
			for _, d := range ds {
				if d.Property == tc.at && strings.Contains(d.Message, tc.says) {
					return
				}
			}
			t.Errorf("details %v; want %s: …%s…", ds, tc.at, tc.says)
		})
	}
}

func TestMessageCount(t *testing.T) {
	one := json.RawMessage(`{"type":"text","text":"a"}`)
	for n, want := range map[int]bool{0: false, 1: true, 5: true, 6: false} {
		msgs := make([]json.RawMessage, n)
		for i := range msgs {
			msgs[i] = one
		}
		if ok := len(lineemu.CheckMessages(msgs)) == 0; ok != want {
			t.Errorf("%d messages: accepted %v; want %v", n, ok, want)
		}
	}
	if ds := lineemu.CheckMessages([]json.RawMessage{json.RawMessage(`{"type":"text",`)}); len(ds) != 1 || ds[0].Property != "messages[0]" {
		t.Errorf("broken JSON: %v", ds)
	}
}

// TestRefusalIsLINEs: a message LINE would refuse gets LINE's 400, with
// every problem in its details, is not delivered, and is recorded.
func TestRefusalIsLINEs(t *testing.T) {
	e, srv, _ := setup(t)
	ev := e.Text(user, "hi")
	if code, err := e.Send(context.Background(), ev); err != nil || code != 200 {
		t.Fatal(code, err)
	}
	bad := obj(edit(t, edit(t, bubble, "contents.flex", 0), "altText", remove))
	code, body := call(t, srv, "/v2/bot/message/reply", map[string]any{"replyToken": replyTokenOf(ev), "messages": []any{obj(textMsg), bad}})
	var res struct {
		Message string
		Details []lineemu.Detail
	}
	json.Unmarshal([]byte(body), &res)
	want := []lineemu.Detail{{Message: "Must be specified", Property: "messages[1].altText"}, {Message: "invalid property", Property: "messages[1].contents.flex"}}
	if code != 400 || res.Message != "The request body has 2 error(s)" || fmt.Sprint(res.Details) != fmt.Sprint(want) {
		t.Errorf("%d %s; want 400 with %v", code, body, want)
	}
	if len(e.Messages(user)) != 0 || len(e.Violations()) != 1 || !strings.Contains(e.Violations()[0], "messages[1].contents.flex: invalid property") {
		t.Errorf("inbox %d, violations %q; want nothing delivered and the refusal recorded", len(e.Messages(user)), e.Violations())
	}
}
