package emulate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
)

// jsonKind is the JSON type a contract field must have.
type jsonKind uint8

const (
	kString jsonKind = iota + 1
	kInt             // a number without fraction or exponent
	kBool
	kArray
	kObject
	kAny
)

func (k jsonKind) String() string {
	switch k {
	case kString:
		return "string"
	case kInt:
		return "integer"
	case kBool:
		return "boolean"
	case kArray:
		return "array"
	case kObject:
		return "object"
	}
	return "any"
}

// field is one expected member of a JSON object.
type field struct {
	name     string
	kind     jsonKind
	nullable bool // null is accepted too
	optional bool // may be absent
}

func req(name string, k jsonKind) field { return field{name: name, kind: k} }

// kindOf classifies a raw JSON value by its first byte (and, for numbers,
// whether it is an integer).
func kindOf(raw json.RawMessage) (jsonKind, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0, false
	}
	switch raw[0] {
	case '"':
		return kString, false
	case 't', 'f':
		return kBool, false
	case '[':
		return kArray, false
	case '{':
		return kObject, false
	case 'n':
		return 0, true
	}
	if _, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return kInt, false
	}
	return 0, false // a float or something else: never what the contract wants
}

// checkFields verifies that obj holds every field with the right type.
func checkFields(obj map[string]json.RawMessage, fields []field) error {
	for _, f := range fields {
		raw, ok := obj[f.name]
		if !ok {
			if f.optional {
				continue
			}
			return fmt.Errorf("missing field %q", f.name)
		}
		k, isNull := kindOf(raw)
		if isNull {
			if f.nullable || f.optional {
				continue
			}
			return fmt.Errorf("field %q is null, want %s", f.name, f.kind)
		}
		if f.kind != kAny && k != f.kind {
			return fmt.Errorf("field %q is %s, want %s", f.name, abbreviate(raw, 40), f.kind)
		}
	}
	return nil
}

// checkObject decodes body as a JSON object and verifies its fields.
func checkObject(body []byte, fields ...field) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	if obj == nil {
		return nil, fmt.Errorf("not a JSON object: null")
	}
	return obj, checkFields(obj, fields)
}

// str, integer and boolean read a field already checked by checkFields;
// a missing or mistyped field gives the zero value.
func str(obj map[string]json.RawMessage, name string) string {
	var s string
	_ = json.Unmarshal(obj[name], &s)
	return s
}

func integer(obj map[string]json.RawMessage, name string) int64 {
	n, _ := strconv.ParseInt(string(bytes.TrimSpace(obj[name])), 10, 64)
	return n
}

func boolean(obj map[string]json.RawMessage, name string) bool {
	return string(bytes.TrimSpace(obj[name])) == "true"
}

// The shapes of the contract's replies (docs/API.md).
var (
	loginShape = []field{
		{name: "displayname", kind: kString, nullable: true},
		req("needs_name", kBool),
		req("websocket_url", kString),
	}
	meShape = []field{
		req("username", kString),
		{name: "displayname", kind: kString, nullable: true},
		req("needs_name", kBool),
		req("websocket_url", kString),
		req("player_id", kInt),
		req("total", kInt),
	}
	setNameShape   = []field{req("result", kString), req("displayname", kString)}
	resultShape    = []field{req("result", kString)}
	errorShape     = []field{req("error", kString)}
	hintReplyShape = []field{req("result", kString), req("text", kString), req("total", kInt)}
	challengeShape = []field{
		req("id", kInt), req("title", kString), req("category", kString),
		req("difficulty", kString), req("points", kInt), req("solved", kBool),
		req("description", kString), req("hints", kArray),
		{name: "content", kind: kAny, nullable: true},
	}
	hintShape       = []field{req("id", kInt), req("cost", kInt), {name: "text", kind: kString, optional: true}}
	scoreboardShape = []field{req("players", kArray), req("last_id", kInt)}
	standingShape   = []field{
		req("rank", kInt), req("player_id", kInt), req("displayname", kString),
		req("score", kInt), req("solves", kInt), req("last_solve_ts", kInt),
	}
	// snapshotStandingShape: snapshots leave rank out (the order is the
	// rank) to stay small for big games.
	snapshotStandingShape = standingShape[1:]
)

// listedHint is a hint as /api/challenges lists it; Text is nil until the
// player has bought the hint.
type listedHint struct {
	ID   int
	Cost int
	Text *string
}

// listedChallenge is one entry of /api/challenges.
type listedChallenge struct {
	ID     int
	Title  string
	Points int
	Solved bool
	Hints  []listedHint
}

// listCache remembers parsed challenge listings by their exact bytes.
// Players who have solved the same challenges get byte-identical lists, so
// at thousands of players most listings repeat; a repeated list needs no
// second shape check (it is the same bytes) and skipping the JSON decode
// keeps the emulator's CPU for driving the server. Cached slices are
// shared: callers must not modify them.
type listCache struct {
	mu sync.RWMutex
	m  map[string][]listedChallenge
}

// maxCachedLists bounds the cache; later distinct lists are parsed every
// time.
const maxCachedLists = 4096

func (c *listCache) parse(body []byte) ([]listedChallenge, error) {
	c.mu.RLock()
	list, ok := c.m[string(body)] // no allocation for the lookup
	c.mu.RUnlock()
	if ok {
		return list, nil
	}
	list, err := parseChallenges(body)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string][]listedChallenge{}
	}
	if len(c.m) < maxCachedLists {
		c.m[string(body)] = list
	}
	c.mu.Unlock()
	return list, nil
}

// parseChallenges checks the shape of a /api/challenges reply and returns
// its entries.
func parseChallenges(body []byte) ([]listedChallenge, error) {
	var arr []map[string]json.RawMessage
	if err := json.Unmarshal(body, &arr); err != nil {
		return nil, fmt.Errorf("not a JSON array of objects: %v", err)
	}
	if arr == nil {
		return nil, fmt.Errorf("not a JSON array: null")
	}
	out := make([]listedChallenge, 0, len(arr))
	for i, obj := range arr {
		if obj == nil {
			return nil, fmt.Errorf("[%d] is null", i)
		}
		if err := checkFields(obj, challengeShape); err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		c := listedChallenge{
			ID:     int(integer(obj, "id")),
			Title:  str(obj, "title"),
			Points: int(integer(obj, "points")),
			Solved: boolean(obj, "solved"),
		}
		var hints []map[string]json.RawMessage
		if err := json.Unmarshal(obj["hints"], &hints); err != nil {
			return nil, fmt.Errorf("[%d].hints: not an array of objects", i)
		}
		for j, h := range hints {
			if h == nil {
				return nil, fmt.Errorf("[%d].hints[%d] is null", i, j)
			}
			if err := checkFields(h, hintShape); err != nil {
				return nil, fmt.Errorf("[%d].hints[%d]: %w", i, j, err)
			}
			lh := listedHint{ID: int(integer(h, "id")), Cost: int(integer(h, "cost"))}
			if raw, ok := h["text"]; ok {
				if k, isNull := kindOf(raw); k == kString && !isNull {
					t := str(h, "text")
					lh.Text = &t
				}
			}
			c.Hints = append(c.Hints, lh)
		}
		out = append(out, c)
	}
	return out, nil
}

// standing is one line of /api/scoreboard or a snapshot's players.
type standing struct {
	PlayerID    int64  `json:"player_id"`
	DisplayName string `json:"displayname"`
	Score       int64  `json:"score"`
	Solves      int    `json:"solves"`
}

// parseScoreboard checks the shape of a /api/scoreboard reply.
func parseScoreboard(body []byte) ([]standing, int64, error) {
	obj, err := checkObject(body, scoreboardShape...)
	if err != nil {
		return nil, 0, err
	}
	var players []map[string]json.RawMessage
	if err := json.Unmarshal(obj["players"], &players); err != nil {
		return nil, 0, fmt.Errorf("players: not an array of objects")
	}
	out := make([]standing, 0, len(players))
	for i, p := range players {
		if p == nil {
			return nil, 0, fmt.Errorf("players[%d] is null", i)
		}
		if err := checkFields(p, standingShape); err != nil {
			return nil, 0, fmt.Errorf("players[%d]: %w", i, err)
		}
		out = append(out, standing{
			PlayerID:    integer(p, "player_id"),
			DisplayName: str(p, "displayname"),
			Score:       integer(p, "score"),
			Solves:      int(integer(p, "solves")),
		})
	}
	return out, integer(obj, "last_id"), nil
}

// abbreviate shortens b for an error message.
func abbreviate(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}
