package api_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"tsunagu/api"
	tmail "tsunagu/internal/mail"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// accepted tells of each message the SMTP server accepted (250 after DATA).
type accepted struct {
	tmail.Transport
	ch chan struct{}
}

func (a accepted) Send(ctx context.Context, to string, msg []byte) error {
	err := a.Transport.Send(ctx, to, msg)
	if err == nil {
		a.ch <- struct{}{}
	}
	return err
}

// BenchmarkRecordToMail: a record written through HTTP until the SMTP
// server (mailpit) accepted the e-mail to the one team member with a
// verified address, one at a time: the outbox row, the wake-up, the claim,
// the SMTP conversation and the mark. Reports p50 and p99.
func BenchmarkRecordToMail(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			var wake func()
			m := newMailRig(b, engine, func(d *api.Deps) { d.WakeMail = func() { wake() } })
			ch := make(chan struct{}, 16)
			m.mailer.Transport = accepted{Transport: m.mailer.Transport, ch: ch}
			wake = m.mailer.Wake
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go m.mailer.Run(ctx)
			ctxDB := context.Background()
			if err := m.h.db.Write(ctxDB, func(tx *store.Tx) error {
				if err := tx.SetUserEmail(ctxDB, m.r.doctor.ID, "doctor@example.jp", "h", m.h.clock.Now().Add(time.Hour), m.h.clock.Now()); err != nil {
					return err
				}
				_, err := tx.VerifyUserEmail(ctxDB, m.r.doctor.ID, "h", m.h.clock.Now())
				return err
			}); err != nil {
				b.Fatal(err)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				m.note(b, "ベンチ")
				select {
				case <-ch:
				case <-time.After(30 * time.Second):
					b.Fatal("no mail accepted within 30 s")
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
