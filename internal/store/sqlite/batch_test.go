package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ctfg/ctfg/internal/store"
)

// Logins that arrive together share one transaction instead of queueing
// one fsync each.
func TestSessionWritesShareTransactions(t *testing.T) {
	db := MustTempDB(t)
	ctx := context.Background()
	users := MustSyncUsersN(t, db, 1)

	// Hold the writer connection so every session write queues up.
	release := make(chan struct{})
	held := make(chan struct{})
	go func() {
		_ = db.writeTx(ctx, func(*sql.Tx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	before := db.writes.Load()

	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- db.CreateSession(ctx, fmt.Appendf(nil, "hash-%d", i), users[0])
		})
	}
	// The batcher holds the first write while it waits for the
	// connection; the other n-1 are in the queue.
	deadline := time.Now().Add(10 * time.Second)
	for len(db.batch.queue) < n-1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if id, err := db.SessionUser(ctx, fmt.Appendf(nil, "hash-%d", i)); err != nil || id != users[0] {
			t.Fatalf("session %d: %d, %v", i, id, err)
		}
	}
	// The held transaction, the first write alone, then one batch.
	if got := db.writes.Load() - before; got > 3 {
		t.Errorf("%d sessions took %d transactions, want them batched (≤ 3)", n, got)
	}
}

// A statement that fails inside a shared transaction fails alone.
func TestBatchedWriteFailsAlone(t *testing.T) {
	db := MustTempDB(t)
	ctx := context.Background()
	users := MustSyncUsersN(t, db, 1)
	ok := &writeOp{query: qInsertSession, args: []any{[]byte("good"), users[0], int64(1)}, done: make(chan error, 1)}
	dup := &writeOp{query: qInsertSession, args: []any{[]byte("good"), users[0], int64(1)}, done: make(chan error, 1)}
	other := &writeOp{query: qInsertSession, args: []any{[]byte("other"), users[0], int64(1)}, done: make(chan error, 1)}
	db.commitOps([]*writeOp{ok, dup, other})
	if err := <-ok.done; err != nil {
		t.Errorf("first insert: %v", err)
	}
	if err := <-dup.done; err == nil {
		t.Error("duplicate session hash accepted")
	}
	if err := <-other.done; err != nil {
		t.Errorf("insert after a failed one: %v", err)
	}
	for _, h := range []string{"good", "other"} {
		if _, err := db.SessionUser(ctx, []byte(h)); err != nil {
			t.Errorf("session %q: %v", h, err)
		}
	}
}

// Close while writes are arriving neither hangs nor loses an
// acknowledged write.
func TestCloseDuringWrites(t *testing.T) {
	path := t.TempDir() + "/events.db"
	db := MustOpen(t, path)
	ctx := context.Background()
	users := MustSyncUsersN(t, db, 1)
	var wg sync.WaitGroup
	acked := make(chan string, 400)
	for i := range 400 {
		wg.Go(func() {
			h := fmt.Sprintf("h%d", i)
			err := db.CreateSession(ctx, []byte(h), users[0])
			switch {
			case err == nil:
				acked <- h
			case !errors.Is(err, errClosed) && !errors.Is(err, sql.ErrConnDone) && !isClosedErr(err):
				t.Errorf("write during close: %v", err)
			}
		})
	}
	time.Sleep(time.Millisecond)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(acked)
	db = MustOpen(t, path)
	defer db.Close()
	n := 0
	for h := range acked {
		n++
		if _, err := db.SessionUser(ctx, []byte(h)); err != nil {
			t.Fatalf("acknowledged session %s lost: %v", h, err)
		}
	}
	t.Logf("%d of 400 writes acknowledged before close", n)
}

// isClosedErr matches database/sql's error for a closed pool.
func isClosedErr(err error) bool { return err != nil && err.Error() == "sql: database is closed" }

// MustSyncUsersN creates n users and returns their ids in order.
func MustSyncUsersN(tb testing.TB, db store.Store, n int) []int64 {
	tb.Helper()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("user%d", i)
	}
	ids, err := db.SyncUsers(context.Background(), names)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]int64, n)
	for i, u := range names {
		out[i] = ids[u]
	}
	return out
}
