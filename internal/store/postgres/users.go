package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ctfg/ctfg/internal/game"
)

// usersLock is the pg_advisory_xact_lock key that serializes SyncUsers of
// instances starting at once.
const usersLock int64 = 0x63746667_00000002

// qInsertUsers adds the usernames of $1 not yet known, each once (at its
// first position), with ids after every existing id in the order given.
// It must run under usersLock: max(id) is read, not reserved.
const qInsertUsers = `INSERT INTO users (id, username, created_ms)
SELECT (SELECT coalesce(max(id), 0) FROM users) + row_number() OVER (ORDER BY n.ord), n.username, $2::bigint
FROM (
  SELECT u.username, min(u.ord) AS ord
  FROM unnest($1::text[]) WITH ORDINALITY AS u(username, ord)
  WHERE NOT EXISTS (SELECT 1 FROM users WHERE users.username = u.username)
  GROUP BY u.username
) n
ORDER BY n.ord`

// SyncUsers makes sure every username exists, assigning ids to new ones
// in the order given after every existing id, and returns the id of every
// user in the database. Existing ids never change. Instances calling it at
// once are serialized by an advisory lock, so they agree on every id. An
// empty username is an error and changes nothing.
func (db *DB) SyncUsers(ctx context.Context, usernames []string) (map[string]int64, error) {
	for i, u := range usernames {
		if strings.TrimSpace(u) == "" {
			return nil, fmt.Errorf("postgres: sync users: username %d is empty", i+1)
		}
	}
	ids := make(map[string]int64, len(usernames))
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if len(usernames) > 0 {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, usersLock); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, qInsertUsers, usernames, db.now().UnixMilli()); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT id, username FROM users`)
		if err != nil {
			return err
		}
		var id int64
		var name string
		_, err = pgx.ForEachRow(rows, []any{&id, &name}, func() error {
			ids[name] = id
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: sync users: %w", err)
	}
	return ids, nil
}

// Users returns every user of the database, ordered by id.
func (db *DB) Users(ctx context.Context) ([]game.User, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, username FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: users: %w", err)
	}
	var out []game.User
	var u game.User
	if _, err := pgx.ForEachRow(rows, []any{&u.ID, &u.Username}, func() error {
		out = append(out, u)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("postgres: users: %w", err)
	}
	return out, nil
}
