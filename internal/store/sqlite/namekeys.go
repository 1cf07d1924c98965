package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"

	"github.com/ctfg/ctfg/internal/game"
)

// displacedKey is the name_key of a current name that collides with one
// another player holds, in a database written before game.NameKey
// compared confusable skeletons (or with older Unicode data). It is
// unique per user and never equal to a game.NameKey result, which holds
// no control character, so the unique index stays intact and no new name
// can be claimed under it.
func displacedKey(userID int64) string {
	return "\x00displaced:" + strconv.FormatInt(userID, 10)
}

// rekeyNames recomputes names.name_key with the current game.NameKey,
// in one write transaction at open, so keys written by an older program
// (case-folded only, before lookalikes were compared) follow the current
// rule. SQL cannot compute the key, so this is a Go step rather than a
// migration; it runs at every open and writes only rows whose key is
// wrong, so an up-to-date database costs one scan of names.
//
// Two current names that now share a key are both kept (refusing to start
// would take the game down over a display name): the player who holds the
// key already keeps it, else the one whose current name was set first
// (lowest rename event id); the others get a displacedKey and are logged.
// A displaced player keeps the name as shown until renaming; nobody else
// can take a name that looks like it while its key holder has it.
func rekeyNames(ctx context.Context, w *sql.DB, log *slog.Logger) error {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rekey names: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	type row struct {
		user      int64
		name, key string
		want      string
		setAt     int64 // id of the rename that set the name, if needed
	}
	var rows []*row
	rs, err := tx.QueryContext(ctx, `SELECT user_id, name, name_key FROM names ORDER BY user_id`)
	if err != nil {
		return fmt.Errorf("rekey names: %w", err)
	}
	for rs.Next() {
		r := &row{}
		if err := rs.Scan(&r.user, &r.name, &r.key); err != nil {
			rs.Close()
			return fmt.Errorf("rekey names: %w", err)
		}
		r.want = game.NameKey(r.name)
		rows = append(rows, r)
	}
	if err := rs.Close(); err != nil {
		return fmt.Errorf("rekey names: %w", err)
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("rekey names: %w", err)
	}

	byKey := map[string][]*row{}
	stale := false
	for _, r := range rows {
		byKey[r.want] = append(byKey[r.want], r)
		stale = stale || r.key != r.want
	}
	if !stale {
		return nil
	}
	var setAt map[int64]int64 // loaded only if two names contend for a key
	newKey := make(map[*row]string, len(rows))
	for key, group := range byKey {
		if key == "" { // nothing visible: no new name can match it
			for _, r := range group {
				newKey[r] = displacedKey(r.user)
				if r.key != newKey[r] {
					log.Warn("sqlite: display name shows nothing; kept until the player renames", "user_id", r.user, "name", r.name)
				}
			}
			continue
		}
		holder := group[0]
		if len(group) > 1 {
			if i := slices.IndexFunc(group, func(r *row) bool { return r.key == key }); i >= 0 {
				holder = group[i]
			} else {
				if setAt == nil {
					if setAt, err = renameIDs(ctx, tx); err != nil {
						return fmt.Errorf("rekey names: %w", err)
					}
				}
				for _, r := range group {
					r.setAt = math.MaxInt64
					if id, ok := setAt[r.user]; ok {
						r.setAt = id
					}
				}
				holder = slices.MinFunc(group, func(a, b *row) int {
					return cmp.Or(cmp.Compare(a.setAt, b.setAt), cmp.Compare(a.user, b.user))
				})
			}
		}
		for _, r := range group {
			if r == holder {
				newKey[r] = key
				continue
			}
			newKey[r] = displacedKey(r.user)
			if r.key != newKey[r] {
				log.Warn("sqlite: display name looks like another player's; both kept until one renames",
					"user_id", r.user, "name", r.name, "like_user_id", holder.user, "like_name", holder.name)
			}
		}
	}

	// Two passes, so that keys swapping between rows never meet in the
	// unique index: first every changing row to a private key, then each
	// to its new key.
	changed := 0
	for _, r := range rows {
		if newKey[r] == r.key {
			continue
		}
		changed++
		if _, err := tx.ExecContext(ctx, `UPDATE names SET name_key = ? WHERE user_id = ?`, "\x00rekey:"+strconv.FormatInt(r.user, 10), r.user); err != nil {
			return fmt.Errorf("rekey names: %w", err)
		}
	}
	if changed == 0 {
		return nil // only displaced rows, already displaced
	}
	for _, r := range rows {
		if newKey[r] == r.key {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE names SET name_key = ? WHERE user_id = ?`, newKey[r], r.user); err != nil {
			return fmt.Errorf("rekey names: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("rekey names: %w", err)
	}
	log.Info("sqlite: display name keys recomputed", "names", changed)
	return nil
}

// renameIDs returns, per user, the id of the latest rename event: the one
// that set the current name.
func renameIDs(ctx context.Context, tx *sql.Tx) (map[int64]int64, error) {
	rs, err := tx.QueryContext(ctx, `SELECT user_id, max(id) FROM events WHERE type = 'rename' GROUP BY user_id`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	m := map[int64]int64{}
	for rs.Next() {
		var user, id int64
		if err := rs.Scan(&user, &id); err != nil {
			return nil, err
		}
		m[user] = id
	}
	return m, rs.Err()
}
