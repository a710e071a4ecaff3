package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestWALStaysBoundedUnderContinuousWrites writes without a pause, with
// readers going on meanwhile, far more than the log's limit: the log's
// file never grows past the limit at which writes wait for its truncation
// (four times the checkpointer's), plus the group under way when it was
// looked at. With PASSIVE checkpoints only, the log is restarted only when
// a writer finds it wholly copied and unread, and it grew to many times
// the database.
func TestWALStaysBoundedUnderContinuousWrites(t *testing.T) {
	db := storetest.MustOpen(t, store.SQLite)
	const limit = 256 << 10
	db.SetWALLimit(limit)
	ctx := context.Background()
	value := strings.Repeat("x", 16<<10)
	const writers, perWriter = 4, 150

	done := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				var n int
				_ = db.Read(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &n, `SELECT COUNT(*) FROM setting`) })
			}
		}()
	}
	var largest atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				err := db.Write(ctx, func(tx *store.Tx) error {
					_, err := tx.Exec(ctx, `INSERT INTO setting (name, value) VALUES (?, ?)`, fmt.Sprintf("wal-%d-%d", w, i), value)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				for s := db.WALSize(); s > largest.Load(); {
					if largest.CompareAndSwap(largest.Load(), s) {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	readers.Wait()

	written := int64(writers * perWriter * len(value))
	// A group of this test is at most `writers` rows of 16 KB, a few pages
	// each: 1 MB is far more than one.
	bound := int64(4*limit + 1<<20)
	if largest.Load() > bound {
		t.Errorf("the log reached %d bytes (bound %d) for %d bytes written", largest.Load(), bound, written)
	}
	if written < 4*bound {
		t.Fatalf("the test writes too little (%d bytes) to show a bound of %d", written, bound)
	}
	t.Logf("largest log %d bytes for %d bytes written", largest.Load(), written)
}
