package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash"
	"strconv"
	"sync/atomic"
	"time"
)

// gen makes LINE-shaped webhook events that are all different: each has a
// webhookEventId, reply token and message id of its own, derived from a
// counter through a bijection (so two are never equal) and salted per run
// (so two runs never share one). Users are made the same way. It is safe
// for concurrent use.
type gen struct {
	secret []byte
	dest   string
	salt   [6]uint64
	n      atomic.Uint64 // events made
	u      atomic.Uint64 // users made
}

func newGen(secret string) *gen {
	g := &gen{secret: []byte(secret), dest: "U8e742f61d673b39c7fff3cecb7536ef0"}
	var b [48]byte
	rand.Read(b[:])
	for i := range g.salt {
		g.salt[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return g
}

// mix is splitmix64's finalizer: a bijection of uint64 that looks random.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func appendHex64(b []byte, x uint64) []byte {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], x)
	return hex.AppendEncode(b, buf[:])
}

// user returns a new LINE user id: "U" and 32 hex digits.
func (g *gen) user() string {
	n := g.u.Add(1)
	b := make([]byte, 0, 33)
	b = append(b, 'U')
	b = appendHex64(b, mix(n^g.salt[0]))
	b = appendHex64(b, mix(n+g.salt[1]))
	return string(b)
}

// crockford is the ULID alphabet.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ulid encodes a 48-bit millisecond time and 80 further bits as a ULID
// (26 characters of Crockford base32).
func ulid(ms uint64, hi16 uint16, lo uint64) string {
	// 128 bits: ms(48) | hi16(16) | lo(64); 26×5 = 130 bits, the top 2 zero.
	hi := ms<<16 | uint64(hi16)
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// event is one webhook event and what the bot needs to answer it.
type event struct {
	user  string
	id    string // webhookEventId
	token string // reply token ("" for events without one)
	typ   string
	n     uint64 // the event's number in the run
	// detail is the event's type-specific member(s), as JSON without braces
	// (e.g. `"message":{…}`).
	detail []byte
	ts     int64
	// redelivery marks the copy LINE sends again (deliveryContext.isRedelivery).
	redelivery bool
}

// next numbers a new event of user.
func (g *gen) next(typ, user string) event {
	n := g.n.Add(1)
	now := time.Now()
	var r [2]byte
	rand.Read(r[:])
	tok := make([]byte, 0, 32)
	tok = appendHex64(tok, mix(n^g.salt[3]))
	tok = appendHex64(tok, mix(n+g.salt[4]))
	return event{
		user: user, typ: typ, n: n, ts: now.UnixMilli(), token: string(tok),
		id: ulid(uint64(now.UnixMilli()), binary.BigEndian.Uint16(r[:]), mix(n^g.salt[2])),
	}
}

// messageID is a LINE-like message id (18 digits).
func (g *gen) messageID(e event) string {
	return strconv.FormatUint(500000000000000000+mix(e.n^g.salt[5])%100000000000000000, 10)
}

// quoteToken is a LINE-like quote token (base64url, 32 characters).
func (g *gen) quoteToken(e event) string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], mix(e.n+g.salt[5]))
	binary.BigEndian.PutUint64(b[8:], mix(e.n^g.salt[0]))
	binary.BigEndian.PutUint64(b[16:], mix(e.n+g.salt[1]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// text makes a text message event from user.
func (g *gen) text(user, text string) event {
	e := g.next("message", user)
	d := make([]byte, 0, 160+len(text))
	d = append(d, `"message":{"type":"text","id":"`...)
	d = append(d, g.messageID(e)...)
	d = append(d, `","quoteToken":"`...)
	d = append(d, g.quoteToken(e)...)
	d = append(d, `","text":`...)
	d = appendJSONString(d, text)
	d = append(d, '}')
	e.detail = d
	return e
}

// sticker makes a sticker message event from user.
func (g *gen) sticker(user string) event {
	e := g.next("message", user)
	d := make([]byte, 0, 200)
	d = append(d, `"message":{"type":"sticker","id":"`...)
	d = append(d, g.messageID(e)...)
	d = append(d, `","quoteToken":"`...)
	d = append(d, g.quoteToken(e)...)
	d = append(d, `","stickerId":"52002734","packageId":"11537","stickerResourceType":"ANIMATION"}`...)
	e.detail = d
	return e
}

// postback makes a postback event: user pressed a button carrying data.
func (g *gen) postback(user, data string) event {
	e := g.next("postback", user)
	e.detail = appendJSONString([]byte(`"postback":{"data":`), data)
	e.detail = append(e.detail, '}')
	return e
}

// accountLink makes the event LINE sends when user's account link succeeded.
func (g *gen) accountLink(user, nonce string) event {
	e := g.next("accountLink", user)
	e.detail = appendJSONString([]byte(`"link":{"result":"ok","nonce":`), nonce)
	e.detail = append(e.detail, '}')
	return e
}

// appendJSON appends e as LINE encodes an event.
func (e event) appendJSON(b []byte) []byte {
	b = append(b, `{"type":"`...)
	b = append(b, e.typ...)
	b = append(b, `",`...)
	b = append(b, e.detail...)
	b = append(b, `,"webhookEventId":"`...)
	b = append(b, e.id...)
	b = append(b, `","deliveryContext":{"isRedelivery":`...)
	b = strconv.AppendBool(b, e.redelivery)
	b = append(b, `},"timestamp":`...)
	b = strconv.AppendInt(b, e.ts, 10)
	b = append(b, `,"source":{"type":"user","userId":"`...)
	b = append(b, e.user...)
	b = append(b, `"}`...)
	if e.token != "" {
		b = append(b, `,"replyToken":"`...)
		b = append(b, e.token...)
		b = append(b, '"')
	}
	b = append(b, `,"mode":"active"}`...)
	return b
}

// body is the webhook body LINE would send for evs.
func (g *gen) body(evs ...event) []byte {
	b := make([]byte, 0, 512)
	b = append(b, `{"destination":"`...)
	b = append(b, g.dest...)
	b = append(b, `","events":[`...)
	for i, e := range evs {
		if i > 0 {
			b = append(b, ',')
		}
		b = e.appendJSON(b)
	}
	return append(b, "]}"...)
}

// signer computes x-line-signature: HMAC-SHA256 of the exact bytes with
// the channel secret, base64. One per goroutine (it reuses its hash).
type signer struct{ h hash.Hash }

func (g *gen) signer() *signer { return &signer{h: hmac.New(sha256.New, g.secret)} }

func (s *signer) sign(body []byte) string {
	s.h.Reset()
	s.h.Write(body)
	var sum [sha256.Size]byte
	return base64.StdEncoding.EncodeToString(s.h.Sum(sum[:0]))
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}
