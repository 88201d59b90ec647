package marketplace_test

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/taikaibot/taikai"
)

// TestOpenAPIMatchesTheCode keeps api/marketplace.yaml true: every path the
// client calls and every JSON field of the domain types is in it.
func TestOpenAPIMatchesTheCode(t *testing.T) {
	b, err := os.ReadFile("../api/marketplace.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec := string(b)
	for _, p := range []string{"/v1/accounts/{account_id}/withdrawal-status:", "/v1/accounts/{account_id}/withdrawals:", "/v1/account-links:", "Idempotency-Key"} {
		if !strings.Contains(spec, p) {
			t.Errorf("spec lacks %s", p)
		}
	}
	for _, v := range []any{taikai.Status{}, taikai.Order{}, taikai.Payout{}, taikai.Rating{}, taikai.WithdrawalRequest{}, taikai.Withdrawal{},
		taikai.Consent{}, taikai.ConsentWarning{}, taikai.ConsentConfirm{}, taikai.Shown{}} {
		typ := reflect.TypeOf(v)
		for i := 0; i < typ.NumField(); i++ {
			if typ.Field(i).Anonymous {
				continue // its fields are checked with its own type
			}
			name := strings.Split(typ.Field(i).Tag.Get("json"), ",")[0]
			if !regexp.MustCompile(`\b` + name + `:`).MatchString(spec) {
				t.Errorf("spec lacks %s.%s (%q)", typ.Name(), typ.Field(i).Name, name)
			}
		}
	}
	for _, r := range taikai.Reasons {
		if !strings.Contains(spec, string(r)) {
			t.Errorf("spec lacks reason %s", r)
		}
	}
	if !strings.Contains(spec, "maxLength: "+jsonNum(taikai.MaxReasonText)) {
		t.Errorf("spec's reason_text maxLength is not %d", taikai.MaxReasonText)
	}
}

func jsonNum(n int) string { b, _ := json.Marshal(n); return string(b) }
