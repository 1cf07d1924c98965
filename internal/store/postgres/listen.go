package postgres

import (
	"strconv"

	"github.com/jackc/pgx/v5/pgconn"

	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ctfg/ctfg/internal/store"
)

// Reconnection delays of the LISTEN connection: doubling from the first
// to the last.
const (
	listenRetryFirst = 100 * time.Millisecond
	listenRetryMax   = 5 * time.Second
)

// listen keeps one connection, outside the pool, LISTENing on
// notifyChannel, and signals Changed on every notification: another
// instance (or this one) committed events. When the connection dies it
// reconnects with backoff, and after every (re)connect it signals Changed
// once, because notifications sent while it was away are lost and the
// reader must catch up by querying. It stops when ctx is cancelled.
func (db *DB) listen(ctx context.Context) {
	defer close(db.listenDone)
	delay := listenRetryFirst
	first := true
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, db.listenCfg)
		if err == nil {
			if _, err = conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
				conn.Close(context.Background())
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			db.log.Warn("postgres: LISTEN connection failed; retrying", "database", db.target, "retry_in", delay, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			delay = min(2*delay, listenRetryMax)
			continue
		}
		delay = listenRetryFirst
		if !first {
			db.reconnects.Add(1)
		}
		first = false
		store.Signal(db.changed)
		for {
			var n *pgconn.Notification
			if n, err = conn.WaitForNotification(ctx); err != nil {
				break
			}
			// The payload is the committing batch's last id: how far the
			// log has got, for the feed's "events behind" gauge.
			if id, perr := strconv.ParseInt(n.Payload, 10, 64); perr == nil {
				for {
					old := db.head.Load()
					if id <= old || db.head.CompareAndSwap(old, id) {
						break
					}
				}
			}
			store.Signal(db.changed)
		}
		conn.Close(context.Background())
		if ctx.Err() == nil {
			db.log.Warn("postgres: LISTEN connection lost; reconnecting", "database", db.target, "err", err)
		}
	}
}

// Reconnects returns how many times the LISTEN connection was made again
// after it was lost (metrics: notification reconnects).
func (db *DB) Reconnects() int64 { return db.reconnects.Load() }

// LogHead returns the highest event id a notification announced (0 before
// any): with the feed's position, how far this instance is behind.
func (db *DB) LogHead() int64 { return db.head.Load() }

// PoolStats returns the connection pool's connections in use, open, and
// the most it may open.
func (db *DB) PoolStats() (inUse, open, most int64) {
	st := db.pool.Stat()
	return int64(st.AcquiredConns()), int64(st.TotalConns()), int64(st.MaxConns())
}
