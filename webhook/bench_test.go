package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	linewebhook "github.com/line/line-bot-sdk-go/v8/linebot/webhook"
	"github.com/taikaibot/taikai"
)

// The webhook's hot pieces, one text message per body as in the
// benchmark's load (bench/):
//
//	go test ./webhook -run '^$' -bench . -benchmem

const benchSecret = "8c570fa6dd201bb328f1c1eac23a96d8"

func benchBody(b *testing.B) ([]byte, string) {
	b.Helper()
	raw, err := os.ReadFile("../testdata/webhook/message_text_taikai.json")
	if err != nil {
		b.Fatal(err)
	}
	// LINE sends compact JSON.
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		b.Fatal(err)
	}
	m := hmac.New(sha256.New, []byte(benchSecret))
	m.Write(buf.Bytes())
	return buf.Bytes(), base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// BenchmarkSignature: the x-line-signature check over the raw bytes, with
// the handler's pooled MAC and with the SDK's ValidateSignature.
func BenchmarkSignature(b *testing.B) {
	body, sig := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.Run("pooled", func(b *testing.B) {
		h := &Handler{Secret: benchSecret}
		b.ReportAllocs()
		for b.Loop() {
			if !h.validSignature(sig, body) {
				b.Fatal("signature refused")
			}
		}
	})
	b.Run("sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !linewebhook.ValidateSignature(benchSecret, sig, body) {
				b.Fatal("signature refused")
			}
		}
	})
}

// BenchmarkLeanParse: what the handler decodes on the ack path (the
// events as raw JSON, and each event's type, id and source: in one pass,
// and as encoding/json reads them when the pass cannot), against the SDK's
// full decoding, which the handler leaves to the worker.
func BenchmarkLeanParse(b *testing.B) {
	body, _ := benchBody(b)
	for _, c := range []struct {
		name  string
		parse func([]byte) ([]parsed, error)
	}{{"lean", parse}, {"lean-json", parseSlow}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				evs, err := c.parse(body)
				if err != nil || len(evs) != 1 || evs[0].err != nil || evs[0].l.WebhookEventID == "" {
					b.Fatal("undecodable event", err)
				}
			}
		})
	}
	b.Run("sdk", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var cb linewebhook.CallbackRequest
			if err := json.Unmarshal(body, &cb); err != nil || len(cb.Events) != 1 {
				b.Fatal("undecodable body")
			}
		}
	})
}

type discard struct{}

func (discard) Add(_ context.Context, evs []taikai.Event) (int, error) { return len(evs), nil }

// BenchmarkServeHTTP: the whole handler but Redis (read, cap, verify,
// lean parse, hand over, answer), through httptest.
func BenchmarkServeHTTP(b *testing.B) {
	body, sig := benchBody(b)
	h := &Handler{Secret: benchSecret, Intake: discard{}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/callback", bytes.NewReader(body))
		req.Header.Set("x-line-signature", sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("HTTP %d", rec.Code)
		}
	}
}
