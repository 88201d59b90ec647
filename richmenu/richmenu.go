// Package richmenu draws the bot's rich menu: the image and its tappable
// areas, for `taikai setup` to create the menu with LINE.
//
// The image is LINE's compact size, 2500×843, in two halves: 「退会の手続き」
// starts the withdrawal flow (postback a=start) and 「担当者に相談」 asks for
// a person (postback a=staff). The text is set in Noto Sans CJK JP, embedded
// as subsets that hold only the characters drawn (see font/).
package richmenu

import (
	"bytes"
	_ "embed"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"github.com/taikaibot/taikai/flows"
)

// The image's size: LINE's compact rich menu.
const (
	Width  = 2500
	Height = 843
)

// ChatBarText is the label of the chat bar that opens the menu (LINE allows
// up to 14 characters).
const ChatBarText = "メニュー"

// StaffData is the postback data that asks for a person.
const StaffData = "a=staff"

// Area is a tappable area of the menu.
type Area struct {
	// Bounds is the area in the image's pixels.
	Bounds image.Rectangle
	// Label is the text drawn in it, also the action's label.
	Label string
	// Caption is the smaller line under the label.
	Caption string
	// Data is the postback data a tap sends.
	Data string
	// icon draws the area's icon centred at (cx, cy), size s.
	icon func(dst *image.RGBA, cx, cy, s float32)
}

// Areas are the menu's areas, left to right.
func Areas() []Area {
	half := Width / 2
	return []Area{
		{Bounds: image.Rect(0, 0, half, Height), Label: "退会の手続き", Caption: "取引と売上金を確認して進めます",
			Data: flows.StartData, icon: documentIcon},
		{Bounds: image.Rect(half, 0, Width, Height), Label: "担当者に相談", Caption: "このトークでお答えします",
			Data: StaffData, icon: chatIcon},
	}
}

//go:embed font/NotoSansCJKjp-Bold-subset.otf
var boldOTF []byte

//go:embed font/NotoSansCJKjp-Regular-subset.otf
var regularOTF []byte

// Colours: a calm ink on white, one accent for the icons, no alarm red.
var (
	background = color.RGBA{0xff, 0xff, 0xff, 0xff}
	ink        = color.RGBA{0x1f, 0x2a, 0x37, 0xff}
	muted      = color.RGBA{0x5b, 0x66, 0x73, 0xff}
	accent     = color.RGBA{0x1c, 0x6e, 0x8c, 0xff}
	accentSoft = color.RGBA{0xe3, 0xf0, 0xf5, 0xff}
	rule       = color.RGBA{0xd5, 0xdb, 0xe1, 0xff}
)

// Render draws the menu and encodes it as PNG; it returns the image and the
// areas, whose bounds the rich menu's definition needs.
func Render() ([]byte, []Area, error) {
	img, areas, err := Draw()
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), areas, nil
}

// Draw draws the menu.
func Draw() (*image.RGBA, []Area, error) {
	bold, err := face(boldOTF, 124)
	if err != nil {
		return nil, nil, err
	}
	regular, err := face(regularOTF, 62)
	if err != nil {
		return nil, nil, err
	}
	img := image.NewRGBA(image.Rect(0, 0, Width, Height))
	draw.Draw(img, img.Bounds(), image.NewUniform(background), image.Point{}, draw.Src)
	areas := Areas()
	for i, a := range areas {
		b := a.Bounds
		cx := float32(b.Min.X+b.Max.X) / 2
		// The icon: a soft disc with the accent-coloured drawing on it.
		const iconY, iconR = 250, 150
		fill(img, accentSoft, func(r *vector.Rasterizer) { circle(r, cx, iconY, iconR, false) })
		a.icon(img, cx, iconY, 170)
		if err := text(img, bold, ink, a.Label, int(cx), 585); err != nil {
			return nil, nil, err
		}
		if err := text(img, regular, muted, a.Caption, int(cx), 700); err != nil {
			return nil, nil, err
		}
		if i > 0 { // a thin rule between the halves
			fill(img, rule, func(r *vector.Rasterizer) { rect(r, float32(b.Min.X)-2, 120, float32(b.Min.X)+2, Height-120) })
		}
	}
	return img, areas, nil
}

func face(otf []byte, size float64) (font.Face, error) {
	f, err := opentype.Parse(otf)
	if err != nil {
		return nil, fmt.Errorf("richmenu: font: %w", err)
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
}

// text draws s centred on x, with its baseline at y. A character missing
// from the font subset is an error, never a blank box.
func text(dst draw.Image, f font.Face, c color.Color, s string, x, y int) error {
	for _, r := range s {
		if _, ok := f.GlyphAdvance(r); !ok {
			return fmt.Errorf("richmenu: %q is not in the font subset (run richmenu/font/subset.sh)", r)
		}
	}
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: f}
	w := d.MeasureString(s)
	d.Dot = fixed.Point26_6{X: fixed.I(x) - w/2, Y: fixed.I(y)}
	d.DrawString(s)
	return nil
}

// fill rasterizes the paths that add makes and paints them in c.
func fill(dst *image.RGBA, c color.Color, add func(r *vector.Rasterizer)) {
	r := vector.NewRasterizer(Width, Height)
	add(r)
	r.Draw(dst, dst.Bounds(), image.NewUniform(c), image.Point{})
}

// circle adds a circle; hole reverses its direction, to cut it out of a
// shape added before it.
func circle(r *vector.Rasterizer, cx, cy, rad float32, hole bool) {
	const n = 96
	sign := float32(1)
	if hole {
		sign = -1
	}
	r.MoveTo(cx+rad, cy)
	for i := 1; i <= n; i++ {
		a := sign * 2 * math.Pi * float32(i) / n
		r.LineTo(cx+rad*cos(a), cy+rad*sin(a))
	}
	r.ClosePath()
}

func rect(r *vector.Rasterizer, x0, y0, x1, y1 float32) {
	r.MoveTo(x0, y0)
	r.LineTo(x1, y0)
	r.LineTo(x1, y1)
	r.LineTo(x0, y1)
	r.ClosePath()
}

// roundRect adds a rectangle with rounded corners of radius rad, clockwise,
// or anticlockwise when hole is set.
func roundRect(r *vector.Rasterizer, x0, y0, x1, y1, rad float32, hole bool) {
	type pt struct{ x, y float32 }
	var pts []pt
	corner := func(cx, cy, from float32) {
		for i := 0; i <= 12; i++ {
			a := from + float32(i)/12*math.Pi/2
			pts = append(pts, pt{cx + rad*cos(a), cy + rad*sin(a)})
		}
	}
	corner(x1-rad, y0+rad, -math.Pi/2)
	corner(x1-rad, y1-rad, 0)
	corner(x0+rad, y1-rad, math.Pi/2)
	corner(x0+rad, y0+rad, math.Pi)
	if hole {
		for i, j := 0, len(pts)-1; i < j; i, j = i+1, j-1 {
			pts[i], pts[j] = pts[j], pts[i]
		}
	}
	r.MoveTo(pts[0].x, pts[0].y)
	for _, p := range pts[1:] {
		r.LineTo(p.x, p.y)
	}
	r.ClosePath()
}

// line adds a straight stroke of width w with round ends.
func line(r *vector.Rasterizer, x0, y0, x1, y1, w float32) {
	dx, dy := x1-x0, y1-y0
	l := float32(math.Hypot(float64(dx), float64(dy)))
	nx, ny := -dy/l*w/2, dx/l*w/2
	// Wound like circle, so that the ends add to the stroke, not cut it.
	r.MoveTo(x0-nx, y0-ny)
	r.LineTo(x1-nx, y1-ny)
	r.LineTo(x1+nx, y1+ny)
	r.LineTo(x0+nx, y0+ny)
	r.ClosePath()
	circle(r, x0, y0, w/2, false)
	circle(r, x1, y1, w/2, false)
}

// documentIcon is a sheet with lines and a check mark: the procedure.
func documentIcon(dst *image.RGBA, cx, cy, s float32) {
	w, h, t := s*0.62, s*0.8, s*0.07
	x0, y0 := cx-w/2-s*0.06, cy-h/2
	ccx, ccy, cr := x0+w*0.92, y0+h*0.86, s*0.2
	fill(dst, accent, func(r *vector.Rasterizer) {
		roundRect(r, x0, y0, x0+w, y0+h, s*0.08, false)
		roundRect(r, x0+t, y0+t, x0+w-t, y0+h-t, s*0.08-t/2, true)
		for i, lw := range []float32{0.6, 0.6, 0.34} {
			y := y0 + h*0.26 + float32(i)*h*0.17
			line(r, x0+w*0.2, y, x0+w*(0.2+lw), y, t*0.8)
		}
		// The check's disc, over the sheet's lower right corner.
		circle(r, ccx, ccy, cr+t*0.6, false)
	})
	fill(dst, accentSoft, func(r *vector.Rasterizer) { circle(r, ccx, ccy, cr, false) })
	fill(dst, accent, func(r *vector.Rasterizer) { circle(r, ccx, ccy, cr-t*0.4, false) })
	fill(dst, background, func(r *vector.Rasterizer) {
		line(r, ccx-cr*0.42, ccy+cr*0.02, ccx-cr*0.1, ccy+cr*0.32, t*0.75)
		line(r, ccx-cr*0.1, ccy+cr*0.32, ccx+cr*0.42, ccy-cr*0.28, t*0.75)
	})
}

// chatIcon is a person with a speech bubble: someone to talk to.
func chatIcon(dst *image.RGBA, cx, cy, s float32) {
	fill(dst, accent, func(r *vector.Rasterizer) { chat(r, cx, cy, s) })
}

func chat(r *vector.Rasterizer, cx, cy, s float32) {
	// The person: a head and shoulders.
	px, py := cx-s*0.14, cy+s*0.02
	circle(r, px, py-s*0.16, s*0.16, false)
	shoulders(r, px, py+s*0.42, s*0.3, s*0.34)
	// The bubble, up and to the right, with three dots cut out.
	bx0, by0, bx1, by1 := cx+s*0.02, cy-s*0.46, cx+s*0.5, cy-s*0.1
	roundRect(r, bx0, by0, bx1, by1, s*0.09, false)
	r.MoveTo(bx0+s*0.08, by1-1)
	r.LineTo(bx0+s*0.2, by1-1)
	r.LineTo(bx0+s*0.02, by1+s*0.12)
	r.ClosePath()
	for i := 0; i < 3; i++ {
		circle(r, bx0+(bx1-bx0)*(0.27+0.23*float32(i)), (by0+by1)/2, s*0.032, true)
	}
}

// shoulders adds the upper half of an ellipse whose base is at y.
func shoulders(r *vector.Rasterizer, cx, y, rx, ry float32) {
	r.MoveTo(cx-rx, y)
	for i := 1; i <= 48; i++ {
		a := math.Pi + float32(i)/48*math.Pi
		r.LineTo(cx+rx*cos(a), y+ry*sin(a))
	}
	r.ClosePath()
}

func cos(a float32) float32 { return float32(math.Cos(float64(a))) }
func sin(a float32) float32 { return float32(math.Sin(float64(a))) }
