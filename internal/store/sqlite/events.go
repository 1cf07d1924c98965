package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

// Append commits evs in one IMMEDIATE transaction with one commit (one
// fsync) and returns one Result per event, in order. Concurrent calls
// share transactions (store.GroupCommitter): the single writer would
// otherwise commit them one fsync after the other. A duplicate solve or
// hint purchase gets Inserted=false; a rename to a name another player
// holds gets Err=game.ErrNameTaken, a hint the player cannot afford
// Err=game.ErrInsufficientPoints; none of them stops the rest of the
// batch. An invalid event (empty or malformed type, a player event
// without a user, a rename without a name), an unknown user or any
// database error rolls the whole call back and is returned.
func (db *DB) Append(ctx context.Context, evs []game.Event) ([]store.Result, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	for i, ev := range evs {
		if err := store.CheckEvent(ev); err != nil {
			return nil, fmt.Errorf("sqlite: append: event %d: %w", i, err)
		}
	}
	if db.group == nil { // read-only: fail as every write does there
		return db.appendTx(ctx, evs)
	}
	res, err := db.group.Append(ctx, evs)
	if errors.Is(err, store.ErrClosed) {
		return nil, fmt.Errorf("sqlite: append: %w", errClosed)
	}
	return res, err
}

// appendTx commits evs in one transaction; it is the GroupCommitter's
// commit function.
func (db *DB) appendTx(ctx context.Context, evs []game.Event) ([]store.Result, error) {
	res := make([]store.Result, len(evs))
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		insert := tx.StmtContext(ctx, db.insertEvent)
		var owner, upsert *sql.Stmt // only batches with renames need them
		for i, ev := range evs {
			switch ev.Type {
			case game.EventRename:
				if owner == nil {
					owner = tx.StmtContext(ctx, db.nameOwner)
					upsert = tx.StmtContext(ctx, db.upsertName)
				}
				taken, err := setName(ctx, owner, upsert, ev.UserID, ev.Name)
				if err != nil {
					return fmt.Errorf("event %d: set name: %w", i, err)
				}
				if taken {
					res[i].Err = game.ErrNameTaken
					continue
				}
			case game.EventHint:
				if err := canAfford(ctx, tx, ev); err != nil {
					if !errors.Is(err, game.ErrInsufficientPoints) {
						return fmt.Errorf("event %d: %w", i, err)
					}
					res[i].Err = err
					continue
				}
			}
			var id int64
			err := insert.QueryRowContext(ctx, string(ev.Type), ev.UserID, ev.ChallengeID, ev.HintID, ev.Points, ev.TS, ev.Name, ev.Data).Scan(&id)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				// DO NOTHING: a duplicate solve or hint purchase.
				continue
			case err != nil:
				return fmt.Errorf("event %d: %w", i, err)
			}
			ev.ID = id
			res[i] = store.Result{Event: ev, Inserted: true}
			if ev.Type == game.EventReset {
				if res[i].Removed, err = resetBefore(ctx, tx, id); err != nil {
					return fmt.Errorf("event %d: reset: %w", i, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: append: %w", err)
	}
	store.Signal(db.changed)
	return res, nil
}

// canAfford returns game.ErrInsufficientPoints when the player of hint ev
// has fewer points than it costs and has not already bought it (a repeat
// purchase is a duplicate, not an error). It runs in the write
// transaction, after the events of the batch before it, so it sees every
// committed point.
func canAfford(ctx context.Context, tx *sql.Tx, ev game.Event) error {
	cost := -int64(ev.Points)
	if cost <= 0 {
		return nil
	}
	var points int64
	if err := tx.QueryRowContext(ctx, qPlayerPoints, ev.UserID, ev.UserID).Scan(&points); err != nil {
		return err
	}
	if points >= cost {
		return nil
	}
	var bought int
	if err := tx.QueryRowContext(ctx, qHintBought, ev.UserID, ev.ChallengeID, ev.HintID).Scan(&bought); err != nil {
		return err
	}
	if bought > 0 {
		return nil // the insert turns it into a duplicate
	}
	return game.ErrInsufficientPoints
}

// resetBefore deletes everything a reset event with id clears: the
// events before it, display names, sessions, submissions and shared
// rate-limit buckets. Users, meta values and the AUTOINCREMENT counter
// stay, so ids keep increasing. It returns how many game events (not
// earlier resets) it deleted.
func resetBefore(ctx context.Context, tx *sql.Tx, id int64) (int64, error) {
	var n int64
	if err := tx.QueryRowContext(ctx, qResetCount, id).Scan(&n); err != nil {
		return 0, err
	}
	for _, q := range []string{qResetBefore, `DELETE FROM names`, `DELETE FROM sessions`, `DELETE FROM submissions`, `DELETE FROM limits`} {
		var args []any
		if q == qResetBefore {
			args = []any{id}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// Changed returns the channel that receives a value after each committed
// Append (coalesced, never blocking). SQLite has one writing process, so
// this process's commits are all there is to hear about.
func (db *DB) Changed() <-chan struct{} { return db.changed }

// setName makes name the current display name of userID unless its key is
// held by another user, in which case it reports taken and changes
// nothing. Renaming to one's own name in another case succeeds. Both
// statements run in the caller's write transaction, so no other writer
// can slip in between the check and the update; the unique index on
// name_key backs the check.
func setName(ctx context.Context, owner, upsert *sql.Stmt, userID int64, name string) (taken bool, err error) {
	key := game.NameKey(name)
	var holder int64
	switch err := owner.QueryRowContext(ctx, key).Scan(&holder); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return false, err
	case holder != userID:
		return true, nil
	}
	if _, err := upsert.ExecContext(ctx, userID, name, key); err != nil {
		return false, err
	}
	return false, nil
}

// Events calls fn for every event with ID > after, in ID order, and stops
// at the first error fn returns, returning it unchanged. Events are read
// in pages of eventsPageSize, each in its own short read transaction, so
// fn may take its time (or call other methods) without holding back the
// WAL checkpoint. Because one connection assigns ids in commit order, a
// later page never holds an id below one already delivered.
func (db *DB) Events(ctx context.Context, after int64, fn func(game.Event) error) error {
	return store.PagedEvents(ctx, "sqlite", after, eventsPageSize, db.eventsPageAfter, fn)
}

func (db *DB) eventsPageAfter(ctx context.Context, after int64, page []game.Event) ([]game.Event, error) {
	rows, err := db.eventsPage.QueryContext(ctx, after, eventsPageSize)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var ev game.Event
		var typ string
		if err := rows.Scan(&ev.ID, &typ, &ev.UserID, &ev.ChallengeID, &ev.HintID, &ev.Points, &ev.TS, &ev.Name, &ev.Data); err != nil {
			return nil, err
		}
		ev.Type = game.EventType(typ)
		page = append(page, ev)
	}
	return page, rows.Err()
}
