package richmenu

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"testing"
	"time"

	"golang.org/x/image/font/opentype"

	"github.com/taikaibot/taikai/flows"
)

var update = flag.Bool("update", false, "rewrite docs/richmenu.png")

// TestRender checks the image against LINE's rules for a rich menu image
// (PNG or JPEG, 800 to 2500 wide, at least 250 high, width/height ≥ 1.45,
// at most 1 MB) and the compact size, and that each area has its drawing.
func TestRender(t *testing.T) {
	b, areas, err := Render()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatal("not a PNG")
	}
	if len(b) > 1<<20 {
		t.Errorf("%d bytes; LINE takes at most 1 MB", len(b))
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds(); got != image.Rect(0, 0, 2500, 843) {
		t.Fatalf("size %v, want 2500×843", got.Size())
	}
	t.Logf("%d bytes", len(b))

	if len(areas) != 2 {
		t.Fatalf("%d areas, want 2", len(areas))
	}
	// The areas tile the image, left to right, without overlap.
	covered := 0
	for i, a := range areas {
		if !a.Bounds.In(img.Bounds()) || a.Bounds.Empty() {
			t.Errorf("area %d: %v is not inside the image", i, a.Bounds)
		}
		if i > 0 && a.Bounds.Overlaps(areas[i-1].Bounds) {
			t.Errorf("areas %d and %d overlap", i-1, i)
		}
		covered += a.Bounds.Dx() * a.Bounds.Dy()
	}
	if covered != 2500*843 {
		t.Errorf("the areas cover %d pixels, want the whole image", covered)
	}
	for _, a := range areas {
		// Not blank: text and icon pixels, in ink and in the accent.
		dark, accentPx := 0, 0
		for y := a.Bounds.Min.Y; y < a.Bounds.Max.Y; y++ {
			for x := a.Bounds.Min.X; x < a.Bounds.Max.X; x++ {
				c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				switch {
				case c == ink:
					dark++
				case c == accent:
					accentPx++
				}
			}
		}
		// 6 characters of 124 px: tens of thousands of ink pixels.
		if dark < 20000 || accentPx < 5000 {
			t.Errorf("%s: %d ink and %d accent pixels: the label or the icon is missing", a.Label, dark, accentPx)
		}
		// The label sits in its own half, clear of the edges.
		if left, right := inkColumns(img, a.Bounds); left < a.Bounds.Min.X+100 || right > a.Bounds.Max.X-100 {
			t.Errorf("%s: ink from x=%d to %d, too close to the area's edges %v", a.Label, left, right, a.Bounds)
		}
	}
	if *update {
		if err := os.WriteFile("../docs/richmenu.png", b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func inkColumns(img image.Image, r image.Rectangle) (left, right int) {
	left, right = r.Max.X, r.Min.X
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA); c == ink || c == muted {
				left, right = min(left, x), max(right, x)
			}
		}
	}
	return left, right
}

// TestGlyphs checks that the font subsets hold every character drawn, so
// a change of text without a new subset fails here, not in LINE.
func TestGlyphs(t *testing.T) {
	for _, otf := range [][]byte{boldOTF, regularOTF} {
		f, err := opentype.Parse(otf)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range Areas() {
			for _, r := range a.Label + a.Caption {
				if g, err := f.GlyphIndex(nil, r); err != nil || g == 0 {
					t.Errorf("%q is not in the font subset: run richmenu/font/subset.sh", r)
				}
			}
		}
	}
}

// TestAreasDoWhatTheySay sends each area's postback through the flow: the
// first starts the withdrawal, the second asks for a person.
func TestAreasDoWhatTheySay(t *testing.T) {
	env := flows.Env{Now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), Expiry: 24 * time.Hour, NewConv: "c1"}
	for _, tc := range []struct {
		label string
		want  flows.EffectKind
	}{{"退会の手続き", flows.EffIssueLink}, {"担当者に相談", flows.EffAskStaff}} {
		var a *Area
		for _, x := range Areas() {
			if x.Label == tc.label {
				a = &x
			}
		}
		if a == nil {
			t.Errorf("no area %s", tc.label)
			continue
		}
		_, out := flows.Next(flows.State{Lang: flows.LangJa}, flows.Input{Kind: flows.InPostback, Data: a.Data}, env)
		if out.Effect == nil || out.Effect.Kind != tc.want {
			t.Errorf("%s (%s): effect %+v, want %s", tc.label, a.Data, out.Effect, tc.want)
		}
	}
}
