package api_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"tsunagu/api"
	"tsunagu/internal/notify"
	"tsunagu/internal/notify/pushtest"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// pushRig is a harness whose push subscriptions point at a local receiver,
// with a worker that sends the outbox to it.
type pushRig struct {
	h      *harness
	r      *region
	rcv    *pushtest.Receiver
	worker *notify.Worker
	who    map[string]string // endpoint → member name
	seen   int               // deliveries already checked
}

func newPushRig(t *testing.T, engine string) *pushRig {
	t.Helper()
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
	sender, err := notify.NewSender(notify.SenderConfig{Keys: keys, Subject: "ops@tsunagu.example.jp", AllowedHosts: []string{rcv.Host()}, LoopbackHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	return &pushRig{h: h, r: h.mustRegion(), rcv: rcv, worker: &notify.Worker{DB: h.db, Sender: sender, Now: h.clock.Now}, who: map[string]string{}}
}

// subscribe registers a new push subscription of c under name.
func (p *pushRig) subscribe(name string, c *client) {
	s := p.rcv.NewSubscription()
	c.must(204, "POST", "/api/v1/push/subscriptions", map[string]any{"endpoint": s.Endpoint, "keys": map[string]any{"p256dh": s.P256dh, "auth": s.Auth}})
	p.who[s.Endpoint] = name
}

// deliver checks that exactly len(want) pushes are queued, sends them and
// returns what the receiver decrypted of them (nil when none are wanted).
func (p *pushRig) deliver(t *testing.T, step string, want []string) []pushtest.Delivery {
	t.Helper()
	ctx := t.Context()
	var pending int
	p.h.db.Read(ctx, func(tx *store.Tx) (err error) { pending, err = tx.PendingPushes(ctx); return err })
	if pending != len(want) {
		t.Fatalf("%s: %d pushes queued, want %d (%v)", step, pending, len(want), want)
	}
	if len(want) == 0 {
		return nil
	}
	if _, err := p.worker.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	all, err := p.rcv.Wait(wctx, p.seen+len(want))
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	got := all[p.seen:]
	p.seen = len(all)
	return got
}

// expectVisitPush checks that exactly the named members were queued a push
// about visit visitID, sends them, decrypts them and checks the payload:
// opaque ids, the generic text, the patient's topic, nothing of the note
// or the patient's name.
func (p *pushRig) expectVisitPush(t *testing.T, step, visitID string, created bool, want ...string) {
	t.Helper()
	got := p.deliver(t, step, want)
	var names []string
	for _, d := range got {
		names = append(names, p.who[d.Endpoint])
		text := string(d.Plaintext)
		if strings.Contains(text, "カナリア") || strings.Contains(text, "見本") || strings.Contains(text, "玄関") {
			t.Fatalf("%s: payload carries patient details: %s", step, text)
		}
		var pl struct {
			Type      string `json:"type"`
			PatientID string `json:"patient_id"`
			VisitID   string `json:"visit_id"`
			RecordID  string `json:"record_id"`
			Title     string `json:"title"`
			Body      string `json:"body"`
		}
		if err := json.Unmarshal(d.Plaintext, &pl); err != nil {
			t.Fatal(err)
		}
		body := "訪問予定が変更されました"
		if created {
			body = "新しい訪問予定があります"
		}
		if pl.Type != "visit" || pl.PatientID != p.r.patientID || pl.VisitID != visitID || pl.RecordID != "" || pl.Title != "つなぐ" || pl.Body != body {
			t.Fatalf("%s: payload %s", step, text)
		}
		if d.Topic != testTopics.For(p.r.patientID) {
			t.Fatalf("%s: topic %q is not the patient's", step, d.Topic)
		}
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("%s: pushed to %v, want %v", step, names, want)
	}
}

// TestVisitNotifiesAssignees plans and changes visits over HTTP and through
// sync push, and follows each change to the lock screens: the assignees
// (added, removed and current) hear of a new visit, a move, a cancellation
// and a change of hands; the author never does, nor members who are not
// assigned, nor a former assignee who has left the team; a note or "done"
// pushes nothing.
func TestVisitNotifiesAssignees(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		p := newPushRig(t, engine)
		r := p.r
		p.subscribe("doctor", r.doctorC)
		p.subscribe("nurse", r.nurseC)
		p.subscribe("nurse", r.nurseC) // a second iPad of the nurse
		p.subscribe("helper", r.helperC)
		note := canaryName + "さん宅、玄関の鍵は植木鉢の下"

		v := mustVisit(t, r.doctorC, r, map[string]any{"kind": "doctor_visit", "assignee_ids": []string{r.doctor.ID, r.nurse.ID},
			"starts_at": rfc("2026-11-24 14:00"), "ends_at": rfc("2026-11-24 14:30"), "note": note})
		p.expectVisitPush(t, "create", v.ID, true, "nurse", "nurse")

		patch := func(c *client, body map[string]any) {
			t.Helper()
			body["base_version"] = v.Version
			c.must(200, "PATCH", "/api/v1/visits/"+v.ID, body).json(t, &v)
		}
		patch(r.doctorC, map[string]any{"note": note + "。駐車場あり"})
		p.expectVisitPush(t, "note", v.ID, false)
		patch(r.helperC, map[string]any{"starts_at": rfc("2026-11-24 15:00")})
		p.expectVisitPush(t, "moved by a non-assignee", v.ID, false, "doctor", "nurse", "nurse")
		patch(r.doctorC, map[string]any{"assignee_ids": []string{r.helper.ID}})
		p.expectVisitPush(t, "reassigned", v.ID, false, "nurse", "nurse", "helper")
		patch(r.nurseC, map[string]any{"status": "cancelled"})
		p.expectVisitPush(t, "cancelled", v.ID, false, "helper")
		patch(r.helperC, map[string]any{"status": "planned"})
		p.expectVisitPush(t, "restored by the assignee", v.ID, false)
		patch(r.helperC, map[string]any{"status": "done"})
		p.expectVisitPush(t, "done", v.ID, false)

		// The same through sync push, as the app sends it offline: a
		// series, then one occurrence of it moved.
		device := newID()
		series := newID()
		a := r.nurseC.push(device, []mutation{{ID: newID(), Seq: 1, Type: "visit.create", Args: map[string]any{"patient_id": r.patientID,
			"id": series, "kind": "nurse_visit", "assignee_ids": []string{r.doctor.ID, r.helper.ID, r.nurse.ID}, "note": note,
			"starts_at": rfc("2026-11-02 10:00"), "ends_at": rfc("2026-11-02 10:45"),
			"recurrence": map[string]any{"freq": "weekly", "interval": 1, "by_day": []string{"MO", "TH"}, "until": "2026-12-31"}}}})
		if a.Results[0].Status != "applied" {
			t.Fatalf("visit.create: %+v", a.Results[0])
		}
		p.expectVisitPush(t, "sync create", series, true, "doctor", "helper")
		one := int64(1)
		a = r.nurseC.push(device, []mutation{{ID: newID(), Seq: 2, Type: "visit.update", BaseVersion: &one, Args: map[string]any{"visit_id": series,
			"occurrence_start": rfc("2026-11-05 10:00"), "starts_at": rfc("2026-11-05 13:00")}}})
		if a.Results[0].Status != "applied" {
			t.Fatalf("visit.update: %+v", a.Results[0])
		}
		p.expectVisitPush(t, "sync occurrence moved", series, false, "doctor", "helper")
		// A rejected mutation queues nothing.
		a = r.nurseC.push(device, []mutation{{ID: newID(), Seq: 3, Type: "visit.update", BaseVersion: &one, Args: map[string]any{"visit_id": series,
			"starts_at": rfc("2026-11-02 11:00")}}})
		if a.Results[0].Status != "conflict" {
			t.Fatalf("stale visit.update: %+v", a.Results[0])
		}
		p.expectVisitPush(t, "conflict", series, false)

		// The helper leaves the team: still listed on the series, but no
		// longer told about the patient.
		r.doctorC.must(204, "DELETE", "/api/v1/patients/"+r.patientID+"/team/"+r.helper.ID, nil)
		two := int64(2)
		a = r.nurseC.push(device, []mutation{{ID: newID(), Seq: 4, Type: "visit.update", BaseVersion: &two, Args: map[string]any{"visit_id": series,
			"status": "cancelled"}}})
		if a.Results[0].Status != "applied" {
			t.Fatalf("visit.update: %+v", a.Results[0])
		}
		p.expectVisitPush(t, "series cancelled", series, false, "doctor")
	})
}
