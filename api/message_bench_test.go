package api_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"tsunagu/api"
	"tsunagu/internal/store/storetest"
)

// BenchmarkMessageToPushAndMail: a team channel message mentioning the
// doctor, written through HTTP, until both other members' pushes were
// received and decrypted by the push receiver and the doctor's e-mail was
// accepted by the SMTP server (mailpit), one at a time: the outbox rows,
// the wake-ups, both workers' claims, the Web Push encryption and the SMTP
// conversation. Reports p50 and p99.
func BenchmarkMessageToPushAndMail(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(engine, func(b *testing.B) {
			var wakePush, wakeMail func()
			m := newChannelRig(b, engine, func(d *api.Deps) {
				d.WakePush = func() { wakePush() }
				d.WakeMail = func() { wakeMail() }
			})
			ch := make(chan struct{}, 16)
			m.mailer.Transport = accepted{Transport: m.mailer.Transport, ch: ch}
			wakePush, wakeMail = m.pusher.Wake, m.mailer.Wake
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go m.pusher.Run(ctx)
			go m.mailer.Run(ctx)
			m.verify(b, m.r.doctor.ID, "doctor@example.jp")
			lat := make([]time.Duration, 0, b.N)
			pushed := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				m.r.nurseC.must(201, "POST", "/api/v1/patients/"+m.r.patientID+"/messages",
					map[string]any{"id": newID(), "text": "ベンチの連絡", "mentions": []string{m.r.doctor.ID}})
				pushed += 2 // the doctor's mention and the care worker's message
				wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
				_, err := m.rcv.Wait(wctx, pushed)
				wcancel()
				if err != nil {
					b.Fatalf("pushes not received within 30 s: %v", err)
				}
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
