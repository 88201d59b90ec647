// Package jsonw writes JSON by hand where encoding/json's reflection shows
// in the profile, byte for byte as encoding/json would.
package jsonw

import (
	"encoding/json"
	"unicode/utf8"
)

// AppendString appends s as a JSON string, as encoding/json writes it
// (HTML characters escaped).
func AppendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			enc, _ := json.Marshal(s)
			return append(b, enc...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
