package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"tsunagu/internal/notify/pushtest"
	"tsunagu/scripts/internal/loadclient"
)

// incremental measures the median time of a pull that returns 10 new changes.
func (s *server) incremental(writer *client, patientID string, dev *string, seq *int64) float64 {
	reader := s.signIn("demo.nurse")
	cur := loadclient.Must(reader.Cursor())
	ms := []any{}
	for i := 0; i < 10; i++ {
		*seq++
		ms = append(ms, recordMutation(*seq, patientID))
	}
	writer.mustJSON("POST", "/api/v1/sync/push", map[string]any{"device_id": *dev, "mutations": ms}, nil)
	lats := []float64{}
	for i := 0; i < 220; i++ { // the first 20 warm up the server's caches and pools
		t := time.Now()
		var a struct{ Changes []json.RawMessage }
		reader.mustJSON("GET", "/api/v1/sync/pull?limit=500&cursor="+cur, nil, &a)
		if i >= 20 {
			lats = append(lats, float64(time.Since(t).Microseconds())/1000)
		}
		if len(a.Changes) != 10 {
			panic(fmt.Sprintf("incremental pull returned %d changes", len(a.Changes)))
		}
	}
	return loadclient.Percentile(lats, 0.5)
}

// growLog adds change-log rows of a patient nobody in the bench reaches,
// until the log holds n rows, the way years of regional use would.
func (s *server) growLog(n int) error {
	var have int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM change_log`).Scan(&have); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "growing the change log from %d to %d rows …\n", have, n)
	other := uuid.NewString()
	for have < n {
		batch := min(10000, n-have)
		tx, err := s.db.Begin()
		if err != nil {
			return err
		}
		var seq int64
		if _, err := tx.Exec(`UPDATE change_counter SET seq = seq + ` + fmt.Sprint(batch) + ` WHERE id = 1`); err != nil {
			return err
		}
		if err := tx.QueryRow(`SELECT seq FROM change_counter WHERE id = 1`).Scan(&seq); err != nil {
			return err
		}
		var b strings.Builder
		b.WriteString(`INSERT INTO change_log (seq, patient_id, entity, entity_id, op, chart, subject_id, at) VALUES `)
		now := time.Now().UTC().Format("2006-01-02 15:04:05")
		for i := 0; i < batch; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,'%s','record','%s','upsert',TRUE,'','%s')", seq-int64(batch)+int64(i)+1, other, uuid.NewString(), now)
		}
		if _, err := tx.Exec(b.String()); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		have += batch
	}
	if *dbURL == "" {
		// Years of use leave a checkpointed file, not a 1M-row write-ahead
		// log that every read must search: checkpoint the bulk load, as the
		// server's own writes do in their normal course.
		if _, err := s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	return nil
}

// pushLatency writes records as the nurse and times each until the
// doctor's receiver has decrypted its notification.
func (s *server) pushLatency(rcv *pushtest.Receiver, patientID string) (float64, float64) {
	doctor := s.signIn("demo.doctor")
	sub := rcv.NewSubscription()
	doctor.mustJSON("POST", "/api/v1/push/subscriptions", map[string]any{"endpoint": sub.Endpoint, "keys": map[string]any{"p256dh": sub.P256dh, "auth": sub.Auth}}, nil)
	nurse := s.signIn("demo.nurse")
	lats := []float64{}
	for i := 0; i < 100; i++ {
		before := len(rcv.Deliveries())
		t := time.Now()
		nurse.mustJSON("POST", "/api/v1/patients/"+patientID+"/records", map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "kind": "note",
			"occurred_at": time.Now().UTC().Add(-time.Minute).Format(time.RFC3339), "text": "連絡メモ"}, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := rcv.Wait(ctx, before+1); err != nil {
			panic(err)
		}
		cancel()
		lats = append(lats, float64(time.Since(t).Microseconds())/1000)
	}
	return loadclient.Percentile(lats, 0.5), loadclient.Percentile(lats, 0.99)
}
