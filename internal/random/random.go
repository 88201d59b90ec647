// Package random makes the random identifiers taikai needs: request and
// conversation ids, tokens, test key prefixes.
package random

import (
	"crypto/rand"
	"encoding/hex"
)

// Hex returns n random bytes (from crypto/rand), hex-encoded.
func Hex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails: see crypto/rand.Read
	return hex.EncodeToString(b)
}
