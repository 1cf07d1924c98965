package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ctfg/ctfg/internal/engine"
	"github.com/ctfg/ctfg/internal/feed"
	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/gamefile"
	"github.com/ctfg/ctfg/internal/store"
	"github.com/ctfg/ctfg/internal/store/postgres"
	"github.com/ctfg/ctfg/internal/store/sqlite"
)

// ExportFormat names the version of the export's layout; it changes only
// when a field is removed or changes meaning.
const ExportFormat = "ctfg-export/1"

// dbFileName is the database the server keeps in its database directory.
const dbFileName = "events.db"

const exportUsage = `export [flags]

Writes the final scoreboard and every event of a game, with usernames,
display names and challenge titles, from the database of a running or
stopped server; or, with --what submissions, the submission log. It only reads: the server is not disturbed. The scoreboard
is folded from the events by the server's own rules, so it equals
GET /api/scoreboard (rank, score after hint costs, ties). During a
scoreboard freeze it is the board players see, as at the freeze, and the
events stop there too (frame ids, as the scorestream numbers them), unless
--admin.

Flags:
  --game DIR              game directory (default .)
  -b, --dbdir DIR         directory of events.db (default: the game directory; also --db-dir)
  --db FILE               read this database file instead, e.g. a backup
  --database URL          read the game from this PostgreSQL database (env
                          CTFG_DATABASE_URL, also from GAME/.env; --db or --dbdir
                          win over the variable)
  --challenges FILE       challenges file for the titles (default GAME/challenges.json)
  --format json|csv       output format (default json)
  --what all|scoreboard|events|submissions
                          what to write (default all); all is the scoreboard
                          and the events, submissions the submission log
  --out FILE              output file (default: stdout); replaced atomically, mode 0600
  --admin                 the true board and every event, also during a scoreboard
                          freeze (default: what players see: as at the freeze)

JSON is one object:
  {"format": "ctfg-export/1", "exported_at": RFC 3339 time,
   "database": path, or postgres://HOST:PORT/DB (no user, no password),
   "last_event_id": N,
   "scoreboard": [{"rank", "player_id", "username", "displayname", "score",
                   "solves", "last_solve_ts" (Unix ms, 0 = none),
                   "last_solve" (RFC 3339 or null)}, ...],
   "events": [{"id", "ts" (Unix ms), "time" (RFC 3339), "type" (score|hint|rename),
               "player_id", "username", "displayname" (as of this event; for a
               rename, the new name), "challenge_id", "challenge_title" (score
               and hint only; left out if the challenge is gone), "hint_id"
               (hint only), "points" (negative for paid hints)}, ...]}
--what scoreboard or events leaves the other list out. --what submissions
writes "submissions" instead of both: every flag submission and award in
id order, {"id", "ts", "time", "player_id", "username", "displayname"
(current), "challenge_id", "challenge_title" (left out for an unknown
id), "result", "address", "guess" (incorrect only)}.

CSV has the same columns, one table per file, with a header row. With
--what all it needs --out FILE: the scoreboard goes to FILE and the events
to FILE with "-events" before its extension (results.csv and
results-events.csv). With --what scoreboard or events, that one table goes
to --out or stdout (so does --what submissions). Text cells that start
with = + - @ tab or CR get a leading ' so spreadsheets do not run them as
formulas.

More: docs/EXPORT.md`

// dbLocation holds the flags that find a server's database, shared by
// export and backup with the names serve uses.
type dbLocation struct {
	game, dbdir, db, database string
}

func (l *dbLocation) register(fs *flag.FlagSet) {
	fs.StringVar(&l.game, "game", ".", "game `directory`")
	for _, n := range []string{"b", "dbdir", "db-dir"} {
		fs.StringVar(&l.dbdir, n, "", "`directory` of "+dbFileName+" (default: the game directory)")
	}
	fs.StringVar(&l.db, "db", "", "database `file` to read instead of DBDIR/"+dbFileName+" (e.g. a backup)")
	fs.StringVar(&l.database, "database", "", "PostgreSQL `URL` of the game (env CTFG_DATABASE_URL)")
}

// databaseURL returns the PostgreSQL database the flags select, or ""
// for SQLite: --database, else CTFG_DATABASE_URL from the environment or
// GAME/.env as serve reads it. --db or --dbdir name a SQLite file
// explicitly and win over the variable (reading a backup beside a game
// kept in PostgreSQL), but not over --database: both is a usage error.
func (l *dbLocation) databaseURL(stdio IO, cmd string) (string, error) {
	if l.database != "" && (l.db != "" || l.dbdir != "") {
		fmt.Fprintf(stdio.Err, "ctfg %s: --database names a PostgreSQL database, --db and --dbdir a SQLite file: give one\n", cmd)
		return "", errUsage
	}
	url := l.database
	if url == "" && l.db == "" && l.dbdir == "" {
		var err error
		if url, err = gameEnv(l.game, "CTFG_DATABASE_URL"); err != nil {
			return "", err
		}
	}
	if url != "" && !postgres.IsURL(url) {
		// Not echoed: it may hold a password.
		return "", errors.New("database URL: only postgres:// and postgresql:// URLs are supported (leave it empty for SQLite)")
	}
	return url, nil
}

// gameEnv returns the variable key from the environment or, when unset
// there, from GAME/.env, as serve reads them.
func gameEnv(game, key string) (string, error) {
	getenv, err := gameSettings(game)
	if err != nil {
		return "", err
	}
	return getenv(key), nil
}

// path returns the database file the flags name.
func (l *dbLocation) path() string {
	if l.db != "" {
		return l.db
	}
	dir := l.dbdir
	if dir == "" {
		dir = l.game
	}
	return filepath.Join(dir, dbFileName)
}

// openPostgres opens a PostgreSQL database read-only with an error
// message that says what to check; the URL's password is never shown.
func openPostgres(ctx context.Context, url string) (*postgres.DB, error) {
	db, err := postgres.OpenReadOnly(ctx, url, postgres.Options{})
	if errors.Is(err, postgres.ErrNotCtfg) {
		return nil, fmt.Errorf("%w (is the URL right? a server creates the schema when it first starts)", err)
	}
	return db, err
}

// openDB opens the database read-only with an error message that says
// what to check.
func openDB(ctx context.Context, path string) (*sqlite.DB, error) {
	db, err := sqlite.OpenReadOnly(ctx, path, sqlite.Options{})
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("no database at %s (check --game, --dbdir or --db; the server creates it when it first starts)", path)
	case err != nil:
		return nil, err
	}
	return db, nil
}

// isDatabaseFile reports whether path is the database at db or one of
// the files SQLite keeps beside it, which no output may replace.
func isDatabaseFile(path, db string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(db)
	if err1 != nil || err2 != nil {
		return false
	}
	for _, s := range []string{"", "-wal", "-shm", "-journal"} {
		if p == d+s {
			return true
		}
	}
	if a, err := os.Stat(p); err == nil {
		if b, err := os.Stat(d); err == nil && os.SameFile(a, b) {
			return true
		}
	}
	return false
}

// exportOpts are export's flags.
type exportOpts struct {
	loc                           dbLocation
	challenges, format, what, out string
	admin                         bool
}

// newExportFlagSet defines export's flags.
func newExportFlagSet(stdio IO) (*flag.FlagSet, *exportOpts) {
	o := new(exportOpts)
	fs := newFlagSet("export", exportUsage, stdio)
	fs.Usage = func() { fmt.Fprintf(fs.Output(), "Usage: ctfg %s\n", exportUsage) }
	o.loc.register(fs)
	fs.StringVar(&o.challenges, "challenges", "", "challenges `file` (default GAME/challenges.json), for the titles")
	fs.StringVar(&o.format, "format", "json", "output format: json or csv")
	fs.StringVar(&o.what, "what", "all", "what to write: all, scoreboard, events or submissions")
	fs.StringVar(&o.out, "out", "", "output `file` (default: stdout)")
	fs.BoolVar(&o.admin, "admin", false, "the true board and every event, also during a scoreboard freeze (default: what players see)")
	return fs, o
}

func runExport(ctx context.Context, stdio IO, args []string) error {
	fs, o := newExportFlagSet(stdio)
	loc, challenges, format, what, out := &o.loc, &o.challenges, &o.format, &o.what, &o.out
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprintf(stdio.Err, "ctfg export: unexpected argument %q\n", pos[0])
		fs.Usage()
		return errUsage
	}
	usage := func(format string, a ...any) error {
		fmt.Fprintf(stdio.Err, "ctfg export: "+format+"\n", a...)
		return errUsage
	}
	switch *format {
	case "json", "csv":
	default:
		return usage("--format must be json or csv, not %q", *format)
	}
	switch *what {
	case "all", "scoreboard", "events", "submissions":
	default:
		return usage("--what must be all, scoreboard, events or submissions, not %q", *what)
	}
	if *format == "csv" && *what == "all" && *out == "" {
		return usage("CSV holds one table per file: give --out FILE (the events go beside it) or --what scoreboard|events|submissions")
	}
	url, err := loc.databaseURL(stdio, "export")
	if err != nil {
		return err
	}
	dbPath := loc.path()
	targets := []string{*out}
	if *format == "csv" && *what == "all" {
		targets = append(targets, eventsSibling(*out))
	}
	for _, t := range targets {
		if t != "" && url == "" && isDatabaseFile(t, dbPath) {
			return usage("refusing to write the export over the database %s", t)
		}
	}

	g, err := gamefile.Load(loc.game, *challenges)
	if err != nil {
		return err
	}
	// The scoreboard is the server's: the same game-wide scoring and
	// rules (freeze, first-blood bonus).
	getenv := func(key string) string {
		if v, ok := os.LookupEnv(key); ok {
			return v
		}
		return g.Env[key]
	}
	play, err := resolvePlay(getenv, playFlags{})
	if err != nil {
		return err
	}
	gamefile.ApplyScoring(g.Challenges, play.Scoring)
	rules, err := gameRules(getenv)
	if err != nil {
		return err
	}
	var (
		src  exportSource
		name string
	)
	if url != "" {
		db, err := openPostgres(ctx, url)
		if err != nil {
			return err
		}
		defer db.Close()
		src, name = db, "postgres://"+db.Target()
	} else {
		db, err := openDB(ctx, dbPath)
		if err != nil {
			return err
		}
		defer db.Close()
		src, name = db, db.Path()
	}
	ex, err := buildExport(ctx, src, name, g, rules, o.admin, time.Now())
	if err != nil {
		return err
	}
	var summary []string
	switch *what {
	case "scoreboard":
		ex.Events = nil
	case "events":
		ex.Scoreboard = nil
	case "submissions":
		ex.Scoreboard, ex.Events = nil, nil
		if err := ex.addSubmissions(ctx, src); err != nil {
			return err
		}
		summary = append(summary, plural(len(*ex.Submissions), "submission"))
	}
	if ex.Scoreboard != nil {
		summary = append(summary, "the scoreboard of "+plural(len(*ex.Scoreboard), "player"))
	}
	if ex.Events != nil {
		summary = append(summary, plural(len(*ex.Events), "event"))
	}

	var writers []func(io.Writer) error
	switch {
	case *format == "json":
		writers = append(writers, ex.writeJSON)
	case *what == "all":
		writers = append(writers, ex.writeScoreboardCSV, ex.writeEventsCSV)
	case *what == "scoreboard":
		writers = append(writers, ex.writeScoreboardCSV)
	case *what == "submissions":
		writers = append(writers, ex.writeSubmissionsCSV)
	default:
		writers = append(writers, ex.writeEventsCSV)
	}
	if *out == "" {
		return writers[0](stdio.Out)
	}
	if err := writeFilesAtomic(targets, writers); err != nil {
		return err
	}
	fmt.Fprintf(stdio.Err, "exported %s to %s\n", strings.Join(summary, " and "), strings.Join(targets, " and "))
	return nil
}

// eventsSibling names the events file of a CSV export: "-events" before
// the extension of the scoreboard file.
func eventsSibling(path string) string {
	ext := filepath.Ext(path)
	if strings.ContainsAny(ext, `/\`) || ext == path || ext == filepath.Base(path) {
		ext = "" // ".csv" alone, or a dot in a directory name
	}
	return strings.TrimSuffix(path, ext) + "-events" + ext
}

// writeFilesAtomic writes each file through a temporary file in its
// directory and renames them all only once every one is complete, so a
// failed export leaves the previous files as they were.
func writeFilesAtomic(paths []string, writers []func(io.Writer) error) error {
	tmps := make([]string, 0, len(paths))
	defer func() {
		for _, t := range tmps {
			os.Remove(t) // gone already after a successful rename
		}
	}()
	for i, p := range paths {
		f, err := os.CreateTemp(filepath.Dir(p), ".ctfg-export-*")
		if err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		tmps = append(tmps, f.Name())
		err = writers[i](f)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	for i, p := range paths {
		if err := os.Rename(tmps[i], p); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}

// Export is the document ctfg export writes (JSON); the CSV tables have
// the same rows and columns.
// A list left out by --what is nil and omitted; an empty one is [].
type Export struct {
	Format      string           `json:"format"`
	ExportedAt  string           `json:"exported_at"`
	Database    string           `json:"database"`
	LastEventID int64            `json:"last_event_id"`
	Scoreboard  *[]ScoreboardRow `json:"scoreboard,omitempty"`
	Events      *[]ExportedEvent `json:"events,omitempty"`
	// Submissions is the submission log (only with --what submissions).
	Submissions *[]ExportedSubmission `json:"submissions,omitempty"`

	// st is the game as folded and usernames the database's users, for
	// the names of the submissions.
	st        *game.State
	usernames map[int64]string
}

// ScoreboardRow is one player's line of the final scoreboard: the fields
// of /api/scoreboard plus the username and a readable time.
type ScoreboardRow struct {
	Rank        int     `json:"rank"`
	PlayerID    int64   `json:"player_id"`
	Username    string  `json:"username"`
	DisplayName string  `json:"displayname"`
	Score       int     `json:"score"`
	Solves      int     `json:"solves"`
	LastSolveTS int64   `json:"last_solve_ts"`
	LastSolve   *string `json:"last_solve"`
}

// ExportedEvent is one event of the log with names resolved.
type ExportedEvent struct {
	ID             int64  `json:"id"`
	TS             int64  `json:"ts"`
	Time           string `json:"time"`
	Type           string `json:"type"`
	PlayerID       int64  `json:"player_id"`
	Username       string `json:"username"`
	DisplayName    string `json:"displayname"`
	ChallengeID    *int   `json:"challenge_id,omitempty"`
	ChallengeTitle string `json:"challenge_title,omitempty"`
	HintID         *int   `json:"hint_id,omitempty"`
	Points         int    `json:"points"`
}

// ExportedSubmission is one submission of the log with names resolved:
// the display name is the player's current one.
type ExportedSubmission struct {
	ID             int64   `json:"id"`
	TS             int64   `json:"ts"`
	Time           string  `json:"time"`
	PlayerID       int64   `json:"player_id"`
	Username       string  `json:"username"`
	DisplayName    string  `json:"displayname"`
	ChallengeID    int     `json:"challenge_id"`
	ChallengeTitle string  `json:"challenge_title,omitempty"`
	Result         string  `json:"result"`
	Address        string  `json:"address"`
	Guess          *string `json:"guess,omitempty"` // incorrect submissions only
}

// exportSource is a database export reads: SQLite's or PostgreSQL's,
// opened read-only.
type exportSource interface {
	engine.EventReader
	Users(ctx context.Context) ([]game.User, error)
	Submissions(ctx context.Context, f store.SubmissionFilter) ([]store.Submission, error)
}

// addSubmissions reads the whole submission log, page by page from the
// newest, and lists it in id order with the names of the game as
// exported. Rows stored while it reads may or may not be in it.
func (ex *Export) addSubmissions(ctx context.Context, db exportSource) error {
	var subs []store.Submission
	for before := int64(0); ; {
		page, err := db.Submissions(ctx, store.SubmissionFilter{Before: before, Limit: store.MaxSubmissionsLimit})
		if err != nil {
			return fmt.Errorf("read submissions: %w", err)
		}
		if len(page) == 0 {
			break
		}
		subs = append(subs, page...)
		before = page[len(page)-1].ID
	}
	slices.Reverse(subs)
	out := make([]ExportedSubmission, len(subs))
	for i, s := range subs {
		row := ExportedSubmission{ID: s.ID, TS: s.TS.UnixMilli(), Time: formatMS(s.TS.UnixMilli()), PlayerID: s.UserID,
			Username: ex.usernames[s.UserID], DisplayName: ex.st.DisplayName(s.UserID), ChallengeID: s.Challenge,
			Result: string(s.Result), Address: s.Address}
		if c, ok := ex.st.Catalog().Get(s.Challenge); ok {
			row.ChallengeTitle = c.Title
		}
		if s.Result == store.ResultIncorrect {
			guess := s.Guess
			row.Guess = &guess
		}
		out[i] = row
	}
	ex.Submissions = &out
	return nil
}

// buildExport reads the database and folds it exactly as a starting
// server does: the users of credentials.csv with their database ids, the
// challenges of the game, every event through engine.Replay. name is
// what the export's "database" field says. Unless admin, it is what
// players see: during a scoreboard freeze the board as at the freeze and
// no later solve, hint or rename (public ids, as the scorestream has
// them).
func buildExport(ctx context.Context, db exportSource, name string, g *gamefile.Game, rules game.Rules, admin bool, now time.Time) (*Export, error) {
	dbUsers, err := db.Users(ctx)
	if err != nil {
		return nil, err
	}
	usernames := make(map[int64]string, len(dbUsers))
	ids := make(map[string]int64, len(dbUsers))
	for _, u := range dbUsers {
		usernames[u.ID] = u.Username
		ids[u.Username] = u.ID
	}
	// A player of credentials.csv the database does not know yet was
	// added after the server last started: no id, no event, not ranked.
	var users []game.User
	for _, u := range g.Users {
		if id, ok := ids[u.Username]; ok {
			users = append(users, game.User{ID: id, Username: u.Username})
		}
	}
	// The event list is a view of the same fold as the scoreboard, so both
	// come from the very same read.
	var logged []game.Event
	gate := game.NewGate(rules.Start, rules.End, rules.Freeze, rules.RevealAtEnd)
	st, err := engine.Replay(ctx, db, g.Challenges, users, rules, feed.ViewFunc(func(evs []game.Event) {
		for _, ev := range evs {
			step := gate.Step(ev)
			if !admin {
				if !step.Public {
					continue
				}
				ev.ID = step.PublicID
			}
			logged = append(logged, ev)
		}
	}))
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	board, _ := st.Scoreboard(now)
	if admin {
		board, _ = st.LiveScoreboard()
	}
	scoreboard := make([]ScoreboardRow, 0, len(board))
	events := make([]ExportedEvent, 0, len(logged))
	ex := &Export{
		Format:     ExportFormat,
		ExportedAt: now.UTC().Format(time.RFC3339Nano),
		Database:   name,
		Scoreboard: &scoreboard,
		Events:     &events,
		st:         st,
		usernames:  usernames,
	}
	for _, s := range board {
		p, _ := st.Player(s.PlayerID)
		row := ScoreboardRow{Rank: s.Rank, PlayerID: s.PlayerID, Username: p.Username, DisplayName: s.DisplayName,
			Score: s.Score, Solves: s.Solves, LastSolveTS: s.LastSolveTS}
		if s.LastSolveTS != 0 {
			t := formatMS(s.LastSolveTS)
			row.LastSolve = &t
		}
		scoreboard = append(scoreboard, row)
	}
	catalog := st.Catalog()
	names := map[int64]string{} // display names as of the event being written
	for _, ev := range logged {
		switch ev.Type {
		case game.EventRename:
			names[ev.UserID] = ev.Name
		case game.EventScore, game.EventHint:
		default:
			// A reset (the first event of a log that was reset: what came
			// before it is gone) or a logout: not part of the game's result.
			continue
		}
		row := ExportedEvent{ID: ev.ID, TS: ev.TS, Time: formatMS(ev.TS), Type: string(ev.Type), PlayerID: ev.UserID,
			Username: usernames[ev.UserID], DisplayName: names[ev.UserID], Points: ev.Points}
		if ev.Type == game.EventScore || ev.Type == game.EventHint {
			cid := ev.ChallengeID
			row.ChallengeID = &cid
			if c, ok := catalog.Get(cid); ok {
				row.ChallengeTitle = c.Title
			}
		}
		if ev.Type == game.EventHint {
			hid := ev.HintID
			row.HintID = &hid
		}
		events = append(events, row)
		ex.LastEventID = max(ex.LastEventID, ev.ID)
	}
	return ex, nil
}

func formatMS(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

func (ex *Export) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(ex)
}

// Columns of the CSV tables, in order.
var (
	scoreboardColumns = []string{"rank", "player_id", "username", "displayname", "score", "solves", "last_solve_ts", "last_solve"}
	eventColumns      = []string{"id", "ts", "time", "type", "player_id", "username", "displayname", "challenge_id", "challenge_title", "hint_id", "points"}
	submissionColumns = []string{"id", "ts", "time", "player_id", "username", "displayname", "challenge_id", "challenge_title", "result", "address", "guess"}
)

func (ex *Export) writeScoreboardCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(scoreboardColumns)
	for _, r := range *ex.Scoreboard {
		last := ""
		if r.LastSolve != nil {
			last = *r.LastSolve
		}
		cw.Write([]string{itoa(r.Rank), i64(r.PlayerID), cell(r.Username), cell(r.DisplayName),
			itoa(r.Score), itoa(r.Solves), i64(r.LastSolveTS), last})
	}
	cw.Flush()
	return cw.Error()
}

func (ex *Export) writeEventsCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(eventColumns)
	opt := func(p *int) string {
		if p == nil {
			return ""
		}
		return itoa(*p)
	}
	for _, e := range *ex.Events {
		cw.Write([]string{i64(e.ID), i64(e.TS), e.Time, e.Type, i64(e.PlayerID), cell(e.Username), cell(e.DisplayName),
			opt(e.ChallengeID), cell(e.ChallengeTitle), opt(e.HintID), itoa(e.Points)})
	}
	cw.Flush()
	return cw.Error()
}

func (ex *Export) writeSubmissionsCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(submissionColumns)
	for _, s := range *ex.Submissions {
		guess := ""
		if s.Guess != nil {
			guess = *s.Guess
		}
		cw.Write([]string{i64(s.ID), i64(s.TS), s.Time, i64(s.PlayerID), cell(s.Username), cell(s.DisplayName),
			itoa(s.ChallengeID), cell(s.ChallengeTitle), s.Result, cell(s.Address), cell(guess)})
	}
	cw.Flush()
	return cw.Error()
}

func itoa(n int) string  { return strconv.Itoa(n) }
func i64(n int64) string { return strconv.FormatInt(n, 10) }

// cell neutralises spreadsheet formula injection in a text cell (names
// and titles come from players and organizers): a cell that starts with
// = + - @ tab or CR gets a leading apostrophe, which spreadsheets show as
// text. Numbers are written by us and are never changed.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
