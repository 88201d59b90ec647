package store

import (
	"bytes"
	"compress/flate"
	"io"
	"strings"
	"sync"
)

// A conversation's JSON (flows.State) over packMin bytes is stored deflated
// in the record (the first byte packedConv, which no JSON starts with) when
// that makes it smaller; Load gives it back as it was saved. (Outboxes are
// stored as they are: one lives only until its replies went out, and
// deflating it cost more CPU than any other step of an event's save.)

// packMin is the size below which a conversation is stored as it is.
const packMin = 200

// packedConv marks a conversation stored deflated with convDict.
const packedConv = 0x02

// convDict primes the compressor with what a conversation's JSON repeats
// (flows.State). It is fixed: a new one makes what was stored before
// unreadable, so it needs a new first byte. Fields it does not name compress less well, nothing worse.
var convDict = []byte(`{"step":"","conv":"","seq":,"lang":"ja","status":{"account_id":"acc_","display_name":"","rating":{"average":,"count":},"completed_orders":,"purchases_in_progress":[],"sales_awaiting_delivery":[],"payouts_in_progress":[],"sales_balance_jpy":0},"shown":"2026-","pressed":"a=continue\u0026c=\u0026s=","pressed_at":"2026-","checks":["2026-"],"consent":{"language":"ja","reason_code":"","warning":{"version":"ja-","sha256":"","shown_at":"2026-","acknowledged_at":"2026-","rating":{"average":,"count":},"completed_orders":},"confirm":{"version":"","sha256":"","shown_at":"","confirmed_at":""}},"reason":"","reason_text":"","strays":1,"started":"0001-01-01T00:00:00Z","updated":"0001-01-01T00:00:00Z"}`)

// A compressor and decompressor of each kind, reused.
type packer struct {
	marker  byte
	dict    []byte
	writers sync.Pool
	readers sync.Pool
}

func newPacker(marker byte, dict []byte) *packer {
	p := &packer{marker: marker, dict: dict}
	p.writers.New = func() any {
		w, _ := flate.NewWriterDict(io.Discard, flate.BestSpeed, dict)
		return w
	}
	return p
}

var convs = newPacker(packedConv, convDict)

// packConv is a conversation as stored.
func packConv(b []byte) []byte { return convs.pack(b) }

func (p *packer) pack(b []byte) []byte {
	if len(b) < packMin {
		return b
	}
	var buf bytes.Buffer
	buf.Grow(len(b)/2 + 16)
	buf.WriteByte(p.marker)
	w := p.writers.Get().(*flate.Writer)
	w.Reset(&buf)
	_, err := w.Write(b)
	if err == nil {
		err = w.Close()
	}
	p.writers.Put(w)
	if err != nil || buf.Len() >= len(b) {
		return b
	}
	return buf.Bytes()
}

// unpack is what packConv was given.
func unpack(s string) ([]byte, error) {
	if s != "" && s[0] == packedConv {
		return convs.unpack(s[1:])
	}
	return []byte(s), nil
}

func (p *packer) unpack(s string) ([]byte, error) {
	src := strings.NewReader(s)
	r, _ := p.readers.Get().(io.ReadCloser)
	if r == nil {
		r = flate.NewReaderDict(src, p.dict)
	} else if err := r.(flate.Resetter).Reset(src, p.dict); err != nil {
		return nil, err
	}
	out := bytes.NewBuffer(make([]byte, 0, 3*len(s)))
	_, err := out.ReadFrom(r)
	if err == nil {
		p.readers.Put(r)
	}
	return out.Bytes(), err
}
