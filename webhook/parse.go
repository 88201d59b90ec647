package webhook

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// parsed is an event as the handler reads it: its bytes, and its lean
// fields or the error decoding them gave.
type parsed struct {
	raw []byte
	l   lean
	err error
}

// parse reads the events of a verified body: an error when the body does
// not decode (as a JSON object whose events are an array of JSON values).
//
// The common body is read in one pass over its bytes (parseFast); any body
// that pass could read differently from encoding/json (a key not spelled
// exactly, or twice; a value of another type; an escaped or invalid
// string) goes to encoding/json (parseSlow), which reads every body.
// FuzzParse holds the two equal.
func parse(body []byte) ([]parsed, error) {
	if evs, ok := parseFast(body); ok {
		return evs, nil
	}
	return parseSlow(body)
}

func parseSlow(body []byte) ([]parsed, error) {
	var cb struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(body, &cb); err != nil {
		return nil, err
	}
	out := make([]parsed, len(cb.Events))
	for i, raw := range cb.Events {
		out[i].raw = raw
		out[i].err = json.Unmarshal(raw, &out[i].l)
	}
	return out, nil
}

// parseFast reads body in one pass, or says it cannot (ok false). An
// event's raw bytes are a slice of body.
func parseFast(body []byte) (out []parsed, ok bool) {
	if !json.Valid(body) {
		return nil, false
	}
	i := ws(body, 0)
	if body[i] != '{' {
		return nil, false
	}
	seen := false
	ok = objectKeys(body, i, func(key []byte, v int) (int, bool) {
		switch {
		case string(key) == "events" && !seen && body[v] == '[':
			seen = true
			j := ws(body, v+1)
			if body[j] == ']' {
				return j + 1, true
			}
			for {
				if body[j] != '{' {
					return 0, false
				}
				var p parsed
				end, good := event(body, j, &p.l)
				if !good {
					return 0, false
				}
				p.raw = body[j:end:end] // capped: an append must not write over the next event
				out = append(out, p)
				j = ws(body, end)
				if body[j] == ']' {
					return j + 1, true
				}
				j = ws(body, j+1) // the comma
			}
		case bytes.EqualFold(key, []byte("events")):
			return 0, false
		}
		return skip(body, v), true
	})
	return out, ok
}

// event reads the event object at body[i] into l; it returns where the
// object ends.
func event(body []byte, i int, l *lean) (end int, ok bool) {
	var seen [4]bool
	ok = objectKeys(body, i, func(key []byte, v int) (int, bool) {
		k := known(key, "type", "timestamp", "webhookEventId", "source")
		switch {
		case k < 0:
			return skip(body, v), true
		case k >= len(seen) || seen[k]:
			return 0, false
		}
		seen[k] = true
		switch k {
		case 0:
			return str(body, v, &l.Type)
		case 1:
			e := skip(body, v)
			l.Timestamp = body[v:e]
			return e, true
		case 2:
			return str(body, v, &l.WebhookEventID)
		}
		if body[v] != '{' {
			return 0, false
		}
		var seenSrc [4]bool
		s := &l.Source
		fields := [4]*string{&s.Type, &s.UserID, &s.GroupID, &s.RoomID}
		good := objectKeys(body, v, func(key []byte, v int) (int, bool) {
			k := known(key, "type", "userId", "groupId", "roomId")
			switch {
			case k < 0:
				return skip(body, v), true
			case k >= len(seenSrc) || seenSrc[k]:
				return 0, false
			}
			seenSrc[k] = true
			return str(body, v, fields[k])
		})
		return skip(body, v), good
	})
	return skip(body, i), ok
}

// known is the index of key among names; len(names) if it matches one only
// when case is folded (encoding/json would take it, spelled so); -1 if none.
func known(key []byte, names ...string) int {
	for n, name := range names {
		if string(key) == name {
			return n
		}
	}
	for _, name := range names {
		if bytes.EqualFold(key, []byte(name)) {
			return len(names)
		}
	}
	return -1
}

// objectKeys calls f with each key of the object at body[i] and where its
// value starts; f returns where the value ends. Keys with escapes are
// refused (ok false), as is anything f refuses.
func objectKeys(body []byte, i int, f func(key []byte, v int) (int, bool)) bool {
	i = ws(body, i+1)
	if body[i] == '}' {
		return true
	}
	for {
		key, end, esc := quoted(body, i)
		if esc {
			return false
		}
		v := ws(body, ws(body, end)+1) // past the colon
		e, ok := f(key, v)
		if !ok {
			return false
		}
		i = ws(body, e)
		if body[i] == '}' {
			return true
		}
		i = ws(body, i+1) // the comma
	}
}

// str reads the string at body[v] into s: refused if it is not a string,
// has escapes, or is not valid UTF-8 (encoding/json would change it).
func str(body []byte, v int, s *string) (int, bool) {
	if body[v] != '"' {
		return 0, false
	}
	b, end, esc := quoted(body, v)
	if esc || !utf8.Valid(b) {
		return 0, false
	}
	*s = string(b)
	return end, true
}

// quoted is the content of the string at body[i], where it ends, and
// whether it has escapes.
func quoted(body []byte, i int) (content []byte, end int, esc bool) {
	j := i + 1
	for body[j] != '"' {
		if body[j] == '\\' {
			esc = true
			j++
		}
		j++
	}
	return body[i+1 : j], j + 1, esc
}

// skip is where the (valid) JSON value at body[i] ends.
func skip(body []byte, i int) int {
	switch body[i] {
	case '"':
		_, end, _ := quoted(body, i)
		return end
	case '{', '[':
		depth := 0
		for j := i; ; j++ {
			switch body[j] {
			case '"':
				_, end, _ := quoted(body, j)
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
	}
	j := i // a number, true, false or null
	for j < len(body) {
		switch body[j] {
		case ',', ']', '}', ' ', '\t', '\r', '\n':
			return j
		}
		j++
	}
	return j
}

// ws is where the whitespace at body[i] ends.
func ws(body []byte, i int) int {
	for i < len(body) && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n') {
		i++
	}
	return i
}
