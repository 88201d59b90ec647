package console

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/taikaibot/taikai/internal/random"
)

// Sessions live in Redis, so every replica sees a sign-in and a sign-out at
// once, and a session can be ended. The cookie holds only a random session
// id; Redis holds the record under a keyed hash of it, so a copy of Redis
// (a backup, an AOF file) holds no cookie that would work.
//
// A record names its staff member and a fingerprint of the credential used
// (a keyed hash of the name and password, or of the token). Each request
// checks both against the credentials configured now: a name removed from
// CONSOLE_USERS, a changed password or a changed CONSOLE_TOKEN ends every
// session made with the old one. A session lasts sessionTTL from sign-in,
// never longer (it is not extended by use), and signing out deletes it.

// sessionTTL is how long a sign-in lasts.
const sessionTTL = 12 * time.Hour

const cookieName = "taikai_console"

// Kinds of staff credentials.
const (
	kindUser  = "user"
	kindToken = "token"
)

// session is the record of one sign-in.
type session struct {
	Kind    string `json:"kind"`
	Staff   string `json:"staff"`
	Cred    string `json:"cred"`
	CSRF    string `json:"csrf"`
	Expires int64  `json:"exp"` // unix ms
}

// principal is who a request comes from: a session, or Basic or bearer
// credentials sent with it.
type principal struct {
	staff string
	csrf  string
	sid   string // the session id, when signed in with a cookie
}

// key returns the console's secret: Options.Secret, or the one kept in
// Redis, made by the first replica that needed it (SET NX), so all agree.
func (s *Server) key(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.secret != nil {
		return s.secret, nil
	}
	j := s.opts.Journal
	k := j.prefix + "secret"
	if err := j.rdb.SetNX(ctx, k, random.Hex(32), 0).Err(); err != nil {
		return nil, fmt.Errorf("console secret: %w", err)
	}
	v, err := j.rdb.Get(ctx, k).Result()
	if err != nil || len(v) < 32 {
		return nil, fmt.Errorf("console secret: %v", err)
	}
	s.secret = []byte(v)
	return s.secret, nil
}

// mac is a keyed hash of parts, hex.
func mac(key []byte, parts ...string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(m.Sum(nil))
}

// equal compares in constant time, whatever the lengths: the digests
// compared have one length.
func equal(a, b string) int {
	x, y := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(x[:], y[:])
}

// check validates credentials — a staff member's name and password, or the
// token — in time that does not depend on which part is wrong or on whether
// the name exists: every configured pair is compared.
func (s *Server) check(name, password, token string) (kind, staff string, ok bool) {
	tok := 0
	if token != "" && s.opts.Token != "" {
		tok = equal(token, s.opts.Token)
	}
	user := 0
	for n, pw := range s.opts.Users {
		m := equal(n, name) & equal(pw, password)
		if m == 1 {
			staff = n
		}
		user |= m
	}
	switch {
	case tok == 1:
		return kindToken, "token", true
	case user == 1 && password != "":
		return kindUser, staff, true
	}
	return "", "", false
}

// fingerprint ties a session to the credential it was made with, as now
// configured; "" when that credential is no longer configured.
func (s *Server) fingerprint(key []byte, kind, staff string) string {
	switch kind {
	case kindToken:
		if s.opts.Token != "" {
			return mac(key, "cred", kindToken, s.opts.Token)
		}
	case kindUser:
		if pw, ok := s.opts.Users[staff]; ok {
			return mac(key, "cred", kindUser, staff, pw)
		}
	}
	return ""
}

func (s *Server) sessionKey(key []byte, sid string) string {
	return s.opts.Journal.prefix + "session:" + mac(key, "session", sid)
}

// newSession records a sign-in and returns its id.
func (s *Server) newSession(ctx context.Context, kind, staff string) (string, error) {
	key, err := s.key(ctx)
	if err != nil {
		return "", err
	}
	sid := random.Hex(32)
	b, _ := json.Marshal(session{Kind: kind, Staff: staff, Cred: s.fingerprint(key, kind, staff), CSRF: random.Hex(16),
		Expires: s.opts.Now().Add(sessionTTL).UnixMilli()})
	if err := s.opts.Journal.rdb.Set(ctx, s.sessionKey(key, sid), b, sessionTTL).Err(); err != nil {
		return "", fmt.Errorf("console: session: %w", err)
	}
	return sid, nil
}

// errNoSession means the cookie names no live session of configured staff.
var errNoSession = errors.New("console: no session")

// session returns the live session sid names.
func (s *Server) session(ctx context.Context, sid string) (principal, error) {
	if len(sid) != 64 || strings.Trim(sid, "0123456789abcdef") != "" {
		return principal{}, errNoSession
	}
	key, err := s.key(ctx)
	if err != nil {
		return principal{}, err
	}
	b, err := s.opts.Journal.rdb.Get(ctx, s.sessionKey(key, sid)).Bytes()
	if errors.Is(err, redis.Nil) {
		return principal{}, errNoSession
	}
	if err != nil {
		return principal{}, fmt.Errorf("console: session: %w", err)
	}
	var ss session
	if json.Unmarshal(b, &ss) != nil || s.opts.Now().UnixMilli() >= ss.Expires {
		return principal{}, errNoSession
	}
	want := s.fingerprint(key, ss.Kind, ss.Staff)
	if want == "" || equal(want, ss.Cred) != 1 {
		return principal{}, errNoSession
	}
	return principal{staff: ss.Staff, csrf: ss.CSRF, sid: sid}, nil
}

// endSession deletes a session.
func (s *Server) endSession(ctx context.Context, sid string) error {
	key, err := s.key(ctx)
	if err != nil {
		return err
	}
	return s.opts.Journal.rdb.Del(ctx, s.sessionKey(key, sid)).Err()
}

// credentialCSRF is the CSRF token of requests that carry Basic or bearer
// credentials (a browser resends cached Basic credentials by itself, so
// they need one): a keyed hash of the credential.
func (s *Server) credentialCSRF(key []byte, kind, staff string) string {
	return mac(key, "csrf", s.fingerprint(key, kind, staff))[:32]
}

func setSessionCookie(w http.ResponseWriter, r *http.Request, sid string) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: sid, Path: "/console/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https", MaxAge: int(sessionTTL.Seconds())})
}

func clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/console/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}
