package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"tsunagu/api"
	"tsunagu/internal/notify"
	"tsunagu/internal/notify/pushtest"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// TestRecordNotifiesTheTeam writes a record and follows it to the lock
// screens of the rest of the team: the outbox row is written with the
// record, the worker sends it, and a receiver decrypts exactly what a push
// service would deliver. The author is not notified, the payload has no
// patient details, and a subscription the push service calls gone is
// removed.
func TestRecordNotifiesTheTeam(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		rcv := pushtest.Start(t)
		keys, err := notify.GenerateVAPIDKeys()
		if err != nil {
			t.Fatal(err)
		}
		rcv.RequireServerKey(keys.PublicKey())
		allow, err := notify.NewAllowList([]string{rcv.Host()}, true)
		if err != nil {
			t.Fatal(err)
		}
		h := newHarnessDeps(t, engine, mustDisk(t), func(d *api.Deps) {
			d.PushAllow, d.VAPIDPublicKey, d.TopicKey = allow, keys.PublicKey(), testTopicKey
		})
		r := h.mustRegion()
		sender, err := notify.NewSender(notify.SenderConfig{Keys: keys, Subject: "ops@tsunagu.example.jp", AllowedHosts: []string{rcv.Host()}, LoopbackHTTP: true})
		if err != nil {
			t.Fatal(err)
		}
		worker := &notify.Worker{DB: h.db, Sender: sender, Now: h.clock.Now}

		var key struct {
			PublicKey string `json:"public_key"`
		}
		r.doctorC.must(200, "GET", "/api/v1/push/key", nil).json(t, &key)
		if key.PublicKey != keys.PublicKey() {
			t.Fatal("push key differs from the server's VAPID key")
		}
		subscribe := func(c *client) pushtest.Subscription {
			s := rcv.NewSubscription()
			c.must(204, "POST", "/api/v1/push/subscriptions", map[string]any{"endpoint": s.Endpoint, "keys": map[string]any{"p256dh": s.P256dh, "auth": s.Auth}})
			return s
		}
		doctorSub := subscribe(r.doctorC)
		subscribe(r.doctorC) // a second device of the doctor
		subscribe(r.nurseC)  // the author's own device
		helperSub := subscribe(r.helperC)
		rcv.Respond(helperSub, pushtest.Response{Status: 410})
		// Only the configured push services are accepted.
		r.doctorC.must(422, "POST", "/api/v1/push/subscriptions", map[string]any{"endpoint": "https://evil.example.com/push/x",
			"keys": map[string]any{"p256dh": doctorSub.P256dh, "auth": doctorSub.Auth}})

		recID := newID()
		r.nurseC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": recID, "kind": "note", "occurred_at": "2026-11-20T09:00:00Z",
			"text": canaryName + "さんの様子"})
		var pending int
		h.db.Read(t.Context(), func(tx *store.Tx) (err error) { pending, err = tx.PendingPushes(t.Context()); return err })
		if pending != 3 { // two doctor devices + the helper; not the author
			t.Fatalf("%d pushes queued, want 3", pending)
		}
		if _, err := worker.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		got, err := rcv.Wait(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range got {
			if strings.Contains(string(d.Plaintext), "カナリア") || strings.Contains(string(d.Plaintext), "見本") {
				t.Fatalf("payload carries patient details: %s", d.Plaintext)
			}
			var p struct {
				PatientID string `json:"patient_id"`
				RecordID  string `json:"record_id"`
				Body      string `json:"body"`
			}
			if err := json.Unmarshal(d.Plaintext, &p); err != nil || p.PatientID != r.patientID || p.RecordID != recID || p.Body != "新しい記録があります" {
				t.Fatalf("payload %s: %v", d.Plaintext, err)
			}
			if d.Topic != testTopics.For(r.patientID) || d.Topic == plainTopic(r.patientID) || d.TTL < 23*3600 || d.TTL > 24*3600 {
				t.Fatalf("topic %q ttl %d", d.Topic, d.TTL)
			}
		}
		h.db.Read(t.Context(), func(tx *store.Tx) (err error) { pending, err = tx.PendingPushes(t.Context()); return err })
		if pending != 0 {
			t.Fatalf("%d pushes still queued", pending)
		}
		var helperSubs int
		h.db.Read(t.Context(), func(tx *store.Tx) error {
			return tx.Get(t.Context(), &helperSubs, `SELECT COUNT(*) FROM push_subscription WHERE user_id = ?`, r.helper.ID)
		})
		if helperSubs != 0 {
			t.Fatal("a subscription answered 410 was kept")
		}
	})
}

// TestPushRetriesLater: 429 and 5xx keep the row for a later attempt, no
// sooner than Retry-After; the next attempt delivers.
func TestPushRetriesLater(t *testing.T) {
	rcv := pushtest.Start(t)
	keys, _ := notify.GenerateVAPIDKeys()
	allow, _ := notify.NewAllowList([]string{rcv.Host()}, true)
	h := newHarnessDeps(t, "sqlite", mustDisk(t), func(d *api.Deps) { d.PushAllow = allow })
	r := h.mustRegion()
	sender, _ := notify.NewSender(notify.SenderConfig{Keys: keys, Subject: "ops@tsunagu.example.jp", AllowedHosts: []string{rcv.Host()}, LoopbackHTTP: true})
	worker := &notify.Worker{DB: h.db, Sender: sender, Now: h.clock.Now}
	sub := rcv.NewSubscription()
	r.doctorC.must(204, "POST", "/api/v1/push/subscriptions", map[string]any{"endpoint": sub.Endpoint, "keys": map[string]any{"p256dh": sub.P256dh, "auth": sub.Auth}})
	rcv.Respond(sub, pushtest.Response{Status: 429, RetryAfter: "120"})
	r.nurseC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": newID(), "kind": "note", "occurred_at": "2026-11-20T09:00:00Z", "text": "メモ"})
	worker.RunOnce(t.Context())
	if n, _ := worker.RunOnce(t.Context()); n != 0 {
		t.Fatal("a throttled push was tried again at once")
	}
	rcv.Respond(sub, pushtest.Response{})
	h.clock.Advance(2*time.Minute + time.Second)
	if n, _ := worker.RunOnce(t.Context()); n != 1 {
		t.Fatal("the push was not retried after Retry-After")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := rcv.Wait(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

// blockingSender holds every send until its context ends, like a push
// service that never answers, and reports how long the send was given.
type blockingSender struct{ given chan time.Duration }

func (b blockingSender) Send(ctx context.Context, _ notify.Message) (notify.Outcome, time.Duration, error) {
	given := time.Duration(-1)
	if dl, ok := ctx.Deadline(); ok {
		given = time.Until(dl)
	}
	b.given <- given
	<-ctx.Done()
	return notify.Retry, 0, ctx.Err()
}

// TestPushLeaseExpires: rows claimed by a worker that died are sent once
// its lease runs out, and not before; a worker whose lease ran out cannot
// release a row another worker has claimed since; and a send never runs
// past its lease.
func TestPushLeaseExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		p := newPushRig(t, engine)
		r, h, ctx := p.r, p.h, t.Context()
		p.subscribe("doctor", r.doctorC)
		lease := 2 * time.Second
		p.worker.Claim = lease
		claim := func() []store.OutboxItem {
			t.Helper()
			var items []store.OutboxItem
			now := h.clock.Now()
			if err := h.db.Write(ctx, func(tx *store.Tx) (err error) { items, err = tx.ClaimPushes(ctx, now, now.Add(lease), 10); return err }); err != nil {
				t.Fatal(err)
			}
			return items
		}
		r.nurseC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": newID(), "kind": "note", "occurred_at": "2026-11-20T09:00:00Z", "text": "メモ"})

		// A worker claims the row and dies.
		dead := claim()
		if len(dead) != 1 || !dead[0].ClaimedUntil.Valid {
			t.Fatalf("claimed %+v", dead)
		}
		if n, _ := p.worker.RunOnce(ctx); n != 0 {
			t.Fatal("a row under a live lease was claimed again")
		}
		h.clock.Advance(lease + time.Millisecond)
		// Another worker claims it, and the dead one's late release must
		// not hand it to a third.
		second := claim()
		if len(second) != 1 {
			t.Fatalf("an expired claim was not claimable: %+v", second)
		}
		if err := h.db.Write(ctx, func(tx *store.Tx) error {
			return tx.RetryPush(ctx, dead[0].ID, dead[0].ClaimedUntil.Time, h.clock.Now())
		}); err != nil {
			t.Fatal(err)
		}
		if n, _ := p.worker.RunOnce(ctx); n != 0 {
			t.Fatal("a stale worker released a row another worker holds")
		}
		h.clock.Advance(lease + time.Millisecond)
		if n, err := p.worker.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("after the second lease ran out: claimed %d, %v", n, err)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if got, err := p.rcv.Wait(wctx, 1); err != nil || len(got) != 1 {
			t.Fatalf("delivered %d: %v", len(got), err)
		}

		// A push service that never answers: the send is cut off before
		// the lease ends, so no other worker can send it meanwhile.
		r.nurseC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/records", map[string]any{"id": newID(), "kind": "note", "occurred_at": "2026-11-20T09:00:00Z", "text": "メモ"})
		sender := blockingSender{given: make(chan time.Duration, 1)}
		slow := &notify.Worker{DB: h.db, Sender: sender, Now: h.clock.Now, Claim: lease}
		if n, _ := slow.RunOnce(ctx); n != 1 {
			t.Fatal("the row was not claimed")
		}
		if given := <-sender.given; given <= 0 || given > lease-lease/10 {
			t.Fatalf("a send was given %v under a %v lease", given, lease)
		}
		var retry store.OutboxItem
		h.db.Read(ctx, func(tx *store.Tx) error {
			return tx.Get(ctx, &retry, `SELECT id, not_before, claimed_until FROM outbox`)
		})
		if retry.ClaimedUntil.Valid || !retry.NotBefore.After(h.clock.Now()) {
			t.Fatalf("the cut-off send was not released for a later retry: %+v", retry)
		}
	})
}
