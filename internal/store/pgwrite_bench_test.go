package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tsunagu/internal/audit"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// BenchmarkConcurrentWrites: writers in parallel, each write a row of its
// own, one change and two audit events (the shape of a record's write
// without the HTTP and the record's own rows), at 1, 8 and 64 writers, on
// each engine: what the head rows cost a write.
func BenchmarkConcurrentWrites(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		for _, writers := range []int{1, 8, 64} {
			b.Run(fmt.Sprintf("%s/%d", engine, writers), func(b *testing.B) {
				db := storetest.MustOpen(b, engine)
				ctx := context.Background()
				var n atomic.Int64
				b.ResetTimer()
				var wg sync.WaitGroup
				for range writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							i := n.Add(1)
							if i > int64(b.N) {
								return
							}
							err := db.Write(ctx, func(tx *store.Tx) error {
								if _, err := tx.Exec(ctx, `INSERT INTO setting (name, value) VALUES (?, ?)`, fmt.Sprint("bench-", i), "x"); err != nil {
									return err
								}
								tx.AppendChange(ctx, store.Change{PatientID: "p", Entity: "record", EntityID: fmt.Sprint(i), Op: "upsert", At: time.Now()})
								return audit.Append(ctx, tx, &audit.Event{At: time.Now(), ActorID: "a", Action: "record.create", Result: audit.ResultOK},
									&audit.Event{At: time.Now(), ActorID: "a", Action: "record.read", Result: audit.ResultOK})
							})
							if err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				n.Store(int64(b.N))
				b.ReportMetric(float64(n.Load())/b.Elapsed().Seconds(), "writes/s")
			})
		}
	}
}
