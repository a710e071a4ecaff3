package api_test

import (
	"context"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"tsunagu/api"
	"tsunagu/internal/care"
	tmail "tsunagu/internal/mail"
	"tsunagu/internal/mail/mailpittest"
	"tsunagu/internal/notify"
	"tsunagu/internal/notify/pushtest"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// testPrefs is a preferences body: every kind on channel, quiet hours from
// start to end when quiet.
func testPrefs(channel string, quiet bool, start, end string) map[string]any {
	kinds := map[string]any{}
	for _, k := range notify.EventKinds {
		kinds[k] = channel
	}
	return map[string]any{"kinds": kinds, "quiet_hours": map[string]any{"enabled": quiet, "start": start, "end": end}, "email_hourly": false}
}

// mailRig is a harness that sends e-mail (to a mailpit) and pushes (to a
// local push receiver), with the two outbox workers.
type mailRig struct {
	h      *harness
	r      *region
	mp     *mailpittest.Server
	mailer *tmail.Worker
	rcv    *pushtest.Receiver
}

func newMailRig(t testing.TB, engine string, deps ...func(*api.Deps)) *mailRig {
	t.Helper()
	mp := mailpittest.Start(t)
	rcv := pushtest.Start(t)
	keys, err := notify.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
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
	cfg, err := tmail.ParseURL("smtp://"+mp.SMTPAddr, "tsunagu@example.jp")
	if err != nil {
		t.Fatal(err)
	}
	w := &tmail.Worker{DB: h.db, Transport: tmail.NewSender(cfg), From: mail.Address{Address: "tsunagu@example.jp"},
		AppURL: "https://tsunagu.example.jp", Now: h.clock.Now}
	return &mailRig{h: h, r: h.mustRegion(), mp: mp, mailer: w, rcv: rcv}
}

// queued is how many pushes and mails wait in the outbox; it then empties
// the push side (its delivery has tests of its own).
func (m *mailRig) queued(t *testing.T) (pushes, mails int) {
	t.Helper()
	ctx := context.Background()
	err := m.h.db.Write(ctx, func(tx *store.Tx) (err error) {
		if pushes, err = tx.PendingPushes(ctx); err != nil {
			return err
		}
		if mails, err = tx.PendingMail(ctx); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM outbox`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return pushes, mails
}

// send runs the mail worker once.
func (m *mailRig) send(t *testing.T) int {
	t.Helper()
	n, err := m.mailer.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (m *mailRig) note(t testing.TB, text string) {
	t.Helper()
	m.r.nurseC.must(201, "POST", "/api/v1/patients/"+m.r.patientID+"/records", map[string]any{"id": newID(), "kind": "note",
		"occurred_at": m.h.clock.Now().Add(-time.Minute), "text": text})
}

var confirmLink = regexp.MustCompile(`https://tsunagu\.example\.jp/#/settings/notifications\?confirm=([A-Za-z0-9_-]+)`)

// TestMailNotifications: a new record reaches by e-mail exactly the
// readers with a verified address — not the author, not an unverified
// address — with generic text and no patient data (canary); preferences
// choose the channels for push and e-mail alike; quiet hours drop the push
// and hold the mail to their end; hourly gathering sends one message.
func TestMailNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		m := newMailRig(t, engine)
		r, h := m.r, m.h
		const canaryText = "カナリア本文 褥瘡の悪化"

		// The defaults: push and e-mail for everything, no address yet.
		var prefs struct {
			Kinds         map[string]string `json:"kinds"`
			EmailHourly   bool              `json:"email_hourly"`
			MailAvailable bool              `json:"mail_available"`
			Email         struct {
				Address  string `json:"address"`
				Verified bool   `json:"verified"`
			} `json:"email"`
		}
		r.doctorC.must(200, "GET", "/api/v1/me/notification-preferences", nil).json(t, &prefs)
		if prefs.Kinds["record"] != "both" || prefs.Kinds["urgent"] != "both" || !prefs.MailAvailable || prefs.Email.Address != "" || prefs.EmailHourly {
			t.Fatalf("defaults: %+v", prefs)
		}
		sub := m.rcv.NewSubscription()
		r.doctorC.must(204, "POST", "/api/v1/push/subscriptions", map[string]any{"endpoint": sub.Endpoint, "keys": map[string]any{"p256dh": sub.P256dh, "auth": sub.Auth}})

		// Registering sends a confirmation link, and nothing else.
		r.doctorC.must(200, "PUT", "/api/v1/me/email", map[string]any{"address": "doctor@example.jp"})
		r.helperC.must(200, "PUT", "/api/v1/me/email", map[string]any{"address": "helper@example.jp"})
		if res := r.nurseC.do("PUT", "/api/v1/me/email", map[string]any{"address": "看護師 <nurse@example.jp>"}); res.status != 422 || strings.Contains(res.body, "nurse@") {
			t.Fatalf("a display name: %d %s", res.status, res.body)
		}
		// A second confirmation mail within the minute is refused.
		if res := r.helperC.do("PUT", "/api/v1/me/email", map[string]any{"address": "stranger@example.jp"}); res.status != 429 || res.code() != care.CodeEmailTooSoon {
			t.Fatalf("a second address at once: %d %s", res.status, res.body)
		}
		m.note(t, "未確認の間")
		if p, ml := m.queued(t); p != 1 || ml != 2 { // the doctor's push; two confirmation mails
			t.Fatalf("unverified: %d pushes, %d mails queued", p, ml)
		}
		m.send(t)
		links := map[string]string{}
		for _, msg := range m.mp.Wait(t, 2) {
			if msg.Subject != "つなぐ: メールアドレスの確認" {
				t.Fatalf("confirmation subject %q", msg.Subject)
			}
			links[msg.To[0]] = confirmLink.FindStringSubmatch(msg.Text)[1]
		}
		// Only one's own link confirms, and only once.
		if res := r.nurseC.do("POST", "/api/v1/me/email/confirm", map[string]any{"token": links["doctor@example.jp"]}); res.status != 422 || res.code() != care.CodeEmailTokenInvalid {
			t.Fatalf("another's token: %d %s", res.status, res.body)
		}
		r.doctorC.must(200, "POST", "/api/v1/me/email/confirm", map[string]any{"token": links["doctor@example.jp"]})
		if res := r.doctorC.do("POST", "/api/v1/me/email/confirm", map[string]any{"token": links["doctor@example.jp"]}); res.status != 422 {
			t.Fatalf("a used token: %d", res.status)
		}
		m.mp.Clear(t)

		// A record: a mail to the doctor only (the helper's address is not
		// verified; the nurse wrote it), generic, without the patient.
		m.note(t, canaryText)
		if p, ml := m.queued(t); p != 1 || ml != 1 {
			t.Fatalf("verified: %d pushes, %d mails", p, ml)
		}
		m.send(t)
		msgs := m.mp.Wait(t, 1)
		if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "doctor@example.jp" || msgs[0].Subject != "つなぐ: 新しい記録があります" ||
			!strings.Contains(msgs[0].Text, "https://tsunagu.example.jp/") {
			t.Fatalf("record mail: %+v", msgs)
		}
		for _, leak := range []string{canaryName, "カナリア", "見本", "褥瘡", r.patientID, "架空県"} {
			if strings.Contains(msgs[0].Raw, leak) || strings.Contains(msgs[0].Text, leak) {
				t.Fatalf("the mail carries %q: %s", leak, msgs[0].Raw)
			}
		}
		m.mp.Clear(t)

		// Push only, then e-mail only, then none.
		for _, c := range []struct {
			channel       string
			pushes, mails int
		}{{"push", 1, 0}, {"email", 0, 1}, {"none", 0, 0}} {
			r.doctorC.must(200, "PUT", "/api/v1/me/notification-preferences", testPrefs(c.channel, false, "22:00", "07:00"))
			m.note(t, canaryText)
			if p, ml := m.queued(t); p != c.pushes || ml != c.mails {
				t.Fatalf("%s: %d pushes, %d mails", c.channel, p, ml)
			}
			m.send(t)
		}
		m.mp.Wait(t, 1)
		m.mp.Clear(t)

		// Quiet hours 09:00–10:00 JST; the clock reads 09:30 JST. The push
		// is dropped, the mail waits for 10:00.
		if now := h.clock.Now().In(notify.Tokyo); now.Hour() != 9 {
			t.Fatalf("the test clock moved: %v", now)
		}
		r.doctorC.must(200, "PUT", "/api/v1/me/notification-preferences", testPrefs("both", true, "09:00", "10:00"))
		m.note(t, canaryText)
		m.note(t, canaryText)
		if p, ml := m.queued(t); p != 0 || ml != 2 {
			t.Fatalf("quiet: %d pushes, %d mails", p, ml)
		}
		if n := m.send(t); n != 0 || m.mp.Count(t) != 0 {
			t.Fatalf("quiet hours: %d mails claimed", n)
		}
		h.clock.Advance(31 * time.Minute)
		r.doctorC, r.nurseC = h.signIn(r.doctor), h.signIn(r.nurse) // idle sessions ended meanwhile
		m.send(t)
		msgs = m.mp.Wait(t, 1)
		if len(msgs) != 1 || msgs[0].Subject != "つなぐ: 新しいお知らせがあります（2件）" || !strings.Contains(msgs[0].Text, "新しい記録: 2件") {
			t.Fatalf("after quiet hours: %+v", msgs)
		}
		m.mp.Clear(t)

		// Hourly gathering: two records at 10:01 leave as one mail at 11:00;
		// the push still goes at once.
		body := testPrefs("both", false, "22:00", "07:00")
		body["email_hourly"] = true
		r.doctorC.must(200, "PUT", "/api/v1/me/notification-preferences", body)
		m.note(t, canaryText)
		m.note(t, canaryText)
		if p, ml := m.queued(t); p != 2 || ml != 2 {
			t.Fatalf("hourly: %d pushes, %d mails", p, ml)
		}
		if n := m.send(t); n != 0 {
			t.Fatalf("hourly: sent before the hour")
		}
		h.clock.Advance(59 * time.Minute)
		r.doctorC, r.nurseC = h.signIn(r.doctor), h.signIn(r.nurse)
		m.send(t)
		if msgs = m.mp.Wait(t, 1); len(msgs) != 1 || msgs[0].Subject != "つなぐ: 新しいお知らせがあります（2件）" {
			t.Fatalf("hourly mail: %+v", msgs)
		}

		// A visit follows the visit preference: e-mail only, so no push;
		// its mail names neither the patient nor the note.
		prefsVisit := testPrefs("both", false, "22:00", "07:00")
		prefsVisit["kinds"].(map[string]any)["visit"] = "email"
		r.doctorC.must(200, "PUT", "/api/v1/me/notification-preferences", prefsVisit)
		m.mp.Clear(t)
		mustVisit(t, r.nurseC, r, map[string]any{"kind": "doctor_visit", "assignee_ids": []string{r.doctor.ID},
			"starts_at": "2026-11-24T14:00:00+09:00", "ends_at": "2026-11-24T14:30:00+09:00", "note": canaryName + "さん宅 " + canaryText})
		if p, ml := m.queued(t); p != 0 || ml != 1 {
			t.Fatalf("visit: %d pushes, %d mails", p, ml)
		}
		m.send(t)
		if msgs = m.mp.Wait(t, 1); len(msgs) != 1 || msgs[0].Subject != "つなぐ: 新しい訪問予定があります" || strings.Contains(msgs[0].Raw+msgs[0].Text+msgs[0].Subject, "カナリア") {
			t.Fatalf("visit mail: %+v", msgs)
		}

		// Forgetting the address stops the mail.
		r.doctorC.must(204, "DELETE", "/api/v1/me/email", nil)
		m.note(t, canaryText)
		if _, ml := m.queued(t); ml != 0 {
			t.Fatalf("after delete: %d mails", ml)
		}
	})
}

// TestNotificationPreferencesInput: bad channels and clock times are 422
// naming the field; the same start and end are refused; what is saved is
// what is read back.
func TestNotificationPreferencesInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{testPrefs("sms", false, "22:00", "07:00"), "kinds"},
			{testPrefs("push", true, "25:00", "07:00"), "start"},
			{testPrefs("push", true, "22:00", "22:00"), "quiet_hours"},
		} {
			res := r.nurseC.do("PUT", "/api/v1/me/notification-preferences", c.body)
			if res.status != 422 || !strings.Contains(res.body, c.field) {
				t.Errorf("%v: %d %s", c.body, res.status, res.body)
			}
		}
		body := testPrefs("email", true, "21:30", "06:00")
		body["kinds"].(map[string]any)["urgent"] = "both"
		var got struct {
			Kinds      map[string]string `json:"kinds"`
			QuietHours struct {
				Enabled    bool
				Start, End string
			} `json:"quiet_hours"`
		}
		r.nurseC.must(200, "PUT", "/api/v1/me/notification-preferences", body)
		r.nurseC.must(200, "GET", "/api/v1/me/notification-preferences", nil).json(t, &got)
		if got.Kinds["record"] != "email" || got.Kinds["urgent"] != "both" || !got.QuietHours.Enabled || got.QuietHours.Start != "21:30" || got.QuietHours.End != "06:00" {
			t.Fatalf("read back: %+v", got)
		}
		// Without an SMTP server no address is taken.
		if res := r.nurseC.do("PUT", "/api/v1/me/email", map[string]any{"address": "nurse@example.jp"}); res.status != 409 || res.code() != care.CodeMailDisabled {
			t.Fatalf("no SMTP: %d %s", res.status, res.body)
		}
	})
}
