package api_test

import (
	"context"
	"encoding/json"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"tsunagu/api"
	tmail "tsunagu/internal/mail"
	"tsunagu/internal/mail/mailpittest"
	"tsunagu/internal/notify"
	"tsunagu/internal/notify/pushtest"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// channelRig is a server that pushes (through the real sender, to the
// local push receiver, which decrypts) and mails (to a mailpit), with the
// region's three members subscribed and, for those named, a verified
// address.
type channelRig struct {
	h      *harness
	r      *region
	rcv    *pushtest.Receiver
	pusher *notify.Worker
	mp     *mailpittest.Server
	mailer *tmail.Worker
	who    map[string]string // push endpoint → member name
	seen   int
}

func newChannelRig(t testing.TB, engine string, deps ...func(*api.Deps)) *channelRig {
	t.Helper()
	mp := mailpittest.Start(t)
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
		d.MailEnabled = true
		for _, f := range deps {
			f(d)
		}
	})
	sender, err := notify.NewSender(notify.SenderConfig{Keys: keys, Subject: "ops@tsunagu.example.jp", AllowedHosts: []string{rcv.Host()}, LoopbackHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := tmail.ParseURL("smtp://"+mp.SMTPAddr, "tsunagu@example.jp")
	if err != nil {
		t.Fatal(err)
	}
	m := &channelRig{h: h, r: h.mustRegion(), rcv: rcv, mp: mp, who: map[string]string{},
		pusher: &notify.Worker{DB: h.db, Sender: sender, Now: h.clock.Now},
		mailer: &tmail.Worker{DB: h.db, Transport: tmail.NewSender(cfg), From: mail.Address{Address: "tsunagu@example.jp"},
			AppURL: "https://tsunagu.example.jp", Now: h.clock.Now}}
	for name, c := range map[string]*client{"doctor": m.r.doctorC, "nurse": m.r.nurseC, "helper": m.r.helperC} {
		s := rcv.NewSubscription()
		c.must(204, "POST", "/api/v1/push/subscriptions", map[string]any{"endpoint": s.Endpoint, "keys": map[string]any{"p256dh": s.P256dh, "auth": s.Auth}})
		m.who[s.Endpoint] = name
	}
	return m
}

// verify gives user a verified address.
func (m *channelRig) verify(t testing.TB, userID, address string) {
	t.Helper()
	ctx := context.Background()
	if err := m.h.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.SetUserEmail(ctx, userID, address, "h", m.h.clock.Now().Add(time.Hour), m.h.clock.Now()); err != nil {
			return err
		}
		_, err := tx.VerifyUserEmail(ctx, userID, "h", m.h.clock.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// channelCanary is in every message the tests write: no push and no mail
// may carry it.
const channelCanary = "カナリア連絡 褥瘡の悪化"

// expect sends what is queued and checks that exactly the pushes (as
// "member:type") and mails (as "address:subject") in want arrived, each
// generic: the payload names the patient and the message by id only,
// with the text of its type; the mail names neither the patient nor the
// message.
func (m *channelRig) expect(t *testing.T, step, messageID string, pushes, mails []string) {
	t.Helper()
	ctx := t.Context()
	var pending int
	m.h.db.Read(ctx, func(tx *store.Tx) (err error) { pending, err = tx.PendingPushes(ctx); return err })
	if pending != len(pushes) {
		t.Fatalf("%s: %d pushes queued, want %v", step, pending, pushes)
	}
	var got []string
	if len(pushes) > 0 {
		if _, err := m.pusher.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		all, err := m.rcv.Wait(wctx, m.seen+len(pushes))
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		for _, d := range all[m.seen:] {
			text := string(d.Plaintext)
			var pl struct {
				Type      string `json:"type"`
				PatientID string `json:"patient_id"`
				MessageID string `json:"message_id"`
				RecordID  string `json:"record_id"`
				Title     string `json:"title"`
				Body      string `json:"body"`
				Tag       string `json:"tag"`
			}
			if err := json.Unmarshal(d.Plaintext, &pl); err != nil {
				t.Fatal(err)
			}
			body := map[string]string{"message": "新しい連絡があります", "mention": "あなた宛ての連絡があります", "urgent": "至急の連絡があります"}[pl.Type]
			if strings.Contains(text, "カナリア") || strings.Contains(text, "褥瘡") || pl.PatientID != m.r.patientID || pl.MessageID != messageID ||
				pl.RecordID != "" || pl.Title != "つなぐ" || body == "" || pl.Body != body || pl.Tag != notify.MessageTag(pl.Type, m.r.patientID) ||
				d.Topic != testTopics.For(notify.MessageTag(pl.Type, m.r.patientID)) {
				t.Fatalf("%s: payload %s, topic %q", step, text, d.Topic)
			}
			got = append(got, m.who[d.Endpoint]+":"+pl.Type)
		}
		m.seen = len(all)
	}
	slices.Sort(got)
	pushes = slices.Clone(pushes)
	slices.Sort(pushes)
	if !slices.Equal(got, pushes) {
		t.Fatalf("%s: pushed %v, want %v", step, got, pushes)
	}

	if _, err := m.mailer.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	var gotMail []string
	if len(mails) > 0 {
		for _, msg := range m.mp.Wait(t, len(mails)) {
			for _, leak := range []string{"カナリア", "褥瘡", m.r.patientID, messageID, "架空県"} {
				if strings.Contains(msg.Raw, leak) || strings.Contains(msg.Text, leak) || strings.Contains(msg.Subject, leak) {
					t.Fatalf("%s: the mail carries %q: %s", step, leak, msg.Raw)
				}
			}
			gotMail = append(gotMail, strings.Join(msg.To, ",")+":"+msg.Subject)
		}
	} else if n := m.mp.Count(t); n != 0 {
		t.Fatalf("%s: %d mails, want none", step, n)
	}
	m.mp.Clear(t)
	slices.Sort(gotMail)
	mails = slices.Clone(mails)
	slices.Sort(mails)
	if !slices.Equal(gotMail, mails) {
		t.Fatalf("%s: mailed %v, want %v", step, gotMail, mails)
	}
}

const (
	subjMessage = "つなぐ: 新しい連絡があります"
	subjMention = "つなぐ: あなた宛ての連絡があります"
	subjUrgent  = "つなぐ: 至急の連絡があります"
)

// TestMessageNotifications: a message reaches every other member once, as
// its most pressing kind (urgent > mention > message), by push and by
// e-mail as each one's preferences choose; quiet hours drop a plain
// message's push and hold its mail, and let mentions and urgent ones
// through; the author is never told; no push or mail names the patient or
// carries the text.
func TestMessageNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		m := newChannelRig(t, engine)
		r, h := m.r, m.h
		m.verify(t, r.doctor.ID, "doctor@example.jp")
		m.verify(t, r.helper.ID, "helper@example.jp")
		send := func(body map[string]any) string {
			body["text"] = channelCanary
			return r.nurseC.mustMessage(t, r.patientID, body).ID
		}

		id := send(map[string]any{})
		m.expect(t, "plain", id, []string{"doctor:message", "helper:message"},
			[]string{"doctor@example.jp:" + subjMessage, "helper@example.jp:" + subjMessage})

		id = send(map[string]any{"mentions": []string{r.doctor.ID}})
		m.expect(t, "mention", id, []string{"doctor:mention", "helper:message"},
			[]string{"doctor@example.jp:" + subjMention, "helper@example.jp:" + subjMessage})

		// Urgent outranks a mention: one notice each.
		id = send(map[string]any{"mentions": []string{r.doctor.ID}, "urgent": true})
		m.expect(t, "urgent", id, []string{"doctor:urgent", "helper:urgent"},
			[]string{"doctor@example.jp:" + subjUrgent, "helper@example.jp:" + subjUrgent})

		// The care worker hears of mentions only: a mention of the doctor
		// reaches the doctor alone, by push and by mail.
		prefs := testPrefs("both", false, "22:00", "07:00")
		prefs["kinds"].(map[string]any)["message"] = "none"
		r.helperC.must(200, "PUT", "/api/v1/me/notification-preferences", prefs)
		id = send(map[string]any{"mentions": []string{r.doctor.ID}})
		m.expect(t, "mention only", id, []string{"doctor:mention"}, []string{"doctor@example.jp:" + subjMention})
		// A mention of the care worker still reaches her.
		id = send(map[string]any{"mentions": []string{r.helper.ID}})
		m.expect(t, "mention of the care worker", id, []string{"doctor:message", "helper:mention"},
			[]string{"doctor@example.jp:" + subjMessage, "helper@example.jp:" + subjMention})

		// The doctor's quiet hours (the clock reads 09:30 JST): a plain
		// message's push is dropped and its mail held to their end; a
		// mention and an urgent message get through at once.
		if now := h.clock.Now().In(notify.Tokyo); now.Hour() != 9 {
			t.Fatalf("the test clock moved: %v", now)
		}
		r.doctorC.must(200, "PUT", "/api/v1/me/notification-preferences", testPrefs("both", true, "09:00", "10:00"))
		id = send(map[string]any{})
		m.expect(t, "quiet, plain", id, nil, nil)
		id = send(map[string]any{"mentions": []string{r.doctor.ID}})
		m.expect(t, "quiet, mention", id, []string{"doctor:mention"}, []string{"doctor@example.jp:" + subjMention})
		id = send(map[string]any{"urgent": true})
		m.expect(t, "quiet, urgent", id, []string{"doctor:urgent", "helper:urgent"},
			[]string{"doctor@example.jp:" + subjUrgent, "helper@example.jp:" + subjUrgent})
		h.clock.Advance(31 * time.Minute)
		if _, err := m.mailer.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		held := m.mp.Wait(t, 1)
		if len(held) != 1 || held[0].To[0] != "doctor@example.jp" || strings.Contains(held[0].Raw, "カナリア") {
			t.Fatalf("the held mail after quiet hours: %+v", held)
		}
		m.mp.Clear(t)

		// Nothing to anyone who has left the team.
		r.doctorC = h.signIn(r.doctor)
		r.nurseC = h.signIn(r.nurse)
		r.doctorC.must(204, "DELETE", "/api/v1/patients/"+r.patientID+"/team/"+r.helper.ID, nil)
		id = send(map[string]any{"urgent": true})
		m.expect(t, "care worker removed", id, []string{"doctor:urgent"}, []string{"doctor@example.jp:" + subjUrgent})
	})
}
