package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/ctfg/ctfg/internal/store"
)

// Wrong flag submissions. A guess is attacker input and may be a mistyped
// secret: no error message or log line here contains one.

const (
	// qInsertWrongRows is followed by one "(?, ?, ?, ?)" per row: a
	// multi-row insert is parsed and run once for a whole chunk.
	qInsertWrongRows = `INSERT INTO wrong_guesses (user_id, challenge_id, guess, ts) VALUES `
	// qLatestWrong reads the newest rows through wrong_guesses_by_ts,
	// backwards, stopping after LIMIT rows: no scan, no sort.
	qLatestWrong = `SELECT id, user_id, challenge_id, guess, ts FROM wrong_guesses ORDER BY ts DESC, id DESC LIMIT ?`
)

// wrongRowsPerInsert bounds one multi-row INSERT (4 parameters a row,
// far below SQLite's parameter limit).
const wrongRowsPerInsert = 128

// maxWrongLimit caps one WrongGuesses call, whatever the caller asks.
const maxWrongLimit = 10000

// RecordWrong stores wrong submissions in one write transaction (one
// fsync for the whole batch) and sets nothing on gs: the ids are only for
// reading back. A guess for an unknown user, a non-positive user id or a
// zero time refuses the whole batch.
func (db *DB) RecordWrong(ctx context.Context, gs []store.WrongGuess) error {
	if len(gs) == 0 {
		return nil
	}
	for i, g := range gs {
		switch {
		case g.UserID <= 0:
			return fmt.Errorf("sqlite: record wrong guesses: guess %d: invalid user id %d", i, g.UserID)
		case g.TS.IsZero():
			return fmt.Errorf("sqlite: record wrong guesses: guess %d: no time", i)
		}
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		for rest := gs; len(rest) > 0; {
			chunk := rest[:min(len(rest), wrongRowsPerInsert)]
			rest = rest[len(chunk):]
			var q strings.Builder
			q.WriteString(qInsertWrongRows)
			args := make([]any, 0, 4*len(chunk))
			for i, g := range chunk {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(?, ?, ?, ?)")
				args = append(args, g.UserID, g.Challenge, g.Guess, g.TS.UnixMilli())
			}
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: record %d wrong guesses: %w", len(gs), err)
	}
	return nil
}

// WrongGuesses returns at most limit wrong submissions, newest first (by
// time, then by id). A limit below 1 returns none.
func (db *DB) WrongGuesses(ctx context.Context, limit int) ([]store.WrongGuess, error) {
	if limit <= 0 {
		return nil, nil
	}
	limit = min(limit, maxWrongLimit)
	rows, err := db.r.QueryContext(ctx, qLatestWrong, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: wrong guesses: %w", err)
	}
	defer rows.Close()
	out := make([]store.WrongGuess, 0, min(limit, 64))
	for rows.Next() {
		var g store.WrongGuess
		var ts int64
		if err := rows.Scan(&g.ID, &g.UserID, &g.Challenge, &g.Guess, &ts); err != nil {
			return nil, fmt.Errorf("sqlite: wrong guesses: %w", err)
		}
		g.TS = time.UnixMilli(ts)
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: wrong guesses: %w", err)
	}
	return out, nil
}
