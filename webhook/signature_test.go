package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	linewebhook "github.com/line/line-bot-sdk-go/v8/linebot/webhook"
)

// TestSignatureIsTheSDKs holds the pooled check to the SDK's
// ValidateSignature, for signatures right, wrong and malformed, under two
// secrets in turn (the pool is keyed by the secret).
func TestSignatureIsTheSDKs(t *testing.T) {
	body := []byte(`{"destination":"U1","events":[]}`)
	h := &Handler{}
	for _, secret := range []string{"8c570fa6dd201bb328f1c1eac23a96d8", "another secret", "8c570fa6dd201bb328f1c1eac23a96d8"} {
		h.Secret = secret
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		sum := m.Sum(nil)
		good := base64.StdEncoding.EncodeToString(sum)
		other := append([]byte{}, sum...)
		other[31] ^= 1
		sigs := []string{
			good, good, base64.StdEncoding.EncodeToString(other), base64.RawStdEncoding.EncodeToString(sum),
			base64.URLEncoding.EncodeToString(sum), good[:40], good + "AAAA", good + "\n", " " + good,
			base64.StdEncoding.EncodeToString(sum[:31]), base64.StdEncoding.EncodeToString(append(sum, sum...)),
			strings.Repeat("A", 200), "", "!!!!", "====",
		}
		for _, sig := range sigs {
			for _, b := range [][]byte{body, body[1:], nil} {
				if got, want := h.validSignature(sig, b), linewebhook.ValidateSignature(secret, sig, b); got != want {
					t.Errorf("secret %q, signature %q, body %q: %v; the SDK says %v", secret, sig, b, got, want)
				}
			}
		}
		if !h.validSignature(good, body) {
			t.Errorf("secret %q: the right signature refused", secret)
		}
	}
}
