package api_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

type mutation struct {
	ID          string         `json:"id"`
	Seq         int64          `json:"seq"`
	Type        string         `json:"type"`
	Args        map[string]any `json:"args"`
	BaseVersion *int64         `json:"base_version,omitempty"`
}

type pushAnswer struct {
	Results []struct {
		ID      string          `json:"id"`
		Status  string          `json:"status"`
		Entity  json.RawMessage `json:"entity"`
		Problem *struct {
			Code string `json:"code"`
		} `json:"problem"`
	} `json:"results"`
}

func (c *client) push(deviceID string, ms []mutation) pushAnswer {
	c.h.t.Helper()
	var a pushAnswer
	c.must(200, "POST", "/api/v1/sync/push", map[string]any{"device_id": deviceID, "mutations": ms}).json(c.h.t, &a)
	return a
}

type pullAnswer struct {
	Changes []struct {
		Entity    string          `json:"entity"`
		Op        string          `json:"op"`
		ID        string          `json:"id"`
		PatientID string          `json:"patient_id"`
		Data      json.RawMessage `json:"data"`
	} `json:"changes"`
	Cursor  string `json:"cursor"`
	HasMore bool   `json:"has_more"`
	Resets  []struct {
		PatientID string `json:"patient_id"`
		Action    string `json:"action"`
	} `json:"resets"`
}

func (c *client) pull(cursor string, limit int) pullAnswer {
	c.h.t.Helper()
	var a pullAnswer
	c.must(200, "GET", fmt.Sprintf("/api/v1/sync/pull?cursor=%s&limit=%d", cursor, limit), nil).json(c.h.t, &a)
	return a
}

// syncFromEmpty is a new device's first sync: the first pull names the
// patients to snapshot, each snapshot is pulled, and the cursor follows.
func (c *client) syncFromEmpty() (pullAnswer, string) {
	c.h.t.Helper()
	first := c.pull("", 500)
	all := pullAnswer{}
	for _, r := range first.Resets {
		if r.Action != "snapshot" {
			c.h.t.Fatalf("first pull reset %+v", r)
		}
		var snap pullAnswer
		c.must(200, "GET", "/api/v1/sync/pull?patient_id="+r.PatientID+"&cursor="+first.Cursor, nil).json(c.h.t, &snap)
		all.Changes = append(all.Changes, snap.Changes...)
	}
	if len(first.Changes) != 0 || first.HasMore {
		c.h.t.Fatalf("first pull carries changes: %+v", first)
	}
	return all, first.Cursor
}

// pullAll pulls until has_more is false and returns every change and the
// final cursor.
func (c *client) pullAll(cursor string, limit int) (pullAnswer, string) {
	var all pullAnswer
	for {
		a := c.pull(cursor, limit)
		all.Changes = append(all.Changes, a.Changes...)
		all.Resets = append(all.Resets, a.Resets...)
		cursor = a.Cursor
		if !a.HasMore {
			return all, cursor
		}
	}
}

func recordMutation(seq int64, patientID string) mutation {
	return mutation{ID: newID(), Seq: seq, Type: "record.create", Args: map[string]any{
		"patient_id": patientID, "id": newID(), "kind": "nursing_visit", "occurred_at": "2026-11-20T09:00:00Z",
		"text": "訪問記録", "vitals": map[string]any{"temperature_c": 36.8, "spo2": 97}}}
}

// TestPushAppliesEachMutationOnce sends the same 1,000 mutations twice in
// shuffled batches: exactly 1,000 records exist afterwards, and the second
// round answers every mutation from the ledger.
func TestPushAppliesEachMutationOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		device := newID()
		const n = 1000
		ms := make([]mutation, n)
		for i := range ms {
			ms[i] = recordMutation(int64(i+1), r.patientID)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		counts := map[string]int{}
		// First round: batches in order, each shuffled inside.
		for start := 0; start < n; start += 100 {
			batch := append([]mutation(nil), ms[start:start+100]...)
			rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
			for _, res := range r.nurseC.push(device, batch).Results {
				counts[res.Status]++
			}
		}
		// Second round: everything again, shuffled across batches.
		again := append([]mutation(nil), ms...)
		rng.Shuffle(len(again), func(i, j int) { again[i], again[j] = again[j], again[i] })
		for start := 0; start < n; start += 250 {
			for _, res := range r.nurseC.push(device, again[start:start+250]).Results {
				counts[res.Status]++
			}
		}
		if counts["applied"] != n || counts["duplicate"] != n || len(counts) != 2 {
			t.Fatalf("answers %v, want %d applied and %d duplicate", counts, n, n)
		}
		var records int
		h.db.Read(t.Context(), func(tx *store.Tx) error {
			return tx.Get(t.Context(), &records, `SELECT COUNT(*) FROM record WHERE patient_id = ?`, r.patientID)
		})
		if records != n+1 { // + the region's own record
			t.Fatalf("%d records, want %d", records, n+1)
		}
	})
}

func TestPushSequenceRejectAndConflict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		device := newID()
		// A gap is refused as a whole: nothing applied.
		if res := r.nurseC.do("POST", "/api/v1/sync/push", map[string]any{"device_id": device, "mutations": []mutation{recordMutation(2, r.patientID)}}); res.status != 400 || res.code() != care.CodeSequenceGap {
			t.Fatalf("gap: %d %s", res.status, res.body)
		}
		// An invalid mutation is rejected with its problem; later ones go on.
		bad := recordMutation(1, r.patientID)
		bad.Args["vitals"] = map[string]any{"spo2": 140}
		good := recordMutation(2, r.patientID)
		offTeam := recordMutation(3, "01900000-0000-7000-8000-00000000beef")
		a := r.nurseC.push(device, []mutation{bad, good, offTeam})
		if a.Results[0].Status != "rejected" || a.Results[0].Problem == nil || a.Results[0].Problem.Code != care.CodeValidation {
			t.Fatalf("bad vitals: %+v", a.Results[0])
		}
		if a.Results[1].Status != "applied" || a.Results[2].Status != "rejected" || a.Results[2].Problem.Code != care.CodeNotFound {
			t.Fatalf("answers: %+v", a.Results)
		}
		var denied int
		h.db.Read(t.Context(), func(tx *store.Tx) error {
			return tx.Get(t.Context(), &denied, `SELECT COUNT(*) FROM audit_event WHERE resource_id = ? AND result = 'denied'`, offTeam.ID)
		})
		if denied != 1 {
			t.Fatalf("the refused mutation left %d denied audit events, want 1", denied)
		}
		// A non-clinical member cannot write chart content offline either.
		hd := newID()
		if a := r.helperC.push(hd, []mutation{recordMutation(1, r.patientID)}); a.Results[0].Status != "rejected" || a.Results[0].Problem.Code != care.CodeChartForbidden {
			t.Fatalf("helper chart write: %+v", a.Results[0])
		}
		// Another user cannot use this device id.
		if res := r.doctorC.do("POST", "/api/v1/sync/push", map[string]any{"device_id": device, "mutations": []mutation{}}); res.status != 403 {
			t.Fatalf("foreign device: %d %s", res.status, res.body)
		}
		// Visits: a stale base_version is a conflict carrying the current visit.
		var v struct {
			ID      string
			Version int64
		}
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/visits", map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
			"starts_at": "2026-11-24T10:00:00+09:00", "ends_at": "2026-11-24T10:45:00+09:00"}).json(t, &v)
		r.doctorC.must(200, "PATCH", "/api/v1/visits/"+v.ID, map[string]any{"base_version": 1, "starts_at": "2026-11-24T14:00:00+09:00", "ends_at": "2026-11-24T14:45:00+09:00"})
		one := int64(1)
		move := mutation{ID: newID(), Seq: 4, Type: "visit.update", Args: map[string]any{"visit_id": v.ID, "status": "done"}, BaseVersion: &one}
		a = r.nurseC.push(device, []mutation{move})
		var current struct {
			StartsAt time.Time `json:"starts_at"`
			Version  int64
		}
		if a.Results[0].Status != "conflict" || json.Unmarshal(a.Results[0].Entity, &current) != nil || current.Version != 2 || current.StartsAt.UTC().Hour() != 5 {
			t.Fatalf("stale visit update: %+v %s", a.Results[0], a.Results[0].Entity)
		}
		// Resending the conflicting mutation answers the same, from the ledger.
		if again := r.nurseC.push(device, []mutation{move}); again.Results[0].Status != "duplicate" || !sameJSON(again.Results[0].Entity, a.Results[0].Entity) {
			t.Fatalf("resent conflict: %+v", again.Results[0])
		}
		two := int64(2)
		ok := mutation{ID: newID(), Seq: 5, Type: "visit.update", Args: map[string]any{"visit_id": v.ID, "status": "done"}, BaseVersion: &two}
		if a := r.nurseC.push(device, []mutation{ok}); a.Results[0].Status != "applied" {
			t.Fatalf("current visit update: %+v", a.Results[0])
		}
		// Amend and mark read travel too.
		rec := recordMutation(6, r.patientID)
		recID := rec.Args["id"].(string)
		amend := mutation{ID: newID(), Seq: 7, Type: "record.amend", Args: map[string]any{"record_id": recID, "reason": "追記", "text": "追記あり"}, BaseVersion: &one}
		read := mutation{ID: newID(), Seq: 1, Type: "record.read", Args: map[string]any{"record_id": recID}}
		if a := r.nurseC.push(device, []mutation{rec, amend}); a.Results[0].Status != "applied" || a.Results[1].Status != "applied" {
			t.Fatalf("record then amendment: %+v", a.Results)
		}
		if a := r.doctorC.push(newID(), []mutation{read}); a.Results[0].Status != "applied" {
			t.Fatalf("mark read: %+v", a.Results[0])
		}
	})
}

func TestPullChangesResetsAndCursor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		first, cur := r.nurseC.syncFromEmpty()
		seen := map[string]bool{}
		for _, c := range first.Changes {
			seen[c.Entity+":"+c.ID] = true
		}
		if !seen["patient:"+r.patientID] || !seen["team:"+r.patientID] || !seen["record:"+r.recordID] {
			t.Fatalf("first pull misses entities: %v", seen)
		}
		// The helper (non-clinical) never pulls the chart record.
		hp, hcur := r.helperC.syncFromEmpty()
		for _, c := range hp.Changes {
			if c.Entity == "record" {
				t.Fatalf("non-clinical pull carries a chart record: %+v", c)
			}
		}
		// Incremental: a new record, and nothing else.
		a := r.doctorC.push(newID(), []mutation{recordMutation(1, r.patientID)})
		recID := ""
		var e struct{ ID string }
		json.Unmarshal(a.Results[0].Entity, &e)
		recID = e.ID
		inc, cur2 := r.nurseC.pullAll(cur, 500)
		if len(inc.Changes) != 1 || inc.Changes[0].ID != recID || !strings.Contains(string(inc.Changes[0].Data), "訪問記録") {
			t.Fatalf("incremental pull: %+v", inc.Changes)
		}
		// Paging: limit 1 walks the same changes without gaps.
		more := r.doctorC.push(newID(), []mutation{recordMutation(1, r.patientID), recordMutation(2, r.patientID), recordMutation(3, r.patientID)})
		paged, _ := r.nurseC.pullAll(cur2, 1)
		whole, _ := r.nurseC.pullAll(cur2, 500)
		if len(paged.Changes) != 3 || len(whole.Changes) != 3 || len(more.Results) != 3 {
			t.Fatalf("paged pull has %d changes, whole pull %d", len(paged.Changes), len(whole.Changes))
		}
		// Cursors are bound to the user and cannot be forged.
		if res := r.helperC.do("GET", "/api/v1/sync/pull?cursor="+cur2, nil); res.status != 410 || res.code() != care.CodeCursorExpired {
			t.Fatalf("foreign cursor: %d %s", res.status, res.body)
		}
		if res := r.nurseC.do("GET", "/api/v1/sync/pull?cursor="+cur2[:len(cur2)-2]+"xx", nil); res.status != 410 {
			t.Fatalf("tampered cursor: %d %s", res.status, res.body)
		}
		// Team removal: a purge, and nothing of the patient afterwards.
		r.doctorC.must(204, "DELETE", "/api/v1/patients/"+r.patientID+"/team/"+r.helper.ID, nil)
		r.doctorC.push(newID(), []mutation{recordMutation(1, r.patientID)})
		lost, hcur2 := r.helperC.pullAll(hcur, 500)
		if len(lost.Resets) != 1 || lost.Resets[0].PatientID != r.patientID || lost.Resets[0].Action != "purge" {
			t.Fatalf("resets after removal: %+v", lost.Resets)
		}
		for _, c := range lost.Changes {
			if c.PatientID == r.patientID {
				t.Fatalf("removed member still pulls the patient: %+v", c)
			}
		}
		// Added back: a snapshot reset, and the snapshot pull has the patient.
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/team", map[string]any{"user_id": r.helper.ID, "role": "helper"})
		back, _ := r.helperC.pullAll(hcur2, 500)
		if len(back.Resets) != 1 || back.Resets[0].Action != "snapshot" {
			t.Fatalf("resets after re-adding: %+v", back.Resets)
		}
		var snap pullAnswer
		r.helperC.must(200, "GET", "/api/v1/sync/pull?patient_id="+r.patientID+"&cursor="+hcur2, nil).json(t, &snap)
		if len(snap.Changes) < 2 || snap.Changes[0].Entity != "patient" {
			t.Fatalf("snapshot: %+v", snap.Changes)
		}
		// Consent withdrawn: every member gets a purge.
		r.doctorC.must(200, "POST", "/api/v1/patients/"+r.patientID+"/consents/"+r.consentID+"/withdraw", map[string]any{})
		gone, _ := r.nurseC.pullAll(cur2, 500)
		if len(gone.Resets) != 1 || gone.Resets[0].Action != "purge" {
			t.Fatalf("resets after withdrawal: %+v", gone.Resets)
		}
	})
}

// TestPullNeverSkipsUnderConcurrentWriters writes records from several
// clients at once while a reader pulls in small pages; every record must
// reach the reader. With sequence numbers that could become visible out
// of order (a PostgreSQL sequence), the reader's cursor would pass rows
// committed later with smaller numbers.
func TestPullNeverSkipsUnderConcurrentWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		reader := h.signIn(r.doctor)
		_, cursor := reader.syncFromEmpty()
		writers := []*client{r.doctorC, r.nurseC, h.signIn(r.doctor), h.signIn(r.nurse)}
		const perWriter = 60
		created := make(chan string, len(writers)*perWriter)
		var wg sync.WaitGroup
		for _, w := range writers {
			wg.Add(1)
			go func(w *client) {
				defer wg.Done()
				device := newID()
				for i := 0; i < perWriter; i++ {
					m := recordMutation(int64(i+1), r.patientID)
					body := map[string]any{"device_id": device, "mutations": []mutation{m}}
					res := w.do("POST", "/api/v1/sync/push", body)
					if res.status == 200 && strings.Contains(res.body, `"applied"`) {
						created <- m.Args["id"].(string)
					} else {
						t.Logf("push answered %d %s", res.status, res.body)
					}
				}
			}(w)
		}
		seen := map[string]bool{}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		for finished := false; !finished; {
			select {
			case <-done:
				finished = true
			default:
			}
			for {
				a := reader.pull(cursor, 7)
				for _, c := range a.Changes {
					seen[c.ID] = true
				}
				cursor = a.Cursor
				if !a.HasMore {
					break
				}
			}
		}
		close(created)
		n := 0
		for id := range created {
			n++
			if !seen[id] {
				t.Errorf("record %s was never pulled", id)
			}
		}
		if n != len(writers)*perWriter {
			t.Fatalf("%d of %d writes applied", n, len(writers)*perWriter)
		}
	})
}

// TestPullNeverLeaksDeniedPatients builds random teams and consents and
// checks that what each user pulls is exactly within what the access rules
// allow them.
func TestPullNeverLeaksDeniedPatients(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		rng := rand.New(rand.NewPCG(7, 11))
		facilities := []string{h.mustFacility("clinic"), h.mustFacility("nursing_station"), h.mustFacility("care_service")}
		professions := []string{care.ProfDoctor, care.ProfNurse, care.ProfCareWorker, care.ProfCareManager}
		type person struct {
			u store.User
			c *client
		}
		var people []person
		for i := 0; i < 6; i++ {
			u := h.mustUser(facilities[i%3], professions[i%4])
			people = append(people, person{u, h.signIn(u)})
		}
		registrar := people[0]
		type pat struct {
			id      string
			team    map[string]bool
			consent string
		}
		var patients []pat
		for i := 0; i < 8; i++ {
			var p struct{ ID string }
			registrar.c.must(201, "POST", "/api/v1/patients", map[string]any{"name": "試験 " + itoa(i), "name_kana": "シケン", "birth_date": "1940-01-01",
				"sex": "unknown", "address": "架空", "phone": ""}).json(t, &p)
			pt := pat{id: p.ID, team: map[string]bool{registrar.u.ID: true}}
			for _, q := range people[1:] {
				if rng.IntN(2) == 0 {
					registrar.c.must(201, "POST", "/api/v1/patients/"+p.ID+"/team", map[string]any{"user_id": q.u.ID, "role": "other"})
					pt.team[q.u.ID] = true
				}
			}
			switch rng.IntN(3) {
			case 0:
				pt.consent = "full"
			case 1:
				pt.consent = "calendar_shared"
			}
			if pt.consent != "" {
				registrar.c.must(201, "POST", "/api/v1/patients/"+p.ID+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": pt.consent})
				registrar.c.push(newID(), []mutation{recordMutation(1, p.ID)})
				for _, q := range people {
					if pt.team[q.u.ID] && q.u.Profession != care.ProfCareWorker && rng.IntN(2) == 0 {
						q.c.do("POST", "/api/v1/patients/"+p.ID+"/records", map[string]any{"id": newID(), "kind": "note", "occurred_at": "2026-11-20T09:00:00Z", "text": "共有メモ"})
					}
				}
			}
			patients = append(patients, pt)
		}
		pol := care.Policy{ClinicalProfessions: care.DefaultClinicalProfessions}
		for _, q := range people {
			got, _ := q.c.syncFromEmpty()
			v := care.Viewer{UserID: q.u.ID, FacilityID: q.u.FacilityID.String, Profession: q.u.Profession}
			for _, c := range got.Changes {
				var pt pat
				for _, p := range patients {
					if p.id == c.PatientID {
						pt = p
					}
				}
				lvl := care.PatientAccess(pol, v, care.PatientFacts{Exists: true, PatientFacilityID: facilities[0], RegistrarID: registrar.u.ID, OnTeam: pt.team[q.u.ID],
					ConsentActive: pt.consent != "", ConsentScope: pt.consent})
				if lvl == care.None {
					t.Errorf("user %s pulled %s of a patient they may not reach", q.u.Profession, c.Entity)
				}
				if c.Entity == "record" && lvl != care.Chart && strings.Contains(string(c.Data), "nursing_visit") {
					t.Errorf("user without chart access pulled a chart record")
				}
			}
			// Search results ⊆ readable records: what a search across the
			// user's patients finds (every record says 訪問記録 or 共有メモ)
			// is exactly what the timelines they may read list.
			readable := map[string]bool{}
			for _, p := range patients {
				var tl struct{ Records []struct{ ID, Text string } }
				if res := q.c.do("GET", "/api/v1/patients/"+p.id+"/records?limit=200", nil); res.status == 200 {
					res.json(t, &tl)
					for _, r := range tl.Records {
						readable[r.ID] = true
					}
				}
			}
			found := map[string]bool{}
			for _, w := range []string{"訪問記録", "共有メモ"} {
				var sr searchPage
				q.c.must(200, "GET", "/api/v1/search/records?limit=100&q="+url.QueryEscape(w), nil).json(t, &sr)
				for _, r := range sr.Records {
					if !readable[r.ID] {
						t.Errorf("user %s found a record they may not read (%s)", q.u.Profession, r.Kind)
					}
					found[r.ID] = true
				}
			}
			if len(found) != len(readable) {
				t.Errorf("user %s: search found %d of the %d records they read", q.u.Profession, len(found), len(readable))
			}
		}
	})
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// TestDeviceClockOffByADayChangesNothing: an iPad whose clock is a day
// behind (or ahead) records a visit "ten minutes ago" by its clock; the
// server's clock is authoritative, so the record lands ten minutes before
// the server's now, is not refused as being in the future, and sorts where
// the team expects it. A clock within a minute is left alone.
func TestDeviceClockOffByADayChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		now := h.clock.Now()
		device := newID()
		for i, off := range []time.Duration{-24 * time.Hour, 24 * time.Hour, 30 * time.Second} {
			deviceNow := now.Add(off)
			m := recordMutation(int64(i+1), r.patientID)
			m.Args["occurred_at"] = deviceNow.Add(-10 * time.Minute).Format(time.RFC3339)
			var a pushAnswer
			r.nurseC.must(200, "POST", "/api/v1/sync/push", map[string]any{"device_id": device, "device_time": deviceNow.Format(time.RFC3339), "mutations": []mutation{m}}).json(t, &a)
			if a.Results[0].Status != "applied" {
				t.Fatalf("clock off by %s: %+v", off, a.Results[0])
			}
			var rec struct {
				OccurredAt time.Time `json:"occurred_at"`
			}
			if err := json.Unmarshal(a.Results[0].Entity, &rec); err != nil {
				t.Fatal(err)
			}
			want := now.Add(-10 * time.Minute)
			if off == 30*time.Second {
				want = deviceNow.Add(-10 * time.Minute) // within a minute: as the device said
			}
			if !rec.OccurredAt.Equal(want) {
				t.Fatalf("clock off by %s: occurred_at %s, want %s", off, rec.OccurredAt, want)
			}
		}
	})
}

// TestReadsAreAuditedBeforeTheAnswer: the view of a timeline and of a pull
// page is committed to the audit log by the time the answer arrives (the
// audit write runs alongside the read, not after it).
func TestReadsAreAuditedBeforeTheAnswer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		start := r.nurseC.pull("", 500)
		r.doctorC.push(newID(), []mutation{recordMutation(1, r.patientID)})
		r.nurseC.pull(start.Cursor, 500)
		r.nurseC.must(200, "GET", "/api/v1/patients/"+r.patientID+"/records", nil)
		var log struct {
			Events []struct {
				ActorID string `json:"actor_id"`
				Action  string `json:"action"`
			}
		}
		r.doctorC.must(200, "GET", "/api/v1/patients/"+r.patientID+"/access-log", nil).json(t, &log)
		seen := map[string]bool{}
		for _, e := range log.Events {
			if e.ActorID == r.nurse.ID {
				seen[e.Action] = true
			}
		}
		if !seen["sync.pull"] || !seen["record.list"] {
			t.Fatalf("the nurse's pull and timeline are not both in the access log: %v", seen)
		}
	})
}
