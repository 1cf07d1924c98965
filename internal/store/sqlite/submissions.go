package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/ctfg/ctfg/internal/store"
)

// The submission log. A guess is attacker input and may be a mistyped
// secret: no error message or log line here contains one.

const (
	// qInsertSubmissionRows is followed by one "(?, ?, ?, ?, ?, ?)" per
	// row: a multi-row insert is parsed and run once for a whole chunk.
	qInsertSubmissionRows = `INSERT INTO submissions (ts, user_id, challenge_id, result, address, guess) VALUES `
	// qSubmissionColumns are the columns Submissions reads, in scan order.
	qSubmissionColumns = `SELECT id, ts, user_id, challenge_id, result, address, guess FROM submissions`
)

// submissionRowsPerInsert bounds one multi-row INSERT (6 parameters a
// row, far below SQLite's parameter limit).
const submissionRowsPerInsert = 128

// RecordSubmissions stores submissions in one write transaction (one
// fsync for the whole batch) and sets nothing on subs: the ids are only
// for reading back.
func (db *DB) RecordSubmissions(ctx context.Context, subs []store.Submission) error {
	if len(subs) == 0 {
		return nil
	}
	if err := store.CheckSubmissions(subs); err != nil {
		return fmt.Errorf("sqlite: record submissions: %w", err)
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		for rest := subs; len(rest) > 0; {
			chunk := rest[:min(len(rest), submissionRowsPerInsert)]
			rest = rest[len(chunk):]
			var q strings.Builder
			q.WriteString(qInsertSubmissionRows)
			args := make([]any, 0, 6*len(chunk))
			for i, s := range chunk {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(?, ?, ?, ?, ?, ?)")
				args = append(args, s.TS.UnixMilli(), s.UserID, s.Challenge, string(s.Result), s.Address, s.Guess)
			}
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: record %d submissions: %w", len(subs), err)
	}
	return nil
}

// submissionsQuery builds the query of f: only the conditions f sets, so
// that SQLite walks the index of the filter (or the primary key)
// backwards from the keyset bound and stops after LIMIT rows.
func submissionsQuery(f store.SubmissionFilter, limit int) (string, []any) {
	var where []string
	var args []any
	if f.UserID != 0 {
		where, args = append(where, "user_id = ?"), append(args, f.UserID)
	}
	if f.Challenge != nil {
		where, args = append(where, "challenge_id = ?"), append(args, *f.Challenge)
	}
	if f.Result != "" {
		where, args = append(where, "result = ?"), append(args, string(f.Result))
	}
	if f.Before > 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	if f.After > 0 {
		where, args = append(where, "id > ?"), append(args, f.After)
	}
	q := qSubmissionColumns
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	// After takes the oldest rows above it (the page just newer than
	// it); they are turned newest first afterwards.
	if f.After > 0 {
		q += " ORDER BY id ASC LIMIT ?"
	} else {
		q += " ORDER BY id DESC LIMIT ?"
	}
	return q, append(args, limit)
}

// Submissions returns at most f.Limit submissions that f selects, newest
// first. A limit below 1 returns none.
func (db *DB) Submissions(ctx context.Context, f store.SubmissionFilter) ([]store.Submission, error) {
	if f.Limit <= 0 {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("sqlite: submissions: %w", err)
		}
		return nil, nil
	}
	limit := min(f.Limit, store.MaxSubmissionsLimit)
	q, args := submissionsQuery(f, limit)
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: submissions: %w", err)
	}
	defer rows.Close()
	out := make([]store.Submission, 0, min(limit, 64))
	for rows.Next() {
		var (
			s      store.Submission
			ts     int64
			result string
		)
		if err := rows.Scan(&s.ID, &ts, &s.UserID, &s.Challenge, &result, &s.Address, &s.Guess); err != nil {
			return nil, fmt.Errorf("sqlite: submissions: %w", err)
		}
		s.TS, s.Result = time.UnixMilli(ts), store.SubmissionResult(result)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: submissions: %w", err)
	}
	if f.After > 0 {
		store.NewestFirst(out)
	}
	return out, nil
}
