package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"tsunagu/internal/care"
	"tsunagu/internal/store"
	"tsunagu/internal/store/storetest"
)

// takenIDCase sends one create operation with a client id chosen by the
// walk: who sends it, to which path, with which body.
type takenIDCase struct {
	as   func(r *takenIDScene) *client
	path func(r *takenIDScene) string
	body func(r *takenIDScene, id string) map[string]any
	// sameKind is an id held by an entity of the same kind (of another
	// patient, where the entity belongs to one); otherKind one held by an
	// entity of a different kind.
	sameKind, otherKind func(r *takenIDScene) string
}

// takenIDScene is the region plus a second patient of its clinic, under
// consent, whose team the region's nurse is on: the creates go to it, the
// taken ids are the region patient's.
type takenIDScene struct {
	*region
	own      string // the second patient
	netAdmin *client
}

// takenIDCases has one entry for every create operation of the OpenAPI
// document whose body carries a client id; TestTakenIDIsConflict fails
// when one has none.
var takenIDCases = map[string]takenIDCase{
	"createFacility": {
		as:   func(r *takenIDScene) *client { return r.netAdmin },
		path: func(*takenIDScene) string { return "/api/v1/facilities" },
		body: func(_ *takenIDScene, id string) map[string]any {
			return map[string]any{"id": id, "name": "新施設", "name_kana": "シンシセツ", "kind": "clinic"}
		},
		sameKind:  func(r *takenIDScene) string { return r.clinic },
		otherKind: func(r *takenIDScene) string { return r.nurse.ID },
	},
	"createUser": {
		as:   func(r *takenIDScene) *client { return r.netAdmin },
		path: func(*takenIDScene) string { return "/api/v1/users" },
		body: func(r *takenIDScene, id string) map[string]any {
			return map[string]any{"id": id, "login_id": "taken." + id[len(id)-6:], "name": "新人", "name_kana": "シンジン", "profession": "nurse",
				"facility_id": r.clinic, "password": "a-long-initial-password"}
		},
		sameKind:  func(r *takenIDScene) string { return r.nurse.ID },
		otherKind: func(r *takenIDScene) string { return r.patientID },
	},
	"createPatient": {
		as:   func(r *takenIDScene) *client { return r.nurseC },
		path: func(*takenIDScene) string { return "/api/v1/patients" },
		body: func(_ *takenIDScene, id string) map[string]any {
			return map[string]any{"id": id, "name": "見本 別人", "name_kana": "ミホン ベツジン", "birth_date": "1950-01-01", "sex": "male", "address": "架空", "phone": ""}
		},
		sameKind:  func(r *takenIDScene) string { return r.patientID },
		otherKind: func(r *takenIDScene) string { return r.consentID },
	},
	"createConsent": {
		as:   func(r *takenIDScene) *client { return r.doctorC },
		path: func(r *takenIDScene) string { return "/api/v1/patients/" + r.own + "/consents" },
		body: func(_ *takenIDScene, id string) map[string]any {
			return map[string]any{"id": id, "obtained_on": "2026-11-02", "scope": "full"}
		},
		sameKind:  func(r *takenIDScene) string { return r.consentID },
		otherKind: func(r *takenIDScene) string { return r.recordID },
	},
	"createVisit": {
		as:   func(r *takenIDScene) *client { return r.nurseC },
		path: func(r *takenIDScene) string { return "/api/v1/patients/" + r.own + "/visits" },
		body: func(r *takenIDScene, id string) map[string]any {
			return map[string]any{"id": id, "kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
				"starts_at": "2026-11-24T10:00:00+09:00", "ends_at": "2026-11-24T11:00:00+09:00"}
		},
		sameKind:  func(r *takenIDScene) string { return r.visitID },
		otherKind: func(r *takenIDScene) string { return r.consentID },
	},
	"createRecord": {
		as:   func(r *takenIDScene) *client { return r.nurseC },
		path: func(r *takenIDScene) string { return "/api/v1/patients/" + r.own + "/records" },
		body: func(_ *takenIDScene, id string) map[string]any {
			return map[string]any{"id": id, "kind": "nursing_visit", "occurred_at": "2026-11-20T09:00:00Z", "text": "訪問"}
		},
		sameKind:  func(r *takenIDScene) string { return r.recordID },
		otherKind: func(r *takenIDScene) string { return r.visitID },
	},
	// A message's id is refused as taken like a record's: another
	// patient's message (sameKind) and a record's id (otherKind).
	"createMessage": {
		as:   func(r *takenIDScene) *client { return r.nurseC },
		path: func(r *takenIDScene) string { return "/api/v1/patients/" + r.own + "/messages" },
		body: func(_ *takenIDScene, id string) map[string]any {
			return map[string]any{"id": id, "text": "連絡"}
		},
		sameKind:  func(r *takenIDScene) string { return r.messageID },
		otherKind: func(r *takenIDScene) string { return r.recordID },
	},
	// Staff messages: a message's id is claimed like any entity's; the
	// same kind is the helper's message (staffAccessFixture).
	"createStaffMessage": {
		as:   func(r *takenIDScene) *client { return r.nurseC },
		path: func(*takenIDScene) string { return "/api/v1/staff/messages" },
		body: func(r *takenIDScene, id string) map[string]any {
			return map[string]any{"id": id, "to_user_id": r.doctor.ID, "text": "連絡"}
		},
		sameKind:  func(r *takenIDScene) string { staffAccessFixture(r.region); return staffAccessMessage },
		otherKind: func(r *takenIDScene) string { return r.recordID },
	},
}

// createsWithID lists the operations of the OpenAPI document that create
// something (POST, PUT) and whose JSON body has an "id".
func createsWithID(h *harness) []operation {
	oapi := h.hapi.OpenAPI()
	var out []operation
	for _, o := range operations(h) {
		if o.method != http.MethodPost && o.method != http.MethodPut {
			continue
		}
		item := oapi.Paths[o.path]
		op := item.Post
		if o.method == http.MethodPut {
			op = item.Put
		}
		if op.RequestBody == nil || op.RequestBody.Content["application/json"] == nil {
			continue
		}
		s := op.RequestBody.Content["application/json"].Schema
		if s != nil && s.Ref != "" {
			s = oapi.Components.Schemas.SchemaFromRef(s.Ref)
		}
		if s != nil && s.Properties["id"] != nil {
			out = append(out, o)
		}
	}
	return out
}

// rowCounts is what a refused create must leave as it was.
func rowCounts(t *testing.T, h *harness) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, q := range []string{"facility", "app_user", "patient", "consent", "consent WHERE withdrawn_at IS NULL", "team_member", "visit",
		"record", "record_version", "entity_id", "change_log", "audit_event", "message"} {
		var n int
		err := h.db.Read(context.Background(), func(tx *store.Tx) error { return tx.Get(context.Background(), &n, `SELECT COUNT(*) FROM `+q) })
		if err != nil {
			t.Fatal(err)
		}
		out[q] = n
	}
	return out
}

// TestTakenIDIsConflict walks every create operation whose body has an id
// and sends an id taken by an entity of the same kind (of another patient
// where that applies) and by an entity of another kind: each answers 409
// id_taken naming the field id, writes nothing, says nothing of the
// entity that holds the id (both answers are the same bytes), and a
// fresh id still creates.
func TestTakenIDIsConflict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		sc := &takenIDScene{region: r, netAdmin: h.signIn(r.netAdmin)}
		var v struct{ ID string }
		r.nurseC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/visits", map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
			"starts_at": "2026-11-23T10:00:00+09:00", "ends_at": "2026-11-23T10:45:00+09:00"}).json(t, &v)
		r.visitID = v.ID
		r.messageID = r.nurseC.mustMessage(t, r.patientID, map[string]any{"text": "見本の連絡"}).ID
		var p struct{ ID string }
		r.doctorC.must(201, "POST", "/api/v1/patients", map[string]any{"name": "見本 二人目", "name_kana": "ミホン フタリメ", "birth_date": "1945-05-05",
			"sex": "male", "address": "架空", "phone": ""}).json(t, &p)
		sc.own = p.ID
		r.doctorC.must(201, "POST", "/api/v1/patients/"+p.ID+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"})
		r.doctorC.must(201, "POST", "/api/v1/patients/"+p.ID+"/team", map[string]any{"user_id": r.nurse.ID, "role": "visiting_nurse"})

		ops := createsWithID(h)
		if len(ops) < len(takenIDCases) {
			t.Errorf("the OpenAPI document lists %d creates with an id, fewer than the %d cases", len(ops), len(takenIDCases))
		}
		for _, o := range ops {
			c, ok := takenIDCases[o.id]
			if !ok {
				t.Errorf("create operation %s (%s %s) takes a client id but has no case: add one to takenIDCases", o.id, o.method, o.path)
				continue
			}
			t.Run(o.id, func(t *testing.T) {
				var answers []string
				for _, taken := range []struct{ what, id string }{{"same kind", c.sameKind(sc)}, {"other kind", c.otherKind(sc)}} {
					before := rowCounts(t, h)
					res := c.as(sc).do(o.method, c.path(sc), c.body(sc, taken.id))
					if res.status != 409 || res.code() != care.CodeIDTaken {
						t.Errorf("id of the %s: %d %s, want 409 %s", taken.what, res.status, res.body, care.CodeIDTaken)
					}
					if !strings.Contains(res.body, `"location":"body.id"`) {
						t.Errorf("id of the %s: the problem does not name the field id: %s", taken.what, res.body)
					}
					if strings.Contains(res.body, canaryName) || strings.Contains(res.body, taken.id) {
						t.Errorf("id of the %s: the answer tells of the entity that holds it: %s", taken.what, res.body)
					}
					if after := rowCounts(t, h); !equalCounts(before, after) {
						t.Errorf("id of the %s: rows changed: %v → %v", taken.what, before, after)
					}
					answers = append(answers, stripRequestID(res.body))
				}
				if answers[0] != answers[1] {
					t.Errorf("the answers tell the kinds apart: %s vs %s", answers[0], answers[1])
				}
				// The case is sound: a fresh id creates.
				if res := c.as(sc).do(o.method, c.path(sc), c.body(sc, newID())); res.status != 201 {
					t.Errorf("fresh id: %d %s", res.status, res.body)
				}
			})
		}

		// Through sync: a record or visit with a taken id is rejected as
		// id_taken; a retried create of one's own record is still a 200.
		device := newID()
		recordArgs := func(id string) map[string]any {
			return map[string]any{"patient_id": sc.own, "id": id, "kind": "nursing_visit", "occurred_at": "2026-11-20T09:00:00Z", "text": "訪問"}
		}
		a := r.nurseC.push(device, []mutation{
			{ID: newID(), Seq: 1, Type: "record.create", Args: recordArgs(r.recordID)},
			{ID: newID(), Seq: 2, Type: "visit.create", Args: map[string]any{"patient_id": sc.own, "id": r.consentID, "kind": "nurse_visit",
				"assignee_ids": []string{r.nurse.ID}, "starts_at": "2026-11-25T10:00:00+09:00", "ends_at": "2026-11-25T11:00:00+09:00"}},
		})
		for _, res := range a.Results {
			if res.Status != "rejected" || res.Problem == nil || res.Problem.Code != care.CodeIDTaken {
				t.Errorf("sync create with a taken id: %s %+v", res.Status, res.Problem)
			}
		}
		own := newID()
		body := recordArgs(own)
		delete(body, "patient_id")
		r.nurseC.must(201, "POST", "/api/v1/patients/"+sc.own+"/records", body)
		r.nurseC.must(200, "POST", "/api/v1/patients/"+sc.own+"/records", body)
	})
}

func equalCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}
