package store

import (
	"bytes"
	"compress/flate"
	"io"
	"strings"
	"sync"
)

// An outbox is the rendered replies of one event (LINE's message JSON),
// kept 10 minutes: the largest thing kept per user. Stored deflated (the
// first byte packed, which no JSON starts with) when that makes it smaller;
// Load gives it back as it was saved, whichever way it was stored.
const packed = 0x01

// packMin is the size below which an outbox is stored as it is.
const packMin = 200

// packDict primes the compressor with what LINE messages repeat. Changing
// it makes outboxes stored before unreadable: a new dictionary needs a new
// first byte.
var packDict = []byte(`{"type":"text","text":"","quickReply":{"items":[{"type":"action","action":{"type":"postback","label":"","data":"","displayText":""}},{"type":"action","action":{"type":"uri","label":"","uri":"https://"}},{"type":"action","action":{"type":"message","label":"","text":""}}]}},{"type":"flex","altText":"","contents":{"type":"bubble","body":{"type":"box","layout":"vertical","spacing":"sm","contents":[{"type":"text","text":"","wrap":true,"weight":"bold","size":"sm","color":"#","margin":"md"}]},"footer":{"type":"box","layout":"vertical","contents":[{"type":"button","style":"primary","height":"sm","action":{"type":"postback","label":"","data":"a=","displayText":""}}]}}}],"event":"","reply_token":"","chat":"U","received":1,"saved":1,"messages":[`)

var writers = sync.Pool{New: func() any {
	w, _ := flate.NewWriterDict(io.Discard, flate.BestSpeed, packDict)
	return w
}}

// pack is b as stored.
func pack(b []byte) []byte {
	if len(b) < packMin {
		return b
	}
	var buf bytes.Buffer
	buf.Grow(len(b)/2 + 16)
	buf.WriteByte(packed)
	w := writers.Get().(*flate.Writer)
	w.Reset(&buf)
	_, err := w.Write(b)
	if err == nil {
		err = w.Close()
	}
	writers.Put(w)
	if err != nil || buf.Len() >= len(b) {
		return b
	}
	return buf.Bytes()
}

// unpack is what pack was given.
func unpack(s string) ([]byte, error) {
	if s == "" || s[0] != packed {
		return []byte(s), nil
	}
	r := flate.NewReaderDict(strings.NewReader(s[1:]), packDict)
	defer r.Close()
	return io.ReadAll(r)
}
