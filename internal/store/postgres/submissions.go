package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctfg/ctfg/internal/store"
)

// The submission log. A guess is attacker input and may be a mistyped
// secret: no error message or log line here contains one.

// RecordSubmissions stores submissions in one statement (one
// transaction).
func (db *DB) RecordSubmissions(ctx context.Context, subs []store.Submission) error {
	if len(subs) == 0 {
		return nil
	}
	if err := store.CheckSubmissions(subs); err != nil {
		return fmt.Errorf("postgres: record submissions: %w", err)
	}
	n := len(subs)
	ts, users, chals := make([]int64, n), make([]int64, n), make([]int64, n)
	results, addrs, guesses := make([]string, n), make([]string, n), make([]string, n)
	for i, s := range subs {
		ts[i], users[i], chals[i] = s.TS.UnixMilli(), s.UserID, int64(s.Challenge)
		results[i], addrs[i], guesses[i] = string(s.Result), s.Address, s.Guess
	}
	// WITH ORDINALITY keeps the batch's order, so ids follow it.
	if _, err := db.pool.Exec(ctx, `INSERT INTO submissions (ts, user_id, challenge_id, result, address, guess)
SELECT ts, u, c, r, a, g FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[])
  WITH ORDINALITY AS x (ts, u, c, r, a, g, n) ORDER BY n`, ts, users, chals, results, addrs, guesses); err != nil {
		return fmt.Errorf("postgres: record %d submissions: %w", n, err)
	}
	return nil
}

// submissionsQuery builds the query of f: only the conditions f sets,
// so the planner walks the index of the filter (or the primary key)
// backwards from the keyset bound.
func submissionsQuery(f store.SubmissionFilter, limit int) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+" $"+strconv.Itoa(len(args)))
	}
	if f.UserID != 0 {
		add("user_id =", f.UserID)
	}
	if f.Challenge != nil {
		add("challenge_id =", int64(*f.Challenge))
	}
	if f.Result != "" {
		add("result =", string(f.Result))
	}
	if f.Before > 0 {
		add("id <", f.Before)
	}
	if f.After > 0 {
		add("id >", f.After)
	}
	q := `SELECT id, ts, user_id, challenge_id, result, address, guess FROM submissions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	// After takes the oldest rows above it (the page just newer than
	// it); they are turned newest first afterwards.
	order := "DESC"
	if f.After > 0 {
		order = "ASC"
	}
	args = append(args, limit)
	return q + " ORDER BY id " + order + " LIMIT $" + strconv.Itoa(len(args)), args
}

// Submissions returns at most f.Limit submissions that f selects, newest
// first. A limit below 1 returns none.
func (db *DB) Submissions(ctx context.Context, f store.SubmissionFilter) ([]store.Submission, error) {
	if f.Limit <= 0 {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("postgres: submissions: %w", err)
		}
		return nil, nil
	}
	limit := min(f.Limit, store.MaxSubmissionsLimit)
	q, args := submissionsQuery(f, limit)
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: submissions: %w", err)
	}
	out := make([]store.Submission, 0, min(limit, 64))
	var (
		s        store.Submission
		ms, chal int64
		result   string
	)
	if _, err := pgx.ForEachRow(rows, []any{&s.ID, &ms, &s.UserID, &chal, &result, &s.Address, &s.Guess}, func() error {
		s.TS, s.Challenge, s.Result = time.UnixMilli(ms), int(chal), store.SubmissionResult(result)
		out = append(out, s)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("postgres: submissions: %w", err)
	}
	if f.After > 0 {
		store.NewestFirst(out)
	}
	return out, nil
}
