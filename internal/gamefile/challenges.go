package gamefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ctfg/ctfg/internal/game"
)

// Limits on numbers in challenges.json. They keep sums of scores far from
// overflow and catch typos such as an extra row of zeros.
const (
	MaxID     = 1_000_000_000 // largest challenge or hint id
	MaxPoints = 1_000_000     // largest points of a challenge or cost of a hint
)

// Placeholders that need game-clusters.yaml.
const (
	ControlClusterPlaceholder = "@CONTROL_CLUSTER@"
	PlayerClusterPlaceholder  = "@PLAYER_CLUSTER@"
)

// LoadChallenges reads and validates a challenges.json file. The
// challenges come back in file order, each compiled (game.Challenge.Compile
// called) and with its hints sorted by id. Every problem found is reported
// in an ErrorList of *Error naming the JSON path, the challenge id and the
// line; a missing file is an *Error wrapping fs.ErrNotExist.
//
// LoadChallenges does not check cluster placeholders, which need
// game-clusters.yaml: call CheckPlaceholders for that (Load does).
func LoadChallenges(path string) ([]*game.Challenge, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	return ParseChallenges(path, data)
}

// ParseChallenges parses and validates the contents of a challenges file;
// name is used in error messages. See LoadChallenges.
func ParseChallenges(name string, data []byte) ([]*game.Challenge, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	idx := newLineIndex(data)
	if !utf8.Valid(data) {
		return nil, &Error{File: name, Line: invalidUTF8Line(data), Msg: "not valid UTF-8 text"}
	}
	// Unmarshal checks the syntax of the whole input before decoding, so
	// its error has the offset of the first mistake.
	var top json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, syntaxError(name, data, idx, err)
	}
	elems, ok := splitArray(data, 0)
	if !ok {
		return nil, &Error{File: name, Line: 1, Msg: "must be a JSON array of challenges, got " + describeJSON(bytes.TrimSpace(data))}
	}
	if len(elems) == 0 {
		return nil, &Error{File: name, Msg: "no challenges: the array is empty"}
	}
	p := &challengeParser{name: name, data: data, idx: idx}
	chs := make([]*game.Challenge, 0, len(elems))
	lines := make([]int, 0, len(elems))
	for i, el := range elems {
		if ch, reqLine := p.challenge(i, el); ch != nil {
			chs = append(chs, ch)
			lines = append(lines, reqLine)
		}
	}
	p.checkRequirements(chs, lines)
	// Report in file order, however the checks were made.
	slices.SortStableFunc(p.c.list, func(a, b *Error) int { return a.Line - b.Line })
	if err := p.c.err(); err != nil {
		return nil, err
	}
	return chs, nil
}

type challengeParser struct {
	name string
	data []byte
	idx  lineIndex
	c    collector
	// index of each challenge in the file, by id, to report duplicates
	// and to name paths in later checks.
	byID map[int]int
	pos  map[*game.Challenge]int
}

func (p *challengeParser) line(off int) int {
	l, _ := p.idx.pos(p.data, off)
	return l
}

func (p *challengeParser) add(off int, path string, id int, msg string) {
	p.c.add(&Error{File: p.name, Line: p.line(off), Path: path, ChallengeID: id, Msg: msg})
}

// challenge decodes and checks element i. It returns the challenge when
// its id is valid and unique, so that it takes part in the checks across
// challenges (even if it has other problems), and the line of its
// requirements (or of the element) for those checks.
func (p *challengeParser) challenge(i int, el member) (*game.Challenge, int) {
	at := fmt.Sprintf("[%d]", i)
	obj, ok := splitObject(el.val, el.off)
	if !ok {
		p.add(el.off, at, 0, "must be an object, got "+describeJSON(el.val))
		return nil, 0
	}
	ch := &game.Challenge{}

	// The id first, so that every later message can name the challenge.
	idOK := false
	if m, ok := obj.get("id"); !ok {
		p.add(el.off, at, 0, "missing id")
	} else if n, msg := jsonInt(m.val, 1, MaxID); msg != "" {
		p.add(m.off, at+".id", 0, msg)
	} else {
		ch.ID, idOK = n, true
	}
	id := ch.ID

	str := func(key string, dst *string, required bool) {
		m, ok := obj.get(key)
		if !ok {
			if required {
				p.add(el.off, at, id, "missing "+key)
			}
			return
		}
		s, msg := jsonString(m.val)
		if msg != "" {
			p.add(m.off, at+"."+key, id, msg)
			return
		}
		if required && strings.TrimSpace(s) == "" {
			p.add(m.off, at+"."+key, id, "must not be empty")
			return
		}
		*dst = s
	}
	str("title", &ch.Title, true)
	str("category", &ch.Category, false)
	str("difficulty", &ch.Difficulty, false)
	str("description", &ch.Description, false)
	str("flag", &ch.Flag, true)
	str("testflag", &ch.TestFlag, false)

	if m, ok := obj.get("points"); !ok {
		p.add(el.off, at, id, "missing points")
	} else if n, msg := jsonInt(m.val, 0, MaxPoints); msg != "" {
		p.add(m.off, at+".points", id, msg)
	} else {
		ch.Points = n
	}

	if m, ok := obj.get("scoring"); ok {
		ch.Scoring = p.scoring(at+".scoring", id, m, ch.Points)
	}
	if m, ok := obj.get("release"); ok {
		if s, msg := jsonString(m.val); msg != "" {
			p.add(m.off, at+".release", id, msg)
		} else if t, err := game.ParseTime(s); err != nil {
			p.add(m.off, at+".release", id, fmt.Sprintf("must be an RFC 3339 time with a zone, such as 2025-06-01T09:00:00+02:00 or 2025-06-01T07:00:00Z, got %q", s))
		} else {
			ch.Release = &t
		}
	}

	if m, ok := obj.get("content"); ok {
		ch.Content = json.RawMessage(slices.Clone(m.val))
	}

	if m, ok := obj.get("hints"); ok {
		ch.Hints = p.hints(at+".hints", id, m)
	}
	if m, ok := obj.get("requirements"); ok {
		ch.Requirements = p.requirements(at+".requirements", id, m)
	}

	if ch.Flag != "" {
		m, _ := obj.get("flag")
		if err := ch.Compile(); err != nil {
			p.add(m.off, at+".flag", id, regexpProblem(err))
		} else if ch.TestFlag != "" {
			tm, _ := obj.get("testflag")
			guess := strings.TrimSpace(ch.TestFlag)
			switch {
			case len(guess) > game.MaxGuessLen:
				p.add(tm.off, at+".testflag", id, fmt.Sprintf("is longer than %d bytes, the longest guess a player may submit", game.MaxGuessLen))
			case !ch.MatchFlag(guess):
				p.add(tm.off, at+".testflag", id, "is not accepted by the flag (the flag must match it exactly once)")
			}
		}
	}

	if !idOK {
		return nil, 0
	}
	if p.byID == nil {
		p.byID = map[int]int{}
		p.pos = map[*game.Challenge]int{}
	}
	if first, dup := p.byID[id]; dup {
		m, _ := obj.get("id")
		p.add(m.off, at+".id", id, fmt.Sprintf("duplicate id %d (also [%d])", id, first))
		return nil, 0
	}
	p.byID[id] = i
	p.pos[ch] = i
	reqOff := el.off
	if m, ok := obj.get("requirements"); ok {
		reqOff = m.off
	}
	return ch, p.line(reqOff)
}

func (p *challengeParser) hints(at string, id int, m member) []game.Hint {
	elems, ok := splitArray(m.val, m.off)
	if !ok {
		p.add(m.off, at, id, "must be a list of {id, text, cost}, got "+describeJSON(m.val))
		return nil
	}
	hints := make([]game.Hint, 0, len(elems))
	seen := map[int]int{}
	for j, el := range elems {
		hat := fmt.Sprintf("%s[%d]", at, j)
		obj, ok := splitObject(el.val, el.off)
		if !ok {
			p.add(el.off, hat, id, "must be an object {id, text, cost}, got "+describeJSON(el.val))
			continue
		}
		var h game.Hint
		good := true
		if hm, ok := obj.get("id"); !ok {
			p.add(el.off, hat, id, "missing id")
			good = false
		} else if n, msg := jsonInt(hm.val, 1, MaxID); msg != "" {
			p.add(hm.off, hat+".id", id, msg)
			good = false
		} else if first, dup := seen[n]; dup {
			p.add(hm.off, hat+".id", id, fmt.Sprintf("duplicate hint id %d (also %s[%d])", n, at, first))
			good = false
		} else {
			h.ID = n
			seen[n] = j
		}
		if hm, ok := obj.get("text"); !ok {
			p.add(el.off, hat, id, "missing text")
			good = false
		} else if s, msg := jsonString(hm.val); msg != "" {
			p.add(hm.off, hat+".text", id, msg)
			good = false
		} else {
			h.Text = s
		}
		if hm, ok := obj.get("cost"); !ok {
			p.add(el.off, hat, id, "missing cost (use 0 for a free hint)")
			good = false
		} else if n, msg := jsonInt(hm.val, 0, MaxPoints); msg != "" {
			p.add(hm.off, hat+".cost", id, msg)
			good = false
		} else {
			h.Cost = n
		}
		if good {
			hints = append(hints, h)
		}
	}
	// Ids give the purchase order, whatever the order in the file.
	slices.SortStableFunc(hints, func(a, b game.Hint) int { return a.ID - b.ID })
	return hints
}

// scoringFields are the keys of a "scoring" object, in the order of
// the documentation.
var scoringFields = []string{"type", "function", "initial", "minimum", "decay"}

// scoring decodes a challenge's "scoring" object. "type" defaults to
// "decay" and "initial" to the challenge's points; "function", "minimum"
// and "decay" are required. Unknown keys are refused: a misspelt field
// would otherwise be ignored and change the game silently. It returns nil
// after reporting any problem.
func (p *challengeParser) scoring(at string, id int, m member, points int) *game.Scoring {
	obj, ok := splitObject(m.val, m.off)
	if !ok {
		p.add(m.off, at, id, "must be an object {type, function, initial, minimum, decay}, got "+describeJSON(m.val))
		return nil
	}
	s := &game.Scoring{Type: game.ScoringDecay, Initial: points}
	good := true
	keys := make([]string, 0, len(obj.members))
	for k := range obj.members {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return obj.members[a].off - obj.members[b].off })
	for _, k := range keys {
		if !slices.Contains(scoringFields, k) {
			p.add(obj.members[k].off, at+"."+k, id, "unknown field (a scoring has "+strings.Join(scoringFields, ", ")+")")
			good = false
		}
	}
	str := func(key string, dst *string, required bool) {
		fm, ok := obj.get(key)
		if !ok {
			if required {
				p.add(m.off, at, id, "missing "+key)
				good = false
			}
			return
		}
		v, msg := jsonString(fm.val)
		if msg != "" {
			p.add(fm.off, at+"."+key, id, msg)
			good = false
			return
		}
		*dst = v
	}
	num := func(key string, dst *int, lo, hi int64, required bool) {
		fm, ok := obj.get(key)
		if !ok {
			if required {
				p.add(m.off, at, id, "missing "+key)
				good = false
			}
			return
		}
		n, msg := jsonInt(fm.val, lo, hi)
		if msg != "" {
			p.add(fm.off, at+"."+key, id, msg)
			good = false
			return
		}
		*dst = n
	}
	str("type", &s.Type, false)
	str("function", &s.Function, true)
	num("initial", &s.Initial, 1, MaxPoints, false)
	num("minimum", &s.Minimum, 0, MaxPoints, true)
	num("decay", &s.Decay, 1, game.MaxScoringDecay, true)
	if !good {
		return nil
	}
	if err := s.Validate(); err != nil {
		// The fields are each well formed: what is left is a value out
		// of its set or two fields at odds; point at the first concerned.
		msg, off, path := err.Error(), m.off, at
		for _, k := range []string{"type", "function", "minimum", "initial"} {
			rest, named := strings.CutPrefix(msg, k+" ")
			if fm, ok := obj.get(k); ok && named {
				off, path = fm.off, at+"."+k
				if strings.HasPrefix(rest, "must ") {
					msg = rest
				}
				break
			}
		}
		if _, given := obj.get("initial"); !given && strings.Contains(msg, "initial") {
			msg += " (initial is the challenge's points when not given)"
		}
		p.add(off, path, id, msg)
		return nil
	}
	return s
}

func (p *challengeParser) requirements(at string, id int, m member) []int {
	elems, ok := splitArray(m.val, m.off)
	if !ok {
		p.add(m.off, at, id, "must be a list of challenge ids, got "+describeJSON(m.val))
		return nil
	}
	reqs := make([]int, 0, len(elems))
	for j, el := range elems {
		n, msg := jsonInt(el.val, 1, MaxID)
		if msg != "" {
			p.add(el.off, fmt.Sprintf("%s[%d]", at, j), id, msg)
			continue
		}
		reqs = append(reqs, n)
	}
	return reqs
}

// checkRequirements checks that requirements name existing challenges,
// not the challenge itself, and form no cycle. chs are the challenges
// with a valid, unique id; lines are the lines of their requirements in
// the file.
func (p *challengeParser) checkRequirements(chs []*game.Challenge, lines []int) {
	byID := make(map[int]*game.Challenge, len(chs))
	for _, ch := range chs {
		byID[ch.ID] = ch
	}
	for k, ch := range chs {
		at := fmt.Sprintf("[%d].requirements", p.pos[ch])
		for _, r := range ch.Requirements {
			switch {
			case r == ch.ID:
				p.c.add(&Error{File: p.name, Line: lines[k], Path: at, ChallengeID: ch.ID, Msg: "a challenge cannot require itself"})
			case byID[r] == nil:
				p.c.add(&Error{File: p.name, Line: lines[k], Path: at, ChallengeID: ch.ID, Msg: fmt.Sprintf("requires challenge %d, which does not exist", r)})
			}
		}
	}
	// Depth-first search for cycles; each cycle is reported once, at the
	// first of its challenges in file order.
	const (
		unvisited = iota
		onPath
		done
	)
	state := make(map[int]int, len(chs))
	var path []int
	var visit func(id int) []int
	visit = func(id int) []int {
		state[id] = onPath
		path = append(path, id)
		for _, r := range byID[id].Requirements {
			if r == id || byID[r] == nil {
				continue
			}
			switch state[r] {
			case onPath:
				start := slices.Index(path, r)
				return append(slices.Clone(path[start:]), r)
			case unvisited:
				if cyc := visit(r); cyc != nil {
					return cyc
				}
			}
		}
		path = path[:len(path)-1]
		state[id] = done
		return nil
	}
	lineByID := make(map[int]int, len(chs))
	for k, ch := range chs {
		lineByID[ch.ID] = lines[k]
	}
	for _, ch := range chs {
		if state[ch.ID] != unvisited {
			continue
		}
		path = path[:0]
		cyc := visit(ch.ID)
		if cyc == nil {
			continue
		}
		// Everything on the path stays "onPath"; mark it done so that the
		// same cycle is not reported again from another entry point.
		for _, id := range path {
			state[id] = done
		}
		// Report the cycle at its first challenge in the file, starting
		// from there.
		cyc = cyc[:len(cyc)-1]
		first := 0
		for i, id := range cyc {
			if p.byID[id] < p.byID[cyc[first]] {
				first = i
			}
		}
		cyc = append(slices.Clone(cyc[first:]), cyc[:first+1]...)
		parts := make([]string, len(cyc))
		for i, id := range cyc {
			parts[i] = strconv.Itoa(id)
		}
		p.c.add(&Error{File: p.name, Line: lineByID[cyc[0]], Path: fmt.Sprintf("[%d].requirements", p.byID[cyc[0]]), ChallengeID: cyc[0],
			Msg: "requirements form a cycle: " + strings.Join(parts, " → ")})
	}
}

// regexpProblem explains a flag that does not compile, pointing out the
// Perl features that Go's RE2 engine leaves out on purpose (they can make
// matching take exponential time).
func regexpProblem(err error) string {
	if inner := errors.Unwrap(err); inner != nil {
		err = inner
	}
	msg := "does not compile: " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")
	var se *syntax.Error
	if !errors.As(err, &se) {
		return msg
	}
	const re2 = " (Go's RE2 engine, which cannot be made to hang, has no "
	switch {
	case se.Code == syntax.ErrInvalidEscape && len(se.Expr) == 2 && (se.Expr[1] >= '1' && se.Expr[1] <= '9' || se.Expr[1] == 'k'):
		return msg + re2 + "backreferences: a Perl-only feature)"
	case se.Code == syntax.ErrInvalidEscape && (se.Expr == `\Z` || se.Expr == `\G`):
		return msg + re2 + se.Expr + ": use $ or \\z)"
	case se.Code == syntax.ErrInvalidPerlOp && (strings.HasPrefix(se.Expr, "(?=") || strings.HasPrefix(se.Expr, "(?!")),
		se.Code == syntax.ErrInvalidNamedCapture && (strings.HasPrefix(se.Expr, "(?<=") || strings.HasPrefix(se.Expr, "(?<!")):
		return msg + re2 + "lookahead or lookbehind: a Perl-only feature)"
	case se.Code == syntax.ErrInvalidPerlOp && strings.HasPrefix(se.Expr, "(?>"):
		return msg + re2 + "atomic groups: a Perl-only feature)"
	case se.Code == syntax.ErrInvalidRepeatOp && len(se.Expr) == 2 && se.Expr[1] == '+':
		return msg + re2 + "possessive quantifiers: a Perl-only feature)"
	}
	return msg
}
