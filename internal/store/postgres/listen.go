package postgres

import (
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
		store.Signal(db.changed)
		for {
			if _, err = conn.WaitForNotification(ctx); err != nil {
				break
			}
			store.Signal(db.changed)
		}
		conn.Close(context.Background())
		if ctx.Err() == nil {
			db.log.Warn("postgres: LISTEN connection lost; reconnecting", "database", db.target, "err", err)
		}
	}
}
