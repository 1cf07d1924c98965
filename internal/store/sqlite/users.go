package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// SyncUsers makes sure every username exists, assigning ids to new ones
// in the order given after every existing id, and returns the id of every
// user in the database. Existing ids never change. An empty username is
// an error and changes nothing.
func (db *DB) SyncUsers(ctx context.Context, usernames []string) (map[string]int64, error) {
	for i, u := range usernames {
		if strings.TrimSpace(u) == "" {
			return nil, fmt.Errorf("sqlite: sync users: username %d is empty", i+1)
		}
	}
	ids := make(map[string]int64, len(usernames))
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if len(usernames) > 0 {
			insert, err := tx.PrepareContext(ctx, qInsertUser)
			if err != nil {
				return err
			}
			defer insert.Close()
			created := db.now().UnixMilli()
			for _, u := range usernames {
				if _, err := insert.ExecContext(ctx, u, created); err != nil {
					return fmt.Errorf("insert %q: %w", u, err)
				}
			}
		}
		// Read back inside the transaction: the map is exactly what was
		// committed.
		rows, err := tx.QueryContext(ctx, qAllUsers)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				return err
			}
			ids[name] = id
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: sync users: %w", err)
	}
	return ids, nil
}
