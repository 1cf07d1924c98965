package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// Small writes (sessions, meta values) are group-committed like events:
// with synchronous=FULL every transaction costs an fsync, so 200 players
// logging in at the same moment would queue 200 fsyncs one behind the
// other on the single writer connection (measured: login p99 250 ms).
// Concurrent writes instead share one transaction. A failing statement in
// SQLite rolls back only itself, so one bad write does not sink the batch;
// a failed COMMIT fails every write in it.

// maxWriteBatch bounds the statements of one shared transaction.
const maxWriteBatch = 256

// errClosed is returned by writes after Close.
var errClosed = errors.New("sqlite: database is closed")

// writeOp is one statement waiting for the batch writer.
type writeOp struct {
	query string
	args  []any
	done  chan error // buffered: the writer never blocks on a caller
}

// batcher owns the queue of small writes and the goroutine that commits
// them.
type batcher struct {
	queue chan *writeOp
	stop  chan struct{}
	wg    sync.WaitGroup

	// mu orders sends against stopping: once stopped is set no caller
	// can slip an op into the queue after the writer has drained it.
	mu      sync.RWMutex
	stopped bool
}

func (db *DB) startBatcher() {
	db.batch = &batcher{queue: make(chan *writeOp, maxWriteBatch), stop: make(chan struct{})}
	db.batch.wg.Add(1)
	go db.runBatcher()
}

// stopBatcher commits what is queued and stops the writer goroutine; it
// runs before the connections close.
func (db *DB) stopBatcher() {
	if db.batch == nil {
		return
	}
	db.batch.mu.Lock()
	db.batch.stopped = true
	db.batch.mu.Unlock()
	close(db.batch.stop)
	db.batch.wg.Wait()
}

// exec runs one write statement, sharing a transaction with whatever other
// small writes are pending. It returns once the statement is durable.
func (db *DB) exec(ctx context.Context, query string, args ...any) error {
	if db.batch == nil { // read-only or not fully opened: nothing batches
		return db.execNow(ctx, query, args...)
	}
	if err := ctx.Err(); err != nil {
		return err // a caller that already gave up writes nothing
	}
	op := &writeOp{query: query, args: args, done: make(chan error, 1)}
	db.batch.mu.RLock()
	if db.batch.stopped {
		db.batch.mu.RUnlock()
		return errClosed
	}
	// The writer keeps draining until stopped is set, which needs the
	// write lock this send holds off, so the send cannot block forever.
	select {
	case db.batch.queue <- op:
	case <-ctx.Done():
		db.batch.mu.RUnlock()
		return ctx.Err()
	}
	db.batch.mu.RUnlock()
	// Once queued the write happens whatever the caller does; waiting for
	// it keeps "returned nil" meaning "committed".
	return <-op.done
}

// execNow runs one statement in its own autocommit transaction.
func (db *DB) execNow(ctx context.Context, query string, args ...any) error {
	if _, err := db.w.ExecContext(ctx, query, args...); err != nil {
		return err
	}
	db.writes.Add(1)
	return nil
}

func (db *DB) runBatcher() {
	defer db.batch.wg.Done()
	ops := make([]*writeOp, 0, maxWriteBatch)
	for {
		ops = ops[:0]
		select {
		case op := <-db.batch.queue:
			ops = append(ops, op)
		case <-db.batch.stop:
			// Close waits for callers already queued; drain them.
			for {
				select {
				case op := <-db.batch.queue:
					db.commitOps([]*writeOp{op})
				default:
					return
				}
			}
		}
	fill:
		for len(ops) < maxWriteBatch {
			select {
			case op := <-db.batch.queue:
				ops = append(ops, op)
			default:
				break fill
			}
		}
		db.commitOps(ops)
	}
}

// commitOps commits ops in one transaction and answers each caller. The
// context is not any caller's: one caller giving up must not abort the
// others' writes.
func (db *DB) commitOps(ops []*writeOp) {
	ctx := context.Background()
	if len(ops) == 1 {
		ops[0].done <- db.execNow(ctx, ops[0].query, ops[0].args...)
		return
	}
	errs := make([]error, len(ops))
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		for i, op := range ops {
			_, errs[i] = tx.ExecContext(ctx, op.query, op.args...)
		}
		return nil
	})
	for i, op := range ops {
		if err != nil {
			op.done <- err
		} else {
			op.done <- errs[i]
		}
	}
}
