package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ctfg/ctfg/internal/game"
)

// GET /api/challenges is the hottest read: every player polls it after
// every solve. Its JSON is assembled from fragments encoded once per
// catalog; only what differs per player (solved mark, bought hints,
// placeholders) is written per request.

// challengeFrags are the pre-encoded parts of one challenge.
type challengeFrags struct {
	head      []byte   // {"id":..,"title":..,"category":..,"difficulty":..,"points":
	desc      []byte   // ,"description":"..." — nil when it has placeholders
	rawDesc   string   // the description, for placeholder expansion
	hintOnly  [][]byte // {"id":..,"cost":..}
	hintText  [][]byte // {"id":..,"cost":..,"text":".."} — nil entries when the text has placeholders
	rawHints  []game.Hint
	tailBytes []byte // ],"content":...}
}

type fragCache struct {
	catalog *game.Catalog
	byID    map[int]*challengeFrags
}

// jsonString encodes s as a JSON string without HTML escaping.
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'})
}

func buildFrags(c *game.Challenge) *challengeFrags {
	f := &challengeFrags{rawDesc: c.Description, rawHints: c.Hints}
	var h bytes.Buffer
	h.WriteString(`{"id":`)
	h.WriteString(strconv.Itoa(c.ID))
	h.WriteString(`,"title":`)
	h.Write(jsonString(c.Title))
	h.WriteString(`,"category":`)
	h.Write(jsonString(c.Category))
	h.WriteString(`,"difficulty":`)
	h.Write(jsonString(c.Difficulty))
	h.WriteString(`,"points":`)
	f.head = h.Bytes()
	if !game.HasPlaceholder(c.Description) {
		f.desc = append([]byte(`,"description":`), jsonString(c.Description)...)
	}
	for _, hint := range c.Hints {
		only := `{"id":` + strconv.Itoa(hint.ID) + `,"cost":` + strconv.Itoa(hint.Cost)
		f.hintOnly = append(f.hintOnly, []byte(only+`}`))
		var text []byte
		if !game.HasPlaceholder(hint.Text) {
			text = append(append([]byte(only+`,"text":`), jsonString(hint.Text)...), '}')
		}
		f.hintText = append(f.hintText, text)
	}
	content := []byte("null")
	if len(c.Content) > 0 {
		var b bytes.Buffer
		if json.Compact(&b, c.Content) == nil {
			content = b.Bytes()
		}
	}
	f.tailBytes = append(append([]byte(`],"content":`), content...), '}')
	return f
}

// fbCache holds the encoded first bloods of every challenge (a JSON
// array each) under the state's key.
type fbCache struct {
	key  uint64
	byID map[int][]byte
}

// firstBloods returns the encoded first bloods as of now, made once per
// change of the public board.
func (e *challengeEncoder) firstBloods(st *game.State, now time.Time) map[int][]byte {
	if c := e.fb.Load(); c != nil && c.key == st.FirstBloodsKey(now) {
		return c.byID
	}
	key, all := st.FirstBloods(now)
	c := &fbCache{key: key, byID: make(map[int][]byte, len(all))}
	for id, fbs := range all {
		b := []byte{'['}
		for k, fb := range fbs {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"player_id":`...)
			b = strconv.AppendInt(b, fb.PlayerID, 10)
			b = append(b, `,"displayname":`...)
			b = append(b, jsonString(fb.DisplayName)...)
			b = append(b, `,"ts":`...)
			b = strconv.AppendInt(b, fb.TS, 10)
			b = append(b, '}')
		}
		c.byID[id] = append(b, ']')
	}
	e.fb.Store(c)
	return c.byID
}

// challengeEncoder holds the fragments of the current catalog.
type challengeEncoder struct {
	fb   atomic.Pointer[fbCache]
	cur  atomic.Pointer[fragCache]
	mu   sync.Mutex
	pool sync.Pool
}

func (e *challengeEncoder) frags(cat *game.Catalog) *fragCache {
	if fc := e.cur.Load(); fc != nil && fc.catalog == cat {
		return fc
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if fc := e.cur.Load(); fc != nil && fc.catalog == cat {
		return fc
	}
	fc := &fragCache{catalog: cat, byID: map[int]*challengeFrags{}}
	for _, c := range cat.All() {
		fc.byID[c.ID] = buildFrags(c)
	}
	e.cur.Store(fc)
	return fc
}

func (s *Server) handleChallenges(w http.ResponseWriter, r *http.Request, player int64) {
	st := s.cfg.Engine.State()
	if !st.Clock().ChallengesVisible(s.now()) {
		// Before the start players may log in and choose names, but see
		// no challenge.
		writeJSON(w, http.StatusOK, []struct{}{})
		return
	}
	views, p, ok := st.View(player, s.now())
	if !ok {
		s.fail(w, r, game.ErrUnknownUser)
		return
	}
	ph := s.cfg.Engine.Placeholders()
	fc := s.chal.frags(st.Catalog())
	fbs := s.chal.firstBloods(st, s.now())
	bp, _ := s.chal.pool.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, 0, 16<<10)
		bp = &b
	}
	b := append((*bp)[:0], '[')
	for i, v := range views {
		f := fc.byID[v.Challenge.ID]
		if f == nil { // catalog swapped between View and frags: build once
			f = buildFrags(v.Challenge)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f.head...)
		// The value as the public board has it (dynamic scoring), the
		// public solve count and first solvers, then the player's own.
		b = strconv.AppendInt(b, int64(v.Value), 10)
		b = append(b, `,"solved":`...)
		b = strconv.AppendBool(b, v.Solved)
		b = append(b, `,"solves":`...)
		b = strconv.AppendInt(b, int64(v.Solves), 10)
		b = append(b, `,"first_bloods":`...)
		if f, ok := fbs[v.Challenge.ID]; ok {
			b = append(b, f...)
		} else {
			b = append(b, "[]"...) // catalog swapped in between: next time
		}
		if v.Pending {
			b = append(b, `,"pending":true`...)
		}
		if v.Practice {
			b = append(b, `,"practice":true`...)
		}
		if f.desc != nil {
			b = append(b, f.desc...)
		} else {
			b = append(b, `,"description":`...)
			b = append(b, jsonString(ph.Expand(f.rawDesc, &p))...)
		}
		b = append(b, `,"hints":[`...)
		for j := range f.hintOnly {
			if j > 0 {
				b = append(b, ',')
			}
			switch {
			case !v.Bought[j]:
				b = append(b, f.hintOnly[j]...)
			case f.hintText[j] != nil:
				b = append(b, f.hintText[j]...)
			default:
				b = append(b, f.hintOnly[j][:len(f.hintOnly[j])-1]...)
				b = append(b, `,"text":`...)
				b = append(b, jsonString(ph.Expand(f.rawHints[j].Text, &p))...)
				b = append(b, '}')
			}
		}
		b = append(b, f.tailBytes...)
	}
	b = append(b, ']', '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	*bp = b
	s.chal.pool.Put(bp)
}
