package emulate

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// streamEvent is what the emulator reads from one scorestream event
// object. Each field's JSON kind is kept so the shape can be checked.
type streamEvent struct {
	ID          int64
	Type        string
	PlayerID    int64
	TS          int64
	Points      int64
	ChallengeID int64
	HintID      int64
	Event       string // system events: "reset"
	FirstBlood  int64  // score events: 1, 2 or 3 for a challenge's first solvers
	By          int64  // team mode: the member who made a team's solve or hint

	seen uint16 // bit set of evField present with the right kind
	bad  string // first field with a wrong kind
}

// evField numbers the event members the emulator checks.
type evField uint16

const (
	fID evField = 1 << iota
	fType
	fPlayerID
	fDisplayName
	fTS
	fChallengeID
	fChallenge
	fPoints
	fHintID
	fEvent
	fMessage
	fFirstBlood
	fBy
	fByName
)

var evFieldNames = []struct {
	name string
	bit  evField
	kind jsonKind
}{
	{"id", fID, kInt},
	{"type", fType, kString},
	{"player_id", fPlayerID, kInt},
	{"displayname", fDisplayName, kString},
	{"ts", fTS, kInt},
	{"challenge_id", fChallengeID, kInt},
	{"challenge", fChallenge, kString},
	{"points", fPoints, kInt},
	{"hint_id", fHintID, kInt},
	{"event", fEvent, kString},
	{"message", fMessage, kString},
	{"first_blood", fFirstBlood, kInt},
	{"by", fBy, kInt},
	{"by_name", fByName, kString},
}

// fieldIndex returns the index of key in evFieldNames, or -1. A switch
// on the string compiles to a few comparisons, cheaper than a scan.
func fieldIndex(key []byte) int {
	switch string(key) {
	case "id":
		return 0
	case "type":
		return 1
	case "player_id":
		return 2
	case "displayname":
		return 3
	case "ts":
		return 4
	case "challenge_id":
		return 5
	case "challenge":
		return 6
	case "points":
		return 7
	case "hint_id":
		return 8
	case "event":
		return 9
	case "message":
		return 10
	case "first_blood":
		return 11
	case "by":
		return 12
	case "by_name":
		return 13
	}
	return -1
}

// requiredFields returns the members an event of type typ must have
// (docs/API.md), or 0 for an unknown type. Announcements, clock changes
// and early releases concern no player: they carry an id (for since=)
// and a time, not a player or points.
func requiredFields(typ string) evField {
	const common = fID | fType | fPlayerID | fDisplayName | fTS
	switch typ {
	case "score":
		return common | fChallengeID | fChallenge | fPoints
	case "hint":
		return common | fChallengeID | fChallenge | fHintID | fPoints
	case "rename":
		return common
	case "system":
		return fType | fEvent
	case "announcement":
		return fID | fType | fTS | fMessage
	case "clock":
		return fID | fType | fTS
	case "release":
		return fID | fType | fTS | fChallengeID | fChallenge
	}
	return 0
}

// playerEvent reports whether an event of type typ is a player's (it
// moves the scoreboard, or names a player in it).
func playerEvent(typ string) bool {
	return typ == "score" || typ == "hint" || typ == "rename"
}

// checkShape reports the first way ev deviates from the contract.
func (ev *streamEvent) checkShape() error {
	if ev.bad != "" {
		return fmt.Errorf("event field %q has the wrong type", ev.bad)
	}
	want := requiredFields(ev.Type)
	if want == 0 {
		return fmt.Errorf("unknown event type %q", ev.Type)
	}
	if missing := want &^ evField(ev.seen); missing != 0 {
		for _, f := range evFieldNames {
			if missing&f.bit != 0 {
				return fmt.Errorf("%s event without %q", ev.Type, f.name)
			}
		}
	}
	if ev.Type == "hint" && ev.Points > 0 {
		return fmt.Errorf("hint event with positive points %d", ev.Points)
	}
	if evField(ev.seen)&fFirstBlood != 0 {
		if ev.Type != "score" {
			return fmt.Errorf("%s event with first_blood", ev.Type)
		}
		if ev.FirstBlood < 1 || ev.FirstBlood > 3 {
			return fmt.Errorf("score event with first_blood %d (want 1, 2 or 3)", ev.FirstBlood)
		}
	}
	if evField(ev.seen)&(fBy|fByName) != 0 && ev.Type != "score" && ev.Type != "hint" {
		return fmt.Errorf("%s event with by", ev.Type)
	}
	return nil
}

// checkTeamShape reports how a checked event of a team-mode game deviates
// from the contract: a team's solve or hint names the member who made it.
func (ev *streamEvent) checkTeamShape() error {
	if ev.Type != "score" && ev.Type != "hint" {
		return nil
	}
	for _, f := range []evField{fBy, fByName} {
		if evField(ev.seen)&f == 0 {
			return fmt.Errorf("team %s event without %q", ev.Type, evFieldNames[bits.TrailingZeros16(uint16(f))].name)
		}
	}
	return nil
}

// errSnapshot tells the caller that the frame is a snapshot, which is
// decoded with encoding/json instead.
var errSnapshot = errors.New("snapshot frame")

// frameParser reads event frames (JSON arrays of flat objects) without
// allocating: at thousands of sockets every event is parsed thousands of
// times, and encoding/json would make the emulator, not the server, the
// bottleneck. It keeps nothing between frames but one event.
type frameParser struct {
	b  []byte
	i  int
	ev streamEvent
	fn func(*streamEvent)
}

// parse calls fn for each event object of frame, in order, as it is read;
// a malformed frame stops with an error after the events before the fault.
// It returns errSnapshot, without calling fn for it, when it meets a
// snapshot object (which must be alone in its frame).
func (p *frameParser) parse(frame []byte, fn func(*streamEvent)) error {
	p.b, p.i, p.fn = frame, 0, fn
	p.ws()
	if !p.eat('[') {
		return p.errorf("frame is not a JSON array")
	}
	p.ws()
	if p.eat(']') {
		return p.trailing()
	}
	for {
		p.ws()
		if err := p.object(); err != nil {
			return err
		}
		p.ws()
		if p.eat(',') {
			continue
		}
		if p.eat(']') {
			return p.trailing()
		}
		return p.errorf("expected , or ] in array")
	}
}

func (p *frameParser) trailing() error {
	p.ws()
	if p.i != len(p.b) {
		return p.errorf("data after the array")
	}
	return nil
}

func (p *frameParser) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *frameParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *frameParser) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// object parses one event object and hands it to p.fn.
func (p *frameParser) object() error {
	if !p.eat('{') {
		return p.errorf("array element is not an object")
	}
	p.ev = streamEvent{}
	ev := &p.ev
	p.ws()
	if p.eat('}') {
		p.fn(ev)
		return nil
	}
	for {
		p.ws()
		key, err := p.str()
		if err != nil {
			return err
		}
		p.ws()
		if !p.eat(':') {
			return p.errorf("expected :")
		}
		p.ws()
		if err := p.member(ev, key); err != nil {
			return err
		}
		p.ws()
		if p.eat(',') {
			continue
		}
		if p.eat('}') {
			if ev.Type == "snapshot" {
				return errSnapshot
			}
			p.fn(ev)
			return nil
		}
		return p.errorf("expected , or } in object")
	}
}

// member reads the value of key into ev.
func (p *frameParser) member(ev *streamEvent, key []byte) error {
	k := fieldIndex(key)
	if k < 0 {
		return p.skip(0)
	}
	spec := &evFieldNames[k]
	start := p.i
	if p.i >= len(p.b) {
		return p.errorf("value expected")
	}
	c := p.b[p.i]
	switch {
	case c == '"':
		s, err := p.str()
		if err != nil {
			return err
		}
		if spec.kind != kString {
			ev.markBad(spec.name)
			return nil
		}
		ev.seen |= uint16(spec.bit)
		switch spec.bit {
		case fType:
			ev.Type = internType(s)
		case fEvent:
			ev.Event = string(s)
		}
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		n, isInt, err := p.num()
		if err != nil {
			return err
		}
		if spec.kind != kInt || !isInt {
			ev.markBad(spec.name)
			return nil
		}
		ev.seen |= uint16(spec.bit)
		switch spec.bit {
		case fID:
			ev.ID = n
		case fPlayerID:
			ev.PlayerID = n
		case fTS:
			ev.TS = n
		case fChallengeID:
			ev.ChallengeID = n
		case fPoints:
			ev.Points = n
		case fHintID:
			ev.HintID = n
		case fFirstBlood:
			ev.FirstBlood = n
		case fBy:
			ev.By = n
		}
		return nil
	default:
		if err := p.skip(0); err != nil {
			return err
		}
		if string(p.b[start:p.i]) != "null" || spec.bit != fDisplayName {
			ev.markBad(spec.name)
		}
		return nil
	}
}

func (ev *streamEvent) markBad(name string) {
	if ev.bad == "" {
		ev.bad = name
	}
}

// internType avoids allocating a string per event for the known types.
func internType(s []byte) string {
	switch string(s) {
	case "score":
		return "score"
	case "hint":
		return "hint"
	case "rename":
		return "rename"
	case "system":
		return "system"
	case "snapshot":
		return "snapshot"
	case "announcement":
		return "announcement"
	case "clock":
		return "clock"
	case "release":
		return "release"
	}
	return string(s)
}

// str reads a JSON string and returns its raw contents (escapes left as
// they are; the members the emulator compares never contain any).
func (p *frameParser) str() ([]byte, error) {
	if !p.eat('"') {
		return nil, p.errorf("string expected")
	}
	start := p.i
	for {
		j := bytes.IndexByte(p.b[p.i:], '"')
		if j < 0 {
			p.i = len(p.b)
			return nil, p.errorf("unterminated string")
		}
		end := p.i + j
		p.i = end + 1
		// The quote ends the string unless an odd run of backslashes
		// escapes it.
		n := 0
		for k := end - 1; k >= start && p.b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return p.b[start:end], nil
		}
	}
}

// num reads a JSON number; isInt is false for fractions and exponents.
func (p *frameParser) num() (n int64, isInt bool, err error) {
	neg := p.eat('-')
	start := p.i
	isInt = true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c >= '0' && c <= '9':
			if isInt {
				if n > (math.MaxInt64-9)/10 {
					isInt = false // overflows int64: not a value we expect
				}
				n = n*10 + int64(c-'0')
			}
		case c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-':
			isInt = false
		default:
			goto done
		}
		p.i++
	}
done:
	if p.i == start {
		return 0, false, p.errorf("number expected")
	}
	if neg {
		n = -n
	}
	return n, isInt, nil
}

// skip passes over any JSON value.
func (p *frameParser) skip(depth int) error {
	if depth > 64 {
		return p.errorf("nesting too deep")
	}
	if p.i >= len(p.b) {
		return p.errorf("value expected")
	}
	switch c := p.b[p.i]; {
	case c == '"':
		_, err := p.str()
		return err
	case c == '{' || c == '[':
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		p.i++
		p.ws()
		if p.eat(closing) {
			return nil
		}
		for {
			p.ws()
			if c == '{' {
				if _, err := p.str(); err != nil {
					return err
				}
				p.ws()
				if !p.eat(':') {
					return p.errorf("expected :")
				}
				p.ws()
			}
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.ws()
			if p.eat(',') {
				continue
			}
			if p.eat(closing) {
				return nil
			}
			return p.errorf("expected , or %c", closing)
		}
	case c == '-' || (c >= '0' && c <= '9'):
		_, _, err := p.num()
		return err
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if len(p.b)-p.i >= len(lit) && string(p.b[p.i:p.i+len(lit)]) == lit {
				p.i += len(lit)
				return nil
			}
		}
		return p.errorf("unexpected %q", c)
	}
}
