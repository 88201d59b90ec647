package taikai_test

import (
	"strings"
	"testing"
	"time"

	"github.com/taikaibot/taikai"
)

func TestConsentCheck(t *testing.T) {
	at := taikai.Stamp(time.Date(2026, 11, 25, 19, 30, 0, 0, time.FixedZone("JST", 9*60*60)))
	if at != "2026-11-25T10:30:00.000Z" {
		t.Errorf("Stamp = %q", at)
	}
	good := taikai.Consent{Language: "ja", ReasonCode: taikai.ReasonNone,
		Warning: taikai.ConsentWarning{Shown: taikai.Shown{Version: "ja-0123456789ab", SHA256: strings.Repeat("0f", 32), ShownAt: at}, AcknowledgedAt: at},
		Confirm: taikai.ConsentConfirm{Shown: taikai.Shown{Version: "ja-ba9876543210", SHA256: strings.Repeat("f0", 32), ShownAt: at}, ConfirmedAt: at}}
	if err := good.Check(); err != nil {
		t.Fatalf("a good record: %v", err)
	}
	for name, f := range map[string]func(c *taikai.Consent){
		"language":        func(c *taikai.Consent) { c.Language = "fr" },
		"reason":          func(c *taikai.Consent) { c.ReasonCode = "bored" },
		"version":         func(c *taikai.Consent) { c.Warning.Version = "v1" },
		"hash":            func(c *taikai.Consent) { c.Confirm.SHA256 = strings.Repeat("F0", 32) },
		"shown":           func(c *taikai.Consent) { c.Warning.ShownAt = "yesterday" },
		"acknowledged":    func(c *taikai.Consent) { c.Warning.AcknowledgedAt = "" },
		"confirmed":       func(c *taikai.Consent) { c.Confirm.ConfirmedAt = "2026-11-25 10:30" },
		"negative figure": func(c *taikai.Consent) { c.Warning.CompletedOrders = -1 },
	} {
		c := good
		f(&c)
		if c.Check() == nil {
			t.Errorf("a bad %s passed", name)
		}
	}
}
