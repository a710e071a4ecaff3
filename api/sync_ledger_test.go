package api_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"tsunagu/internal/store/storetest"
)

// mutationTypes are the mutation types the API accepts, read from the
// OpenAPI document (the enum of a mutation's type, which
// TestMutationEnumIsTheTable holds equal to the server's mutation table).
func mutationTypes(t *testing.T, h *harness) []string {
	t.Helper()
	s := h.hapi.OpenAPI().Components.Schemas.Map()["MutationIn"]
	if s == nil || s.Properties["type"] == nil {
		t.Fatal("no MutationIn.type in the OpenAPI document")
	}
	var types []string
	for _, e := range s.Properties["type"].Enum {
		types = append(types, e.(string))
	}
	sort.Strings(types)
	if len(types) == 0 {
		t.Fatal("no mutation types")
	}
	return types
}

// secretText is in every text and note the fixtures write: no answer to
// anyone who may not read them carries it.
const secretText = "秘匿メモ"

// ledgerFixture prepares one mutation of a type for the nurse of region r
// that she may apply: the args, and the ids of entities it names.
type ledgerFixture func(t *testing.T, h *harness, r *region) map[string]any

var ledgerFixtures = map[string]ledgerFixture{
	"record.create": func(t *testing.T, h *harness, r *region) map[string]any {
		return map[string]any{"patient_id": r.patientID, "id": newID(), "kind": "nursing_visit",
			"occurred_at": h.clock.Now().Add(-time.Hour), "text": secretText + " 訪問記録"}
	},
	"record.amend": func(t *testing.T, h *harness, r *region) map[string]any {
		return map[string]any{"record_id": r.recordID, "reason": "追記", "base_version": 1, "text": secretText + " 追記"}
	},
	"record.read": func(t *testing.T, h *harness, r *region) map[string]any {
		rec := r.doctorC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "doctor_note", "text": secretText + " 医師記録"})
		return map[string]any{"record_id": rec.ID}
	},
	"record.confirm": func(t *testing.T, h *harness, r *region) map[string]any {
		// The doctor amends the nurse's record: the nurse confirms it.
		rec := r.nurseC.mustCreateRecord(t, r.patientID, map[string]any{"kind": "nursing_visit", "text": secretText + " 確定前"})
		r.doctorC.must(201, "POST", "/api/v1/records/"+rec.ID+"/amendments", map[string]any{"reason": "訂正", "base_version": 1, "text": secretText + " 訂正"})
		return map[string]any{"record_id": rec.ID, "version": 2}
	},
	"visit.create": func(t *testing.T, h *harness, r *region) map[string]any {
		return map[string]any{"patient_id": r.patientID, "id": newID(), "kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
			"starts_at": "2026-11-24T10:00:00+09:00", "ends_at": "2026-11-24T10:45:00+09:00", "note": secretText + " 予定"}
	},
	"visit.update": func(t *testing.T, h *harness, r *region) map[string]any {
		var v struct{ ID string }
		r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/visits", map[string]any{"kind": "nurse_visit", "assignee_ids": []string{r.nurse.ID},
			"starts_at": "2026-11-25T10:00:00+09:00", "ends_at": "2026-11-25T10:45:00+09:00"}).json(t, &v)
		return map[string]any{"visit_id": v.ID, "base_version": 1, "note": secretText + " 変更"}
	},
	"consent.create": func(t *testing.T, h *harness, r *region) map[string]any {
		// The nurse is also the patient's care manager (ケアマネジャー, often
		// a nurse by license): she manages the consents, and records one
		// with the photographed form.
		r.nurseCareManager(t)
		page := h.mustAttachment(r.nurseC, r.patientID, accessPhoto)
		return map[string]any{"patient_id": r.patientID, "id": newID(), "obtained_on": "2026-11-20", "scope": "full", "attachment_ids": []string{page}}
	},
	"message.create": func(t *testing.T, h *harness, r *region) map[string]any {
		return map[string]any{"patient_id": r.patientID, "id": newID(), "text": secretText + " 連絡", "mentions": []string{r.doctor.ID}}
	},
}

// nurseCareManager makes the region's nurse the patient's care manager
// instead of its visiting nurse.
func (r *region) nurseCareManager(t testing.TB) {
	t.Helper()
	r.doctorC.must(204, "DELETE", "/api/v1/patients/"+r.patientID+"/team/"+r.nurse.ID, nil)
	r.doctorC.must(201, "POST", "/api/v1/patients/"+r.patientID+"/team", map[string]any{"user_id": r.nurse.ID, "role": "care_manager"})
}

// activeConsentID is the patient's active consent, read by c.
func (c *client) activeConsentID(t *testing.T, patientID string) string {
	t.Helper()
	var p struct {
		Consents []struct {
			ID     string `json:"id"`
			Active bool   `json:"active"`
		} `json:"consents"`
	}
	c.must(200, "GET", "/api/v1/patients/"+patientID, nil).json(t, &p)
	for _, k := range p.Consents {
		if k.Active {
			return k.ID
		}
	}
	t.Fatal("no active consent")
	return ""
}

type pushResult struct {
	ID      string          `json:"id"`
	Status  string          `json:"status"`
	Entity  json.RawMessage `json:"entity"`
	Problem *struct {
		Code   string `json:"code"`
		Errors []struct {
			Location string `json:"location"`
		} `json:"errors"`
	} `json:"problem"`
}

// pushOne pushes one mutation and returns its result and the raw answer.
func (c *client) pushOne(t *testing.T, deviceID string, m mutation) (pushResult, string) {
	t.Helper()
	res := c.must(200, "POST", "/api/v1/sync/push", map[string]any{"device_id": deviceID, "mutations": []mutation{m}})
	var a struct{ Results []pushResult }
	res.json(t, &a)
	if len(a.Results) != 1 {
		t.Fatalf("push answered %s", res.body)
	}
	return a.Results[0], res.body
}

type accessLogEvent struct {
	ActorID      string `json:"actor_id"`
	Action       string `json:"action"`
	PatientID    string `json:"patient_id"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	Result       string `json:"result"`
}

// accessLog reads patient's access log as c (the registrar).
func (c *client) accessLog(t *testing.T, patientID string) []accessLogEvent {
	t.Helper()
	var log struct{ Events []accessLogEvent }
	c.must(200, "GET", "/api/v1/patients/"+patientID+"/access-log?limit=500", nil).json(t, &log)
	return log.Events
}

func hasEvent(events []accessLogEvent, match func(e accessLogEvent) bool) bool {
	for _, e := range events {
		if match(e) {
			return true
		}
	}
	return false
}

// assertNoLeak fails when an answer to someone who may not read the
// patient's data carries an entity or any of that data.
func assertNoLeak(t *testing.T, who string, res pushResult, body string, r *region, ids ...string) {
	t.Helper()
	if len(res.Entity) > 0 && string(res.Entity) != "null" {
		t.Errorf("%s got an entity: %s", who, res.Entity)
	}
	for _, s := range append([]string{secretText, canaryName, r.patientID}, ids...) {
		if s != "" && strings.Contains(body, s) {
			t.Errorf("%s's answer carries %q: %s", who, s, body)
		}
	}
}

// TestLedgerAnswersOnlyWhoMayRead replays every mutation type's id (a)
// from other users' devices — a clinician of the same team and an
// outsider of another facility on no team — which are refused without an
// entity and audited under the patient, and (b) from the device that sent
// it, before and after its user lost the patient (removed from the team,
// or the consent withdrawn): the entity only before.
func TestLedgerAnswersOnlyWhoMayRead(t *testing.T) {
	for _, loss := range []string{"removed from the team", "consent withdrawn"} {
		t.Run(loss, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, engine string) {
				h := newHarness(t, engine)
				r := h.mustRegion()
				outsiderC := h.signIn(r.outsider)
				types := mutationTypes(t, h)
				nurseDev, doctorDev, outsiderDev := newID(), newID(), newID()
				var seq int64
				sent := map[string]mutation{}
				entityIDs := map[string]string{}
				for _, typ := range types {
					fix, ok := ledgerFixtures[typ]
					if !ok {
						t.Fatalf("mutation type %s has no fixture in ledgerFixtures: add one", typ)
					}
					seq++
					m := mutation{ID: newID(), Seq: seq, Type: typ, Args: fix(t, h, r)}
					res, body := r.nurseC.pushOne(t, nurseDev, m)
					if res.Status != "applied" || len(res.Entity) == 0 {
						t.Fatalf("%s: the nurse's mutation answered %s", typ, body)
					}
					var e struct {
						ID       string `json:"id"`
						RecordID string `json:"record_id"`
					}
					json.Unmarshal(res.Entity, &e)
					entityIDs[typ] = e.ID + e.RecordID
					sent[typ] = m
					// Resent by its own device while she reads it: the stored answer.
					again, body := r.nurseC.pushOne(t, nurseDev, m)
					if again.Status != "duplicate" || !sameJSON(again.Entity, res.Entity) {
						t.Fatalf("%s: resend by the same device answered %s", typ, body)
					}
				}

				// (a) The same ids from other users' devices.
				for i, typ := range types {
					for _, o := range []struct {
						who string
						c   *client
						dev string
					}{{"doctor of the same team", r.doctorC, doctorDev}, {"outsider", outsiderC, outsiderDev}} {
						m := sent[typ]
						m.Seq = int64(i + 1)
						res, body := o.c.pushOne(t, o.dev, m)
						if res.Status != "rejected" {
							t.Errorf("%s: %s replaying the nurse's mutation id got %s", typ, o.who, body)
						}
						if o.who == "outsider" {
							assertNoLeak(t, typ+": "+o.who, res, body, r, entityIDs[typ])
						} else if len(res.Entity) > 0 && string(res.Entity) != "null" {
							t.Errorf("%s: %s got an entity: %s", typ, o.who, body)
						}
						// And again: the refusal stands, still without the entity.
						res, body = o.c.pushOne(t, o.dev, m)
						if res.Status != "duplicate" || (len(res.Entity) > 0 && string(res.Entity) != "null") || strings.Contains(body, secretText) {
							t.Errorf("%s: %s's resend of its refused mutation answered %s", typ, o.who, body)
						}
					}
				}
				log := r.doctorC.accessLog(t, r.patientID)
				for _, typ := range types {
					id := sent[typ].ID
					if !hasEvent(log, func(e accessLogEvent) bool {
						return e.ActorID == r.outsider.ID && e.Action == "sync."+typ && e.ResourceID == id && e.Result == "denied"
					}) {
						t.Errorf("%s: the outsider's replay is not in the patient's access log", typ)
					}
				}

				// (b) The nurse loses the patient, then her device resends.
				switch loss {
				case "removed from the team":
					r.doctorC.must(204, "DELETE", "/api/v1/patients/"+r.patientID+"/team/"+r.nurse.ID, nil)
				case "consent withdrawn":
					// The active one: consent.create replaced the region's.
					r.doctorC.must(200, "POST", "/api/v1/patients/"+r.patientID+"/consents/"+r.doctorC.activeConsentID(t, r.patientID)+"/withdraw", map[string]any{"reason": "撤回"})
				}
				for _, typ := range types {
					res, body := r.nurseC.pushOne(t, nurseDev, sent[typ])
					if res.Status != "duplicate" {
						t.Errorf("%s: resend after losing the patient answered %s", typ, body)
					}
					assertNoLeak(t, typ+": nurse after losing the patient", res, body, r, entityIDs[typ])
				}
				log = r.doctorC.accessLog(t, r.patientID)
				for _, typ := range types {
					if !hasEvent(log, func(e accessLogEvent) bool {
						return e.ActorID == r.nurse.ID && e.Action == "sync.duplicate" && e.ResourceID == entityIDs[typ] && e.Result == "denied"
					}) {
						t.Errorf("%s: the refused resend is not in the patient's access log", typ)
					}
				}
			})
		})
	}
}

// TestRefusedMutationsAreInThePatientsAccessLog pushes every mutation
// type from an outsider, refused: each refusal is in the access log of the
// patient it names, whether it names the patient directly or through a
// record or visit.
func TestRefusedMutationsAreInThePatientsAccessLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		h := newHarness(t, engine)
		r := h.mustRegion()
		outsiderC := h.signIn(r.outsider)
		types := mutationTypes(t, h)
		sent := map[string]string{}
		dev := newID()
		for i, typ := range types {
			fix, ok := ledgerFixtures[typ]
			if !ok {
				t.Fatalf("mutation type %s has no fixture in ledgerFixtures: add one", typ)
			}
			m := mutation{ID: newID(), Seq: int64(i + 1), Type: typ, Args: fix(t, h, r)}
			res, body := outsiderC.pushOne(t, dev, m)
			if res.Status != "rejected" {
				t.Fatalf("%s: the outsider's mutation answered %s", typ, body)
			}
			assertNoLeak(t, typ+": outsider", res, body, r)
			sent[typ] = m.ID
		}
		log := r.doctorC.accessLog(t, r.patientID)
		for _, typ := range types {
			if !hasEvent(log, func(e accessLogEvent) bool {
				return e.ActorID == r.outsider.ID && e.Action == "sync."+typ && e.ResourceID == sent[typ] && e.Result == "denied" && e.PatientID == r.patientID
			}) {
				t.Errorf("%s: the refused mutation is not in the patient's access log", typ)
			}
		}
	})
}
