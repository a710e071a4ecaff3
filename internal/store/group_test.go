package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestConcurrentWritesAreIsolated runs many writes at once (on SQLite they
// share transactions through group commit): a write that fails leaves no
// trace, and every write that succeeded is there, with its after-commit
// hook run exactly once.
func TestConcurrentWritesAreIsolated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		boom := errors.New("refused")
		var wg sync.WaitGroup
		var mu sync.Mutex
		hooks := map[string]int{}
		errs := make([]error, 200)
		for i := 0; i < 200; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				name := fmt.Sprintf("w%03d", i)
				errs[i] = db.Write(ctx, func(tx *store.Tx) error {
					if _, err := tx.Exec(ctx, `INSERT INTO setting (name, value) VALUES (?, ?)`, name, "x"); err != nil {
						return err
					}
					tx.AfterCommit(func() { mu.Lock(); hooks[name]++; mu.Unlock() })
					if i%3 == 0 {
						return boom
					}
					return nil
				})
			}(i)
		}
		wg.Wait()
		for i, err := range errs {
			name := fmt.Sprintf("w%03d", i)
			var got string
			rerr := db.Read(ctx, func(tx *store.Tx) error { return tx.Get(ctx, &got, `SELECT value FROM setting WHERE name = ?`, name) })
			if i%3 == 0 {
				if !errors.Is(err, boom) || !errors.Is(rerr, store.ErrNotFound) || hooks[name] != 0 {
					t.Fatalf("failed write %s: err %v, row %v, hooks %d", name, err, rerr, hooks[name])
				}
				continue
			}
			if err != nil || rerr != nil || hooks[name] != 1 {
				t.Fatalf("write %s: err %v, row %v, hooks %d", name, err, rerr, hooks[name])
			}
		}
	})
}
