package api_test

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"tsunagu/internal/store/storetest"
)

// notPatientRefs are body fields named like ids that name no entity of a
// patient: users, facilities and devices, which their own rules check
// (team membership, the facility's staff, device registration).
var notPatientRefs = map[string]string{
	"user_id":      "a user: team rules",
	"assignee_ids": "users: current team members (validAssignees)",
	"facility_id":  "a facility: who may manage whom",
	"device_id":    "the caller's own device: device registration",
	"login_id":     "a sign-in name, not an entity's id",
	// staff messages (TestStaffDirectThread, TestStaffAttachments)
	"to_user_id":           "a user: any other active account",
	"staff_attachment_ids": "staff photos: the author's own uploads that no message cites, no patient's",
}

var idField = regexp.MustCompile(`_ids?$`)

// bodyIDFields lists, per operation of the OpenAPI document, the JSON body
// fields (nested ones as a.b) whose name says they name another entity.
func bodyIDFields(t *testing.T, h *harness) map[string][]string {
	t.Helper()
	doc := h.hapi.OpenAPI()
	reg := doc.Components.Schemas
	resolve := func(s *huma.Schema) *huma.Schema {
		for s != nil && s.Ref != "" {
			s = reg.SchemaFromRef(s.Ref)
		}
		return s
	}
	var walk func(s *huma.Schema, prefix string, seen map[*huma.Schema]bool, out *[]string)
	walk = func(s *huma.Schema, prefix string, seen map[*huma.Schema]bool, out *[]string) {
		s = resolve(s)
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		defer delete(seen, s)
		if s.Items != nil {
			walk(s.Items, prefix, seen, out)
		}
		for name, p := range s.Properties {
			if idField.MatchString(name) {
				*out = append(*out, prefix+name)
			}
			walk(p, prefix+name+".", seen, out)
		}
	}
	fields := map[string][]string{}
	for _, op := range operations(h) {
		item := doc.Paths[op.path]
		o := map[string]*huma.Operation{"POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete, "GET": item.Get}[op.method]
		if o == nil || o.RequestBody == nil || o.RequestBody.Content["application/json"] == nil {
			continue
		}
		var out []string
		walk(o.RequestBody.Content["application/json"].Schema, "", map[*huma.Schema]bool{}, &out)
		sort.Strings(out)
		if len(out) > 0 {
			fields[op.id] = out
		}
	}
	return fields
}

// refProbe sends one operation with a body of the caller's choosing, by
// REST and (when the app sends it offline too) as a sync mutation.
type refProbe struct {
	method string
	// target makes a fresh target of the operation for patient
	// r.patientID: its path and the id in that path
	target func(t *testing.T, h *harness, r *region) (path, id string)
	// body is a valid body; a probe sets one field of it
	body func(t *testing.T, h *harness, r *region) map[string]any
	// ok is the status of a valid request
	ok int
	// mutation type and the arg that carries the path's id
	mutation, pathArg string
}

var refProbes = map[string]refProbe{
	"createRecord": {
		method: "POST",
		target: func(t *testing.T, h *harness, r *region) (string, string) {
			return "/api/v1/patients/" + r.patientID + "/records", r.patientID
		},
		body: func(t *testing.T, h *harness, r *region) map[string]any {
			return map[string]any{"id": newID(), "kind": "note", "text": "連絡メモ", "occurred_at": h.clock.Now().Add(-time.Hour)}
		},
		ok: 201, mutation: "record.create", pathArg: "patient_id",
	},
	"amendRecord": {
		method: "POST",
		target: func(t *testing.T, h *harness, r *region) (string, string) {
			return "/api/v1/records/" + r.recordID + "/amendments", r.recordID
		},
		body: func(t *testing.T, h *harness, r *region) map[string]any {
			return map[string]any{"reason": "追加", "base_version": 1}
		},
		ok: 201, mutation: "record.amend", pathArg: "record_id",
	},
	"createVisit": {
		method: "POST",
		target: func(t *testing.T, h *harness, r *region) (string, string) {
			return "/api/v1/patients/" + r.patientID + "/visits", r.patientID
		},
		body: func(t *testing.T, h *harness, r *region) map[string]any {
			return map[string]any{"id": newID(), "kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
				"starts_at": "2026-11-24T10:00:00+09:00", "ends_at": "2026-11-24T10:45:00+09:00"}
		},
		ok: 201, mutation: "visit.create", pathArg: "patient_id",
	},
	"updateVisit": {
		method: "PATCH",
		target: func(t *testing.T, h *harness, r *region) (string, string) {
			var v struct{ ID string }
			r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/visits", map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
				"starts_at": "2026-11-25T10:00:00+09:00", "ends_at": "2026-11-25T10:45:00+09:00"}).json(t, &v)
			return "/api/v1/visits/" + v.ID, v.ID
		},
		body: func(t *testing.T, h *harness, r *region) map[string]any {
			return map[string]any{"base_version": 1, "status": "done"}
		},
		ok: 200, mutation: "visit.update", pathArg: "visit_id",
	},
	"createConsent": {
		method: "POST",
		target: func(t *testing.T, h *harness, r *region) (string, string) {
			return "/api/v1/patients/" + r.patientID + "/consents", r.patientID
		},
		body: func(t *testing.T, h *harness, r *region) map[string]any {
			return map[string]any{"obtained_on": "2026-11-20", "scope": "full"}
		},
		ok: 201, mutation: "consent.create", pathArg: "patient_id",
	},
	// The team channel: attachment_ids (reply_to and mentions, which the
	// name walk does not catch, are probed in TestChannelBodyRefs).
	"createMessage": {
		method: "POST",
		target: func(t *testing.T, h *harness, r *region) (string, string) {
			return "/api/v1/patients/" + r.patientID + "/messages", r.patientID
		},
		body: func(t *testing.T, h *harness, r *region) map[string]any {
			return map[string]any{"id": newID(), "text": "連絡"}
		},
		ok: 201, mutation: "message.create", pathArg: "patient_id",
	},
}

// writes counts what a refused request must not change: every write
// appends to the change log, and the entity tables besides.
func writes(t *testing.T, h *harness) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"change_log", "record", "record_version", "visit", "visit_exception", "visit_history", "consent", "consent_page", "message"} {
		var n int
		if err := h.db.SQL().Get(&n, "SELECT COUNT(*) FROM "+table); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func sameCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// problemShape is what a refusal tells, without its request id.
func problemShape(t *testing.T, body string) string {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	delete(p, "request_id")
	b, _ := json.Marshal(p)
	return string(b)
}

// TestBodyIDsNameThePatientsOwnEntities walks every operation of the
// OpenAPI document whose body has a field naming another entity (by its
// name: _id, _ids) and sends, by REST and as a sync mutation, another
// patient's entity of that kind and an unknown id: each is 422 naming the
// field, the two answers are the same, and nothing is written. The same
// patient's entity is accepted. A new such field, or a new operation
// carrying one, fails here until it is checked and probed.
func TestBodyIDsNameThePatientsOwnEntities(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		fields := bodyIDFields(t, h)
		if len(fields) == 0 {
			t.Fatal("no operation with an id field in its body: the walk is broken")
		}

		// The same patient's entities, and another patient's (of the same
		// doctor, who reaches both: access is no protection here).
		own := map[string]string{"attachment": h.mustAttachment(r.doctorC, r.patientID, accessPhoto)}
		var v struct{ ID string }
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/visits", map[string]any{"kind": "doctor_visit", "assignee_ids": []string{r.doctor.ID},
			"starts_at": "2026-11-26T10:00:00+09:00", "ends_at": "2026-11-26T10:45:00+09:00"}).json(t, &v)
		own["visit"], own["record"] = v.ID, r.recordID
		own["message"] = r.doctorC.mustMessage(t, r.patientID, map[string]any{"text": "連絡"}).ID

		var p struct{ ID string }
		r.doctorC.must(201, "POST", "/api/v1/patients", map[string]any{"name": "別の 患者", "name_kana": "ベツノ カンジャ", "birth_date": "1938-05-06",
			"sex": "male", "address": "架空県つなぐ市2-2", "phone": "000-0000-0001"}).json(t, &p)
		r.doctorC.must(201, "POST", "/api/v1/patients/"+p.ID+"/consents", map[string]any{"obtained_on": "2026-11-01", "scope": "full"})
		other := map[string]string{"attachment": h.mustAttachment(r.doctorC, p.ID, accessPhoto)}
		r.doctorC.must(201, "POST", "/api/v1/patients/"+p.ID+"/visits", map[string]any{"kind": "doctor_visit", "assignee_ids": []string{r.doctor.ID},
			"starts_at": "2026-11-26T10:00:00+09:00", "ends_at": "2026-11-26T10:45:00+09:00"}).json(t, &v)
		other["visit"] = v.ID
		other["record"] = r.doctorC.mustCreateRecord(t, p.ID, map[string]any{"kind": "doctor_note", "text": "別の患者の記録"}).ID
		other["message"] = r.doctorC.mustMessage(t, p.ID, map[string]any{"text": "別の患者の連絡"}).ID

		// kindOf is the entity a field names; a field not listed here
		// fails the test until it is added to patientRefs and here.
		kindOf := map[string]string{"visit_id": "visit", "record_id": "record", "attachment_id": "attachment", "attachment_ids": "attachment",
			"source_message_id": "message"}

		dev := newID()
		var seq int64
		probed := 0
		for op, fs := range fields {
			for _, field := range fs {
				name := field[strings.LastIndex(field, ".")+1:]
				if why, ok := notPatientRefs[name]; ok {
					t.Logf("%s %s: not a patient's entity (%s)", op, field, why)
					continue
				}
				kind, ok := kindOf[name]
				if !ok {
					t.Errorf("%s: body field %s names an entity this test does not know: check it in patientRefs (api/patientrefs.go) and add it to kindOf", op, field)
					continue
				}
				if strings.Contains(field, ".") {
					t.Errorf("%s: nested field %s: extend the probe to set nested fields", op, field)
					continue
				}
				pr, ok := refProbes[op]
				if !ok {
					t.Errorf("%s: body field %s names a patient's entity but the operation has no probe in refProbes", op, field)
					continue
				}
				value := func(id string) any {
					if strings.HasSuffix(name, "_ids") {
						return []string{id}
					}
					return id
				}
				loc := "body." + name
				if strings.HasSuffix(name, "_ids") {
					loc += "[0]"
				}
				var answers []string
				for _, id := range []string{other[kind], newID()} {
					path, target := pr.target(t, h, r)
					body := pr.body(t, h, r)
					body[name] = value(id)
					before := writes(t, h)
					res := r.doctorC.do(pr.method, path, body)
					if res.status != 422 || res.code() != "validation_failed" || problemField(t, res) != loc {
						t.Errorf("%s %s = %s: want 422 naming %s, got %d %s", op, field, id, loc, res.status, res.body)
					}
					if after := writes(t, h); !sameCounts(before, after) {
						t.Errorf("%s %s: a refused request wrote: %v → %v", op, field, before, after)
					}
					answers = append(answers, problemShape(t, res.body))

					if pr.mutation == "" {
						continue
					}
					args := pr.body(t, h, r)
					args[name] = value(id)
					args[pr.pathArg] = target
					seq++
					before = writes(t, h)
					got, raw := r.doctorC.pushOne(t, dev, mutation{ID: newID(), Seq: seq, Type: pr.mutation, Args: args})
					if got.Status != "rejected" || got.Problem == nil || got.Problem.Code != "validation_failed" ||
						len(got.Problem.Errors) == 0 || got.Problem.Errors[0].Location != loc {
						t.Errorf("%s %s = %s by sync: want rejected naming %s, got %s", pr.mutation, field, id, loc, raw)
					}
					if after := writes(t, h); !sameCounts(before, after) {
						t.Errorf("%s %s: a refused mutation wrote: %v → %v", pr.mutation, field, before, after)
					}
				}
				if answers[0] != answers[1] {
					t.Errorf("%s %s: another patient's id and an unknown id answer differently:\n%s\n%s", op, field, answers[0], answers[1])
				}
				// The same patient's entity is accepted: the refusals above
				// were about the id, not a broken body.
				body := pr.body(t, h, r)
				body[name] = value(own[kind])
				path, _ := pr.target(t, h, r)
				if res := r.doctorC.do(pr.method, path, body); res.status != pr.ok {
					t.Errorf("%s %s with the patient's own %s: want %d, got %d %s", op, field, kind, pr.ok, res.status, res.body)
				}
				if kind == "attachment" {
					// A consent's page is cited by one consent only: the
					// next probe needs a page of its own.
					own["attachment"] = h.mustAttachment(r.doctorC, r.patientID, accessPhoto)
				}
				probed++
			}
		}
		if probed < 5 {
			t.Fatalf("only %d fields probed: the walk lost some", probed)
		}
	})
}
