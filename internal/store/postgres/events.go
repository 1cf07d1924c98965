package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ctfg/ctfg/internal/game"
	"github.com/ctfg/ctfg/internal/store"
)

// Ids in commit order.
//
// A reader tails the log with Events(after last seen). With ids from a
// sequence, two concurrent transactions can commit out of id order: A
// takes id 10, B takes 11, B commits first, a reader sees 11 and moves
// past 10, which then commits and is never read. So ids do not come from
// a sequence: every Append transaction starts with
//
//	UPDATE log_head SET last_id = last_id + n RETURNING last_id
//
// which takes the one row's lock and keeps it until the transaction ends.
// The next Append (of any instance) waits on that lock, and PostgreSQL
// makes a transaction visible before it releases its locks, so the next
// one's ids are assigned only after this one's events are visible: a
// larger id is always committed after a smaller one. A rolled-back
// transaction's ids are never used (the UPDATE rolls back too), and ids of
// events that were not inserted (duplicates, refusals) stay unused gaps.
//
// Serializing appends is affordable because one transaction carries many
// events: the engine batches them, and GroupCommitter merges concurrent
// Append calls, so the lock is held for one round trip and one WAL flush
// per batch, not per event. It also serializes the rules that span rows:
// every statement after the UPDATE sees every earlier commit, so a
// hint's price is checked against points no other instance can change
// meanwhile, and no per-player lock is needed.
//
// The whole transaction is one pgx batch — one round trip: the queries of
// a batch run in one implicit transaction (pgx's SendBatch) that commits
// when the last one succeeds and rolls back entirely if any fails. Ids are
// therefore computed by the server, from log_head as updated by the
// batch's first statement: event k (1-based) of an n-event batch gets
// last_id - n + k.

const (
	// qAdvanceHead reserves the batch's ids and queues the NOTIFY that
	// wakes every instance's LISTEN connection when the batch commits
	// (NOTIFY is delivered at commit, and not at all on rollback); the
	// payload is the new last id.
	qAdvanceHead = `UPDATE log_head SET last_id = last_id + $1::bigint
RETURNING last_id, pg_notify('` + notifyChannel + `', last_id::text)`

	// qInsertPlain inserts a run of consecutive events that need no
	// check beyond the unique indexes (solves and any type the store has
	// no rule for) in one statement. ON CONFLICT DO NOTHING turns a
	// duplicate solve into a missing RETURNING row, including a duplicate
	// within the run: rows go in in batch order, so the first one wins.
	qInsertPlain = `INSERT INTO events (id, type, user_id, challenge_id, hint_id, points, ts, name, data)
SELECT h.last_id - $1::bigint + e.k, e.type, NULLIF(e.user_id, 0), e.challenge_id, e.hint_id, e.points, e.ts, e.name, e.data
FROM log_head h,
     unnest($2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::text[], $10::text[])
       AS e(k, type, user_id, challenge_id, hint_id, points, ts, name, data)
ORDER BY e.k
ON CONFLICT DO NOTHING
RETURNING id`

	// qInsertHint buys a hint if the player's points (solves and hints
	// since the last reset; each sum reads through its type's partial
	// index) cover its cost (-points). It returns the new id (NULL if
	// not inserted) and whether the hint was already bought, which tells
	// a duplicate from an unaffordable purchase. The last SELECT reads the
	// statement's snapshot, without the row this statement inserts.
	qInsertHint = `WITH pts AS (
  SELECT (SELECT coalesce(sum(points), 0) FROM events WHERE user_id = $3::bigint AND type = 'score')
       + (SELECT coalesce(sum(points), 0) FROM events WHERE user_id = $3::bigint AND type = 'hint') AS p
), ins AS (
  INSERT INTO events (id, type, user_id, challenge_id, hint_id, points, ts, name, data)
  SELECT h.last_id - $1::bigint + $2::bigint, 'hint', $3::bigint, $4::bigint, $5::bigint, $6::bigint, $7::bigint, $8::text, $9::text
  FROM log_head h, pts
  WHERE $6::bigint >= 0 OR pts.p >= -$6::bigint
  ON CONFLICT DO NOTHING
  RETURNING id
)
SELECT (SELECT id FROM ins),
       EXISTS (SELECT 1 FROM events WHERE user_id = $3::bigint AND challenge_id = $4::bigint AND hint_id = $5::bigint AND type = 'hint')`

	// qInsertRename sets the display name unless another player holds
	// its key, and logs the rename only if it did. It returns the new id,
	// NULL when the name was taken.
	qInsertRename = `WITH holder AS (
  SELECT user_id FROM names WHERE name_key = $5::text
), up AS (
  INSERT INTO names (user_id, name, name_key)
  SELECT $3::bigint, $4::text, $5::text
  WHERE NOT EXISTS (SELECT 1 FROM holder WHERE user_id <> $3::bigint)
  ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, name_key = excluded.name_key
  RETURNING 1
), ins AS (
  INSERT INTO events (id, type, user_id, challenge_id, hint_id, points, ts, name, data)
  SELECT h.last_id - $1::bigint + $2::bigint, 'rename', $3::bigint, $6::bigint, $7::bigint, $8::bigint, $9::bigint, $4::text, $10::text
  FROM log_head h
  WHERE EXISTS (SELECT 1 FROM up)
  RETURNING id
)
SELECT (SELECT id FROM ins)`

	// qInsertReset logs a reset and deletes what it clears: the events
	// before it (earlier events of the same batch included: they were
	// inserted by earlier statements) but register events (accounts
	// outlive a reset), names, sessions, submissions and
	// shared buckets. It returns the new id and how many game events
	// (not earlier resets) it deleted.
	qInsertReset = `WITH gone AS (
  DELETE FROM events WHERE id < (SELECT last_id - $1::bigint + $2::bigint FROM log_head) AND type <> 'register' RETURNING type
), dn AS (
  DELETE FROM names
), ds AS (
  DELETE FROM sessions
), dw AS (
  DELETE FROM submissions
), dl AS (
  DELETE FROM limits
), ins AS (
  INSERT INTO events (id, type, user_id, challenge_id, hint_id, points, ts, name, data)
  SELECT last_id - $1::bigint + $2::bigint, 'reset', NULL, $3::bigint, $4::bigint, $5::bigint, $6::bigint, $7::text, $8::text
  FROM log_head
  RETURNING id
)
SELECT (SELECT id FROM ins), (SELECT count(*) FROM gone WHERE type <> 'reset')`

	// qEventsPage reads the log by id, a page per query.
	qEventsPage = `SELECT id, type, coalesce(user_id, 0), challenge_id, hint_id, points, ts, name, data
FROM events WHERE id > $1 ORDER BY id LIMIT $2`
)

// eventsPageSize is how many events one query of Events fetches.
const eventsPageSize = 1024

// Append commits evs in one transaction and returns one Result per event,
// in order; concurrent calls share transactions (GroupCommitter). The
// semantics are those of the SQLite backend, which the conformance suite
// checks on both.
func (db *DB) Append(ctx context.Context, evs []game.Event) ([]store.Result, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	for i, ev := range evs {
		if err := store.CheckEvent(ev); err != nil {
			return nil, fmt.Errorf("postgres: append: event %d: %w", i, err)
		}
	}
	if db.group == nil {
		return nil, errReadOnly
	}
	return db.group.Append(ctx, evs)
}

// step is one statement of an Append batch: events evs[from:to].
type step struct {
	typ      game.EventType // the type of a single-event step; "" for a plain run
	from, to int
}

// appendTx commits evs in one batch (one round trip, one transaction); it
// is the GroupCommitter's commit function.
func (db *DB) appendTx(ctx context.Context, evs []game.Event) ([]store.Result, error) {
	n := int64(len(evs))
	b := &pgx.Batch{}
	b.Queue(qAdvanceHead, n)
	var steps []step
	for i := 0; i < len(evs); {
		ev := evs[i]
		k := int64(i + 1)
		switch ev.Type {
		case game.EventHint:
			b.Queue(qInsertHint, n, k, ev.UserID, ev.ChallengeID, ev.HintID, ev.Points, ev.TS, ev.Name, ev.Data)
		case game.EventRename:
			b.Queue(qInsertRename, n, k, ev.UserID, ev.Name, game.NameKey(ev.Name), ev.ChallengeID, ev.HintID, ev.Points, ev.TS, ev.Data)
		case game.EventReset:
			b.Queue(qInsertReset, n, k, ev.ChallengeID, ev.HintID, ev.Points, ev.TS, ev.Name, ev.Data)
		default:
			j := i
			for j < len(evs) && plain(evs[j].Type) {
				j++
			}
			queuePlain(b, n, evs, i, j)
			steps = append(steps, step{from: i, to: j})
			i = j
			continue
		}
		steps = append(steps, step{typ: ev.Type, from: i, to: i + 1})
		i++
	}

	res := make([]store.Result, len(evs))
	br := db.pool.SendBatch(ctx, b)
	err := readAppend(br, evs, steps, res)
	// Close reads to the end of the batch, where the implicit transaction
	// commits: the results count only if it returns nil.
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: append: %w", err)
	}
	store.Signal(db.changed)
	return res, nil
}

// plain reports whether an event type goes into a plain run: no rule
// beyond the unique indexes applies to it.
func plain(t game.EventType) bool {
	return t != game.EventHint && t != game.EventRename && t != game.EventReset
}

func queuePlain(b *pgx.Batch, n int64, evs []game.Event, from, to int) {
	m := to - from
	var (
		ks, users, chals, hints, points, ts = make([]int64, m), make([]int64, m), make([]int64, m), make([]int64, m), make([]int64, m), make([]int64, m)
		types, names, data                  = make([]string, m), make([]string, m), make([]string, m)
	)
	for i, ev := range evs[from:to] {
		ks[i] = int64(from + i + 1)
		types[i] = string(ev.Type)
		users[i] = ev.UserID
		chals[i] = int64(ev.ChallengeID)
		hints[i] = int64(ev.HintID)
		points[i] = int64(ev.Points)
		ts[i] = ev.TS
		names[i] = ev.Name
		data[i] = ev.Data
	}
	b.Queue(qInsertPlain, n, ks, types, users, chals, hints, points, ts, names, data)
}

// readAppend reads the batch's results in order and fills res.
func readAppend(br pgx.BatchResults, evs []game.Event, steps []step, res []store.Result) error {
	var last int64
	if err := br.QueryRow().Scan(&last, nil); err != nil {
		return fmt.Errorf("advance log head: %w", err)
	}
	base := last - int64(len(evs))
	inserted := func(i int, id int64) {
		ev := evs[i]
		ev.ID = id
		res[i] = store.Result{Event: ev, Inserted: true}
	}
	for _, st := range steps {
		switch st.typ {
		case "":
			rows, err := br.Query()
			if err != nil {
				return fmt.Errorf("events %d-%d: %w", st.from, st.to-1, err)
			}
			var id int64
			_, err = pgx.ForEachRow(rows, []any{&id}, func() error {
				i := int(id - base - 1)
				if i < st.from || i >= st.to {
					return fmt.Errorf("id %d outside the run's ids", id)
				}
				inserted(i, id)
				return nil
			})
			if err != nil {
				return fmt.Errorf("events %d-%d: %w", st.from, st.to-1, err)
			}
		case game.EventHint:
			var id *int64
			var bought bool
			if err := br.QueryRow().Scan(&id, &bought); err != nil {
				return fmt.Errorf("event %d: %w", st.from, err)
			}
			switch {
			case id != nil:
				inserted(st.from, *id)
			case !bought:
				res[st.from].Err = game.ErrInsufficientPoints
			}
		case game.EventRename:
			var id *int64
			if err := br.QueryRow().Scan(&id); err != nil {
				return fmt.Errorf("event %d: set name: %w", st.from, err)
			}
			if id == nil {
				res[st.from].Err = game.ErrNameTaken
			} else {
				inserted(st.from, *id)
			}
		case game.EventReset:
			var id, removed int64
			if err := br.QueryRow().Scan(&id, &removed); err != nil {
				return fmt.Errorf("event %d: reset: %w", st.from, err)
			}
			inserted(st.from, id)
			res[st.from].Removed = removed
		default:
			return errors.New("unknown step") // unreachable: steps are built above
		}
	}
	return nil
}

// Events calls fn for every event with ID > after, in ID order, and stops
// at the first error fn returns, returning it unchanged. Pages are read by
// separate queries, so fn may take its time or call other methods; ids
// being in commit order, a later page never holds an id below one already
// delivered.
func (db *DB) Events(ctx context.Context, after int64, fn func(game.Event) error) error {
	return store.PagedEvents(ctx, "postgres", after, eventsPageSize, db.eventsPageAfter, fn)
}

func (db *DB) eventsPageAfter(ctx context.Context, after int64, page []game.Event) ([]game.Event, error) {
	rows, err := db.pool.Query(ctx, qEventsPage, after, eventsPageSize)
	if err != nil {
		return nil, err
	}
	var (
		ev                   game.Event
		typ                  string
		chal, hint, points64 int64
	)
	_, err = pgx.ForEachRow(rows, []any{&ev.ID, &typ, &ev.UserID, &chal, &hint, &points64, &ev.TS, &ev.Name, &ev.Data}, func() error {
		ev.Type = game.EventType(typ)
		ev.ChallengeID, ev.HintID, ev.Points = int(chal), int(hint), int(points64)
		page = append(page, ev)
		return nil
	})
	return page, err
}
