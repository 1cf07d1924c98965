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
// fsync) and returns one Result per event, in order. A duplicate solve or
// hint purchase gets Inserted=false; a rename to a name another player
// holds gets Err=game.ErrNameTaken; neither stops the rest of the batch.
// An event of unknown type, a rename without a name, an unknown user or
// any database error rolls the whole batch back and is returned.
func (db *DB) Append(ctx context.Context, evs []game.Event) ([]store.Result, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	for i, ev := range evs {
		if err := checkEvent(ev); err != nil {
			return nil, fmt.Errorf("sqlite: append: event %d: %w", i, err)
		}
	}
	res := make([]store.Result, len(evs))
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		insert := tx.StmtContext(ctx, db.insertEvent)
		var owner, upsert *sql.Stmt // only batches with renames need them
		for i, ev := range evs {
			if ev.Type == game.EventRename {
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
			}
			var id int64
			err := insert.QueryRowContext(ctx, string(ev.Type), ev.UserID, ev.ChallengeID, ev.HintID, ev.Points, ev.TS, ev.Name).Scan(&id)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				// DO NOTHING: a duplicate solve or hint purchase.
			case err != nil:
				return fmt.Errorf("event %d: %w", i, err)
			default:
				ev.ID = id
				res[i] = store.Result{Event: ev, Inserted: true}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: append: %w", err)
	}
	return res, nil
}

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

// checkEvent refuses events the schema would refuse, before any
// transaction starts, with a clearer message than a constraint error.
func checkEvent(ev game.Event) error {
	switch ev.Type {
	case game.EventScore, game.EventHint:
	case game.EventRename:
		if game.NameKey(ev.Name) == "" {
			return errors.New("rename without a name")
		}
	default:
		return fmt.Errorf("unknown event type %q", ev.Type)
	}
	if ev.UserID <= 0 {
		return fmt.Errorf("invalid user id %d", ev.UserID)
	}
	return nil
}

// Events calls fn for every event with ID > after, in ID order, and stops
// at the first error fn returns, returning it unchanged. Events are read
// in pages of eventsPageSize, each in its own short read transaction, so
// fn may take its time (or call other methods) without holding back the
// WAL checkpoint. Because one connection assigns ids in commit order, a
// later page never holds an id below one already delivered.
func (db *DB) Events(ctx context.Context, after int64, fn func(game.Event) error) error {
	page := make([]game.Event, 0, eventsPageSize)
	for {
		var err error
		page, err = db.eventsPageAfter(ctx, after, page[:0])
		if err != nil {
			return fmt.Errorf("sqlite: events after %d: %w", after, err)
		}
		for _, ev := range page {
			if err := fn(ev); err != nil {
				return err
			}
		}
		if len(page) < eventsPageSize {
			return nil
		}
		after = page[len(page)-1].ID
	}
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
		if err := rows.Scan(&ev.ID, &typ, &ev.UserID, &ev.ChallengeID, &ev.HintID, &ev.Points, &ev.TS, &ev.Name); err != nil {
			return nil, err
		}
		ev.Type = game.EventType(typ)
		page = append(page, ev)
	}
	return page, rows.Err()
}

// Reset deletes every event, display name, wrong guess and session in one
// transaction and returns how many events it removed. Users stay, and so
// does the AUTOINCREMENT counter, so ids keep increasing afterwards.
func (db *DB) Reset(ctx context.Context) (int64, error) {
	var n int64
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM events`)
		if err != nil {
			return err
		}
		if n, err = r.RowsAffected(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM names`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM wrong_guesses`); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions`)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: reset: %w", err)
	}
	return n, nil
}
