package demo_test

import (
	"context"
	"testing"
	"time"

	"tsunagu/internal/auth"
	"tsunagu/internal/demo"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestFillWritesTheChannel: the demo region's first consented patients
// with a care worker on the team have the invented conversation, with a
// reply, mentions of team members only and an urgent message.
func TestFillWritesTheChannel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		db := storetest.MustOpen(t, engine)
		ctx := context.Background()
		if _, err := demo.Fill(ctx, db, auth.NewHasher(2), time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		err := db.Read(ctx, func(tx *store.Tx) error {
			var n, urgent, replies int
			for _, q := range []struct {
				dst *int
				sql string
			}{
				{&n, `SELECT COUNT(DISTINCT patient_id) FROM message`},
				{&urgent, `SELECT COUNT(*) FROM message WHERE urgent = TRUE`},
				{&replies, `SELECT COUNT(*) FROM message m JOIN message r ON r.id = m.reply_to AND r.patient_id = m.patient_id`},
			} {
				if err := tx.Get(ctx, q.dst, q.sql); err != nil {
					return err
				}
			}
			if n != 3 || urgent != 3 || replies != 3 {
				t.Errorf("demo channel: %d patients, %d urgent, %d replies", n, urgent, replies)
			}
			var strangers int
			if err := tx.Get(ctx, &strangers, `SELECT COUNT(*) FROM message_mention mm JOIN message m ON m.id = mm.message_id
				WHERE NOT EXISTS (SELECT 1 FROM team_member t WHERE t.patient_id = m.patient_id AND t.user_id = mm.user_id AND t.removed_at IS NULL)`); err != nil {
				return err
			}
			if strangers != 0 {
				t.Errorf("%d mentions of users off the team", strangers)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
